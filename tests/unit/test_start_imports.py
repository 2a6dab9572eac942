"""What `homelab serve` loads before anyone uses a feature: the libraries of OIDC, notifications, probes, metrics,
Compose files and log filters wait for their first use (each costs the idle console megabytes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Imported by the first OIDC sign-in, message sent, dns/http probe, /metrics scrape, compose file read, log filter.
LOADED_ON_FIRST_USE = (
    'authlib',
    'joserfc',
    'cryptography',
    'apprise',
    'dns',
    'httpx',
    'prometheus_client',
    'yaml',
    're2',
)


def test_serve_starts_without_the_libraries_of_features_nobody_used_yet() -> None:
    # A fresh interpreter: this one has imported them already (other tests).
    code = (
        'import json, sys\n'
        'import app.cli, app.main, app.cli.serve\n'
        f'print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set({list(LOADED_ON_FIRST_USE)!r}))))\n'
    )
    done = subprocess.run(
        [sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
