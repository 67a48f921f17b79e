"""Everything the window's result panes would otherwise compute on its thread when a run's result
arrives, computed once beforehand on a worker thread (:func:`pane_views`).

Handed an iJO1366 result, the panes used to block the window's event loop for about a second: the
heatmap rasterised 13,000 attention edges and took a percentile, the search box read 4,335 nodes'
annotations, the details pane ranked every node per condition, the shift chart imported and ranked
its movers. Here those are done off the GUI thread and the panes only receive the plain results
(:class:`PaneViews`); each pane still computes them itself when given none (a result shown directly).

Shapes (legend: C conditions, N nodes, E attention edges, P pixels): ``ranks`` (C, N) int64, 1 = the
most important node of the condition; ``rank_rows``/``rank_cols`` (E,) int64.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.errors import check_stop
from core.views.heatmap import HeatmapImage, PathwayOrder, heatmap_image, pathway_order, pooled
from core.views.search import search_terms

SHIFT_K = 15  # the movers the shift chart draws


@dataclass(frozen=True, eq=False)
class PaneViews:
    """What the panes draw first, for one RunResult."""

    order: PathwayOrder | None  # the heatmap's rows and columns (None without attention)
    rank_rows: np.ndarray | None  # (E,) pathway-order rank of each attention edge's target
    rank_cols: np.ndarray | None  # (E,) ... of its source
    images: dict = field(default_factory=dict)  # (condition, layer, head or None) -> HeatmapImage
    pooled: dict = field(default_factory=dict)  # (condition, layer, head, factor) -> (q, q) float32
    ranks: np.ndarray | None = None  # (C, N) importance rank, 1 = highest
    search_terms: list | None = None  # per node, the terms Find matches
    movers: dict = field(default_factory=dict)  # (pair, level) -> core.analysis.shifts.ShiftRanking
    # Names the result the compute process keeps (app.view_jobs), so the network pane's layouts are made
    # there; None: the window lays them out itself
    token: str | None = None


def warm_view_imports(progress=None, should_stop=None) -> None:
    """Import what the panes' first drawing needs (igraph, which imports matplotlib, takes ~1 s), on a
    worker thread while a model opens, so that the first run's hand-over does not wait for it."""
    import igraph  # noqa: F401

    import core.analysis.shifts  # noqa: F401
    import core.views.layered  # noqa: F401


def importance_ranks(importance: np.ndarray) -> np.ndarray:
    """(C, N) rank of each node by importance within its condition, 1 = the highest (ties: graph order)."""
    imp = np.asarray(importance, dtype=np.float64)  # [C, N]
    order = np.argsort(-imp, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(imp.shape[0])[:, None]
    ranks[rows, order] = np.arange(imp.shape[1])[None, :] + 1
    return ranks


def pane_views(result, max_pixels: int = 1500, pool_factor: int = 1, shift_k: int = SHIFT_K,
               progress=None, should_stop=None) -> PaneViews:
    """The :class:`PaneViews` of ``result`` (a RunResult with its cobra model attached, or without):
    the heatmap's first image (first condition, last layer, mean of heads) and its ``pool_factor``
    pooled form (what the pane's width asks for), importance ranks, Find's terms, and the first pair's
    movers by node and by pathway. Runs on a worker thread; stops between steps when asked."""
    att = result.attention
    order = rank_rows = rank_cols = ranks = None
    images, pools, movers = {}, {}, {}
    if att is not None:
        order = pathway_order(result.graph)
        rank_rows = order.rank[att.edge_index[1]]
        rank_cols = order.rank[att.edge_index[0]]
        check_stop(should_stop)
        key = (0, att.n_layers - 1, None)
        image: HeatmapImage = heatmap_image(att, order, *key, max_pixels=max_pixels)
        images[key] = image
        pools[(*key, int(pool_factor))] = pooled(image.grid.values, pool_factor)
        check_stop(should_stop)
        ranks = importance_ranks(att.importance)
    terms = search_terms(result.graph, getattr(getattr(result, "loaded", None), "model", None))
    check_stop(should_stop)
    comparison = result.analysis.conditions if result.analysis is not None else None
    if comparison is not None and len(comparison.pairs):
        for level in ("nodes", "pathways"):
            movers[(0, level)] = comparison.movers(0, level=level, k=shift_k)
    return PaneViews(order=order, rank_rows=rank_rows, rank_cols=rank_cols, images=images, pooled=pools,
                     ranks=ranks, search_terms=terms, movers=movers)
