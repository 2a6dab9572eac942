"""GET /metrics on the real app: refused without a token, with a wrong one, with one in the URL and once revoked;
with a token it is Prometheus' text format, read back by prometheus-client's own parser, with the console's runs
and the host's newest reading."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from app.auth.tokens import create_token, revoke_token
from ops.runs import RunState
from ops.store.models import Run
from tests.helpers.waiting import wait_for_async


async def test_metrics_needs_a_bearer_token_and_parses_with_prometheus_clients_parser(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        http = user.http_client
        assert (await http.get('/metrics', follow_redirects=False)).status_code == 401
        wrong = {'Authorization': 'Bearer hlp_wrong'}
        assert (await http.get('/metrics', headers=wrong, follow_redirects=False)).status_code == 401
        token = await create_token('prometheus')
        assert (await http.get(f'/metrics?token={token}', follow_redirects=False)).status_code == 401  # never a URL
        await Run.create(operation='docker_status', params={}, actor='cli:root', origin='cli', state=RunState.SUCCEEDED)
        headers = {'Authorization': f'Bearer {token}'}
        response = await http.get('/metrics', headers=headers)
        assert response.status_code == 200
        assert response.headers['content-type'].startswith(
            'text/plain; version=0.0.4'
        )  # unless OpenMetrics is asked for
        families = {family.name: family for family in text_string_to_metric_families(response.text)}
        assert {
            'homelab_engine_reachable', 'homelab_container_running', 'homelab_container_cpu_percent',
            'homelab_stack_cpu_percent', 'homelab_runs', 'homelab_alerts_open', 'homelab_outbox_messages',
        } <= set(families)  # fmt: skip
        runs = {(s.labels['operation'], s.labels['state']): s.value for s in families['homelab_runs'].samples}
        assert runs == {('docker_status', 'succeeded'): 1}
        outbox = {s.labels['state']: s.value for s in families['homelab_outbox_messages'].samples}
        assert outbox == {'pending': 0, 'held': 0, 'sent': 0, 'failed': 0}

        async def host_cpu() -> list[float]:
            body = (await http.get('/metrics', headers=headers)).text
            return [s.value for f in text_string_to_metric_families(body) if f.name == 'homelab_host_cpu_percent'
                    for s in f.samples]  # fmt: skip

        [cpu] = await wait_for_async(host_cpu, timeout=15, what="the host sampler's first reading in /metrics")
        assert 0 <= cpu <= 100
        summary = (await http.get('/summary', headers=headers)).json()
        assert summary['containers']['items'] == []
        await revoke_token('prometheus')
        assert (await http.get('/metrics', headers=headers, follow_redirects=False)).status_code == 401
