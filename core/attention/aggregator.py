"""The whole attention network: features -> L graph-attention layers -> cross-condition attention.

:class:`AttentionAggregator` projects the node features (:class:`FeatureEncoder`), runs L
:class:`MetabolicMultiHeadAttention` layers on every condition at once (conditions are the batch),
lets each node's conditions attend to each other (:class:`CrossAttention`), and scores node
importance per condition: the attention a node receives from *other* nodes, summed over edges,
weighted across layers and heads by learned softmax weights (uniform at initialisation), and
normalised so that each condition's importances sum to 1.

Shapes (legend: L layers, C conditions, N nodes, E attention edges, H heads, D_in input features,
D model width):
    features        (C, N, D_in)
    embeddings      (C, N, D)     per-condition node representations after cross-attention
    fused           (N, D)        one representation per node, conditions combined
    self_attention  (L, C, E, H)  only when asked
    cross_attention (N, H, C, C)  only when asked
    importance      (C, N)        each row sums to 1
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import torch
from torch import nn

from core.attention.attention_graph import AttentionGraph
from core.attention.cross_attention import MAX_CONDITIONS, CrossAttention
from core.attention.encoder import FeatureEncoder
from core.attention.metabolic_attention import MetabolicMultiHeadAttention
from core.errors import check_stop


class AggregatorOutput(NamedTuple):
    embeddings: torch.Tensor  # (C, N, D)
    fused: torch.Tensor  # (N, D)
    self_attention: torch.Tensor | None  # (L, C, E, H)
    cross_attention: torch.Tensor | None  # (N, H, C, C)
    importance: torch.Tensor  # (C, N)


class AttentionAggregator(nn.Module):
    """Encoder + L metabolic attention layers + cross-condition attention + node importance."""

    def __init__(self, d_in: int, d_model: int = 64, heads: int = 8, layers: int = 2, dropout: float = 0.1,
                 ffn_mult: int = 2, pathway_bias: bool = True, max_hops: int = 1,
                 max_conditions: int = MAX_CONDITIONS):
        super().__init__()
        assert layers >= 1, f"layers must be >= 1, got {layers}"
        self.spec = dict(d_in=d_in, d_model=d_model, heads=heads, layers=layers, dropout=dropout,
                         ffn_mult=ffn_mult, pathway_bias=pathway_bias, max_hops=max_hops,
                         max_conditions=max_conditions)
        self.encoder = FeatureEncoder(d_in, d_model)
        self.layers = nn.ModuleList(
            MetabolicMultiHeadAttention(d_model, heads, dropout, ffn_mult, pathway_bias, max_hops)
            for _ in range(layers))
        self.cross = CrossAttention(d_model, heads, dropout, max_conditions)
        self.layer_logits = nn.Parameter(torch.empty(layers))
        self.head_logits = nn.Parameter(torch.empty(layers, heads))
        self.reset_parameters()

    @property
    def n_layers(self) -> int:
        return len(self.layers)

    @property
    def heads(self) -> int:
        return self.spec["heads"]

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        for layer in self.layers:
            layer.reset_parameters()
        self.cross.reset_parameters()
        # Zero logits: every layer and head counts the same until something says otherwise.
        nn.init.zeros_(self.layer_logits)
        nn.init.zeros_(self.head_logits)

    def importance_weights(self) -> torch.Tensor:
        """(L, H) weight of each layer and head in the importance score; sums to 1."""
        return torch.softmax(self.layer_logits, 0).unsqueeze(1) * torch.softmax(self.head_logits, 1)

    def encode(self, features: torch.Tensor, graph: AttentionGraph, need_weights: bool = False,
               should_stop: Callable[[], bool] | None = None,
               progress: Callable[[float, str], None] | None = None):
        """The graph-attention part only: returns ``(x (C, N, D), weights [L x (E, C, H)] or None,
        importance (C, N))``."""
        x = self.encoder(features)
        n_layers = self.n_layers
        mix = self.importance_weights()  # [L, H]
        received = x.new_zeros((graph.num_nodes, x.shape[0]))  # [N, C]
        kept = []
        for l, layer in enumerate(self.layers):
            check_stop(should_stop)
            if progress is not None:
                progress(l / (n_layers + 1), f"Attention layer {l + 1} of {n_layers}")
            out = layer(x, graph, need_weights=need_weights, need_received=True)
            x = out.x
            received = received + (out.received * mix[l]).sum(-1)  # [N, C]
            if need_weights:
                kept.append(out.weights)
        importance = received.t()  # [C, N]
        total = importance.sum(1, keepdim=True)
        # A graph of self-loops only receives nothing from others: every node then counts the same.
        uniform = torch.full_like(importance, 1.0 / max(graph.num_nodes, 1))
        importance = torch.where(total > 0, importance / total.clamp_min(1e-30), uniform)
        return x, (kept if need_weights else None), importance

    def forward(self, features: torch.Tensor, graph: AttentionGraph, need_weights: bool = False,
                should_stop: Callable[[], bool] | None = None,
                progress: Callable[[float, str], None] | None = None) -> AggregatorOutput:
        assert features.dim() == 3, f"features must be (C, N, D_in), got {tuple(features.shape)}"
        assert features.shape[1] == graph.num_nodes, (
            f"features have {features.shape[1]} nodes, the graph {graph.num_nodes}")
        x, kept, importance = self.encode(features, graph, need_weights, should_stop, progress)
        check_stop(should_stop)
        if progress is not None:
            progress(self.n_layers / (self.n_layers + 1), "Attention across conditions")
        cross = self.cross(x, need_weights=need_weights)
        self_attention = None
        if need_weights:
            self_attention = torch.stack([w.permute(1, 0, 2) for w in kept])  # [L, C, E, H]
        return AggregatorOutput(cross.per_condition, cross.fused, self_attention, cross.weights, importance)

    def __repr__(self) -> str:
        s = self.spec
        return (f"AttentionAggregator({s['d_in']} -> {s['d_model']}, heads={s['heads']}, layers={s['layers']}, "
                f"hops={s['max_hops']})")
