"""Graph-masked multi-head self-attention over the nodes: one transformer layer.

Each node attends to the nodes it is joined to in an :class:`AttentionGraph` (by default its
metabolic neighbours and itself). Scores are scaled dot products plus optional per-edge biases; the
softmax runs over each node's incoming edges (:func:`core.attention.edge_ops.edge_attention`), so
no N×N tensor ever exists in graph-masked mode. Then output projection, residual + LayerNorm,
feed-forward, residual + LayerNorm (post-norm, as the original transformer).

In *full* mode (``graph.mode == "full"``) every node attends to every node through
``torch.nn.functional.scaled_dot_product_attention``, which does not keep the weights; the weights of
the rows in ``graph.edge_index`` are recomputed for the caller, and attention received by each node
is summed in row chunks. Edge biases (pathway, stoichiometry) need edges, so full mode has none.

Shapes (legend: C conditions, N nodes, E attention edges, H heads, D model width, F = D / H):
    x          (C, N, D) -> (C, N, D)
    weights    (E, C, H) per attention edge, only when asked; each target's weights sum to 1
    received   (N, C, H) attention each node receives from other nodes, only when asked
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

from core.attention.attention_graph import AttentionGraph
from core.attention.edge_ops import attention_received, edge_attention, full_attention_received, full_attention_rows


class LayerOutput(NamedTuple):
    x: torch.Tensor  # (C, N, D)
    weights: torch.Tensor | None  # (E, C, H)
    received: torch.Tensor | None  # (N, C, H)


class SelfAttention(nn.Module):
    """Multi-head graph-masked self-attention layer with residuals, LayerNorm and a feed-forward net.

    ``pathway_bias``: a learned per-head bias times the pathway overlap of each edge's endpoints
    (1 for nodes in exactly the same pathways), so heads can prefer or avoid same-pathway neighbours.
    """

    def __init__(self, d_model: int = 64, heads: int = 8, dropout: float = 0.1, ffn_mult: int = 2,
                 pathway_bias: bool = True):
        super().__init__()
        assert d_model >= 1 and heads >= 1 and d_model % heads == 0, (
            f"d_model ({d_model}) must be a positive multiple of heads ({heads})")
        assert 0.0 <= dropout < 1.0, f"dropout must be in [0, 1), got {dropout}"
        self.d_model, self.heads, self.head_dim = d_model, heads, d_model // heads
        self.dropout_p = float(dropout)
        self.qkv_proj = self._projection(d_model, 3 * d_model)  # Q, K and V in one matrix product
        self.out_proj = self._projection(d_model, d_model)
        self.norm_attn = nn.LayerNorm(d_model)
        self.norm_ffn = nn.LayerNorm(d_model)
        self.ffn = nn.Sequential(nn.Linear(d_model, ffn_mult * d_model), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(ffn_mult * d_model, d_model))
        self.dropout = nn.Dropout(dropout)
        self.pathway_weight = nn.Parameter(torch.empty(heads)) if pathway_bias else None
        # True: every neighbour weighs the same (no scores, no biases) — the "graph model without
        # attention" baseline of core.training; values, projections and the rest stay.
        self.uniform = False
        SelfAttention.reset_parameters(self)

    # Subclasses swap the projections (node-type-aware) and add edge biases through these hooks.
    def _projection(self, d_in: int, d_out: int) -> nn.Module:
        return nn.Linear(d_in, d_out)

    def _project(self, proj: nn.Module, x: torch.Tensor, graph: AttentionGraph) -> torch.Tensor:
        return proj(x)

    def reset_parameters(self) -> None:
        # Xavier-uniform for each D×D block (Q, K, V, out), as if they were separate matrices.
        bound = math.sqrt(6.0 / (2 * self.d_model))
        for proj in (self.qkv_proj, self.out_proj):
            nn.init.uniform_(proj.weight, -bound, bound)
            nn.init.zeros_(proj.bias)
        for module in (self.norm_attn, self.norm_ffn, self.ffn[0], self.ffn[3]):
            module.reset_parameters()
        if self.pathway_weight is not None:
            # Random per-head preferences: an untrained layer should still differ between heads.
            nn.init.normal_(self.pathway_weight, std=0.5)

    def project_qkv(self, x: torch.Tensor, graph: AttentionGraph) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Queries, keys and values, each (C, N, D)."""
        return self._project(self.qkv_proj, x, graph).chunk(3, dim=-1)

    def edge_bias(self, graph: AttentionGraph) -> torch.Tensor | None:
        """(E, H) additive score bias per attention edge, or None."""
        if self.pathway_weight is None or graph.full:
            return None
        return graph.pathway_overlap.unsqueeze(1) * self.pathway_weight  # [E, H]

    def forward(self, x: torch.Tensor, graph: AttentionGraph, need_weights: bool = False,
                need_received: bool = False) -> LayerOutput:
        assert x.dim() == 3 and x.shape[-1] == self.d_model, (
            f"x must be (C, N, {self.d_model}), got {tuple(x.shape)}")
        assert x.shape[1] == graph.num_nodes, f"x has {x.shape[1]} nodes, the graph {graph.num_nodes}"
        c, n, d = x.shape
        h, f = self.heads, self.head_dim
        q, k, v = self.project_qkv(x, graph)  # [C, N, D] each
        if self.uniform:
            q = torch.zeros_like(q)
        weights = received = None
        if graph.full:
            qh, kh, vh = (t.view(c, n, h, f).transpose(1, 2) for t in (q, k, v))  # [C, H, N, F]
            out = F.scaled_dot_product_attention(qh, kh, vh, dropout_p=self.dropout_p if self.training else 0.0)
            out = out.transpose(1, 2).reshape(c, n, d)
            if need_weights and graph.n_edges:
                targets = graph.edge_index[1, :: max(n, 1)]  # one per row, target-major
                weights = full_attention_rows(qh, kh, targets)  # [E, C, H]
            elif need_weights:
                weights = x.new_zeros((0, c, h))
            if need_received:
                received = full_attention_received(qh, kh)  # [N, C, H]
        else:
            qn, kn, vn = (t.transpose(0, 1).unflatten(-1, (h, f)) for t in (q, k, v))  # [N, C, H, F] views
            bias = None if self.uniform else self.edge_bias(graph)
            out, w = edge_attention(qn, kn, vn, graph.edge_index, bias, self.dropout_p,
                                    self.training, graph.rows)
            out = out.transpose(0, 1).reshape(c, n, d)  # [C, N, D]
            weights = w if need_weights else None
            if need_received:
                received = attention_received(w, graph.edge_index, n)  # [N, C, H]
        x = self.norm_attn(x + self.dropout(self._project(self.out_proj, out, graph)))
        x = self.norm_ffn(x + self.dropout(self.ffn(x)))
        return LayerOutput(x, weights, received)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.d_model}, heads={self.heads}, dropout={self.dropout_p}, "
                f"pathway_bias={self.pathway_weight is not None})")
