"""The Logs page in NiceGUI's simulated user: its log panes."""

from __future__ import annotations

from typing import cast

from nicegui.testing import User

from components.log_pane import log_pane


def panes(user: User) -> list[log_pane]:
    return [cast(log_pane, element) for element in user.find(log_pane).elements]
