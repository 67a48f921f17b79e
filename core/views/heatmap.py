"""What a heatmap view draws: nodes ordered by pathway, and the sparse per-edge attention rasterised
into a fixed-size pixel grid (or one cell per pair for a zoomed-in window) without ever building an
N x N matrix.

Shapes (legend: N nodes, E attention edges, P pixels): ``heatmap_grid(...).values`` (P, P) float32,
NaN where no attention edge falls in the pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.views.style import UNASSIGNED


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
    w = np.asarray(weights, dtype=np.float64)
    # The largest weight per pixel over the E edges (sorted by pixel), not a float64 pass over all P²
    # pixels: 120 ms -> ~10 ms at 1,500² on iJO1366, most of it filling the image with NaN.
    pixel = rows * p + cols  # [E]
    by_pixel = np.argsort(pixel, kind="stable")
    pixel = pixel[by_pixel]
    starts = np.flatnonzero(np.r_[True, pixel[1:] != pixel[:-1]]) if pixel.size else np.zeros(0, np.int64)
    values = np.full(p * p, np.nan, dtype=np.float32)
    if pixel.size:
        values[pixel[starts]] = np.maximum.reduceat(w[by_pixel], starts)
    return HeatmapGrid(values=values.reshape(p, p), nodes_per_pixel=n / p if p else 1.0, n_nodes=n)


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


@dataclass(frozen=True, eq=False)
class HeatmapImage:
    """One node-level heatmap ready to draw: the slice's (E,) weights, its grid and colour levels
    (0 to the 99th percentile of the drawn pixels: self-loops of nodes with one neighbour sit at 1.0,
    and scaling to them would leave every other weight dark)."""

    weights: np.ndarray  # (E,) float64
    grid: HeatmapGrid
    levels: tuple[float, float]


def heatmap_image(attention, order: PathwayOrder, condition: int, layer: int, head: int | None,
                  max_pixels: int = 1500) -> HeatmapImage:
    """The :class:`HeatmapImage` of one condition, layer and head (None: the mean over heads)."""
    from core.views.pairs import attention_slice

    weights = attention_slice(attention, condition, layer, head)
    grid = heatmap_grid(attention.edge_index, weights, order, max_pixels)
    finite = grid.values[np.isfinite(grid.values)]
    top = float(np.quantile(finite, 0.99)) if finite.size else 1.0
    return HeatmapImage(weights=weights, grid=grid, levels=(0.0, max(top, 1e-6)))


def pooled(values: np.ndarray, factor: int) -> np.ndarray:
    """``values`` (P, P) max-pooled over ``factor`` x ``factor`` blocks, (ceil(P / f),) squared float32;
    NaN where a block holds no value. Zoomed out, a pane draws this at about the screen's resolution,
    so that no edge falls between screen pixels (plain scaling would drop most of them)."""
    f = max(int(factor), 1)
    if f == 1:
        return values
    p = values.shape[0]
    q = -(-p // f)
    # Over the drawn pixels only (a few per cent of P²): ~10 ms at 1,500², a dense block max ~60 ms.
    r, c = np.nonzero(np.isfinite(values))
    out = np.full(q * q, -np.inf, dtype=np.float32)
    np.maximum.at(out, (r // f) * q + c // f, values[r, c])
    out[np.isneginf(out)] = np.nan
    return out.reshape(q, q)
