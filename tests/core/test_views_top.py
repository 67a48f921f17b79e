"""The top nodes' network view (issue 16): on iJO1366 the top nodes of trained weights were respiration
reactions drawn as ten unconnected dots; now they come with the paths that join them in the graph and
the currency metabolites they share (ubiquinone, NADH...), laid out in layers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from core.graph import REACTION, build_graph, remove_currency
from core.views.top import shared_currency, top_view
from tests.core.test_views import random_attention

RESPIRATION = ("NADH16pp", "NADH17pp", "CYTBO3_4pp", "CYTBDpp", "ATPS4rpp", "FDH4pp", "NADH5", "SUCDi", "NADH10",
               "THD2pp")


def _with_top(graph, attention, ids):
    """``attention`` whose importance puts ``ids`` first, in that order."""
    imp = np.full((attention.importance.shape[0], graph.n_nodes), 1e-5, dtype=np.float32)
    for rank, nid in enumerate(ids):
        imp[:, graph.index[nid]] = 1.0 - rank * 0.01
    return replace(attention, importance=imp / imp.sum(axis=1, keepdims=True))


def test_respiration_on_top_is_joined_by_the_currency_metabolites_it_shares(ijo1366):
    graph = remove_currency(build_graph(ijo1366))
    ids = [r for r in RESPIRATION if r in graph.index]
    assert len(ids) >= 8
    att = _with_top(graph, random_attention(graph, layers=1, heads=1), ids)
    src, dst = graph.edge_index
    alone = [r for r in ids if graph.degree[graph.index[r]] <= 1]
    assert len(alone) >= 3  # the case of the issue: almost nothing left to join them in the graph
    nbh, pos, hubs = top_view(graph, att, top_k=len(ids), model=ijo1366)
    assert set(ids) <= set(nbh.ids) and pos.shape == (nbh.n_nodes, 2) and np.isfinite(pos).all()
    assert nbh.is_seed.sum() == len(ids)
    # Shared currency metabolites join the reactions: ubiquinone-8 and its reduced form among the first.
    names = " ".join(hubs.names).lower()
    assert len(hubs.names) >= 2 and "ubiquinone" in names, hubs.names
    assert hubs.pos.shape == (len(hubs.names), 2) and len(hubs.attach) == len(hubs.linked) >= 2 * len(hubs.names)
    # Every seed reaction is linked to something now: a graph edge or a shared hub.
    linked = set(nbh.edges.ravel().tolist()) | set(hubs.attach.tolist())
    seeds = [k for k in range(nbh.n_nodes) if nbh.is_seed[k]]
    assert sum(k in linked for k in seeds) >= len(seeds) - 1
    # H+ is shared by nearly all of them but names the least: the most specific hubs come first.
    assert hubs.names[0].lower().startswith(("ubiquinone", "ubiquinol", "nad", "menaquinone"))


def test_top_nodes_of_one_part_are_joined_by_shortest_paths(textbook):
    graph = remove_currency(build_graph(textbook))
    ids = ["PGI", "PFK", "TPI", "ENO"]  # glycolysis: joined through its metabolites
    att = _with_top(graph, random_attention(graph, layers=1, heads=1), ids)
    nbh, pos, hubs = top_view(graph, att, top_k=4, model=None)
    assert hubs.names == ()
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(nbh.n_nodes))
    g.add_edges_from(nbh.edges.tolist())
    seeds = [k for k in range(nbh.n_nodes) if nbh.is_seed[k]]
    assert all(nx.has_path(g, seeds[0], s) for s in seeds)  # one connected picture
    assert nbh.n_nodes <= 4 + 8  # the paths, not whole neighbourhoods
    assert shared_currency(None, graph, nbh.nodes, nbh.nodes) == ((), [], [])
    assert all(graph.node_types[graph.index[i]] == REACTION for i in ids)


def test_top_view_never_draws_more_than_max_nodes_and_builds_igraph_once(ijo1366):
    from core.views.top import undirected

    graph = remove_currency(build_graph(ijo1366))
    ids = [r for r in RESPIRATION if r in graph.index]
    att = _with_top(graph, random_attention(graph, layers=1, heads=1), ids)
    # Seeds left alone bring two neighbours each: one more than room was left for used to slip in.
    for most in range(len(ids), len(ids) + 6):
        nbh, pos, _hubs = top_view(graph, att, top_k=len(ids), model=None, max_nodes=most)
        assert nbh.n_nodes <= most and pos.shape == (nbh.n_nodes, 2), most
    assert undirected(graph) is undirected(graph) and undirected(graph).vcount() == graph.n_nodes
