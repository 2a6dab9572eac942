"""What the store keeps and hashes: text and JSON values made storable exactly as they will read back."""

from __future__ import annotations

import math
from typing import Any

# The integers the store's JSON encoder takes; larger ones are kept as their digits.
_SMALLEST, _LARGEST = -(2**63), 2**64 - 1
_DEEPEST = 64  # anything nested deeper is kept as its text


def storable_text(text: str) -> str:
    """`text`, with each lone surrogate (which UTF-8 cannot hold) written as its escape: '\\ud800' (readable)."""
    try:
        text.encode('utf-8')
    except UnicodeEncodeError:
        return text.encode('utf-8', 'backslashreplace').decode('utf-8')
    return text


def storable(value: Any, depth: int = 0) -> Any:
    """`value` as JSON that reads back as itself: keys as text, tuples as lists, lone surrogates escaped, NaN,
    infinities and integers beyond 64 bits as text, anything else as its text. (A new value: the caller's is
    left as it was.)"""
    kind = type(value)
    if kind is str:
        return storable_text(value)
    if kind is bool or value is None:
        return value
    if kind is int:
        return value if _SMALLEST <= value <= _LARGEST else str(value)
    if kind is float:
        return value if math.isfinite(value) else str(value)
    if depth < _DEEPEST:
        if isinstance(value, dict):
            return {_key(key): storable(item, depth + 1) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [storable(item, depth + 1) for item in value]
    if isinstance(value, str):  # subclasses (an enum of them, say) as the value they hold, as JSON writes them
        return storable_text(str.__str__(value))
    if isinstance(value, int | float):
        return storable(int(value) if isinstance(value, int) else float(value), depth)
    return storable_text(str(value))


def _key(key: Any) -> str:
    """A key as JSON names it."""
    if isinstance(key, str):
        return storable_text(str.__str__(key))
    if key is None or isinstance(key, bool):
        return 'null' if key is None else ('true' if key else 'false')
    if isinstance(key, int | float):
        return int.__repr__(key) if isinstance(key, int) else float.__repr__(key)
    return storable_text(str(key))
