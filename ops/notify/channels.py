"""A channel's URL (inline, from a file or an env var) and one message sent to it, its secrets scrubbed from
every reason given back."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

from ops.config import ChannelConfig
from ops.log_text import one_line
from ops.notify.apprise_call import deliver
from ops.notify.scrub import scrub


class ChannelProblem(Exception):
    """The channel's URL cannot be had (its file or env var is missing or empty); the text never holds the URL."""


@dataclass(frozen=True)
class Outcome:
    """How one send went: `reason` is scrubbed, empty when sent."""

    sent: bool
    reason: str = ''


def channel_url(channel: ChannelConfig) -> str:
    """The channel's URL as it stands now (a file or env var is read at each send, so a rotated secret applies)."""
    if channel.url is not None:
        url = channel.url.get_secret_value()
    elif channel.url_file is not None:
        try:
            url = Path(channel.url_file).read_text(encoding='utf-8')
        except OSError as err:
            raise ChannelProblem(
                f'cannot read url_file {channel.url_file}: {err.strerror or type(err).__name__}'
            ) from None
        except UnicodeDecodeError:
            raise ChannelProblem(f'url_file {channel.url_file} is not UTF-8 text') from None
    else:
        url = os.environ.get(channel.url_env or '', '')
        if not url.strip():
            raise ChannelProblem(f'the environment variable {channel.url_env} is not set')
    url = url.strip()
    if not url:
        raise ChannelProblem('the channel URL is empty')
    return url


async def send(channel: ChannelConfig, *, title: str, body: str, severity: str, timeout: float) -> Outcome:
    """Send one message now (apprise in a thread, at most `timeout` seconds); never raises for a failed send."""
    try:
        url = channel_url(channel)
    except ChannelProblem as err:
        return Outcome(False, str(err))
    try:
        delivery = await asyncio.wait_for(
            asyncio.to_thread(deliver, url, title=title, body=body, severity=severity), timeout
        )
    except TimeoutError:
        return Outcome(False, f'no answer within {timeout:g} s')
    except Exception as err:  # apprise or a plugin raised: the reason, scrubbed
        return Outcome(False, one_line(scrub(f'{type(err).__name__}: {err}', url), 300))
    if delivery.sent:
        return Outcome(True)
    return Outcome(False, one_line(scrub(delivery.said or 'apprise could not deliver it', url), 300))
