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


MODES = ("sparse", "full")


@dataclass(frozen=True, eq=False)
class AttentionConfig:
    d_model: int = 64
    heads: int = 8
    layers: int = 2
    hops: int = 1
    hub_degree: int = 50  # nodes above this degree are not used as middle step of k-hop paths
    dropout: float = 0.1
    pathway_bias: bool = True
    flux_bias: bool = True  # heads lean towards neighbours that carry flux in each condition
    seed: int = 0
    mode: str = "sparse"  # "sparse" (graph-masked, per edge) or "full" (SDPA, unmasked)
    # Added with the attention core (issue 3):
    memory_budget_gb: float = 4.0  # refuse up front a request that would materialise more than this
    weight_rows: tuple[str, ...] = ()  # full mode: node ids whose weight rows to keep; () = every row
    ffn_mult: int = 2  # feed-forward width = ffn_mult * d_model
    top_compartments: int = 8  # feature columns for the most common compartments
    top_pathways: int = 16  # feature columns for the most common pathways (the rest hashed)
    pathway_hash_buckets: int = 8
    pretrain_steps: int = 0  # optional masked-flux reconstruction steps before the run (0 = untrained)

    def problems(self) -> list[str]:
        """What a user would have to change for these settings to run (empty: they are fine).

        The one place settings are checked: :func:`core.attention.run.validate_config`, the setup
        pane and the command line all go through it.
        """
        problems = []
        if self.mode not in MODES:
            problems.append(f"mode must be one of {', '.join(MODES)}, not '{self.mode}'")
        if self.heads < 1 or self.d_model < 1 or self.d_model % self.heads:
            problems.append(f"d_model ({self.d_model}) must be a positive multiple of heads ({self.heads})")
        if self.layers < 1:
            problems.append(f"layers must be at least 1, not {self.layers}")
        if self.hops < 1:
            problems.append(f"hops must be at least 1, not {self.hops}")
        if not 0.0 <= self.dropout < 1.0:
            problems.append(f"dropout must be in [0, 1), not {self.dropout}")
        if not self.memory_budget_gb > 0:
            problems.append(f"memory_budget_gb must be positive, not {self.memory_budget_gb}")
        return problems

    def checked(self) -> "AttentionConfig":
        """This config, or InputError listing :meth:`problems`."""
        problems = self.problems()
        if problems:
            from core.errors import InputError

            raise InputError("attention settings: " + "; ".join(problems))
        return self

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict) -> "AttentionConfig":
        """Inverse of :meth:`to_dict`; unknown keys (from a newer version) are ignored."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if "weight_rows" in known:
            known["weight_rows"] = tuple(known["weight_rows"] or ())
        return cls(**known)


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
    # Added with the attention core (issue 3):
    fused: np.ndarray | None = None  # (N, D) float32, one representation per node, conditions combined
    edge_hops: np.ndarray | None = None  # (E,) int8, 0 self-loop, 1 metabolic edge, t hops
    timings: dict = field(default_factory=dict)  # seconds per stage; not part of to_dict()
    # Trained weights (core.training.inference): their card, predicted growth and probability of growth
    # beside FBA growth per condition. None: the untrained, structure-only read-out.
    prediction: dict | None = None

    @property
    def trained(self) -> bool:
        return self.prediction is not None

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

    def to_dict(self, top: int = 10) -> dict:
        """JSON-ready summary: config, shapes, feature names and each condition's most important nodes
        (the full arrays go to attention.npz, see docs/attention_npz.md)."""
        top_nodes = {}
        for c, name in enumerate(self.condition_names):
            order = np.argsort(-self.importance[c], kind="stable")[:top]
            top_nodes[name] = [{"id": self.node_ids[i], "importance": float(self.importance[c, i])} for i in order]
        return {
            "config": self.config.to_dict(),
            "conditions": list(self.condition_names),
            "layers": self.n_layers, "heads": self.n_heads, "nodes": self.n_nodes, "edges": self.n_edges,
            "feature_names": list(self.feature_names),
            "top_importance": top_nodes,
            "trained": self.trained,
        }
