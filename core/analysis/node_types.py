"""Metabolites versus reactions: do they receive and spread attention differently?

For each measure and condition the two groups are compared with the Mann–Whitney U test (does one
group tend to have larger values than the other, without assuming a distribution). The effect size
is the rank-biserial correlation ``r = 2 U / (n_met n_rxn) - 1`` with U counted for metabolites:
``r > 0`` means metabolites tend to score higher, ``r < 0`` reactions, and |r| near 1 a near-complete
separation; 0 means no difference.

Measures (each per condition, per node): ``importance`` (attention received overall),
``entropy`` (how spread out a node's own attention is, mean over layers and heads), ``received``
and ``drawn`` (see :mod:`core.analysis.centrality`).

Shapes (legend: C conditions, M measures, N nodes; type axis 0 metabolite, 1 reaction):
    values          (M, C, N)
    mean, median    (M, C, 2)
    u, p_value, rank_biserial   (M, C)
    importance_share (C, 2) share of each condition's total importance on each type
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from core.analysis._common import floats, nanmean
from core.graph import METABOLITE, REACTION

MEASURES = ("importance", "entropy", "received", "drawn")


@dataclass(frozen=True, eq=False)
class NodeTypeComparison:
    condition_names: tuple[str, ...]
    measures: tuple[str, ...]
    n_metabolites: int
    n_reactions: int
    values: np.ndarray
    mean: np.ndarray
    median: np.ndarray
    u: np.ndarray
    p_value: np.ndarray
    rank_biserial: np.ndarray
    importance_share: np.ndarray

    def to_dict(self) -> dict:
        tests = []
        for m, measure in enumerate(self.measures):
            for c, cname in enumerate(self.condition_names):
                tests.append({
                    "measure": measure, "condition": cname,
                    "metabolite_mean": floats(self.mean[m, c, 0]), "reaction_mean": floats(self.mean[m, c, 1]),
                    "metabolite_median": floats(self.median[m, c, 0]),
                    "reaction_median": floats(self.median[m, c, 1]),
                    "mann_whitney_u": floats(self.u[m, c]), "p_value": floats(self.p_value[m, c]),
                    "rank_biserial": floats(self.rank_biserial[m, c]),
                })
        return {
            "description": "Mann-Whitney U test of metabolites against reactions; rank_biserial > 0 means "
                           "metabolites tend to score higher, < 0 reactions.",
            "n_metabolites": self.n_metabolites, "n_reactions": self.n_reactions,
            "importance_share": [{"condition": cname, "metabolites": floats(self.importance_share[c, 0]),
                                  "reactions": floats(self.importance_share[c, 1])}
                                 for c, cname in enumerate(self.condition_names)],
            "tests": tests,
        }


def mann_whitney(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """``(U for a, two-sided p-value, rank-biserial r)`` over the finite values; NaNs if a group is empty."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size == 0 or b.size == 0:
        return float("nan"), float("nan"), float("nan")
    both = np.concatenate([a, b])
    if np.ptp(both) == 0:  # all values tied: no evidence either way
        u = a.size * b.size / 2.0
        return u, 1.0, 0.0
    from scipy import stats  # imported here: reading a saved analysis needs no scipy.stats (0.6 s)

    res = stats.mannwhitneyu(a, b, alternative="two-sided")
    u = float(res.statistic)
    return u, float(res.pvalue), 2.0 * u / (a.size * b.size) - 1.0


def compare_node_types(node_types: np.ndarray, measures: dict[str, np.ndarray],
                       condition_names: Sequence[str]) -> NodeTypeComparison:
    """Compare metabolites and reactions on each ``measures[name]`` of shape (C, N)."""
    types = np.asarray(node_types)
    met, rxn = types == METABOLITE, types == REACTION
    names = tuple(measures)
    values = np.stack([np.asarray(measures[k], dtype=np.float64) for k in names])  # [M, C, N]
    n_m, n_c, _ = values.shape
    mean = np.full((n_m, n_c, 2), np.nan)
    median = np.full_like(mean, np.nan)
    u = np.full((n_m, n_c), np.nan)
    p = np.full_like(u, np.nan)
    r = np.full_like(u, np.nan)
    for m in range(n_m):
        for c in range(n_c):
            for t, mask in enumerate((met, rxn)):
                v = values[m, c, mask]
                v = v[np.isfinite(v)]
                if v.size:
                    mean[m, c, t], median[m, c, t] = v.mean(), np.median(v)
            u[m, c], p[m, c], r[m, c] = mann_whitney(values[m, c, met], values[m, c, rxn])
    if "importance" in measures:
        imp = np.asarray(measures["importance"], dtype=np.float64)
        total = imp.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.stack([imp[:, met].sum(axis=1), imp[:, rxn].sum(axis=1)], axis=1) / total
    else:
        share = np.full((n_c, 2), np.nan)
    return NodeTypeComparison(
        condition_names=tuple(condition_names), measures=names, n_metabolites=int(met.sum()),
        n_reactions=int(rxn.sum()), values=values, mean=mean, median=median, u=u, p_value=p, rank_biserial=r,
        importance_share=share,
    )


def node_type_measures(importance: np.ndarray, entropy: np.ndarray, received_mean: np.ndarray,
                       drawn_mean: np.ndarray) -> dict[str, np.ndarray]:
    """The default measures: importance (C, N), entropy (L, C, H, N) -> mean per (C, N), received, drawn."""
    n_l, n_c, n_h, n = entropy.shape
    ent = nanmean(np.asarray(entropy).transpose(1, 0, 2, 3).reshape(n_c, n_l * n_h, n), axis=1)  # [C, N]
    return {"importance": importance, "entropy": ent, "received": received_mean, "drawn": drawn_mean}


__all__ = ["NodeTypeComparison", "compare_node_types", "mann_whitney", "node_type_measures", "MEASURES"]
