"""Which node attends to which: the attention edges and what each edge knows about itself.

:func:`build_attention_graph` turns a :class:`core.graph.MetabolicGraph` into an
:class:`AttentionGraph`: the metabolic edges in both directions (a reaction attends to its
substrates and products, a metabolite to the reactions it takes part in), or all pairs within k hops
with hubs pruned as middle steps, plus one self-loop per node. Each edge carries its hop count, the
log of its stoichiometric coefficient and how much the two endpoints' pathways overlap; the layers
turn these into learned per-head score biases.

A *full* attention graph (``mode="full"``) has no mask: every node attends to every node. Its edges
are only the ones whose weights the caller asked to see (all sources of a few target rows).

Shapes (legend: N nodes, E attention edges):
    edge_index       (2, E) int64 torch, row 0 source j, row 1 target i, sorted by (target, source)
    hops             (E,) int64: 0 self-loop, 1 metabolic edge, t = shortest pruned path length
    log_coef         (E,) float32: log|stoichiometric coefficient| on metabolic edges, 0 elsewhere
    pathway_overlap  (E,) float32 in [0, 1]: Jaccard overlap of the endpoints' pathway sets
    node_types       (N,) int64: 0 metabolite, 1 reaction
    rows             (N + 1,) int64 CSR row pointers of edge_index (sparse mode)
    activity         (C, N) float32 or None: how much each node carries in each condition
                     (asinh |flux| for reactions, asinh turnover for metabolites); set by
                     :meth:`AttentionGraph.with_activity` for the condition-aware flux bias
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

from core.attention.edge_kernels import sorted_rows
from core.attention.edge_structure import add_self_loops, k_hop_edges, sort_edges, symmetrise

N_NODE_TYPES = 2


@dataclass(frozen=True, eq=False)
class AttentionGraph:
    """The attention edges of one graph, ready for the layers (torch tensors, CPU)."""

    num_nodes: int
    edge_index: torch.Tensor  # (2, E) int64
    hops: torch.Tensor  # (E,) int64
    log_coef: torch.Tensor  # (E,) float32
    pathway_overlap: torch.Tensor  # (E,) float32
    node_types: torch.Tensor  # (N,) int64
    mode: str = "sparse"  # "sparse": attention only along edge_index; "full": every pair
    max_hops: int = 1
    rows: torch.Tensor | None = None  # CSR row pointers when edge_index is sorted by target
    activity: torch.Tensor | None = None  # (C, N) float32 per-condition node activity

    def with_activity(self, activity) -> "AttentionGraph":
        """The same graph carrying (C, N) per-condition node activity for the flux bias."""
        from dataclasses import replace

        act = torch.as_tensor(np.asarray(activity, dtype=np.float32))
        assert act.dim() == 2 and act.shape[1] == self.num_nodes, (
            f"activity must be (C, {self.num_nodes}), got {tuple(act.shape)}")
        return replace(self, activity=act)

    @property
    def n_edges(self) -> int:
        return int(self.edge_index.shape[1])

    @property
    def full(self) -> bool:
        return self.mode == "full"

    @property
    def relation(self) -> torch.Tensor:
        """(E,) int64 relation id ``type[source] * 2 + type[target]`` (HGT-style edge types)."""
        src, dst = self.edge_index
        return self.node_types[src] * N_NODE_TYPES + self.node_types[dst]

    def edge_index_numpy(self) -> np.ndarray:
        return self.edge_index.numpy().astype(np.int64, copy=True)

    @classmethod
    def from_edges(cls, num_nodes: int, edge_index, node_types=None, coef=None, pathways=None,
                   hops: int = 1, hub_degree: int | None = None) -> "AttentionGraph":
        """An attention graph from bare edges (tests, synthetic graphs).

        ``coef`` (E,) signed coefficients of ``edge_index`` (default 1); ``pathways`` one tuple of
        names per node (default none); ``node_types`` (N,) 0/1 (default all metabolites).
        """
        edge_index = np.asarray(edge_index, dtype=np.int64).reshape(2, -1)
        node_types = np.zeros(num_nodes, dtype=np.int64) if node_types is None else np.asarray(node_types)
        coef = np.ones(edge_index.shape[1]) if coef is None else np.asarray(coef, dtype=np.float64)
        pathways = tuple(() for _ in range(num_nodes)) if pathways is None else tuple(pathways)
        return _build(num_nodes, edge_index, coef, node_types, pathways, hops, hub_degree)


def build_attention_graph(graph, hops: int = 1, hub_degree: int | None = 50) -> AttentionGraph:
    """Graph-masked attention edges for ``graph`` (a MetabolicGraph): k hops, hubs pruned, self-loops.

    Check the size first with :func:`core.attention.budget.check_sparse` (k-hop neighbourhoods can
    explode); this function builds whatever it is asked for.
    """
    return _build(graph.n_nodes, graph.edge_index, graph.edge_coef, graph.node_types, graph.pathways, hops,
                  hub_degree)


def full_attention_graph(graph, rows=()) -> AttentionGraph:
    """Unmasked attention; the edges are every source j -> each target in ``rows`` (node positions),
    sorted by (target, source), so the weights of those rows can be read back per edge."""
    n = graph.n_nodes
    rows = np.unique(np.asarray(rows, dtype=np.int64))
    assert rows.size == 0 or (rows.min() >= 0 and rows.max() < n), "weight rows outside the graph"
    src = np.tile(np.arange(n, dtype=np.int64), rows.size)
    dst = np.repeat(rows, n)
    edge_index = np.stack([src, dst])
    hops = (src != dst).astype(np.int64)
    return AttentionGraph(
        num_nodes=n, edge_index=torch.from_numpy(edge_index), hops=torch.from_numpy(hops),
        log_coef=torch.zeros(edge_index.shape[1]), pathway_overlap=torch.zeros(edge_index.shape[1]),
        node_types=torch.from_numpy(np.asarray(graph.node_types, dtype=np.int64)), mode="full", max_hops=1,
        rows=None)


def _build(num_nodes, edge_index, coef, node_types, pathways, hops, hub_degree) -> AttentionGraph:
    assert hops >= 1, f"hops must be >= 1, got {hops}"
    if hops == 1:
        pairs = symmetrise(edge_index, num_nodes)
        pairs = pairs[:, pairs[0] != pairs[1]]
        hop = np.ones(pairs.shape[1], dtype=np.int64)
    else:
        pairs, hop = k_hop_edges(edge_index, num_nodes, hops, hub_degree)
    with_loops = add_self_loops(pairs, num_nodes)
    # add_self_loops sorted the edges; recover each pair's hop count by key lookup.
    key_pairs = pairs[1] * max(num_nodes, 1) + pairs[0]
    key_all = with_loops[1] * max(num_nodes, 1) + with_loops[0]
    order = np.argsort(key_pairs)
    hop_all = np.zeros(with_loops.shape[1], dtype=np.int64)
    not_loop = with_loops[0] != with_loops[1]
    if key_pairs.size:
        pos = np.searchsorted(key_pairs[order], key_all[not_loop])
        hop_all[not_loop] = hop[order][pos]
    log_coef = _edge_log_coef(with_loops, num_nodes, np.asarray(edge_index, dtype=np.int64).reshape(2, -1),
                              np.asarray(coef, dtype=np.float64), hop_all)
    overlap = pathway_overlap(with_loops, pathways)
    edge_t = torch.from_numpy(np.ascontiguousarray(with_loops))
    return AttentionGraph(
        num_nodes=num_nodes, edge_index=edge_t, hops=torch.from_numpy(hop_all),
        log_coef=torch.from_numpy(log_coef.astype(np.float32)),
        pathway_overlap=torch.from_numpy(overlap.astype(np.float32)),
        node_types=torch.from_numpy(np.asarray(node_types, dtype=np.int64)), mode="sparse", max_hops=hops,
        rows=sorted_rows(edge_t, num_nodes))


def _edge_log_coef(pairs: np.ndarray, n: int, edge_index: np.ndarray, coef: np.ndarray, hop: np.ndarray) -> np.ndarray:
    """log|coef| of the metabolic edge joining each attention edge's endpoints (either direction)."""
    out = np.zeros(pairs.shape[1])
    direct = hop == 1
    if not direct.any() or edge_index.shape[1] == 0:
        return out
    nn_ = max(n, 1)
    keys = np.concatenate([edge_index[1] * nn_ + edge_index[0], edge_index[0] * nn_ + edge_index[1]])
    mags = np.abs(np.concatenate([coef, coef]))
    order = np.argsort(keys, kind="stable")
    keys, mags = keys[order], mags[order]
    want = pairs[1, direct] * nn_ + pairs[0, direct]
    pos = np.clip(np.searchsorted(keys, want), 0, keys.size - 1)
    found = keys[pos] == want
    vals = np.where(found, np.log(np.maximum(mags[pos], 1e-12)), 0.0)
    out[direct] = vals
    return out


def pathway_overlap(edge_index: np.ndarray, pathways) -> np.ndarray:
    """(E,) Jaccard overlap |P_i ∩ P_j| / |P_i ∪ P_j| of the endpoints' pathway sets (0 when either
    has none). 1 for two nodes of exactly the same pathways; a metabolite shared by many pathways
    overlaps each of its reactions only a little."""
    n = len(pathways)
    names: dict[str, int] = {}
    indptr, indices = [0], []
    for ps in pathways:
        for p in set(ps):
            if p:
                indices.append(names.setdefault(p, len(names)))
        indptr.append(len(indices))
    n_edges = edge_index.shape[1]
    if not indices or n_edges == 0:
        return np.zeros(n_edges)
    indptr_a, indices_a = np.asarray(indptr), np.asarray(indices, dtype=np.int64)
    size = np.diff(indptr_a)
    src, dst = edge_index
    inter = np.zeros(n_edges)
    # Fast path, the common case (reactions have one pathway): one endpoint has at most one pathway,
    # so the intersection is 1 exactly when the other endpoint's set contains it.
    small_is_src = size[src] <= size[dst]
    small = np.where(small_is_src, src, dst)
    other = np.where(small_is_src, dst, src)
    single = size[small] == 1
    n_p = len(names)
    member_keys = np.repeat(np.arange(n, dtype=np.int64), size) * n_p + indices_a  # sorted: rows, then ids
    member_keys.sort()
    wanted = other[single] * n_p + indices_a[indptr_a[small[single]]]
    pos = np.clip(np.searchsorted(member_keys, wanted), 0, member_keys.size - 1)
    inter[single] = member_keys[pos] == wanted
    rest = np.flatnonzero(size[small] > 1)
    if rest.size:
        member = sp.csr_matrix((np.ones(indices_a.size, dtype=np.float32), indices_a, indptr_a), shape=(n, n_p))
        inter[rest] = np.asarray(member[src[rest]].multiply(member[dst[rest]]).sum(axis=1)).ravel()
    union = size[src] + size[dst] - inter
    return np.where(union > 0, inter / np.maximum(union, 1.0), 0.0)


__all__ = ["AttentionGraph", "build_attention_graph", "full_attention_graph", "pathway_overlap", "sort_edges"]
