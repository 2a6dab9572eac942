"""Version tags: which tags name a version, how they order, and which newer ones are update candidates."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ops.config import UpdatesConfig

_TAG = re.compile(r'^(?P<v>[vV]?)(?P<numbers>\d{1,9}(?:\.\d{1,9}){0,3})(?:-(?P<rest>[0-9A-Za-z][0-9A-Za-z._-]*))?$')
# A suffix that marks a pre-release (`-rc1`, `-beta.2`, `-alpha`), optionally followed by a variant (`-rc1-alpine`).
_PRE = re.compile(
    r'^(?P<pre>(?:alpha|beta|rc|pre|preview|dev|snapshot|a|b)(?:[.]?\d+)*)(?:-(?P<variant>.+))?$', re.IGNORECASE
)
_PIECE = re.compile(r'\d+|[A-Za-z]+')


@dataclass(frozen=True, kw_only=True, slots=True)
class Version:
    """A version tag taken apart: `v1.2.0-rc1-alpine` -> prefix 'v', numbers (1, 2, 0), pre 'rc1', variant 'alpine'."""

    tag: str
    prefix: str
    numbers: tuple[int, ...]
    pre: str
    variant: str

    @property
    def shape(self) -> tuple[str, int, str]:
        """What a newer tag must share to replace this one: the `v`, how many numbers, the variant suffix."""
        return (self.prefix, len(self.numbers), self.variant)

    @property
    def key(self) -> tuple[tuple[int, ...], int, tuple[tuple[int, int | str], ...]]:
        """Sort key: numbers first; a release after its pre-releases; pre-releases by their pieces (rc2 < rc10)."""
        pieces = tuple((0, int(p)) if p.isdigit() else (1, p.lower()) for p in _PIECE.findall(self.pre))
        return (self.numbers, 0 if self.pre else 1, pieces)


def parse_version(tag: str) -> Version | None:
    """The version a tag names, or None (`latest`, `stable`, a date-less word, a digest)."""
    found = _TAG.match(tag)
    if found is None:
        return None
    rest = found['rest'] or ''
    pre, variant = '', rest
    if rest and (pre_match := _PRE.match(rest)) is not None:
        pre, variant = pre_match['pre'], pre_match['variant'] or ''
    numbers = tuple(int(n) for n in found['numbers'].split('.'))
    return Version(tag=tag, prefix=found['v'].lower(), numbers=numbers, pre=pre, variant=variant)


def allowed(tag: str, patterns: UpdatesConfig) -> bool:
    """A tag passes the stack's `[updates]` patterns: one `include` (or none given) and no `exclude`."""
    if patterns.include and not any(fnmatch.fnmatchcase(tag, p) for p in patterns.include):
        return False
    return not any(fnmatch.fnmatchcase(tag, p) for p in patterns.exclude)


def newer_tags(current: str, tags: Iterable[str], patterns: UpdatesConfig | None = None) -> list[str]:
    """The tags newer than `current` of the same shape, newest first; pre-releases only if `current` is one."""
    base = parse_version(current)
    if base is None:
        return []
    found: dict[str, Version] = {}
    for tag in tags:
        version = parse_version(tag)
        if version is None or version.shape != base.shape or version.key <= base.key:
            continue
        if version.pre and not base.pre:
            continue
        if patterns is not None and not allowed(tag, patterns):
            continue
        found[tag] = version
    return sorted(found, key=lambda t: (found[t].key, t), reverse=True)
