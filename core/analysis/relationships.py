"""Which nodes resemble a given node: by attention profile and by plain features.

Similarity is the cosine of the angle between two profile vectors (1 = same direction, 0 =
unrelated, -1 = opposite). Two profiles are kept per node, each scaled to unit length:
  * ``attention``: the node's coordinates in the clustering embedding (who it attends to, who
    attends to it, how much, its importance), see :mod:`core.analysis.clustering`;
  * ``features``: standardised degree, stoichiometry and |flux| per condition plus the attention
    model's input features (mean over conditions).
:func:`most_similar` answers one query in O(N D) time; the report carries the answers for the most
important nodes.

Shapes (legend: N nodes, Da attention profile dims, Df feature dims, k neighbours):
    attention_profile  (N, Da) float32, rows of unit length (zero rows stay zero)
    feature_profile    (N, Df) float32, rows of unit length
    SimilarNodes.indices, SimilarNodes.similarity  (k,)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.analysis._common import NodeLabels, floats, zscore_columns

PROFILE_KINDS = ("attention", "features")
DEFAULT_QUERIES = 5
DEFAULT_NEIGHBOURS = 10


@dataclass(frozen=True, eq=False)
class SimilarNodes:
    query: int
    by: str
    indices: np.ndarray
    similarity: np.ndarray
    labels: NodeLabels | None = None

    def to_dict(self) -> dict:
        out: dict = {"by": self.by}
        if self.labels is None:
            out["query"] = {"index": self.query}
            out["similar"] = [{"rank": r + 1, "index": int(i), "similarity": floats(s)}
                              for r, (i, s) in enumerate(zip(self.indices, self.similarity))]
        else:
            out["query"] = self.labels.row(self.query)
            out["similar"] = [self.labels.row(i, rank=r + 1, similarity=s)
                              for r, (i, s) in enumerate(zip(self.indices, self.similarity))]
        return out


@dataclass(frozen=True, eq=False)
class RelationshipResult:
    labels: NodeLabels
    attention_profile: np.ndarray
    feature_profile: np.ndarray
    examples: tuple[SimilarNodes, ...]

    def profile(self, by: str) -> np.ndarray:
        if by not in PROFILE_KINDS:
            raise ValueError(f"unknown profile '{by}' (use one of {', '.join(PROFILE_KINDS)})")
        return self.attention_profile if by == "attention" else self.feature_profile

    def to_dict(self) -> dict:
        return {
            "description": "Most similar nodes (cosine similarity, 1 = identical profile) for the most important "
                           "nodes, by attention profile and by network/flux features.",
            "examples": [e.to_dict() for e in self.examples],
        }


def unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return np.where(norm > 0, x / np.where(norm > 0, norm, 1.0), 0.0)


def most_similar(source, node_index: int, k: int = DEFAULT_NEIGHBOURS, by: str = "attention") -> SimilarNodes:
    """The ``k`` nodes most similar to ``node_index`` (itself excluded), best first.

    ``source`` is an :class:`~core.analysis.AnalysisReport`, a :class:`RelationshipResult`, or a
    (N, D) array of profiles (rows need not be unit length).
    """
    labels = None
    if hasattr(source, "relationships"):
        source = source.relationships
    if isinstance(source, RelationshipResult):
        labels = source.labels
        profiles = source.profile(by)
    else:
        profiles = unit_rows(np.asarray(source))
    n = profiles.shape[0]
    if not 0 <= int(node_index) < n:
        raise IndexError(f"node index {node_index} out of range for {n} nodes")
    sim = np.asarray(profiles @ profiles[int(node_index)], dtype=np.float64)  # [N]
    sim[int(node_index)] = -np.inf
    k = max(0, min(int(k), n - 1))
    if k == 0:
        order = np.zeros(0, dtype=np.int64)
    else:
        part = np.argpartition(-sim, k - 1)[:k]
        order = part[np.lexsort((part, -sim[part]))]  # best first; ties by index
    return SimilarNodes(int(node_index), by, order.astype(np.int64), sim[order], labels)


def node_relationships(labels: NodeLabels, embedding: np.ndarray, features: np.ndarray,
                       model_features: np.ndarray | None, importance_mean: np.ndarray,
                       n_queries: int = DEFAULT_QUERIES, k: int = DEFAULT_NEIGHBOURS) -> RelationshipResult:
    """Profiles and the default examples.

    ``embedding`` (N, Da) from clustering; ``features`` (C, N, F) from :mod:`core.analysis.correlations`;
    ``model_features`` (C, N, D_in) the attention model's inputs or None.
    """
    n = embedding.shape[0]
    blocks = [np.moveaxis(np.asarray(features, dtype=np.float64), 0, 1).reshape(n, -1)]  # [N, C * F]
    if model_features is not None and np.asarray(model_features).size:
        blocks.append(np.asarray(model_features, dtype=np.float64).mean(axis=0))  # [N, D_in]
    feat = unit_rows(zscore_columns(np.concatenate(blocks, axis=1)))
    att = unit_rows(embedding)
    result = RelationshipResult(labels, att.astype(np.float32), feat.astype(np.float32), ())
    queries = np.argsort(-np.nan_to_num(np.asarray(importance_mean, dtype=np.float64), nan=-np.inf),
                         kind="stable")[: min(n_queries, n)]
    examples = tuple(most_similar(result, int(q), k, by) for q in queries for by in PROFILE_KINDS)
    return RelationshipResult(labels, result.attention_profile, result.feature_profile, examples)
