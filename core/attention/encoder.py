"""Input projection: node features to the model width.

Shapes (legend: C conditions, N nodes, D_in input features, D model width):
    features (C, N, D_in) -> (C, N, D)
"""

from __future__ import annotations

import torch
from torch import nn


class FeatureEncoder(nn.Module):
    """Linear projection of the input features followed by LayerNorm.

    LayerNorm puts every node on the same scale whatever its raw features (one-hot flags next to
    asinh fluxes), which an untrained network needs to give comparable attention scores.
    """

    def __init__(self, d_in: int, d_model: int = 64):
        super().__init__()
        assert d_in >= 1 and d_model >= 1, "FeatureEncoder needs positive sizes"
        self.d_in, self.d_model = d_in, d_model
        self.proj = nn.Linear(d_in, d_model)
        self.norm = nn.LayerNorm(d_model)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)
        self.norm.reset_parameters()

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        assert features.dim() == 3 and features.shape[-1] == self.d_in, (
            f"features must be (C, N, {self.d_in}), got {tuple(features.shape)}")
        return self.norm(self.proj(features))

    def __repr__(self) -> str:
        return f"FeatureEncoder({self.d_in}, {self.d_model})"
