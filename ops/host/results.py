"""Turn the probes' frozen dataclasses into plain JSON values for a run's result."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any


def jsonable(value: Any) -> Any:
    """Dataclasses become dicts, tuples become lists, datetimes become ISO 8601 text; the rest stays."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: jsonable(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
