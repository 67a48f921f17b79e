"""The background-task helper: signals, cancellation, errors, shutdown, and the compute process."""

from __future__ import annotations

import threading
import time

import pytest

from PySide6.QtCore import QThread

from app.worker import ComputeProcess, TaskRunner, compute_process
from core.errors import Cancelled, InputError


def _count(n, progress=None, should_stop=None):
    for i in range(n):
        if should_stop():
            raise Cancelled()
        progress(i / n, f"step {i}")
        time.sleep(0.01)
    return {"n": n, "thread": threading.current_thread().name}


def _fail(progress=None, should_stop=None):
    raise InputError("the file has no reactions", "model.xml")


def _wait_forever(progress=None, should_stop=None):
    while not should_stop():
        time.sleep(0.005)
    raise Cancelled()


def test_finished_delivers_result_on_main_thread(qtbot):
    runner = TaskRunner()
    got, progress, threads = [], [], []

    def done(value):
        threads.append(threading.current_thread() is threading.main_thread())
        got.append(value)

    runner.start("count", _count, 20, on_finished=done, on_progress=lambda f, m: progress.append((f, m)))
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    assert got[0]["n"] == 20 and got[0]["thread"] != threading.main_thread().name
    assert threads == [True]
    assert progress and all(0.0 <= f <= 1.0 for f, _ in progress)
    qtbot.waitUntil(lambda: runner.active_threads() == 0, timeout=3000)


def test_failure_carries_the_exception(qtbot):
    runner = TaskRunner()
    errors = []
    runner.start("bad", _fail, on_failed=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert isinstance(errors[0], InputError)
    assert "model.xml: the file has no reactions" in str(errors[0])
    assert "Traceback" in errors[0].traceback_text


def test_starting_again_cancels_the_old_task(qtbot):
    runner = TaskRunner()
    events = []
    runner.start("job", _wait_forever, on_cancelled=lambda: events.append("cancelled-1"),
                 on_finished=lambda v: events.append("finished-1"))
    runner.start("job", _count, 3, on_finished=lambda v: events.append("finished-2"))
    qtbot.waitUntil(lambda: "finished-2" in events and "cancelled-1" in events, timeout=5000)
    assert "finished-1" not in events
    assert runner.shutdown(3000)
    assert runner.active_threads() == 0


def test_cancel_stops_within_a_second_and_shutdown_joins(qtbot):
    runner = TaskRunner()
    cancelled = []
    runner.start("wait", _wait_forever, on_cancelled=lambda: cancelled.append(True))
    qtbot.wait(50)
    t0 = time.perf_counter()
    assert runner.cancel("wait")
    qtbot.waitUntil(lambda: bool(cancelled), timeout=1000)
    assert time.perf_counter() - t0 < 1.0
    assert runner.shutdown(2000) and runner.active_threads() == 0


def test_compute_process_runs_returns_and_raises():
    proc = compute_process()
    messages = []
    from core.conditions import preset_names

    assert proc.call(_count_in_child, 5, progress=lambda f, m: messages.append(m)) == 5
    assert messages  # progress crossed the process boundary
    with pytest.raises(InputError, match="no reactions"):
        proc.call(_fail)
    assert preset_names()  # the parent is unaffected


def _count_in_child(n, progress=None, should_stop=None):
    for i in range(n):
        progress(i / n, f"child step {i}")
        time.sleep(0.06)
    return n


def test_compute_process_cancel_is_prompt():
    proc = ComputeProcess()
    try:
        stop = threading.Event()
        threading.Timer(0.5, stop.set).start()
        t0 = time.perf_counter()
        with pytest.raises(Cancelled):
            proc.call(_wait_forever, should_stop=stop.is_set)
        assert time.perf_counter() - t0 < 2.0  # includes the child's start-up
        assert proc.call(_count_in_child, 1) == 1  # still usable after a cancel
    finally:
        proc.close()
    assert not proc.alive


def test_cycle_collection_runs_only_on_the_gui_thread(qtbot):
    """Automatic collection is off once a TaskRunner exists, and the GUI thread's timer collects."""
    import gc

    import app.worker as W

    TaskRunner()
    assert not gc.isenabled()
    assert W._collector is not None and W._collector.timer.isActive()
    assert W._collector.timer.thread() is QThread.currentThread()

    class Cycle:
        pass

    a, b = Cycle(), Cycle()
    a.other, b.other = b, a
    ref = __import__("weakref").ref(a)
    del a, b
    keep = [Cycle() for _ in range(gc.get_threshold()[0] + 10)]  # enough for a generation-0 turn
    qtbot.waitUntil(lambda: ref() is None, timeout=3000)
    del keep
