"""What the heatmap pane writes on its axes and colour bar, as plain functions of the view (no Qt):
which pathway or node names fit along an axis, the pathway x pathway image on a log scale, and the
caption that says how many nodes one drawn cell holds.

Shapes (legend: B pathway blocks, P pathways): ``starts`` (B + 1,) ranks where each block begins;
``flow`` (P, P) total attention, rows attend, columns are attended to.
"""

from __future__ import annotations

import numpy as np

LABEL_CHARS = 26
LOG_DECADES = 4.0  # the pathway colour scale spans at most this many decades below the largest total


def short(text: str, n: int = LABEL_CHARS) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def block_ticks(starts: np.ndarray, names, lo: float, hi: float, pixels: float, min_px: float,
                chars: int = LABEL_CHARS) -> list[tuple[float, str]]:
    """Labels for the pathway blocks visible between ``lo`` and ``hi`` (in ranks) on an axis
    ``pixels`` long: each at the centre of the block's *visible* part, so that zoomed into one
    pathway its name stays on the axis; labels at least ``min_px`` apart, small slivers skipped."""
    span = max(hi - lo, 1e-9)
    per_px = span / max(pixels, 1.0)  # ranks per pixel
    min_gap = min_px * per_px
    ticks, last = [], -np.inf
    for b, name in enumerate(names):
        a, z = max(float(starts[b]), lo), min(float(starts[b + 1]), hi)
        if z - a < min(min_gap * 0.6, span * 0.5):  # not visible, or a sliver too thin to name
            continue
        centre = (a + z) / 2.0
        if centre - last >= min_gap:
            ticks.append((centre, short(name, chars)))
            last = centre
    return ticks


def pathway_ticks(names, lo: float, hi: float, pixels: float, numbered: bool) -> list[tuple[float, str]]:
    """Row labels "name  n" (``numbered``: the column number beside it) or column labels "n": one
    cell per pathway, every k-th when the cells are closer than a line of text."""
    per_px = max(hi - lo, 1e-9) / max(pixels, 1.0)
    step = max(1, int(np.ceil((10.0 if numbered else 16.0) * per_px)))  # px a label needs
    first = max(int(np.floor(lo)), 0)
    out = []
    for i in range(first - first % step, min(int(np.ceil(hi)), len(names)), step):
        if i >= first:
            out.append((i + 0.5, f"{short(names[i], LABEL_CHARS - 3)} {i + 1}" if numbered else str(i + 1)))
    return out


def pathway_image(flow: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """(P, P) totals -> (log10 of the totals, NaN where there is none, so the cell stays white;
    colour levels in log10 units). The within-pathway totals are tens to hundreds of times the
    flows between pathways: on a linear scale only the diagonal would show."""
    flow = np.asarray(flow, dtype=np.float64)
    positive = np.isfinite(flow) & (flow > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(positive, np.log10(np.where(positive, flow, 1.0)), np.nan).astype(np.float32)
    if not positive.any():
        return values, (-1.0, 0.0)
    top = float(np.log10(flow[positive].max()))
    low = max(float(np.log10(flow[positive].min())), top - LOG_DECADES)
    return values, (low, top if top > low else low + 1.0)


def log_ticks(low: float, high: float) -> list[tuple[float, str]]:
    """Colour bar ticks for a log10 scale from ``low`` to ``high`` (log10 units), labelled with the
    values themselves: every decade, and 2 and 5 times it when the scale spans under two decades."""
    multiples = (1, 2, 5) if high - low < 2.0 else (1,)
    out = []
    for k in range(int(np.floor(low)), int(np.ceil(high)) + 1):
        for m in multiples:
            pos = k + np.log10(m)
            if low - 1e-9 <= pos <= high + 1e-9:
                out.append((float(pos), f"{m * 10.0 ** k:g}"))
    return out


def node_caption(n_nodes: int, n_edges: int, nodes_per_cell: float, detail: bool, detail_nodes: int) -> str:
    """The node-level caption for the current zoom: how many nodes one drawn cell holds now."""
    head = f"{n_nodes:,} nodes in pathway order, {n_edges:,} attention edges"
    if detail or nodes_per_cell <= 1.01:
        cells = "; every node pair has its own cell (zoomed in)" if detail else "; one cell per node pair"
    else:
        cells = (f"; one cell = {nodes_per_cell:.1f} × {nodes_per_cell:.1f} nodes (largest weight shown; "
                 f"zoom in below {detail_nodes:,} nodes across for one cell per node pair)")
    return head + cells + ". Hover a cell for both nodes and the weight; click to select; drag to pan, wheel to zoom."
