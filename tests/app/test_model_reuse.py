"""Run reuses what the window's compute process already holds (issue 17): the model opened in the
window is loaded there once, a second Run neither loads it nor solves FBA again, and both Runs give the
same numbers."""

from __future__ import annotations

import numpy as np
import pytest

from tests.app.conftest import run_and_wait

SLOW = 600_000  # ms: the machine these run on may be shared with long jobs


@pytest.fixture
def window(qtbot, fresh_settings):
    from app.main_window import MainWindow

    w = MainWindow(fresh_settings)
    qtbot.addWidget(w)
    yield w
    w.closing = True
    w.runner.shutdown()


def _child_counts():
    from app.jobs import cache_counts_in_child
    from app.worker import compute_process

    return compute_process().call(cache_counts_in_child)


def test_second_run_reuses_the_model_and_fba(qtbot, window):
    with qtbot.waitSignal(window.model_loaded, timeout=SLOW):
        window.open_model("textbook")
    window.setup.set_checked(["glucose", "acetate"])
    before = _child_counts()
    first = run_and_wait(qtbot, window, timeout=SLOW)
    after_first = _child_counts()
    second = run_and_wait(qtbot, window, timeout=SLOW)
    after_second = _child_counts()
    # At most one load for the opened model (the warm-up on opening or the first Run), none for the second.
    assert after_first["models_loaded"] - before["models_loaded"] <= 1
    assert after_second["models_loaded"] == after_first["models_loaded"]
    assert after_second["models_reused"] > after_first["models_reused"]
    assert after_second["fba_solved"] == after_first["fba_solved"]
    assert after_second["fba_reused"] - after_first["fba_reused"] == 2
    for a, b in zip(first.conditions, second.conditions):
        assert a.name == b.name and a.growth_rate == b.growth_rate
        np.testing.assert_array_equal(a.fluxes, b.fluxes)
    np.testing.assert_array_equal(first.attention.importance, second.attention.importance)
    assert second.loaded is window.loaded  # the window's own model, not a copy sent back
