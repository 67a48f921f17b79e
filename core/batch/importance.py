"""Attention importances of trained weights for a chunk of media: the optional part of the unit of work.

When :class:`core.batch.work.WorkOptions` names a weights file, each medium of a chunk also goes through
the trained model (:func:`core.training.inference.trained_predictions`, the forward pass a single run makes,
without the per-edge arrays only the panes need),
and the chunk's table gains the model's predicted growth beside FBA's and, to keep the table small, only
the importances asked for: chosen node ids, the top N nodes per medium, and/or the total per pathway.

The trained model reads the medium alone (never the FBA answer) and one medium at a time (no
cross-condition step), so a medium's importances do not depend on which chunk it is in and equal a single
run's (``main.py run --weights FILE``) for the same medium. The graph is the one training and runs use
(currency metabolites removed); :func:`core.training.weights.load_predictor` refuses weights trained on
another graph with one line. A worker process loads each weights file once (keyed by path, modification
time and the graph) and builds each model's graph once.

Shapes: M media, N nodes, K chosen nodes, T top nodes, P pathways, H heads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from core.conditions import Condition
from core.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from core.graph import MetabolicGraph

IMPORTANCE_PREFIX = "importance:"  # column of one chosen node's importance
PATHWAY_PREFIX = "pathway_importance:"  # column of one pathway's summed importance
TOP_NODE, TOP_VALUE = "top_node:", "top_importance:"  # + rank from 1: the node id and its importance
PREDICTED = ("predicted_growth", "predicted_grows_probability")
# Shipped weights travel as "shipped:<file name>" and are found on each worker in its own installation, so a
# cluster's workers need not have the project at the same path as the machine that submits.
SHIPPED = "shipped:"
# Media per forward pass: the read-out is (C, N, P) floats, 9 MB for 64 iJO1366 media with 8 queries.
GROUP_MEDIA = 64


@dataclass(frozen=True, eq=False)
class Importances:
    """What trained weights say about each medium of a chunk. Row ``i`` belongs to the table's medium ``i``."""

    weights: str  # the weights file's name
    predicted_growth: np.ndarray  # (M,) float64, 1/h
    grows_probability: np.ndarray  # (M,) float64
    node_ids: tuple[str, ...]  # (K,) chosen nodes
    values: np.ndarray  # (M, K) float32, share of the read-out's attention (a medium's N nodes sum to 1)
    top_ids: np.ndarray  # (M, T) str, most important first
    top_values: np.ndarray  # (M, T) float32
    pathways: tuple[str, ...]  # (P,) every node's primary pathway, sorted
    pathway_values: np.ndarray  # (M, P) float32, importance summed over each pathway's nodes

    def columns(self) -> dict[str, object]:
        """Column name -> (M,) values, in the order the results folder stores them."""
        out: dict[str, object] = {PREDICTED[0]: self.predicted_growth, PREDICTED[1]: self.grows_probability}
        out.update({IMPORTANCE_PREFIX + nid: self.values[:, k] for k, nid in enumerate(self.node_ids)})
        for t in range(self.top_ids.shape[1]):
            out[f"{TOP_NODE}{t + 1}"] = self.top_ids[:, t]
            out[f"{TOP_VALUE}{t + 1}"] = self.top_values[:, t]
        out.update({PATHWAY_PREFIX + name: self.pathway_values[:, p] for p, name in enumerate(self.pathways)})
        return out


def model_graph(model) -> "MetabolicGraph":
    """The graph trained weights run on: the model's, currency metabolites removed (as training and runs build it)."""
    from core.graph import build_graph, remove_currency

    return remove_currency(build_graph(model))


def check_node_ids(graph: "MetabolicGraph", node_ids: Sequence[str] | None) -> None:
    """InputError naming the node ids (metabolites or reactions) that are not in ``graph``."""
    missing = [nid for nid in node_ids or () if nid not in graph.index]
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise InputError(f"{graph.model_id or 'the model'}'s graph (currency metabolites removed) has no node(s) "
                         f"{shown} to report importances of")


def weights_path(weights: str) -> Path:
    """The file a WorkOptions.weights names: a path, or ``shipped:<name>`` in this installation's weights folder."""
    from core.training.weights import weights_dir

    return weights_dir() / weights[len(SHIPPED):] if weights.startswith(SHIPPED) else Path(weights)


def resolve_weights(choice: str, graph: "MetabolicGraph") -> str:
    """What the workers are to load for weights ``choice`` ("auto": the shipped file whose card fits
    ``graph``), once :func:`core.training.weights.load_predictor` accepted it for ``graph`` (InputError
    otherwise): ``shipped:<name>`` for a shipped file, else the file's absolute path."""
    from core.training.weights import load_predictor, shipped_weights, weights_dir

    if choice.strip().lower() == "auto":
        path = shipped_weights(graph.node_ids)
        if path is None:
            raise InputError(f"no shipped trained weights fit {graph.model_id or 'this model'}'s graph; "
                             "train weights with 'main.py train' and give the file")
    else:
        path = Path(choice)
    load_predictor(path, graph.node_ids)  # refuses another model's weights with one line
    path = path.resolve()
    return SHIPPED + path.name if path.parent == weights_dir().resolve() else str(path)


# One graph per model source and one loaded predictor per weights file and graph, per process.
_GRAPHS: dict[str, object] = {}
_PREDICTORS: dict[tuple, tuple] = {}


def cached_graph(model_source: str, model) -> "MetabolicGraph":
    graph = _GRAPHS.get(str(model_source))
    if graph is None:
        graph = _GRAPHS[str(model_source)] = model_graph(model)
    return graph


def cached_predictor(weights: str, graph: "MetabolicGraph"):
    """``(predictor, card)`` of ``weights`` (a path or ``shipped:<name>``) for ``graph``, loaded once per
    process until the file changes."""
    from core.training.weights import graph_fingerprint, load_predictor

    path = weights_path(str(weights))
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        raise InputError("weights file not found (on this worker)", path) from None
    key = (str(path.resolve()), mtime, graph_fingerprint(graph.node_ids))
    hit = _PREDICTORS.get(key)
    if hit is None:
        for old in [k for k in _PREDICTORS if k[0] == key[0]]:  # an older version of the same file
            del _PREDICTORS[old]
        hit = _PREDICTORS[key] = load_predictor(path, graph.node_ids)
    return hit


def media_importance(graph: "MetabolicGraph", predictor, path: str | Path, media: Sequence[Condition],
                     node_ids: tuple[str, ...] | None = (), top: int = 0, pathways: bool = False) -> Importances:
    """Predictions and importances of ``predictor`` (loaded from ``path``) for each medium (its bounds only:
    the model never reads FBA's answer).

    ``node_ids``: nodes whose importance to return (None: every node); ``top``: the T most important nodes
    per medium; ``pathways``: importance summed per primary pathway.
    """
    from core.attention.attention_graph import build_attention_graph
    from core.training.inference import trained_predictions

    m, n = len(media), graph.n_nodes
    if m == 0:
        raise InputError("no media given to the trained model")
    ids = tuple(graph.node_ids) if node_ids is None else tuple(node_ids)
    check_node_ids(graph, ids)
    importance = np.zeros((m, n), dtype=np.float32)  # [M, N]
    predicted = np.zeros(m)
    probability = np.zeros(m)
    agraph = build_attention_graph(graph, 1, 50)
    for start in range(0, m, GROUP_MEDIA):
        part = list(media[start:start + GROUP_MEDIA])
        out = trained_predictions(graph, part, predictor, agraph)
        importance[start:start + len(part)] = out["importance"]  # [C, N]
        predicted[start:start + len(part)] = out["predicted_growth"]
        probability[start:start + len(part)] = out["grows_probability"]
    cols = np.array([graph.index[nid] for nid in ids], dtype=np.int64)  # [K]
    t = min(max(int(top), 0), n)
    order = np.argsort(-importance, axis=1, kind="stable")[:, :t]  # [M, T]
    node_array = np.asarray(graph.node_ids, dtype=object)
    names: tuple[str, ...] = ()
    sums = np.zeros((m, 0), dtype=np.float32)
    if pathways:
        primary = np.asarray(graph.primary_pathway, dtype=object)  # [N]
        names = tuple(sorted(set(primary)))
        which = np.searchsorted(np.asarray(names, dtype=object), primary)  # [N] pathway of each node
        sums = np.zeros((m, len(names)), dtype=np.float64)
        np.add.at(sums.T, which, importance.T.astype(np.float64))  # [P, M] += [N, M]
        sums = sums.astype(np.float32)
    return Importances(
        weights=Path(path).name,
        predicted_growth=predicted,
        grows_probability=probability,
        node_ids=ids,
        values=importance[:, cols],  # [M, K]
        top_ids=node_array[order].astype(str),  # [M, T]
        top_values=np.take_along_axis(importance, order, axis=1),  # [M, T]
        pathways=names,
        pathway_values=sums,
    )
