from __future__ import annotations

import io

from core.cli_progress import TerminalProgress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_finished_bar_ends_its_line_once():
    out = _Tty()
    bar = TerminalProgress(stream=out)
    bar(0.5, "half")
    bar(1.0, "done")
    bar.finish()
    assert out.getvalue().count("\n") == 1 and out.getvalue().endswith("\n")


def test_finish_ends_a_bar_stopped_part_way():
    out = _Tty()
    bar = TerminalProgress(stream=out)
    bar(0.3, "working")
    bar.finish()
    bar.finish()
    assert out.getvalue().count("\n") == 1 and out.getvalue().endswith("\n")


def test_not_a_terminal_writes_one_line_per_message():
    out = io.StringIO()
    bar = TerminalProgress(stream=out)
    for f, m in ((0.1, "load"), (0.2, "load"), (1.0, "done")):
        bar(f, m)
    bar.finish()
    assert [line.split("] ")[1] for line in out.getvalue().splitlines()] == ["load", "done"]
