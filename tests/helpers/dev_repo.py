"""The acceptance set-up of issue 6: a git repository holding compose.dev.yml as the stack homelab-dev."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.helpers.console import HOMELAB, REPO
from tests.helpers.gitops import commit, init_repo

WEB = 'homelab-dev-web-1'


def dev_repo(tmp_path: Path) -> tuple[Path, Path]:
    """(repository, config file): compose.dev.yml committed to a new repository, configured as homelab-dev."""
    repo = tmp_path / 'repo'
    init_repo(repo)
    shutil.copy(REPO / 'compose.dev.yml', repo / 'compose.dev.yml')
    commit(repo, 'the dev stack')
    config = tmp_path / 'homelab.toml'
    config.write_text('[stacks.homelab-dev]\nfiles = ["compose.dev.yml"]\n')
    return repo, config


def create_token(env: dict[str, str]) -> str:
    created = subprocess.run(
        [*HOMELAB, 'token', 'create', 'acceptance'], env=env, cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert created.returncode == 0, created.stderr
    return created.stdout.strip()


def summary(url: str, token: str) -> dict[str, Any]:
    response = httpx.get(f'{url}/summary', headers={'Authorization': f'Bearer {token}'}, timeout=10)
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    return data


def dev_drift(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in data['drift'] if d['stack'] == 'homelab-dev']


def todays_events(data_dir: Path) -> list[dict[str, Any]]:
    path = data_dir / 'events' / datetime.now(UTC).strftime('%Y-%m-%d') / 'events.jsonl'
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding='utf-8').splitlines() if line.strip()]


def journal_tells(data_dir: Path, *, container: str, action_id: int | str, actor: str | None = None) -> bool:
    """Today's events.jsonl holds the container's stop, the action's approval (by `actor`, if given) and a
    succeeded run of the action's operation."""
    events = todays_events(data_dir)
    stop = any(e.get('source') == 'engine' and e.get('action') == 'stop' and e.get('name') == container for e in events)
    approvals = [
        e
        for e in events
        if e.get('source') == 'action' and str(e.get('action_id')) == str(action_id) and e.get('state') == 'approved'
    ]
    run = any(
        e.get('source') == 'operation' and e.get('state') == 'succeeded' and e.get('operation') == 'stack_service_up'
        for e in events
    )
    return stop and bool(approvals) and run and (actor is None or approvals[0].get('actor') == actor)
