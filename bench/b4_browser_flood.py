"""B4 browser under a flood: 2k lines/s for 2 min, then a 40k-line burst.

Not measured yet: it needs a signed-in headless Chromium session driving the console (RIG.md: Debian's
chromium + chromedriver, or Playwright with executable_path=/usr/bin/chromium) and in-page timing hooks.
"""

from __future__ import annotations

ID = 'B4'
TITLE = 'browser under a flood: 2k lines/s for 2 min, then a 40k-line burst'
TARGET = 'page heap growth < 50 MB, DOM lines bounded, no main-thread task > 200 ms, wire bytes <= 1.3x raw'
NOT_MEASURED = 'needs a 2+ minute flood with heap, long-task and wire-byte probes in Chromium; not written yet'
