"""Shared pieces of the analyses: per-edge bookkeeping, node labels, top-k rows and summaries.

Shapes (legend: L layers, C conditions, H heads, N nodes, E attention edges incl. self-loops):
    AttentionEdges.weights   (L, C, H, E) float64, the attention weights with heads before edges so
                             that every (layer, condition, head) slice is one contiguous row of E
    AttentionEdges.source    (E,) int64, node attended to (row 0 of AttentionResult.edge_index)
    AttentionEdges.target    (E,) int64, node attending (row 1); each target's weights sum to 1
    AttentionEdges.self_loop (E,) bool
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from core.graph import NODE_TYPE_NAMES

SUMMARY_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def import_igraph():
    """``igraph``, imported without loading matplotlib when nothing has loaded it yet.

    igraph imports ``matplotlib.pyplot`` when it is imported (0.4-0.7 s of CPU), for its own plotting,
    which this program never uses (its figures are drawn with matplotlib directly): the command line's
    ``--formats json`` run paid for it in the analysis. ``sys.modules["matplotlib"] = None`` makes that
    one import fail (the documented way to block an import), so igraph keeps its stand-in and loads
    none of it. Where matplotlib is loaded already (the window, a figure-drawing process) or igraph is,
    this is a plain import.
    """
    import sys

    if "igraph" in sys.modules or "matplotlib" in sys.modules:
        import igraph

        return igraph
    sys.modules["matplotlib"] = None  # type: ignore[assignment]
    try:
        import igraph
    finally:
        if sys.modules.get("matplotlib", 0) is None:
            del sys.modules["matplotlib"]
    return igraph


@dataclass(frozen=True, eq=False)
class NodeLabels:
    """What a reader needs to recognise a node: id, name, type and primary pathway, all length N."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    types: np.ndarray  # (N,) int8, 0 metabolite, 1 reaction
    pathways: tuple[str, ...]

    @classmethod
    def from_graph(cls, graph) -> "NodeLabels":
        return cls(tuple(graph.node_ids), tuple(graph.node_names), np.asarray(graph.node_types, dtype=np.int8),
                   tuple(graph.primary_pathway))

    @property
    def n_nodes(self) -> int:
        return len(self.ids)

    def row(self, i: int, rank: int | None = None, **values) -> dict:
        """One node as a JSON-ready dict: names first, then the numbers given."""
        i = int(i)
        out = {} if rank is None else {"rank": rank}
        out.update(index=i, id=self.ids[i], name=self.names[i], type=NODE_TYPE_NAMES[int(self.types[i])],
                   pathway=self.pathways[i])
        for key, value in values.items():
            out[key] = _number(value[i] if isinstance(value, np.ndarray) else value)
        return out

    def table(self, order: np.ndarray, **columns: np.ndarray) -> list[dict]:
        """Rows for the node indices in ``order`` (already ranked), with one value per column."""
        return [self.row(i, rank=r + 1, **columns) for r, i in enumerate(order)]


def _number(value):
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    value = float(value)
    return value if np.isfinite(value) else None


@dataclass(frozen=True, eq=False)
class AttentionEdges:
    """Attention weights laid out for fast per-node sums (sparse incidence matrices, no loops)."""

    weights: np.ndarray  # (L, C, H, E) float64
    source: np.ndarray  # (E,) int64
    target: np.ndarray  # (E,) int64
    n_nodes: int

    @classmethod
    def from_result(cls, attention) -> "AttentionEdges":
        w = np.asarray(attention.self_attention)
        assert w.ndim == 4, f"self_attention must be (L, C, E, H), got {w.shape}"
        edge_index = np.asarray(attention.edge_index, dtype=np.int64)
        assert edge_index.shape == (2, w.shape[2]), f"edge_index {edge_index.shape} does not match {w.shape}"
        weights = np.ascontiguousarray(np.moveaxis(w, 3, 2), dtype=np.float64)  # [L, C, H, E]
        return cls(weights, edge_index[0], edge_index[1], int(attention.n_nodes))

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return self.weights.shape  # type: ignore[return-value]

    @property
    def n_edges(self) -> int:
        return int(self.source.shape[0])

    @cached_property
    def self_loop(self) -> np.ndarray:
        return self.source == self.target

    @cached_property
    def in_degree(self) -> np.ndarray:
        """(N,) incoming attention edges per node, self-loop included."""
        return np.bincount(self.target, minlength=self.n_nodes)

    @cached_property
    def _by_target(self) -> sp.csr_matrix:
        return _incidence(self.target, self.n_nodes)

    @cached_property
    def _by_source(self) -> sp.csr_matrix:
        return _incidence(self.source, self.n_nodes)

    def sum_by_target(self, values: np.ndarray) -> np.ndarray:
        """(..., E) -> (..., N): per node, the sum over the edges it receives attention weights on."""
        return _apply(self._by_target, values)

    def sum_by_source(self, values: np.ndarray) -> np.ndarray:
        """(..., E) -> (..., N): per node, the sum over the edges on which others attend to it."""
        return _apply(self._by_source, values)

    def neighbour_weights(self) -> np.ndarray:
        """(L, C, H, E) weights with self-loops set to 0 (a view is not possible, so a copy)."""
        return np.where(self.self_loop, 0.0, self.weights)


def _incidence(node: np.ndarray, n_nodes: int) -> sp.csr_matrix:
    e = node.shape[0]
    return sp.csr_matrix((np.ones(e), (node, np.arange(e))), shape=(n_nodes, e))  # [N, E]


def _apply(matrix: sp.csr_matrix, values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    lead = values.shape[:-1]
    flat = values.reshape(-1, values.shape[-1])  # [S, E]
    out = np.asarray(matrix @ flat.T).T  # [S, N]
    return out.reshape(*lead, matrix.shape[0])


def as_edges(attention) -> AttentionEdges:
    return attention if isinstance(attention, AttentionEdges) else AttentionEdges.from_result(attention)


def top_order(values: np.ndarray, k: int, largest: bool = True) -> np.ndarray:
    """Indices of the k largest (or smallest) finite values, best first; ties keep index order."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    key = np.where(finite, -values if largest else values, np.inf)
    order = np.argsort(key, kind="stable")
    return order[: min(int(k), int(finite.sum()))]


def summarise(values: np.ndarray, quantiles: Sequence[float] = SUMMARY_QUANTILES) -> dict:
    """Count, mean, std, min, quantiles and max of the finite values (None where there are none)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    out: dict = {"n": int(v.size)}
    if v.size == 0:
        out.update(mean=None, std=None, min=None, max=None, quantiles={f"{q:g}": None for q in quantiles})
        return out
    qs = np.quantile(v, quantiles)
    out.update(mean=float(v.mean()), std=float(v.std()), min=float(v.min()), max=float(v.max()),
               quantiles={f"{q:g}": float(x) for q, x in zip(quantiles, qs)})
    return out


def histogram(values: np.ndarray, bins: int = 10, value_range: tuple[float, float] = (0.0, 1.0)) -> dict:
    """Counts of the finite values in equal bins; ``edges`` has one more entry than ``counts``."""
    v = np.asarray(values, dtype=np.float64).ravel()
    counts, edges = np.histogram(v[np.isfinite(v)], bins=bins, range=value_range)
    return {"edges": [float(x) for x in edges], "counts": [int(x) for x in counts]}


def floats(array) -> list:
    """A nested list of floats with NaN/inf as None, for arrays small enough to print whole."""
    a = np.asarray(array, dtype=np.float64)
    if a.ndim == 0:
        return _number(a)  # type: ignore[return-value]
    return [floats(x) for x in a] if a.ndim > 1 else [None if not np.isfinite(x) else float(x) for x in a]


def nanmean(x: np.ndarray, axis=None) -> np.ndarray:
    """Mean over the finite entries; NaN (without a warning) where there are none."""
    x = np.asarray(x, dtype=np.float64)
    ok = np.isfinite(x)
    total = np.where(ok, x, 0.0).sum(axis=axis)
    count = ok.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def zscore_columns(x: np.ndarray) -> np.ndarray:
    """Columns scaled to mean 0 and standard deviation 1; constant or non-finite columns become 0."""
    x = np.asarray(x, dtype=np.float64)
    x = np.where(np.isfinite(x), x, np.nan)
    mean = nanmean(x, axis=0)
    std = np.sqrt(nanmean((x - mean) ** 2, axis=0))
    mean = np.where(np.isfinite(mean), mean, 0.0)
    ok = np.isfinite(std) & (std > 1e-12)
    out = np.where(ok, (x - mean) / np.where(ok, std, 1.0), 0.0)
    return np.nan_to_num(out, nan=0.0)
