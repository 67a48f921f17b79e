"""The condition-shift chart (issue 16): the biggest movers by relative change with a floor, drawn from
the comparison result as named bars or a volcano-style plot whose labels do not overlap."""

from __future__ import annotations

import numpy as np

import app.main_window  # noqa: F401  (sets pyqtgraph's row-major image order, as at start-up)
from app.panes.comparison import ComparisonPane
from app.panes.labels import place_labels
from app.panes.shift_view import SHOWN
from core.views.style import shorten


def _pane(qtbot, result):
    pane = ComparisonPane()
    qtbot.addWidget(pane)
    pane.resize(560, 700)
    pane.show()
    qtbot.waitExposed(pane)
    pane.set_result(result)
    return pane


def test_bars_show_the_biggest_relative_movers_and_select_nodes(qtbot, textbook_result):
    pane = _pane(qtbot, textbook_result)
    chart = pane.shift_chart
    assert pane.tabs.currentWidget() is chart  # the picture is what the pane opens on
    comparison = textbook_result.analysis.conditions
    expected = comparison.movers(0, k=SHOWN)
    r = chart.ranking
    assert r.ranked.tolist() == expected.ranked.tolist() and len(r.ranked) == SHOWN
    bars = r.both_ways(SHOWN)  # gains and losses both, biggest gain at the top
    assert len(bars) == SHOWN and r.above_floor[bars].all()
    assert (r.relative_change[bars] > 0).any() and (r.relative_change[bars] < 0).any()
    assert chart.labelled() == [shorten(r.names[i], 28) for i in bars]
    assert np.allclose(chart.bars.opts["width"], r.relative_change[bars])
    a, b = comparison.condition_names
    assert f"{b} vs {a}" in chart.plot.getPlotItem().getAxis("bottom").labelText
    clicked = []
    pane.node_clicked.connect(clicked.append)
    assert chart.click_bar(0.1) == r.ids[bars[0]] and clicked == [r.ids[bars[0]]]
    chart.level.setCurrentIndex(1)  # pathways
    assert chart.ranking.level == "pathways"
    assert chart.labelled() == [shorten(chart.ranking.names[i], 28) for i in chart.ranking.both_ways(SHOWN)]
    assert chart.click_bar(0.0) is None  # a pathway is not a node to select
    # A short pane (a laptop): only as many bars as have room for their names.
    chart.level.setCurrentIndex(0)
    pane.resize(560, 330)
    qtbot.waitUntil(lambda: chart.plot.getPlotItem().getViewBox().height() < 200, timeout=3000)
    qtbot.wait(50)
    height = chart.plot.getPlotItem().getViewBox().height()
    assert 1 <= len(chart.labelled()) <= max(1, height // 14), (len(chart.labelled()), height)


def test_volcano_names_the_movers_without_overlaps(qtbot, textbook_result):
    pane = _pane(qtbot, textbook_result)
    chart = pane.shift_chart
    chart.chart.setCurrentIndex(1)
    qtbot.wait(50)
    r = chart.ranking
    points = chart.scatter.points()
    assert len(points) == textbook_result.graph.n_nodes
    named = chart.labelled()
    assert len(named) >= SHOWN // 2, named  # most movers named in a 560 x 700 pane
    assert set(named) <= {shorten(r.names[i], 28) for i in r.ranked}
    boxes = [lab.sceneBoundingRect() for lab in chart._labels if lab.index >= 0 and lab.isVisible()]
    for i, box in enumerate(boxes):
        assert not any(box.intersects(other) for other in boxes[i + 1:]), "two labels overlap"
    # Below the floor in both conditions: grey, and never named.
    below = np.flatnonzero(~r.above_floor)
    assert below.size and not set(below.tolist()) & set(r.ranked.tolist())
    clicked = []
    pane.node_clicked.connect(clicked.append)
    chart._point_clicked(chart.scatter, [points[int(r.ranked[0])]])
    assert clicked == [r.ids[r.ranked[0]]]


def test_place_labels_never_overlaps_and_stays_inside():
    anchors = np.array([[100.0, 100.0]] * 6 + [[10.0, 10.0]])
    spots = place_labels(anchors, np.full(7, 80.0), 12.0, (0.0, 0.0, 400.0, 300.0))
    boxes = [(x, y, x + 80, y + 12) for x, y in (s for s in spots if s is not None)]
    assert len(boxes) >= 5  # six labels on one point still find room around it
    for i, a in enumerate(boxes):
        assert 0 <= a[0] and a[2] <= 400 and 0 <= a[1] and a[3] <= 300
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])


def test_a_pair_the_result_does_not_have_draws_nothing_and_says_so(qtbot, textbook_result):
    pane = _pane(qtbot, textbook_result)
    pane.shift_chart.set_comparison(textbook_result.analysis.conditions, 5)
    assert "nothing to compare" in pane.shift_chart.note.text() and pane.shift_chart.ranking is None


def test_at_laptop_height_the_growth_plot_gives_its_room_to_the_bars(qtbot, textbook_result):
    """At 1366x768 the comparison pane is about 300 px tall: the chart showed one bar. Now the growth plot
    becomes one line (values in it, the trained-weights note in its tooltip) and the bars get the room."""
    pane = _pane(qtbot, textbook_result)
    assert not pane.compact() and pane.growth_plot.isVisible()
    pane.resize(420, 300)
    qtbot.waitUntil(pane.compact, timeout=3000)
    qtbot.wait(50)
    assert not pane.growth_plot.isVisible() and pane.growth_line.isVisible()
    c = textbook_result.conditions
    assert f"{c[0].name} {c[0].growth_rate:.3f}" in pane.growth_line.text()
    assert "weights" in pane.growth_line.toolTip().lower() or "untrained" in pane.growth_line.toolTip().lower()
    assert len(pane.shift_chart.labelled()) >= 6, pane.shift_chart.labelled()
    pane.resize(420, 700)  # room again: the plot comes back
    qtbot.waitUntil(lambda: not pane.compact(), timeout=3000)
    assert pane.growth_plot.isVisible() and not pane.growth_line.isVisible()


def test_two_movers_of_one_name_are_told_apart_in_the_chart_and_the_tables(qtbot, textbook_result):
    """iJO1366's glucose -> acetate shift has acetate outside and inside the cell among its movers: both
    read "Acetate". Shown side by side, each gets its compartment (or, without one, its id)."""
    from dataclasses import replace

    from app.tables import Column, FilterTable

    pane = _pane(qtbot, textbook_result)
    chart = pane.shift_chart
    r = textbook_result.analysis.conditions.movers(0, k=SHOWN)
    names, ids = list(r.names), list(r.ids)
    first, second, third, fourth = (int(i) for i in r.ranked[:4])
    names[first] = names[second] = "Acetate"
    ids[first], ids[second] = "ac_e", "ac_c"
    names[third] = names[fourth] = "Same reaction"
    twins = replace(r, names=tuple(names), ids=tuple(ids))
    chart.set_comparison(textbook_result.analysis.conditions, 0, movers={(0, "nodes"): twins})
    shown = chart.labelled()
    assert {"Acetate [e]", "Acetate [c]"} <= set(shown), shown
    assert {f"Same reaction [{ids[third]}]", f"Same reaction [{ids[fourth]}]"} <= set(shown), shown  # no compartment
    chart.chart.setCurrentIndex(1)  # the volcano names the movers the same way
    volcano = [lab.textItem.toPlainText() for lab in chart._labels if lab.index >= 0]
    assert "Acetate [e]" in volcano and "Acetate [c]" in volcano
    table = FilterTable()
    qtbot.addWidget(table)
    table.set_columns([Column("name", ["Acetate", "Acetate", "Glucose"]), Column("id", ["ac_e", "ac_c", "glc__D_e"]),
                       Column("importance", [0.3, 0.2, 0.1])], id_column="id")
    assert sorted(table.model.text(row, 0) for row in range(3)) == ["Acetate [c]", "Acetate [e]", "Glucose"]
