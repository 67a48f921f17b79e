"""The top-level API: run_attention, determinism, files, edge cases, the memory guard."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
import torch

from core.attention import (AttentionConfig, load_weights, read_attention_npz, run_attention, save_weights,
                            write_attention_npz)
from core.attention.npz import attention_arrays
from core.errors import Cancelled, InputError

from .conftest import make_graph, make_result


def incoming_sums(result):
    """(L, C, N, H) sum of the weights over each target's incoming edges."""
    n_l, n_c, _, n_h = result.self_attention.shape
    out = np.zeros((n_l, n_c, result.n_nodes, n_h))
    np.add.at(out, (slice(None), slice(None), result.edge_index[1], slice(None)), result.self_attention)
    return out


@pytest.fixture(scope="module")
def textbook_result(textbook_run_inputs):
    graph, results = textbook_run_inputs
    torch.set_num_threads(1)
    return run_attention(graph, results, AttentionConfig())


def test_result_shapes_and_invariants(textbook_result, textbook_run_inputs):
    graph, results = textbook_run_inputs
    r = textbook_result
    n, e = graph.n_nodes, r.n_edges
    assert r.node_ids == graph.node_ids and r.condition_names == ("glucose", "acetate")
    assert r.edge_index.shape == (2, e) and r.edge_index.dtype == np.int64
    assert r.self_attention.shape == (2, 2, e, 8) and r.self_attention.dtype == np.float32
    assert r.cross_attention.shape == (n, 8, 2, 2)
    assert r.importance.shape == (2, n)
    assert r.node_features.shape[:2] == (2, n) and r.node_features.shape[2] == len(r.feature_names)
    assert r.embeddings.shape == (2, n, 64) and r.fused.shape == (n, 64)
    assert r.edge_hops.shape == (e,)
    np.testing.assert_allclose(incoming_sums(r), 1.0, atol=1e-5)
    np.testing.assert_allclose(r.cross_attention.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(r.importance.sum(1), 1.0, atol=1e-5)
    assert (r.self_attention >= 0).all() and (r.importance >= 0).all()
    assert np.sum(r.edge_index[0] == r.edge_index[1]) == n  # one self-loop per node
    # Conditions differ: the same network sees other fluxes.
    assert not np.allclose(r.importance[0], r.importance[1])
    assert set(r.timings) >= {"features", "graph", "forward"}
    summary = r.to_dict()
    json.dumps(summary)
    assert summary["edges"] == e and len(summary["top_importance"]["glucose"]) == 10


def test_same_seed_same_numbers_other_seed_other_numbers(textbook_result, textbook_run_inputs):
    graph, results = textbook_run_inputs
    again = run_attention(graph, results, AttentionConfig())
    for key in ("self_attention", "cross_attention", "importance", "embeddings"):
        assert np.array_equal(getattr(again, key), getattr(textbook_result, key)), key
    other = run_attention(graph, results, AttentionConfig(seed=1))
    assert not np.allclose(other.self_attention, textbook_result.self_attention)
    assert not np.allclose(other.importance, textbook_result.importance)
    # The caller's random state is left alone.
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    run_attention(graph, results, AttentionConfig(seed=5))
    assert torch.equal(torch.rand(1), expected)


def test_weights_round_trip(tmp_path, textbook_result, textbook_run_inputs):
    from core.attention import build_model

    graph, results = textbook_run_inputs
    config = AttentionConfig()
    model = build_model(config, textbook_result.node_features.shape[-1])
    path = save_weights(tmp_path / "attention.safetensors", model)
    loaded = load_weights(path)
    assert repr(loaded) == repr(model)
    for (k, a), (k2, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert k == k2 and torch.equal(a, b)
    # The loaded weights give the seeded run's numbers exactly.
    rerun = run_attention(graph, results, config, model=loaded)
    assert np.array_equal(rerun.self_attention, textbook_result.self_attention)
    assert np.array_equal(rerun.embeddings, textbook_result.embeddings)
    with pytest.raises(InputError, match="heads 8 \\(settings: 4\\)"):
        run_attention(graph, results, AttentionConfig(heads=4), model=loaded)


def test_bad_weight_files_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_weights(tmp_path / "missing.safetensors")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a safetensors file at all")
    with pytest.raises(InputError, match=str(junk.name)):
        load_weights(junk)


def test_npz_round_trip_without_pickle(tmp_path, textbook_result):
    path = write_attention_npz(textbook_result, tmp_path / "OUT")
    assert path == tmp_path / "OUT" / "attention.npz"
    with np.load(path, allow_pickle=False) as data:
        for key in ("node_ids", "node_types", "edge_index", "self_attention", "cross_attention", "importance",
                    "condition_names"):
            assert key in data.files
        assert data["node_ids"].dtype.kind == "U" and data["condition_names"].dtype.kind == "U"
        assert all(data[k].dtype != object for k in data.files)
    back = read_attention_npz(path)
    for key in ("node_types", "edge_index", "self_attention", "cross_attention", "importance", "node_features",
                "embeddings", "fused", "edge_hops"):
        assert np.array_equal(getattr(back, key), getattr(textbook_result, key)), key
    assert back.node_ids == textbook_result.node_ids
    assert back.condition_names == textbook_result.condition_names
    assert back.feature_names == textbook_result.feature_names
    assert back.config.to_dict() == textbook_result.config.to_dict()
    with zipfile.ZipFile(path) as archive:
        assert {name[:-4] for name in archive.namelist()} == set(attention_arrays(textbook_result))


def test_npz_reader_refuses_other_files(tmp_path):
    other = tmp_path / "other.npz"
    np.savez_compressed(other, x=np.zeros(3))
    with pytest.raises(InputError, match="not a metattn-attention file"):
        read_attention_npz(other)
    with pytest.raises(InputError, match="not found"):
        read_attention_npz(tmp_path / "nothing.npz")


def test_single_node_graph_is_a_trivial_result():
    graph = make_graph(["A"], [], {})
    r = run_attention(graph, [make_result("only", [], [])], AttentionConfig(d_model=16, heads=2))
    assert r.edge_index.tolist() == [[0], [0]]
    assert r.self_attention.shape == (2, 1, 1, 2) and np.all(r.self_attention == 1)
    assert r.importance.tolist() == [[1.0]]


def test_empty_graph_and_no_conditions_are_input_errors(tiny):
    graph, results = tiny
    empty = make_graph([], [], {})
    with pytest.raises(InputError, match="no nodes"):
        run_attention(empty, results, AttentionConfig())
    with pytest.raises(InputError, match="no conditions"):
        run_attention(graph, [], AttentionConfig())


@pytest.mark.parametrize("changes, message", [
    (dict(d_model=30, heads=8), "multiple of heads"),
    (dict(mode="dense"), "mode must be"),
    (dict(layers=0), "layers"),
    (dict(hops=0), "hops"),
    (dict(dropout=1.5), "dropout"),
])
def test_bad_settings_are_input_errors(tiny, changes, message):
    graph, results = tiny
    with pytest.raises(InputError, match=message):
        run_attention(graph, results, AttentionConfig(**changes))


def test_memory_guard_refuses_before_building(tiny, textbook_run_inputs):
    graph, results = textbook_run_inputs
    with pytest.raises(InputError, match="mode='sparse'"):
        run_attention(graph, results, AttentionConfig(mode="full", memory_budget_gb=0.001))
    with pytest.raises(InputError, match="hops=1"):
        run_attention(graph, results, AttentionConfig(hops=3, hub_degree=10_000, memory_budget_gb=1e-5))
    with pytest.raises(InputError, match="memory budget"):
        run_attention(graph, results, AttentionConfig(memory_budget_gb=1e-4))
    tiny_graph, tiny_results = tiny
    with pytest.raises(InputError, match="unknown node"):
        run_attention(tiny_graph, tiny_results, AttentionConfig(mode="full", weight_rows=("nope",)))


def test_full_mode_keeps_the_rows_asked_for(tiny):
    graph, results = tiny
    r = run_attention(graph, results, AttentionConfig(mode="full", weight_rows=("B", "R2"), d_model=16, heads=2))
    n = graph.n_nodes
    assert r.edge_index.shape == (2, 2 * n)
    assert set(r.edge_index[1].tolist()) == {graph.index["B"], graph.index["R2"]}
    np.testing.assert_allclose(r.self_attention.reshape(2, 2, 2, n, 2).sum(3), 1.0, atol=1e-6)
    np.testing.assert_allclose(r.importance.sum(1), 1.0, atol=1e-5)


def test_two_hops_run(textbook_run_inputs):
    graph, results = textbook_run_inputs
    r = run_attention(graph, results, AttentionConfig(hops=2, d_model=32, heads=4))
    assert set(np.unique(r.edge_hops).tolist()) == {0, 1, 2}
    np.testing.assert_allclose(incoming_sums(r), 1.0, atol=1e-5)


def test_progress_cancel_and_threads(tiny):
    graph, results = tiny
    seen = []
    before = torch.get_num_threads()
    run_attention(graph, results, AttentionConfig(d_model=16, heads=2), progress=lambda f, m: seen.append((f, m)),
                  threads=2)
    assert torch.get_num_threads() == before
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(isinstance(m, str) and m for _, m in seen)
    calls = []

    def stop_after_three():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        run_attention(graph, results, AttentionConfig(d_model=16, heads=2), should_stop=stop_after_three)
    assert torch.get_num_threads() == before


def test_optional_masked_flux_warm_up(tiny, textbook_run_inputs):
    from core.attention import build_model, build_node_features, build_attention_graph
    from core.attention.pretrain import pretrain_masked_flux

    graph, results = textbook_run_inputs
    feats = build_node_features(graph, results)
    x = torch.from_numpy(feats.values)
    ag = build_attention_graph(graph)
    model = build_model(AttentionConfig(d_model=32, heads=4, dropout=0.0), feats.n_features)
    cols = [feats.names.index(c) for c in ("flux", "abs_flux", "active")]
    reactions = torch.nonzero(ag.node_types == 1).flatten()
    losses = pretrain_masked_flux(model, x, ag, cols[0], cols, reactions, steps=30, seed=0)
    assert len(losses) == 30 and not model.training
    assert np.mean(losses[-5:]) < np.mean(losses[:5])
    # Through run_attention: deterministic, and different from the untrained network.
    config = AttentionConfig(d_model=32, heads=4, pretrain_steps=3)
    a, b = run_attention(graph, results, config), run_attention(graph, results, config)
    assert np.array_equal(a.importance, b.importance)
    plain = run_attention(graph, results, AttentionConfig(d_model=32, heads=4))
    assert not np.allclose(a.importance, plain.importance)


@pytest.mark.slow
def test_ijo1366_three_conditions(ijo1366):
    from core.conditions import resolve_conditions, solve_conditions
    from core.graph import build_graph, remove_currency

    graph = remove_currency(build_graph(ijo1366))
    results = solve_conditions(ijo1366, resolve_conditions(ijo1366, "glucose,acetate,lactose"))
    assert all(r.grows for r in results)
    r = run_attention(graph, results, AttentionConfig())
    assert r.self_attention.shape == (2, 3, r.n_edges, 8)
    np.testing.assert_allclose(incoming_sums(r), 1.0, atol=1e-4)
    np.testing.assert_allclose(r.cross_attention.sum(-1), 1.0, atol=1e-5)
    assert np.isfinite(r.importance).all() and np.isfinite(r.embeddings).all()
    np.testing.assert_allclose(r.importance.sum(1), 1.0, atol=1e-4)
    assert r.timings["forward"] < 10.0


def test_config_import_does_not_load_torch():
    import subprocess
    import sys

    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    code = "import sys, core.attention, core.attention.result; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "False"
