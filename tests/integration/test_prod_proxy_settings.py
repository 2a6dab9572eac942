"""The production container behind a proxy on the Docker host, set up as docs/deploy.md says (homelab.env:
HOMELAB_TRUSTED_PROXIES=["gateway"], HOMELAB_ALLOWED_HOSTS): the proxy's headers count, foreign names do not."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.helpers.prod_stack import PROD_IMAGE, build_prod_image, prod_stack

NAME = 'homelab.example.lan'


def test_a_proxy_on_the_docker_host_is_believed_when_the_env_file_names_the_gateway(tmp_path: Path) -> None:
    build_prod_image(PROD_IMAGE)  # cached: only what changed is rebuilt
    with prod_stack(tmp_path) as stack:
        env_file = stack.root / 'homelab.env'
        env_file.write_text(
            env_file.read_text() + f'HOMELAB_TRUSTED_PROXIES=["gateway"]\nHOMELAB_ALLOWED_HOSTS=["{NAME}"]\n'
        )
        stack.up()
        # What tailscale serve or nginx on the host sends to the published port.
        proxied = {'Host': f'{NAME}:{stack.port}', 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '100.64.0.9'}
        login = httpx.get(f'{stack.url}/login', headers=proxied, timeout=10)
        assert login.status_code == 200
        session = [c for c in login.headers.get_list('set-cookie') if c.startswith('session=')]
        assert session and 'secure' in session[0].lower(), login.headers
        assert httpx.get(f'{stack.url}/login', headers={'Host': 'evil.example'}, timeout=10).status_code == 400
        assert httpx.get(f'{stack.url}/login', timeout=10).status_code == 200  # the published address
