"""The network pane as a biologist meets it (issue 16): around a node and for a pathway the layout is
layered and every label is readable (none overlaps another), currency metabolites can come back as
copies beside the reactions, the choice is saved with the view, and the layout task stops when asked."""

from __future__ import annotations

import numpy as np
import pytest

import app.main_window  # noqa: F401  (sets pyqtgraph's row-major image order, as at start-up)
from app.panes.network import AROUND, PATHWAY, TOP, NetworkPane, compute_network
from app.worker import TaskRunner
from core.errors import Cancelled


def _labels_do_not_overlap(pane):
    boxes = [lab.sceneBoundingRect() for lab in pane._labels if lab.spot is not None and lab.isVisible()]
    legend = pane.legend.sceneBoundingRect()
    return all(not a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1:]) \
        and not any(b.intersects(legend) for b in boxes)


def _computed(qtbot, pane, runner):
    qtbot.waitUntil(lambda: not runner.is_running("network") and pane.arrays is not None, timeout=60_000)


def shown_network(qtbot, result, size=(560, 560)):
    """``(pane, runner)``: a network pane on screen at ``size`` with ``result``'s first picture computed."""
    runner = TaskRunner()
    pane = NetworkPane(runner)
    qtbot.addWidget(pane)
    pane.resize(*size)
    pane.show()
    qtbot.waitExposed(pane)
    pane.set_result(result)
    _computed(qtbot, pane, runner)
    return pane, runner


def test_around_a_node_and_a_pathway_are_layered_and_labelled(qtbot, textbook_result):
    pane, runner = shown_network(qtbot, textbook_result)
    assert _labels_do_not_overlap(pane)
    # Around pyruvate: the node and its 10 neighbours with the strongest attention, (nearly) every one named
    # (it was the centre alone, or with all labels a hairball).
    pane.highlight("pyr_c")
    pane.mode.setCurrentIndex(AROUND)
    qtbot.waitUntil(lambda: pane._shown_mode == AROUND and pane.arrays is not None
                    and pane.arrays.ids[0] == "pyr_c", timeout=60_000)
    assert len(pane.arrays.ids) == 11
    qtbot.wait(50)
    shown = pane.shown_labels()
    assert len(shown) >= 9 and "Pyruvate" in shown, shown
    assert _labels_do_not_overlap(pane)
    # The pathway of the selected reaction: its reactions (outlined) and their metabolites.
    pane.highlight("PGI")
    pane.mode.setCurrentIndex(PATHWAY)
    qtbot.waitUntil(lambda: pane._shown_mode == PATHWAY and pane.arrays is not None and "PGI" in pane.arrays.ids,
                    timeout=60_000)
    g = textbook_result.graph
    pathway = g.primary_pathway[g.index["PGI"]]
    assert pathway in pane.info.text()
    assert all(g.primary_pathway[g.index[n]] == pathway for n, s in zip(pane.arrays.ids, pane.arrays.is_seed) if s)
    assert len(pane.shown_labels()) >= len(pane.arrays.ids) // 2
    assert _labels_do_not_overlap(pane)
    # Currency metabolites as small copies beside each reaction (the graph left them out).
    pane.sides.setChecked(True)
    qtbot.waitUntil(lambda: pane.sides_shown is not None and len(pane.sides_shown.names) > 0, timeout=60_000)
    pgk = pane.arrays.ids.index("PGK") if "PGK" in pane.arrays.ids else None
    if pgk is not None:
        assert any(n.startswith("ATP") for n, k in zip(pane.sides_shown.names, pane.sides_shown.attach) if k == pgk)
    assert "currency copies" in pane.info.text()
    state = pane.view_state()
    assert state["mode"] == PATHWAY and state["currency"] is True
    again = NetworkPane(runner)
    qtbot.addWidget(again)
    again.set_result(textbook_result)
    again.restore_view(state)
    assert again.mode.currentIndex() == PATHWAY and again.sides.isChecked()
    assert runner.shutdown(10_000)


def test_the_layout_task_stops_when_asked(textbook_result):
    r = textbook_result
    for mode in (TOP, AROUND, PATHWAY):
        with pytest.raises(Cancelled):
            compute_network(r.graph, r.attention, 3, 10, 0, 0, 0, mode, should_stop=lambda: True)
    # Asked to stop after the nodes are chosen: the layout is not run.
    calls = []

    def stop_second_time():
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(Cancelled):
        compute_network(r.graph, r.attention, 3, 10, 0, 0, 0, AROUND, should_stop=stop_second_time)
    nbh, arrays, sides = compute_network(r.graph, r.attention, 3, 10, 0, 0, 0, AROUND)
    assert arrays.pos.shape == (nbh.n_nodes, 2) and sides is None
    assert np.isfinite(arrays.pos).all()
