"""core.views: layout, neighbourhoods, drawing arrays and heatmap grids, on tiny hand-checkable graphs
and the real textbook model."""

from __future__ import annotations

import numpy as np
import pytest

from core.attention.result import AttentionConfig, AttentionResult
from core.graph import remove_currency
from core.views import (
    PEN_DTYPE, canonical_edges, clear_layout_cache, edge_lookup, graph_arrays, graph_edge_attention,
    heatmap_grid, heatmap_window, layout, layout_key, neighbourhood, pathway_order, whole_graph,
)


def random_attention(graph, conditions=("glucose", "acetate"), layers=2, heads=3, seed=0) -> AttentionResult:
    """A well-formed AttentionResult on ``graph``: random weights softmax-normalised over each target's
    incoming edges (graph edges in both directions + self-loops)."""
    rng = np.random.default_rng(seed)
    n = graph.n_nodes
    s, t = graph.edge_index
    pairs = np.unique(np.concatenate([np.stack([s, t], 1), np.stack([t, s], 1),
                                      np.stack([np.arange(n)] * 2, 1)]), axis=0)
    edge_index = pairs.T.copy()  # [2, E]; row 0 source, row 1 target
    n_c, e = len(conditions), edge_index.shape[1]
    logits = rng.normal(size=(layers, n_c, e, heads))
    w = np.exp(logits)
    denom = np.zeros((layers, n_c, n, heads))
    np.add.at(denom, (slice(None), slice(None), edge_index[1]), w)
    w = w / denom[:, :, edge_index[1]]
    cross = rng.random((n, heads, n_c, n_c))
    cross /= cross.sum(-1, keepdims=True)
    imp = rng.gamma(0.5, size=(n_c, n))
    imp /= imp.sum(1, keepdims=True)
    return AttentionResult(
        config=AttentionConfig(heads=heads, layers=layers, d_model=heads * 4), condition_names=tuple(conditions),
        node_ids=graph.node_ids, node_types=graph.node_types, edge_index=edge_index,
        self_attention=w.astype(np.float32), cross_attention=cross.astype(np.float32),
        importance=imp.astype(np.float32), node_features=np.zeros((n_c, n, 2), np.float32),
        embeddings=np.zeros((n_c, n, heads * 4), np.float32), feature_names=("a", "b"))


@pytest.fixture(scope="module")
def graph(textbook_graph):
    return remove_currency(textbook_graph)


@pytest.fixture(scope="module")
def attention(graph):
    return random_attention(graph)


def test_random_attention_is_well_formed(graph, attention):
    sums = np.zeros((2, 2, graph.n_nodes, 3))
    np.add.at(sums, (slice(None), slice(None), attention.edge_index[1]), attention.self_attention)
    assert np.allclose(sums, 1.0, atol=1e-5)


def test_canonical_edges_ignores_direction_duplicates_and_loops():
    e = np.array([[1, 0], [0, 1], [2, 2], [2, 1], [1, 2]])
    assert canonical_edges(e).tolist() == [[0, 1], [1, 2]]
    assert layout_key(3, e, 0) == layout_key(3, np.array([[0, 1], [1, 2]]), 0)
    assert layout_key(3, e, 0) != layout_key(3, e, 1)
    assert layout_key(3, e, 0) != layout_key(4, e, 0)


def test_layout_shape_scale_and_determinism(graph):
    clear_layout_cache()
    a = layout(graph, seed=3)
    clear_layout_cache()
    b = layout(graph, seed=3)
    c = layout(graph, seed=4)
    assert a.shape == (graph.n_nodes, 2) and a.dtype == np.float64
    assert np.isfinite(a).all() and np.abs(a).max() == pytest.approx(1.0)
    assert np.allclose(a.mean(axis=0), 0.0, atol=1e-9)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)


def test_layout_tiny_cases():
    assert layout(np.zeros((0, 2), int), n_nodes=0).shape == (0, 2)
    assert layout(np.zeros((0, 2), int), n_nodes=1).tolist() == [[0.0, 0.0]]
    pos = layout(np.array([[0, 1]]), n_nodes=3)  # node 2 isolated, still placed
    assert pos.shape == (3, 2) and np.isfinite(pos).all()
    with pytest.raises(ValueError):
        layout(np.array([[0, 5]]), n_nodes=3)


def test_layout_memory_cache_returns_copies(graph):
    a = layout(graph, seed=0)
    a[:] = 99.0
    assert not np.allclose(layout(graph, seed=0), 99.0)


def test_layout_disk_cache_roundtrip(graph, tmp_path):
    clear_layout_cache()
    a = layout(graph, seed=5, disk_cache=True, cache_folder=tmp_path)
    files = list(tmp_path.glob("layout-*.npy"))
    assert len(files) == 1
    assert np.load(files[0], allow_pickle=False).shape == (graph.n_nodes, 2)
    # A planted file under the key is what comes back: proof the disk copy is read, not recomputed.
    planted = np.full_like(a, 0.5)
    np.save(files[0], planted, allow_pickle=False)
    clear_layout_cache()
    assert np.array_equal(layout(graph, seed=5, disk_cache=True, cache_folder=tmp_path), planted)
    # A damaged file is dropped and recomputed.
    files[0].write_bytes(b"not numpy")
    clear_layout_cache()
    assert np.array_equal(layout(graph, seed=5, disk_cache=True, cache_folder=tmp_path), a)
    assert not list(tmp_path.glob("*.part"))


def test_edge_lookup_hand_case():
    edge_index = np.array([[0, 1, 2, 1], [1, 0, 1, 1]])
    w = np.array([0.1, 0.2, 0.3, 0.4])
    got = edge_lookup(edge_index, w, 3, np.array([1, 2, 0, 2]), np.array([0, 1, 2, 2]), missing=-1)
    assert got.tolist() == [0.2, 0.3, -1, -1]
    w2 = np.stack([w, 10 * w])  # leading axes kept
    assert edge_lookup(edge_index, w2, 3, np.array([0]), np.array([1])).tolist() == [[0.1], [1.0]]


def test_graph_edge_attention_takes_the_stronger_direction(graph, attention):
    w = graph_edge_attention(graph, attention, condition=1, layer=0, head=2)
    s, t = graph.edge_index
    sl = attention.self_attention[0, 1, :, 2]
    lookup = {(a, b): float(x) for a, b, x in zip(attention.edge_index[0], attention.edge_index[1], sl)}
    for g in range(0, graph.n_edges, 17):
        assert w[g] == pytest.approx(max(lookup[(s[g], t[g])], lookup[(t[g], s[g])]))


def test_neighbourhood_top_k(graph, attention):
    nbh = neighbourhood(graph, attention, top_k=5, condition=0, per_node=3, max_nodes=30)
    top5 = np.argsort(-attention.importance[0], kind="stable")[:5]
    assert nbh.nodes[:5].tolist() == top5.tolist()
    assert nbh.is_seed.sum() == 5 and nbh.is_seed[:5].all()
    assert 5 < nbh.n_nodes <= 5 + 5 * 3
    assert len(set(nbh.nodes.tolist())) == nbh.n_nodes
    # Every graph edge between chosen nodes is there, none other.
    chosen = set(nbh.nodes.tolist())
    expect = sum(1 for a, b in graph.edge_index.T if a in chosen and b in chosen)
    assert nbh.n_edges == expect
    assert nbh.edges.min() >= 0 and nbh.edges.max() < nbh.n_nodes
    assert (nbh.edge_weight > 0).all() and (nbh.edge_weight <= 1).all()
    assert np.allclose(nbh.node_weight, attention.importance[0, nbh.nodes])
    assert nbh.ids == tuple(graph.node_ids[i] for i in nbh.nodes)
    assert nbh.to_dict()["nodes"][0]["seed"] is True


def test_neighbourhood_centre_by_id(graph, attention):
    nbh = neighbourhood(graph, attention, centre="PGI", max_nodes=50)
    centre = graph.index["PGI"]
    assert nbh.nodes[0] == centre and nbh.is_seed.tolist() == [True] + [False] * (nbh.n_nodes - 1)
    s, t = graph.edge_index
    neighbours = set(t[s == centre].tolist()) | set(s[t == centre].tolist())
    assert set(nbh.nodes[1:].tolist()) == neighbours
    capped = neighbourhood(graph, attention, centre=centre, max_nodes=2)
    assert capped.n_nodes == 2
    with pytest.raises(KeyError):
        neighbourhood(graph, attention, centre="no such node")


def test_graph_arrays_for_pyqtgraph(graph, attention):
    nbh = neighbourhood(graph, attention, top_k=6)
    arr = graph_arrays(nbh)
    k, m = nbh.n_nodes, nbh.n_edges
    assert arr.pos.shape == (k, 2) and arr.adj.shape == (m, 2) and arr.adj.dtype.kind == "i"
    assert arr.pens.dtype == PEN_DTYPE and arr.pens.shape == (m,)
    strongest = int(np.argmax(nbh.edge_weight))
    assert arr.pens["alpha"][strongest] == 255 and arr.pens["width"][strongest] == pytest.approx(4.5)
    assert arr.pens["width"].min() >= 0.5
    is_met = nbh.types == 0
    assert [s == "o" for s in arr.symbols] == is_met.tolist()
    assert (arr.brushes[is_met, 0] == 214).all() and (arr.brushes[~is_met, 2] == 180).all()
    assert arr.sizes.max() == pytest.approx(24.0)
    assert set(arr.setdata_kwargs()) >= {"pos", "adj", "pen", "symbol", "size", "symbolBrush"}
    fixed = graph_arrays(nbh, pos=np.zeros((k, 2)))
    assert (fixed.pos == 0).all()


def test_whole_graph_arrays(graph, attention):
    nbh = whole_graph(graph, attention, condition=1)
    assert nbh.n_nodes == graph.n_nodes and nbh.n_edges == graph.n_edges
    assert np.array_equal(nbh.edges, graph.edge_index.T)
    assert np.allclose(nbh.edge_weight, graph_edge_attention(graph, attention, condition=1))
    arr = graph_arrays(nbh, pos=layout(graph))
    assert arr.pos.shape == (graph.n_nodes, 2) and arr.adj.shape == (graph.n_edges, 2)
    bare = graph_arrays(whole_graph(graph))
    assert (bare.edge_strength == 0).all() and (bare.sizes == 8).all()


def test_pathway_order_blocks(graph):
    order = pathway_order(graph)
    assert sorted(order.order.tolist()) == list(range(graph.n_nodes))
    assert (order.rank[order.order] == np.arange(graph.n_nodes)).all()
    assert order.starts[0] == 0 and order.starts[-1] == graph.n_nodes
    assert len(order.names) == len(order.starts) - 1
    for b, name in enumerate(order.names):
        block = order.order[order.starts[b]:order.starts[b + 1]]
        assert {graph.primary_pathway[i] for i in block} == {name}
        types = graph.node_types[block]
        assert (np.diff(types) >= 0).all()  # metabolites before reactions inside a pathway
    if "Unassigned" in order.names:
        assert order.names[-1] == "Unassigned"


def test_heatmap_grid_exact_and_pooled():
    class G:  # three nodes, no pathways: order is graph order
        n_nodes = 3
        primary_pathway = ("Unassigned",) * 3
        node_types = np.zeros(3, np.int8)

    order = pathway_order(G)
    edge_index = np.array([[0, 1, 2, 2], [0, 0, 1, 2]])
    w = np.array([0.25, 0.75, 1.0, 0.5])
    grid = heatmap_grid(edge_index, w, order)
    expect = np.full((3, 3), np.nan)
    expect[0, 0], expect[0, 1], expect[1, 2], expect[2, 2] = 0.25, 0.75, 1.0, 0.5
    assert np.array_equal(np.isnan(grid.values), np.isnan(expect))
    assert np.allclose(np.nan_to_num(grid.values), np.nan_to_num(expect))
    pooled = heatmap_grid(edge_index, w, order, max_pixels=1)
    assert pooled.values.shape == (1, 1) and pooled.values[0, 0] == 1.0 and pooled.nodes_per_pixel == 3
    # The zoomed-in window is the exact grid's block, at one cell per node pair.
    window = heatmap_window(edge_index, w, order, rows=(0, 2), cols=(1, 3))
    assert window.shape == (2, 2)
    assert np.array_equal(np.isnan(window), np.isnan(expect[0:2, 1:3]))
    assert np.allclose(np.nan_to_num(window), np.nan_to_num(expect[0:2, 1:3]))
    assert heatmap_window(edge_index, w, order, rows=(2, 2), cols=(0, 3)).shape == (0, 3)


def test_heatmap_window_agrees_with_the_full_grid_on_a_real_graph(textbook):
    from core.graph import build_graph

    g = remove_currency(build_graph(textbook))
    att = random_attention(g)
    order = pathway_order(g)
    w = att.self_attention[1, 0].mean(axis=1)
    full = heatmap_grid(att.edge_index, w, order, max_pixels=10_000).values
    assert full.shape == (g.n_nodes, g.n_nodes)
    for rows, cols in (((0, g.n_nodes), (0, g.n_nodes)), ((10, 57), (3, 90)), ((40, 41), (0, g.n_nodes))):
        part = heatmap_window(att.edge_index, w, order, rows, cols)
        block = full[rows[0]:rows[1], cols[0]:cols[1]]
        assert np.array_equal(np.isnan(part), np.isnan(block)) and np.allclose(np.nan_to_num(part), np.nan_to_num(block))
    assert np.isfinite(full).sum() == att.edge_index.shape[1]


@pytest.mark.slow
def test_layout_genome_scale_is_fast(ijo1366):
    import time

    from core.graph import build_graph

    g = remove_currency(build_graph(ijo1366))
    clear_layout_cache()
    t0 = time.perf_counter()
    pos = layout(g, seed=0)
    assert time.perf_counter() - t0 < 5.0
    assert pos.shape == (g.n_nodes, 2) and np.isfinite(pos).all()
    t0 = time.perf_counter()
    layout(g, seed=0)
    assert time.perf_counter() - t0 < 0.1


def test_shorten_collapses_whitespace_and_cuts_with_an_ellipsis():
    from core.views import shorten

    assert shorten("  a\n b\tc ") == "a b c"
    assert shorten("abcdef", 4) == "abc…" and shorten("abcd", 4) == "abcd"
    assert shorten(12345, None) == "12345"
