"""ANSI colour codes in log text as (text, css class) segments: the text stays text, colours become classes."""

from __future__ import annotations

import re

# SGR (colour) sequences become classes; every other escape sequence (cursor moves, titles...) is dropped.
_ESCAPE = re.compile(r'\x1b\[([0-9;?]*)([A-Za-z])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?')
_CONTROL = re.compile(r'[\x00-\x08\x0b-\x1f\x7f]')
_COLOURS = {**{30 + i: f'fg{i}' for i in range(8)}, **{90 + i: f'fg{i + 8}' for i in range(8)}}
_BACKGROUNDS = {**{40 + i: f'bg{i}' for i in range(8)}, **{100 + i: f'bg{i + 8}' for i in range(8)}}

Segment = tuple[str, str]


def segments(text: str) -> list[Segment]:
    """The text between escape sequences, each piece with the classes its colours give it (e.g. 'ansi-fg1 ansi-b')."""
    parts: list[Segment] = []
    style = _Style()
    start = 0
    for match in _ESCAPE.finditer(text):
        _add(parts, text[start : match.start()], style.classes())
        if match.group(2) == 'm':
            style.apply(match.group(1))
        start = match.end()
    _add(parts, text[start:], style.classes())
    return parts


def plain(text: str) -> str:
    """The text without escape sequences (for downloads and matching)."""
    return _CONTROL.sub('', _ESCAPE.sub('', text))


def _add(parts: list[Segment], piece: str, classes: str) -> None:
    piece = _CONTROL.sub('', piece)
    if not piece:
        return
    if parts and parts[-1][1] == classes:
        parts[-1] = (parts[-1][0] + piece, classes)
    else:
        parts.append((piece, classes))


class _Style:
    def __init__(self) -> None:
        self.fg: str | None = None
        self.bg: str | None = None
        self.bold = False
        self.dim = False
        self.underline = False

    def apply(self, codes: str) -> None:
        for code in [int(c) for c in codes.split(';') if c.isdigit()] or [0]:
            if code == 0:
                self.__init__()  # type: ignore[misc]
            elif code == 1:
                self.bold = True
            elif code == 2:
                self.dim = True
            elif code == 4:
                self.underline = True
            elif code == 22:
                self.bold = self.dim = False
            elif code == 24:
                self.underline = False
            elif code in _COLOURS:
                self.fg = _COLOURS[code]
            elif code == 39:
                self.fg = None
            elif code in _BACKGROUNDS:
                self.bg = _BACKGROUNDS[code]
            elif code == 49:
                self.bg = None

    def classes(self) -> str:
        names = [f'ansi-{name}' for name in (self.fg, self.bg) if name]
        names += [f'ansi-{flag}' for flag, on in (('b', self.bold), ('d', self.dim), ('u', self.underline)) if on]
        return ' '.join(names)
