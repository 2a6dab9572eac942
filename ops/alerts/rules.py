"""The alert rules: what each watches, its defaults, and the settings the TOML gives it (merged once)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import get_args

from ops.config import RULE_LIMITS, AlertsConfig, RuleConfig, RuleName, parse_duration


class AlertSeverity(StrEnum):
    INFO = 'info'
    WARNING = 'warning'
    CRITICAL = 'critical'


class Rule(StrEnum):
    CONTAINER_EXITED = 'container_exited'
    CONTAINER_UNHEALTHY = 'container_unhealthy'
    CRASH_LOOP = 'crash_loop'
    OOM_KILLED = 'oom_killed'
    DRIFT_PENDING = 'drift_pending'
    ACTION_FAILED = 'action_failed'
    RUN_FAILED = 'run_failed'
    BACKUP_STALE = 'backup_stale'
    DISK_FULL = 'disk_full'
    DOCKER_DISK = 'docker_disk'
    REBOOT_REQUIRED = 'reboot_required'
    UPGRADES_FAILED = 'upgrades_failed'
    PROBE_FAILING = 'probe_failing'
    ENGINE_UNREACHABLE = 'engine_unreachable'
    AUDIT_CHAIN = 'audit_chain'
    DELIVERY_FAILED = 'delivery_failed'
    MEMORY_NEAR_LIMIT = 'memory_near_limit'


@dataclass(frozen=True, kw_only=True, slots=True)
class RuleDefaults:
    """A rule as it ships: its words, severity, hold time and (for the rules that use them) its limits."""

    label: str
    means: str
    severity: AlertSeverity = AlertSeverity.WARNING
    after: str = '0s'
    threshold: float | None = None
    count: int | None = None
    within: str | None = None


S = AlertSeverity
DEFAULTS: dict[Rule, RuleDefaults] = {
    Rule.CONTAINER_EXITED: RuleDefaults(
        label='Unplanned stop', means='a container stopped and no run or approved action of the console stopped it'
    ),
    Rule.CONTAINER_UNHEALTHY: RuleDefaults(label='Unhealthy', means="a container's healthcheck says unhealthy"),
    Rule.CRASH_LOOP: RuleDefaults(
        label='Crash loop',
        means='a container died `count` times within `within`, none of them planned',
        severity=S.CRITICAL,
        count=3,
        within='10m',
    ),
    Rule.OOM_KILLED: RuleDefaults(label='Out of memory', means='the kernel killed a process of a container (OOM)'),
    Rule.DRIFT_PENDING: RuleDefaults(
        label='Drift waiting',
        means='a proposed action has waited for an operator longer than `after`',
        severity=S.INFO,
        after='1h',
    ),
    Rule.ACTION_FAILED: RuleDefaults(label='Action failed', means='an approved action failed'),
    Rule.RUN_FAILED: RuleDefaults(
        label='Run failed', means='a run failed or timed out (until that operation succeeds)'
    ),
    Rule.BACKUP_STALE: RuleDefaults(label='Backup stale', means='the last good backup is older than [backup] max_age'),
    Rule.DISK_FULL: RuleDefaults(
        label='Disk full', means='a filesystem is fuller than `threshold` percent', threshold=90
    ),
    Rule.DOCKER_DISK: RuleDefaults(
        label='Docker disk', means="Docker's filesystem is fuller than `threshold` percent", threshold=85
    ),
    Rule.REBOOT_REQUIRED: RuleDefaults(
        label='Reboot required',
        means='the host has asked for a reboot for longer than `after`',
        severity=S.INFO,
        after='3d',
    ),
    Rule.UPGRADES_FAILED: RuleDefaults(label='Upgrades failed', means='unattended-upgrades reported errors'),
    Rule.PROBE_FAILING: RuleDefaults(
        label='Probe failing', means='a network probe failed `count` times in a row', count=3
    ),
    Rule.ENGINE_UNREACHABLE: RuleDefaults(
        label='Engine unreachable',
        means='the Docker engine has not answered for `after`',
        severity=S.CRITICAL,
        after='30s',
    ),
    Rule.AUDIT_CHAIN: RuleDefaults(
        label='Audit chain broken', means="the audit trail's hash chain is not intact", severity=S.CRITICAL
    ),
    Rule.DELIVERY_FAILED: RuleDefaults(
        label='Notification failed', means='a message could not be delivered to a channel and was given up'
    ),
    Rule.MEMORY_NEAR_LIMIT: RuleDefaults(
        label='Memory near limit',
        means='a container has used more than `threshold` percent of its memory limit for `after`',
        after='5m',
        threshold=90,
    ),
}
assert set(DEFAULTS) == set(Rule) == set(get_args(RuleName)), 'every rule has defaults and a TOML name'
assert all(
    tuple(key for key in ('threshold', 'count', 'within') if getattr(DEFAULTS[rule], key) is not None)
    == RULE_LIMITS.get(rule.value, ())
    for rule in Rule
), 'the TOML accepts exactly the limits each rule has'


@dataclass(frozen=True, kw_only=True, slots=True)
class RuleSettings:
    """A rule as this console runs it: its defaults with the TOML's settings over them."""

    rule: Rule
    label: str
    enabled: bool
    after: float
    severity: AlertSeverity
    channels: tuple[str, ...]
    threshold: float | None
    count: int | None
    within: float | None


class RuleBook:
    """Every rule's settings, from the [alerts] section and the channels that exist."""

    def __init__(self, config: AlertsConfig, channels: list[str]) -> None:
        self.group_window = float(parse_duration(config.group_window))
        default_channels = tuple(config.channels if config.channels is not None else sorted(channels))
        self._rules = {rule: _settings(rule, config.rules.get(rule.value), default_channels) for rule in Rule}

    def __getitem__(self, rule: Rule) -> RuleSettings:
        return self._rules[rule]

    def all(self) -> list[RuleSettings]:
        return list(self._rules.values())


def _settings(rule: Rule, given: RuleConfig | None, channels: tuple[str, ...]) -> RuleSettings:
    base = DEFAULTS[rule]
    given = given or RuleConfig()
    within = given.within or base.within
    return RuleSettings(
        rule=rule,
        label=base.label,
        enabled=given.enabled if given.enabled is not None else True,
        after=float(parse_duration(given.after or base.after)),
        severity=AlertSeverity(given.severity) if given.severity else base.severity,
        channels=tuple(given.channels) if given.channels is not None else channels,
        threshold=given.threshold if given.threshold is not None else base.threshold,
        count=given.count if given.count is not None else base.count,
        within=float(parse_duration(within)) if within else None,
    )
