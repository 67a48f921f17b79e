"""Which nodes attention flows through, compared with how central they are in the network itself.

Per node, in every (layer, condition, head):
  * ``received``: attention other nodes pay to this node (sum of its outgoing edge weights, as a
    source; self-loop left out). A node many neighbours look at has a high value.
  * ``drawn``: attention this node pays to its neighbours (sum of its incoming weights without the
    self-loop, i.e. 1 minus its self-attention).
  * ``weighted_degree``: received + drawn, the attention-weighted counterpart of the node degree.
These are compared (Spearman rank correlation) with the graph's own degree and betweenness (the
share of shortest paths passing through a node, on the undirected metabolite/reaction graph).
Betweenness is exact for graphs up to ``EXACT_BETWEENNESS_MAX`` nodes and otherwise estimated from
shortest paths out of ``BETWEENNESS_SAMPLES`` randomly chosen (seeded) source nodes, scaled up.

Shapes (legend: L layers, C conditions, H heads, N nodes, M compared pairs):
    received, drawn, self_weight   (L, C, H, N) float32
    received_mean, drawn_mean, weighted_degree, importance   (C, N) means over L and H
    degree, betweenness            (N,)
    spearman_rho, spearman_p       (C, M)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from core.analysis._common import NodeLabels, as_edges, floats, top_order

EXACT_BETWEENNESS_MAX = 500
BETWEENNESS_SAMPLES = 200
COMPARISONS = (
    ("received", "degree"), ("received", "betweenness"),
    ("weighted_degree", "degree"), ("weighted_degree", "betweenness"),
    ("importance", "degree"), ("importance", "betweenness"),
)


@dataclass(frozen=True, eq=False)
class CentralityResult:
    labels: NodeLabels
    condition_names: tuple[str, ...]
    top_k: int
    received: np.ndarray
    drawn: np.ndarray
    self_weight: np.ndarray
    received_mean: np.ndarray
    drawn_mean: np.ndarray
    weighted_degree: np.ndarray
    importance: np.ndarray
    degree: np.ndarray
    betweenness: np.ndarray
    betweenness_method: str
    comparisons: tuple[tuple[str, str], ...]
    spearman_rho: np.ndarray
    spearman_p: np.ndarray

    def to_dict(self) -> dict:
        per_condition = []
        for c, cname in enumerate(self.condition_names):
            order = top_order(self.received_mean[c], self.top_k)
            per_condition.append({
                "condition": cname,
                "spearman": [{"attention": a, "graph": b, "rho": floats(self.spearman_rho[c, m]),
                              "p_value": floats(self.spearman_p[c, m])}
                             for m, (a, b) in enumerate(self.comparisons)],
                "top_received": self.labels.table(
                    order, received=self.received_mean[c], drawn=self.drawn_mean[c],
                    importance=self.importance[c], degree=self.degree, betweenness=self.betweenness),
            })
        return {
            "description": "received = attention other nodes pay to a node; drawn = attention a node pays to "
                           "its neighbours; compared with graph degree and betweenness by Spearman rank "
                           "correlation.",
            "betweenness_method": self.betweenness_method,
            "per_condition": per_condition,
            "top_betweenness": self.labels.table(top_order(self.betweenness, self.top_k),
                                                 betweenness=self.betweenness, degree=self.degree),
        }


def betweenness(edge_index: np.ndarray, n_nodes: int, seed: int = 0,
                exact_max: int = EXACT_BETWEENNESS_MAX, samples: int = BETWEENNESS_SAMPLES) -> tuple[np.ndarray, str]:
    """Normalised betweenness on the undirected graph (igraph), exact or source-sampled.

    Returns ``(values (N,), description)``; values are in [0, 1] like networkx's ``normalized=True``.
    """
    from core.analysis._common import import_igraph

    ig = import_igraph()
    if n_nodes < 3:
        return np.zeros(n_nodes), "exact"
    pairs = np.unique(np.sort(np.asarray(edge_index, dtype=np.int64).T, axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    g = ig.Graph(n=n_nodes, edges=pairs.tolist(), directed=False)
    if n_nodes <= exact_max or samples >= n_nodes:
        values = np.asarray(g.betweenness(directed=False), dtype=np.float64)
        method = "exact"
    else:
        rng = np.random.default_rng(seed)
        sources = np.sort(rng.choice(n_nodes, size=samples, replace=False))
        # Paths out of k uniformly sampled sources, scaled by N / k, estimate the sum over all sources
        # without bias (igraph's subset betweenness with every source equals the exact value).
        values = np.asarray(g.betweenness(directed=False, sources=sources.tolist()), dtype=np.float64)
        values *= n_nodes / samples
        method = f"estimated from {samples} sampled source nodes (seed {seed})"
    scale = (n_nodes - 1) * (n_nodes - 2) / 2.0
    return values / scale, method


def _spearman(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    if a.size < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan"), float("nan")
    from scipy import stats  # imported here: reading a saved analysis needs no scipy.stats (0.6 s)

    res = stats.spearmanr(a, b)
    return float(res.statistic), float(res.pvalue)


def attention_centrality(attention, graph, labels: NodeLabels, condition_names: Sequence[str] | None = None,
                         top_k: int = 20, seed: int = 0, importance: np.ndarray | None = None,
                         graph_betweenness: np.ndarray | None = None,
                         betweenness_method: str = "given") -> CentralityResult:
    """Attention received/drawn per node next to graph degree and betweenness.

    ``graph`` is the :class:`~core.graph.MetabolicGraph` the attention ran on. ``importance`` (C, N)
    defaults to ``attention.importance`` when ``attention`` is an AttentionResult, else to the
    received attention scaled to sum 1. ``graph_betweenness`` skips the betweenness computation
    when it is known already.
    """
    edges = as_edges(attention)
    if condition_names is None:
        condition_names = tuple(getattr(attention, "condition_names", ()))
    neigh = edges.neighbour_weights()  # [L, C, H, E]
    received = edges.sum_by_source(neigh)  # [L, C, H, N]
    drawn = edges.sum_by_target(neigh)  # [L, C, H, N]
    self_w = edges.sum_by_target(edges.weights) - drawn  # [L, C, H, N]
    received_mean = received.mean(axis=(0, 2))  # [C, N]
    drawn_mean = drawn.mean(axis=(0, 2))  # [C, N]
    weighted = received_mean + drawn_mean
    if importance is None:
        importance = getattr(attention, "importance", None)
    if importance is None:
        importance = received_mean / np.maximum(received_mean.sum(axis=1, keepdims=True), 1e-300)
    importance = np.asarray(importance, dtype=np.float64)
    degree = np.asarray(graph.degree, dtype=np.float64)
    if graph_betweenness is None:
        bc, method = betweenness(graph.edge_index, graph.n_nodes, seed=seed)
    else:
        bc, method = np.asarray(graph_betweenness, dtype=np.float64), betweenness_method
    measures = {"received": received_mean, "weighted_degree": weighted, "importance": importance}
    graph_measures = {"degree": degree, "betweenness": bc}
    n_c = received_mean.shape[0]
    rho = np.full((n_c, len(COMPARISONS)), np.nan)
    pval = np.full_like(rho, np.nan)
    for c in range(n_c):
        for m, (a, b) in enumerate(COMPARISONS):
            rho[c, m], pval[c, m] = _spearman(measures[a][c], graph_measures[b])
    return CentralityResult(
        labels=labels, condition_names=tuple(condition_names), top_k=int(top_k),
        received=received.astype(np.float32), drawn=drawn.astype(np.float32), self_weight=self_w.astype(np.float32),
        received_mean=received_mean, drawn_mean=drawn_mean, weighted_degree=weighted, importance=importance,
        degree=degree, betweenness=bc, betweenness_method=method, comparisons=COMPARISONS,
        spearman_rho=rho, spearman_p=pval,
    )
