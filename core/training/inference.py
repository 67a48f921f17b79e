"""Run trained weights on a run's conditions: the attention the app shows, and what the model predicts.

:func:`trained_attention` feeds each condition's medium (never its FBA answer) through a trained
:class:`MetabolicPredictor` and returns an :class:`AttentionResult` like the untrained path does, so
analysis, figures, exports and panes work unchanged, plus the predictions (growth, 1/h; probability of
growth) beside each condition's FBA growth in ``result.prediction``.

What differs from the untrained read-out: importance is the share of the trained, medium-conditioned
read-out's attention each node receives; the per-edge weights are the trained graph-attention layers' of the
structure stream, the same for every condition (the medium enters through the exchange tokens). The trained
model has no cross-condition step (it is trained on one medium at a time), so ``cross_attention`` is the
identity: every condition draws only on itself.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from core.attention.result import AttentionConfig, AttentionResult
from core.errors import InputError


def _model_inputs(graph, media: Sequence, agraph=None):
    """``(structure (N, D_s), medium (C, N, 3), attention graph, structural feature names)`` for ``media``
    (Conditions: their bounds only) on ``graph``, as the trained model reads them."""
    from core.attention.attention_graph import build_attention_graph
    from core.attention.features import structural_features
    from core.training.model import exchange_index, medium_features

    structure, names = structural_features(graph)
    medium = medium_features(graph, list(media), exchange_index(graph))
    agraph = build_attention_graph(graph, 1, 50) if agraph is None else agraph
    return torch.from_numpy(structure), torch.from_numpy(medium), agraph, names


def trained_predictions(graph, media: Sequence, model, agraph=None) -> dict[str, np.ndarray]:
    """What trained weights ``model`` say about each medium, without the per-edge and cross-attention arrays
    a run's panes need (a batch keeps only these): ``importance`` (C, N) float32, rows sum to 1;
    ``predicted_growth`` (C,) 1/h; ``grows_probability`` (C,). ``media``: Conditions (their bounds only)."""
    if not media:
        raise InputError("no media given to the trained model")
    st, med, agraph, _names = _model_inputs(graph, media, agraph)
    with torch.no_grad():
        out = model(st, med, agraph)
    return {"importance": out.importance.numpy().astype(np.float32),
            "predicted_growth": out.growth.numpy().astype(np.float64),
            "grows_probability": torch.sigmoid(out.grows_logit).numpy().astype(np.float64)}


def trained_attention(graph, condition_results: Sequence, model, card: dict) -> AttentionResult:
    """Attention and predictions of trained weights ``model`` (with its ``card``) on ``graph``."""
    from core.training.model import MEDIUM_FEATURES
    from core.training.weights import card_summary

    if not condition_results:
        raise InputError("no conditions given to the trained model")
    st, med, agraph, names = _model_inputs(graph, [r.condition for r in condition_results])
    with torch.no_grad():
        out = model(st, med, agraph, need_weights=True)
        features = model.inputs(st, med).numpy()
    spec = model.spec
    c, n = len(condition_results), graph.n_nodes
    cross = np.broadcast_to(np.eye(c, dtype=np.float32), (n, spec["heads"], c, c)).copy()  # [N, H, C, C]
    embeddings = out.embeddings.numpy()
    fba = [float(r.growth_rate) for r in condition_results]
    prediction = {
        "trained": True,
        "card": card_summary(card),
        "conditions": [r.name for r in condition_results],
        "predicted_growth": [float(g) for g in out.growth.numpy()],
        "grows_probability": [float(p) for p in torch.sigmoid(out.grows_logit).numpy()],
        "fba_growth": fba,
    }
    config = AttentionConfig(d_model=spec["d_model"], heads=spec["heads"], layers=spec["layers"],
                             flux_bias=False, seed=int(card.get("train", {}).get("seed", 0)))
    return AttentionResult(
        config=config,
        condition_names=tuple(r.name for r in condition_results),
        node_ids=tuple(graph.node_ids),
        node_types=np.asarray(graph.node_types, dtype=np.int8),
        edge_index=agraph.edge_index_numpy(),
        self_attention=torch.stack([w.permute(1, 0, 2) for w in out.weights]).numpy(),  # [L, C, E, H]
        cross_attention=cross,
        importance=out.importance.numpy().astype(np.float32),
        node_features=features,
        embeddings=embeddings,
        feature_names=tuple(names) + tuple(f"identity:{i}" for i in range(spec["id_dim"])) + MEDIUM_FEATURES,
        fused=embeddings.mean(0),
        edge_hops=agraph.hops.numpy().astype(np.int8),
        prediction=prediction,
    )
