"""Invariants of the whole analysis on real models (textbook; iJO1366 marked slow), the JSON form,
determinism, progress and cancellation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.analysis import AnalysisReport, analyse, most_similar
from core.errors import Cancelled
from core.report import to_jsonable
from tests.core.analysis.synthetic import attention_edge_index, edge_softmax


def _walk_rows(obj, key):
    """Every list stored under ``key`` anywhere in a nested dict/list."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == key and isinstance(v, list):
                yield v
            yield from _walk_rows(v, key)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk_rows(v, key)


def _check_invariants(report: AnalysisReport, n_nodes: int) -> None:
    ent = report.entropy.entropy
    finite = ent[np.isfinite(ent)]
    assert finite.size and finite.min() >= 0.0 and finite.max() <= 1.0
    assert np.isnan(ent[..., report.entropy.in_degree < 2]).all()

    fb = report.sparsity.fraction_below
    assert (np.diff(fb, axis=-1) >= 0).all() and fb.min() >= 0 and fb.max() <= 1
    share = report.sparsity.node_top_share
    assert (np.nan_to_num(share[1]) >= np.nan_to_num(share[0]) - 1e-6).all()  # top-3 carries >= top-1
    assert np.nanmax(share) <= 1 + 1e-6
    assert (np.diff(report.sparsity.global_top_share, axis=-1) >= -1e-12).all()
    assert ((report.sparsity.gini >= 0) & (report.sparsity.gini <= 1)).all()

    cen = report.centrality
    np.testing.assert_allclose(cen.drawn + cen.self_weight, 1.0, atol=1e-5)  # each node's weights sum to 1
    np.testing.assert_allclose(cen.received.sum(-1), cen.drawn.sum(-1), rtol=1e-5)  # mass is conserved
    assert ((cen.betweenness >= 0) & (cen.betweenness <= 1)).all()
    rho = cen.spearman_rho[np.isfinite(cen.spearman_rho)]
    assert ((rho >= -1) & (rho <= 1)).all()

    np.testing.assert_allclose(report.pathways.importance.sum(axis=1), 1.0, rtol=1e-5)
    assert report.pathways.n_nodes.sum() == n_nodes
    assert np.nansum(report.pathways.flow_sum, axis=(1, 2)) == pytest.approx(
        report.centrality.drawn_mean.sum(axis=1), rel=1e-6)

    cl = report.clustering
    sil = np.append(cl.silhouette_by_k, [cl.kmeans_silhouette, cl.dbscan_silhouette])
    sil = sil[np.isfinite(sil)]
    assert ((sil >= -1) & (sil <= 1)).all()
    assert cl.kmeans_labels.shape == (n_nodes,) and cl.dbscan_labels.shape == (n_nodes,)
    assert np.unique(cl.kmeans_labels).size == cl.kmeans_k

    p = report.node_types.p_value[np.isfinite(report.node_types.p_value)]
    assert ((p >= 0) & (p <= 1)).all()
    r = report.node_types.rank_biserial[np.isfinite(report.node_types.rank_biserial)]
    assert ((r >= -1) & (r <= 1)).all()
    for arr in (report.correlations.pearson_r, report.correlations.spearman_rho):
        v = arr[np.isfinite(arr)]
        assert ((v >= -1 - 1e-9) & (v <= 1 + 1e-9)).all()

    cross = report.conditions.cross_mean
    np.testing.assert_allclose(cross.sum(axis=-1), 1.0, atol=1e-5)
    rel = report.conditions.reliance
    assert ((rel >= -1e-6) & (rel <= 1 + 1e-6)).all()

    d = report.to_dict()
    # Top-k tables are sorted by their own ranking value and carry ids and names.
    for table, key, descending in (("top_received", "received", True), ("top_nodes", None, True),
                                   ("most_focused_nodes", "mean_entropy", False),
                                   ("most_reliant_nodes", "reliance", True)):
        for rows in _walk_rows(d, table):
            assert all("id" in row and "name" in row and "rank" in row for row in rows)
            assert [row["rank"] for row in rows] == list(range(1, len(rows) + 1))
            if key is not None:
                values = [row[key] for row in rows]
                assert values == sorted(values, reverse=descending)
    for c in d["conditions_comparison"]["per_condition"]:
        values = [row["importance"] for row in c["top_nodes"]]
        assert values == sorted(values, reverse=True) and len(values) == report.top_k
    for pair in d["conditions_comparison"]["pairs"]:
        diffs = [abs(row["difference"]) for row in pair["top_nodes"]]
        assert diffs == sorted(diffs, reverse=True)


def _round_trip(report: AnalysisReport) -> str:
    d = report.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text) == d
    assert to_jsonable(d) == d  # already plain: numbers are numbers, no numpy types left
    return text


def test_synthetic_attention_is_proper_attention(textbook_case):
    graph, _conds, att = textbook_case
    src, dst = att.edge_index
    assert (src == dst).sum() == graph.n_nodes
    sums = np.zeros((2, 2, graph.n_nodes, 8))
    np.add.at(sums, (slice(None), slice(None), dst), att.self_attention)
    np.testing.assert_allclose(sums, 1.0, atol=1e-5)
    np.testing.assert_allclose(att.cross_attention.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(att.importance.sum(-1), 1.0, atol=1e-5)
    ei = attention_edge_index(graph)
    w = edge_softmax(np.zeros((1, ei.shape[1])), ei[1], graph.n_nodes)
    np.testing.assert_allclose(w[0], 1.0 / np.bincount(ei[1])[ei[1]])


def test_textbook_invariants_and_json(textbook_case, textbook_report):
    graph, conds, att = textbook_case
    _check_invariants(textbook_report, graph.n_nodes)
    text = _round_trip(textbook_report)
    d = json.loads(text)
    assert d["shape"] == {"layers": 2, "conditions": 2, "heads": 8, "nodes": graph.n_nodes,
                          "edges": att.n_edges, "top_k": 10}
    assert [c["name"] for c in d["conditions"]] == ["glucose", "acetate"]
    assert d["conditions"][0]["growth_rate"] == pytest.approx(conds[0].growth_rate)
    assert textbook_report.entropy.entropy.shape == (2, 2, 8, graph.n_nodes)
    assert textbook_report.importance.shape == (2, graph.n_nodes)
    assert d["centrality"]["betweenness_method"] == "exact"
    # Real flux feature: biomass reaction carries flux equal to the growth rate.
    bio = graph.index["Biomass_Ecoli_core"]
    assert textbook_report.correlations.features[0, bio, 2] == pytest.approx(conds[0].growth_rate)


def test_most_similar_on_textbook(textbook_report):
    i = textbook_report.labels.ids.index("PGI")
    for by in ("attention", "features"):
        sim = most_similar(textbook_report, i, k=5, by=by)
        assert len(sim.indices) == 5 and i not in sim.indices
        assert (np.diff(sim.similarity) <= 1e-7).all() and (np.abs(sim.similarity) <= 1 + 1e-6).all()
        rows = sim.to_dict()["similar"]
        assert rows[0]["rank"] == 1 and rows[0]["name"]
    examples = textbook_report.relationships.examples
    assert len(examples) == 10  # 5 most important nodes x 2 profiles


def test_same_inputs_same_numbers(textbook_case, textbook_report):
    graph, conds, att = textbook_case
    again = analyse(graph, conds, att, top_k=10)
    assert json.dumps(again.to_dict(), sort_keys=True) == json.dumps(textbook_report.to_dict(), sort_keys=True)
    np.testing.assert_array_equal(again.clustering.kmeans_labels, textbook_report.clustering.kmeans_labels)


def test_progress_and_cancel(textbook_case):
    graph, conds, att = textbook_case
    seen = []
    analyse(graph, conds, att, top_k=5, progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(seen) >= 10
    assert all(isinstance(m, str) and m for _, m in seen)
    calls = []

    def stop_after_three():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        analyse(graph, conds, att, should_stop=stop_after_three)


def test_mismatched_graph_is_rejected(textbook_case, tiny):
    graph, conds, _ = textbook_case
    _, _, tiny_att = tiny
    with pytest.raises(ValueError, match="different graph"):
        analyse(graph, conds, tiny_att)


@pytest.mark.slow
def test_ijo1366_invariants_size_and_speed(ijo_case):
    import time

    graph, conds, att = ijo_case
    start = time.perf_counter()
    report = analyse(graph, conds, att, top_k=20)
    elapsed = time.perf_counter() - start
    _check_invariants(report, graph.n_nodes)
    text = _round_trip(report)
    assert len(text.encode()) < 5_000_000
    assert report.centrality.betweenness_method.startswith("estimated")
    assert len(report.pathways.names) > 20
    assert elapsed < 20  # the budget is 3 s on an idle machine; generous here for a shared CI box
