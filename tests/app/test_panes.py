"""Every pane given a real RunResult (textbook model, glucose and acetate): it shows the result
(pixels, rows, text), and choosing a node in it reports that node."""

from __future__ import annotations


import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

import app.main_window  # noqa: F401  (sets pyqtgraph's row-major image order, as at start-up)
from app.panes.analysis_tables import AnalysisTablesPane
from app.panes.comparison import ComparisonPane
from app.panes.details import DetailsPane
from app.panes.heatmap import HeatmapPane
from app.panes.log import LogPane
from app.panes.network import NetworkPane
from app.tables import Column, FilterTable
from app.worker import TaskRunner


def _top_node(result) -> str:
    return result.graph.node_ids[int(np.argmax(result.attention.importance[0]))]


def test_heatmap_shows_pixels_and_names_both_nodes(qtbot, textbook_result):
    pane = HeatmapPane()
    qtbot.addWidget(pane)
    pane.resize(700, 600)
    pane.show()
    pane.set_result(textbook_result)
    values = pane._grid.values
    att = textbook_result.attention
    assert values.shape == (145, 145)  # small model: one pixel per node
    assert np.isfinite(values).sum() == att.n_edges  # every attention edge drawn, nothing else
    image = pane.image.image
    assert image is not None and np.isfinite(image).sum() > 100
    # Hover text over the cell of a real edge names both nodes and its weight.
    e = int(np.argmax(pane.current_weights()))
    src, dst = att.edge_index[:, e]
    order = pane._order
    x, y = order.rank[src] + 0.5, order.rank[dst] + 0.5
    text = pane.describe_at(x, y)
    g = textbook_result.graph
    assert g.node_names[dst] in text and g.node_names[src] in text and "weight" in text
    clicked = []
    pane.node_clicked.connect(clicked.append)
    assert pane.click_at(x, y) == g.node_ids[dst] and clicked == [g.node_ids[dst]]
    # Other head, other condition: a different image; pathway level uses the analysis' flow matrix.
    before = pane._grid.values.copy()
    pane.head.setCurrentIndex(1)
    pane.condition.setCurrentIndex(1)
    assert not np.array_equal(np.nan_to_num(before), np.nan_to_num(pane._grid.values))
    pane.level.setCurrentIndex(1)
    assert pane.image.image.shape == textbook_result.analysis.pathways.flow_sum[1].shape
    assert "attends to" in pane.describe_at(0.5, 0.5)
    pane.highlight(g.node_ids[3])
    assert pane.row_line.isVisible()
    for name in ("plasma", "inferno", "viridis"):
        pane.set_colormap(name)
        assert pane.cmap.currentText() == name


def test_heatmap_genome_scale_is_rasterised(qtbot):
    """4,335 nodes: the node-level image is rasterised, never a dense N x N matrix, whichever head is
    shown (how long a redraw takes is measured in benchmarks/bench_window.py, not asserted here)."""
    from core.pipeline import RunSettings, run_pipeline

    result = run_pipeline(RunSettings(model="iJO1366", conditions=("glucose", "acetate")), with_analysis=False)
    pane = HeatmapPane()
    qtbot.addWidget(pane)
    pane.resize(600, 600)
    pane.show()
    pane.set_result(result)
    assert max(pane._grid.values.shape) <= 1500
    shown = []
    for head in range(1, 5):
        pane.head.setCurrentIndex(head)
        shown.append(pane.image.image.copy())
    assert all(img.shape == shown[0].shape for img in shown)
    assert not all(np.array_equal(shown[0], img) for img in shown[1:]), "every head drew the same picture"
    assert pane.image.image.shape[0] <= 1500
    assert pane._grid.nodes_per_pixel > 2 and pane.detail_shown() is None
    # Zoomed in to 200 x 200 nodes: every node pair has its own cell, and hover names the exact edge.
    att = result.attention
    w = pane.current_weights()
    e = int(np.argmax(np.where(att.edge_index[0] != att.edge_index[1], w, -1)))  # strongest non-self edge
    row, col = pane._order.rank[att.edge_index[1, e]], pane._order.rank[att.edge_index[0, e]]
    vb = pane.plot.getPlotItem().getViewBox()
    vb.setRange(xRange=(col - 100, col + 100), yRange=(row - 100, row + 100), padding=0)
    window = pane.detail_shown()
    assert window is not None and window[0] <= row < window[1] and window[2] <= col < window[3]
    cell = pane.detail.image[row - window[0], col - window[2]]
    assert cell == pytest.approx(w[e], rel=1e-6)
    assert pane.edge_at(col + 0.5, row + 0.5) == e
    text = pane.describe_at(col + 0.5, row + 0.5)
    g = result.graph
    assert g.node_ids[att.edge_index[1, e]] in text and g.node_ids[att.edge_index[0, e]] in text
    assert pane.detail_bg.isVisible()  # no coarse blocks showing through the empty cells
    # Closer still, the rows are labelled with node names.
    vb.setRange(xRange=(col - 5, col + 5), yRange=(row - 5, row + 5), padding=0)
    labels = [text for _pos, text in pane.plot.getPlotItem().getAxis("left")._tickLevels[0]]
    assert g.node_names[att.edge_index[1, e]][:20] in " ".join(labels)
    # Between ~40 and 1,200 nodes across the axes keep names (the pathways in view, even inside one
    # long pathway), and the caption says how many nodes a cell holds at this zoom.
    order = pane._order
    big = int(np.argmax(np.diff(order.starts)))
    mid = float(order.starts[big] + order.starts[big + 1]) / 2
    vb.autoRange()
    full = pane.info.text()
    assert "one cell = " in full
    for across in (40, 300, 800):
        vb.setRange(xRange=(mid - across / 2, mid + across / 2), yRange=(mid - across / 2, mid + across / 2),
                    padding=0)
        for side in ("left", "bottom"):
            labels = [t for _p, t in pane.plot.getPlotItem().getAxis(side)._tickLevels[0]]
            assert labels, f"no {side} labels at {across} nodes across"
        assert "every node pair has its own cell" in pane.info.text()
    vb.setRange(xRange=(0, 1400), yRange=(0, 1400), padding=0)  # above 1,200 across: pooled, fewer nodes a cell
    zoomed = float(pane.info.text().split("one cell = ")[1].split(" ")[0])
    assert zoomed == pytest.approx(pane._shown_factor * pane._grid.nodes_per_pixel, abs=0.05)
    assert zoomed < float(full.split("one cell = ")[1].split(" ")[0])
    # Zoomed out again: the overview alone.
    vb.autoRange()
    assert pane.detail_shown() is None and not pane.detail_bg.isVisible()


def test_network_draws_metabolites_and_reactions(qtbot, textbook_result):
    runner = TaskRunner()
    pane = NetworkPane(runner)
    qtbot.addWidget(pane)
    pane.resize(600, 500)
    pane.show()
    pane.set_result(textbook_result)
    qtbot.waitUntil(lambda: pane.arrays is not None, timeout=10000)
    a = pane.arrays
    assert a.pos.shape[0] > 10 and a.adj.shape[0] > 10
    assert set(a.symbols) == {"o", "s"}  # both kinds of node
    top = _top_node(textbook_result)
    assert top in a.ids
    pane.threshold.setValue(50)
    assert 0 < len(pane._shown_edges) < a.adj.shape[0]
    # "Around selected node" re-centres on the selection.
    node = textbook_result.graph.node_ids[5]
    pane.highlight(node)
    pane.mode.setCurrentIndex(1)
    qtbot.waitUntil(lambda: pane.arrays is not None and pane.arrays.ids[0] == node, timeout=10000)
    clicked = []
    pane.node_clicked.connect(clicked.append)
    points = pane.graph_item.scatter.points()
    pane._point_clicked(pane.graph_item.scatter, [points[0]])
    assert clicked == [node]
    assert runner.shutdown(3000)


def test_comparison_growth_and_shifts(qtbot, textbook_result):
    pane = ComparisonPane()
    qtbot.addWidget(pane)
    pane.set_result(textbook_result)
    cmp_ = textbook_result.analysis.conditions
    assert pane.pair.count() == 1 and pane.pair.currentText() == "acetate vs glucose"
    assert pane.top_table.model.rowCount() >= cmp_.top_k
    assert pane.shift_table.model.rowCount() == cmp_.top_k
    first = pane.shift_table.model.raw(0, 0)
    assert first == cmp_.shifted_nodes(0)[0]["name"]
    assert pane.pathway_table.model.rowCount() > 0
    heights = [item.opts["height"] for item in pane.growth_plot.getPlotItem().items if hasattr(item, "opts")
               and "height" in item.opts]
    assert np.allclose(heights[0], [c.growth_rate for c in textbook_result.conditions])


def test_tables_sort_filter_copy_and_select(qtbot, textbook_result):
    pane = AnalysisTablesPane()
    qtbot.addWidget(pane)
    pane.show()
    pane.set_result(textbook_result)
    cen = pane.tables["centrality"]
    n = textbook_result.graph.n_nodes
    assert cen.proxy.rowCount() == n
    # Sorted by importance in the first condition, largest first; the values come right after the name.
    col = 1
    assert cen.model.headerData(col, Qt.Orientation.Horizontal).startswith("importance")
    values = [cen.model.raw(r, col) for r in range(n)]
    assert values == sorted(values, reverse=True)
    assert cen.model.node_id(0) == _top_node(textbook_result)
    cen.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    names = [cen.model.raw(r, 0).lower() for r in range(n)]
    assert names == sorted(names)
    cen.filter.setText("pyruvate")
    assert 0 < cen.proxy.rowCount() < n
    assert all("pyruvate" in cen.model.row_text(cen.proxy.mapToSource(cen.proxy.index(r, 0)).row())
               for r in range(cen.proxy.rowCount()))
    cen.view.selectRow(0)
    qtbot.keyClick(cen.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    text = QGuiApplication.clipboard().text()
    lines = text.strip().split("\n")
    header = lines[0].split("\t")
    assert header[0] == "name" and header[1].startswith("importance") and header[-1] == "id" and len(lines) == 2
    assert "pyruvate" in lines[1].lower()
    clicked = []
    pane.node_clicked.connect(clicked.append)
    cen.view.selectRow(1)
    assert clicked and clicked[-1] == cen.selected_node()
    for key in ("statistics", "clustering", "correlations", "pathways", "relationships"):
        assert pane.tables[key].model.rowCount() > 0, key
    stats = pane.tables["statistics"].model
    b = textbook_result.analysis.basic
    assert stats.rowCount() == b.mean.size
    # Highlight from elsewhere selects the row without echoing back.
    cen.filter.clear()
    clicked.clear()
    node = textbook_result.graph.node_ids[10]
    pane.highlight(node)
    assert cen.selected_node() == node and clicked == []
    qtbot.waitUntil(lambda: node in pane.notes["relationships"].text(), timeout=3000)


def test_details_names_formula_and_fluxes(qtbot, textbook_result):
    pane = DetailsPane()
    qtbot.addWidget(pane)
    assert "Open a model" in pane.text()
    pane.set_result(textbook_result)
    pane.show_node("glc__D_e")
    text = pane.text()
    assert "D-Glucose" in text and "C6H12O6" in text and "glucose" in text and "acetate" in text
    pane.show_node("PGI")
    text = pane.text()
    g6p = "D-Glucose 6-phosphate"
    assert g6p in text  # the reaction's equation with names
    j = textbook_result.conditions[0].reaction_ids.index("PGI")
    assert f"{textbook_result.conditions[0].fluxes[j]:.4g}" in text
    pane.show_node("no_such_node")
    assert "not in the graph" in pane.text()


def test_log_pane_receives_records_from_any_thread(qtbot):
    import logging
    import threading

    pane = LogPane()
    qtbot.addWidget(pane)
    logger = logging.getLogger("metattn.test")
    logger.setLevel(logging.INFO)
    logger.addHandler(pane.handler)
    try:
        t = threading.Thread(target=lambda: logger.info("from a worker"))
        t.start()
        t.join()
        logger.warning("on the main thread")
        qtbot.waitUntil(lambda: len(pane.lines()) >= 2, timeout=2000)
    finally:
        logger.removeHandler(pane.handler)
    text = "\n".join(pane.lines())
    assert "from a worker" in text and "on the main thread" in text


def test_filter_table_numbers_sort_as_numbers(qtbot):
    table = FilterTable()
    qtbot.addWidget(table)
    table.set_columns([Column("id", ["a", "b", "c", "d"]), Column("value", [2.0, 10.0, float("nan"), 1.0])],
                      id_column="id", sort_column=1)
    assert [table.model.raw(r, 0) for r in range(4)] == ["b", "a", "d", "c"]  # NaN last
    table.view.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    assert [table.model.raw(r, 0) for r in range(4)] == ["d", "a", "b", "c"]
    table.highlight("b")
    assert table.selected_node() == "b"


@pytest.mark.parametrize("name", ["viridis", "plasma", "inferno"])
def test_colormaps_exist(name):
    import pyqtgraph as pg

    assert pg.colormap.get(name) is not None


def test_panes_save_and_restore_their_own_view(qtbot, textbook_result):
    """view_state() is JSON-ready; restore_view() on a fresh pane with the same result shows it again,
    and skips indexes the new result does not have."""
    import json

    runner = TaskRunner()
    heatmap, network, again_h, again_n = HeatmapPane(), NetworkPane(runner), HeatmapPane(), NetworkPane(runner)
    for pane in (heatmap, network, again_h, again_n):
        qtbot.addWidget(pane)
        pane.set_result(textbook_result)
    heatmap.condition.setCurrentIndex(1)
    heatmap.head.setCurrentIndex(3)
    heatmap.set_colormap("plasma")
    network.condition.setCurrentIndex(1)
    network.top_k.setValue(15)
    network.threshold.setValue(20)
    h, n = json.loads(json.dumps(heatmap.view_state())), json.loads(json.dumps(network.view_state()))
    again_h.restore_view(h)
    again_n.restore_view(n)
    assert again_h.view_state() == h and (h["condition"], h["head"], h["colormap"]) == (1, 3, "plasma")
    assert again_n.view_state() == n and (n["condition"], n["top_k"], n["threshold"]) == (1, 15, 20)
    again_h.restore_view({"condition": 7, "head": "x"})  # another run: no condition 7
    assert again_h.condition.currentIndex() == 1 and again_h.head.currentIndex() == 3
    assert runner.shutdown(5000)


def test_setup_pane_takes_and_returns_an_attention_config(qtbot):
    from app.panes.setup import SetupPane
    from core.attention.result import AttentionConfig
    from core.errors import InputError

    pane = SetupPane()
    qtbot.addWidget(pane)
    changed = []
    pane.inputs_changed.connect(lambda: changed.append(1))
    given = AttentionConfig(heads=4, d_model=32, layers=3, seed=7, mode="full", memory_budget_gb=2.5, flux_bias=False)
    pane.set_attention_config(given, filter_currency=False)
    assert changed == []  # showing settings is not an input change
    back = pane.attention_config()
    assert back.to_dict() == given.to_dict()  # the fields without a widget (flux_bias) kept too
    assert (pane.heads.value(), pane.mode.currentData(), pane.currency.isChecked()) == (4, "full", False)
    pane.heads.setValue(5)
    assert changed
    with pytest.raises(InputError, match=r"d_model \(32\) must be a positive multiple of heads \(5\)"):
        pane.attention_config()
    assert pane.attention_config(check=False).heads == 5


def test_p_values_below_a_thousandth_read_as_such_in_tables():
    """A p of 5e-217 beside a correlation of -0.003 reads as spin; the tables say "< 0.001" (issue 13)."""
    from app.tables import Column, ColumnTableModel, format_value

    assert format_value(5e-217, 2, p_value=True) == "< 0.001"
    assert format_value(0.0312, 2, p_value=True) == "0.03"
    model = ColumnTableModel([Column("Spearman p", [5e-217, 0.2], digits=2, p_value=True)])
    shown = {model.data(model.index(r, 0)) for r in range(2)}
    assert shown == {"< 0.001", "0.2"}
