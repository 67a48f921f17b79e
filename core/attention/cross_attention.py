"""Attention across conditions: how each node's representation in one condition draws on the others.

For every node separately, its C per-condition representations attend to each other (a C×C
attention per node and head). Before the projections each representation gets a learned embedding
of its condition's position, so the layer knows which condition is which. A small condition-
comparison network looks at the *difference* between two conditions' representations of the node
(an MLP on ``x_c - x_c'``) and adds a per-head bias to that pair's score: nodes that change between
conditions can attend differently from nodes that do not. Output projection, residual + LayerNorm
per condition, then the mean over conditions with a final LayerNorm gives one fused representation.

The MLP's first layer is linear, so ``W (x_c - x_c') = W x_c - W x_c'``: it is applied to the C
representations once and differenced after, never building a (N, C, C, D) tensor.

Shapes (legend: C conditions, N nodes, H heads, D model width, F = D / H, K comparison width):
    x               (C, N, D)
    fused           (N, D)
    per_condition   (C, N, D)
    weights         (N, H, C, C), row c = how condition c draws on each condition; rows sum to 1
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

MAX_CONDITIONS = 32


class CrossOutput(NamedTuple):
    fused: torch.Tensor  # (N, D)
    per_condition: torch.Tensor  # (C, N, D)
    weights: torch.Tensor | None  # (N, H, C, C)


class CrossAttention(nn.Module):
    """Multi-head attention across the conditions of each node, with a condition-comparison bias."""

    def __init__(self, d_model: int = 64, heads: int = 8, dropout: float = 0.1,
                 max_conditions: int = MAX_CONDITIONS, compare_width: int = 16):
        super().__init__()
        assert d_model >= 1 and heads >= 1 and d_model % heads == 0, (
            f"d_model ({d_model}) must be a positive multiple of heads ({heads})")
        assert max_conditions >= 1 and compare_width >= 1, "CrossAttention needs positive sizes"
        self.d_model, self.heads, self.head_dim = d_model, heads, d_model // heads
        self.max_conditions, self.compare_width = max_conditions, compare_width
        self.dropout_p = float(dropout)
        self.condition_embedding = nn.Embedding(max_conditions, d_model)
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.compare_in = nn.Linear(d_model, compare_width)
        self.compare_out = nn.Linear(compare_width, heads)
        self.norm = nn.LayerNorm(d_model)
        self.norm_fused = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.normal_(self.condition_embedding.weight, std=0.5)
        for lin in (self.q_proj, self.k_proj, self.v_proj, self.out_proj, self.compare_in, self.compare_out):
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)
        self.norm.reset_parameters()
        self.norm_fused.reset_parameters()

    def compare(self, x: torch.Tensor) -> torch.Tensor:
        """Condition-comparison bias (N, H, C, C): MLP(x_c - x_c') per node and ordered pair."""
        a = self.compare_in(x) - self.compare_in.bias  # [C, N, K]; bias added once below
        pair = a.unsqueeze(1) - a.unsqueeze(0) + self.compare_in.bias  # [C, C', N, K] = W(x_c - x_c') + b
        bias = self.compare_out(F.gelu(pair))  # [C, C', N, H]
        return bias.permute(2, 3, 0, 1)  # [N, H, C, C']

    def forward(self, x: torch.Tensor, need_weights: bool = False) -> CrossOutput:
        assert x.dim() == 3 and x.shape[-1] == self.d_model, (
            f"x must be (C, N, {self.d_model}), got {tuple(x.shape)}")
        c, n, d = x.shape
        assert 1 <= c <= self.max_conditions, f"{c} conditions; this layer takes 1 to {self.max_conditions}"
        h, f = self.heads, self.head_dim
        xc = x + self.condition_embedding.weight[:c].unsqueeze(1)  # [C, N, D]
        q, k, v = (p(xc).view(c, n, h, f).permute(1, 2, 0, 3) for p in (self.q_proj, self.k_proj, self.v_proj))
        scores = q @ k.transpose(-1, -2) / math.sqrt(f) + self.compare(x)  # [N, H, C, C]
        weights = torch.softmax(scores, dim=-1)
        out = self.dropout(weights) @ v  # [N, H, C, F]
        out = out.permute(2, 0, 1, 3).reshape(c, n, d)  # [C, N, D]
        per_condition = self.norm(x + self.dropout(self.out_proj(out)))
        fused = self.norm_fused(per_condition.mean(0))  # [N, D]
        return CrossOutput(fused, per_condition, weights if need_weights else None)

    def __repr__(self) -> str:
        return f"CrossAttention({self.d_model}, heads={self.heads}, max_conditions={self.max_conditions})"
