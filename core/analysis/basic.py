"""Basic statistics of the attention weights per layer, condition and head.

Self-loops (a node attending to itself) are kept apart: their weights behave differently (one per
node, often large), so ``mean``/``std``/... describe the weights on edges between two different
nodes and ``self_*`` describe the self-loops.

Shapes (legend: L layers, C conditions, H heads, Q quantile levels, B histogram bins):
    mean, std, var, min, max            (L, C, H) over neighbour edges
    quantiles                           (L, C, H, Q)
    self_mean, self_std, self_min, self_max  (L, C, H) over self-loops (NaN when there are none)
    histogram                           (L, B) counts of neighbour-edge weights, pooled over C and H
    histogram_edges                     (B + 1,) bin edges on [0, 1]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from core.analysis._common import as_edges, floats

DEFAULT_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True, eq=False)
class BasicStats:
    condition_names: tuple[str, ...]
    quantile_levels: tuple[float, ...]
    n_neighbour_edges: int
    n_self_loops: int
    mean: np.ndarray
    std: np.ndarray
    var: np.ndarray
    min: np.ndarray
    max: np.ndarray
    quantiles: np.ndarray
    self_mean: np.ndarray
    self_std: np.ndarray
    self_min: np.ndarray
    self_max: np.ndarray
    histogram: np.ndarray
    histogram_edges: np.ndarray

    def to_dict(self) -> dict:
        n_layers = self.mean.shape[0]
        per_slice = []
        for layer in range(n_layers):
            for c, cname in enumerate(self.condition_names):
                for h in range(self.mean.shape[2]):
                    per_slice.append({
                        "layer": layer, "condition": cname, "head": h,
                        "mean": floats(self.mean[layer, c, h]), "std": floats(self.std[layer, c, h]),
                        "variance": floats(self.var[layer, c, h]), "min": floats(self.min[layer, c, h]),
                        "max": floats(self.max[layer, c, h]),
                        "quantiles": floats(self.quantiles[layer, c, h]),
                        "self_loop": {"mean": floats(self.self_mean[layer, c, h]),
                                      "std": floats(self.self_std[layer, c, h]),
                                      "min": floats(self.self_min[layer, c, h]),
                                      "max": floats(self.self_max[layer, c, h])},
                    })
        return {
            "description": "Attention weights on edges between two different nodes, per layer, condition "
                           "and head; self-loops (a node attending to itself) reported apart.",
            "n_neighbour_edges": self.n_neighbour_edges,
            "n_self_loops": self.n_self_loops,
            "quantile_levels": list(self.quantile_levels),
            "per_slice": per_slice,
            "per_layer": [{"layer": layer,
                           "mean": floats(self.mean[layer].mean()),
                           "self_loop_mean": floats(np.nanmean(self.self_mean[layer])) if self.n_self_loops else None,
                           "histogram": {"edges": floats(self.histogram_edges),
                                         "counts": [int(x) for x in self.histogram[layer]]}}
                          for layer in range(n_layers)],
        }


def basic_statistics(attention, condition_names: Sequence[str] | None = None,
                     quantiles: Sequence[float] = DEFAULT_QUANTILES, bins: int = 20) -> BasicStats:
    """Per-(layer, condition, head) statistics of the attention weights.

    ``attention`` is an :class:`~core.attention.result.AttentionResult` or prepared
    :class:`~core.analysis._common.AttentionEdges`.
    """
    edges = as_edges(attention)
    if condition_names is None:
        condition_names = tuple(getattr(attention, "condition_names", ()))
    n_l, n_c, n_h, _ = edges.shape
    loop = edges.self_loop
    neigh = edges.weights[..., ~loop]  # [L, C, H, E_neighbour]
    selfw = edges.weights[..., loop]  # [L, C, H, N_self]
    q = tuple(float(x) for x in quantiles)

    def stats(x: np.ndarray):
        if x.shape[-1] == 0:
            nan = np.full((n_l, n_c, n_h), np.nan)
            return nan, nan.copy(), nan.copy(), nan.copy(), nan.copy()
        return x.mean(-1), x.std(-1), x.var(-1), x.min(-1), x.max(-1)

    mean, std, var, mn, mx = stats(neigh)
    s_mean, s_std, _s_var, s_min, s_max = stats(selfw)
    if neigh.shape[-1]:
        quant = np.moveaxis(np.quantile(neigh, q, axis=-1), 0, -1)  # [L, C, H, Q]
    else:
        quant = np.full((n_l, n_c, n_h, len(q)), np.nan)
    hist_edges = np.linspace(0.0, 1.0, bins + 1)
    hist = np.stack([np.histogram(neigh[layer], bins=hist_edges)[0] for layer in range(n_l)]) if n_l else \
        np.zeros((0, bins), dtype=np.int64)
    return BasicStats(
        condition_names=tuple(condition_names) or tuple(f"condition {c}" for c in range(n_c)),
        quantile_levels=q, n_neighbour_edges=int((~loop).sum()), n_self_loops=int(loop.sum()),
        mean=mean, std=std, var=var, min=mn, max=mx, quantiles=quant,
        self_mean=s_mean, self_std=s_std, self_min=s_min, self_max=s_max,
        histogram=hist, histogram_edges=hist_edges,
    )
