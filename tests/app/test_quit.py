"""File → Quit and the window's close button end the program, compute process included (issue 16).

The program runs its own event loop (app.launch), where QApplication.lastWindowClosed never fires:
the window used to disappear while the process and its compute child kept running. These tests run
the real ``main.py gui`` in a subprocess (offscreen; under Xvfb in tests/app/test_xvfb.py) through
tests/app/quit_driver.py and check that it exits, with its compute child, within 5 s of the quit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

DRIVER = Path(__file__).with_name("quit_driver.py")
QUIT_LIMIT_S = 5.0
START_TIMEOUT_S = 240.0  # start-up and a textbook run on a loaded 2-core machine


def gui_env(platform: str = "offscreen") -> dict:
    """The environment of a child window: its own settings and data folders, never the user's."""
    home = tempfile.mkdtemp(prefix="metattn-quit-")
    env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(home, "config"), METATTN_DATA_DIR=os.path.join(home, "data"),
               PYTHONUNBUFFERED="1")
    if platform:
        env["QT_QPA_PLATFORM"] = platform
    else:
        env.pop("QT_QPA_PLATFORM", None)
    return env


def run_and_quit(command: list[str], env: dict) -> dict:
    """Start ``command`` (the driver, perhaps under xvfb-run), follow its output, and return what
    happened: ``lines`` printed, ``compute`` pid, seconds from QUIT to the exit, the exit code."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines, compute, quit_at = [], None, None
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        for line in proc.stdout:
            lines.append(line.rstrip())
            if line.startswith("COMPUTE "):
                compute = psutil.Process(int(line.split()[1]))
            if line.startswith("QUIT"):
                quit_at = time.monotonic()
                break
            if time.monotonic() > deadline:
                break
        assert quit_at is not None, "the driver never quit:\n" + "\n".join(lines[-30:])
        try:
            code = proc.wait(timeout=QUIT_LIMIT_S + 20)
        except subprocess.TimeoutExpired:
            code = None
        exited_after = time.monotonic() - quit_at
        lines += [x.rstrip() for x in proc.stdout.read().splitlines()] if code is not None else []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    child_alive = compute is not None and compute.is_running() and compute.status() != psutil.STATUS_ZOMBIE
    if child_alive:
        compute.kill()
    return {"lines": lines, "compute": compute, "seconds": exited_after, "code": code, "child_alive": child_alive}


def driver(*ours: str, gui: tuple[str, ...] = ()) -> list[str]:
    return [sys.executable, str(DRIVER), *ours, "--", *gui]


def check_quit(outcome: dict) -> None:
    tail = "\n".join(outcome["lines"][-30:])
    assert outcome["code"] is not None, f"still running {QUIT_LIMIT_S + 20:.0f} s after Quit:\n{tail}"
    assert outcome["code"] == 0, tail
    assert outcome["seconds"] < QUIT_LIMIT_S, f"exit took {outcome['seconds']:.1f} s:\n{tail}"
    assert outcome["compute"] is not None, tail
    assert not outcome["child_alive"], "the compute process outlived the window"
    assert "Traceback" not in tail, tail


@pytest.mark.parametrize("how", ["menu", "close"])
def test_quit_ends_the_program_and_its_compute_process(how):
    check_quit(run_and_quit(driver("--when", "idle", "--how", how), gui_env()))


def test_quit_during_a_run_ends_the_program_and_its_compute_process():
    outcome = run_and_quit(driver("--when", "running", gui=("--model", "textbook", "--run")), gui_env())
    check_quit(outcome)
