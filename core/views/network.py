"""What a network view draws: the neighbourhood worth drawing and the arrays to draw it with.

* :func:`neighbourhood` picks the top-k most important nodes (or one chosen node) plus the neighbours
  they attend to most, with per-edge attention weights; :func:`whole_graph` wraps the entire graph
  the same way.
* :func:`graph_arrays` turns a neighbourhood into the arrays pyqtgraph's ``GraphItem.setData`` takes
  (``pos``, ``adj``, per-edge pens, per-node symbols/sizes/brushes); the matplotlib and plotly
  network figures draw from the same arrays so every view agrees.

Shapes (legend: K drawn nodes, M drawn edges):
    Neighbourhood.nodes         (K,) int64 positions in the graph
    Neighbourhood.edges         (M, 2) int64 local positions (into ``nodes``), graph direction
    Neighbourhood.edge_weight   (M,) float32 attention on the pair (max over the two directions)
    Neighbourhood.node_weight   (K,) float32 importance in the chosen condition
    GraphArrays.pos (K, 2) float64, adj (M, 2) int64, pens (M,) record array (red, green, blue, alpha, width)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.graph import METABOLITE, NODE_TYPE_NAMES
from core.views.pairs import graph_edge_attention
from core.views.positions import layout
from core.views.style import EDGE_RGB, METABOLITE_RGB, PEN_DTYPE, REACTION_RGB, shorten


@dataclass(frozen=True, eq=False)
class Neighbourhood:
    """A small subgraph to draw: nodes (graph positions), edges between them and their weights."""

    nodes: np.ndarray  # (K,) int64
    edges: np.ndarray  # (M, 2) int64, local
    edge_weight: np.ndarray  # (M,) float32
    node_weight: np.ndarray  # (K,) float32 importance
    is_seed: np.ndarray  # (K,) bool: the chosen node or a top-k node
    ids: tuple[str, ...]
    names: tuple[str, ...]
    types: np.ndarray  # (K,) int8
    condition: str
    layer: int
    head: int | None

    @property
    def n_nodes(self) -> int:
        return int(self.nodes.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.edges.shape[0])

    def to_dict(self) -> dict:
        return {
            "condition": self.condition, "layer": self.layer, "head": self.head,
            "nodes": [{"id": self.ids[k], "name": self.names[k], "type": NODE_TYPE_NAMES[int(self.types[k])],
                       "importance": float(self.node_weight[k]), "seed": bool(self.is_seed[k])}
                      for k in range(self.n_nodes)],
            "edges": [{"source": self.ids[a], "target": self.ids[b], "attention": float(w)}
                      for (a, b), w in zip(self.edges.tolist(), self.edge_weight.tolist())],
        }


def neighbourhood(graph, attention, centre: int | str | None = None, top_k: int = 10, condition: int = 0,
                  layer: int = -1, head: int | None = None, per_node: int = 4,
                  max_nodes: int = 80) -> Neighbourhood:
    """The nodes worth drawing and the graph edges between them, weighted by attention.

    Seeds are ``centre`` (a node position or id) or else the ``top_k`` nodes of highest importance
    in ``condition``. Each seed brings its ``per_node`` neighbours (in the metabolic graph, either
    direction) with the strongest attention on the pair; around a single centre all neighbours are
    taken, strongest first, up to ``max_nodes``. Edge weights are the last layer's (or ``layer``'s)
    attention, mean over heads unless ``head`` is given, the larger of the two directions.
    """
    n = graph.n_nodes
    assert attention.n_nodes == n, f"attention has {attention.n_nodes} nodes, the graph {n}"
    importance = np.asarray(attention.importance[condition], dtype=np.float64)  # [N]
    pair_w = graph_edge_attention(graph, attention, condition, layer, head)  # [G]
    src, dst = np.asarray(graph.edge_index, dtype=np.int64)
    if centre is not None:
        if isinstance(centre, str):
            if centre not in graph.index:
                raise KeyError(f"no node with id {centre!r}")
            centre = graph.index[centre]
        centre = int(centre)
        if not 0 <= centre < n:
            raise IndexError(f"node position {centre} outside 0..{n - 1}")
        seeds = np.array([centre], dtype=np.int64)
        per_node = max(int(max_nodes) - 1, 0)
    else:
        # Stable sort on the negated importance: ties keep graph order, so the pick is reproducible.
        seeds = np.argsort(-importance, kind="stable")[: max(min(int(top_k), int(max_nodes)), 0)]
    chosen: dict[int, None] = dict.fromkeys(int(s) for s in seeds)
    for s in seeds:
        touching = np.flatnonzero((src == s) | (dst == s))
        other = np.where(src[touching] == s, dst[touching], src[touching])
        rank = np.argsort(-pair_w[touching], kind="stable")[:per_node]
        for o in other[rank]:
            if len(chosen) >= max_nodes:
                break
            chosen.setdefault(int(o), None)
    nodes = np.fromiter(chosen, dtype=np.int64, count=len(chosen))
    local = np.full(n, -1, dtype=np.int64)
    local[nodes] = np.arange(nodes.size)
    inside = (local[src] >= 0) & (local[dst] >= 0)
    edges = np.stack([local[src[inside]], local[dst[inside]]], axis=1).reshape(-1, 2)  # [M, 2]
    seed_mask = np.zeros(nodes.size, dtype=bool)
    seed_mask[: len(seeds)] = True
    cond_name = attention.condition_names[condition] if attention.condition_names else str(condition)
    return Neighbourhood(
        nodes=nodes, edges=edges, edge_weight=pair_w[inside].astype(np.float32),
        node_weight=importance[nodes].astype(np.float32), is_seed=seed_mask,
        ids=tuple(graph.node_ids[i] for i in nodes), names=tuple(graph.node_names[i] for i in nodes),
        types=np.asarray(graph.node_types)[nodes].astype(np.int8), condition=cond_name,
        layer=int(layer) if layer >= 0 else attention.n_layers + int(layer), head=head,
    )


def whole_graph(graph, attention=None, condition: int = 0, layer: int = -1, head: int | None = None) -> Neighbourhood:
    """Every node and graph edge as a :class:`Neighbourhood`, weighted by attention when given (else
    zeros), for views of the whole network."""
    n = graph.n_nodes
    if attention is not None:
        assert attention.n_nodes == n, f"attention has {attention.n_nodes} nodes, the graph {n}"
        edge_w = graph_edge_attention(graph, attention, condition, layer, head).astype(np.float32)
        node_w = np.asarray(attention.importance[condition], dtype=np.float32)
        cond_name = attention.condition_names[condition]
        layer_no = int(layer) if layer >= 0 else attention.n_layers + int(layer)
    else:
        edge_w, node_w, cond_name, layer_no = (np.zeros(graph.n_edges, np.float32), np.zeros(n, np.float32), "",
                                               int(layer))
    return Neighbourhood(
        nodes=np.arange(n, dtype=np.int64), edges=np.asarray(graph.edge_index, dtype=np.int64).T.copy(),
        edge_weight=edge_w, node_weight=node_w, is_seed=np.zeros(n, dtype=bool), ids=tuple(graph.node_ids),
        names=tuple(graph.node_names), types=np.asarray(graph.node_types, dtype=np.int8), condition=cond_name,
        layer=layer_no, head=head,
    )



@dataclass(frozen=True, eq=False)
class GraphArrays:
    """What ``pyqtgraph.GraphItem.setData`` takes, and what the static network figures draw.

    ``sizes`` are in pixels (pyqtgraph); ``edge_strength`` is the weight scaled to [0, 1] by the
    strongest drawn edge, from which ``pens`` widths (0.5–4.5 px) and alphas (50–255) follow.
    """

    pos: np.ndarray  # (K, 2) float64
    adj: np.ndarray  # (M, 2) int64
    pens: np.ndarray  # (M,) PEN_DTYPE
    edge_strength: np.ndarray  # (M,) float64 in [0, 1]
    symbols: tuple[str, ...]  # 'o' metabolite, 's' reaction
    sizes: np.ndarray  # (K,) float64
    brushes: np.ndarray  # (K, 4) uint8 RGBA
    labels: tuple[str, ...]
    ids: tuple[str, ...]
    types: np.ndarray  # (K,) int8
    is_seed: np.ndarray  # (K,) bool, the chosen or top-k nodes (drawn with an outline)

    def setdata_kwargs(self) -> dict:
        """Keyword arguments for ``GraphItem.setData`` (brushes stay as RGBA tuples)."""
        return {"pos": self.pos, "adj": self.adj, "pen": self.pens, "symbol": list(self.symbols),
                "size": self.sizes, "symbolBrush": [tuple(int(v) for v in b) for b in self.brushes],
                "pxMode": True}


def graph_arrays(nbh: Neighbourhood, pos: np.ndarray | None = None, seed: int = 0,
                 label_length: int = 40, disk_cache: bool = False) -> GraphArrays:
    """Convert a :class:`Neighbourhood` to drawing arrays; ``pos`` defaults to :func:`layout` of it
    (kept on disk too with ``disk_cache``)."""
    k, m = nbh.n_nodes, nbh.n_edges
    if pos is None:
        pos = layout(nbh.edges, seed=seed, n_nodes=k, disk_cache=disk_cache)
    pos = np.asarray(pos, dtype=np.float64)
    assert pos.shape == (k, 2), f"pos must be ({k}, 2), got {pos.shape}"
    w = np.asarray(nbh.edge_weight, dtype=np.float64)
    top = w.max() if m and np.isfinite(w).any() and w.max() > 0 else 1.0
    strength = np.clip(np.nan_to_num(w / top), 0.0, 1.0)
    pens = np.zeros(m, dtype=PEN_DTYPE)
    pens["red"], pens["green"], pens["blue"] = EDGE_RGB
    pens["alpha"] = np.round(50 + 205 * strength).astype(np.ubyte)
    pens["width"] = 0.5 + 4.0 * strength
    imp = np.asarray(nbh.node_weight, dtype=np.float64)
    imp_top = imp.max() if k and imp.max() > 0 else 1.0
    sizes = 8.0 + 16.0 * np.clip(imp / imp_top, 0.0, 1.0)
    is_met = np.asarray(nbh.types) == METABOLITE
    brushes = np.empty((k, 4), dtype=np.uint8)
    brushes[:, :3] = np.where(is_met[:, None], METABOLITE_RGB, REACTION_RGB)
    brushes[:, 3] = 230
    labels = tuple(shorten(name or nid, label_length) for name, nid in zip(nbh.names, nbh.ids))
    return GraphArrays(pos=pos, adj=np.asarray(nbh.edges, dtype=np.int64).reshape(-1, 2), pens=pens,
                       edge_strength=strength, symbols=tuple("o" if t else "s" for t in is_met), sizes=sizes,
                       brushes=brushes, labels=labels, ids=nbh.ids, types=np.asarray(nbh.types, dtype=np.int8),
                       is_seed=np.asarray(nbh.is_seed, dtype=bool))
