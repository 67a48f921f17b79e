"""Errors a user can act on.

Everything the user handed in (a model file, a conditions file, an option) that is wrong raises
``InputError`` with one sentence naming the thing and the problem. The CLI prints it on one line and
exits non-zero; the GUI shows it in a dialog. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """A problem with something the user supplied, phrased for the user."""

    def __init__(self, message: str, source: str | Path | None = None):
        self.source = str(source) if source is not None else None
        super().__init__(f"{self.source}: {message}" if self.source else message)


class Cancelled(Exception):
    """Raised inside a long computation when ``should_stop()`` returned True."""


def check_stop(should_stop) -> None:
    if should_stop is not None and should_stop():
        raise Cancelled()
