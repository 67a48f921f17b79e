"""How attention changes from one layer to the next.

Per layer (averaged over conditions and heads): mean and median normalised entropy, the share of
edges under each sparsity threshold, the mean share a node gives its strongest edge, and the top-k
nodes by attention received. Consecutive layers are compared by the Jaccard index of their top-k
sets (shared nodes / all nodes in either set: 1 = same nodes, 0 = none in common), and each layer's
set against the top-k by overall importance.

Shapes (legend: L layers, T thresholds, N nodes, k top-k):
    mean_entropy, median_entropy, top1_share (L,)
    fraction_below (L, T)
    received (L, N) mean over conditions and heads
    top_nodes (L, k) node indices, most received first
    jaccard_consecutive (L - 1,); jaccard_to_importance (L,)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.analysis._common import NodeLabels, floats, nanmean, top_order


@dataclass(frozen=True, eq=False)
class LayerEvolution:
    labels: NodeLabels
    top_k: int
    thresholds: np.ndarray
    mean_entropy: np.ndarray
    median_entropy: np.ndarray
    fraction_below: np.ndarray
    top1_share: np.ndarray
    received: np.ndarray
    top_nodes: np.ndarray
    jaccard_consecutive: np.ndarray
    jaccard_to_importance: np.ndarray

    def to_dict(self) -> dict:
        return {
            "description": "Per layer: entropy (0 focused, 1 even), share of weak edges, share of a node's "
                           "attention on its strongest edge, top nodes; Jaccard overlap (0-1) of top-k sets.",
            "thresholds": floats(self.thresholds),
            "per_layer": [{
                "layer": layer, "mean_entropy": floats(self.mean_entropy[layer]),
                "median_entropy": floats(self.median_entropy[layer]),
                "fraction_below": floats(self.fraction_below[layer]),
                "top1_share": floats(self.top1_share[layer]),
                "jaccard_to_importance": floats(self.jaccard_to_importance[layer]),
                "top_nodes": self.labels.table(self.top_nodes[layer], received=self.received[layer]),
            } for layer in range(self.received.shape[0])],
            "jaccard_consecutive": floats(self.jaccard_consecutive),
        }


def jaccard(a, b) -> float:
    a, b = set(int(x) for x in a), set(int(x) for x in b)
    return float(len(a & b) / len(a | b)) if (a or b) else float("nan")


def layer_evolution(labels: NodeLabels, entropy: np.ndarray, fraction_below: np.ndarray, thresholds: np.ndarray,
                    node_top1_share: np.ndarray, received: np.ndarray, importance: np.ndarray,
                    top_k: int = 20) -> LayerEvolution:
    """``entropy`` (L, C, H, N), ``fraction_below`` (L, C, H, T), ``node_top1_share`` (L, C, H, N),
    ``received`` (L, C, H, N), ``importance`` (C, N)."""
    n_l = entropy.shape[0]
    flat_ent = np.asarray(entropy, dtype=np.float64).reshape(n_l, -1)
    mean_ent = nanmean(flat_ent, axis=1)
    median_ent = np.array([np.median(row[np.isfinite(row)]) if np.isfinite(row).any() else np.nan
                           for row in flat_ent])  # one entry per layer
    rec = np.asarray(received, dtype=np.float64).mean(axis=(1, 2))  # [L, N]
    k = min(int(top_k), rec.shape[1])
    tops = np.stack([top_order(rec[layer], k) for layer in range(n_l)]) if n_l else np.zeros((0, k), np.int64)
    overall = top_order(np.asarray(importance, dtype=np.float64).mean(axis=0), k)
    return LayerEvolution(
        labels=labels, top_k=k, thresholds=np.asarray(thresholds, dtype=np.float64),
        mean_entropy=mean_ent, median_entropy=median_ent,
        fraction_below=np.asarray(fraction_below).mean(axis=(1, 2)),
        top1_share=nanmean(np.asarray(node_top1_share, dtype=np.float64).reshape(n_l, -1), axis=1),
        received=rec, top_nodes=tops,
        jaccard_consecutive=np.array([jaccard(tops[i], tops[i + 1]) for i in range(n_l - 1)]),
        jaccard_to_importance=np.array([jaccard(tops[i], overall) for i in range(n_l)]),
    )
