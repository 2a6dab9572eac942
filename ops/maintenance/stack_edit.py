"""A new tag as a proposed git change: the unified diff of the stack file whose `image:` line names the service's
image, with only the tag replaced. The repository is only read (bounded, never outside it), never written."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops.docker.compose import ComposeError, stack_inputs
from ops.docker.compose_reads import OutsideRead

MAX_FILE = 1024 * 1024  # a compose file larger than this is not read for a diff
_VARIABLE_TAG = re.compile(
    r'^(?P<head>[^$]*:)\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))$'
)


@dataclass(frozen=True, kw_only=True, slots=True)
class StackChange:
    """The diff that moves a service to a new tag (`a/compose.yml b/compose.yml`, for `git apply`), or why none."""

    path: str = ''
    diff: str = ''
    problem: str = ''


@dataclass(frozen=True, kw_only=True, slots=True)
class _Declared:
    path: Path
    text: str
    line: int
    start: int
    end: int
    value: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ImageLine:
    """The one line that sets a service's tag (its `image:` line, or the `.env` line of the variable its tag comes
    from), found once for all its candidate tags; or why there is none (`problem`)."""

    path: str = ''
    problem: str = ''
    lines: tuple[str, ...] = ()
    index: int = 0
    before: str = ''  # the line up to the tag
    after: str = ''  # the line after the tag

    def change(self, tag: str) -> StackChange:
        """The change of this line to `tag` (only the diff is made here: the files were read once)."""
        if self.problem:
            return StackChange(path=self.path, problem=self.problem)
        return StackChange(
            path=self.path, diff=_diff(self.lines, self.index, f'{self.before}{tag}{self.after}', self.path)
        )


def tag_change(repo: Path, files: Sequence[str], service: str, reference: str, tag: str) -> StackChange:
    """The change of `service`'s `image: <reference>` line to `tag` (image_line, then its change)."""
    return image_line(repo, files, service, reference).change(tag)


def image_line(repo: Path, files: Sequence[str], service: str, reference: str) -> ImageLine:
    """`service`'s `image: <reference>` line, found in the stack's files (and the files they include or extend); a
    problem in words when the line is not there exactly once or the tag is a variable not set on one `.env` line."""
    root = repo.resolve()
    try:
        declared = _declarations(root, files, service)
    except OutsideRead as err:
        return ImageLine(problem=f'the stack files cannot be read safely: {err}')
    if not declared:
        return ImageLine(problem=f'no file of the stack has an `image:` line for {service}')
    if len(declared) > 1:
        where = ', '.join(sorted({str(d.path.relative_to(root)) for d in declared}))
        return ImageLine(problem=f'{service} names its image in {len(declared)} places ({where}): change it by hand')
    found = declared[0]
    shown = found.path.relative_to(root).as_posix()
    current = reference.rsplit(':', 1)[-1]
    if '$' in found.value:
        return _variable_line(root, files, found.value, reference, current)
    if found.value != reference or '@' in reference:
        return ImageLine(path=shown, problem=f'{shown} says {found.value!r}, not {reference!r}: change it by hand')
    lines = found.text.splitlines(keepends=True)
    line = lines[found.line]
    raw = line[found.start : found.end]
    quote = raw[-1] if raw[-1:] in ('"', "'") else ''
    body = raw[: len(raw) - len(quote)]
    if raw[len(quote) if quote else 0 : len(raw) - len(quote)] != found.value or not body.endswith(f':{current}'):
        return ImageLine(path=shown, problem=f'the `image:` line of {service} in {shown} is not a plain value')
    return ImageLine(
        path=shown,
        lines=tuple(lines),
        index=found.line,
        before=line[: found.start] + body[: len(body) - len(current)],
        after=quote + line[found.end :],
    )


def _variable_line(root: Path, files: Sequence[str], value: str, reference: str, current: str) -> ImageLine:
    """`image: repo:${TAG}` whose TAG the project's `.env` sets to the current tag on one line: that line."""
    said = ImageLine(problem=f'the tag comes from a variable ({value}): change it where that is set')
    named = _VARIABLE_TAG.match(value)
    if named is None or f'{named["head"]}{current}' != reference:
        return said
    variable = named['braced'] or named['plain']
    env = ((root / files[0]).parent / '.env').resolve()
    if not env.is_relative_to(root) or not env.is_file():
        return said
    shown = env.relative_to(root).as_posix()
    lines = _read(env, root).splitlines(keepends=True)
    setting = re.compile(rf'^(\s*(?:export\s+)?{variable}\s*=\s*)(["\']?){re.escape(current)}\2(\s*(?:#.*)?\r?\n?)$')
    matches = [(index, found) for index, line in enumerate(lines) if (found := setting.match(line))]
    mentions = [line for line in lines if re.match(rf'^\s*(?:export\s+)?{variable}\s*=', line)]
    if len(matches) != 1 or len(mentions) != 1:
        return ImageLine(path=shown, problem=f'{variable} is not set to {current} on exactly one line of {shown}')
    index, found = matches[0]
    quote = found[2]
    return ImageLine(
        path=shown, lines=tuple(lines), index=index, before=f'{found[1]}{quote}', after=f'{quote}{found[3]}'
    )


def _diff(lines: Sequence[str], index: int, replaced: str, shown: str) -> str:
    new_lines = [*lines[:index], replaced, *lines[index + 1 :]]
    return ''.join(_ended(part) for part in difflib.unified_diff(lines, new_lines, f'a/{shown}', f'b/{shown}', n=3))


def _declarations(root: Path, files: Sequence[str], service: str) -> list[_Declared]:
    """The service's `image:` nodes in the stack's own files and the compose files they include or extend."""
    try:
        inputs = stack_inputs(files, root)  # the own files first, then what Compose reads for them
    except ComposeError as err:
        raise OutsideRead(str(err)) from err
    own = len(files)
    found: list[_Declared] = []
    for path in dict.fromkeys(p for i, p in enumerate(inputs) if i < own or p.suffix in ('.yml', '.yaml')):
        found.extend(_in_file(path, root, service))
    return found


def _read(path: Path, root: Path) -> str:
    """A file of the repository as text, at most MAX_FILE bytes (OutsideRead otherwise)."""
    try:
        with path.open('rb') as handle:
            data = handle.read(MAX_FILE + 1)
    except OSError as err:
        raise OutsideRead(f'{path.relative_to(root)} cannot be read: {err.strerror}') from err
    if len(data) > MAX_FILE:
        raise OutsideRead(f'{path.relative_to(root)} is larger than {MAX_FILE // 1024} KiB')
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError as err:
        raise OutsideRead(f'{path.relative_to(root)} is not UTF-8 text') from err


def _in_file(path: Path, root: Path, service: str) -> list[_Declared]:
    import yaml  # loaded with the first diff, not at start

    text = _read(path, root)
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as err:
        raise OutsideRead(f'{path.relative_to(root)} is not readable YAML: {err}') from err
    found = []
    for document in documents:
        node = _value(_value(document, 'services'), service)
        image = _value(node, 'image')
        if isinstance(image, yaml.ScalarNode):
            start, end = image.start_mark, image.end_mark
            if start.line != end.line:
                raise OutsideRead(f'the image of {service} in {path.relative_to(root)} spans several lines')
            found.append(
                _Declared(path=path, text=text, line=start.line, start=start.column, end=end.column, value=image.value)
            )
    return found


def _value(node: Any, key: str) -> Any:
    """The value node under `key` of a YAML mapping node (None when it is no mapping or has no such key)."""
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return None
    for name, value in node.value:
        if isinstance(name, yaml.ScalarNode) and name.value == key:
            return value
    return None


def _ended(line: str) -> str:
    """A diff line of a file's last line without a newline, as git writes it."""
    return line if line.endswith('\n') else f'{line}\n\\ No newline at end of file\n'
