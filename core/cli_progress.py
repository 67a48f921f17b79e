"""A terminal progress bar, safe terminal text, and Ctrl-C / SIGTERM / SIGHUP handling for the headless
run (no third-party dependency)."""

from __future__ import annotations

import re
import signal
import sys
import time

# C0/C1 controls (ESC starts ANSI/OSC sequences; CR/LF would spoof a second line), bidi and zero-width
# format characters (they reorder or hide what is shown) and lone surrogates (they cannot be encoded).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]")


def terminal_safe(text) -> str:
    """``text`` with every character that could act on a terminal shown as an escape code instead
    (``\\x1b``, ``\\n``, ``\\u202e``): names from a user's files print as one inert line."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii") if ord(m.group()) < 0x100
                       else f"\\u{ord(m.group()):04x}", str(text))


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
        message = terminal_safe(message)
        fraction = max(0.0, min(1.0, fraction)) if fraction == fraction else 0.0
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


STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class StopOnInterrupt:
    """Turn the first Ctrl-C, SIGTERM or SIGHUP into a polite stop request (``should_stop()`` becomes
    True, so the run stops between steps and removes what it had written); a second one interrupts at
    once. ``signal_name`` says which arrived ("Ctrl-C", "SIGTERM", "SIGHUP") and ``exit_code`` is the
    shell's convention for it (128 + signal number: 130, 143, 129)."""

    def __init__(self):
        self.requested = False
        self.signum: int | None = None
        self._previous: dict = {}

    def __enter__(self):
        for sig in STOP_SIGNALS:
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except (ValueError, OSError):  # not the main thread: leave signals alone
                pass
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self.signum = signum

    @property
    def signal_name(self) -> str:
        if self.signum is None or self.signum == signal.SIGINT:
            return "Ctrl-C"
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or signal.SIGINT)

    def __call__(self) -> bool:
        return self.requested

    def __exit__(self, *exc):
        for sig, previous in self._previous.items():
            if previous is not None:
                signal.signal(sig, previous)
        self._previous = {}
        return False
