"""A candidate tag as a git change of the stack file: only the tag changes, and `git apply` takes the diff."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ops.maintenance.stack_edit import tag_change

COMPOSE = """services:
  web:
    image: localhost:5000/x/app:1.0.0   # pinned
    restart: unless-stopped
  db:
    image: "postgres:16.1"
"""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(['git', '-C', str(repo), *args], check=True, capture_output=True, text=True)
    return done.stdout


def test_the_diff_replaces_only_the_tag_and_git_applies_it(tmp_path: Path) -> None:
    (tmp_path / 'compose.yml').write_text(COMPOSE)
    change = tag_change(tmp_path, ['compose.yml'], 'web', 'localhost:5000/x/app:1.0.0', '2.0.0')
    assert change.problem == ''
    assert change.path == 'compose.yml'
    assert change.diff.startswith('--- a/compose.yml\n+++ b/compose.yml\n')
    assert '-    image: localhost:5000/x/app:1.0.0   # pinned\n' in change.diff
    assert '+    image: localhost:5000/x/app:2.0.0   # pinned\n' in change.diff
    assert (tmp_path / 'compose.yml').read_text() == COMPOSE  # read only
    git(tmp_path, 'init', '-q')
    (tmp_path / 'change.patch').write_text(change.diff)
    git(tmp_path, 'apply', 'change.patch')
    assert (tmp_path / 'compose.yml').read_text() == COMPOSE.replace('app:1.0.0', 'app:2.0.0')


def test_quoted_values_and_a_last_line_without_newline(tmp_path: Path) -> None:
    (tmp_path / 'compose.yml').write_text(COMPOSE.rstrip('\n'))
    change = tag_change(tmp_path, ['compose.yml'], 'db', 'postgres:16.1', '16.2')
    assert '+    image: "postgres:16.2"\n\\ No newline at end of file\n' in change.diff
    git(tmp_path, 'init', '-q')
    (tmp_path / 'change.patch').write_text(change.diff)
    git(tmp_path, 'apply', 'change.patch')
    assert (tmp_path / 'compose.yml').read_text() == COMPOSE.rstrip('\n').replace('16.1', '16.2')


def test_a_variable_tag_or_a_second_declaration_is_said_not_diffed(tmp_path: Path) -> None:
    (tmp_path / 'compose.yml').write_text('services:\n  web:\n    image: localhost:5000/x/app:${TAG}\n')
    change = tag_change(tmp_path, ['compose.yml'], 'web', 'localhost:5000/x/app:1.0.0', '2.0.0')
    assert change.diff == ''
    assert 'variable' in change.problem
    (tmp_path / 'compose.yml').write_text(COMPOSE)
    (tmp_path / 'override.yml').write_text('services:\n  web:\n    image: localhost:5000/x/app:1.0.0\n')
    change = tag_change(tmp_path, ['compose.yml', 'override.yml'], 'web', 'localhost:5000/x/app:1.0.0', '2.0.0')
    assert change.diff == ''
    assert '2 places' in change.problem


def test_no_file_outside_the_repository_is_read(tmp_path: Path) -> None:
    repo = tmp_path / 'repo'
    repo.mkdir()
    (tmp_path / 'outside.yml').write_text(COMPOSE)
    (repo / 'compose.yml').symlink_to(tmp_path / 'outside.yml')
    change = tag_change(repo, ['compose.yml'], 'web', 'localhost:5000/x/app:1.0.0', '2.0.0')
    assert change.diff == ''
    assert 'outside the repository' in change.problem
    (repo / 'compose.yml').unlink()
    (repo / 'compose.yml').write_text('include:\n  - ../outside.yml\n')
    change = tag_change(repo, ['compose.yml'], 'web', 'localhost:5000/x/app:1.0.0', '2.0.0')
    assert 'outside the repository' in change.problem


def test_a_variable_tag_set_in_the_projects_env_file_becomes_a_diff_of_that_line(tmp_path: Path) -> None:
    (tmp_path / 'media').mkdir()
    (tmp_path / 'media' / 'compose.yml').write_text('services:\n  web:\n    image: localhost:5000/x/app:${TAG}\n')
    (tmp_path / 'media' / '.env').write_text('# versions\nOTHER=1.0.0\nTAG="1.0.0"  # web\n')
    change = tag_change(tmp_path, ['media/compose.yml'], 'web', 'localhost:5000/x/app:1.0.0', '2.0.0')
    assert change.problem == '' and change.path == 'media/.env'
    git(tmp_path, 'init', '-q')
    (tmp_path / 'change.patch').write_text(change.diff)
    git(tmp_path, 'apply', 'change.patch')
    assert (tmp_path / 'media' / '.env').read_text() == '# versions\nOTHER=1.0.0\nTAG="2.0.0"  # web\n'
    (tmp_path / 'media' / '.env').write_text('TAG=1.0.0\nTAG=1.0.0\n')  # twice: which one counts is not ours to say
    change = tag_change(tmp_path, ['media/compose.yml'], 'web', 'localhost:5000/x/app:1.0.0', '2.0.0')
    assert change.diff == '' and 'exactly one line' in change.problem
