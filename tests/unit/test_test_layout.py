"""Tests share code through tests/helpers/ and fixtures through conftest.py, never by importing a test module."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def is_test_module(module: str) -> bool:
    """A test module (test_*.py) or a conftest: pytest collects these, nothing else should import them."""
    last = module.rsplit('.', 1)[-1]
    return last.startswith('test_') or last == 'conftest'


def imported(path: Path) -> list[str]:
    """The dotted names a file imports, relative imports resolved against its package."""
    package = path.relative_to(TESTS.parent).with_suffix('').parts[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = '.'.join(package[: len(package) - node.level + 1] if node.level else ())
            module = '.'.join(part for part in (base, node.module or '') if part)
            found.add(module)
            found.update(f'{module}.{alias.name}' for alias in node.names)  # `from tests.ui import test_x`
    return sorted(found)


def test_no_file_under_tests_imports_a_test_module_or_a_conftest() -> None:
    offenders = [
        f'{path.relative_to(TESTS.parent)} imports {module}'
        for path in sorted(TESTS.rglob('*.py'))
        for module in imported(path)
        if module.startswith('tests.') and is_test_module(module)
    ]
    assert offenders == []
