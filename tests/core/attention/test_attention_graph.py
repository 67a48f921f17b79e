"""Attention edges built from a MetabolicGraph: directions, self-loops, coefficients, pathways."""

from __future__ import annotations

import numpy as np
import pytest

from core.attention.attention_graph import (AttentionGraph, build_attention_graph, full_attention_graph,
                                            pathway_overlap)


def test_tiny_graph_edges_and_edge_data(tiny):
    graph, _ = tiny
    ag = build_attention_graph(graph, hops=1)
    ei = ag.edge_index.numpy()
    n = graph.n_nodes
    expected = {(int(s), int(t)) for s, t in graph.edge_index.T}
    expected |= {(t, s) for s, t in expected} | {(i, i) for i in range(n)}
    assert {(int(s), int(t)) for s, t in ei.T} == expected
    assert ag.n_edges == 2 * graph.n_edges + n
    assert ag.rows is not None and ag.rows[-1] == ag.n_edges
    loops = ei[0] == ei[1]
    assert (ag.hops.numpy()[loops] == 0).all() and (ag.hops.numpy()[~loops] == 1).all()
    # log|coef| in both directions: B <-> R1 carries coefficient 2.
    b, r1 = graph.index["B"], graph.index["R1"]
    for s, t in ((b, r1), (r1, b)):
        e = np.flatnonzero((ei[0] == s) & (ei[1] == t))[0]
        assert ag.log_coef[e].item() == pytest.approx(np.log(2.0))
    assert (ag.log_coef.numpy()[loops] == 0).all()
    # relation: metabolite -> reaction is 0 * 2 + 1.
    a, ex = graph.index["A"], graph.index["EX_A"]
    e = np.flatnonzero((ei[0] == a) & (ei[1] == r1))[0]
    assert ag.relation[e].item() == 1
    e = np.flatnonzero((ei[0] == ex) & (ei[1] == a))[0]
    assert ag.relation[e].item() == 2


def test_pathway_overlap_is_jaccard():
    pathways = [("A",), ("A", "B"), (), ("B", "C", "D")]
    ei = np.array([[0, 1, 0, 2, 1], [0, 0, 1, 3, 3]])
    assert pathway_overlap(ei, pathways).tolist() == pytest.approx([1.0, 0.5, 0.5, 0.0, 0.25])


def test_two_hops_on_textbook(textbook_run_inputs):
    graph, _ = textbook_run_inputs
    one = build_attention_graph(graph, hops=1)
    two = build_attention_graph(graph, hops=2, hub_degree=50)
    assert two.n_edges > one.n_edges and two.max_hops == 2
    assert set(two.hops.unique().tolist()) == {0, 1, 2}
    # Two-hop pairs in a bipartite graph join nodes of the same type and have no coefficient.
    far = two.hops == 2
    src, dst = two.edge_index[:, far]
    assert (two.node_types[src] == two.node_types[dst]).all()
    assert (two.log_coef[far] == 0).all()


def test_full_graph_lists_rows_over_all_sources(tiny):
    graph, _ = tiny
    ag = full_attention_graph(graph, rows=[3, 1])
    assert ag.full and ag.n_edges == 2 * graph.n_nodes
    assert ag.edge_index[1].tolist() == [1] * 8 + [3] * 8
    assert ag.edge_index[0].tolist() == list(range(8)) * 2


def test_from_edges_single_node():
    ag = AttentionGraph.from_edges(1, np.zeros((2, 0), dtype=np.int64))
    assert ag.edge_index.tolist() == [[0], [0]] and ag.hops.tolist() == [0]
