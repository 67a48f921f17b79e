"""Attention heatmaps: node x node (sparse, rasterised, ordered by pathway) and pathway x pathway.

Shapes (legend: L layers, C conditions, E attention edges, H heads, N nodes, P pathways):
    attention.self_attention (L, C, E, H) -> one (E,) slice drawn as a (pixels, pixels) image
    pathways.flow_sum / flow_mean (C, P, P), rows attend, columns are attended to
"""

from __future__ import annotations

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import LogNorm, Normalize

from core.figures._style import FONT_SIZE, colormap, empty_message, new_figure, plain
from core.views import attention_slice, heatmap_grid, pathway_order

MAX_PIXELS = 1500


def _thin_labels(centres: np.ndarray, names, n_rows: int, axis_inches: float, font_pt: float) -> list[int]:
    """Indices of block labels that fit without overlapping (bigger blocks are not favoured: in
    pathway order a reader scans alphabetically)."""
    if n_rows == 0:
        return []
    min_gap = n_rows * (font_pt * 1.25 / 72.0) / max(axis_inches, 0.1)
    keep, last = [], -np.inf
    for b, c in enumerate(centres):
        if c - last >= min_gap:
            keep.append(b)
            last = c
    return keep


def attention_heatmap(graph, attention, condition: int = 0, layer: int = -1, head: int | None = None,
                      cmap: str = "viridis", scale: str = "linear", max_pixels: int = MAX_PIXELS,
                      size: float = 8.0, title: str | None = None):
    """Node x node attention of one layer, condition and head (mean over heads when ``head`` is None).

    Rows are the attending nodes, columns the nodes attended to, both sorted by pathway with thin
    separators and pathway names. Only attention edges are drawn; white means no edge. Above
    ``max_pixels`` nodes one pixel pools several nodes and shows their largest weight.
    """
    cm = colormap(cmap)
    order = pathway_order(graph)
    n = graph.n_nodes
    layer_no = layer if layer >= 0 else attention.n_layers + layer
    weights = attention_slice(attention, condition, layer, head).astype(np.float32)
    grid = heatmap_grid(attention.edge_index, weights, order, max_pixels)
    fig = new_figure(size + 1.6, size)
    ax = fig.add_subplot()
    finite = grid.values[np.isfinite(grid.values)]
    if finite.size == 0:
        empty_message(ax, "no attention edges to draw")
        return fig
    norm = _norm(finite, scale)
    # Coloured once here as 8-bit RGBA (white where there is no edge): matplotlib would otherwise
    # normalise and colour the float grid on every draw, twice as slow at genome scale.
    rgba = cm(norm(np.ma.masked_invalid(grid.values)), bytes=True)  # [P, P, 4]
    ax.imshow(rgba, interpolation="nearest", extent=(0, n, n, 0), aspect="equal")
    image = ScalarMappable(norm=norm, cmap=cm)
    inner = order.starts[1:-1]
    if inner.size:
        segs = [[(0, b), (n, b)] for b in inner] + [[(b, 0), (b, n)] for b in inner]
        ax.add_collection(LineCollection(segs, colors="#999999", linewidths=0.3, zorder=3))
    keep = _thin_labels(order.centres, order.names, n, size * 0.85, FONT_SIZE - 3)
    labels = [plain(order.names[b], 32) for b in keep]
    ax.set_xticks(order.centres[keep], labels, rotation=90, fontsize=FONT_SIZE - 3)
    ax.set_yticks(order.centres[keep], labels, fontsize=FONT_SIZE - 3)
    ax.tick_params(length=0)
    ax.set_xlabel("attended to (source node), by pathway", fontsize=FONT_SIZE)
    ax.set_ylabel("attending (target node), by pathway", fontsize=FONT_SIZE)
    cond = attention.condition_names[condition]
    heads = f"head {head}" if head is not None else "mean over heads"
    pooled = f"; 1 pixel = {grid.nodes_per_pixel:.1f} nodes (max)" if grid.nodes_per_pixel > 1 else ""
    ax.set_title(plain(title) if title else f"Attention, {plain(cond)}: layer {layer_no + 1}, {heads}{pooled}",
                 fontsize=FONT_SIZE + 1)
    bar = fig.colorbar(image, ax=ax, shrink=0.7, pad=0.01)
    bar.set_label("attention weight", fontsize=FONT_SIZE)
    bar.ax.tick_params(labelsize=FONT_SIZE - 1)
    return fig


def _norm(values: np.ndarray, scale: str):
    """Colour scale over the finite values: linear from 0, or log over four decades below the maximum
    (zeros then show as empty)."""
    vmax = float(values.max()) if values.size else 1.0
    vmax = vmax if vmax > 0 else 1.0
    if scale == "linear":
        return Normalize(vmin=0.0, vmax=vmax)
    if scale == "log":
        positive = values[values > 0]
        return LogNorm(vmin=max(float(positive.min()) if positive.size else vmax * 1e-4, vmax * 1e-4), vmax=vmax)
    raise ValueError(f"scale must be 'linear' or 'log', not {scale!r}")


def pathway_heatmap(pathways, condition: int = 0, value: str = "flow_sum", cmap: str = "viridis",
                    scale: str = "log", max_pathways: int = 40, title: str | None = None):
    """Pathway x pathway attention from the analysis (:class:`core.analysis.pathways.PathwayResult`).

    ``value`` is ``flow_sum`` (total attention from row pathway to column pathway) or ``flow_mean``
    (average weight of one such edge). ``scale="log"`` (default) keeps small flows visible beside the
    large within-pathway ones; white cells have no attention. With more than ``max_pathways`` pathways, the condition's
    most important ones (the analysis's ranking) are shown, in that order.
    """
    if value not in ("flow_sum", "flow_mean"):
        raise ValueError(f"value must be 'flow_sum' or 'flow_mean', not {value!r}")
    cm = colormap(cmap)
    matrix = np.asarray(getattr(pathways, value)[condition], dtype=np.float64)  # [P, P]
    names = pathways.names
    if len(names) > max_pathways:
        pick = np.asarray(pathways.ranking[condition][:max_pathways], dtype=np.int64)
    else:
        pick = np.arange(len(names))
    sub = matrix[np.ix_(pick, pick)]
    p = len(pick)
    side = min(max(4.0, 0.16 * p + 2.5), 11.0)
    fig = new_figure(side + 1.2, side)
    ax = fig.add_subplot()
    cond = pathways.condition_names[condition]
    if p == 0 or not np.isfinite(sub).any():
        empty_message(ax, "no pathway attention to draw")
        return fig
    shown_values = np.where(sub > 0, sub, np.nan) if scale == "log" else sub
    norm = _norm(sub[np.isfinite(sub)], scale)
    ax.imshow(cm(norm(np.ma.masked_invalid(shown_values)), bytes=True), interpolation="nearest", aspect="equal")
    image = ScalarMappable(norm=norm, cmap=cm)
    labels = [plain(names[i], 36) for i in pick]
    font = FONT_SIZE - 1 if p <= 25 else FONT_SIZE - 2
    ax.set_xticks(np.arange(p), labels, rotation=90, fontsize=font)
    ax.set_yticks(np.arange(p), labels, fontsize=font)
    ax.set_xlabel("attended to", fontsize=FONT_SIZE)
    ax.set_ylabel("attending", fontsize=FONT_SIZE)
    what = "total attention" if value == "flow_sum" else "mean attention per edge"
    shown = f" ({p} most important of {len(names)})" if p < len(names) else ""
    ax.set_title(plain(title) if title else f"Pathway x pathway {what}, {plain(cond)}{shown}",
                 fontsize=FONT_SIZE + 1)
    bar = fig.colorbar(image, ax=ax, shrink=0.7, pad=0.01)
    bar.set_label(what + (" (log scale)" if scale == "log" else ""), fontsize=FONT_SIZE)
    bar.ax.tick_params(labelsize=FONT_SIZE - 1)
    return fig
