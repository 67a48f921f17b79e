"""Optional self-supervised warm-up: masked-flux reconstruction (off by default).

The attention network has no labelled data; by default it runs untrained, so its attention reflects
the graph's structure and the node features. ``AttentionConfig.pretrain_steps > 0`` first trains it
for that many steps on one task the data does support: hide the flux columns of a random 15 % of the
reactions and predict their asinh(flux) from the node embeddings (a masked-feature task, as BERT's
masked tokens). A few dozen steps are enough to make the embeddings carry flux information; it is not
meant to converge.

Shapes (legend: C conditions, N nodes, D_in input features):
    features   (C, N, D_in) float32
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import nn

from core.errors import check_stop

MASK_FRACTION = 0.15
LEARNING_RATE = 1e-3


def pretrain_masked_flux(model, features: torch.Tensor, graph, target_column: int, masked_columns: Sequence[int],
                         reaction_nodes: torch.Tensor, steps: int, seed: int = 0,
                         should_stop: Callable[[], bool] | None = None,
                         progress: Callable[[float, str], None] | None = None) -> list[float]:
    """Train ``model`` in place for ``steps`` steps; returns the loss of each step. Leaves it in eval mode."""
    assert features.dim() == 3, f"features must be (C, N, D_in), got {tuple(features.shape)}"
    if steps <= 0 or reaction_nodes.numel() == 0:
        return []
    gen = torch.Generator().manual_seed(seed)
    head = nn.Linear(model.spec["d_model"], 1)
    with torch.no_grad():
        head.weight.normal_(0.0, 0.1, generator=gen)
        head.bias.zero_()
    optimiser = torch.optim.Adam(list(model.parameters()) + list(head.parameters()), lr=LEARNING_RATE)
    target_all = features[:, :, target_column]  # [C, N]
    cols = torch.as_tensor(list(masked_columns), dtype=torch.long)
    n_mask = max(1, int(round(MASK_FRACTION * reaction_nodes.numel())))
    losses = []
    model.train()
    try:
        for step in range(steps):
            check_stop(should_stop)
            if progress is not None:
                progress(step / steps, f"Masked-flux warm-up, step {step + 1} of {steps}")
            masked = reaction_nodes[torch.randperm(reaction_nodes.numel(), generator=gen)[:n_mask]]
            x = features.clone()
            x[:, masked.unsqueeze(1), cols] = 0.0
            emb = model(x, graph).embeddings  # [C, N, D]
            pred = head(emb[:, masked]).squeeze(-1)  # [C, M]
            loss = torch.mean((pred - target_all[:, masked]) ** 2)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(float(loss.detach()))
    finally:
        model.eval()
    return losses
