"""How spread out each node's attention is: the entropy of its incoming weights.

For a node i with incoming weights w_1..w_d (d = in-degree, self-loop included, sum 1) the entropy
is ``-sum w log w`` (nats). Divided by ``log d`` it lies in [0, 1]: 0 means the node looks at one
neighbour only (focused), 1 means it spreads attention evenly (diffuse). A node with in-degree 1
has no choice to make, so its normalised entropy is undefined and stored as NaN (left out of every
mean, histogram and table).

Shapes (legend: L layers, C conditions, H heads, N nodes):
    entropy     (L, C, H, N) float32, normalised to [0, 1], NaN where in-degree < 2
    raw         (L, C, H, N) float32, nats
    in_degree   (N,) int64
    node_mean   (N,) mean normalised entropy over L, C and H
    layer_head_mean (L, H) mean over C and N
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from core.analysis._common import NodeLabels, as_edges, floats, histogram, nanmean, summarise, top_order


@dataclass(frozen=True, eq=False)
class EntropyResult:
    labels: NodeLabels
    condition_names: tuple[str, ...]
    top_k: int
    entropy: np.ndarray
    raw: np.ndarray
    in_degree: np.ndarray
    node_mean: np.ndarray
    layer_head_mean: np.ndarray

    @property
    def n_undefined(self) -> int:
        return int((self.in_degree < 2).sum())

    def to_dict(self) -> dict:
        n_l, n_c, n_h, _ = self.entropy.shape
        focused = top_order(self.node_mean, self.top_k, largest=False)
        diffuse = top_order(self.node_mean, self.top_k, largest=True)
        return {
            "description": "Normalised entropy of each node's incoming attention: 0 = looks at a single "
                           "neighbour, 1 = spreads attention evenly over all its neighbours.",
            "n_undefined": self.n_undefined,
            "undefined_rule": "nodes with in-degree 1 (only themselves) have no entropy and are left out",
            "overall": summarise(self.entropy),
            "per_layer": [{"layer": layer, "summary": summarise(self.entropy[layer]),
                           "histogram": histogram(self.entropy[layer], bins=10)} for layer in range(n_l)],
            "per_layer_head_mean": floats(self.layer_head_mean),
            "per_condition_mean": floats(nanmean(self.entropy.transpose(1, 0, 2, 3).reshape(n_c, -1), axis=1)),
            "most_focused_nodes": self.labels.table(focused, mean_entropy=self.node_mean,
                                                    in_degree=self.in_degree),
            "most_diffuse_nodes": self.labels.table(diffuse, mean_entropy=self.node_mean,
                                                    in_degree=self.in_degree),
        }


def attention_entropy(attention, labels: NodeLabels, condition_names: Sequence[str] | None = None,
                      top_k: int = 20) -> EntropyResult:
    """Entropy of every node's incoming attention in every (layer, condition, head)."""
    edges = as_edges(attention)
    if condition_names is None:
        condition_names = tuple(getattr(attention, "condition_names", ()))
    w = edges.weights
    # log of a clipped weight: 0 * log(tiny) is 0, so zero weights add nothing, as in the limit.
    plogp = w * np.log(np.clip(w, 1e-300, None))  # [L, C, H, E]
    raw = np.maximum(-edges.sum_by_target(plogp), 0.0)  # [L, C, H, N]
    deg = edges.in_degree
    log_deg = np.log(np.maximum(deg, 2)).astype(np.float64)
    normalised = np.where(deg >= 2, np.clip(raw / log_deg, 0.0, 1.0), np.nan)
    n_l, n_c, n_h, n = normalised.shape
    node_mean = nanmean(normalised.reshape(-1, n), axis=0)
    layer_head = nanmean(normalised.transpose(0, 2, 1, 3).reshape(n_l, n_h, -1), axis=2)
    return EntropyResult(labels=labels, condition_names=tuple(condition_names), top_k=int(top_k),
                         entropy=normalised.astype(np.float32), raw=raw.astype(np.float32), in_degree=deg,
                         node_mean=node_mean, layer_head_mean=layer_head)
