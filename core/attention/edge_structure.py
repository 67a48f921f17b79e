"""Graph structure for attention, in numpy: free functions, each tested on its own.

Sorting edges by target, :func:`symmetrise`, :func:`add_self_loops`, the sparse :func:`adjacency`,
and :func:`k_hop_edges` (with :func:`k_hop_pair_bound`, its size known before it is built). The graph
lives in numpy ``int64`` arrays; the torch kernels that run attention over these edges are in
:mod:`core.attention.edge_kernels` (as PyG keeps ``utils`` apart from its convolutions).

Convention (as PyG's): an edge ``(j, i)`` in ``edge_index[:, e]`` is source j -> target i, and
target i *attends to* j.

Shapes (legend: N nodes, E edges): edge_index (2, E) int64, row 0 source j, row 1 target i.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def _check_edge_index(edge_index: np.ndarray, num_nodes: int) -> np.ndarray:
    edge_index = np.asarray(edge_index, dtype=np.int64).reshape(2, -1)
    assert num_nodes >= 0, f"num_nodes must be >= 0, got {num_nodes}"
    if edge_index.size:
        assert edge_index.min() >= 0 and edge_index.max() < num_nodes, (
            f"edge_index has node ids outside [0, {num_nodes})")
    return edge_index


def sort_edges(edge_index: np.ndarray) -> np.ndarray:
    """Order of the edges sorted by (target, source): incoming edges of a node are contiguous."""
    edge_index = np.asarray(edge_index)
    return np.lexsort((edge_index[0], edge_index[1]))


def symmetrise(edge_index: np.ndarray, num_nodes: int) -> np.ndarray:
    """Every edge in both directions, duplicates removed, sorted by (target, source).

    Self-loops present in the input are kept once. Returns (2, E') int64.
    """
    edge_index = _check_edge_index(edge_index, num_nodes)
    both = np.concatenate([edge_index, edge_index[::-1]], axis=1)
    key = np.sort(both[1] * max(num_nodes, 1) + both[0])  # sorted by target, then source
    key = key[np.concatenate([[True], key[1:] != key[:-1]])] if key.size else key  # dedupe
    return np.stack([key % max(num_nodes, 1), key // max(num_nodes, 1)]).astype(np.int64)


def add_self_loops(edge_index: np.ndarray, num_nodes: int) -> np.ndarray:
    """Drop any existing self-loops, add exactly one per node, sort by (target, source)."""
    edge_index = _check_edge_index(edge_index, num_nodes)
    keep = edge_index[0] != edge_index[1]
    loops = np.arange(num_nodes, dtype=np.int64)
    out = np.concatenate([edge_index[:, keep], np.stack([loops, loops])], axis=1)
    return out[:, sort_edges(out)]


def adjacency(edge_index: np.ndarray, num_nodes: int) -> sp.csr_matrix:
    """Undirected 0/1 adjacency (N, N) CSR without self-loops."""
    sym = symmetrise(edge_index, num_nodes)
    sym = sym[:, sym[0] != sym[1]]
    data = np.ones(sym.shape[1], dtype=np.int32)
    return sp.csr_matrix((data, (sym[1], sym[0])), shape=(num_nodes, num_nodes))


def k_hop_pair_bound(edge_index: np.ndarray, num_nodes: int, k: int, hub_degree: int | None) -> int:
    """An upper bound on the directed pairs :func:`k_hop_edges` returns, computed in O(N + E).

    Counts walks instead of distinct pairs: walks of length t through non-hub middles, summed over
    t = 1..k. Cheap enough to run before deciding whether the neighbourhoods may be built.
    """
    adj = adjacency(edge_index, num_nodes)
    degree = np.diff(adj.indptr).astype(np.float64)
    middle = degree.copy() if hub_degree is None else np.where(degree > hub_degree, 0.0, degree)
    ones = np.ones(num_nodes)
    walks = adj @ ones  # walks of length 1 ending at each node
    total = float(walks.sum())
    for _ in range(k - 1):
        walks = adj @ np.where(middle > 0, walks, 0.0)
        total += float(walks.sum())
    return int(min(total, float(num_nodes) * num_nodes))


def k_hop_edges(edge_index: np.ndarray, num_nodes: int, k: int = 1, hub_degree: int | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of nodes at most ``k`` steps apart in the undirected graph, hubs pruned as middle steps.

    A path i - m_1 - ... - m_{t-1} - j counts only when every middle node m has degree (distinct
    neighbours) <= ``hub_degree``; hubs are still reachable as endpoints. ``hub_degree=None`` prunes
    nothing (use :func:`k_hop_pair_bound` first: unpruned 2-hop neighbourhoods of metabolic graphs
    explode through currency metabolites).

    Returns ``(edge_index, hops)``: (2, E) int64 in both directions, no self-loops, sorted by
    (target, source), and (E,) int64 the shortest allowed path length (1..k).
    """
    assert k >= 1, f"k must be >= 1, got {k}"
    adj = adjacency(edge_index, num_nodes)
    if num_nodes == 0:
        return np.zeros((2, 0), dtype=np.int64), np.zeros(0, dtype=np.int64)
    degree = np.diff(adj.indptr)
    allowed = np.ones(num_nodes, dtype=bool) if hub_degree is None else degree <= hub_degree
    nodes = np.arange(num_nodes)
    keep_rows = sp.csr_matrix((allowed.astype(np.int32), (nodes, nodes)), shape=(num_nodes, num_nodes))
    through = (keep_rows @ adj).tocsr()  # no step out of a hub
    # Breadth-first over pairs: the prefix of a shortest allowed path is itself shortest and
    # allowed, so pairs first reached at t+1 are one step from pairs first reached at t.
    reach = (adj + sp.identity(num_nodes, dtype=np.int32, format="csr")).tocsr()
    frontier = adj.copy()
    dist = adj.copy()  # value = hop count
    for t in range(2, k + 1):
        step = (frontier @ through).tocsr()
        step.data[:] = 1
        new = (step - step.multiply(reach)).tocsr()
        new.eliminate_zeros()
        if new.nnz == 0:
            break
        new.data[:] = 1
        reach = (reach + new).tocsr()
        dist = (dist + new * t).tocsr()
        frontier = new
    dist = dist.tocoo()
    target, source, h = dist.row.astype(np.int64), dist.col.astype(np.int64), dist.data.astype(np.int64)
    keep = target != source
    out = np.stack([source[keep], target[keep]])
    order = sort_edges(out)
    return out[:, order], h[keep][order]
