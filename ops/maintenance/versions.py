"""Version tags: which tags name a version, how they order, and which newer ones are update candidates."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ops.config import UpdatesConfig

MAX_TAG = 128  # the longest tag a registry takes
_TAG = re.compile(r'^(?P<v>[vV]?)(?P<numbers>\d{1,9}(?:\.\d{1,9}){0,3})(?:-(?P<rest>[0-9A-Za-z][0-9A-Za-z._-]*))?$')
# A suffix that marks a pre-release (`-rc1`, `-beta.2`, `-alpha`), optionally followed by a variant (`-rc1-alpine`).
# Each digit belongs to one place in the pattern (no nested repeats): a tag from a registry is read in one pass.
_PRE = re.compile(
    r'^(?P<pre>(?P<word>alpha|beta|rc|preview|pre|dev|snapshot|a|b)(?P<numbers>\.?\d+(?:\.\d+)*)?)'
    r'(?:-(?P<variant>.+))?$',
    re.IGNORECASE,
)
# How pre-releases of one version follow each other, by their word.
_PRE_RANKS = {'dev': 0, 'snapshot': 0, 'a': 1, 'alpha': 1, 'b': 2, 'beta': 2, 'pre': 3, 'preview': 3, 'rc': 4}
# A build counter ending the variant (`ls45`, `debian-12-r5`, `r0`; digits alone only as the whole variant: `-1`).
_COUNTER = re.compile(r'(?P<word>ls|r|rev|build)?(?P<count>\d{1,9})', re.IGNORECASE)


@dataclass(frozen=True, kw_only=True, slots=True)
class Version:
    """A version tag taken apart: `v1.2.0-rc1-alpine` -> prefix 'v', numbers (1, 2, 0), pre 'rc1', variant 'alpine';
    `1.2.3-ls45` -> variant 'ls45' whose build counter is 45."""

    tag: str
    prefix: str
    numbers: tuple[int, ...]
    pre: str
    variant: str
    pre_rank: int = 0  # dev/snapshot 0, alpha 1, beta 2, pre/preview 3, rc 4
    pre_numbers: tuple[int, ...] = ()  # rc2 -> (2,), beta.1.3 -> (1, 3)
    build: int = 0  # the variant's build counter (ls45 -> 45)
    kind: str = ''  # the variant with its build counter left out (`ls#`, `debian-12-r#`, `alpine`)

    @property
    def shape(self) -> tuple[str, int, str]:
        """What a newer tag must share to replace this one: the `v`, how many numbers, the variant suffix (a build
        counter ending it aside: `-ls46` replaces `-ls45`)."""
        return (self.prefix, len(self.numbers), self.kind)

    @property
    def key(self) -> tuple[tuple[int, ...], int, int, tuple[int, ...], int]:
        """Sort key: numbers first; a release after its pre-releases; pre-releases by their word (dev < alpha < beta <
        preview < rc), then their numbers (rc2 < rc10); last the build counter (1.2.3-ls45 < 1.2.3-ls46)."""
        return (self.numbers, 0 if self.pre else 1, self.pre_rank, self.pre_numbers, self.build)


def parse_version(tag: str) -> Version | None:
    """The version a tag names, or None (`latest`, `stable`, a date-less word, a digest)."""
    found = _TAG.match(tag) if len(tag) <= MAX_TAG else None
    if found is None:
        return None
    rest = found['rest'] or ''
    pre, variant, rank = '', rest, 0
    pre_numbers: tuple[int, ...] = ()
    if rest and (pre_match := _PRE.match(rest)) is not None:
        pre, variant = pre_match['pre'], pre_match['variant'] or ''
        rank = _PRE_RANKS[pre_match['word'].lower()]
        pre_numbers = tuple(int(n) for n in (pre_match['numbers'] or '').lstrip('.').split('.') if n)
    kind, build = _build_counter(variant)
    numbers = tuple(int(n) for n in found['numbers'].split('.'))
    return Version(
        tag=tag,
        prefix=found['v'].lower(),
        numbers=numbers,
        pre=pre,
        variant=variant,
        pre_rank=rank,
        pre_numbers=pre_numbers,
        build=build,
        kind=kind,
    )


def _build_counter(variant: str) -> tuple[str, int]:
    """`debian-12-r5` -> ('debian-12-r#', 5); a variant without a trailing build counter -> (variant, 0)."""
    head, _, last = variant.rpartition('-')
    found = _COUNTER.fullmatch(last)
    if found is None or (head and not found['word']):  # `debian-12`: the 12 names the variant, it counts nothing
        return variant, 0
    return f'{variant[: len(variant) - len(found["count"])]}#', int(found['count'])


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
