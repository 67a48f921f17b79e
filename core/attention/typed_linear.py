"""A linear map with one weight matrix per node type (HGT's type-specific projections).

Shapes (legend: C conditions, N nodes, T node types, D features):
    x       (C, N, D_in)
    types   (N,) int64 in [0, T)
    out     (C, N, D_out)
    weight  (T, D_out, D_in); bias (T, D_out)
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


class TypedLinear(nn.Module):
    """``out[:, i] = weight[types[i]] @ x[:, i] + bias[types[i]]``."""

    def __init__(self, n_types: int, d_in: int, d_out: int):
        super().__init__()
        assert n_types >= 1 and d_in >= 1 and d_out >= 1, "TypedLinear needs positive sizes"
        self.n_types, self.d_in, self.d_out = n_types, d_in, d_out
        self.weight = nn.Parameter(torch.empty(n_types, d_out, d_in))
        self.bias = nn.Parameter(torch.empty(n_types, d_out))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = math.sqrt(6.0 / (self.d_in + self.d_out))  # Xavier-uniform per type
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.zeros_(self.bias)

    def forward(self, x: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
        assert x.shape[-1] == self.d_in, f"TypedLinear expects {self.d_in} input features, got {x.shape[-1]}"
        assert x.shape[-2] == types.shape[0], f"{x.shape[-2]} nodes but {types.shape[0]} node types"
        n = types.shape[0]
        if n == 0:
            return x.new_zeros((*x.shape[:-1], self.d_out))
        if n == 1 or bool((types[1:] >= types[:-1]).all()):
            # Nodes grouped by type (metabolites first, as MetabolicGraph orders them): slices, no gather.
            counts = torch.bincount(types, minlength=self.n_types).tolist()
            parts, start = [], 0
            for t, count in enumerate(counts):
                if count:
                    parts.append(F.linear(x.narrow(-2, start, count), self.weight[t], self.bias[t]))
                    start += count
            return torch.cat(parts, dim=-2) if len(parts) > 1 else parts[0]
        out = x.new_zeros((*x.shape[:-1], self.d_out))
        for t in range(self.n_types):
            idx = torch.nonzero(types == t).flatten()
            if idx.numel():
                out = out.index_copy(-2, idx, F.linear(x.index_select(-2, idx), self.weight[t], self.bias[t]))
        return out

    def extra_repr(self) -> str:
        return f"{self.d_in}, {self.d_out}, types={self.n_types}"

    def __repr__(self) -> str:
        return f"TypedLinear({self.d_in}, {self.d_out}, types={self.n_types})"
