"""Cancel really stops work that cannot check ``should_stop`` (issue 18, class 1): a model parse in the
compute process (here a stand-in that sleeps and never looks) is ended after
``ComputeProcess.STOP_GRACE``, so Cancel frees the thread and closing the window mid-load ends
cleanly instead of destroying a running QThread (SIGABRT)."""

from __future__ import annotations

import time

import pytest

from core.errors import Cancelled
# The Qt test set-up (offscreen, settings in a temporary folder) and the window/dialog fixtures.
from tests.app.conftest import _one_thread_and_cleanup, dialogs, fresh_settings, window  # noqa: F401


def stubborn(progress=None, should_stop=None):
    """Sleeps for a minute and never checks ``should_stop``: as COBRApy parsing a large file does."""
    time.sleep(60)
    return "finished"


def stubborn_load(progress=None, should_stop=None):
    """A window task waiting on the compute process, as :func:`app.jobs.load_model_job` does."""
    from app.worker import compute_process

    return compute_process().call(stubborn, should_stop=should_stop)


def test_a_stage_that_ignores_the_stop_request_is_ended():
    from app.worker import ComputeProcess

    proc = ComputeProcess()
    try:
        t0 = time.perf_counter()
        with pytest.raises(Cancelled):
            proc.call(stubborn, should_stop=lambda: True)
        assert time.perf_counter() - t0 < 30  # not the minute the stage would take
        assert not proc.alive
    finally:
        proc.close()


def test_cancel_and_close_while_loading(qtbot, window):
    window.set_busy("load")
    window.runner.start("load", stubborn_load, on_finished=lambda _v: pytest.fail("a cancelled load delivered"))
    qtbot.wait(300)
    window.cancel_run()
    assert window.status_label.text().startswith("Opening cancelled")
    qtbot.waitUntil(lambda: window.runner.active_threads() == 0, timeout=30_000)  # the wait really ended
    # Closing the window while such a task runs: the fixture's teardown checks no thread is left.
    window.runner.start("load", stubborn_load)
    qtbot.wait(300)
    window.close()
    assert window.runner.active_threads() == 0


def test_a_half_written_cache_file_of_an_ended_process_is_removed(tmp_path, monkeypatch, textbook):
    """The compute process ended mid-write leaves ``.<pid>-*.tmp`` in the model cache; the next write
    removes it (and leaves a living process's file alone)."""
    import os

    from core import models

    monkeypatch.setenv("METATTN_CACHE_DIR", str(tmp_path))
    dead = 4_000_000
    while True:
        try:
            os.kill(dead, 0)
            dead += 1
        except ProcessLookupError:
            break
    orphan = tmp_path / f".{dead}-x1.tmp"
    orphan.write_bytes(b"{" * 1000)
    living = tmp_path / f".{os.getpid()}-x2.tmp"
    living.write_bytes(b"{")
    models._cache_put("0" * 64, "sbml", textbook)
    assert not orphan.exists() and living.exists()
    assert (tmp_path / f"{'0' * 64}-sbml.v{models.CACHE_VERSION}.json").is_file()


def test_a_dropped_fifo_or_device_is_not_read_to_guess_its_kind(tmp_path):
    import os
    import threading
    from pathlib import Path

    from app.opener import _looks_like_conditions

    fifo = tmp_path / "drop.json"
    os.mkfifo(fifo)
    seen = []
    thread = threading.Thread(target=lambda: seen.extend([_looks_like_conditions(fifo),
                                                          _looks_like_conditions(Path("/dev/zero"))]), daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive() and seen == [False, False]
    conditions = tmp_path / "c.json"
    conditions.write_text('{"conditions": [{"name": "g", "preset": "glucose"}]}')
    assert _looks_like_conditions(conditions)


def test_a_gzip_bomb_opened_in_the_window_gives_a_dialog(qtbot, window, dialogs, tmp_path):
    from tests.robustness.test_attacks import gzip_bomb

    bomb = gzip_bomb(tmp_path / "bomb.xml.gz")
    with qtbot.waitSignal(window.run_failed, timeout=60_000) as failed:
        window.open_model(str(bomb))
    assert str(bomb) in failed.args[0] and "decompresses to more than" in failed.args[0]
    kind, title, text = dialogs[0][-1]
    assert kind == "critical" and title == "Could not open the model" and str(bomb) in text
    qtbot.waitUntil(lambda: window.runner.active_threads() == 0, timeout=30_000)
