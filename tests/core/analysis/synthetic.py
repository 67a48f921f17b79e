"""Realistic attention results without the attention model: random per-edge scores turned into
proper attention (softmax over each target's incoming edges), for testing and benchmarking the
analyses on real graphs before/independently of core.attention.

Shapes (legend: L layers, C conditions, H heads, N nodes, E attention edges, D features):
    edge_index (2, E) graph edges in both directions plus one self-loop per node
    self_attention (L, C, E, H); cross_attention (N, H, C, C); importance (C, N)
"""

from __future__ import annotations

import numpy as np

from core.attention.result import AttentionConfig, AttentionResult
from core.conditions import Condition, ConditionResult
from core.graph import METABOLITE, REACTION, MetabolicGraph


def attention_edge_index(graph: MetabolicGraph) -> np.ndarray:
    """(2, E) graph edges both ways plus self-loops, duplicates removed, sorted by (target, source)."""
    src, dst = graph.edge_index
    loops = np.arange(graph.n_nodes)
    pairs = np.stack([np.concatenate([src, dst, loops]), np.concatenate([dst, src, loops])], axis=1)
    pairs = np.unique(pairs[:, ::-1], axis=0)[:, ::-1]  # unique by (target, source)
    return np.ascontiguousarray(pairs.T.astype(np.int64))


def edge_softmax(logits: np.ndarray, target: np.ndarray, n_nodes: int) -> np.ndarray:
    """Softmax of ``logits`` (..., E) over the edges sharing a target."""
    lead = logits.shape[:-1]
    flat = logits.reshape(-1, logits.shape[-1])  # [S, E]
    row = np.arange(flat.shape[0])[:, None]
    mx = np.full((flat.shape[0], n_nodes), -np.inf)
    np.maximum.at(mx, (row, target[None, :]), flat)
    ex = np.exp(flat - mx[:, target])
    den = np.zeros((flat.shape[0], n_nodes))
    np.add.at(den, (row, target[None, :]), ex)
    return (ex / den[:, target]).reshape(*lead, -1)


def attention_from_weights(graph: MetabolicGraph, condition_names, edge_index: np.ndarray, weights: np.ndarray,
                           cross: np.ndarray | None = None, seed: int = 0) -> AttentionResult:
    """Wrap given weights (L, C, H, E) into an AttentionResult with consistent importance."""
    rng = np.random.default_rng(seed)
    n_l, n_c, n_h, n_e = weights.shape
    n = graph.n_nodes
    src, dst = edge_index
    neigh = np.where(src == dst, 0.0, weights)
    received = np.zeros((n_l, n_c, n_h, n))
    np.add.at(received, (slice(None), slice(None), slice(None), src), neigh)
    importance = received.mean(axis=(0, 2)) + 1e-12  # [C, N]
    importance /= importance.sum(axis=1, keepdims=True)
    if cross is None:
        cross = rng.dirichlet(np.ones(n_c) * 2.0, size=(n, n_h, n_c)) if n_c > 1 else np.ones((n, n_h, 1, 1))
    degree = np.asarray(graph.degree, dtype=np.float64)
    feats = np.stack([np.stack([np.log1p(degree), graph.node_types.astype(np.float64),
                                rng.normal(size=n)], axis=1) for _ in range(n_c)])  # [C, N, 3]
    return AttentionResult(
        config=AttentionConfig(heads=n_h, layers=n_l, seed=seed),
        condition_names=tuple(condition_names), node_ids=tuple(graph.node_ids),
        node_types=np.asarray(graph.node_types, dtype=np.int8), edge_index=np.asarray(edge_index, dtype=np.int64),
        self_attention=np.ascontiguousarray(np.moveaxis(weights, 3, 2)).astype(np.float32),  # [L, C, E, H]
        cross_attention=np.asarray(cross, dtype=np.float32), importance=importance.astype(np.float32),
        node_features=feats.astype(np.float32), embeddings=rng.normal(size=(n_c, n, 8)).astype(np.float32),
        feature_names=("log_degree", "is_reaction", "noise"),
    )


def synthetic_attention(graph: MetabolicGraph, condition_names=("glucose", "acetate"), layers: int = 2,
                        heads: int = 8, seed: int = 0) -> AttentionResult:
    """Random but structured attention: hubs attract attention, heads and conditions differ."""
    rng = np.random.default_rng(seed)
    ei = attention_edge_index(graph)
    src, dst = ei
    n_c = len(condition_names)
    log_deg = np.log1p(np.asarray(graph.degree, dtype=np.float64))
    head_taste = rng.normal(0.0, 1.0, size=(1, 1, heads, 1))
    cond_shift = rng.normal(0.0, 0.5, size=(1, n_c, 1, graph.n_nodes))[..., src]
    logits = rng.normal(0.0, 1.0, size=(layers, n_c, heads, ei.shape[1])) + head_taste * log_deg[src] + cond_shift
    logits[..., src == dst] += 0.5
    weights = edge_softmax(logits, dst, graph.n_nodes)  # [L, C, H, E]
    return attention_from_weights(graph, condition_names, ei, weights, seed=seed)


def synthetic_conditions(graph: MetabolicGraph, condition_names, seed: int = 0) -> list[ConditionResult]:
    """FBA-like results: sparse fluxes on the graph's reactions, a growth rate per condition."""
    rng = np.random.default_rng(seed + 1)
    rxn = np.flatnonzero(graph.node_types == REACTION)
    ids = tuple(graph.node_ids[i] for i in rxn)
    out = []
    for c, name in enumerate(condition_names):
        flux = rng.normal(0.0, 5.0, size=rxn.size) * (rng.random(rxn.size) < 0.4)
        out.append(ConditionResult(Condition(name=name, bounds={}), float(0.2 + 0.3 * c), "optimal", "BIOMASS",
                                   ids, flux))
    return out


def synthetic_graph(n_metabolites: int = 9000, n_reactions: int = 13000, n_pathways: int = 80,
                    seed: int = 0) -> MetabolicGraph:
    """A genome-scale-like bipartite graph: each reaction joins 2-8 metabolites chosen with a
    heavy-tailed preference (a few hub metabolites, as in real networks)."""
    rng = np.random.default_rng(seed)
    m, r = n_metabolites, n_reactions
    popularity = 1.0 / np.arange(1, m + 1) ** 0.8
    popularity /= popularity.sum()
    sizes = rng.integers(2, 9, size=r)
    rxn_of_edge = np.repeat(np.arange(r), sizes)
    met_of_edge = rng.choice(m, size=sizes.sum(), p=popularity)
    pair = np.unique(np.stack([rxn_of_edge, met_of_edge], axis=1), axis=0)
    rxn_of_edge, met_of_edge = pair[:, 0], pair[:, 1]
    coef = rng.choice([-2.0, -1.0, 1.0, 2.0], size=rxn_of_edge.size, p=[0.1, 0.4, 0.4, 0.1])
    node_r = m + rxn_of_edge
    src = np.where(coef < 0, met_of_edge, node_r)
    dst = np.where(coef < 0, node_r, met_of_edge)
    pw_names = [f"Pathway {i:02d}" for i in range(n_pathways)]
    rxn_pw = rng.integers(0, n_pathways, size=r)
    met_pws: list[set] = [set() for _ in range(m)]
    for rr, mm in zip(rxn_of_edge, met_of_edge):
        met_pws[mm].add(pw_names[rxn_pw[rr]])
    return MetabolicGraph(
        model_id="synthetic",
        node_ids=tuple(f"M{i}" for i in range(m)) + tuple(f"R{j}" for j in range(r)),
        node_names=tuple(f"metabolite {i}" for i in range(m)) + tuple(f"reaction {j}" for j in range(r)),
        node_types=np.array([METABOLITE] * m + [REACTION] * r, dtype=np.int8),
        compartments=("c",) * (m + r), formulas=("",) * (m + r),
        pathways=tuple(tuple(sorted(p)) for p in met_pws) + tuple((pw_names[p],) for p in rxn_pw),
        gene_rules=("",) * (m + r), is_exchange=np.zeros(m + r, dtype=bool),
        is_transport=np.zeros(m + r, dtype=bool), reversible=np.zeros(m + r, dtype=bool),
        edge_index=np.stack([src, dst]).astype(np.int64), edge_coef=coef,
        edge_reversible=np.zeros(coef.size, dtype=bool),
    )
