"""Scripted and unattended runs (--run, --screenshot, --self-test) never wait on a question (issue 19).

After a crash the previous session's lock and autosave are left behind; an unattended run takes the
default answer to "restore?" (no), keeps both for the next interactive launch, logs one line, and
exits on its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.robustness.test_file_safety import _dead_pid

ROOT = Path(__file__).resolve().parents[2]
EXIT_TIMEOUT_S = 240  # a textbook run with the compute process's start-up, on a loaded 2-core machine


def _crashed_session(data: Path, result) -> tuple[bytes, str]:
    """Leave behind what a killed window leaves: its autosave and a lock naming a dead process."""
    from app.project import save_project

    path = save_project(data / "autosave.mattn", result.settings, [], ["glucose", "acetate"], result.attention,
                        result.loaded.sha256)
    lock = f"{_dead_pid()}\n"
    (data / "session.lock").write_text(lock)
    return path.read_bytes(), lock


def test_screenshot_run_after_a_crash_exits_and_keeps_the_autosave(tmp_path, textbook_result):
    data = tmp_path / "data"
    autosave, lock = _crashed_session(data, textbook_result)
    shot = tmp_path / "shot.png"
    env = dict(os.environ, METATTN_DATA_DIR=str(data), QT_QPA_PLATFORM="offscreen",
               XDG_CONFIG_HOME=str(tmp_path / "config"))  # the child's QSettings, not the user's
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "gui", "--model", "textbook", "--conditions",
                           "glucose,acetate", "--run", "--screenshot", str(shot)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=EXIT_TIMEOUT_S)
    print(f"\nscreenshot run after a crash: exit {proc.returncode} after {time.perf_counter() - t0:.1f} s")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert shot.is_file() and "screenshot saved" in proc.stdout
    assert (data / "autosave.mattn").read_bytes() == autosave  # not restored, not overwritten
    assert (data / "session.lock").read_text() == lock  # the next interactive launch still offers it
    said = [line for line in proc.stderr.splitlines() if "did not close normally" in line]
    assert len(said) == 1 and "keeps its autosave" in said[0], proc.stderr[-3000:]


def test_an_unattended_window_asks_nothing(qtbot, fresh_settings, dialogs, textbook_result, tmp_path):
    from app.main_window import MainWindow, autosave_path

    autosave, lock = _crashed_session(autosave_path().parent, textbook_result)
    try:
        w = MainWindow(settings=fresh_settings, unattended=True)
        qtbot.addWidget(w)
        w.show()
        qtbot.wait(200)  # the attended window asks at the first event-loop turn
        existing = tmp_path / "report.json"
        existing.write_text("{}")
        assert w.confirm_overwrite([existing]) is False  # the safe answer: keep the file
        assert not w.projects.autosave_on  # no autosave over the crashed session's
        w.close()
        assert dialogs[0] == []
        assert autosave_path().read_bytes() == autosave
        assert (autosave_path().parent / "session.lock").read_text() == lock
    finally:
        (autosave_path().parent / "session.lock").unlink(missing_ok=True)
        autosave_path().unlink(missing_ok=True)
