"""The one place a subprocess is started: argv lists only, never a shell; timeout kills the process group.

Output is read line by line, each line capped, and only the last `max_lines` kept (plus a dropped count).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

MAX_LINE = 4096


class ProcError(Exception):
    """The program could not be started (not found, not executable)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ProcResult:
    argv: tuple[str, ...]
    returncode: int | None
    lines: tuple[str, ...]
    dropped: int
    timed_out: bool

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def output(self) -> str:
        return '\n'.join(self.lines)


async def run_process(
    argv: Sequence[str],
    *,
    timeout: float,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    on_line: Callable[[str], object] | None = None,
    max_lines: int = 5000,
    stdin: bytes | None = None,
) -> ProcResult:
    """Run argv (a list, never a string) with stdout+stderr merged; kill its whole process group at timeout.

    Cancellation of the awaiting task also kills the group, so nothing outlives its run.
    """
    _check_argv(argv)
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            start_new_session=True,  # its own process group, so a kill reaches every child
        )
    except (FileNotFoundError, PermissionError) as err:
        raise ProcError(f'cannot start {argv[0]}: {err.strerror or err}') from err

    lines: deque[str] = deque(maxlen=max_lines)
    dropped = 0

    async def pump() -> None:
        nonlocal dropped
        assert process.stdout is not None
        if stdin is not None and process.stdin is not None:
            process.stdin.write(stdin)
            with contextlib.suppress(ConnectionError):
                await process.stdin.drain()
            process.stdin.close()
        while True:
            try:
                raw = await process.stdout.readuntil(b'\n')
            except asyncio.IncompleteReadError as err:
                raw = err.partial
                if not raw:
                    break
            except asyncio.LimitOverrunError as err:
                raw = await process.stdout.readexactly(err.consumed)
            line = raw.decode('utf-8', errors='replace').rstrip('\r\n')
            if len(line) > MAX_LINE:
                line = line[:MAX_LINE] + f' … [{len(line) - MAX_LINE} more characters]'
            if len(lines) == lines.maxlen:
                dropped += 1
            lines.append(line)
            if on_line is not None:
                on_line(line)
        await process.wait()

    timed_out = False
    try:
        await asyncio.wait_for(pump(), timeout=timeout)
    except TimeoutError:
        timed_out = True
    finally:
        if process.returncode is None:
            _kill_group(process.pid)
            with contextlib.suppress(ProcessLookupError):
                await asyncio.shield(process.wait())
    return ProcResult(
        argv=tuple(argv), returncode=process.returncode, lines=tuple(lines), dropped=dropped, timed_out=timed_out
    )


def start_helper(argv: Sequence[str], *, env: Mapping[str, str], stdio: int) -> subprocess.Popen[bytes]:
    """Start a long-lived helper (ssh to the engine) talking on the descriptor `stdio`; its stderr is a pipe.

    Its own session: no controlling terminal to prompt on, and a Ctrl-C to the console does not reach it.
    """
    _check_argv(argv)
    try:
        return subprocess.Popen(  # noqa: S603 - an argv list, never a shell
            list(argv),
            stdin=stdio,
            stdout=stdio,
            stderr=subprocess.PIPE,
            env=dict(env),
            start_new_session=True,
        )
    except (FileNotFoundError, PermissionError) as err:
        raise ProcError(f'cannot start {argv[0]}: {err.strerror or err}') from err


def _check_argv(argv: Sequence[str]) -> None:
    if isinstance(argv, str) or not argv or not all(isinstance(arg, str) for arg in argv):
        raise TypeError('run_process needs a non-empty list of strings (argv), never a command string')
    if any('\0' in arg for arg in argv):
        raise ValueError('an argument contains a NUL byte')


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
