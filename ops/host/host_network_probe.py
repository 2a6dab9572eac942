"""host_network_probe: ping, resolve, connect to or GET a target the operator configured as a probe."""

from __future__ import annotations

from ops.adapters import Adapters
from ops.checks import probe_configured
from ops.descriptions import Description, OperationGroup
from ops.errors import Refused
from ops.host.network import probe_problem, run_probe
from ops.host.results import jsonable
from ops.params import ProbeName, StrictParams
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.supervision import reading


class Params(StrictParams):
    """Which configured probe to run ([probes.<name>] in the config)."""

    target: ProbeName


async def check(params: Params, adapters: Adapters, mutating: bool) -> None:
    """Only configured probes, and only ones that can run as written."""
    probe_configured(params.target, adapters)
    problem = probe_problem(adapters.config.probes[params.target])
    if problem:
        raise Refused(f'probe {params.target!r} cannot run: {problem}')


@operation(
    'host_network_probe',
    summary='Run a configured network probe (ping, DNS, DNS over TLS or HTTPS, TCP or HTTP): ok, latency and detail',
    params=Params,
    described=Description('Run a network probe', OperationGroup.HOST, 'network_check'),
    # The longest probe timeout is 60 s; a ping that falls back to TCP may take two of them.
    supervised=reading(timeout=150),
    check=check,
)
async def host_network_probe(params: Params, ctx: RunContext) -> Result:
    """One probe; an unreachable target is a result with ok=false, not a failed run."""
    probe = ctx.adapters.config.probes[params.target]
    ctx.log(f'probe {params.target}: {probe.kind} {probe.target}' + (f' port {probe.port}' if probe.port else ''))
    result = await run_probe(params.target, probe)
    latency = f'{result.latency_ms:.1f} ms' if result.latency_ms is not None else 'no latency'
    ctx.log(f'{"ok" if result.ok else "FAILED"} ({result.method}, {latency}): {result.detail}')
    return dict(jsonable(result))
