"""Does attention follow simple network or flux properties?

Importance (per condition) is correlated with node features:
  * ``degree``: number of reactions a metabolite takes part in / metabolites a reaction uses;
  * ``stoichiometry``: sum of the absolute stoichiometric coefficients on the node's edges;
  * ``abs_flux``: for a reaction its absolute FBA flux in that condition (mmol/gDW/h); for a
    metabolite its turnover, half the sum of |coefficient x flux| over its reactions.
Pearson's r measures a straight-line relation, Spearman's rho any monotone one (on ranks); both
come with two-sided p-values. Each is computed over all nodes, over metabolites only and over
reactions only. Constant inputs give NaN (no correlation is defined).

Shapes (legend: C conditions, N nodes, F features, S subsets):
    features        (C, N, F) float64
    pearson_r, pearson_p, spearman_rho, spearman_p   (C, F, S)
    n               (C, F, S) int64, nodes with finite values used
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from core.analysis._common import floats
from core.graph import METABOLITE, REACTION

FEATURES = ("degree", "stoichiometry", "abs_flux")
SUBSETS = ("all", "metabolites", "reactions")


@dataclass(frozen=True, eq=False)
class CorrelationResult:
    condition_names: tuple[str, ...]
    feature_names: tuple[str, ...]
    subsets: tuple[str, ...]
    features: np.ndarray
    pearson_r: np.ndarray
    pearson_p: np.ndarray
    spearman_rho: np.ndarray
    spearman_p: np.ndarray
    n: np.ndarray

    def to_dict(self) -> dict:
        rows = []
        for c, cname in enumerate(self.condition_names):
            for f, feature in enumerate(self.feature_names):
                for s, subset in enumerate(self.subsets):
                    rows.append({
                        "condition": cname, "feature": feature, "nodes": subset, "n": int(self.n[c, f, s]),
                        "pearson_r": floats(self.pearson_r[c, f, s]), "pearson_p": floats(self.pearson_p[c, f, s]),
                        "spearman_rho": floats(self.spearman_rho[c, f, s]),
                        "spearman_p": floats(self.spearman_p[c, f, s]),
                    })
        return {
            "description": "Correlation of attention importance with node features: Pearson (straight line) and "
                           "Spearman (any monotone relation), with two-sided p-values.",
            "features": list(self.feature_names), "subsets": list(self.subsets), "correlations": rows,
        }


def node_features(graph, conditions: Sequence, condition_names: Sequence[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """(C, N, F) features per condition: degree, stoichiometry, abs_flux (NaN flux if a condition is missing)."""
    n = graph.n_nodes
    types = np.asarray(graph.node_types)
    degree = np.asarray(graph.degree, dtype=np.float64)
    src, dst = np.asarray(graph.edge_index, dtype=np.int64)
    coef = np.abs(np.asarray(graph.edge_coef, dtype=np.float64))
    stoich = np.bincount(src, coef, minlength=n) + np.bincount(dst, coef, minlength=n)
    rxn_pos = graph.reaction_index
    by_name = {getattr(r, "name", None): r for r in conditions}
    out = np.zeros((len(condition_names), n, len(FEATURES)))
    out[:, :, 0] = degree
    out[:, :, 1] = stoich
    for c, name in enumerate(condition_names):
        result = by_name.get(name)
        flux = np.full(n, np.nan)
        if result is not None:
            flux[types == REACTION] = 0.0  # reactions dropped from FBA (none normally) carry no flux
            ids = result.reaction_ids
            fluxes = np.asarray(result.fluxes, dtype=np.float64)
            pos = np.array([rxn_pos.get(rid, -1) for rid in ids], dtype=np.int64)
            ok = pos >= 0
            flux[pos[ok]] = np.abs(fluxes[ok])
            flux[types == METABOLITE] = graph.turnover(flux)[types == METABOLITE]
        out[c, :, 2] = flux
    return out, FEATURES


def _pair(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float, float, int]:
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    if a.size < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return (float("nan"),) * 4 + (int(a.size),)  # type: ignore[return-value]
    from scipy import stats  # imported here: reading a saved analysis needs no scipy.stats (0.6 s)

    pr = stats.pearsonr(a, b)
    sr = stats.spearmanr(a, b)
    return float(pr.statistic), float(pr.pvalue), float(sr.statistic), float(sr.pvalue), int(a.size)


def feature_correlations(importance: np.ndarray, features: np.ndarray, node_types: np.ndarray,
                         condition_names: Sequence[str], feature_names: Sequence[str] = FEATURES) -> CorrelationResult:
    """Correlate ``importance`` (C, N) with ``features`` (C, N, F) over all nodes and by node type."""
    imp = np.asarray(importance, dtype=np.float64)
    types = np.asarray(node_types)
    masks = (np.ones(types.shape, dtype=bool), types == METABOLITE, types == REACTION)
    n_c, _, n_f = features.shape
    shape = (n_c, n_f, len(SUBSETS))
    pr, pp, sr, sp_ = (np.full(shape, np.nan) for _ in range(4))
    count = np.zeros(shape, dtype=np.int64)
    for c in range(n_c):
        for f in range(n_f):
            for s, mask in enumerate(masks):
                pr[c, f, s], pp[c, f, s], sr[c, f, s], sp_[c, f, s], count[c, f, s] = _pair(
                    imp[c, mask], features[c, mask, f])
    return CorrelationResult(tuple(condition_names), tuple(feature_names), SUBSETS, features, pr, pp, sr, sp_, count)
