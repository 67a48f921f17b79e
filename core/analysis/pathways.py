"""Attention between and within pathways, and which pathways matter most in each condition.

Every node counts in one pathway: its primary pathway (``MetabolicGraph.primary_pathway``; nodes
without one are "Unassigned").
  * ``flow_sum[c, p, q]``: total attention that nodes of pathway p pay to nodes of pathway q (mean
    over layers and heads, self-loops left out). Rows attend, columns are attended to, as in an
    attention matrix.
  * ``flow_mean[c, p, q]``: the same divided by the number of attention edges from p to q (the
    average weight of one such edge; NaN where there are none).
  * ``importance[c, p]``: the summed importance of the pathway's nodes (a share: each condition sums
    to 1); ``importance_mean`` per node; ``enrichment`` = share of importance / share of nodes
    (above 1: the pathway gets more attention than its size alone would give it).

Shapes (legend: C conditions, P pathways, N nodes):
    names (P,), node_pathway (N,) int64, n_nodes (P,)
    flow_sum, flow_mean (C, P, P); edge_count (P, P)
    importance, importance_mean, enrichment (C, P); ranking (C, P) pathway indices, most important first
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from core.analysis._common import as_edges, floats

MATRIX_PATHWAYS_IN_JSON = 30


@dataclass(frozen=True, eq=False)
class PathwayResult:
    condition_names: tuple[str, ...]
    top_k: int
    names: tuple[str, ...]
    node_pathway: np.ndarray
    n_nodes: np.ndarray
    flow_sum: np.ndarray
    flow_mean: np.ndarray
    edge_count: np.ndarray
    importance: np.ndarray
    importance_mean: np.ndarray
    enrichment: np.ndarray
    ranking: np.ndarray

    def table(self, c: int, k: int | None = None) -> list[dict]:
        k = self.top_k if k is None else k
        return [{"rank": r + 1, "pathway": self.names[p], "importance": floats(self.importance[c, p]),
                 "importance_per_node": floats(self.importance_mean[c, p]),
                 "enrichment": floats(self.enrichment[c, p]), "nodes": int(self.n_nodes[p])}
                for r, p in enumerate(self.ranking[c, :k])]

    def to_dict(self) -> dict:
        # The matrices are printed for the pathways most important on average, to keep the file small.
        keep = np.argsort(-self.importance.mean(axis=0), kind="stable")[:MATRIX_PATHWAYS_IN_JSON] \
            if self.importance.size else np.zeros(0, dtype=np.int64)
        sub = np.ix_(keep, keep)
        return {
            "description": "Pathway importance = summed importance of a pathway's nodes (share of the total); "
                           "enrichment = share of importance / share of nodes. Flow matrices: rows attend, "
                           "columns are attended to.",
            "pathways": [{"name": n, "nodes": int(k)} for n, k in zip(self.names, self.n_nodes)],
            "ranking": [{"condition": cname, "top": self.table(c)} for c, cname in enumerate(self.condition_names)],
            "flow": {
                "pathways": [self.names[p] for p in keep],
                "edge_count": [[int(x) for x in row] for row in self.edge_count[sub]],
                "per_condition": [{"condition": cname, "sum": floats(self.flow_sum[c][sub]),
                                   "mean": floats(self.flow_mean[c][sub])}
                                  for c, cname in enumerate(self.condition_names)],
            },
        }


def pathway_attention(attention, node_pathways: Sequence[str], importance: np.ndarray,
                      condition_names: Sequence[str] | None = None, top_k: int = 20) -> PathwayResult:
    """Aggregate attention and importance to pathways; ``node_pathways`` has one name per node."""
    edges = as_edges(attention)
    if condition_names is None:
        condition_names = tuple(getattr(attention, "condition_names", ()))
    names, node_pw = np.unique(np.asarray(node_pathways, dtype=object).astype(str), return_inverse=True)
    names = tuple(str(x) for x in names)
    node_pw = node_pw.astype(np.int64)
    n_p = len(names)
    n = edges.n_nodes
    imp = np.asarray(importance, dtype=np.float64)  # [C, N]
    n_c = imp.shape[0]

    keep = ~edges.self_loop
    rows, cols = node_pw[edges.target[keep]], node_pw[edges.source[keep]]
    w = edges.weights.mean(axis=(0, 2))[:, keep]  # [C, E_neighbour]
    flow = np.stack([sp.coo_matrix((w[c], (rows, cols)), shape=(n_p, n_p)).toarray() for c in range(n_c)]) \
        if n_c else np.zeros((0, n_p, n_p))  # [C, P, P]; duplicates summed by toarray
    count = sp.coo_matrix((np.ones(rows.size), (rows, cols)), shape=(n_p, n_p)).toarray()
    with np.errstate(invalid="ignore", divide="ignore"):
        flow_mean = np.where(count > 0, flow / count, np.nan)

    member = sp.csr_matrix((np.ones(n), (node_pw, np.arange(n))), shape=(n_p, n))  # [P, N]
    n_nodes = np.asarray(member.sum(axis=1)).ravel().astype(np.int64)
    pw_imp = np.asarray(member @ imp.T).T  # [C, P]
    pw_mean = pw_imp / np.maximum(n_nodes, 1)
    total = pw_imp.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        enrichment = (pw_imp / total) / (n_nodes / max(n, 1))
    ranking = np.argsort(-pw_imp, axis=1, kind="stable")
    return PathwayResult(
        condition_names=tuple(condition_names), top_k=int(top_k), names=names, node_pathway=node_pw,
        n_nodes=n_nodes, flow_sum=flow, flow_mean=flow_mean, edge_count=count.astype(np.int64),
        importance=pw_imp, importance_mean=pw_mean, enrichment=enrichment, ranking=ranking,
    )
