"""Attention kernels on graph edges, in torch: free functions, each tested on its own.

:func:`edge_softmax` and :func:`edge_attention` never build an N×N or [H, N, N] tensor: scores, a
segment/scatter softmax over each target's incoming edges and the weighted sum are all per edge.
From :data:`CSR_MIN_EDGES` edges on (edges sorted by target), the scores come from
``torch.sparse.sampled_addmm`` and the sum from a CSR × dense product, one per (batch, head).
:func:`dense_masked_attention` is the O(N²) reference the tests and the benchmark compare against;
nothing in the pipeline calls it. The numpy graph structure the edges come from is in
:mod:`core.attention.edge_structure`.

Convention (as PyG's): an edge ``(j, i)`` in ``edge_index[:, e]`` is source j -> target i, and
target i *attends to* j. Softmax runs over the edges that share a target.

Shapes (legend: N nodes, E edges, B batch (conditions), H heads, F head features):
    edge_index   (2, E) int64, row 0 source j, row 1 target i
    scores       (E, ...) float, e.g. (E, B, H); softmax over edges with the same target
    q, k, v      (N, B, H, F) node-first, so a gather of the edges' endpoints is one row gather
    weights      (E, B, H) float32; for every target, batch and head its incoming weights sum to 1
"""

from __future__ import annotations

import math
import warnings

import torch

# Edges per chunk in the kernels: bounds the gathered [chunk, B, H, F] temporaries (~100 MB at
# B=3, H=8, F=8) while keeping each chunk large enough that per-call overhead does not matter.
EDGE_CHUNK = 1 << 17
# Below this many edges one sparse-CSR call per (batch, head) costs more in call overhead than
# gathering the endpoints (measured crossover ~6k edges on iJO1366 and textbook, 1 thread).
CSR_MIN_EDGES = 8192

# torch warns once per process that sparse CSR tensors are "beta"; say it here, quietly, so the
# warning never surfaces inside a caller (tests turn warnings from core into errors).
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    torch.sparse_csr_tensor(torch.tensor([0, 1]), torch.tensor([0]), torch.ones(1), (1, 1), check_invariants=False)



def _edges_last(x: torch.Tensor) -> torch.Tensor:
    """(E, ...) -> (M, E) with the edges innermost: free when ``x`` is a view of an edges-last buffer,
    as the sparse-CSR kernels return."""
    return x.movedim(0, -1).reshape(-1, x.shape[0])


def _grad_needed(*tensors: torch.Tensor) -> bool:
    return torch.is_grad_enabled() and any(t.requires_grad for t in tensors)


def edge_softmax(scores: torch.Tensor, index: torch.Tensor, num_nodes: int,
                 rows: torch.Tensor | None = None) -> torch.Tensor:
    """Softmax of ``scores`` (E, ...) over the edges that share ``index`` (E,) (their target).

    Hand-written scatter softmax: per-target max (detached: softmax does not depend on it), exp,
    per-target sum. With ``rows`` (CSR row pointers, edges sorted by target, see
    :func:`sorted_rows`) and at least :data:`CSR_MIN_EDGES` edges, the max and the sum are segment
    reductions over contiguous runs, computed with the edges innermost (the result is an (E, ...)
    view of an edges-last buffer); otherwise ``scatter_reduce`` amax and ``index_add``. Every
    target with at least one edge gets weights summing to 1; differentiable in ``scores``.
    """
    assert scores.shape[0] == index.shape[0], (
        f"scores has {scores.shape[0]} rows but index has {index.shape[0]}")
    n_edges, rest = scores.shape[0], scores.shape[1:]
    if rows is not None and n_edges >= CSR_MIN_EDGES:
        assert rows.shape[0] == num_nodes + 1, f"rows must have N + 1 = {num_nodes + 1} entries"
        flat = _edges_last(scores)  # [M, E]
        offsets = rows.expand(flat.shape[0], -1)
        with torch.no_grad():
            peak = torch.segment_reduce(flat.detach(), "max", offsets=offsets, axis=1, unsafe=True)  # [M, N]
        grad = _grad_needed(scores)
        ex = (flat - peak.index_select(1, index))
        ex = ex.exp() if grad else ex.exp_()  # [M, E]
        total = torch.segment_reduce(ex, "sum", offsets=offsets, axis=1, unsafe=True)  # [M, N]
        w = ex / total.index_select(1, index) if grad else ex.div_(total.index_select(1, index))
        return w.view(*rest, n_edges).movedim(-1, 0)
    with torch.no_grad():
        idx = index.view(-1, *([1] * len(rest))).expand_as(scores)
        peak = scores.new_full((num_nodes, *rest), -math.inf)
        peak.scatter_reduce_(0, idx, scores.detach(), reduce="amax", include_self=True)
    ex = (scores - peak.index_select(0, index)).exp()  # [E, ...]
    total = scores.new_zeros((num_nodes, *rest)).index_add_(0, index, ex)
    return ex / total.index_select(0, index)


def _csr(rows: torch.Tensor, cols: torch.Tensor, values: torch.Tensor, n: int) -> torch.Tensor:
    return torch.sparse_csr_tensor(rows, cols, values, (n, n), check_invariants=False)


def _heads_first(x: torch.Tensor) -> torch.Tensor:
    """(N, B, H, F) -> (B*H, N, F) contiguous: one matrix per (batch, head)."""
    n, b, h, f = x.shape
    return x.permute(1, 2, 0, 3).reshape(b * h, n, f)  # one copy from any layout


def edge_scores(q: torch.Tensor, k: torch.Tensor, edge_index: torch.Tensor,
                rows: torch.Tensor | None = None) -> torch.Tensor:
    """Scaled dot products q_i · k_j / sqrt(F) for every edge j -> i: (E, B, H).

    With ``rows`` (CSR row pointers of edges sorted by target, see :func:`sorted_rows`) and at least
    :data:`CSR_MIN_EDGES` edges, the products are computed only at the edges by
    ``torch.sparse.sampled_addmm``, one (batch, head) at a time, into an edges-last buffer (the
    result is an (E, B, H) view of it), without any [E, F] temporary. Otherwise the endpoints are
    gathered in chunks of :data:`EDGE_CHUNK` edges.
    """
    assert q.dim() == 4 and q.shape == k.shape, f"q and k must be (N, B, H, F), got {tuple(q.shape)}, {tuple(k.shape)}"
    n, b, h, f = q.shape
    n_edges = edge_index.shape[1]
    scale = 1.0 / math.sqrt(f)
    if n_edges == 0:
        return q.new_zeros((0, b, h))
    src, dst = edge_index[0], edge_index[1]
    if rows is not None and n_edges >= CSR_MIN_EDGES:
        qh, kh = _heads_first(q), _heads_first(k)  # [BH, N, F]
        pattern = _csr(rows, src, q.new_zeros(n_edges), n)
        if _grad_needed(q, k):
            out = torch.stack([torch.sparse.sampled_addmm(pattern, qh[j], kh[j].t(), beta=0.0).values()
                               for j in range(b * h)]) * scale  # [BH, E]
        else:
            out = q.new_empty((b * h, n_edges))  # each product written straight into its row
            for j in range(b * h):
                torch.sparse.sampled_addmm(pattern, qh[j], kh[j].t(), beta=0.0, out=_csr(rows, src, out[j], n))
            out.mul_(scale)
        return out.view(b, h, n_edges).movedim(-1, 0)
    parts = []
    for start in range(0, n_edges, EDGE_CHUNK):
        s, d = src[start:start + EDGE_CHUNK], dst[start:start + EDGE_CHUNK]
        parts.append((q.index_select(0, d) * k.index_select(0, s)).sum(-1))  # [e, B, H]
    out = torch.cat(parts) if len(parts) > 1 else parts[0]
    return out * scale if _grad_needed(q, k) else out.mul_(scale)


def edge_aggregate(weights: torch.Tensor, v: torch.Tensor, edge_index: torch.Tensor,
                   rows: torch.Tensor | None = None) -> torch.Tensor:
    """out_i = sum over edges j -> i of weights[e] * v_j: (N, B, H, F).

    With ``rows`` (and at least :data:`CSR_MIN_EDGES` edges) one sparse CSR × dense product per
    (batch, head); otherwise chunked ``index_add``.
    """
    n, b, h, f = v.shape
    assert weights.shape == (edge_index.shape[1], b, h), (
        f"weights {tuple(weights.shape)} do not match E={edge_index.shape[1]} and v {tuple(v.shape)}")
    src, dst = edge_index[0], edge_index[1]
    if rows is not None and src.numel() >= CSR_MIN_EDGES:
        vh = _heads_first(v)  # [BH, N, F]
        wh = _edges_last(weights)  # [BH, E]
        if _grad_needed(weights, v):
            out = torch.stack([_csr(rows, src, wh[j], n) @ vh[j] for j in range(b * h)])  # [BH, N, F]
        else:
            out = v.new_empty((b * h, n, f))
            for j in range(b * h):
                torch.mm(_csr(rows, src, wh[j], n), vh[j], out=out[j])
        return out.view(b, h, n, f).permute(2, 0, 1, 3)
    grad = _grad_needed(weights, v)
    out = v.new_zeros(v.shape)
    for start in range(0, src.shape[0], EDGE_CHUNK):
        s, d = src[start:start + EDGE_CHUNK], dst[start:start + EDGE_CHUNK]
        msg = v.index_select(0, s) * weights[start:start + EDGE_CHUNK].unsqueeze(-1)  # [e, B, H, F]
        out = out.index_add(0, d, msg) if grad else out.index_add_(0, d, msg)
    return out


def sorted_rows(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor | None:
    """CSR row pointers (N + 1,) if ``edge_index`` is sorted by (target, source) without duplicates,
    else None (the kernels then gather per edge instead)."""
    src, dst = edge_index[0], edge_index[1]
    if src.numel() > 1:
        key = dst * max(num_nodes, 1) + src
        if not bool((key[1:] > key[:-1]).all()):
            return None
    rows = torch.zeros(num_nodes + 1, dtype=torch.int64)
    rows[1:] = torch.bincount(dst, minlength=num_nodes).cumsum(0)
    return rows


def edge_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, edge_index: torch.Tensor,
                   bias: torch.Tensor | None = None, dropout: float = 0.0, training: bool = False,
                   rows: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Graph-masked multi-head attention computed per edge.

    ``bias`` (E, H) or (E, B, H) is added to the scores before the softmax. Dropout (training only)
    acts on the weights used for the output; the returned weights are the softmax itself. ``rows``
    from :func:`sorted_rows` selects, from :data:`CSR_MIN_EDGES` edges on, the segment softmax and
    the sparse-CSR kernels (same numbers to float rounding).
    Returns ``(out (N, B, H, F), weights (E, B, H))``; the weights may be a strided view.
    """
    assert q.dim() == 4 and q.shape == k.shape == v.shape, "q, k, v must all be (N, B, H, F)"
    assert edge_index.dim() == 2 and edge_index.shape[0] == 2, "edge_index must be (2, E)"
    n = q.shape[0]
    scores = edge_scores(q, k, edge_index, rows)  # [E, B, H]
    if bias is not None:
        assert bias.shape[0] == edge_index.shape[1], f"bias has {bias.shape[0]} rows for {edge_index.shape[1]} edges"
        # Added with the edges innermost, so a CSR-kernel score buffer keeps its layout.
        bias_last = bias.movedim(0, -1) if bias.dim() == 3 else bias.t().unsqueeze(0)  # [B or 1, H, E]
        scores = (scores.movedim(0, -1) + bias_last).movedim(-1, 0)
    weights = edge_softmax(scores, edge_index[1], n, rows)  # [E, B, H]
    used = torch.nn.functional.dropout(weights, dropout, training) if training and dropout > 0 else weights
    return edge_aggregate(used, v, edge_index, rows), weights


def attention_received(weights: torch.Tensor, edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """How much attention each node receives from *other* nodes: (N, ...) summing ``weights``
    (E, ...) over the edges leaving it, self-loops left out."""
    src, dst = edge_index[0], edge_index[1]
    others = (src != dst).to(weights.dtype).view(-1, *([1] * (weights.dim() - 1)))
    return weights.new_zeros((num_nodes, *weights.shape[1:])).index_add(0, src, weights * others)


def full_attention_received(q: torch.Tensor, k: torch.Tensor, max_bytes: int = 1 << 26) -> torch.Tensor:
    """Attention received from other nodes under *unmasked* softmax attention: (N, B, H).

    ``q``, ``k`` are (B, H, N, F). Target rows are processed in chunks of at most ``max_bytes`` of
    weights, so the N×N matrix is never held; the cost is one more O(N²) pass.
    """
    b, h, n, f = q.shape
    chunk = max(1, int(max_bytes // max(1, 4 * b * h * n)))
    scale = 1.0 / math.sqrt(f)
    total = q.new_zeros((b, h, n))
    kt = k.transpose(-1, -2)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        w = torch.softmax((q[:, :, start:stop] * scale) @ kt, dim=-1)  # [B, H, r, N]
        total = total + w.sum(2)
        own = torch.arange(start, stop)
        total[:, :, own] -= w[:, :, own - start, own]
    return total.permute(2, 0, 1)


def full_attention_rows(q: torch.Tensor, k: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """Unmasked attention weights of the target ``rows`` (R,) over all N sources, per edge:
    (R * N, B, H), ordered target-major as :func:`core.attention.attention_graph.full_attention_graph`
    lists the edges. ``q``, ``k`` are (B, H, N, F)."""
    b, h, n, f = q.shape
    w = torch.softmax((q[:, :, rows] / math.sqrt(f)) @ k.transpose(-1, -2), dim=-1)  # [B, H, R, N]
    return w.permute(2, 3, 0, 1).reshape(rows.shape[0] * n, b, h)


def dense_masked_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, edge_index: torch.Tensor,
                           bias: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Reference: the same attention with an N×N mask and materialised [B, H, N, N] weights.

    O(N²) memory; for tests and the benchmark only. Returns ``(out (N, B, H, F), weights (E, B, H))``
    with the weights read back at the edges.
    """
    n, b, h, f = q.shape
    qb, kb, vb = (t.permute(1, 2, 0, 3) for t in (q, k, v))  # [B, H, N, F]
    scores = qb @ kb.transpose(-1, -2) / math.sqrt(f)  # [B, H, N(target), N(source)]
    src, dst = edge_index[0], edge_index[1]
    full_bias = scores.new_full((b, h, n, n), -math.inf)
    edge_bias = torch.zeros(edge_index.shape[1], b, h, dtype=q.dtype) if bias is None else (
        bias.unsqueeze(1).expand(-1, b, -1) if bias.dim() == 2 else bias)
    full_bias[:, :, dst, src] = edge_bias.permute(1, 2, 0)  # [B, H, E]
    weights = torch.softmax(scores + full_bias, dim=-1).nan_to_num(0.0)  # rows without edges -> 0
    out = (weights @ vb).permute(2, 0, 1, 3)  # [N, B, H, F]
    return out, weights[:, :, dst, src].permute(2, 0, 1)
