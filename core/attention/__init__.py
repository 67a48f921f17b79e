"""Graph-masked attention over the metabolic network, one pass per growth condition.

Entry point: :func:`run_attention` (graph + FBA results + config -> :class:`AttentionResult`).
The network (:class:`AttentionAggregator`) is initialised from ``config.seed`` and, unless
``config.pretrain_steps`` asks for a short self-supervised warm-up, used untrained: there is no
labelled data, so the attention reflects the graph's structure and the node features (fluxes,
growth, medium). Same inputs and seed give the same numbers (CPU, eval mode, no dropout).

Files: :func:`save_weights` / :func:`load_weights` (safetensors), :func:`write_attention_npz` /
:func:`read_attention_npz` (OUT/attention.npz, keys in docs/attention_npz.md).

Modules (one operator per file): FeatureEncoder, SelfAttention, MetabolicMultiHeadAttention,
CrossAttention, AttentionAggregator, TypedLinear; math helpers in :mod:`core.attention.edge_structure`
(numpy graph structure) and :mod:`core.attention.edge_kernels` (torch kernels).

Shapes (legend: L layers, C conditions, N nodes, E attention edges, H heads, D_in input features,
D model width): see :mod:`core.attention.result`.
"""

from __future__ import annotations

import importlib

# Light: numpy only. Everything else imports torch, so it loads on first use (PEP 562): importing
# core.attention.result (as core.pipeline does) must not cost the seconds torch takes to import.
from core.attention.result import AttentionConfig, AttentionResult

_LAZY = {
    "run_attention": "run", "build_model": "run", "prepare_attention_graph": "run", "validate_config": "run",
    "MODES": "run",
    "save_weights": "weights_io", "load_weights": "weights_io",
    "write_attention_npz": "npz", "read_attention_npz": "npz",
    "AttentionAggregator": "aggregator", "AggregatorOutput": "aggregator",
    "SelfAttention": "self_attention", "MetabolicMultiHeadAttention": "metabolic_attention",
    "CrossAttention": "cross_attention", "FeatureEncoder": "encoder", "TypedLinear": "typed_linear",
    "AttentionGraph": "attention_graph", "build_attention_graph": "attention_graph",
    "full_attention_graph": "attention_graph",
    "NodeFeatures": "features", "build_node_features": "features", "CONDITION_FEATURES": "features",
    "edge_softmax": "edge_kernels", "edge_attention": "edge_kernels", "dense_masked_attention": "edge_kernels",
    "attention_received": "edge_kernels", "add_self_loops": "edge_structure", "symmetrise": "edge_structure",
    "k_hop_edges": "edge_structure", "k_hop_pair_bound": "edge_structure",
}

__all__ = ["AttentionConfig", "AttentionResult", *_LAZY]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'core.attention' has no attribute '{name}'")
    value = getattr(importlib.import_module(f"core.attention.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
