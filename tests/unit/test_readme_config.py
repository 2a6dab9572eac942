"""Every TOML example in the README is a config the console accepts (a reader copies them as they stand)."""

from __future__ import annotations

import re
from pathlib import Path

from ops.config import load_config

README = Path(__file__).resolve().parents[2] / 'README.md'


def test_every_toml_example_in_the_readme_loads(tmp_path: Path) -> None:
    blocks = re.findall(r'```toml\n(.*?)```', README.read_text(), flags=re.S)
    assert len(blocks) >= 3
    for index, block in enumerate(blocks):
        path = tmp_path / f'example-{index}.toml'
        path.write_text(block)
        load_config(path)  # raises ConfigError, naming the key, for an example that drifted from the code
    alerts = next(b for b in blocks if '[alerts]' in b)
    config = load_config(tmp_path / f'example-{blocks.index(alerts)}.toml')
    assert config.alerts.rules['crash_loop'].count == 5 and config.notify.channels['phone'].quiet_hours
