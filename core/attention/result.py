"""What an attention run hands to analysis, figures, exports and the GUI.

Shapes (legend: L layers, C conditions, N nodes, E attention edges, H heads, D features):
    edge_index      (2, E) int64; row 0 = source j (attended to), row 1 = target i (attending).
                    Includes self-loops. For every target i, layer, condition and head the weights
                    on its incoming edges sum to 1.
    self_attention  (L, C, E, H) float32, graph-masked attention weights per edge
    cross_attention (N, H, C, C) float32, row c = how condition c's representation of a node draws on
                    each condition; rows sum to 1
    importance      (C, N) float32, attention received per node (layer- and head-weighted), per
                    condition; each row sums to 1
    node_features   (C, N, D_in) float32, the input features (before projection)
    embeddings      (C, N, D) float32, final node representations per condition
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, eq=False)
class AttentionConfig:
    d_model: int = 64
    heads: int = 8
    layers: int = 2
    hops: int = 1
    hub_degree: int = 50  # nodes above this degree are not used as middle step of k-hop paths
    dropout: float = 0.1
    pathway_bias: bool = True
    seed: int = 0
    mode: str = "sparse"  # "sparse" (graph-masked, per edge) or "full" (SDPA, unmasked)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True, eq=False)
class AttentionResult:
    config: AttentionConfig
    condition_names: tuple[str, ...]
    node_ids: tuple[str, ...]
    node_types: np.ndarray  # (N,) int8, 0 metabolite, 1 reaction
    edge_index: np.ndarray  # (2, E) int64
    self_attention: np.ndarray  # (L, C, E, H) float32
    cross_attention: np.ndarray  # (N, H, C, C) float32
    importance: np.ndarray  # (C, N) float32
    node_features: np.ndarray  # (C, N, D_in) float32
    embeddings: np.ndarray  # (C, N, D) float32
    feature_names: tuple[str, ...] = field(default=())

    @property
    def n_layers(self) -> int:
        return int(self.self_attention.shape[0])

    @property
    def n_conditions(self) -> int:
        return int(self.self_attention.shape[1])

    @property
    def n_edges(self) -> int:
        return int(self.edge_index.shape[1])

    @property
    def n_heads(self) -> int:
        return int(self.self_attention.shape[3])

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)
