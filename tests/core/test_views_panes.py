"""core.views.panes: what the panes draw first, computed off the window's thread, equals what the panes
compute themselves; the fast pixel grid and pooling equal the plain dense computations."""

from __future__ import annotations

import numpy as np
import pytest

from core.views.heatmap import heatmap_grid, heatmap_image, pathway_order, pooled
from core.views.panes import importance_ranks, pane_views
from core.views.search import search_terms


@pytest.fixture(scope="module")
def result():
    from core.pipeline import RunSettings, run_pipeline

    return run_pipeline(RunSettings(model="textbook", conditions=("glucose", "acetate"), weights="none"))


def _dense_grid(edge_index, w, order, p):
    """The grid as it used to be made: a float64 pass over all P² pixels."""
    n = order.order.size
    scale = p / n
    rows = np.minimum((order.rank[edge_index[1]] * scale).astype(np.int64), p - 1)
    cols = np.minimum((order.rank[edge_index[0]] * scale).astype(np.int64), p - 1)
    flat = np.full(p * p, -np.inf)
    np.maximum.at(flat, rows * p + cols, w)
    return np.where(np.isfinite(flat), flat, np.nan).astype(np.float32).reshape(p, p)


def _dense_pool(values, f):
    p = values.shape[0]
    q = -(-p // f)
    padded = np.full((q * f, q * f), np.nan, dtype=np.float32)
    padded[:p, :p] = values
    with np.errstate(all="ignore"):
        blocks = padded.reshape(q, f, q, f)
        has = np.isfinite(blocks).any(axis=(1, 3))
        return np.where(has, np.nanmax(np.where(np.isfinite(blocks), blocks, -np.inf), axis=(1, 3)), np.nan)


@pytest.mark.parametrize("pixels", [145, 40, 7])
def test_grid_and_pooling_equal_the_dense_computation(result, pixels):
    att = result.attention
    order = pathway_order(result.graph)
    w = att.self_attention[-1, 1].mean(axis=1)
    grid = heatmap_grid(att.edge_index, w, order, pixels)
    assert np.array_equal(grid.values, _dense_grid(att.edge_index, w, order, grid.values.shape[0]), equal_nan=True)
    for f in (1, 2, 3, 7):
        assert np.array_equal(pooled(grid.values, f), _dense_pool(grid.values, f).astype(np.float32), equal_nan=True)


def test_pane_views_hold_what_the_panes_would_compute(result):
    att = result.attention
    views = pane_views(result, max_pixels=100, pool_factor=2)
    order = pathway_order(result.graph)
    assert np.array_equal(views.order.order, order.order) and views.order.names == order.names
    assert np.array_equal(views.rank_rows, order.rank[att.edge_index[1]])
    key = (0, att.n_layers - 1, None)
    image = heatmap_image(att, order, *key, max_pixels=100)
    got = views.images[key]
    assert np.array_equal(got.grid.values, image.grid.values, equal_nan=True) and got.levels == image.levels
    assert 0 < got.levels[1] <= 1.0
    assert np.array_equal(views.pooled[(*key, 2)], pooled(image.grid.values, 2), equal_nan=True)
    # Ranks: 1 = the most important node of each condition.
    assert views.ranks.shape == att.importance.shape
    for c in range(att.importance.shape[0]):
        assert views.ranks[c, int(np.argmax(att.importance[c]))] == 1
        assert sorted(views.ranks[c]) == list(range(1, att.n_nodes + 1))
    assert np.array_equal(views.ranks, importance_ranks(att.importance))
    assert views.search_terms == search_terms(result.graph, result.loaded.model)
    assert any("glc__d" in t for t in views.search_terms[result.graph.index["glc__D_e"]])
    for level in ("nodes", "pathways"):
        want = result.analysis.conditions.movers(0, level=level, k=15)
        assert np.array_equal(views.movers[(0, level)].ranked, want.ranked)


def test_pane_views_without_attention_or_comparison(result):
    from dataclasses import replace

    views = pane_views(replace(result, attention=None, analysis=None))
    assert views.order is None and views.images == {} and views.ranks is None and views.movers == {}
    assert len(views.search_terms) == result.graph.n_nodes
