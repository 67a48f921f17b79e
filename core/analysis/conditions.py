"""How attention differs between growth conditions.

  * ``importance[c]``: the attention each node receives in condition c (a share: each row sums to 1).
  * For every pair of conditions (a, b): ``difference = importance_b - importance_a`` and
    ``log2_fold_change = log2((importance_b + pseudo) / (importance_a + pseudo))``. The pseudo-count
    (a tenth of the average importance, 0.1 / N) keeps nodes with almost no attention from showing
    huge fold changes. Nodes and pathways are ranked by the absolute difference.
  * Cross-condition attention: when the model builds condition c's view of a node it may borrow
    from the node's state in other conditions; ``cross_mean[h, c, d]`` is how much condition c draws
    on d (mean over nodes, rows sum to 1), and ``reliance[c, n]`` is the share node n draws from
    other conditions (1 - the diagonal, mean over heads).

Shapes (legend: C conditions, N nodes, H heads, Pr condition pairs, P pathways):
    growth_rates (C,) 1/h; importance (C, N)
    pairs (Pr, 2) condition indices a < b
    log2_fold_change, difference (Pr, N)
    pathway_importance (C, P); pathway_log2_fold_change, pathway_difference (Pr, P)
    cross_mean (H, C, C); reliance (C, N); reliance_mean (N,)
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Sequence

import numpy as np

from core.analysis._common import NodeLabels, floats, top_order


@dataclass(frozen=True, eq=False)
class ConditionComparison:
    labels: NodeLabels
    condition_names: tuple[str, ...]
    top_k: int
    growth_rates: np.ndarray
    importance: np.ndarray
    pseudo_count: float
    pairs: np.ndarray
    log2_fold_change: np.ndarray
    difference: np.ndarray
    pathway_names: tuple[str, ...]
    pathway_importance: np.ndarray
    pathway_log2_fold_change: np.ndarray
    pathway_difference: np.ndarray
    cross_mean: np.ndarray
    reliance: np.ndarray
    reliance_mean: np.ndarray

    def top_nodes(self, c: int, k: int | None = None) -> list[dict]:
        k = self.top_k if k is None else k
        return self.labels.table(top_order(self.importance[c], k), importance=self.importance[c])

    def top_union(self, k: int) -> list[int]:
        """Node indices of the top-k tables of all conditions, interleaved by rank (each condition's
        first, then each one's second, ...), without repeats, at most k in all."""
        tables = [top_order(self.importance[c], k).tolist() for c in range(len(self.condition_names))]
        out: dict[int, None] = {}
        for rank in range(k):
            for table in tables:
                if rank < len(table) and len(out) < k:
                    out.setdefault(int(table[rank]), None)
        return list(out)

    def shifted_nodes(self, pair: int, k: int | None = None) -> list[dict]:
        k = self.top_k if k is None else k
        a, b = self.pairs[pair]
        order = top_order(np.abs(self.difference[pair]), k)
        return self.labels.table(order, importance_a=self.importance[a], importance_b=self.importance[b],
                                 difference=self.difference[pair], log2_fold_change=self.log2_fold_change[pair])

    def movers(self, pair: int, level: str = "nodes", k: int | None = None, floor: float | None = None):
        """The biggest movers of ``pair`` by relative change with a floor, over nodes or pathways
        (:func:`core.analysis.shifts.shift_ranking`): what the window's shift chart draws."""
        from core.analysis.shifts import shift_ranking

        return shift_ranking(self, pair, level=level, k=self.top_k if k is None else k, floor=floor)

    def shifted_pathways(self, pair: int, k: int | None = None) -> list[dict]:
        k = self.top_k if k is None else k
        a, b = self.pairs[pair]
        order = top_order(np.abs(self.pathway_difference[pair]), k)
        return [{"rank": r + 1, "pathway": self.pathway_names[p],
                 "importance_a": floats(self.pathway_importance[a, p]),
                 "importance_b": floats(self.pathway_importance[b, p]),
                 "difference": floats(self.pathway_difference[pair, p]),
                 "log2_fold_change": floats(self.pathway_log2_fold_change[pair, p])} for r, p in enumerate(order)]

    def to_dict(self) -> dict:
        return {
            "description": "Importance per condition; for each pair (a, b) the nodes and pathways whose importance "
                           "changes most (difference = b - a, log2 fold change with a pseudo-count); how much "
                           "each condition draws on the others (cross-condition attention).",
            "pseudo_count": floats(self.pseudo_count),
            "per_condition": [{"condition": cname, "growth_rate": floats(self.growth_rates[c]),
                               "top_nodes": self.top_nodes(c)} for c, cname in enumerate(self.condition_names)],
            "pairs": [{
                "a": self.condition_names[a], "b": self.condition_names[b],
                "growth_rate_a": floats(self.growth_rates[a]), "growth_rate_b": floats(self.growth_rates[b]),
                "importance_correlation": floats(_corr(self.importance[a], self.importance[b])),
                "top_nodes": self.shifted_nodes(i), "top_pathways": self.shifted_pathways(i),
            } for i, (a, b) in enumerate(self.pairs)],
            "cross_attention": {
                "conditions": list(self.condition_names),
                "mean": floats(self.cross_mean.mean(axis=0)) if self.cross_mean.size else [],
                "per_head": floats(self.cross_mean),
                "reliance_per_condition": floats(self.reliance.mean(axis=1)) if self.reliance.size else [],
                "most_reliant_nodes": self.labels.table(top_order(self.reliance_mean, self.top_k),
                                                        reliance=self.reliance_mean),
            },
        }


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    if a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def compare_conditions(labels: NodeLabels, condition_names: Sequence[str], growth_rates: np.ndarray,
                       importance: np.ndarray, cross_attention: np.ndarray, pathway_names: Sequence[str],
                       pathway_importance: np.ndarray, top_k: int = 20) -> ConditionComparison:
    """``importance`` (C, N), ``cross_attention`` (N, H, C, C), ``pathway_importance`` (C, P)."""
    imp = np.asarray(importance, dtype=np.float64)
    n_c, n = imp.shape
    pseudo = 0.1 / max(n, 1)
    pairs = np.array(list(combinations(range(n_c), 2)), dtype=np.int64).reshape(-1, 2)
    a, b = pairs[:, 0], pairs[:, 1]
    diff = imp[b] - imp[a]  # [Pr, N]
    lfc = np.log2((imp[b] + pseudo) / (imp[a] + pseudo))
    pw = np.asarray(pathway_importance, dtype=np.float64)
    pw_pseudo = 0.1 / max(pw.shape[1], 1)
    pw_diff = pw[b] - pw[a]
    pw_lfc = np.log2((pw[b] + pw_pseudo) / (pw[a] + pw_pseudo))
    cross = np.asarray(cross_attention, dtype=np.float64)  # [N, H, C, C]
    if cross.size:
        cross_mean = cross.mean(axis=0)  # [H, C, C]
        diag = np.diagonal(cross, axis1=2, axis2=3)  # [N, H, C]
        reliance = (1.0 - diag).mean(axis=1).T  # [C, N]
    else:
        cross_mean = np.zeros((0, n_c, n_c))
        reliance = np.zeros((n_c, n))
    return ConditionComparison(
        labels=labels, condition_names=tuple(condition_names), top_k=int(top_k),
        growth_rates=np.asarray(growth_rates, dtype=np.float64), importance=imp, pseudo_count=pseudo, pairs=pairs,
        log2_fold_change=lfc, difference=diff, pathway_names=tuple(pathway_names), pathway_importance=pw,
        pathway_log2_fold_change=pw_lfc, pathway_difference=pw_diff, cross_mean=cross_mean, reliance=reliance,
        reliance_mean=reliance.mean(axis=0) if n_c else np.zeros(n),
    )
