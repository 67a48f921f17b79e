"""The network view of the most important nodes that says how they are connected.

Drawn alone, the top nodes of a genome-scale run are often unconnected: with trained weights on
iJO1366 they are respiration reactions whose every shared metabolite (NADH, ubiquinone, H+, ATP) was
removed from the graph as a currency metabolite. :func:`top_view` therefore draws

* the top-k nodes (seeds);
* the nodes on the shortest paths that join them in the graph (networkx's approximate Steiner tree:
  the fewest extra nodes that connect the seeds of one connected part);
* for a seed still left alone, its neighbours with the strongest attention (as before);
* the currency metabolites that two or more seed reactions share in the cobra model (at most
  ``max_hubs``, the most shared and most specific first: ubiquinone-8 before H+), as hub nodes linked
  to those reactions;

laid out in layers (:func:`core.views.layered.layered_positions`: substrates before their reactions,
products after).

Shapes (legend: K drawn nodes, S hubs, L hub links): the Neighbourhood as in :mod:`core.views.network`;
``SideNodes.attach`` (L,) local reaction positions, ``SideNodes.links`` (L,) hub index of each link.
"""

from __future__ import annotations

import weakref

import numpy as np

from core.errors import check_stop
from core.graph import REACTION
from core.views.layered import SideNodes, layered_positions, subgraph_view

MAX_NODES = 60
REACH = 3  # graph steps from a seed a joining path may go (a path between two seeds: up to 6)


_UNDIRECTED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # MetabolicGraph -> its igraph.Graph


def undirected(graph):
    """The graph as an undirected ``igraph.Graph``, built once per graph (kept while the graph lives)."""
    g = _UNDIRECTED.get(graph)
    if g is None:
        import igraph

        edges = np.asarray(graph.edge_index, dtype=np.int64).T  # [G, 2]
        g = _UNDIRECTED[graph] = igraph.Graph(n=graph.n_nodes, edges=edges.tolist(), directed=False)
    return g


def _connectors(graph, seeds: list[int], max_nodes: int, hops: int = REACH) -> list[int]:
    """Graph nodes on an approximate Steiner tree of the seeds in each connected part (seeds first),
    through nodes within ``hops`` of a seed: igraph finds that ball (C, ~1 ms on iJO1366) and networkx's
    Steiner tree runs on it, not on the 4,335-node graph (0.4 s of Python holding up the window's thread)."""
    import networkx as nx
    from networkx.algorithms.approximation import steiner_tree

    edges = np.asarray(graph.edge_index, dtype=np.int64).T  # [G, 2]
    ball = np.unique(np.concatenate(undirected(graph).neighborhood(seeds, order=hops))).astype(np.int64)
    near = edges[np.isin(edges[:, 0], ball) & np.isin(edges[:, 1], ball)]
    g = nx.Graph()
    g.add_nodes_from(ball.tolist())
    g.add_edges_from(near.tolist())
    chosen: dict[int, None] = dict.fromkeys(seeds)
    for part in nx.connected_components(g):
        inside = [s for s in seeds if s in part]
        if len(inside) < 2:
            continue
        tree = steiner_tree(g.subgraph(part), inside, method="mehlhorn")
        extra = [int(v) for v in tree.nodes if v not in chosen]
        if len(chosen) + len(extra) <= max_nodes:
            chosen.update(dict.fromkeys(extra))
    return list(chosen)


def _strongest_neighbours(graph, pair_w: np.ndarray, node: int, k: int) -> list[int]:
    src, dst = np.asarray(graph.edge_index, dtype=np.int64)
    touching = np.flatnonzero((src == node) | (dst == node))
    other = np.where(src[touching] == node, dst[touching], src[touching])
    return [int(o) for o in other[np.argsort(-pair_w[touching], kind="stable")[:k]]]


def shared_currency(model, graph, nodes: np.ndarray, seeds: np.ndarray, max_hubs: int = 6):
    """``(names, links, coefficients)``: the removed currency metabolites that at least two seed reactions
    share in ``model``; ``links`` is a list of (local reaction position, hub index) and ``coefficients``
    the metabolite's coefficient in that reaction (its sign: consumed or made)."""
    removed = set(graph.removed_currency)
    if model is None or not removed:
        return (), [], []
    types = np.asarray(graph.node_types)
    users: dict[str, list[tuple[int, float]]] = {}
    for k, node in enumerate(nodes):
        nid = graph.node_ids[int(node)]
        if types[node] != REACTION or node not in seeds or nid not in model.reactions:
            continue
        for met, coef in model.reactions.get_by_id(nid).metabolites.items():
            if met.id in removed:
                users.setdefault(met.id, []).append((k, float(coef)))
    shared = [m for m, u in users.items() if len(u) >= 2]
    # Shared by many seeds and by few other reactions of the model first: ubiquinone-8 (shared by 6 seeds,
    # in ~30 reactions) before H+ (shared by 9, in ~1,500).
    shared.sort(key=lambda m: (-len(users[m]) / np.log2(2 + len(model.metabolites.get_by_id(m).reactions)), m))
    shared = shared[:max_hubs]
    names = tuple(model.metabolites.get_by_id(m).name or m for m in shared)
    links = [(k, j) for j, m in enumerate(shared) for k, _c in users[m]]
    coefficients = [c for m in shared for _k, c in users[m]]
    return names, links, coefficients


def top_view(graph, attention, top_k: int = 10, condition: int = 0, layer: int = -1, model=None,
             max_nodes: int = MAX_NODES, should_stop=None):
    """``(Neighbourhood, positions (K, 2), SideNodes of the shared currency hubs)`` for the top-k nodes of
    ``condition`` (see the module's docstring); hub positions come from the same layered layout."""
    from core.views.pairs import graph_edge_attention

    importance = np.asarray(attention.importance[condition], dtype=np.float64)
    seeds = [int(s) for s in np.argsort(-importance, kind="stable")[: max(min(int(top_k), max_nodes), 1)]]
    nodes = _connectors(graph, seeds, max_nodes)
    check_stop(should_stop)
    src, dst = np.asarray(graph.edge_index, dtype=np.int64)
    inside = np.isin(src, nodes) & np.isin(dst, nodes)
    linked = set(src[inside].tolist()) | set(dst[inside].tolist())
    pair_w = graph_edge_attention(graph, attention, condition, layer)
    for s in seeds:
        if s not in linked and len(nodes) < max_nodes:
            more = [o for o in _strongest_neighbours(graph, pair_w, s, 2) if o not in nodes]
            nodes += more[: max_nodes - len(nodes)]
    nbh = subgraph_view(graph, attention, np.asarray(nodes, dtype=np.int64), np.asarray(seeds), condition, layer)
    names, links, coefs = shared_currency(model, graph, nbh.nodes, np.asarray(seeds))
    check_stop(should_stop)
    k = nbh.n_nodes
    # Hubs take part in the layout as nodes k.. : consumed -> reaction, reaction -> made.
    hub_edges = [(k + j, r) if c < 0 else (r, k + j) for (r, j), c in zip(links, coefs)]
    edges = np.concatenate([nbh.edges, np.asarray(hub_edges, dtype=np.int64).reshape(-1, 2)])
    pos = layered_positions(k + len(names), edges, should_stop)
    attach = np.asarray([r for r, _j in links], dtype=np.int64)
    hubs = SideNodes(attach=attach, names=names, pos=pos[k:], links=np.asarray([j for _r, j in links], dtype=np.int64))
    return nbh, pos[:k], hubs
