"""The window under abuse: cancel after cancel, bad files, a medium that cannot grow, an attention
request over the memory budget. After each, the window must be usable: Run enabled, a valid run
still succeeds, no worker thread left behind, the compute process alive.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

# The Qt test set-up (offscreen, settings in a temporary folder) and the window/dialog fixtures.
from tests.app.conftest import _one_thread_and_cleanup, dialogs, fresh_settings, run_and_wait, window  # noqa: F401
from tests.robustness.test_bad_inputs import CONDITION_CASES, make_model_corpus

from tests.app.conftest import RUN_TIMEOUT, open_and_wait as _open  # noqa: F401


def _run(qtbot, window, timeout=RUN_TIMEOUT):
    return run_and_wait(qtbot, window, timeout, click=False)


def _criticals(dialogs):
    return [d for d in dialogs[0] if d[0] == "critical"]


def _assert_usable(qtbot, window):
    """Run enabled, a fresh glucose run succeeds, and nothing is left running afterwards."""
    from app.worker import compute_process

    assert window.setup.run_button.isEnabled()
    assert window.run_action.isEnabled()
    window.setup.set_checked(["glucose"])
    result = _run(qtbot, window)
    assert [c.name for c in result.usable_conditions] == ["glucose"]
    qtbot.waitUntil(lambda: window.runner.active_threads() == 0, timeout=3000)
    assert compute_process().alive


# --------------------------------------------------------------------------- cancellation


def test_twenty_cancels_in_a_row_leave_the_window_usable(qtbot, window, dialogs):
    """Cancel at 0..400 ms into a run (loading, FBA, attention, analysis): each cancel gives Run
    back at once, the task's thread ends within a second, and the 21st run succeeds."""
    from app.worker import compute_process

    _open(qtbot, window)
    window.setup.set_checked(["glucose", "acetate"])
    # One full run first: the compute process finishes its start-up imports (about 5 s, which the
    # application spends while the user picks a model) and the run's own duration is known.
    t0 = time.perf_counter()
    _run(qtbot, window)
    full_run = time.perf_counter() - t0
    qtbot.waitUntil(lambda: window.runner.active_threads() == 0, timeout=5000)
    child = compute_process()
    threads_before = threading.active_count()
    delays = [0, 50, 150, 400, 10, 250, 0, 100, 300, 30, 200, 5, 75, 350, 0, 120, 20, 60, 180, 40]
    cancelled = finished = 0
    stages = set()
    for delay in delays:
        shown = []
        window.results_shown.connect(shown.append)
        window.start_run()
        assert window.runner.is_running("run")
        if delay:
            qtbot.wait(delay)
        stages.add(window.status_label.text().split("…")[0][:30])
        t0 = time.perf_counter()
        if window.runner.is_running("run"):
            with qtbot.waitSignal(window.run_cancelled, timeout=1000):
                window.cancel_run()
            cancelled += 1
            assert window.result is None or shown == []
        else:  # the run beat the cancel (textbook is fast): its results were shown
            qtbot.waitUntil(lambda: bool(shown), timeout=5000)
            finished += 1
        window.results_shown.disconnect(shown.append)
        assert window.setup.run_button.isEnabled() and window.run_action.isEnabled()
        assert not window.cancel_action.isEnabled()
        # The cancelled task's thread winds down within a second (the child checks should_stop often).
        qtbot.waitUntil(lambda: window.runner.active_threads() == 0, timeout=1000)
        assert time.perf_counter() - t0 < 1.0 + 0.2
    assert cancelled >= 8, (cancelled, finished)
    assert not _criticals(dialogs), dialogs[0]
    # No thread leaked: Python's and Qt's.
    qtbot.waitUntil(lambda: threading.active_count() <= threads_before, timeout=3000)
    assert window.runner.active_threads() == 0  # every QThread the runner started has finished
    assert all(t.isFinished() for t, _w, _r in window.runner._threads)
    assert compute_process() is child and child.alive  # the same child, never restarted
    _assert_usable(qtbot, window)
    print(f"\nfull run {full_run:.2f} s; 20 cancels: {cancelled} cancelled, {finished} finished first; stages seen: {sorted(stages)}")


def test_cancel_during_export_keeps_earlier_files_and_no_parts(qtbot, window, dialogs, tmp_path):
    _open(qtbot, window)
    window.setup.set_checked(["glucose"])
    _run(qtbot, window)
    out = tmp_path / "out"
    assert window.export(str(out), None)
    qtbot.wait(100)
    window.cancel_run()
    assert not window.runner.is_running("export")
    qtbot.waitUntil(lambda: window.runner.active_threads() == 0, timeout=5000)
    status = window.status_label.text()
    assert "cancelled" in status.lower() or "Wrote" in status
    assert not list(out.glob("*.part")) and not list(out.glob(".*.part"))
    _assert_usable(qtbot, window)


# --------------------------------------------------------------------------- bad input in the window


GUI_MODEL_CASES = ["empty.xml", "random.xml", "truncated.xml.gz", "truncated.xml", "html.xml", "missing_species.xml",
                   "no_reactions.xml", "not_cobra.json", "no_model.mat", "bad.yml", "folder_instead.xml"]


@pytest.fixture(scope="module")
def gui_model_corpus(tmp_path_factory):
    from core.models import load_model

    return make_model_corpus(tmp_path_factory.mktemp("gui_bad_models"), load_model("textbook").model)


def test_corrupt_model_files_each_give_a_dialog_and_the_window_recovers(qtbot, window, dialogs, gui_model_corpus):
    for case in GUI_MODEL_CASES:
        path, expect = gui_model_corpus[case]
        n = len(_criticals(dialogs))
        with qtbot.waitSignal(window.run_failed, timeout=60_000):
            window.open_model(str(path))
        crit = _criticals(dialogs)
        assert len(crit) == n + 1, case
        _kind, title, text = crit[-1]
        assert title == "Could not open the model"
        assert str(path) in text and expect in text, (case, text)
        assert "Traceback" not in text and "Unexpected" not in text
        assert not window.progress.isVisible()
    _open(qtbot, window)
    _assert_usable(qtbot, window)


def test_bad_conditions_files_each_give_a_dialog_naming_file_and_problem(qtbot, window, dialogs, tmp_path):
    _open(qtbot, window)
    before = dict(window.setup.all_conditions())
    for name, text, expect in CONDITION_CASES:
        path = tmp_path / name
        if text is None:
            path.write_bytes(b"\xff\xfe\x00\x81" * 100)
        else:
            path.write_text(text, encoding="utf-8")
        assert window.import_conditions(str(path)) is False, name
        _kind, title, message = _criticals(dialogs)[-1]
        assert title == "Could not import conditions"
        assert str(path) in message and expect in message, (name, message)
        assert window.setup.all_conditions().keys() == before.keys()  # nothing half-imported
    missing = tmp_path / "not_there.csv"
    assert window.import_conditions(str(missing)) is False
    assert "not found" in _criticals(dialogs)[-1][2]
    assert len(_criticals(dialogs)) == len(CONDITION_CASES) + 1
    _assert_usable(qtbot, window)


def test_a_medium_that_cannot_grow_alone_is_reported(qtbot, window, dialogs, tmp_path):
    path = tmp_path / "starved.csv"
    path.write_text("condition,exchange,uptake,base\nstarved,EX_o2_e,10,none\n", encoding="utf-8")
    _open(qtbot, window)
    assert window.import_conditions(str(path))
    window.setup.set_checked(["starved"])
    with qtbot.waitSignal(window.run_failed, timeout=RUN_TIMEOUT):
        window.start_run()
    _kind, title, text = _criticals(dialogs)[-1]
    assert title == "The run failed"
    assert "no condition supports growth" in text and "starved" in text
    # With a condition that grows beside it, the run goes ahead and the note says what was left out.
    window.setup.set_checked(["starved", "glucose"])
    result = _run(qtbot, window)
    assert [c.name for c in result.usable_conditions] == ["glucose"]
    assert any("starved" in n for n in result.notes)
    assert "starved" in window.status_label.text()
    _assert_usable(qtbot, window)


def test_corrupt_project_files_give_a_dialog(qtbot, window, dialogs, tmp_path):
    import zipfile

    cases = {}
    p = tmp_path / "garbage.mattn"
    p.write_bytes(b"PK\x03\x04 not really a zip")
    cases[p] = "not a .mattn archive"
    p = tmp_path / "no_json.mattn"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("readme.txt", "hi")
    cases[p] = "project.json is missing"
    p = tmp_path / "bad_json.mattn"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("project.json", "{not json")
    cases[p] = "not valid JSON"
    p = tmp_path / "escape.mattn"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("project.json", json.dumps({"format": "metattn-project", "version": 1,
                                                "settings": {"model": "../../etc/passwd"}, "conditions": []}))
    cases[p] = "outside the project's folder"
    for path, expect in cases.items():
        with qtbot.waitSignal(window.run_failed, timeout=30_000):
            window.open_project(str(path))
        _kind, title, text = _criticals(dialogs)[-1]
        assert title == "Could not open the project"
        assert str(path) in text and expect in text, text
    assert len(_criticals(dialogs)) == len(cases)
    _open(qtbot, window)
    _assert_usable(qtbot, window)


# --------------------------------------------------------------------------- memory guard


def test_full_attention_over_the_memory_budget_suggests_sparse(qtbot, window, dialogs):
    _open(qtbot, window)
    window.setup.set_checked(["glucose", "acetate"])
    su = window.setup
    su.mode.setCurrentIndex(su.mode.findData("full"))
    su.budget.setValue(0.01)  # full attention on textbook needs about 0.07 GB
    with qtbot.waitSignal(window.run_failed, timeout=RUN_TIMEOUT):
        window.start_run()
    _kind, title, text = _criticals(dialogs)[-1]
    assert title == "The run failed"
    assert "memory budget" in text and "mode='sparse'" in text
    assert "Unexpected" not in text
    assert window.result is None
    # Back to the default sparse mode and budget: the window runs again.
    su.mode.setCurrentIndex(su.mode.findData("sparse"))
    su.budget.setValue(4.0)
    _assert_usable(qtbot, window)
