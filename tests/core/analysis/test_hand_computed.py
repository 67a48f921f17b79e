"""Every analysis on the 4-node network A -> R1 -> B -> R2, whose numbers can be worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.analysis import analyse
from core.analysis._common import AttentionEdges, NodeLabels
from core.analysis.basic import basic_statistics
from core.analysis.centrality import attention_centrality, betweenness
from core.analysis.clustering import cluster_nodes
from core.analysis.conditions import compare_conditions
from core.analysis.correlations import feature_correlations, node_features
from core.analysis.entropy import attention_entropy
from core.analysis.layers import jaccard, layer_evolution
from core.analysis.node_types import compare_node_types, mann_whitney
from core.analysis.pathways import pathway_attention
from core.analysis.relationships import most_similar
from core.analysis.sparsity import attention_sparsity
from tests.core.analysis.conftest import tiny_attention, tiny_conditions, tiny_graph

A, B, R1, R2 = range(4)


def _setup():
    graph = tiny_graph()
    attention = tiny_attention()
    return graph, attention, AttentionEdges.from_result(attention), NodeLabels.from_graph(graph)


def test_basic_statistics_separate_self_loops():
    _, attention, edges, _ = _setup()
    stats = basic_statistics(edges, attention.condition_names)
    neighbour = np.array([0.5, 1 / 3, 1 / 3, 0.0, 0.0, 0.8])  # R1->A, R1->B, R2->B, A->R1, B->R1, B->R2
    assert stats.n_neighbour_edges == 6 and stats.n_self_loops == 4
    assert stats.mean[0, 0, 0] == pytest.approx(neighbour.mean())
    assert stats.std[0, 0, 0] == pytest.approx(neighbour.std())
    assert stats.var[0, 0, 0] == pytest.approx(neighbour.var())
    assert stats.min[0, 0, 0] == 0.0 and stats.max[0, 0, 0] == pytest.approx(0.8)
    assert stats.quantiles[0, 0, 0, 2] == pytest.approx(np.median(neighbour))
    assert stats.self_mean[0, 0, 0] == pytest.approx(np.mean([0.5, 1 / 3, 1.0, 0.2]))
    assert stats.self_max[0, 0, 0] == pytest.approx(1.0)
    assert stats.histogram[0].sum() == 12  # 6 edges x 2 conditions x 1 head


def test_entropy_known_values():
    _, attention, edges, labels = _setup()
    ent = attention_entropy(edges, labels, attention.condition_names, top_k=4)
    h3 = -(0.2 * math.log(0.2) + 0.8 * math.log(0.8)) / math.log(2)
    np.testing.assert_allclose(ent.entropy[0, 0, 0], [1.0, 1.0, 0.0, h3], atol=1e-6)
    # Condition 1 is uniform: every node spreads attention evenly.
    np.testing.assert_allclose(ent.entropy[0, 1, 0], 1.0, atol=1e-6)
    np.testing.assert_array_equal(ent.in_degree, [2, 3, 3, 2])
    assert ent.raw[0, 0, 0, B] == pytest.approx(math.log(3), rel=1e-6)
    d = ent.to_dict()
    assert d["most_focused_nodes"][0]["id"] == "R1"  # entropy 0 in one condition, 1 in the other: 0.5
    assert d["most_focused_nodes"][0]["mean_entropy"] == pytest.approx(0.5)


def test_entropy_of_a_node_with_only_itself_is_undefined():
    from tests.core.analysis.synthetic import attention_from_weights

    graph = tiny_graph()
    # Drop R2's edge from B so R2 only attends to itself.
    keep = np.ones(10, dtype=bool)
    keep[9] = False
    from tests.core.analysis.conftest import TINY_ATTENTION_EDGES, TINY_W0

    w = TINY_W0[keep].copy()
    w[8] = 1.0
    att = attention_from_weights(graph, ("glucose",), TINY_ATTENTION_EDGES[:, keep], w[None, None, None, :])
    ent = attention_entropy(att, NodeLabels.from_graph(graph))
    assert np.isnan(ent.entropy[0, 0, 0, R2]) and ent.n_undefined == 1
    assert np.isfinite(ent.entropy[0, 0, 0, :R2]).all()


def test_sparsity_known_values():
    _, attention, edges, _ = _setup()
    sp = attention_sparsity(edges, attention.condition_names, thresholds=(0.25, 0.01, 0.05, 0.1))
    np.testing.assert_allclose(sp.thresholds, [0.01, 0.05, 0.1, 0.25])
    np.testing.assert_allclose(sp.fraction_below[0, 0, 0], [0.2, 0.2, 0.2, 0.3])
    np.testing.assert_allclose(sp.fraction_below[0, 1, 0], [0.0, 0.0, 0.0, 0.0])
    k1, k3 = list(sp.node_top_k).index(1), list(sp.node_top_k).index(3)
    np.testing.assert_allclose(sp.node_top_share[k1, 0, 0, 0], [0.5, 1 / 3, 1.0, 0.8], atol=1e-6)
    np.testing.assert_allclose(sp.node_top_share[k3, 0, 0, 0], 1.0, atol=1e-6)
    # The strongest 10 % of 10 edges is the single weight 1.0 out of a total mass of 4 (one per node).
    assert sp.global_top_share[0, 0, 0, list(sp.edge_shares).index(0.1)] == pytest.approx(0.25)
    w = np.sort(np.array([0.5, 0.5, 1 / 3, 1 / 3, 1 / 3, 1.0, 0.0, 0.0, 0.2, 0.8]))
    gini = 2 * (w * np.arange(1, 11)).sum() / (10 * w.sum()) - 11 / 10
    assert sp.gini[0, 0, 0] == pytest.approx(gini)


def test_centrality_known_values():
    graph, attention, edges, labels = _setup()
    cen = attention_centrality(edges, graph, labels, attention.condition_names, top_k=4)
    np.testing.assert_allclose(cen.received[0, 0, 0], [0.0, 0.8, 0.5 + 1 / 3, 1 / 3], atol=1e-6)
    np.testing.assert_allclose(cen.drawn[0, 0, 0], [0.5, 2 / 3, 0.0, 0.8], atol=1e-6)
    np.testing.assert_allclose(cen.self_weight[0, 0, 0], [0.5, 1 / 3, 1.0, 0.2], atol=1e-6)
    np.testing.assert_allclose(cen.weighted_degree[0], cen.received_mean[0] + cen.drawn_mean[0])
    np.testing.assert_array_equal(cen.degree, [1, 2, 2, 1])
    # The path A - R1 - B - R2: the two inner nodes each lie on 2 of the 3 pairs that pass through.
    np.testing.assert_allclose(cen.betweenness, [0.0, 2 / 3, 2 / 3, 0.0])
    top = cen.to_dict()["per_condition"][0]["top_received"]
    assert [r["id"] for r in top[:2]] == ["R1", "B"]
    assert top[0]["name"] == "Reaction one" and top[0]["type"] == "reaction"


def test_sampled_betweenness_matches_networkx_on_a_larger_graph():
    import networkx as nx

    g = nx.gnm_random_graph(800, 2400, seed=4)
    edge_index = np.array(list(g.edges())).T
    exact_nx = nx.betweenness_centrality(g)
    exact = np.array([exact_nx[i] for i in range(800)])
    ours_exact, method = betweenness(edge_index, 800, exact_max=1000)
    assert method == "exact"
    np.testing.assert_allclose(ours_exact, exact, atol=1e-9)
    estimate, method = betweenness(edge_index, 800, exact_max=100, samples=200)
    assert "sampled" in method
    assert np.corrcoef(estimate, exact)[0, 1] > 0.9
    assert estimate.sum() == pytest.approx(exact.sum(), rel=0.15)


def test_node_types_mann_whitney_and_effect_size():
    _, attention, edges, labels = _setup()
    imp = np.asarray(attention.importance, dtype=np.float64)
    cmp = compare_node_types(labels.types, {"importance": imp}, attention.condition_names)
    # Condition 0 importance ranks: A 0 (1), R2 1/3 (2), B 0.8 (3), R1 0.83 (4): metabolite rank sum 4.
    assert cmp.u[0, 0] == pytest.approx(1.0)
    assert cmp.rank_biserial[0, 0] == pytest.approx(-0.5)
    assert 0.0 <= cmp.p_value[0, 0] <= 1.0
    assert cmp.importance_share[0].sum() == pytest.approx(1.0)
    assert cmp.importance_share[0, 0] == pytest.approx(0.8 / (0.8 + (0.5 + 1 / 3) + 1 / 3), rel=1e-5)
    u, p, r = mann_whitney(np.array([5.0, 6.0]), np.array([1.0, 2.0, np.nan]))
    assert (u, r) == (4.0, 1.0) and 0 < p <= 1
    assert mann_whitney(np.array([]), np.array([1.0]))[0] != mann_whitney(np.array([]), np.array([1.0]))[0]


def test_pathway_flow_and_importance():
    graph, attention, edges, labels = _setup()
    pw = pathway_attention(edges, labels.pathways, attention.importance, attention.condition_names)
    assert pw.names == ("Glycolysis", "TCA")  # B's primary pathway is the first alphabetically
    np.testing.assert_array_equal(pw.node_pathway, [0, 0, 0, 1])
    np.testing.assert_allclose(pw.flow_sum[0], [[0.5 + 1 / 3, 1 / 3], [0.8, 0.0]], atol=1e-6)
    np.testing.assert_array_equal(pw.edge_count, [[4, 1], [1, 0]])
    assert pw.flow_mean[0, 0, 0] == pytest.approx((0.5 + 1 / 3) / 4, rel=1e-6)
    assert np.isnan(pw.flow_mean[0, 1, 1])
    imp = np.asarray(attention.importance, dtype=np.float64)
    np.testing.assert_allclose(pw.importance[0], [imp[0, :3].sum(), imp[0, 3]], rtol=1e-6)
    np.testing.assert_allclose(pw.enrichment[0], pw.importance[0] / np.array([0.75, 0.25]), rtol=1e-6)
    assert pw.ranking[0, 0] == 0


def test_correlation_features_degree_stoichiometry_and_flux():
    graph = tiny_graph()
    feats, names = node_features(graph, tiny_conditions(), ("glucose", "acetate"))
    assert names == ("degree", "stoichiometry", "abs_flux")
    np.testing.assert_allclose(feats[0, :, 0], [1, 2, 2, 1])
    np.testing.assert_allclose(feats[0, :, 1], [1, 3, 2, 2])
    # Reactions: |flux|; metabolites: half the sum of |coef x flux| (A: 1 x 2 / 2; B: (1 x 2 + 2 x 1) / 2).
    np.testing.assert_allclose(feats[0, :, 2], [1.0, 2.0, 2.0, 1.0])
    np.testing.assert_allclose(feats[1, :, 2], [0.0, 3.0, 0.0, 3.0])
    imp = np.array([[1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0]])
    corr = feature_correlations(imp, feats, graph.node_types, ("glucose", "acetate"), names)
    x = np.array([1.0, 2.0, 2.0, 1.0])
    assert corr.pearson_r[0, 0, 0] == pytest.approx(np.corrcoef(imp[0], x)[0, 1])
    assert -1 <= corr.spearman_rho[0, 0, 0] <= 1
    assert corr.n[0, 0, 1] == 2 and np.isnan(corr.pearson_r[0, 0, 1])  # 2 metabolites: too few
    missing, _ = node_features(graph, tiny_conditions()[:1], ("glucose", "acetate"))
    assert np.isnan(missing[1, :, 2]).all()


def test_condition_shifts_and_cross_attention():
    graph, attention, _, labels = _setup()
    imp = np.asarray(attention.importance, dtype=np.float64)
    cmp = compare_conditions(labels, attention.condition_names, np.array([0.5, 0.2]), imp,
                             attention.cross_attention, ("Glycolysis", "TCA"), np.array([[0.7, 0.3], [0.6, 0.4]]), 3)
    np.testing.assert_array_equal(cmp.pairs, [[0, 1]])
    np.testing.assert_allclose(cmp.difference[0], imp[1] - imp[0])
    np.testing.assert_allclose(cmp.log2_fold_change[0], np.log2((imp[1] + 0.025) / (imp[0] + 0.025)))
    np.testing.assert_allclose(cmp.pathway_difference[0], [-0.1, 0.1])
    np.testing.assert_allclose(cmp.cross_mean[0], [[0.9, 0.1], [0.3, 0.7]], atol=1e-6)
    np.testing.assert_allclose(cmp.reliance, [[0.1] * 4, [0.3] * 4], atol=1e-6)
    d = cmp.to_dict()
    pair = d["pairs"][0]
    assert pair["a"] == "glucose" and pair["growth_rate_a"] == 0.5 and pair["growth_rate_b"] == 0.2
    diffs = [abs(r["difference"]) for r in pair["top_nodes"]]
    assert diffs == sorted(diffs, reverse=True) and len(diffs) == 3
    assert pair["top_pathways"][0]["pathway"] in ("Glycolysis", "TCA")


def test_top_union_interleaves_the_conditions_top_tables():
    from dataclasses import replace

    graph, attention, _, labels = _setup()
    cmp = compare_conditions(labels, attention.condition_names, np.array([0.5, 0.2]),
                             np.asarray(attention.importance, dtype=np.float64), attention.cross_attention,
                             ("Glycolysis", "TCA"), np.array([[0.7, 0.3], [0.6, 0.4]]), 3)
    cmp = replace(cmp, importance=np.array([[1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0]]))
    assert cmp.top_union(3) == [3, 0, 2]  # first of each condition, then the second of the first
    assert cmp.top_union(4) == [3, 0, 2, 1]
    assert cmp.top_union(1) == [3]


def test_single_condition_has_no_pairs():
    from tests.core.analysis.synthetic import attention_from_weights
    from tests.core.analysis.conftest import TINY_ATTENTION_EDGES, TINY_W0

    graph = tiny_graph()
    att = attention_from_weights(graph, ("glucose",), TINY_ATTENTION_EDGES, TINY_W0[None, None, None, :])
    report = analyse(graph, tiny_conditions()[:1], att, top_k=3)
    assert report.conditions.pairs.shape == (0, 2)
    assert report.to_dict()["conditions_comparison"]["pairs"] == []
    np.testing.assert_allclose(report.conditions.reliance, 0.0)


def test_layers_jaccard():
    graph = tiny_graph()
    att = tiny_attention(layers=2)
    report = analyse(graph, tiny_conditions(), att, top_k=2)
    lay = report.layers
    np.testing.assert_allclose(lay.jaccard_consecutive, [1.0])  # identical layers, identical top sets
    assert lay.mean_entropy[0] == pytest.approx(lay.mean_entropy[1])
    assert set(lay.top_nodes[0]) == {R1, B}
    assert jaccard([1, 2], [2, 3]) == pytest.approx(1 / 3)
    assert np.isnan(jaccard([], []))
    direct = layer_evolution(report.labels, report.entropy.entropy, report.sparsity.fraction_below,
                             report.sparsity.thresholds, report.sparsity.node_top_share[0],
                             report.centrality.received, report.importance, top_k=2)
    np.testing.assert_allclose(direct.received, lay.received)


def test_clustering_and_similarity_on_four_nodes():
    graph, attention, edges, labels = _setup()
    cen = attention_centrality(edges, graph, labels, attention.condition_names)
    cl = cluster_nodes(edges, labels, cen.received, cen.drawn, attention.importance)
    assert cl.kmeans_labels.shape == (4,) and cl.dbscan_labels.shape == (4,)
    assert set(cl.k_values) <= {2, 3}
    finite = cl.silhouette_by_k[np.isfinite(cl.silhouette_by_k)]
    assert ((finite >= -1) & (finite <= 1)).all()
    sizes = [c["size"] for c in cl.to_dict()["kmeans"]["clusters"]]
    assert sum(sizes) == 4
    # Similarity on explicit vectors: B is closest to A, and C is opposite.
    profiles = np.array([[1.0, 0.0], [0.9, 0.1], [-1.0, 0.0], [0.0, 1.0]])
    sim = most_similar(profiles, 0, k=3)
    np.testing.assert_array_equal(sim.indices, [1, 3, 2])
    assert sim.similarity[0] == pytest.approx(0.9 / math.hypot(0.9, 0.1))
    assert sim.similarity[2] == pytest.approx(-1.0)
    with pytest.raises(IndexError):
        most_similar(profiles, 4)


def test_full_report_on_tiny_case(tiny):
    graph, conds, attention = tiny
    report = analyse(graph, conds, attention, top_k=3)
    np.testing.assert_allclose(report.growth_rates, [0.5, 0.2])
    sim = most_similar(report, R1, k=2, by="features")
    assert sim.labels is not None and R1 not in sim.indices
    assert sim.to_dict()["query"]["id"] == "R1"
    with pytest.raises(ValueError):
        most_similar(report, 0, by="colour")


def test_too_many_weights_is_refused_before_any_work(monkeypatch, tiny):
    import core.analysis as analysis
    from core.errors import InputError

    graph, conds, att = tiny
    monkeypatch.setattr(analysis, "MAX_WEIGHT_VALUES", 10)
    with pytest.raises(InputError, match="too many to analyse"):
        analysis.analyse(graph, conds, att)
