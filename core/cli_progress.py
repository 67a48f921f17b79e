"""A terminal progress bar and Ctrl-C handling for the headless run (no third-party dependency)."""

from __future__ import annotations

import signal
import sys
import time


class TerminalProgress:
    """``progress(fraction, message)`` hook drawing one line on stderr; quiet when not a terminal."""

    def __init__(self, stream=None, width: int = 30, enabled: bool = True):
        self.stream = stream or sys.stderr
        self.width = width
        self.enabled = enabled
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.last_message = None
        self.line_open = False  # a bar is drawn and its line not yet ended
        self.start = time.perf_counter()

    def __call__(self, fraction: float, message: str) -> None:
        if not self.enabled:
            return
        fraction = max(0.0, min(1.0, fraction))
        elapsed = time.perf_counter() - self.start
        if self.tty:
            filled = int(round(self.width * fraction))
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r[{bar}] {fraction * 100:5.1f}% {elapsed:6.1f}s  {message[:60]:<60}")
            self.line_open = fraction < 1.0
            if not self.line_open:
                self.stream.write("\n")
            self.stream.flush()
        elif message != self.last_message:  # logs and CI: one line per stage message
            self.stream.write(f"[{fraction * 100:5.1f}% {elapsed:6.1f}s] {message}\n")
            self.stream.flush()
        self.last_message = message

    def finish(self) -> None:
        if self.line_open:
            self.stream.write("\n")
            self.stream.flush()
            self.line_open = False


class StopOnInterrupt:
    """Turn the first Ctrl-C into a polite stop request (``should_stop()`` becomes True); a second
    Ctrl-C interrupts at once."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def __enter__(self):
        try:
            self._previous = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread: leave signals alone
            self._previous = None
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __call__(self) -> bool:
        return self.requested

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False
