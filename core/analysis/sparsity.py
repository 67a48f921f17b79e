"""How concentrated attention is: few strong edges or many weak ones.

Three views, each per layer, condition and head:
  * ``fraction_below``: the share of all attention edges (self-loops included) whose weight is
    under each threshold; it can only grow with the threshold.
  * ``node_top_share``: for each node, the share of its incoming attention (which sums to 1) carried
    by its k strongest incoming edges (k = 1 is simply its largest weight).
  * ``global_top_share``: the share of all attention carried by the strongest ``p`` fraction of
    edges (e.g. the top 1 % of edges), and the Gini coefficient of the weights (0 = all equal,
    near 1 = a few edges carry everything).

Shapes (legend: L layers, C conditions, H heads, N nodes, T thresholds, K node top-k values,
G global edge shares):
    thresholds        (T,)
    fraction_below    (L, C, H, T)
    node_top_k        (K,)
    node_top_share    (K, L, C, H, N) float32
    edge_shares       (G,)
    global_top_share  (L, C, H, G)
    gini              (L, C, H)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from core.analysis._common import as_edges, floats, nanmean, summarise

DEFAULT_THRESHOLDS = (0.01, 0.05, 0.1)
DEFAULT_NODE_TOP_K = (1, 3)
DEFAULT_EDGE_SHARES = (0.01, 0.05, 0.1, 0.25)


@dataclass(frozen=True, eq=False)
class SparsityResult:
    condition_names: tuple[str, ...]
    thresholds: np.ndarray
    fraction_below: np.ndarray
    node_top_k: np.ndarray
    node_top_share: np.ndarray
    edge_shares: np.ndarray
    global_top_share: np.ndarray
    gini: np.ndarray

    def to_dict(self) -> dict:
        n_l, n_c, n_h, _ = self.fraction_below.shape
        per_slice = []
        for layer in range(n_l):
            for c, cname in enumerate(self.condition_names):
                for h in range(n_h):
                    per_slice.append({
                        "layer": layer, "condition": cname, "head": h,
                        "fraction_below": floats(self.fraction_below[layer, c, h]),
                        "node_top_share_mean": floats(nanmean(self.node_top_share[:, layer, c, h], axis=-1)),
                        "global_top_share": floats(self.global_top_share[layer, c, h]),
                        "gini": floats(self.gini[layer, c, h]),
                    })
        return {
            "description": "Share of attention edges with a weight under each threshold; share of a node's "
                           "attention on its k strongest edges; share of all attention on the strongest "
                           "edges; Gini coefficient (0 = even, 1 = concentrated).",
            "thresholds": floats(self.thresholds),
            "node_top_k": [int(k) for k in self.node_top_k],
            "edge_shares": floats(self.edge_shares),
            "per_layer": [{
                "layer": layer,
                "fraction_below": floats(self.fraction_below[layer].mean(axis=(0, 1))),
                "node_top_share": {str(int(k)): summarise(self.node_top_share[i, layer])
                                   for i, k in enumerate(self.node_top_k)},
                "global_top_share": floats(self.global_top_share[layer].mean(axis=(0, 1))),
                "gini": floats(self.gini[layer].mean()),
            } for layer in range(n_l)],
            "per_slice": per_slice,
        }


def attention_sparsity(attention, condition_names: Sequence[str] | None = None,
                       thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
                       node_top_k: Sequence[int] = DEFAULT_NODE_TOP_K,
                       edge_shares: Sequence[float] = DEFAULT_EDGE_SHARES) -> SparsityResult:
    edges = as_edges(attention)
    if condition_names is None:
        condition_names = tuple(getattr(attention, "condition_names", ()))
    w = edges.weights
    n_l, n_c, n_h, n_e = w.shape
    n = edges.n_nodes
    thr = np.sort(np.asarray(thresholds, dtype=np.float64))
    s = n_l * n_c * n_h
    flat = w.reshape(s, n_e)  # [S, E]

    ascending = np.sort(flat, axis=1)  # [S, E]
    if n_e:
        # searchsorted per slice: count of weights strictly below each threshold.
        below = np.stack([np.searchsorted(row, thr, side="left") for row in ascending]) / n_e  # [S, T]
    else:
        below = np.full((s, thr.size), np.nan)

    # Strongest-first cumulative mass for the global shares and the Gini coefficient.
    total = ascending.sum(axis=1)  # [S]
    shares = np.asarray(edge_shares, dtype=np.float64)
    if n_e:
        cum_desc = np.cumsum(ascending[:, ::-1], axis=1)  # [S, E]
        n_top = np.clip(np.ceil(shares * n_e).astype(np.int64), 1, n_e)
        with np.errstate(invalid="ignore", divide="ignore"):
            global_share = cum_desc[:, n_top - 1] / total[:, None]  # [S, G]
            ranks = np.arange(1, n_e + 1, dtype=np.float64)
            gini = (2.0 * (ascending * ranks).sum(axis=1)) / (n_e * total) - (n_e + 1.0) / n_e
    else:
        global_share = np.full((s, shares.size), np.nan)
        gini = np.full(s, np.nan)

    # Per-node top-k: sort edges by target, then by weight descending, in one argsort per slice.
    ks = np.asarray(node_top_k, dtype=np.int64)
    if n_e:
        key = edges.target[None, :] * 2.0 + (1.0 - flat)  # [S, E]; targets 2 apart, 1 - w in [0, 1]
        order = np.argsort(key, axis=1, kind="stable")
        sorted_w = np.take_along_axis(flat, order, axis=1)  # [S, E]
        sorted_t = np.sort(edges.target)
        start = np.concatenate([[0], np.cumsum(edges.in_degree)[:-1]])
        rank = np.arange(n_e) - start[sorted_t]  # [E] position within the target's incoming edges
        by_target = sp.csr_matrix((np.ones(n_e), (sorted_t, np.arange(n_e))), shape=(n, n_e))  # [N, E]
        node_share = np.stack([
            np.asarray(by_target @ (sorted_w * (rank < k)).T).T for k in ks])  # [K, S, N]
        has_in = edges.in_degree > 0
        node_share[:, :, ~has_in] = np.nan
    else:
        node_share = np.full((ks.size, s, n), np.nan)

    return SparsityResult(
        condition_names=tuple(condition_names),
        thresholds=thr,
        fraction_below=below.reshape(n_l, n_c, n_h, thr.size),
        node_top_k=ks,
        node_top_share=node_share.reshape(ks.size, n_l, n_c, n_h, n).astype(np.float32),
        edge_shares=shares,
        global_top_share=global_share.reshape(n_l, n_c, n_h, shares.size),
        gini=gini.reshape(n_l, n_c, n_h),
    )
