"""The operator's TOML configuration: stacks, probes, journal units, backup and scope."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

# Compose project names: lowercase letters, digits, dashes and underscores (what Compose itself accepts).
_STACK_NAME = r'^[a-z0-9][a-z0-9_-]{0,62}$'
_PROBE_NAME = r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$'
_UNIT_NAME = r'^[A-Za-z0-9][A-Za-z0-9@_.:-]{0,126}$'
_CHANNEL_NAME = r'^[a-z0-9][a-z0-9_-]{0,31}$'
_ENV_NAME = r'^[A-Za-z_][A-Za-z0-9_]{0,127}$'
_SCHEDULE_NAME = r'^[a-z0-9][a-z0-9_-]{0,39}$'
StackName = Annotated[str, StringConstraints(pattern=_STACK_NAME)]
ProbeName = Annotated[str, StringConstraints(pattern=_PROBE_NAME)]
UnitName = Annotated[str, StringConstraints(pattern=_UNIT_NAME)]
ChannelName = Annotated[str, StringConstraints(pattern=_CHANNEL_NAME)]
EnvName = Annotated[str, StringConstraints(pattern=_ENV_NAME)]
# What each name pattern means, for the one line a person reads when the config breaks it.
NAME_RULES = {
    _STACK_NAME: 'a stack name must be a lowercase Compose project name (a-z, 0-9, -, _)',
    _PROBE_NAME: 'a probe name must be letters, digits, ".", "_" or "-" (at most 63)',
    _UNIT_NAME: 'a systemd unit name must be letters, digits and "@_.:-" (e.g. restic-backup.service)',
    _CHANNEL_NAME: 'a channel name must be lowercase letters, digits, "-" or "_" (at most 32)',
    _SCHEDULE_NAME: 'a schedule name must be lowercase letters, digits, "-" or "_" (at most 40)',
    _ENV_NAME: 'url_env must name an environment variable (letters, digits and "_")',
}

_DURATION = re.compile(r'^(\d+)([smhd])$')
_SECONDS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400}


def parse_duration(text: str) -> int:
    """Turn '26h', '90m', '30s' or '2d' into seconds."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f'not a duration like 26h or 90m: {text!r}')
    return int(match.group(1)) * _SECONDS[match.group(2)]


def _checked_duration(text: str) -> str:
    parse_duration(text)
    return text


# A duration setting ('26h', '90m', '30s', '2d'), refused with "not a duration like 26h or 90m" otherwise.
Duration = Annotated[str, AfterValidator(_checked_duration)]


_QUIET_HOURS = re.compile(r'^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$')


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """Turn '22:00-07:00' into its start and end (local times of day; the end may be on the next day)."""
    match = _QUIET_HOURS.match(text.strip())
    if not match:
        raise ValueError('quiet_hours must be HH:MM-HH:MM in the console host\'s local time, like "22:00-07:00"')
    start, end = time(int(match[1]), int(match[2])), time(int(match[3]), int(match[4]))
    if start == end:
        raise ValueError('quiet_hours must start and end at different times')
    return start, end


class _Strict(BaseModel):
    model_config = ConfigDict(extra='forbid', frozen=True)


# The kinds of drift the supervisor reports (see ops.world.drift); `invalid` is never acted on.
DriftKind = Literal['missing', 'stopped', 'config', 'image', 'orphan', 'invalid']
ActionableKind = Literal['missing', 'stopped', 'config', 'image', 'orphan']


class UpdatesConfig(_Strict):
    """Which newer tags of a pinned image count as update candidates (`[stacks.NAME.updates]`): shell-style patterns
    on the tag (`10.*`, `*-alpine`). A tag must match one `include` pattern (none given: every tag) and no `exclude`
    pattern."""

    include: list[Annotated[str, StringConstraints(min_length=1, max_length=128)]] = Field(default_factory=list)
    exclude: list[Annotated[str, StringConstraints(min_length=1, max_length=128)]] = Field(default_factory=list)


class StackConfig(_Strict):
    """One Compose project the console manages; files are relative to the repository directory.

    `auto_approve` lists the drift kinds whose proposed actions run without an operator (off by default); with
    `[maintenance] windows`, only inside a window.
    """

    files: list[str] = Field(min_length=1)
    auto_approve: list[ActionableKind] = Field(default_factory=list)
    updates: UpdatesConfig = Field(default_factory=UpdatesConfig)

    @field_validator('files')
    @classmethod
    def _relative_inside_repo(cls, files: list[str]) -> list[str]:
        for name in files:
            path = Path(name)
            if path.is_absolute() or '..' in path.parts:
                raise ValueError(f'stack files must be relative to the repository, without "..": {name!r}')
        return files


_HOST_NAME = re.compile(r'^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_-]{1,63})*\.?$')


class ProbeConfig(_Strict):
    """A network probe target the operator allowed.

    `resolver` is whom a DNS probe asks: host or host:port for dns and dot (ports 53 and 853), the https:// URL for
    doh; a dns probe without one asks the system resolver. `tls_name` is the name a dot resolver's certificate must
    carry (default: the resolver's host), `ca_file` the PEM file of authorities trusted instead of the system's
    (dot, doh, http), `follow_redirects` lets an http probe follow redirects (off: a redirect is the answer).
    """

    kind: Literal['ping', 'dns', 'tcp', 'http', 'dot', 'doh']
    target: str = Field(min_length=1, max_length=253)
    port: int | None = Field(default=None, ge=1, le=65535)
    resolver: str | None = None
    tls_name: str | None = None
    ca_file: str | None = None
    follow_redirects: bool = False
    timeout: float = Field(default=5.0, gt=0, le=60)

    @field_validator('tls_name')
    @classmethod
    def _is_host_name(cls, value: str | None) -> str | None:
        if value is not None and not _HOST_NAME.match(value):
            raise ValueError('tls_name must be a host name like dns.home.lan')
        return value

    @field_validator('ca_file')
    @classmethod
    def _is_absolute(cls, value: str | None) -> str | None:
        if value is not None and not Path(value).is_absolute():
            raise ValueError('ca_file must be an absolute path')
        return value

    @model_validator(mode='after')
    def _keys_fit_the_kind(self) -> ProbeConfig:
        given = self.model_fields_set
        if 'tls_name' in given and self.kind != 'dot':
            raise ValueError('tls_name is only for dot probes')
        if 'ca_file' in given and self.kind not in ('dot', 'doh', 'http'):
            raise ValueError('ca_file is only for dot, doh and http probes')
        if 'follow_redirects' in given and self.kind != 'http':
            raise ValueError('follow_redirects is only for http probes')
        if self.kind in ('dot', 'doh') and not self.resolver:
            raise ValueError(f'a {self.kind} probe needs a resolver ({_RESOLVER_SHAPE[self.kind]})')
        if self.kind == 'doh' and not (self.resolver or '').startswith('https://'):
            raise ValueError(f'a doh resolver is {_RESOLVER_SHAPE["doh"]}')
        if self.kind == 'dot' and '/' in (self.resolver or ''):
            raise ValueError(f'a dot resolver is {_RESOLVER_SHAPE["dot"]}, not a URL')
        return self


_RESOLVER_SHAPE = {'dot': 'host or host:port', 'doh': 'an https:// URL like https://dns.home.lan/dns-query'}


class JournalConfig(_Strict):
    """The systemd units whose journal may be read."""

    units: list[UnitName] = Field(default_factory=list)
    directory: str = '/var/log/journal'


class BackupConfig(_Strict):
    """The host-owned backup unit and how old its last success may be."""

    unit: UnitName = 'restic-backup.service'
    max_age: Duration = '26h'


class DriftConfig(_Strict):
    """How the supervisor watches: how long a drift must last before it is proposed, how often the
    registries are asked for newer images."""

    settle_seconds: float = Field(default=5.0, ge=0, le=600)
    image_check: Duration = '30m'


class ChannelConfig(_Strict):
    """Where one notification channel's apprise URL comes from: exactly one of `url` (inline), `url_file` (an
    absolute path to a file holding it, read at each send) or `url_env` (an environment variable holding it).
    `quiet_hours` ("22:00-07:00", local time, may wrap midnight) holds every message but critical ones until it
    ends, then sends one digest of them.

    The URL carries the channel's secrets (tokens, passwords): it is never shown, logged or audited.
    """

    url: SecretStr | None = None
    url_file: str | None = None
    url_env: EnvName | None = None
    quiet_hours: str | None = None

    @field_validator('quiet_hours')
    @classmethod
    def _is_window(cls, value: str | None) -> str | None:
        if value is not None:
            parse_quiet_hours(value)
        return value

    @field_validator('url_file')
    @classmethod
    def _is_absolute(cls, value: str | None) -> str | None:
        if value is not None and not Path(value).is_absolute():
            raise ValueError('url_file must be an absolute path')
        return value

    @model_validator(mode='after')
    def _one_source(self) -> ChannelConfig:
        given = [key for key in ('url', 'url_file', 'url_env') if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError('a channel needs exactly one of url, url_file or url_env')
        return self


class NotifyConfig(_Strict):
    """The notification channels and how the sender retries: back-off from `first_retry` seconds, doubling up to
    `max_retry`; a message is marked failed after `max_attempts` attempts or once it is older than `give_up_after`.
    `timeout` bounds one send (seconds). Sent messages are deleted from the outbox once older than `keep_sent`,
    failed ones once older than `keep_failed` (at least a day: a sent message's dedup key is remembered that long)."""

    channels: dict[ChannelName, ChannelConfig] = Field(default_factory=dict)
    first_retry: float = Field(default=2.0, gt=0, le=3600)
    max_retry: float = Field(default=300.0, gt=0, le=86400)
    max_attempts: int = Field(default=50, ge=1, le=10000)
    give_up_after: Duration = '24h'
    timeout: float = Field(default=30.0, gt=0, le=300)
    keep_sent: str = '30d'
    keep_failed: str = '90d'

    @field_validator('keep_sent', 'keep_failed')
    @classmethod
    def _at_least_a_day(cls, value: str) -> str:
        if parse_duration(value) < 86400:
            raise ValueError('keep_sent and keep_failed must be at least 1d')
        return value


AlertSeverity = Literal['info', 'warning', 'critical']
RuleName = Literal[
    'container_exited',
    'container_unhealthy',
    'crash_loop',
    'oom_killed',
    'drift_pending',
    'action_failed',
    'run_failed',
    'backup_stale',
    'disk_full',
    'docker_disk',
    'reboot_required',
    'upgrades_failed',
    'probe_failing',
    'engine_unreachable',
    'audit_chain',
    'delivery_failed',
    'memory_near_limit',
]

# The limits each rule has besides enabled, after, severity and channels.
RULE_LIMITS: dict[str, tuple[str, ...]] = {
    'crash_loop': ('count', 'within'),
    'disk_full': ('threshold',),
    'docker_disk': ('threshold',),
    'probe_failing': ('count',),
    'memory_near_limit': ('threshold',),
}


class RuleConfig(_Strict):
    """One alert rule's settings as the TOML gives them; what is left out keeps the rule's default (see
    ops.alerts.rules). `after`: how long the condition must hold before the alert opens; `threshold` (a
    percentage), `count` and `within` only for the rules that use them."""

    enabled: bool | None = None
    after: Duration | None = None
    severity: AlertSeverity | None = None
    channels: list[ChannelName] | None = None
    threshold: float | None = Field(default=None, gt=0, le=100)
    count: int | None = Field(default=None, ge=1, le=1000)
    within: Duration | None = None


class AlertsConfig(_Strict):
    """The alert rules (`[alerts.rules.NAME]`), the channels alerts go to when a rule names none (default: every
    channel), and how long a burst is gathered into one message (`group_window`)."""

    channels: list[ChannelName] | None = None
    group_window: Duration = '5s'
    rules: dict[RuleName, RuleConfig] = Field(default_factory=dict)

    @field_validator('rules')
    @classmethod
    def _limits_fit_the_rule(cls, rules: dict[str, RuleConfig]) -> dict[str, RuleConfig]:
        for name, rule in rules.items():
            for key in ('threshold', 'count', 'within'):
                if key in rule.model_fields_set and key not in RULE_LIMITS.get(name, ()):
                    raise ValueError(f'alerts.rules.{name}: {key} is not a setting of this rule')
        return rules


class StatsConfig(_Strict):
    """Container stats: how often the collector samples (`interval`) and how long the stored history keeps the
    1-minute rollups (`keep_minutes`) and the 15-minute rollups and health intervals (`keep_quarters`)."""

    interval: str = '10s'
    keep_minutes: str = '48h'
    keep_quarters: str = '30d'

    @field_validator('interval', 'keep_minutes', 'keep_quarters')
    @classmethod
    def _is_duration(cls, value: str) -> str:
        if parse_duration(value) <= 0:
            raise ValueError('must be longer than zero')
        return value

    @field_validator('interval')
    @classmethod
    def _is_short_duration(cls, value: str) -> str:
        if not 1 <= parse_duration(value) <= 300:
            raise ValueError(f'the stats interval must be between 1s and 5m: {value!r}')
        return value

    @property
    def interval_seconds(self) -> float:
        return float(parse_duration(self.interval))


_DAYS = ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')
_WINDOW = re.compile(r'^(?:([A-Z][a-z]{2}) )?([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$')
_AT = re.compile(r'^(?:([A-Z][a-z]{2}) )?([01]\d|2[0-3]):([0-5]\d)$')


def parse_window(text: str) -> tuple[int | None, time, time]:
    """'Sun 03:00-05:00' -> (6, 03:00, 05:00); '03:00-05:00' (every day) -> (None, ...). Weekday 0 is Monday; the
    end may be on the next day (it wraps midnight)."""
    match = _WINDOW.match(text.strip())
    if not match or (match[1] and match[1] not in _DAYS):
        raise ValueError(f'a maintenance window is like "Sun 03:00-05:00" or "03:00-05:00" (every day): {text!r}')
    start, end = time(int(match[2]), int(match[3])), time(int(match[4]), int(match[5]))
    if start == end:
        raise ValueError(f'a maintenance window must start and end at different times: {text!r}')
    return (_DAYS.index(match[1]) if match[1] else None), start, end


def parse_at(text: str) -> tuple[int | None, time]:
    """'Sun 03:30' -> (6, 03:30); '03:30' (every day) -> (None, 03:30)."""
    match = _AT.match(text.strip())
    if not match or (match[1] and match[1] not in _DAYS):
        raise ValueError(f'a schedule time is like "Sun 03:30" or "03:30" (every day): {text!r}')
    return (_DAYS.index(match[1]) if match[1] else None), time(int(match[2]), int(match[3]))


class MaintenanceConfig(_Strict):
    """Maintenance (`[maintenance]`): `windows` ("Sun 03:00-05:00", host time zone) outside which auto_approve
    policies wait; `rollback_within` how long after a recreate a failing container proposes a rollback;
    `known_good` how many replaced states per service are offered by hand; the last words of a dead container
    (`last_words_lines`, at most `last_words_bytes`, kept `last_words_keep`); `prune_images_older_than` the age of
    an unused image a prune removes."""

    windows: list[str] = Field(default_factory=list)
    rollback_within: Duration = '15m'
    known_good: int = Field(default=5, ge=1, le=50)
    last_words_lines: int = Field(default=1000, ge=10, le=10000)
    last_words_bytes: int = Field(default=256 * 1024, ge=1024, le=4 * 1024 * 1024)
    last_words_keep: Duration = '30d'
    prune_images_older_than: Duration = '7d'

    @field_validator('windows')
    @classmethod
    def _are_windows(cls, windows: list[str]) -> list[str]:
        for window in windows:
            parse_window(window)
        return windows


ScheduleName = Annotated[str, StringConstraints(pattern=_SCHEDULE_NAME)]
ScheduleTask = Literal['image_check', 'update_candidates', 'prune']


class ScheduleConfig(_Strict):
    """A schedule (`[schedules.NAME]`): at each `at` time ("Sun 03:30", or "03:30" for every day; host time zone)
    it runs `task`, which only proposes (an image check, the update candidates, a prune plan); audited as
    `schedule:NAME`."""

    task: ScheduleTask
    at: list[str] = Field(min_length=1)

    @field_validator('at')
    @classmethod
    def _are_times(cls, times: list[str]) -> list[str]:
        for text in times:
            parse_at(text)
        return times


class HomelabConfig(_Strict):
    """Everything the optional TOML file can say."""

    stacks: dict[StackName, StackConfig] = Field(default_factory=dict)
    probes: dict[ProbeName, ProbeConfig] = Field(default_factory=dict)
    journal: JournalConfig = Field(default_factory=JournalConfig)
    backup: BackupConfig = Field(default_factory=BackupConfig)
    drift: DriftConfig = Field(default_factory=DriftConfig)
    stats: StatsConfig = Field(default_factory=StatsConfig)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    maintenance: MaintenanceConfig = Field(default_factory=MaintenanceConfig)
    schedules: dict[ScheduleName, ScheduleConfig] = Field(default_factory=dict)

    @model_validator(mode='after')
    def _alert_channels_exist(self) -> HomelabConfig:
        named = list(self.alerts.channels or [])
        for rule in self.alerts.rules.values():
            named += rule.channels or []
        unknown = sorted(set(named) - set(self.notify.channels))
        if unknown:
            raise ValueError(f'alerts name channel(s) not in [notify.channels]: {", ".join(unknown)}')
        return self

    @property
    def backup_configured(self) -> bool:
        """Whether the file has a [backup] section (without one, the default unit is only a guess)."""
        return 'backup' in self.model_fields_set

    def summary(self) -> str:
        """What the console will watch, in one line for the server log (names and counts, no values)."""
        backup = self.backup.unit if self.backup_configured else 'not configured'
        return (
            f'{len(self.stacks)} stack(s), {len(self.probes)} probe(s), '
            f'{len(self.journal.units)} journal unit(s), backup {backup}'
        )


class ConfigError(ValueError):
    """The TOML file is missing, unreadable or does not match the expected shape."""


def load_config(path: Path | None) -> HomelabConfig:
    """Read and validate the TOML file; no file means the empty default.

    A ConfigError's text is one line naming the file, the key and the rule it breaks (never a traceback).
    """
    if path is None:
        return HomelabConfig()
    try:
        data = tomllib.loads(path.read_text(encoding='utf-8'))
    except FileNotFoundError as err:
        raise ConfigError(f'config {path}: file not found') from err
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f'config {path}: cannot read it: {err}') from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f'config {path}: not valid TOML: {err}') from err
    try:
        return HomelabConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(f'config {path}: {first_problem(err)}') from err


def first_problem(err: ValidationError) -> str:
    """`key: rule` for the first error (plus how many more), without echoing a value that might be secret."""
    problems = err.errors()
    item = problems[0]
    loc = list(item['loc'])
    if loc and loc[-1] == '[key]':
        loc.pop()  # a dict key broke its name rule: the key itself is the place to point at
    more = f' (and {len(problems) - 1} more problem(s))' if len(problems) > 1 else ''
    return f'{key_path(loc)}: {rule_of(item)}{more}'


def key_path(loc: list[int | str]) -> str:
    """A pydantic location as a TOML key: stacks."My Stack".files[0]."""
    text = ''
    for part in loc:
        if isinstance(part, int):
            text += f'[{part}]'
        else:
            name = part if _BARE_KEY.match(part) else json.dumps(part)
            text += f'.{name}' if text else name
    return text or '(top level)'


def rule_of(item: ErrorDetails) -> str:
    """The rule an input broke, in words (the input itself is left out)."""
    kind, ctx = item['type'], item.get('ctx') or {}
    if kind == 'extra_forbidden':
        return 'unknown key'
    if kind == 'missing':
        return 'required'
    if kind == 'string_pattern_mismatch':
        return NAME_RULES.get(str(ctx.get('pattern')), item['msg'])
    if kind == 'literal_error':
        return 'must be one of ' + str(ctx.get('expected', '')).replace(' or ', ', ')
    if kind == 'value_error':
        return str(ctx.get('error', item['msg']))
    return item['msg'][:1].lower() + item['msg'][1:]


_BARE_KEY = re.compile(r'^[A-Za-z0-9_-]+$')
