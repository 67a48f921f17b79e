"""Layered network views (issue 16): a pathway's reactions and metabolites or a node's neighbourhood,
substrates before their reactions and products after, currency metabolites as copies beside reactions."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import Cancelled
from core.graph import REACTION
from core.views.layered import currency_sides, layered_positions, pathway_view


def test_a_chain_flows_downwards_and_a_star_left_to_right():
    # A -> R1 -> B -> R2 -> C: five layers, one node each, the flow from top to bottom.
    pos = layered_positions(5, np.array([[0, 1], [1, 2], [2, 3], [3, 4]]))
    assert pos.shape == (5, 2) and np.abs(pos).max() == pytest.approx(1.0)
    assert np.all(np.diff(pos[:, 1]) < 0)
    # A metabolite made by 3 reactions and used by 5: three layers, the widest of five nodes, so the
    # layers become columns (left to right) and names need a line each, not a label's width.
    edges = np.array([[1, 0], [2, 0], [3, 0]] + [[0, k] for k in range(4, 9)])
    pos = layered_positions(9, edges)
    assert np.all(pos[1:4, 0] < pos[0, 0]) and np.all(pos[4:, 0] > pos[0, 0])
    assert len(set(np.round(pos[4:, 1], 6))) == 5  # the five products one under the other
    with pytest.raises(Cancelled):
        layered_positions(9, edges, should_stop=lambda: True)


def test_pathway_view_and_currency_copies_on_textbook(textbook, textbook_graph):
    from core.graph import remove_currency
    from tests.core.analysis.synthetic import synthetic_attention

    graph = remove_currency(textbook_graph)
    attention = synthetic_attention(graph, ("glucose",), layers=1, heads=2, seed=0)
    nbh = pathway_view(graph, attention, "Glycolysis/Gluconeogenesis")
    primary = np.asarray(graph.primary_pathway, dtype=object)
    in_pathway = set(np.flatnonzero((np.asarray(graph.node_types) == REACTION)
                                    & (primary == "Glycolysis/Gluconeogenesis")).tolist())
    assert set(nbh.nodes[nbh.is_seed].tolist()) == in_pathway  # small pathway: every reaction drawn
    assert nbh.edges.shape[0] > 0 and nbh.n_nodes <= 80
    small = pathway_view(graph, attention, "Glycolysis/Gluconeogenesis", max_nodes=12)
    assert small.n_nodes <= 12 and small.is_seed.any()
    with pytest.raises(KeyError, match="no reaction"):
        pathway_view(graph, attention, "Not a pathway")
    pos = layered_positions(nbh.n_nodes, nbh.edges)
    sides = currency_sides(textbook, graph, nbh, pos)
    assert graph.removed_currency  # the graph left out ATP, ADP, ...
    pgk = nbh.ids.index("PGK")
    names = {sides.names[j] for j in np.flatnonzero(sides.attach == pgk)}
    assert any(n.startswith("ATP") for n in names) and any(n.startswith("ADP") for n in names), names
    assert np.all(np.linalg.norm(sides.pos - pos[sides.attach], axis=1) < 0.1)  # beside their reaction
    assert currency_sides(None, graph, nbh, pos).names == ()
