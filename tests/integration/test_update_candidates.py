"""Issue 16's update candidates on the real engine and the rig's registry: tags 1.0.0, 1.1.0, 1.2.0-rc1 and 2.0.0
of an image of our own are pushed; a service on 1.0.0 gets 1.1.0 and 2.0.0 (not the rc) with their changelog links
and the diff; the diff, applied and committed in the watched repository, becomes the drift loop's proposal, which,
approved, runs 2.0.0."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from ops.maintenance.candidates import CandidateReport, UpdateCandidates
from tests.helpers.candidate_images import SOURCE, pushed_versions
from tests.helpers.docker_ops import docker_client, project_containers, unique, write_stack
from tests.helpers.gitops import commit, git, gitops_loop, init_repo

TAGS = ('1.0.0', '1.1.0', '1.2.0-rc1', '2.0.0')


@pytest.fixture
def pushed() -> Iterator[str]:
    with pushed_versions(TAGS, keep='1.0.0') as repository:
        yield repository


async def test_candidates_of_a_pinned_service_and_the_committed_diff_runs(tmp_path: Path, pushed: str) -> None:
    stack = unique()
    repo = tmp_path / 'repo'
    init_repo(repo)
    write_stack(repo, {'app': {'image': f'{pushed}:1.0.0'}, 'side': {'image': 'homelab-dev/busybox:latest'}})
    commit(repo, 'app on 1.0.0')
    async with gitops_loop(tmp_path, stack) as loop:
        await loop.up()
        await loop.in_line()
        candidates = UpdateCandidates(loop.adapters)
        heard: list[CandidateReport] = []
        candidates.changed.subscribe(heard.append)

        report = await candidates.refresh('schedule:nightly')
        assert heard == [report] and report.actor == 'schedule:nightly'
        rows = {row.service: row for row in report.services if row.stack == stack}
        app = rows['app']
        assert app.error == '' and app.current == '1.0.0'
        assert [c.tag for c in app.candidates] == ['2.0.0', '1.1.0']  # newest first, not the rc
        newest = app.candidates[0]
        assert newest.links == (('source', SOURCE),) and newest.version == '2.0.0'
        assert rows['side'].note == 'latest is not a version tag' and rows['side'].candidates == ()
        change = newest.change
        assert change.problem == '' and change.path == 'compose.yml'
        assert f'-    image: {pushed}:1.0.0\n' in change.diff and f'+    image: {pushed}:2.0.0\n' in change.diff
        assert git(repo, 'status', '--porcelain') == ''  # the repository was only read

        # The owner applies the diff and commits: the drift loop proposes the recreate, approved it runs 2.0.0.
        (tmp_path / 'app.patch').write_text(change.diff)
        git(repo, 'apply', str(tmp_path / 'app.patch'))
        commit(repo, 'app: 2.0.0')
        action = await loop.pending('config', 'app')
        done = await loop.approve_and_finish(action)
        assert done.state == 'done', done.error
        running = project_containers(stack)['app']
        inspected = await asyncio.to_thread(docker_client().api.inspect_container, running['id'])
        assert inspected['Config']['Image'] == f'{pushed}:2.0.0'
        assert inspected['Config']['Labels']['org.opencontainers.image.version'] == '2.0.0'
        await loop.in_line()

        # On 2.0.0 nothing newer is left; cached answers are used when not forced.
        again = await candidates.refresh('ui:admin', force=False)
        app_again = next(r for r in again.services if r.stack == stack and r.service == 'app')
        assert app_again.current == '2.0.0' and app_again.candidates == ()
