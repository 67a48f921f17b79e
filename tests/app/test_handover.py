"""Handing a run's result to the panes (app.handover): the views are computed off the window's thread,
the panes are filled in steps over several turns of the event loop, and what they show is what they
show when given the result directly."""

from __future__ import annotations

import dataclasses
import gc

import numpy as np

from app.panes.heatmap import HeatmapPane
from tests.app.conftest import open_and_wait, run_and_wait


def test_a_run_reaches_every_pane_in_steps(qtbot, window):
    open_and_wait(qtbot, window)
    window.setup.set_checked(["glucose", "acetate"])
    result = run_and_wait(qtbot, window)
    h = window.handover
    names = [name for name, _wall, _cpu in h.step_ms]
    # Every pane got its part, one table per step, and the loop turned in between.
    for pane in ("HeatmapPane", "NetworkPane", "ComparisonPane 4", "AnalysisTablesPane 7", "DetailsPane", "Find",
                 "selection"):
        assert pane in names, pane
    assert h.turns >= 2 and not h.busy
    assert window.result is result
    assert window.tables.tables["centrality"].model.rowCount() == result.graph.n_nodes
    assert window.tables.tables["pathways"].model.rowCount() > 0
    assert window.comparison.shift_table.model.rowCount() > 0 and window.comparison.shift_chart.ranking is not None
    assert window.search_for("glucose") is not None
    assert window.details.node is not None and "rank" in window.details.browser.toHtml()
    # The heatmap drawn from the worker's views equals the heatmap a pane computes itself.
    alone = HeatmapPane()
    qtbot.addWidget(alone)
    alone.set_result(result)
    assert np.array_equal(window.heatmap._grid.values, alone._grid.values, equal_nan=True)
    assert window.heatmap._levels == alone._levels
    # The cycle collector no longer walks the model and the result during later runs.
    assert gc.get_freeze_count() > 0
    # The views came with the result from the compute process, which keeps the result for the network
    # pane's layouts: one is made there from the token alone (no graph, attention or model sent).
    from app.view_jobs import network_in_child
    from app.worker import compute_process
    from core.views.network_pane import TOP

    token = window.network._token
    assert token is not None
    nbh, arrays, _hubs = compute_process().call(network_in_child, token, None, 10, 0, 0, 0, TOP, False)
    assert nbh.n_nodes >= 10 and arrays.pos.shape == (nbh.n_nodes, 2)


def test_a_cancelled_hand_over_shows_nothing_late(qtbot, window, textbook_result):
    from app.jobs import attach_model

    open_and_wait(qtbot, window)
    result = attach_model(textbook_result, window.loaded)
    done = []
    window.handover.show(result, done.append)
    window.handover.cancel()  # as a new Run does
    qtbot.wait(1500)
    assert done == [] and window.result is None and not window.handover.busy
    window.handover.show(result, done.append)
    qtbot.waitUntil(lambda: done == [result], timeout=30_000)
    assert window.result is result and window.tables.tables["centrality"].model.rowCount() == result.graph.n_nodes


def test_a_result_for_a_replaced_model_frees_the_frozen_old_one():
    import weakref
    from types import SimpleNamespace

    from app.handover import result_steps, settle_garbage

    class Model:  # a reference cycle, as a cobra model is full of
        def __init__(self):
            self.me = self

    old_model = Model()
    gone = weakref.ref(old_model)
    window = SimpleNamespace(result=SimpleNamespace(loaded=old_model), result_panes=[], network=SimpleNamespace(),
                             details=SimpleNamespace())
    del old_model
    settle_garbage()  # frozen with the window's last result, as after a run
    try:
        new = SimpleNamespace(loaded=object())
        name, start = result_steps(window, new)[0]
        assert name == "window"
        start()
        assert window.result is new
        assert gone() is None  # collected although it had been frozen
    finally:
        gc.unfreeze()


def test_opening_another_model_stops_a_hand_over_of_the_old_ones_result(qtbot, window, textbook_result):
    from app.jobs import attach_model

    open_and_wait(qtbot, window)
    result = attach_model(textbook_result, window.loaded)
    done = []
    window.handover.show(result, done.append)
    # Another model arrives (the same file loaded again: a new LoadedModel object; presets resolved by the pane).
    window.opener._loaded((dataclasses.replace(window.loaded), None))
    qtbot.wait(1500)
    assert done == [] and window.result is None and not window.handover.busy


def test_the_window_s_timers_fire_between_the_turns_of_a_hand_over(qtbot, monkeypatch):
    """Each turn is followed by a real turn of the event loop: another timer of the window (here a 5 ms
    one, as the benchmark's) fires between two turns. Chained with QTimer.singleShot(0, ...) (a posted
    event in Qt 6), the GLib dispatcher held every timer back until the hand-over had ended."""
    import time
    from types import SimpleNamespace

    from PySide6.QtCore import QObject, QTimer

    import app.handover as H

    owner = QObject()
    owner.runner = SimpleNamespace(cancel=lambda _name: None, is_running=lambda _name: False)
    events: list[str] = []

    def step(i):  # each step outlasts TURN_MS, so each turn runs one step
        return lambda: (events.append(f"step {i}"), time.sleep(H.TURN_MS * 1.5 / 1000.0))

    monkeypatch.setattr(H, "result_steps", lambda _window, _result, _views: [(f"s{i}", step(i)) for i in range(4)])
    handover = H.Handover(owner)
    ticker = QTimer()
    ticker.setInterval(5)
    ticker.timeout.connect(lambda: events.append("tick") if events else None)
    ticker.start()
    done = []
    handover._steps_for(object(), None, done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=10_000)
    ticker.stop()
    steps = [i for i, e in enumerate(events) if e.startswith("step")]
    assert handover.turns == 4 and len(steps) == 4
    for a, b in zip(steps, steps[1:]):
        assert "tick" in events[a + 1:b], events


def test_export_asked_for_during_a_hand_over_writes_the_new_result(qtbot, window, textbook_result, tmp_path,
                                                                    monkeypatch):
    """The window goes idle when a run's result arrives, before the panes show it: an export asked for then
    waits for the hand-over and writes the new result, not the one the panes showed before."""
    import app.exporter as E
    from app.jobs import attach_model

    open_and_wait(qtbot, window)
    first = attach_model(textbook_result, window.loaded)
    window.show_result(first)
    second = dataclasses.replace(first, notes=("the second run",))
    exported = []
    monkeypatch.setattr(E, "export_job", lambda result, *_args, progress=None, should_stop=None:
                        exported.append(result) or [])
    window.handover.show(second, window._results_ready)
    assert window.handover.busy and window.result is first
    assert window.export(str(tmp_path))
    qtbot.waitUntil(lambda: bool(exported), timeout=30_000)
    assert exported[0] is second and window.result is second
