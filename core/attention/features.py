"""Node features: what each metabolite and reaction looks like to the attention, per condition.

:func:`build_node_features` reads the graph (structure and annotations, the same in every condition)
and each condition's FBA result (fluxes, growth, medium) and returns one float32 matrix per
condition. Fluxes are matched to reaction nodes by reaction id, so a graph without its currency
metabolites (reactions are always all kept) still gets every flux.

Columns (``feature_names``), in order:
    type:metabolite, type:reaction      one-hot node type
    log_degree                          log(1 + edges touching the node)
    log_stoich_in, log_stoich_out       log(1 + sum of |coefficient| on incoming / outgoing edges)
    is_exchange, is_transport, reversible
    compartment:<c> ..., compartment:other
                                        multi-hot over the most common compartments (a transport
                                        reaction is in each of its compartments); always
                                        ``top_compartments`` columns, "(unused k)" where the model
                                        has fewer, so D_in depends only on the settings
    pathway:<p> ..., pathway_hash:<b> ..., pathway:none, log_pathway_count
                                        multi-hot over the most common pathways; the rest hashed
                                        (CRC-32, stable across runs) into a few buckets
    flux                                reactions: asinh(flux), flux in mmol/gDW/h (signed)
    abs_flux                            reactions: asinh(|flux|)
    active                              reactions: 1 where |flux| > 1e-9
    turnover                            metabolites: asinh(0.5 * sum over reactions |coef * flux|)
    growth_rate                         the condition's growth rate, 1/h (same for every node)
    uptake_open                         exchange reactions open for uptake in the condition
    in_medium                           metabolites taken up by an exchange open in the condition

asinh keeps the sign, is linear near zero and logarithmic for large fluxes, so a 1000 mmol/gDW/h
futile cycle does not drown out a 0.1 mmol/gDW/h pathway.

Shapes (legend: C conditions, N nodes, D_in features):
    values   (C, N, D_in) float32
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from core.errors import InputError
from core.graph import METABOLITE, REACTION

ACTIVE_FLUX = 1e-9  # mmol/gDW/h; below this a reaction counts as inactive


@dataclass(frozen=True, eq=False)
class NodeFeatures:
    values: np.ndarray  # (C, N, D_in) float32
    names: tuple[str, ...]
    condition_names: tuple[str, ...]

    @property
    def n_features(self) -> int:
        return len(self.names)

    def column(self, name: str) -> np.ndarray:
        """(C, N) values of one named feature."""
        return self.values[:, :, self.names.index(name)]

    def activity(self) -> np.ndarray:
        """(C, N) how much each node carries in each condition: asinh |flux| for a reaction, asinh
        turnover for a metabolite (the two columns are zero for the other node type)."""
        return (self.column("abs_flux") + self.column("turnover")).astype(np.float32)

    def to_dict(self) -> dict:
        return {"shape": list(self.values.shape), "names": list(self.names),
                "conditions": list(self.condition_names)}


def _top(counter: Counter, k: int) -> list[str]:
    # Most common first, ties by name, so the columns do not depend on dict order.
    return [name for name, _ in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]


def _padded(kind: str, found: list[str], width: int) -> list[str]:
    # A fixed number of columns whatever the model, so saved weights fit every model.
    return [f"{kind}:{x}" for x in found] + [f"{kind}:(unused {k})" for k in range(len(found), width)]


def structural_features(graph, top_compartments: int = 8, top_pathways: int = 16, hash_buckets: int = 8
                        ) -> tuple[np.ndarray, tuple[str, ...]]:
    """Condition-independent columns: (N, D_s) float32 and their names."""
    n = graph.n_nodes
    types = np.asarray(graph.node_types)
    cols: list[np.ndarray] = [(types == METABOLITE).astype(np.float32), (types == REACTION).astype(np.float32)]
    names = ["type:metabolite", "type:reaction"]

    src, dst = graph.edge_index
    mag = np.abs(np.asarray(graph.edge_coef, dtype=np.float64))
    stoich_in = np.bincount(dst, weights=mag, minlength=n)
    stoich_out = np.bincount(src, weights=mag, minlength=n)
    cols += [np.log1p(np.asarray(graph.degree, dtype=np.float64)), np.log1p(stoich_in), np.log1p(stoich_out)]
    names += ["log_degree", "log_stoich_in", "log_stoich_out"]
    cols += [np.asarray(graph.is_exchange, dtype=np.float32), np.asarray(graph.is_transport, dtype=np.float32),
             np.asarray(graph.reversible, dtype=np.float32)]
    names += ["is_exchange", "is_transport", "reversible"]

    node_comps = [tuple(c for c in comp.split(",") if c) for comp in graph.compartments]
    top_c = _top(Counter(c for cs in node_comps for c in cs), top_compartments)
    comp_pos = {c: i for i, c in enumerate(top_c)}
    comp = np.zeros((n, top_compartments + 1), dtype=np.float32)
    for i, cs in enumerate(node_comps):
        for c in cs:
            comp[i, comp_pos.get(c, top_compartments)] = 1.0
    cols += list(comp.T)
    names += _padded("compartment", top_c, top_compartments) + ["compartment:other"]

    node_paths = [tuple(p for p in ps if p) for ps in graph.pathways]
    top_p = _top(Counter(p for ps in node_paths for p in ps), top_pathways)
    path_pos = {p: i for i, p in enumerate(top_p)}
    n_top = top_pathways
    path = np.zeros((n, n_top + hash_buckets + 1), dtype=np.float32)
    bucket_of: dict[str, int] = {}
    for i, ps in enumerate(node_paths):
        if not ps:
            path[i, n_top + hash_buckets] = 1.0
        for p in ps:
            j = path_pos.get(p)
            if j is None and hash_buckets:
                b = bucket_of.get(p)
                if b is None:
                    b = bucket_of[p] = zlib.crc32(p.encode("utf-8")) % hash_buckets
                j = n_top + b
            if j is not None:
                path[i, j] = 1.0
    cols += list(path.T)
    names += _padded("pathway", top_p, top_pathways) + [f"pathway_hash:{b}" for b in range(hash_buckets)] + ["pathway:none"]
    cols.append(np.log1p(np.array([len(ps) for ps in node_paths], dtype=np.float64)))
    names.append("log_pathway_count")
    return np.stack(cols, axis=1).astype(np.float32), tuple(names)


CONDITION_FEATURES = ("flux", "abs_flux", "active", "turnover", "growth_rate", "uptake_open", "in_medium")


def condition_features(graph, result, reaction_nodes: dict[str, int]) -> np.ndarray:
    """(N, 7) float32 per-condition columns (see :data:`CONDITION_FEATURES`) for one ConditionResult."""
    n = graph.n_nodes
    flux = np.zeros(n)
    ids = result.reaction_ids
    fluxes = np.asarray(result.fluxes, dtype=np.float64)
    if len(ids) != fluxes.shape[0]:
        raise InputError(f"condition '{result.name}': {len(ids)} reaction ids but {fluxes.shape[0]} fluxes")
    pos = np.fromiter((reaction_nodes.get(rid, -1) for rid in ids), dtype=np.int64, count=len(ids))
    hit = pos >= 0
    if reaction_nodes and not hit.any():
        raise InputError(f"condition '{result.name}': none of its reactions are in the graph "
                         "(was it solved on another model?)")
    flux[pos[hit]] = np.nan_to_num(fluxes[hit])

    types = np.asarray(graph.node_types)
    is_rxn = types == REACTION
    src, dst = graph.edge_index
    rxn_end = np.where(is_rxn[src], src, dst)
    met_end = np.where(is_rxn[src], dst, src)
    turnover = graph.turnover(flux)

    bounds = result.condition.bounds
    uptake = np.zeros(n)
    exchanges = np.flatnonzero(np.asarray(graph.is_exchange) & is_rxn)
    for i in exchanges:
        lb = bounds.get(graph.node_ids[i], (0.0, 0.0))[0]
        uptake[i] = 1.0 if lb < 0 else 0.0
    # A metabolite is in the medium when an exchange open for uptake moves it.
    open_edge = uptake[rxn_end] > 0
    in_medium = np.zeros(n)
    in_medium[met_end[open_edge]] = 1.0

    growth = float(result.growth_rate) if np.isfinite(result.growth_rate) else 0.0
    out = np.stack([
        np.where(is_rxn, np.arcsinh(flux), 0.0),
        np.where(is_rxn, np.arcsinh(np.abs(flux)), 0.0),
        (is_rxn & (np.abs(flux) > ACTIVE_FLUX)).astype(np.float64),
        np.arcsinh(turnover),
        np.full(n, growth),
        uptake,
        in_medium,
    ], axis=1)
    return out.astype(np.float32)


def build_node_features(graph, condition_results: Sequence, top_compartments: int = 8, top_pathways: int = 16,
                        hash_buckets: int = 8) -> NodeFeatures:
    """Features of every node in every condition: :class:`NodeFeatures` with values (C, N, D_in)."""
    if graph.n_nodes == 0:
        raise InputError("the graph has no nodes, so there is nothing to attend to")
    if not condition_results:
        raise InputError("no conditions to compute features for")
    static, static_names = structural_features(graph, top_compartments, top_pathways, hash_buckets)
    per = [condition_features(graph, r, graph.reaction_index) for r in condition_results]
    values = np.stack([np.concatenate([static, c], axis=1) for c in per])  # [C, N, D_in]
    return NodeFeatures(values=np.ascontiguousarray(values, dtype=np.float32),
                        names=static_names + CONDITION_FEATURES,
                        condition_names=tuple(r.name for r in condition_results))


__all__ = ["NodeFeatures", "build_node_features", "structural_features", "condition_features", "CONDITION_FEATURES"]
