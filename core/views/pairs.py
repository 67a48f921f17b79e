"""Attention on node pairs: one (condition, layer, head) slice of the per-edge weights, and the
weight of given (source, target) pairs looked up in it without an N x N matrix.

Shapes (legend: E attention edges, G graph edges): ``attention_slice`` (E,) float64;
``graph_edge_attention`` (G,), the dtype of the weights.
"""

from __future__ import annotations

import numpy as np


def attention_slice(attention, condition: int, layer: int, head: int | None) -> np.ndarray:
    """(E,) float64 weights of one layer/condition, one head or the mean over heads."""
    w = attention.self_attention[layer, condition]  # [E, H]
    return np.asarray(w[:, head] if head is not None else w.mean(axis=1), dtype=np.float64)


def edge_lookup(edge_index: np.ndarray, weights: np.ndarray, n_nodes: int, source: np.ndarray,
                target: np.ndarray, missing: float = np.nan) -> np.ndarray:
    """Weights of the attention edges (source -> target) asked for; ``missing`` where there is none.

    ``edge_index`` (2, E), ``weights`` (..., E); ``source``/``target`` (Q,). Returns (..., Q).
    """
    edge_index = np.asarray(edge_index, dtype=np.int64)
    keys = edge_index[0] * n_nodes + edge_index[1]  # [E]
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    q = np.asarray(source, dtype=np.int64) * n_nodes + np.asarray(target, dtype=np.int64)  # [Q]
    pos = np.clip(np.searchsorted(sorted_keys, q), 0, max(len(sorted_keys) - 1, 0))
    found = sorted_keys[pos] == q if len(sorted_keys) else np.zeros(q.shape, dtype=bool)
    w = np.asarray(weights, dtype=np.float64)
    picked = w[..., order[pos]] if len(sorted_keys) else np.zeros(w.shape[:-1] + q.shape)  # [..., Q]
    return np.where(found, picked, missing)


def graph_edge_attention(graph, attention, condition: int = 0, layer: int = -1, head: int | None = None,
                         both_directions: bool = True) -> np.ndarray:
    """(G,) attention on each graph edge s -> t: the weight with which t attends to s, or with
    ``both_directions`` the larger of that and s attending to t. 0 where attention has no such edge."""
    w = attention_slice(attention, condition, layer, head)
    s, t = graph.edge_index
    forward = edge_lookup(attention.edge_index, w, graph.n_nodes, s, t, missing=0.0)
    if not both_directions:
        return forward
    return np.maximum(forward, edge_lookup(attention.edge_index, w, graph.n_nodes, t, s, missing=0.0))
