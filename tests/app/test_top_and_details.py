"""Issue 16, the network's Top nodes and the details of a reaction whose metabolites are all currency:
the top nodes come joined (paths, shared currency metabolites), and ATP synthase no longer reads as
'0 edges' without a word about why."""

from __future__ import annotations

import app.main_window  # noqa: F401  (sets pyqtgraph's row-major image order, as at start-up)
from app.panes.details import DetailsPane
from app.panes.network import TOP
from tests.app.test_network_views import _labels_do_not_overlap, shown_network


def test_top_nodes_are_drawn_joined_and_named(qtbot, textbook_result):
    pane, runner = shown_network(qtbot, textbook_result)
    assert pane._shown_mode == TOP and "joined by the shortest paths" in pane.info.text()
    a = pane.arrays
    assert int(a.is_seed.sum()) == pane.top_k.value()
    # Joined: most top nodes touch an edge of the picture or a shared currency metabolite.
    touched = set(a.adj.ravel().tolist()) | set(pane.sides_shown.attach.tolist())
    seeds = [k for k in range(len(a.ids)) if a.is_seed[k]]
    assert sum(k in touched for k in seeds) >= len(seeds) - 2
    qtbot.wait(50)
    assert len(pane.shown_labels()) >= len(seeds) // 2 and _labels_do_not_overlap(pane)
    # Made as small as at 1366x768: no name goes under the legend, which moves only after the resize.
    pane.resize(330, 300)
    qtbot.wait(100)
    assert _labels_do_not_overlap(pane)
    runner.shutdown(5000)


def test_a_reaction_of_currency_metabolites_says_so(qtbot, textbook_result):
    pane = DetailsPane()
    qtbot.addWidget(pane)
    pane.set_result(textbook_result)
    g = textbook_result.graph
    assert g.degree[g.index["ATPS4r"]] == 0  # every metabolite of ATP synthase is a currency metabolite
    pane.show_node("ATPS4r")
    text = pane.text()
    assert "0 edges" in text and "currency metabolites hidden" in text and "ATP" in text, text
    assert "metabolites: 0 in the graph" in text
    pane.show_node("PGI")  # nothing hidden: the plain count
    assert "2 metabolites, 2 edges in the graph" in pane.text()
