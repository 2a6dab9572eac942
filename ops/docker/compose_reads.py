"""What Compose reads besides a stack's own files (.env, env_file, label_file, include, extends): all in the repo."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Compose fetches these itself (an OCI artifact, a git repository): never a file of the repository.
_REMOTE = re.compile(r'^(?:[a-zA-Z][a-zA-Z0-9+.-]*://|git@)')
_MAX_FILES = 64  # compose files one stack may pull in through include and extends
_CACHE_LIMIT = 512


class OutsideRead(Exception):
    """Compose would read a file outside the repository (or one whose place cannot be known beforehand)."""


def compose_reads(files: Sequence[Path], root: Path, *, cached: bool = False) -> list[Path]:
    """Every local file Compose reads for a stack besides `files` (absolute, inside `root`): the project's `.env`,
    each env_file and label_file, each included or extended file and what it reads in turn.

    OutsideRead when any of them resolves (after symlinks) outside `root`, names a remote resource, or is built
    from a variable: Compose reads these files itself, with no allowlist, so a commit could otherwise make it
    read the console's own environment (`.env -> /proc/1/environ`) or any file of the host into an image
    reference, a label or a container's environment. `cached`: reuse the parse of files that did not change
    (the repository watch); the check before Compose runs always reads the files afresh.
    """
    walk = _Walk(root=root.resolve(), cached=cached)
    project = files[0].parent
    walk.dotenv(project, 'the project')
    for path in files:
        walk.compose_file(path, project, walk.shown(path))
    return walk.read


@dataclass(slots=True)
class _Walk:
    root: Path
    cached: bool
    read: list[Path] = field(default_factory=list)
    parsed: set[Path] = field(default_factory=set)

    def dotenv(self, project: Path, whose: str) -> None:
        """The `.env` Compose reads from a project directory (a link counts where it leads)."""
        path = project / '.env'
        if os.path.lexists(path):
            self._inside(path, f'the .env of {whose} ({self.shown(path)})')

    def compose_file(self, path: Path, project: Path, name: str) -> None:
        """One compose file's own reads, relative paths taken from its project directory (and its own folder)."""
        if path in self.parsed:
            return
        if len(self.parsed) >= _MAX_FILES:
            raise OutsideRead(f'more than {_MAX_FILES} compose files through include and extends')
        self.parsed.add(path)
        for document in _documents(path, name, self.cached):
            if isinstance(document, dict):
                self._document(document, path, project, name)

    def _document(self, document: dict[Any, Any], path: Path, project: Path, name: str) -> None:
        bases = (project, path.parent)
        for entry in _entries(document.get('include')):
            spec = entry if isinstance(entry, dict) else {'path': entry}
            included = [self._local(p, bases, f'{name}: include {p!r}') for p in _entries(spec.get('path'))]
            for env_file in _entries(spec.get('env_file')):
                self._local(env_file, bases, f'{name}: the env_file {env_file!r} of an include')
            directory = spec.get('project_directory')
            for file in included:
                where = file.parent
                if directory is not None:
                    where = self._local(directory, bases, f'{name}: the project_directory {directory!r} of an include')
                self.dotenv(where, f'the include {self.shown(file)}')
                self.compose_file(file, where, self.shown(file))
        services = document.get('services')
        for service, spec in services.items() if isinstance(services, dict) else ():
            if not isinstance(spec, dict):
                continue
            for key in ('env_file', 'label_file'):
                for entry in _entries(spec.get(key)):
                    named = entry.get('path') if isinstance(entry, dict) else entry
                    self._local(named, bases, f'{name}: the {key} {named!r} of service {service!r}')
            extends = spec.get('extends')
            if isinstance(extends, dict) and extends.get('file') is not None:
                what = f'{name}: the file {extends["file"]!r} service {service!r} extends'
                file = self._local(extends['file'], bases, what)
                self.compose_file(file, file.parent, self.shown(file))

    def _local(self, value: object, bases: tuple[Path, ...], what: str) -> Path:
        """A path the stack names, checked from every base it may be taken from; the one from the first base."""
        text = str(value)
        if _REMOTE.match(text):
            raise OutsideRead(f'{what} is not a local file of the repository (Compose would fetch it)')
        if '$' in text:
            raise OutsideRead(f'{what} is built from a variable, so where it points cannot be checked beforehand')
        if text.startswith('~'):
            raise OutsideRead(f'{what} is in a home directory, outside the repository {self.root}')
        found = [self._inside(base / text, what) for base in bases]
        return found[0]

    def _inside(self, path: Path, what: str) -> Path:
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root):
            target = f' (it leads to {resolved})' if resolved != Path(os.path.abspath(path)) else ''
            raise OutsideRead(f'{what} is outside the repository {self.root}{target}')
        if resolved not in self.read and resolved.is_file():
            self.read.append(resolved)
        return resolved

    def shown(self, path: Path) -> str:
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)


def _entries(value: object) -> Iterator[Any]:
    """A key that takes one item or a list of them (None: none)."""
    if value is None:
        return
    yield from value if isinstance(value, list) else [value]


def _documents(path: Path, name: str, cached: bool) -> list[Any]:
    """The YAML documents of one compose file, read with a safe loader (Compose's own tags kept as plain values)."""
    # PyYAML is loaded with the first compose file read, not at start (a console without stacks never needs it).
    from ops.docker.compose_yaml import NotYaml, load_documents

    try:
        stat = path.stat()
        key = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
        if cached and (hit := _parsed.get(path)) is not None and hit[0] == key:
            return hit[1]
        with path.open('rb') as handle:
            documents = load_documents(handle)
    except OSError as err:
        raise OutsideRead(f'{name} cannot be read: {err.strerror}') from err
    except NotYaml as err:
        raise OutsideRead(f'{name} is not valid YAML: {err}') from err
    if len(_parsed) >= _CACHE_LIMIT:
        _parsed.clear()
    _parsed[path] = (key, documents)
    return documents


_parsed: dict[Path, tuple[tuple[int, int, int], list[Any]]] = {}
