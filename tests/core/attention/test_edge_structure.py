"""core.attention.edge_structure on its own: symmetrising, self-loops and k-hop edges, hand-computed."""

from __future__ import annotations

import numpy as np

from core.attention.edge_structure import add_self_loops, k_hop_edges, k_hop_pair_bound, symmetrise


def pairs(edge_index) -> set[tuple[int, int]]:
    return {(int(s), int(t)) for s, t in np.asarray(edge_index).T}


def undirected(*edges) -> set[tuple[int, int]]:
    return {(a, b) for a, b in edges} | {(b, a) for a, b in edges}


def test_symmetrise_dedupes_and_sorts_by_target():
    ei = np.array([[0, 1, 1, 2], [1, 0, 2, 2]])  # 0->1 and 1->0 twice over, a self-loop 2->2
    out = symmetrise(ei, 3)
    assert pairs(out) == {(0, 1), (1, 0), (1, 2), (2, 1), (2, 2)}
    assert out.shape[1] == 5
    key = out[1] * 3 + out[0]
    assert np.all(np.diff(key) > 0)


def test_add_self_loops_replaces_existing_loops():
    ei = np.array([[0, 2, 1], [1, 2, 0]])
    out = add_self_loops(ei, 3)
    assert pairs(out) == {(0, 1), (1, 0), (0, 0), (1, 1), (2, 2)}
    assert out.shape[1] == 5
    assert np.all(np.diff(out[1] * 3 + out[0]) > 0)
    assert add_self_loops(np.zeros((2, 0), dtype=np.int64), 2).tolist() == [[0, 1], [0, 1]]


# 0 - 1 - 2 - 3 is a path; 4 is a hub (degree 4 > hub_degree 3) joined to 0, 2, 5 and 6.
HUB_GRAPH = np.array([[0, 1, 2, 4, 4, 4, 4], [1, 2, 3, 0, 2, 5, 6]])
ONE_HOP = undirected((0, 1), (1, 2), (2, 3), (0, 4), (2, 4), (4, 5), (4, 6))


def test_k_hop_with_hub_pruning_hand_computed():
    ei, hops = k_hop_edges(HUB_GRAPH, 7, k=2, hub_degree=3)
    # Middle steps allowed through 0, 1, 2, 3, 5, 6 but never through the hub 4:
    # via 1: 0~2; via 2 (degree 3): 1~3, 1~4, 3~4; via 0: 1~4 again. Not 0~5, 0~6, 2~5, 2~6, 5~6.
    two = undirected((0, 2), (1, 3), (1, 4), (3, 4))
    assert pairs(ei) == ONE_HOP | two
    by_pair = {(int(s), int(t)): int(h) for (s, t), h in zip(ei.T, hops)}
    assert all(by_pair[p] == 1 for p in ONE_HOP) and all(by_pair[p] == 2 for p in two)
    assert np.all(np.diff(ei[1] * 7 + ei[0]) > 0)


def test_k_hop_three_hops_and_unpruned():
    ei, hops = k_hop_edges(HUB_GRAPH, 7, k=3, hub_degree=3)
    by_pair = {(int(s), int(t)): int(h) for (s, t), h in zip(ei.T, hops)}
    # The only 3-hop pair: 0 - 1 - 2 - 3 (paths through the hub are not allowed).
    assert {p for p, h in by_pair.items() if h == 3} == undirected((0, 3))
    ei_all, _ = k_hop_edges(HUB_GRAPH, 7, k=2, hub_degree=None)
    assert pairs(ei_all) == ONE_HOP | undirected((0, 2), (1, 3), (1, 4), (3, 4), (0, 5), (0, 6), (2, 5), (2, 6),
                                                   (5, 6))


def test_k_hop_one_is_the_symmetrised_graph_and_bound_holds():
    ei, hops = k_hop_edges(HUB_GRAPH, 7, k=1)
    assert pairs(ei) == ONE_HOP and set(hops.tolist()) == {1}
    for k, hub in ((1, None), (2, 3), (2, None), (3, 3)):
        ei, _ = k_hop_edges(HUB_GRAPH, 7, k=k, hub_degree=hub)
        assert k_hop_pair_bound(HUB_GRAPH, 7, k, hub) >= ei.shape[1]
