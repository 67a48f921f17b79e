"""Readable network views: one pathway's reactions and metabolites, or a node's neighbourhood, in
layers (substrates above their reactions, products below, as metabolic maps are drawn), with the
currency metabolites the graph left out optionally drawn as small copies beside each reaction.

The layout is igraph's Sugiyama layered layout on the subgraph (a few milliseconds for the
≤ 80 nodes drawn; never run on a genome-scale graph: networkx's spring layout of iJO1366 takes
52 s). Cycles (reversible reactions) are broken by igraph's feedback-arc step.

Shapes (legend: K drawn nodes, M drawn edges, S side nodes):
    layered_positions(...) (K, 2) float64 in [-1, 1], y up: the first layer on top (or on the left)
    SideNodes.attach (L,) int64 local reaction positions; names (S,); pos (S, 2); links (L,) or None
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from core.errors import check_stop
from core.graph import REACTION
from core.views.network import Neighbourhood
from core.views.pairs import graph_edge_attention


def subgraph_view(graph, attention, nodes: np.ndarray, seeds: np.ndarray, condition: int = 0, layer: int = -1,
                  head: int | None = None) -> Neighbourhood:
    """``nodes`` (graph positions, in drawing order) and the graph edges among them as a
    :class:`Neighbourhood`, edges weighted by attention (larger of the two directions)."""
    n = graph.n_nodes
    nodes = np.asarray(nodes, dtype=np.int64)
    pair_w = graph_edge_attention(graph, attention, condition, layer, head)  # [G]
    src, dst = np.asarray(graph.edge_index, dtype=np.int64)
    local = np.full(n, -1, dtype=np.int64)
    local[nodes] = np.arange(nodes.size)
    inside = (local[src] >= 0) & (local[dst] >= 0)
    edges = np.stack([local[src[inside]], local[dst[inside]]], axis=1).reshape(-1, 2)  # [M, 2]
    importance = np.asarray(attention.importance[condition], dtype=np.float64)
    return Neighbourhood(
        nodes=nodes, edges=edges, edge_weight=pair_w[inside].astype(np.float32),
        node_weight=importance[nodes].astype(np.float32), is_seed=np.isin(nodes, seeds),
        ids=tuple(graph.node_ids[i] for i in nodes), names=tuple(graph.node_names[i] for i in nodes),
        types=np.asarray(graph.node_types)[nodes].astype(np.int8),
        condition=attention.condition_names[condition] if attention.condition_names else str(condition),
        layer=int(layer) if layer >= 0 else attention.n_layers + int(layer), head=head)


def pathway_view(graph, attention, pathway: str, condition: int = 0, layer: int = -1, head: int | None = None,
                 max_nodes: int = 80) -> Neighbourhood:
    """The reactions whose primary pathway is ``pathway`` and the metabolites they use. Above
    ``max_nodes`` the reactions with the most importance are kept (with their metabolites) until full."""
    types = np.asarray(graph.node_types)
    primary = np.asarray(graph.primary_pathway, dtype=object)
    reactions = np.flatnonzero((types == REACTION) & (primary == pathway))
    if reactions.size == 0:
        raise KeyError(f"no reaction in pathway {pathway!r}")
    importance = np.asarray(attention.importance[condition], dtype=np.float64)
    reactions = reactions[np.argsort(-importance[reactions], kind="stable")]
    src, dst = np.asarray(graph.edge_index, dtype=np.int64)
    chosen: dict[int, None] = {}
    for r in reactions:
        touching = np.flatnonzero((src == r) | (dst == r))
        mets = np.where(src[touching] == r, dst[touching], src[touching])
        if chosen and len(chosen) + 1 + len(mets) > max_nodes:
            break
        chosen.setdefault(int(r), None)
        for m in mets:
            chosen.setdefault(int(m), None)
    nodes = np.fromiter(chosen, dtype=np.int64, count=len(chosen))
    return subgraph_view(graph, attention, nodes, reactions, condition, layer, head)


def layered_positions(n_nodes: int, edges: np.ndarray, should_stop: Callable[[], bool] | None = None) -> np.ndarray:
    """(K, 2) positions from igraph's Sugiyama layout of the directed ``edges`` (M, 2), scaled into
    [-1, 1] keeping the aspect: the flow goes downwards (x: order within a layer, y: the layer), or left
    to right when the layers are fewer than the nodes of the widest one."""
    if n_nodes == 0:
        return np.zeros((0, 2))
    import igraph

    check_stop(should_stop)
    e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    e = e[e[:, 0] != e[:, 1]]
    g = igraph.Graph(n=int(n_nodes), edges=e.tolist(), directed=True)
    coords = np.asarray(g.layout_sugiyama().coords, dtype=np.float64)[:n_nodes]  # [K, 2] (x, layer)
    check_stop(should_stop)
    layers, per_layer = np.unique(coords[:, 1], return_counts=True)
    if per_layer.max() > layers.size:
        # Few layers of many nodes (a node's neighbourhood): the layers become columns, flowing left to
        # right, so that names beside the nodes need only a line of height each, not a label's width.
        coords = np.stack([coords[:, 1] * 2.5, -coords[:, 0]], axis=1)
    else:
        coords[:, 1] *= -1.6  # first layer on top (the view's y points up); layers further apart than neighbours
    coords -= (coords.max(axis=0) + coords.min(axis=0)) / 2
    scale = np.abs(coords).max()
    return coords / scale if scale > 0 else coords


@dataclass(frozen=True, eq=False)
class SideNodes:
    """Currency metabolites drawn as small copies beside the reactions that use them."""

    attach: np.ndarray  # (L,) int64 local position of the reaction each link goes to
    names: tuple[str, ...]
    pos: np.ndarray  # (S, 2) float64
    links: np.ndarray | None = None  # (L,) int64 node of each link; None: one link per node (L = S)

    @property
    def linked(self) -> np.ndarray:
        """(L,) int64 the side node of each link."""
        return np.arange(len(self.names), dtype=np.int64) if self.links is None else self.links


def currency_sides(model, graph, nbh: Neighbourhood, pos: np.ndarray, radius: float = 0.06,
                   per_reaction: int = 4) -> SideNodes:
    """For each drawn reaction, the currency metabolites the graph removed (``graph.removed_currency``)
    that take part in it in ``model`` (a cobra model), at most ``per_reaction``, placed on a small
    arc on the reaction's left (``radius`` in layout units), where its name is not."""
    removed = set(graph.removed_currency)
    attach, names, where = [], [], []
    if model is None or not removed:
        return SideNodes(np.zeros(0, dtype=np.int64), (), np.zeros((0, 2)))
    for k, (nid, t) in enumerate(zip(nbh.ids, nbh.types)):
        if t != REACTION or nid not in model.reactions:
            continue
        mets = [m for m in model.reactions.get_by_id(nid).metabolites if m.id in removed][:per_reaction]
        for j, m in enumerate(mets):
            # On the reaction's left: its name goes on the right.
            angle = 3 * np.pi / 4 + j * (np.pi / 2) / max(len(mets) - 1, 1)
            attach.append(k)
            names.append(m.name or m.id)
            where.append(pos[k] + radius * np.array([np.cos(angle), np.sin(angle)]))
    return SideNodes(np.asarray(attach, dtype=np.int64), tuple(names),
                     np.asarray(where, dtype=np.float64).reshape(-1, 2))
