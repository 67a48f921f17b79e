"""The heatmap as a biologist meets it (issue 16): the pathway level fills the view with named rows and a
log colour scale whose bar says what the values are, also when a project reopens at that level."""

from __future__ import annotations

import numpy as np
import pytest

import app.main_window  # noqa: F401  (sets pyqtgraph's row-major image order, as at start-up)
from app.panes.heatmap import HeatmapPane
from app.panes.heatmap_axes import block_ticks, log_ticks, node_caption, pathway_image, pathway_ticks


def _pathway_pane(qtbot, result, size=(620, 560)):
    pane = HeatmapPane()
    qtbot.addWidget(pane)
    pane.resize(*size)
    pane.show()
    qtbot.waitExposed(pane)
    pane.set_result(result)
    return pane


def _ticks(pane, side):
    return pane.plot.getPlotItem().getAxis(side)._tickLevels[0]


def _fills_the_matrix(pane, p):
    (x0, x1), (y0, y1) = pane.plot.getPlotItem().getViewBox().viewRange()
    # The whole P x P matrix is in view, and it is not a speck in a 145 x 145 (or 4,335 x 4,335) view.
    return x0 <= 0 and y0 <= 0 and x1 >= p and y1 >= p and min(x1 - x0, y1 - y0) < 1.2 * p + 2


def test_pathway_level_fills_the_view_with_named_rows_and_a_log_scale(qtbot, textbook_result):
    pane = _pathway_pane(qtbot, textbook_result)
    pathways = textbook_result.analysis.pathways
    p = len(pathways.names)
    assert "weight" in pane.bar_label()
    pane.level.setCurrentIndex(1)
    qtbot.waitUntil(lambda: _fills_the_matrix(pane, p), timeout=3000)
    # Log colour scale: the image holds log10 of the totals, white (NaN) where there is no edge; the bar
    # says these are totals of attention on a log scale, and its ticks are the values themselves.
    flow = pathways.flow_sum[0]
    image = pane.image.image
    assert image.shape == (p, p)
    assert np.array_equal(np.isfinite(image), flow > 0)
    assert np.nanmax(image) == pytest.approx(np.log10(flow.max()), rel=1e-5)
    label = pane.bar_label()
    assert "total attention" in label and "log" in label and "attention weight" not in label
    low, high = pane.bar.levels()
    assert high == pytest.approx(np.log10(flow.max()), rel=1e-5) and high - low > 1.0  # more than one decade
    bar_ticks = pane.bar.axis._tickLevels[0]
    assert bar_ticks and all(float(text) == pytest.approx(10 ** pos, rel=1e-6) for pos, text in bar_ticks)
    # Every row is named (and numbered), every column numbered, in this 560 px pane.
    rows = [text for _pos, text in _ticks(pane, "left")]
    assert len(rows) == p
    assert all(text.endswith(f" {i + 1}") for i, text in enumerate(rows))
    assert pathways.names[0][:15] in rows[0]
    assert [text for _pos, text in _ticks(pane, "bottom")] == [str(i + 1) for i in range(p)]
    # Back to nodes: the view fits the node matrix again and the bar is about weights.
    pane.level.setCurrentIndex(0)
    qtbot.waitUntil(lambda: _fills_the_matrix(pane, textbook_result.graph.n_nodes), timeout=3000)
    assert pane.bar_label() == "attention weight"


def test_a_view_saved_at_pathway_level_reopens_at_pathway_level_not_blank(qtbot, textbook_result):
    saved = _pathway_pane(qtbot, textbook_result)
    saved.level.setCurrentIndex(1)
    saved.condition.setCurrentIndex(1)
    state = saved.view_state()
    again = _pathway_pane(qtbot, textbook_result)  # as a reopened project: result first, then the view
    again.restore_view(state)
    p = len(textbook_result.analysis.pathways.names)
    assert again.level.currentIndex() == 1 and again.condition.currentIndex() == 1
    qtbot.waitUntil(lambda: _fills_the_matrix(again, p), timeout=3000)
    assert np.isfinite(again.image.image).sum() > p  # drawn, not blank
    assert len(_ticks(again, "left")) == p


def test_axis_helpers():
    # Zoomed inside one long block, its name stays on the axis (at the centre of its visible part).
    starts = np.array([0, 10, 900, 950])
    assert block_ticks(starts, ("A", "B", "C"), 300.0, 500.0, 400.0, 10.0) == [(400.0, "B")]
    # Zoomed out, a block thinner than a label is not named (A: 10 of 950 nodes in 400 px).
    assert [t for _p, t in block_ticks(starts, ("A", "B", "C"), 0.0, 950.0, 400.0, 10.0)] == ["B", "C"]
    # Rows every k-th when the cells are closer than a line of text.
    names = tuple(f"pathway {i}" for i in range(40))
    assert len(pathway_ticks(names, 0, 40, 400, numbered=True)) == 40
    assert len(pathway_ticks(names, 0, 40, 200, numbered=True)) == 20
    values, (low, high) = pathway_image(np.array([[100.0, 0.0], [0.5, 1e-9]]))
    assert np.isnan(values[0, 1]) and values[0, 0] == pytest.approx(2.0)
    assert (low, high) == pytest.approx((-2.0, 2.0))  # four decades below the largest total at most
    assert [t for _p, t in log_ticks(-1.0, 0.5)] == ["0.1", "0.2", "0.5", "1", "2"]
    assert [t for _p, t in log_ticks(-2.0, 2.3)] == ["0.01", "0.1", "1", "10", "100"]
    assert "one cell = 3.0 × 3.0 nodes" in node_caption(4335, 10, 3.0, False, 1200)
    assert "own cell" in node_caption(4335, 10, 3.0, True, 1200)
