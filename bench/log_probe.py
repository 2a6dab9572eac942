"""What B2 and B4 share: a paced flooding container, the engine's own reading of it, and an in-page line probe.

The container waits for /tmp/go, then prints `lines` numbered lines (`seq=00000001 ...`, all the same length) at
`rate` lines/s, paced by /proc/uptime (busybox has no sub-second `date`), then `burst` more as fast as awk can.
The emit time of a line is the engine's own timestamp for it (`docker logs --timestamps`): busybox cannot stamp
its lines, and the engine stamps each line as it reads it from the container's pipe.
The probe is a MutationObserver on the log view: each line's number is read from its text when it enters the DOM,
and stamped with the wall clock (performance.timeOrigin + performance.now()) in the next animation frame, i.e.
the frame that paints it. "N lines skipped" markers are summed as they appear.
"""

from __future__ import annotations

import calendar
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bench.common import create_container, exec_in, spawn, stop_process

PAD = 'INFO worker[7] handled request status=200 bytes=5120 path=/api/v1/items/0123456789abcdef'
LINE_BYTES = len(f'seq=00000000 {PAD}\n')


def flood_script(lines: int, rate: int, burst: int = 0) -> str:
    """A busybox sh script: wait for /tmp/go, `lines` lines at `rate`/s, then `burst` lines at once; then idle."""
    paced = (
        f'read u r < /proc/uptime; s=${{u%.*}}${{u#*.}}; i=0; '
        f'while [ $i -lt {lines} ]; do '
        f'read u r < /proc/uptime; t=$(( (${{u%.*}}${{u#*.}} - s) * {rate} / 100 )); '
        f'[ $t -gt {lines} ] && t={lines}; '
        f'while [ $i -lt $t ]; do i=$((i+1)); printf "seq=%08d %s\\n" $i "{PAD}"; done; '
        'usleep 2000; done; '
    )
    rushed = (
        f'awk -v a={lines + 1} -v b={lines + burst} '
        f'\'BEGIN {{ for (i = a; i <= b; i++) printf "seq=%08d {PAD}\\n", i }}\'; '
        if burst
        else ''
    )
    return f'while [ ! -e /tmp/go ]; do usleep 20000; done; {paced}{rushed}exec sleep 3600'


def flood_container(lines: int, rate: int, burst: int = 0) -> str:
    return create_container('logflood', ['sh', '-c', flood_script(lines, rate, burst)])


def go(name: str) -> None:
    exec_in(name, ['touch', '/tmp/go'])


@dataclass
class EngineReading:
    """`docker logs -f --timestamps NAME`: each line's engine timestamp and when this reader got it (unix s)."""

    name: str
    stamps: dict[int, float] = field(default_factory=dict)  # seq -> engine timestamp
    received: dict[int, float] = field(default_factory=dict)  # seq -> read by this process
    _chunks: list[tuple[float, bytes]] = field(default_factory=list)

    def start(self) -> EngineReading:
        self._proc = spawn(
            ['docker', 'logs', '-f', '--timestamps', self.name], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self._thread = threading.Thread(target=self._read, name='engine-reading', daemon=True)
        self._thread.start()
        return self

    def _read(self) -> None:
        assert self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while chunk := os.read(fd, 65536):
            self._chunks.append((time.time(), chunk))

    @property
    def lines(self) -> int:
        return sum(chunk.count(b'\n') for _, chunk in self._chunks)

    def stop(self) -> None:
        """Stop reading and parse what was read (parsing waits: it must not compete with the run)."""
        stop_process(self._proc)
        self._thread.join(5)
        seconds: dict[str, float] = {}
        rest = b''
        for at, chunk in self._chunks:
            data = rest + chunk
            *whole, rest = data.split(b'\n')
            for raw in whole:
                stamp, _, text = raw.decode(errors='replace').partition(' ')
                if not text.startswith('seq='):
                    continue
                seq = int(text[4:12])
                self.stamps[seq] = unix_time(stamp, seconds)
                self.received[seq] = at


def unix_time(stamp: str, cache: dict[str, float]) -> float:
    """RFC 3339 with nanoseconds (`2026-11-30T19:56:13.123456789Z`) -> unix seconds."""
    whole, _, frac = stamp.rstrip('Z').partition('.')
    base = cache.get(whole)
    if base is None:
        base = cache[whole] = float(calendar.timegm(time.strptime(whole, '%Y-%m-%dT%H:%M:%S')))
    return base + (float(f'0.{frac}') if frac else 0.0)


# Installed once the log view is on the page. window.__probe: first sight of each line number (wall-clock ms,
# painted frame and DOM insertion), the skipped lines counted by markers, and (for B4) long tasks.
PROBE_JS = """
const size = arguments[0];
const view = document.querySelector('.log-view');
const probe = window.__probe = {
  painted: new Float64Array(size + 1), inserted: new Float64Array(size + 1), shown: 0, skipped: 0, markers: 0,
  longtasks: [], pending: [], frame: false, other: 0,
};
const wall = () => performance.timeOrigin + performance.now();
const seen = (node) => {
  if (node.nodeType !== 1) return;
  if (!node.classList.contains('log-line')) {
    for (const child of node.querySelectorAll('.log-line')) seen(child);
    return;
  }
  if (probe.marked === undefined) probe.marked = new WeakSet();
  if (node.classList.contains('log-skipped')) {
    if (probe.marked.has(node)) return;
    probe.marked.add(node);
    const m = /([0-9]+) lines skipped/.exec(node.textContent);
    if (m) { probe.skipped += Number(m[1]); probe.markers++; }
    return;
  }
  const m = /seq=([0-9]{8})/.exec(node.textContent);
  if (!m) { probe.other++; return; }
  const seq = Number(m[1]);
  if (seq > size || probe.inserted[seq]) return;
  probe.inserted[seq] = wall();
  probe.shown++;
  probe.pending.push(seq);
};
new MutationObserver((records) => {
  for (const record of records) for (const node of record.addedNodes) seen(node);
  if (probe.pending.length && !probe.frame) {
    probe.frame = true;
    requestAnimationFrame(() => {
      const now = wall();
      for (const seq of probe.pending) probe.painted[seq] = now;
      probe.pending = [];
      probe.frame = false;
    });
  }
}).observe(view, { childList: true, subtree: true });
try {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) probe.longtasks.push([entry.startTime, entry.duration]);
  }).observe({ type: 'longtask', buffered: true });
} catch (e) { probe.longtasks = null; }
// Where a long frame's time went: [start, duration, script ms, of which forced style/layout, style+layout+paint ms,
// the longest script's invoker].
probe.frames = [];
try {
  new PerformanceObserver((list) => {
    for (const f of list.getEntries()) {
      const scripts = f.scripts.reduce((sum, s) => sum + s.duration, 0);
      const forced = f.scripts.reduce((sum, s) => sum + s.forcedStyleAndLayoutDuration, 0);
      const render = f.renderStart ? f.startTime + f.duration - f.renderStart : 0;
      const top = f.scripts.reduce((a, b) => (a && a.duration >= b.duration ? a : b), null);
      const who = top ? `${top.invokerType} ${top.invoker} ${top.sourceFunctionName || ''}`.trim() : '';
      probe.frames.push([f.startTime, f.duration, scripts, forced, render, who]);
    }
  }).observe({ type: 'long-animation-frame', buffered: true });
} catch (e) { probe.frames = null; }
return true;
"""

COUNTS_JS = 'const p = window.__probe; return [p.shown, p.skipped, p.markers, p.other]'
# Returns [[seq, painted ms, inserted ms], ...] for every line seen.
TIMES_JS = """
const p = window.__probe, out = [];
for (let seq = 1; seq < p.painted.length; seq++) if (p.inserted[seq]) out.push([seq, p.painted[seq], p.inserted[seq]]);
return out;
"""


def frame_bytes(entries: list[dict[str, Any]]) -> tuple[int, int]:
    """(bytes, frames) the page received on its websockets, from DevTools performance-log entries."""
    import json

    total = frames = 0
    for entry in entries:
        message = json.loads(entry['message'])['message']
        if message.get('method') == 'Network.webSocketFrameReceived':
            total += len(str(message['params']['response'].get('payloadData', '')).encode())
            frames += 1
    return total, frames
