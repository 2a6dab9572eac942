"""A migration step for a field whose column stays as it is (an enum stored in the same VARCHAR gains a value)."""

from __future__ import annotations

from tortoise.migrations import operations as ops
from tortoise.migrations.schema_editor.base import BaseSchemaEditor
from tortoise.migrations.schema_generator.state import State


class SameColumn(ops.AlterField):
    """An AlterField whose column does not change: the migration state moves, the table is not touched (Tortoise's
    SQLite schema editor would remake the table for it and lose its indexes)."""

    async def database_forward(
        self, app_label: str, old_state: State, new_state: State, state_editor: BaseSchemaEditor | None = None
    ) -> None:
        return None

    async def database_backward(
        self, app_label: str, old_state: State, new_state: State, state_editor: BaseSchemaEditor | None = None
    ) -> None:
        return None
