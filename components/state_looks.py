"""How each state, kind and severity looks (colour, words, icon): the one table every page uses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from ops.alerts.records import AlertState
from ops.alerts.rules import AlertSeverity
from ops.notify.outbox import MessageState
from ops.runs import RunState
from ops.store.audit_kinds import AuditKind
from ops.world.action_states import ActionState

S = TypeVar('S', bound=StrEnum)


@dataclass(frozen=True, slots=True)
class Look:
    color: str  # a Quasar colour
    label: str  # as a person says it ('timed out', not 'timed_out')
    icon: str  # a Material icon
    text_color: str = 'white'  # of a filled badge (black on the yellow of `warning`, for contrast)


RUN_LOOKS: dict[RunState, Look] = {
    RunState.PENDING: Look('grey-7', 'pending', 'schedule'),
    RunState.RUNNING: Look('info', 'running', 'autorenew'),
    RunState.SUCCEEDED: Look('positive', 'succeeded', 'check_circle'),
    RunState.FAILED: Look('negative', 'failed', 'error'),
    RunState.TIMED_OUT: Look('negative', 'timed out', 'timer_off'),
    RunState.CANCELLED: Look('warning', 'cancelled', 'cancel'),
    RunState.REJECTED: Look('deep-orange-8', 'rejected', 'block'),
    RunState.INTERRUPTED: Look('warning', 'interrupted', 'power_off'),
}
ACTION_LOOKS: dict[ActionState, Look] = {
    ActionState.PENDING: Look('warning', 'pending', 'hourglass_empty', text_color='black'),
    ActionState.APPROVED: Look('info', 'approved', 'thumb_up'),
    ActionState.RUNNING: Look('info', 'running', 'autorenew'),
    ActionState.DONE: Look('positive', 'done', 'check_circle'),
    ActionState.FAILED: Look('negative', 'failed', 'error'),
    ActionState.REJECTED: Look('deep-orange-8', 'rejected', 'thumb_down'),
    ActionState.SUPERSEDED: Look('grey-7', 'superseded', 'redo'),
}
AUDIT_LOOKS: dict[AuditKind, Look] = {
    AuditKind.REQUESTED: Look('info', 'run requested', 'play_arrow'),
    AuditKind.JOINED: Look('purple-6', 'run joined another', 'merge'),
    AuditKind.REJECTED: Look('deep-orange-8', 'run refused', 'block'),
    AuditKind.FINISHED: Look('positive', 'run finished', 'flag'),
    # An action's events in the colour of the state they put it in (a refused decision: as a refused run).
    AuditKind.ACTION_PROPOSED: Look('warning', 'action proposed', 'lightbulb', text_color='black'),
    AuditKind.ACTION_APPROVED: Look('info', 'action approved', 'thumb_up'),
    AuditKind.ACTION_REJECTED: Look('deep-orange-8', 'action rejected', 'thumb_down'),
    AuditKind.ACTION_REFUSED: Look('deep-orange-8', 'action decision refused', 'block'),
    AuditKind.LOGIN_SUCCEEDED: Look('grey-7', 'sign-in', 'login'),
    AuditKind.LOGIN_FAILED: Look('negative', 'sign-in failed', 'gpp_bad'),
    AuditKind.LOGIN_THROTTLED: Look('warning', 'sign-ins throttled', 'speed', text_color='black'),
    AuditKind.SESSION_ENDED_REFUSED: Look('grey-7', 'ended session refused', 'logout'),
    AuditKind.USER_CREATED: Look('grey-7', 'user created', 'person_add'),
    AuditKind.PASSWORD_CHANGED: Look('grey-7', 'password changed', 'password'),
    AuditKind.USER_DISABLED: Look('grey-7', 'user disabled', 'person_off'),
    AuditKind.TOTP_ENROLLED: Look('grey-7', 'second factor enrolled', 'phonelink_lock'),
    AuditKind.TOTP_REMOVED: Look('grey-7', 'second factor removed', 'phonelink_erase'),
    AuditKind.TOKEN_CREATED: Look('grey-7', 'API token created', 'key'),
    AuditKind.TOKEN_REVOKED: Look('grey-7', 'API token revoked', 'key_off'),
    AuditKind.DB_RESTORED: Look('grey-7', 'database restored', 'settings_backup_restore'),
    AuditKind.EVENTS_MISSING: Look('grey-7', 'events missing', 'report'),
    AuditKind.NOTIFY_TEST: Look('grey-7', 'notification test', 'notifications'),
    AuditKind.ALERT_ACKNOWLEDGED: Look('info', 'alert acknowledged', 'done'),
    AuditKind.ALERT_SNOOZED: Look('grey-7', 'alert snoozed', 'snooze'),
    AuditKind.SCHEDULE_RAN: Look('grey-7', 'schedule ran', 'event_repeat'),
}
SEVERITY_LOOKS: dict[AlertSeverity, Look] = {
    AlertSeverity.CRITICAL: Look('negative', 'critical', 'error'),
    AlertSeverity.WARNING: Look('warning', 'warning', 'warning', text_color='black'),
    AlertSeverity.INFO: Look('info', 'info', 'info'),
}
ALERT_STATE_LOOKS: dict[AlertState, Look] = {
    AlertState.OPEN: Look('deep-orange-8', 'open', 'notifications_active'),
    AlertState.RESOLVED: Look('positive', 'resolved', 'check_circle'),
}
DELIVERY_LOOKS: dict[MessageState, Look] = {
    MessageState.PENDING: Look('grey-7', 'pending', 'schedule_send'),
    MessageState.HELD: Look('purple-6', 'held (quiet hours)', 'bedtime'),
    MessageState.SENT: Look('positive', 'sent', 'done'),
    MessageState.FAILED: Look('negative', 'failed', 'error'),
}
# A stored kind no AuditKind names (the trail is evidence: an edited row is shown as it is, never dropped).
UNKNOWN_KIND = Look('grey-7', 'unknown kind', 'help_outline')


def run_look(state: RunState) -> Look:
    return RUN_LOOKS[state]


def action_look(state: ActionState) -> Look:
    return ACTION_LOOKS[state]


def audit_look(kind: str) -> Look:
    """The look of a stored audit kind (any text: see UNKNOWN_KIND)."""
    try:
        return AUDIT_LOOKS[AuditKind(kind)]
    except ValueError:
        return UNKNOWN_KIND


def severity_look(severity: AlertSeverity) -> Look:
    return SEVERITY_LOOKS[severity]


def labels(looks: Mapping[S, Look]) -> dict[S, str]:
    """The options of a filter: every state (or kind), in the enum's order, with its words."""
    return {state: look.label for state, look in looks.items()}


def _every(enum: type[S], looks: Mapping[S, Look]) -> None:
    missing = [member.value for member in enum if member not in looks]
    if missing:
        raise RuntimeError(f'no look for {enum.__name__} {", ".join(missing)}')


_every(RunState, RUN_LOOKS)
_every(ActionState, ACTION_LOOKS)
_every(AuditKind, AUDIT_LOOKS)
_every(AlertSeverity, SEVERITY_LOOKS)
_every(AlertState, ALERT_STATE_LOOKS)
_every(MessageState, DELIVERY_LOOKS)
