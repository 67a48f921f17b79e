"""core.attention.edge_kernels on its own: edge softmax and attention against dense references, both
kernel paths (gather and sparse CSR), gradients."""

from __future__ import annotations

import pytest
import torch

from core.attention.edge_kernels import (attention_received, dense_masked_attention, edge_attention, edge_softmax,
                                         full_attention_received, full_attention_rows, sorted_rows)
from core.attention.edge_structure import add_self_loops, symmetrise
from tests.core.attention.test_edge_structure import HUB_GRAPH  # the path with a hub, drawn there


def reference_softmax(scores, index, n):
    out = torch.zeros_like(scores)
    for i in range(n):
        sel = index == i
        if sel.any():
            out[sel] = torch.softmax(scores[sel], dim=0)
    return out


def test_edge_softmax_matches_per_group_softmax():
    gen = torch.Generator().manual_seed(0)
    index = torch.tensor([0, 0, 1, 2, 2, 2, 4])  # node 3 has no edges
    scores = torch.randn(7, 3, 2, generator=gen) * 10
    scores[1, 0, 0] = 80.0  # large values must not overflow
    out = edge_softmax(scores, index, 5)
    torch.testing.assert_close(out, reference_softmax(scores, index, 5), rtol=1e-6, atol=1e-6)
    sums = torch.zeros(5, 3, 2).index_add_(0, index, out)
    torch.testing.assert_close(sums[[0, 1, 2, 4]], torch.ones(4, 3, 2))


def test_edge_softmax_gradient(csr_always):
    index = torch.tensor([0, 0, 1, 1, 1])
    rows = torch.tensor([0, 2, 5])
    scores = torch.randn(5, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda s: edge_softmax(s, index, 2), (scores,))
    assert torch.autograd.gradcheck(lambda s: edge_softmax(s, index, 2, rows), (scores,))


def test_edge_softmax_segment_path_matches_scatter_path(csr_always):
    index = torch.tensor([0, 0, 2, 2, 2, 3])  # node 1 has no edges
    rows = torch.tensor([0, 2, 2, 5, 6])
    scores = torch.randn(6, 4, generator=torch.Generator().manual_seed(4)) * 30
    torch.testing.assert_close(edge_softmax(scores, index, 4, rows), edge_softmax(scores, index, 4))


def random_qkv(n, b=2, h=3, f=4, seed=0, dtype=torch.float32):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(n, b, h, f, generator=gen, dtype=dtype) for _ in range(3)]


@pytest.mark.parametrize("use_rows", [True, False])
def test_edge_attention_matches_dense_masked_reference(use_rows, csr_always):
    n = 7
    ei = torch.from_numpy(add_self_loops(symmetrise(HUB_GRAPH, n), n))
    q, k, v = random_qkv(n)
    bias = torch.randn(ei.shape[1], 3, generator=torch.Generator().manual_seed(1))
    rows = sorted_rows(ei, n) if use_rows else None
    out, w = edge_attention(q, k, v, ei, bias, rows=rows)
    ref_out, ref_w = dense_masked_attention(q, k, v, ei, bias)
    torch.testing.assert_close(w, ref_w, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(out, ref_out, rtol=1e-5, atol=1e-5)
    assert w.shape == (ei.shape[1], 2, 3)


def test_sorted_rows_only_for_sorted_edges():
    ei = torch.tensor([[1, 0, 0], [0, 0, 1]])  # (1->0), (0->0), (0->1): target 0 sources 1 then 0
    assert sorted_rows(ei, 2) is None
    rows = sorted_rows(torch.tensor([[0, 1, 0], [0, 0, 1]]), 2)
    assert rows.tolist() == [0, 2, 3]


def test_csr_and_gather_paths_have_the_same_gradients(csr_always):
    n = 7
    ei = torch.from_numpy(add_self_loops(symmetrise(HUB_GRAPH, n), n))
    grads = []
    for rows in (sorted_rows(ei, n), None):
        q, k, v = (t.requires_grad_() for t in random_qkv(n, dtype=torch.float64))
        out, w = edge_attention(q, k, v, ei, rows=rows)
        (out.sin().sum() + (w * w).sum()).backward()
        grads.append([t.grad for t in (q, k, v)])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b)


def test_attention_received_leaves_out_self_loops():
    ei = torch.tensor([[0, 1, 1, 0], [0, 0, 1, 1]])
    w = torch.tensor([[0.25], [0.75], [0.4], [0.6]])
    got = attention_received(w, ei, 2)
    assert got[:, 0].tolist() == pytest.approx([0.6, 0.75])


def test_full_attention_helpers_match_dense():
    b, h, n, f = 2, 3, 9, 4
    gen = torch.Generator().manual_seed(2)
    q, k = torch.randn(b, h, n, f, generator=gen), torch.randn(b, h, n, f, generator=gen)
    w = torch.softmax(q @ k.transpose(-1, -2) / 2.0, dim=-1)  # [B, H, target, source]
    received = w.sum(2) - torch.diagonal(w, dim1=2, dim2=3)
    torch.testing.assert_close(full_attention_received(q, k, max_bytes=200), received.permute(2, 0, 1))
    rows = torch.tensor([1, 5])
    got = full_attention_rows(q, k, rows).view(2, n, b, h)
    torch.testing.assert_close(got, w[:, :, rows].permute(2, 3, 0, 1))
