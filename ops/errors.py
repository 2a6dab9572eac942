"""The project's own error types, as operations and the manager raise them."""

from __future__ import annotations


class Refused(Exception):
    """The request is well-formed but not allowed against the world (missing container, out of scope...).

    Raised by world checks before anything runs; the run ends `rejected` with this message.
    """


class OperationFailed(Exception):
    """The operation ran and failed in a way it can explain (exit status, engine error...)."""
