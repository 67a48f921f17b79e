"""Analysis of the attention a run produced: one pure function, :func:`analyse`, one frozen result.

``analyse(graph, conditions, attention)`` runs every analysis below and returns an
:class:`AnalysisReport` holding one frozen dataclass per analysis. Those keep their per-node arrays
(the GUI tables and figures read them without recomputing); ``to_dict()`` summarises them for
``report.json`` (top-k tables, quantiles, histograms; never one value per edge).

Shapes (legend: L layers, C conditions, H heads, N nodes, E attention edges, P pathways):
    see each module; the report itself holds node_ids/node_names (N,), node_types (N,) int8,
    growth_rates (C,) in 1/h.

JSON keys of ``AnalysisReport.to_dict()`` (numbers are numbers; NaN becomes null; every node row
has ``rank``, ``index``, ``id``, ``name``, ``type`` and ``pathway`` before its values):
    format_version      1
    conditions          [{name, growth_rate (1/h)}] in attention order
    shape               {layers, conditions, heads, nodes, edges, top_k}
    basic               core.analysis.basic: per (layer, condition, head) mean, std, variance, min, max,
                        quantiles of neighbour-edge weights; self-loops apart; per-layer histogram
    entropy             core.analysis.entropy: overall/per-layer summaries and histograms, per (layer,
                        head) means, per condition means, most_focused_nodes, most_diffuse_nodes
    sparsity            core.analysis.sparsity: fraction of weights below thresholds, node top-k share,
                        global top-share of the strongest edges, Gini; per layer and per slice
    centrality          core.analysis.centrality: Spearman of received/weighted degree/importance with
                        degree and betweenness per condition, top_received rows, top_betweenness rows
    node_types          core.analysis.node_types: importance share per type, Mann-Whitney U, p-value and
                        rank-biserial effect size per measure and condition
    pathways            core.analysis.pathways: pathway list, ranking per condition, flow matrices
                        (sum, mean) among the 30 most important pathways
    clustering          core.analysis.clustering: k-means (k by silhouette) and DBSCAN clusters with
                        size, node types, dominant pathways and top nodes
    correlations        core.analysis.correlations: Pearson/Spearman of importance with degree,
                        stoichiometry and |flux| per condition and node subset, with p-values
    relationships       core.analysis.relationships: most similar nodes for the most important ones
                        (:func:`most_similar` answers any other node from the report's profiles)
    conditions_comparison  core.analysis.conditions: top nodes per condition, biggest shifts per pair of
                        conditions (nodes and pathways, growth rates beside), cross-condition attention
    layers              core.analysis.layers: per-layer entropy, sparsity, top nodes, Jaccard overlaps
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from core.analysis._common import AttentionEdges, NodeLabels
from core.analysis.basic import BasicStats, basic_statistics
from core.analysis.centrality import CentralityResult, attention_centrality
from core.analysis.clustering import ClusteringResult, cluster_nodes
from core.analysis.conditions import ConditionComparison, compare_conditions
from core.analysis.correlations import CorrelationResult, feature_correlations, node_features
from core.analysis.entropy import EntropyResult, attention_entropy
from core.analysis.layers import LayerEvolution, layer_evolution
from core.analysis.node_types import NodeTypeComparison, compare_node_types, node_type_measures
from core.analysis.pathways import PathwayResult, pathway_attention
from core.analysis.relationships import RelationshipResult, SimilarNodes, most_similar, node_relationships
from core.analysis.sparsity import DEFAULT_THRESHOLDS, SparsityResult, attention_sparsity
from core.errors import InputError, check_stop

FORMAT_VERSION = 1
# Analyses work on float64 copies of the weights; 150M values is ~1.2 GB per copy. Sparse attention on a
# 22k-node model with 2 layers, 3 conditions and 8 heads keeps ~7M.
MAX_WEIGHT_VALUES = 150_000_000

__all__ = [
    "AnalysisReport", "analyse", "most_similar", "SimilarNodes", "NodeLabels", "AttentionEdges",
    "BasicStats", "EntropyResult", "SparsityResult", "CentralityResult", "NodeTypeComparison", "PathwayResult",
    "ClusteringResult", "CorrelationResult", "RelationshipResult", "ConditionComparison", "LayerEvolution",
]


@dataclass(frozen=True, eq=False)
class AnalysisReport:
    labels: NodeLabels
    condition_names: tuple[str, ...]
    growth_rates: np.ndarray  # (C,) 1/h, NaN for a condition without an FBA result
    top_k: int
    shape: dict
    basic: BasicStats
    entropy: EntropyResult
    sparsity: SparsityResult
    centrality: CentralityResult
    node_types: NodeTypeComparison
    pathways: PathwayResult
    clustering: ClusteringResult
    correlations: CorrelationResult
    relationships: RelationshipResult
    conditions: ConditionComparison
    layers: LayerEvolution
    timings: dict = field(default_factory=dict)  # seconds per analysis; not part of to_dict()

    @property
    def node_ids(self) -> tuple[str, ...]:
        return self.labels.ids

    @property
    def node_names(self) -> tuple[str, ...]:
        return self.labels.names

    @property
    def importance(self) -> np.ndarray:
        """(C, N) attention importance per condition."""
        return self.conditions.importance

    def to_dict(self) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "conditions": [{"name": n, "growth_rate": None if not np.isfinite(g) else float(g)}
                           for n, g in zip(self.condition_names, self.growth_rates)],
            "shape": dict(self.shape),
            "basic": self.basic.to_dict(),
            "entropy": self.entropy.to_dict(),
            "sparsity": self.sparsity.to_dict(),
            "centrality": self.centrality.to_dict(),
            "node_types": self.node_types.to_dict(),
            "pathways": self.pathways.to_dict(),
            "clustering": self.clustering.to_dict(),
            "correlations": self.correlations.to_dict(),
            "relationships": self.relationships.to_dict(),
            "conditions_comparison": self.conditions.to_dict(),
            "layers": self.layers.to_dict(),
        }


def warm_up() -> None:
    """Import the libraries :func:`analyse` imports lazily (scikit-learn, igraph, scipy.stats, threadpoolctl).

    They cost about a second on a first call (0.8 s measured). A long-lived process (the GUI's compute process)
    calls this while it waits for work; the command line does not need to.
    """
    import igraph  # noqa: F401
    import scipy.stats  # noqa: F401
    import sklearn.cluster  # noqa: F401
    import sklearn.decomposition  # noqa: F401
    import sklearn.metrics  # noqa: F401
    import sklearn.neighbors  # noqa: F401
    import sklearn.preprocessing  # noqa: F401
    import threadpoolctl  # noqa: F401


def analyse(graph, conditions: Sequence, attention, top_k: int = 20,
            progress: Callable[[float, str], None] | None = None, should_stop: Callable[[], bool] | None = None,
            *, thresholds: Sequence[float] = DEFAULT_THRESHOLDS, seed: int = 0) -> AnalysisReport:
    """Run every analysis of ``attention`` (an AttentionResult computed on ``graph``).

    ``conditions`` are the ConditionResults attention ran on (matched to
    ``attention.condition_names`` by name, for growth rates and fluxes). ``top_k`` is the length of
    every table. Same inputs and seed give the same numbers. Raises :class:`core.errors.Cancelled`
    when ``should_stop()`` returns True.
    """
    if tuple(attention.node_ids) != tuple(graph.node_ids):
        raise ValueError("attention was computed on a different graph (node ids differ)")
    n_values = int(np.prod(np.shape(attention.self_attention)))
    if n_values > MAX_WEIGHT_VALUES:
        raise InputError(f"the attention run kept {n_values:,} weights, too many to analyse in memory "
                         f"(at most {MAX_WEIGHT_VALUES:,}); use sparse mode, or keep fewer weight rows in full mode")
    from threadpoolctl import threadpool_limits

    # One BLAS/OpenMP thread: on two shared cores (and beside a busy GUI thread) k-means and the SVD
    # ran several times slower with more threads, and one thread keeps the numbers reproducible.
    with threadpool_limits(limits=1):
        return _analyse(graph, conditions, attention, top_k, progress, should_stop, thresholds, seed)


def _analyse(graph, conditions, attention, top_k, progress, should_stop, thresholds, seed) -> AnalysisReport:
    top_k = max(1, int(top_k))
    timings: dict[str, float] = {}
    steps = ("prepare", "basic", "entropy", "sparsity", "centrality", "node_types", "pathways", "clustering",
             "correlations", "relationships", "conditions", "layers")
    clock = [time.perf_counter()]

    def step(i: int, name: str) -> None:
        now = time.perf_counter()
        if i > 0:
            timings[steps[i - 1]] = now - clock[0]
        clock[0] = now
        check_stop(should_stop)
        if progress is not None:
            progress(i / len(steps), f"Analysing attention: {name.replace('_', ' ')}")

    step(0, "prepare")
    names = tuple(attention.condition_names)
    labels = NodeLabels.from_graph(graph)
    edges = AttentionEdges.from_result(attention)
    by_name = {c.name: c for c in conditions}
    growth = np.array([by_name[n].growth_rate if n in by_name else np.nan for n in names], dtype=np.float64)
    importance = np.asarray(attention.importance, dtype=np.float64)
    step(1, "basic")
    basic = basic_statistics(edges, names)
    step(2, "entropy")
    entropy = attention_entropy(edges, labels, names, top_k)
    step(3, "sparsity")
    sparsity = attention_sparsity(edges, names, thresholds)
    step(4, "centrality")
    centrality = attention_centrality(edges, graph, labels, names, top_k, seed, importance=importance)
    step(5, "node_types")
    node_types = compare_node_types(labels.types, node_type_measures(
        importance, entropy.entropy, centrality.received_mean, centrality.drawn_mean), names)
    step(6, "pathways")
    pathways = pathway_attention(edges, labels.pathways, importance, names, top_k)
    step(7, "clustering")
    clustering = cluster_nodes(edges, labels, centrality.received, centrality.drawn, importance, seed=seed,
                               should_stop=should_stop)
    step(8, "correlations")
    features, feature_names = node_features(graph, conditions, names)
    correlations = feature_correlations(importance, features, labels.types, names, feature_names)
    step(9, "relationships")
    relationships = node_relationships(labels, clustering.embedding, features,
                                       getattr(attention, "node_features", None), importance.mean(axis=0))
    step(10, "conditions")
    comparison = compare_conditions(labels, names, growth, importance, attention.cross_attention,
                                    pathways.names, pathways.importance, top_k)
    step(11, "layers")
    layers = layer_evolution(labels, entropy.entropy, sparsity.fraction_below, sparsity.thresholds,
                             sparsity.node_top_share[0], centrality.received, importance, top_k)
    timings[steps[-1]] = time.perf_counter() - clock[0]
    if progress is not None:
        progress(1.0, "Analysis done")
    n_l, n_c, n_h, n_e = edges.shape
    shape = {"layers": n_l, "conditions": n_c, "heads": n_h, "nodes": edges.n_nodes, "edges": n_e, "top_k": top_k}
    return AnalysisReport(labels, names, growth, top_k, shape, basic, entropy, sparsity, centrality, node_types,
                          pathways, clustering, correlations, relationships, comparison, layers, timings)

