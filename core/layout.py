"""Positions and drawing arrays for the metabolic graph, shared by the figures, the HTML export and the GUI.

* :func:`layout` places nodes with igraph's Fruchterman–Reingold (grid variant: ~0.3 s for iJO1366,
  where networkx's spring layout takes ~50 s). Positions are cached in memory by a key of the
  undirected edge set, the node count and the seed, and optionally on disk as ``.npy`` files
  (read back with ``allow_pickle=False``).
* :func:`neighbourhood` picks the subgraph worth drawing: the top-k most important nodes (or one
  chosen node) plus the neighbours they attend to most, with per-edge attention weights.
* :func:`whole_graph` wraps the entire graph the same way, for whole-network views.
* :func:`graph_arrays` turns a neighbourhood into the arrays pyqtgraph's ``GraphItem.setData`` takes
  (``pos``, ``adj``, per-edge pens, per-node symbols/sizes/brushes); the matplotlib and plotly
  network figures draw from the same arrays so every view agrees.
* :func:`pathway_order` and :func:`heatmap_grid` order nodes by pathway and rasterise the sparse
  per-edge attention into a fixed-size pixel grid without ever building an N x N matrix.

Shapes (legend: N nodes, E attention edges, G graph edges, K drawn nodes, M drawn edges, P pixels):
    layout(...)                 (N, 2) float64, centred, scaled into [-1, 1]
    Neighbourhood.nodes         (K,) int64 positions in the graph
    Neighbourhood.edges         (M, 2) int64 local positions (into ``nodes``), graph direction
    Neighbourhood.edge_weight   (M,) float32 attention on the pair (max over the two directions)
    Neighbourhood.node_weight   (K,) float32 importance in the chosen condition
    GraphArrays.pos (K, 2) float64, adj (M, 2) int64, pens (M,) record array (red, green, blue, alpha, width)
    heatmap_grid(...).values    (P, P) float32, NaN where no attention edge falls in the pixel
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.graph import METABOLITE, NODE_TYPE_NAMES

log = logging.getLogger(__name__)

LAYOUT_VERSION = "igraph-fr-grid-1"
MEMORY_CACHE_SIZE = 64
METABOLITE_RGB = (214, 39, 40)  # red circles
REACTION_RGB = (31, 119, 180)  # blue squares
EDGE_RGB = (60, 60, 60)
CONDITION_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c")


def condition_colour(c: int) -> str:
    """The colour of the ``c``-th condition, the same in every figure and page."""
    return CONDITION_COLOURS[int(c) % len(CONDITION_COLOURS)]
PEN_DTYPE = np.dtype([("red", np.ubyte), ("green", np.ubyte), ("blue", np.ubyte), ("alpha", np.ubyte),
                      ("width", np.float64)])
UNASSIGNED = "Unassigned"

_memory: OrderedDict[str, np.ndarray] = OrderedDict()
_memory_lock = threading.Lock()
# igraph draws its random numbers from one process-wide generator; seeding it is only safe under a lock.
_igraph_lock = threading.Lock()


# --------------------------------------------------------------------------- layout


def layout_cache_dir() -> Path:
    """Where positions are kept on disk: ``$METATTN_CACHE_DIR/layouts`` or the user cache folder."""
    env = os.environ.get("METATTN_CACHE_DIR")
    if env:
        return Path(env) / "layouts"
    import platformdirs

    return Path(platformdirs.user_cache_dir("metattn")) / "layouts"


def canonical_edges(edges: np.ndarray) -> np.ndarray:
    """(M, 2) -> (U, 2) int64: undirected pairs (low, high), self-loops dropped, sorted and unique."""
    e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    e = e[e[:, 0] != e[:, 1]]
    e = np.sort(e, axis=1)
    if e.shape[0] == 0:
        return e
    return np.unique(e, axis=0)


def layout_key(n_nodes: int, edges: np.ndarray, seed: int) -> str:
    """Hex key of the undirected edge set, node count, seed and layout version."""
    h = hashlib.sha256()
    h.update(f"{LAYOUT_VERSION}|{int(n_nodes)}|{int(seed)}|".encode())
    h.update(np.ascontiguousarray(canonical_edges(edges)).tobytes())
    return h.hexdigest()[:32]


def _edges_of(graph_or_edges, n_nodes: int | None) -> tuple[int, np.ndarray]:
    if hasattr(graph_or_edges, "edge_index") and hasattr(graph_or_edges, "node_ids"):  # MetabolicGraph
        return graph_or_edges.n_nodes, np.asarray(graph_or_edges.edge_index, dtype=np.int64).T
    if isinstance(graph_or_edges, Neighbourhood):
        return graph_or_edges.n_nodes, graph_or_edges.edges
    edges = np.asarray(graph_or_edges, dtype=np.int64).reshape(-1, 2)
    if n_nodes is None:
        n_nodes = int(edges.max()) + 1 if edges.size else 0
    if edges.size and (edges.min() < 0 or edges.max() >= n_nodes):
        raise ValueError(f"edges refer to nodes outside 0..{n_nodes - 1}")
    return int(n_nodes), edges


def _compute_layout(n: int, edges: np.ndarray, seed: int) -> np.ndarray:
    if n == 0:
        return np.zeros((0, 2))
    if n == 1:
        return np.zeros((1, 2))
    import igraph

    g = igraph.Graph(n=n, edges=edges.tolist(), directed=False)
    with _igraph_lock:
        igraph.set_random_number_generator(random.Random(int(seed)))
        try:
            # The grid keeps repulsion local: ~0.3 s on iJO1366 instead of ~20 s for all pairs; small
            # graphs get the exact all-pairs version, which separates close nodes better.
            coords = np.asarray(g.layout_fruchterman_reingold(grid=n > 1000).coords, dtype=np.float64)
        finally:
            igraph.set_random_number_generator(random)
    coords -= coords.mean(axis=0)
    scale = np.abs(coords).max()
    return coords / scale if scale > 0 else coords


def _disk_get(path: Path, n: int) -> np.ndarray | None:
    try:
        arr = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        log.warning("dropping unreadable layout cache %s", path)
        path.unlink(missing_ok=True)
        return None
    if arr.shape != (n, 2) or arr.dtype != np.float64 or not np.isfinite(arr).all():
        path.unlink(missing_ok=True)
        return None
    return arr


def _disk_put(path: Path, arr: np.ndarray) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, arr, allow_pickle=False)
        os.replace(tmp, path)
    except OSError as exc:  # a read-only cache folder only costs speed
        log.info("layout cache not written: %s", exc)


def layout(graph_or_edges, seed: int = 0, n_nodes: int | None = None, *, disk_cache: bool = False,
           cache_folder: str | Path | None = None) -> np.ndarray:
    """Node positions (N, 2), centred and scaled into [-1, 1]; same edges + seed -> same positions.

    ``graph_or_edges`` is a :class:`~core.graph.MetabolicGraph`, a :class:`Neighbourhood` or an
    (M, 2) integer edge array (then ``n_nodes`` gives N; isolated nodes are placed too). Edge
    direction and duplicates do not matter. With ``disk_cache`` the positions are also kept as
    ``.npy`` under ``cache_folder`` (default :func:`layout_cache_dir`). The returned array is a copy.
    """
    n, edges = _edges_of(graph_or_edges, n_nodes)
    canon = canonical_edges(edges)
    key = layout_key(n, canon, seed)
    with _memory_lock:
        hit = _memory.get(key)
        if hit is not None:
            _memory.move_to_end(key)
            return hit.copy()
    path = Path(cache_folder or layout_cache_dir()) / f"layout-{key}.npy" if disk_cache else None
    coords = _disk_get(path, n) if path is not None else None
    if coords is None:
        coords = _compute_layout(n, canon, seed)
        if path is not None:
            _disk_put(path, coords)
    coords.setflags(write=False)
    with _memory_lock:
        _memory[key] = coords
        while len(_memory) > MEMORY_CACHE_SIZE:
            _memory.popitem(last=False)
    return coords.copy()


def clear_layout_cache() -> None:
    """Forget the in-memory positions (the disk cache is left alone)."""
    with _memory_lock:
        _memory.clear()


# --------------------------------------------------------------------------- attention on pairs


def attention_slice(attention, condition: int, layer: int, head: int | None) -> np.ndarray:
    """(E,) float64 weights of one layer/condition, one head or the mean over heads."""
    w = attention.self_attention[layer, condition]  # [E, H]
    return np.asarray(w[:, head] if head is not None else w.mean(axis=1), dtype=np.float64)


def edge_lookup(edge_index: np.ndarray, weights: np.ndarray, n_nodes: int, source: np.ndarray,
                target: np.ndarray, missing: float = np.nan) -> np.ndarray:
    """Weights of the attention edges (source -> target) asked for; ``missing`` where there is none.

    ``edge_index`` (2, E), ``weights`` (..., E); ``source``/``target`` (Q,). Returns (..., Q).
    """
    edge_index = np.asarray(edge_index, dtype=np.int64)
    keys = edge_index[0] * n_nodes + edge_index[1]  # [E]
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    q = np.asarray(source, dtype=np.int64) * n_nodes + np.asarray(target, dtype=np.int64)  # [Q]
    pos = np.clip(np.searchsorted(sorted_keys, q), 0, max(len(sorted_keys) - 1, 0))
    found = sorted_keys[pos] == q if len(sorted_keys) else np.zeros(q.shape, dtype=bool)
    w = np.asarray(weights, dtype=np.float64)
    picked = w[..., order[pos]] if len(sorted_keys) else np.zeros(w.shape[:-1] + q.shape)  # [..., Q]
    return np.where(found, picked, missing)


def graph_edge_attention(graph, attention, condition: int = 0, layer: int = -1, head: int | None = None,
                         both_directions: bool = True) -> np.ndarray:
    """(G,) attention on each graph edge s -> t: the weight with which t attends to s, or with
    ``both_directions`` the larger of that and s attending to t. 0 where attention has no such edge."""
    w = attention_slice(attention, condition, layer, head)
    s, t = graph.edge_index
    forward = edge_lookup(attention.edge_index, w, graph.n_nodes, s, t, missing=0.0)
    if not both_directions:
        return forward
    return np.maximum(forward, edge_lookup(attention.edge_index, w, graph.n_nodes, t, s, missing=0.0))


# --------------------------------------------------------------------------- neighbourhood


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


# --------------------------------------------------------------------------- drawing arrays


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


def shorten(text, length: int | None = None) -> str:
    """Model text on one line: whitespace runs collapse; above ``length`` characters it is cut with an
    ellipsis."""
    text = " ".join(str(text).split())
    return text if length is None or len(text) <= length else text[: max(length - 1, 1)] + "…"


# --------------------------------------------------------------------------- heatmap ordering


@dataclass(frozen=True, eq=False)
class PathwayOrder:
    """Nodes sorted by primary pathway (then type, then graph order); ``Unassigned`` last.

    ``order[r]`` is the graph position drawn at row/column r; ``rank`` is its inverse; block b spans
    rows ``starts[b]`` to ``starts[b + 1]`` and is pathway ``names[b]``.
    """

    order: np.ndarray  # (N,) int64
    rank: np.ndarray  # (N,) int64
    names: tuple[str, ...]
    starts: np.ndarray  # (B + 1,) int64

    @property
    def centres(self) -> np.ndarray:
        return (self.starts[:-1] + self.starts[1:]) / 2.0


def pathway_order(graph) -> PathwayOrder:
    pathways = graph.primary_pathway
    names = sorted(set(pathways), key=lambda p: (p == UNASSIGNED, p.lower(), p))
    block = {p: b for b, p in enumerate(names)}
    key_pathway = np.array([block[p] for p in pathways], dtype=np.int64)
    order = np.lexsort((np.arange(graph.n_nodes), np.asarray(graph.node_types), key_pathway))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    counts = np.bincount(key_pathway, minlength=len(names))
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return PathwayOrder(order=order.astype(np.int64), rank=rank, names=tuple(names), starts=starts)


@dataclass(frozen=True, eq=False)
class HeatmapGrid:
    """Per-edge attention rasterised: rows are attending nodes, columns the nodes attended to, both in
    ``PathwayOrder`` order. With ``nodes_per_pixel`` > 1 a pixel shows the largest weight in it."""

    values: np.ndarray  # (P, P) float32, NaN where empty
    nodes_per_pixel: float
    n_nodes: int


def heatmap_grid(edge_index: np.ndarray, weights: np.ndarray, order: PathwayOrder,
                 max_pixels: int = 1500) -> HeatmapGrid:
    """Rasterise (E,) weights on ``edge_index`` (2, E) into at most ``max_pixels`` squared pixels."""
    n = int(order.order.size)
    p = max(min(n, int(max_pixels)), 1)
    scale = p / max(n, 1)
    rows = np.minimum((order.rank[edge_index[1]] * scale).astype(np.int64), p - 1)  # target attends
    cols = np.minimum((order.rank[edge_index[0]] * scale).astype(np.int64), p - 1)
    flat = np.full(p * p, -np.inf, dtype=np.float64)
    np.maximum.at(flat, rows * p + cols, np.asarray(weights, dtype=np.float64))
    values = np.where(np.isfinite(flat), flat, np.nan).astype(np.float32).reshape(p, p)
    return HeatmapGrid(values=values, nodes_per_pixel=n / p if p else 1.0, n_nodes=n)


def heatmap_window(edge_index: np.ndarray, weights: np.ndarray, order: PathwayOrder,
                   rows: tuple[int, int], cols: tuple[int, int]) -> np.ndarray:
    """One cell per node pair for a window of the pathway-ordered heatmap: the zoomed-in detail.

    ``rows`` and ``cols`` are half-open ranges of ``order`` ranks (attending, attended to). Returns
    (rows[1] - rows[0], cols[1] - cols[0]) float32, the weight of each edge, NaN where there is none.
    Costs O(E) whatever the window, so a pane can redo it on every zoom.
    """
    r0, r1 = (int(v) for v in rows)
    c0, c1 = (int(v) for v in cols)
    values = np.full((max(r1 - r0, 0), max(c1 - c0, 0)), np.nan, dtype=np.float32)
    r = order.rank[edge_index[1]] - r0  # [E]
    c = order.rank[edge_index[0]] - c0
    inside = (r >= 0) & (r < values.shape[0]) & (c >= 0) & (c < values.shape[1])
    values[r[inside], c[inside]] = np.asarray(weights, dtype=np.float32)[inside]
    return values
