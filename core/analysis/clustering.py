"""Groups of nodes whose attention looks alike.

Each node gets an attention profile:
  * which neighbours it attends to (its row of the attention matrix, mean over layers, conditions
    and heads, self-loop left out) and which nodes attend to it (its column), each scaled to unit
    length, kept sparse;
  * how much attention it receives and pays per layer and head, and its importance per condition,
    on a log scale (they are heavy-tailed) and standardised.
The profiles are reduced to ``n_components`` dimensions with TruncatedSVD (works on sparse rows,
nothing N x N is formed), then grouped twice:
  * k-means for every k in ``k_range``; the k with the best silhouette score is kept (silhouette:
    -1..1, how much closer nodes are to their own group than to the next; above ~0.25 is a real
    structure). The score is computed on a seeded sample of 2000 nodes when there are more.
  * DBSCAN (density-based: finds groups of any shape and leaves outliers as "noise", label -1) with
    its radius ``eps`` read off the knee of the sorted k-nearest-neighbour distances. DBSCAN keeps
    every point's neighbourhood in memory, which grows like N^2 in dense regions, so above
    ``DBSCAN_MAX_POINTS`` distinct profiles it runs on a seeded sample of that size and every other
    node joins the cluster of its nearest core node when that lies within ``eps`` (else noise).

Shapes (legend: N nodes, D components, K candidate k values):
    embedding         (N, D) float32
    explained_variance_ratio (D,)
    k_values, silhouette_by_k  (K,)
    kmeans_labels, dbscan_labels  (N,) int64 (DBSCAN: -1 = noise)
    importance_mean   (N,) mean importance over conditions (to name each cluster's top nodes)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from core.analysis._common import NodeLabels, as_edges, floats, top_order, zscore_columns
from core.errors import check_stop
from core.graph import NODE_TYPE_NAMES

DEFAULT_K_RANGE = tuple(range(2, 9))
SILHOUETTE_SAMPLE = 2000
DBSCAN_MIN_SAMPLES = 5
KNEE_SAMPLE = 2000
DBSCAN_MAX_POINTS = 5000


@dataclass(frozen=True, eq=False)
class ClusteringResult:
    labels: NodeLabels
    embedding: np.ndarray
    explained_variance_ratio: np.ndarray
    k_values: np.ndarray
    silhouette_by_k: np.ndarray
    kmeans_k: int
    kmeans_labels: np.ndarray
    kmeans_silhouette: float
    dbscan_eps: float
    dbscan_min_samples: int
    dbscan_labels: np.ndarray
    dbscan_silhouette: float
    importance_mean: np.ndarray
    seed: int

    @property
    def n_dbscan_clusters(self) -> int:
        return int(np.unique(self.dbscan_labels[self.dbscan_labels >= 0]).size)

    def describe(self, assignment: np.ndarray, n_top: int = 3) -> list[dict]:
        """One summary per cluster: size, node types, dominant pathways, most important nodes."""
        out = []
        pathways = np.asarray(self.labels.pathways, dtype=object)
        for label in np.unique(assignment):
            members = np.flatnonzero(assignment == label)
            types = np.bincount(self.labels.types[members].astype(np.int64), minlength=2)
            names, counts = np.unique(pathways[members].astype(str), return_counts=True)
            order = np.argsort(-counts, kind="stable")[:n_top]
            top = members[top_order(self.importance_mean[members], n_top)]
            out.append({
                "cluster": int(label), "size": int(members.size),
                "node_types": {NODE_TYPE_NAMES[t]: int(types[t]) for t in range(2)},
                "dominant_pathways": [{"pathway": str(names[i]), "nodes": int(counts[i]),
                                       "fraction": float(counts[i] / members.size)} for i in order],
                "top_nodes": self.labels.table(top, importance=self.importance_mean),
            })
        return out

    def to_dict(self) -> dict:
        return {
            "description": "Nodes grouped by their attention profile (TruncatedSVD of who they attend to, who "
                           "attends to them, and their importance). Silhouette in [-1, 1]: higher = better "
                           "separated groups. DBSCAN label -1 = noise (fits no group).",
            "components": int(self.embedding.shape[1]),
            "explained_variance_ratio": floats(self.explained_variance_ratio),
            "kmeans": {
                "k": self.kmeans_k,
                "silhouette": floats(self.kmeans_silhouette),
                "silhouette_by_k": [{"k": int(k), "silhouette": floats(s)}
                                    for k, s in zip(self.k_values, self.silhouette_by_k)],
                "clusters": self.describe(self.kmeans_labels),
            },
            "dbscan": {
                "eps": floats(self.dbscan_eps), "min_samples": self.dbscan_min_samples,
                "n_clusters": self.n_dbscan_clusters, "noise": int((self.dbscan_labels < 0).sum()),
                "silhouette": floats(self.dbscan_silhouette),
                "clusters": self.describe(self.dbscan_labels),
            },
            "seed": self.seed,
        }


def attention_profiles(attention, received: np.ndarray, drawn: np.ndarray, importance: np.ndarray) -> sp.csr_matrix:
    """Sparse per-node profiles (N, 2N + 2 L H + C), each block scaled to comparable weight.

    ``received``/``drawn`` are (L, C, H, N) (see :mod:`core.analysis.centrality`), importance (C, N).
    """
    from sklearn.preprocessing import normalize

    edges = as_edges(attention)
    n = edges.n_nodes
    keep = ~edges.self_loop
    w = edges.weights[..., keep].mean(axis=(0, 1, 2))  # [E_neighbour]
    attends = sp.csr_matrix((w, (edges.target[keep], edges.source[keep])), shape=(n, n))  # [N, N] sparse
    attended = attends.T.tocsr()
    n_l, n_c, n_h, _ = received.shape
    per_head = np.concatenate([received.mean(axis=1).reshape(n_l * n_h, n),
                               drawn.mean(axis=1).reshape(n_l * n_h, n),
                               np.asarray(importance, dtype=np.float64).reshape(-1, n)]).T  # [N, 2LH + C]
    # Received attention and importance are heavy-tailed (hubs); on a log scale a few hubs no longer
    # make up clusters of their own.
    scale = np.maximum(per_head.mean(axis=0, keepdims=True), 1e-12)
    dense = zscore_columns(np.log1p(np.maximum(per_head, 0.0) / scale)) / np.sqrt(max(per_head.shape[1], 1))
    return sp.hstack([normalize(attends), normalize(attended), sp.csr_matrix(dense)], format="csr")


def knee_eps(x: np.ndarray, min_samples: int, seed: int = 0) -> float:
    """DBSCAN radius at the knee of the sorted ``min_samples``-nearest-neighbour distances."""
    from sklearn.neighbors import NearestNeighbors

    n = x.shape[0]
    k = min(min_samples, n)
    rng = np.random.default_rng(seed)
    query = x if n <= KNEE_SAMPLE else x[np.sort(rng.choice(n, KNEE_SAMPLE, replace=False))]
    dist, _ = NearestNeighbors(n_neighbors=k).fit(x).kneighbors(query)
    d = np.sort(dist[:, -1])
    if d.size < 3 or d[-1] <= d[0]:
        positive = d[d > 0]
        return float(positive[0]) if positive.size else 1e-9
    pos = np.linspace(0.0, 1.0, d.size)
    chord = d[0] + pos * (d[-1] - d[0])
    # The knee of a rising convex curve lies farthest below the straight line joining its ends.
    eps = float(d[int(np.argmax(chord - d))])
    if eps <= 0:
        positive = d[d > 0]
        eps = float(positive[0]) if positive.size else 1e-9
    return eps


def _dbscan(points: np.ndarray, weights: np.ndarray, min_samples: int, seed: int) -> tuple[float, np.ndarray]:
    """``(eps, labels per point)``; weights count coinciding nodes. Large inputs: see module docstring."""
    from sklearn.cluster import DBSCAN
    from sklearn.neighbors import NearestNeighbors

    n = points.shape[0]
    if n <= DBSCAN_MAX_POINTS:
        sample = np.arange(n)
    else:
        sample = np.sort(np.random.default_rng(seed).choice(n, DBSCAN_MAX_POINTS, replace=False))
    fit_points = points[sample]
    eps = knee_eps(fit_points, min_samples, seed)
    db = DBSCAN(eps=eps, min_samples=min_samples).fit(fit_points, sample_weight=weights[sample])
    labels = np.full(n, -1, dtype=np.int64)
    labels[sample] = db.labels_
    core = sample[db.core_sample_indices_]
    rest = np.setdiff1d(np.arange(n), sample)
    if rest.size and core.size:
        dist, nearest = NearestNeighbors(n_neighbors=1).fit(points[core]).kneighbors(points[rest])
        near = dist[:, 0] <= eps
        labels[rest[near]] = labels[core[nearest[near, 0]]]
    return eps, labels


def _silhouette(x: np.ndarray, labels: np.ndarray, seed: int) -> float:
    from sklearn.metrics import silhouette_score

    n_labels = np.unique(labels).size
    if n_labels < 2 or n_labels >= x.shape[0]:
        return float("nan")
    sample = SILHOUETTE_SAMPLE if x.shape[0] > SILHOUETTE_SAMPLE else None
    return float(silhouette_score(x, labels, sample_size=sample, random_state=seed))


def cluster_nodes(attention, labels: NodeLabels, received: np.ndarray, drawn: np.ndarray, importance: np.ndarray,
                  n_components: int = 16, k_range: Sequence[int] = DEFAULT_K_RANGE, seed: int = 0,
                  min_samples: int = DBSCAN_MIN_SAMPLES, should_stop=None) -> ClusteringResult:
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD

    profiles = attention_profiles(attention, received, drawn, importance)
    n, n_features = profiles.shape
    importance_mean = np.asarray(importance, dtype=np.float64).mean(axis=0) if n else np.zeros(0)
    dims = max(1, min(n_components, n_features - 1, n - 1))
    if n < 3 or n_features < 2:
        x = np.zeros((n, 1), dtype=np.float32)
        return ClusteringResult(labels, x, np.zeros(1), np.zeros(0, dtype=np.int64), np.zeros(0), 1,
                                np.zeros(n, dtype=np.int64), float("nan"), float("nan"), min_samples,
                                np.zeros(n, dtype=np.int64), float("nan"), importance_mean, seed)
    svd = TruncatedSVD(n_components=dims, algorithm="randomized", n_iter=5, random_state=seed)
    x = svd.fit_transform(profiles)  # [N, D]
    check_stop(should_stop)

    # Rows that coincide (e.g. isolated nodes) are clustered once with a weight, which keeps k-means
    # from warning about fewer distinct points than clusters and DBSCAN's neighbourhoods small.
    unique, inverse, counts = np.unique(np.round(x, 12), axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    ks = np.array([k for k in k_range if 2 <= k <= min(unique.shape[0], n - 1)], dtype=np.int64)
    sil = np.full(ks.size, np.nan)
    fits = []
    for i, k in enumerate(ks):
        km = KMeans(n_clusters=int(k), n_init="auto", random_state=seed).fit(unique, sample_weight=counts)
        assignment = km.labels_[inverse].astype(np.int64)
        fits.append(assignment)
        sil[i] = _silhouette(x, assignment, seed)
        check_stop(should_stop)
    if ks.size and np.isfinite(sil).any():
        best = int(np.nanargmax(sil))
        km_k, km_labels, km_sil = int(ks[best]), fits[best], float(sil[best])
    else:
        km_k, km_labels, km_sil = 1, np.zeros(n, dtype=np.int64), float("nan")

    min_samples = int(max(2, min(min_samples, n - 1)))
    eps, db_labels = _dbscan(unique, counts, min_samples, seed)
    db_labels = db_labels[inverse]
    clustered = db_labels >= 0
    db_sil = _silhouette(x[clustered], db_labels[clustered], seed) if clustered.sum() > 2 else float("nan")
    return ClusteringResult(
        labels=labels, embedding=x.astype(np.float32), explained_variance_ratio=svd.explained_variance_ratio_,
        k_values=ks, silhouette_by_k=sil, kmeans_k=km_k, kmeans_labels=km_labels, kmeans_silhouette=km_sil,
        dbscan_eps=eps, dbscan_min_samples=min_samples, dbscan_labels=db_labels, dbscan_silhouette=db_sil,
        importance_mean=importance_mean, seed=seed,
    )
