"""The attention modules: shapes, normalisation, agreement with a dense masked reference, gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from core.attention import (AttentionAggregator, CrossAttention, FeatureEncoder, MetabolicMultiHeadAttention,
                            SelfAttention, TypedLinear, build_attention_graph, build_node_features)
from core.attention.attention_graph import full_attention_graph


@pytest.fixture
def textbook_inputs(textbook_run_inputs):
    graph, results = textbook_run_inputs
    feats = torch.from_numpy(build_node_features(graph, results).values)
    return graph, build_attention_graph(graph, hops=1), feats


def seeded(cls, *args, **kwargs):
    torch.manual_seed(0)
    return cls(*args, **kwargs).eval()


def incoming_sums(weights, edge_index, n):
    """weights (E, C, H) -> (N, C, H) summed per target."""
    return torch.zeros(n, *weights.shape[1:], dtype=weights.dtype).index_add_(0, edge_index[1], weights)


def dense_reference(layer, x, ag):
    """The layer's attention with a dense N×N mask: (C, H, N, N) weights, zero off the graph."""
    c, n, d = x.shape
    h, f = layer.heads, layer.head_dim
    q, k, _ = (t.reshape(c, n, h, f).transpose(1, 2) for t in layer.project_qkv(x, ag))
    scores = q @ k.transpose(-1, -2) / math.sqrt(f)  # [C, H, N, N]
    mask = torch.full((h, n, n), -math.inf)
    src, dst = ag.edge_index
    bias = layer.edge_bias(ag)
    mask[:, dst, src] = bias.t() if bias is not None else 0.0
    return torch.softmax(scores + mask, dim=-1)


@pytest.mark.parametrize("cls", [SelfAttention, MetabolicMultiHeadAttention])
def test_sparse_weights_match_dense_masked_reference(cls, textbook_inputs, kernel_path):
    graph, ag, feats = textbook_inputs
    layer = seeded(cls, 64, heads=8)
    x = seeded(FeatureEncoder, feats.shape[-1], 64)(feats)
    with torch.no_grad():
        out = layer(x, ag, need_weights=True, need_received=True)
        ref = dense_reference(layer, x, ag)  # [C, H, N, N]
    n = graph.n_nodes
    assert out.x.shape == x.shape and out.weights.shape == (ag.n_edges, 2, 8)
    src, dst = ag.edge_index
    torch.testing.assert_close(out.weights, ref[:, :, dst, src].permute(2, 0, 1), rtol=1e-5, atol=1e-5)
    # Off the graph the dense reference is exactly zero, so the per-edge weights are all there is.
    off = torch.ones(n, n, dtype=torch.bool)
    off[dst, src] = False
    assert (ref[:, :, off] == 0).all()
    torch.testing.assert_close(incoming_sums(out.weights, ag.edge_index, n), torch.ones(n, 2, 8))
    assert out.received.shape == (n, 2, 8) and (out.received >= 0).all()
    # What a node receives from others plus what every node gives itself is all the attention there is.
    loops = src == dst
    total = out.received.sum(0) + out.weights[loops].sum(0)
    torch.testing.assert_close(total, torch.full((2, 8), float(n)))


def test_full_mode_matches_softmax_over_all_nodes(tiny):
    graph, _ = tiny
    n = graph.n_nodes
    ag = full_attention_graph(graph, rows=range(n))
    layer = seeded(MetabolicMultiHeadAttention, 16, heads=4)
    x = torch.randn(3, n, 16, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        out = layer(x, ag, need_weights=True, need_received=True)
    q, k, _ = (t.reshape(3, n, 4, 4).transpose(1, 2) for t in layer.project_qkv(x, ag))
    w = torch.softmax(q @ k.transpose(-1, -2) / 2.0, dim=-1)  # [C, H, N, N]
    torch.testing.assert_close(out.weights.view(n, n, 3, 4), w.permute(2, 3, 0, 1), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(out.received, (w.sum(2) - torch.diagonal(w, dim1=2, dim2=3)).permute(2, 0, 1),
                               rtol=1e-5, atol=1e-5)


def test_typed_linear_uses_one_matrix_per_type():
    lin = seeded(TypedLinear, 2, 3, 2)
    x = torch.randn(2, 4, 3)
    for types in (torch.tensor([0, 0, 1, 1]), torch.tensor([1, 0, 1, 0])):
        out = lin(x, types)
        for i, t in enumerate(types.tolist()):
            torch.testing.assert_close(out[:, i], x[:, i] @ lin.weight[t].T + lin.bias[t])
    assert repr(lin) == "TypedLinear(3, 2, types=2)"


def test_cross_attention_rows_sum_to_one():
    cross = seeded(CrossAttention, 32, heads=4)
    x = torch.randn(3, 10, 32)
    out = cross(x, need_weights=True)
    assert out.fused.shape == (10, 32) and out.per_condition.shape == (3, 10, 32)
    assert out.weights.shape == (10, 4, 3, 3)
    torch.testing.assert_close(out.weights.sum(-1), torch.ones(10, 4, 3))
    assert cross(x).weights is None
    # One condition: each node attends only to itself.
    assert torch.all(cross(x[:1], need_weights=True).weights == 1)
    with pytest.raises(AssertionError, match="conditions"):
        cross(torch.randn(33, 2, 32))


def test_cross_attention_comparison_sees_differences():
    cross = seeded(CrossAttention, 16, heads=2)
    x = torch.randn(2, 5, 16)
    bias = cross.compare(x)  # [N, H, C, C]
    same = cross.compare(torch.stack([x[0], x[0]]))
    assert bias.shape == (5, 2, 2, 2)
    # Identical conditions: every pair gets the bias of a zero difference.
    torch.testing.assert_close(same[..., 0, 1], same[..., 0, 0])
    assert not torch.allclose(bias[..., 0, 1], bias[..., 1, 0])


def test_aggregator_outputs_and_importance(textbook_inputs):
    graph, ag, feats = textbook_inputs
    model = seeded(AttentionAggregator, feats.shape[-1], layers=2)
    with torch.no_grad():
        out = model(feats, ag, need_weights=True)
    n = graph.n_nodes
    assert out.embeddings.shape == (2, n, 64) and out.fused.shape == (n, 64)
    assert out.self_attention.shape == (2, 2, ag.n_edges, 8)
    assert out.cross_attention.shape == (n, 8, 2, 2)
    torch.testing.assert_close(out.importance.sum(1), torch.ones(2))
    assert (out.importance >= 0).all()
    for layer in range(2):
        sums = incoming_sums(out.self_attention[layer].permute(1, 0, 2), ag.edge_index, n)
        torch.testing.assert_close(sums, torch.ones(n, 2, 8))
    # Weights only when asked.
    quiet = model(feats, ag)
    assert quiet.self_attention is None and quiet.cross_attention is None
    torch.testing.assert_close(quiet.importance, out.importance)


def test_gradients_reach_every_parameter(textbook_inputs, textbook_run_inputs, kernel_path):
    graph, _, feats = textbook_inputs
    activity = build_node_features(*textbook_run_inputs).activity()
    # 2 hops: every relation and hop bias is used; activity: the flux bias is used
    ag = build_attention_graph(graph, hops=2, hub_degree=50).with_activity(activity)
    model = seeded(AttentionAggregator, feats.shape[-1], d_model=32, heads=4, max_hops=2).train()
    out = model(feats, ag, need_weights=True)
    gen = torch.Generator().manual_seed(0)
    loss = (out.embeddings * torch.randn(out.embeddings.shape, generator=gen)).sum() \
        + (out.fused * torch.randn(out.fused.shape, generator=gen)).sum() \
        + (out.importance * torch.randn(out.importance.shape, generator=gen)).sum() * 100
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_reset_parameters_and_repr():
    layer = seeded(MetabolicMultiHeadAttention, 32, heads=4, max_hops=2)
    before = {k: v.clone() for k, v in layer.state_dict().items()}
    torch.manual_seed(0)
    with torch.no_grad():
        for p in layer.parameters():
            p.add_(1.0)
    layer.reset_parameters()
    changed = [k for k in before if not torch.equal(before[k], layer.state_dict()[k])]
    assert changed  # fresh random values, LayerNorms back to 1/0
    assert torch.equal(layer.norm_attn.weight, torch.ones(32))
    assert repr(layer).startswith("MetabolicMultiHeadAttention(32, heads=4, hops=2")
    assert repr(SelfAttention(16, heads=2)).startswith("SelfAttention(16, heads=2")
    assert repr(CrossAttention(16, heads=2)) == "CrossAttention(16, heads=2, max_conditions=32)"
    assert repr(FeatureEncoder(5, 16)) == "FeatureEncoder(5, 16)"
    assert "layers=2" in repr(AttentionAggregator(5, 16, heads=2))


def test_entry_asserts_name_the_problem(textbook_inputs):
    graph, ag, feats = textbook_inputs
    with pytest.raises(AssertionError, match="multiple of heads"):
        SelfAttention(30, heads=8)
    layer = SelfAttention(16, heads=2)
    with pytest.raises(AssertionError, match=r"x must be \(C, N, 16\)"):
        layer(torch.zeros(1, graph.n_nodes, 8), ag)
    with pytest.raises(AssertionError, match="nodes"):
        layer(torch.zeros(1, 3, 16), ag)
    one_hop_layer = MetabolicMultiHeadAttention(16, heads=2, max_hops=1)
    with pytest.raises(AssertionError, match="hops"):
        one_hop_layer(torch.zeros(1, graph.n_nodes, 16), build_attention_graph(graph, hops=2))


def test_eval_mode_is_deterministic_and_dropout_only_in_training(textbook_inputs):
    _, ag, feats = textbook_inputs
    model = seeded(AttentionAggregator, feats.shape[-1], dropout=0.5)
    a, b = model(feats, ag).embeddings, model(feats, ag).embeddings
    assert torch.equal(a, b)
    model.train()
    c = model(feats, ag).embeddings
    assert not torch.allclose(a, c)
    assert np.isfinite(c.detach().numpy()).all()
