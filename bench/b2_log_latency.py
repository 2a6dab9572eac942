"""B2 log latency: emit timestamp -> text visible in headless Chromium, at 1k and 5k lines/s.

Not measured yet: it needs a signed-in headless Chromium session driving the console (RIG.md: Debian's
chromium + chromedriver, or Playwright with executable_path=/usr/bin/chromium) and in-page timing hooks.
"""

from __future__ import annotations

ID = 'B2'
TITLE = 'log latency: emit timestamp -> text visible in headless Chromium, at 1k and 5k lines/s'
TARGET = 'p95 < 100 ms at 1k/s, < 250 ms at 5k/s; every line shown or counted in a visible skipped marker'
NOT_MEASURED = 'needs in-page timing of the log view (emit timestamp -> text visible) under a flood; not written yet'
