"""Node features on the tiny hand-computed network and on the textbook model."""

from __future__ import annotations

import numpy as np
import pytest

from core.attention.features import CONDITION_FEATURES, build_node_features
from core.errors import InputError

from .conftest import make_result


def test_tiny_features_hand_computed(tiny):
    graph, results = tiny
    feats = build_node_features(graph, results, top_compartments=2, top_pathways=1, hash_buckets=2)
    assert feats.values.shape == (2, 8, len(feats.names)) and feats.values.dtype == np.float32
    assert feats.names[-len(CONDITION_FEATURES):] == CONDITION_FEATURES
    assert feats.condition_names == ("glucose", "starved")
    a, b, c, d, ex, r1, r2, r3 = range(8)
    col = feats.column

    assert col("type:reaction")[0].tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    # B: produced by R1 (coefficient 2), consumed by R2 (1): in 2, out 1.
    assert col("log_stoich_in")[0, b] == pytest.approx(np.log1p(2.0))
    assert col("log_stoich_out")[0, b] == pytest.approx(np.log1p(1.0))
    assert col("log_degree")[0, c] == pytest.approx(np.log1p(2))

    # Pathways: Glycolysis is the most common (R1, R2 and metabolites A, B, C, D); TCA is hashed.
    assert feats.names.count("pathway:Glycolysis") == 1
    assert col("pathway:Glycolysis")[0].tolist() == [1, 1, 1, 1, 0, 1, 1, 0]
    assert col("pathway:none")[0, ex] == 1
    assert col("log_pathway_count")[0, c] == pytest.approx(np.log1p(2))  # C: Glycolysis and TCA
    assert col("compartment:c")[0].sum() == 8
    assert "compartment:(unused 1)" in feats.names

    # Fluxes by reaction id: the "starved" result lists its reactions in another order.
    assert col("flux")[0, [ex, r1, r2, r3]] == pytest.approx(np.arcsinh([10, 10, 20, 20]))
    assert col("flux")[0, :4].tolist() == [0, 0, 0, 0]
    assert col("active")[1].sum() == 0
    # Turnover of B = 0.5 * (|2 * 10| + |-1 * 20|) = 20; of C = 0.5 * (20 + 20) = 20; of A = 0.5 * 20.
    assert col("turnover")[0, [a, b, c, d]] == pytest.approx(np.arcsinh([10, 20, 20, 20]))
    assert col("turnover")[0, r1] == 0
    assert col("growth_rate")[:, 0].tolist() == pytest.approx([0.8, 0.0])
    assert col("uptake_open")[0].tolist() == [0, 0, 0, 0, 1, 0, 0, 0]
    assert col("in_medium")[0].tolist() == [1, 0, 0, 0, 0, 0, 0, 0]
    assert col("in_medium")[1].sum() == 0 and col("uptake_open")[1].sum() == 0
    # Structure is the same in every condition.
    static = len(feats.names) - len(CONDITION_FEATURES)
    assert np.array_equal(feats.values[0, :, :static], feats.values[1, :, :static])


def test_feature_width_depends_only_on_settings(tiny, textbook_run_inputs):
    small = build_node_features(*tiny)
    big = build_node_features(*textbook_run_inputs)
    assert small.n_features == big.n_features


def test_textbook_fluxes_map_to_reaction_nodes(textbook_run_inputs):
    graph, results = textbook_run_inputs
    feats = build_node_features(graph, results)
    flux = feats.column("flux")
    for c, res in enumerate(results):
        for rid in ("PGI", "CS", "Biomass_Ecoli_core"):
            j = res.reaction_ids.index(rid)
            assert flux[c, graph.index[rid]] == pytest.approx(np.arcsinh(res.fluxes[j]), rel=1e-6)
    assert np.isfinite(feats.values).all()
    assert feats.column("uptake_open")[0, graph.index["EX_glc__D_e"]] == 1
    assert feats.column("uptake_open")[1, graph.index["EX_glc__D_e"]] == 0
    assert feats.column("in_medium")[1, graph.index["ac_e"]] == 1


def test_results_from_another_model_are_refused(tiny):
    graph, _ = tiny
    with pytest.raises(InputError, match="none of its reactions"):
        build_node_features(graph, [make_result("x", ["OTHER"], [1.0])])
    with pytest.raises(InputError, match="no conditions"):
        build_node_features(graph, [])
