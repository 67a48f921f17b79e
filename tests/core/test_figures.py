"""Publication figures: each is a real Figure with an Agg canvas, saves as a 300 DPI PNG with content."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from PIL import Image

from core import figures as F
from core.export import export_figure_png
from core.figures._style import plain
from core.views import graph_arrays, neighbourhood, pathway_order


def pipeline(conditions: tuple[str, ...], model: str = "textbook"):
    """(graph, condition results, attention, analysis) from the real pipeline, on one torch thread."""
    import torch

    from core.pipeline import RunSettings, run_pipeline

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        r = run_pipeline(RunSettings(model=model, conditions=conditions, top_k=10, weights="none"))
    finally:
        torch.set_num_threads(threads)
    return r.graph, r.usable_conditions, r.attention, r.analysis


@pytest.fixture(scope="module")
def run():
    return pipeline(("glucose", "acetate"))


def check_png(fig, path) -> np.ndarray:
    assert isinstance(fig, Figure) and isinstance(fig.canvas, FigureCanvasAgg)
    export_figure_png(fig, path)
    with Image.open(path) as img:
        dpi = img.info["dpi"]
        assert dpi[0] == pytest.approx(300, abs=0.5) and dpi[1] == pytest.approx(300, abs=0.5)
        pixels = np.asarray(img.convert("L"), dtype=np.float64)
    assert pixels.shape[0] > 600 and pixels.shape[1] > 600
    assert pixels.std() > 5.0, "figure is blank"
    assert (pixels < 128).mean() > 0.002, "figure has almost no dark content"
    return pixels


FIGURES = {
    "heatmap": lambda g, c, a, r: F.attention_heatmap(g, a, condition=1, layer=0, head=2, cmap="plasma"),
    "heatmap_log": lambda g, c, a, r: F.attention_heatmap(g, a, scale="log", cmap="inferno"),
    "pathway": lambda g, c, a, r: F.pathway_heatmap(r.pathways, 0),
    "pathway_mean": lambda g, c, a, r: F.pathway_heatmap(r.pathways, 1, value="flow_mean", scale="linear",
                                                        max_pathways=4),
    "network": lambda g, c, a, r: F.network_figure(graph_arrays(neighbourhood(g, a, top_k=8)), title="top"),
    "network_centre": lambda g, c, a, r: F.network_figure(graph_arrays(neighbourhood(g, a, centre="PGI"))),
    "growth": lambda g, c, a, r: F.growth_figure(c),
    "top_nodes": lambda g, c, a, r: F.top_nodes_figure(r.conditions, k=8),
    "shifts": lambda g, c, a, r: F.shifts_figure(r.conditions),
    "cross": lambda g, c, a, r: F.cross_condition_figure(r.conditions),
    "weights": lambda g, c, a, r: F.weight_histograms(a),
    "entropy": lambda g, c, a, r: F.entropy_histograms(r.entropy, layer=0),
    "scatter": lambda g, c, a, r: F.importance_scatter(r.correlations, r.importance, g.node_types, 1),
    "layers": lambda g, c, a, r: F.layer_figure(r.entropy, r.sparsity, r.layers),
}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figure_saves_as_300_dpi_png_with_content(run, name, tmp_path):
    check_png(FIGURES[name](*run), tmp_path / f"{name}.png")


def test_heatmap_draws_the_sparse_matrix_in_pathway_order(run):
    graph, _, att, _ = run
    fig = F.attention_heatmap(graph, att, condition=0, layer=-1)
    image = np.asarray(fig.axes[0].images[0].get_array())
    assert image.shape == (graph.n_nodes, graph.n_nodes, 4)  # small model: one pixel per node
    white = (image[..., :3] == 255).all(axis=-1)
    assert int((~white).sum()) == att.n_edges  # every attention edge is coloured, nothing else
    order = pathway_order(graph)
    i, j = graph.index["PGI"], graph.index["g6p_c"]  # PGI attends to g6p_c
    assert not white[order.rank[i], order.rank[j]]
    w = att.self_attention[-1, 0].mean(axis=1)
    assert fig.axes[1].get_ylabel() == "attention weight"  # the colour bar, up to the largest weight
    assert fig.axes[1].get_ylim()[1] == pytest.approx(float(w.max()), rel=1e-6)


def test_heatmap_pools_pixels_without_densifying(run):
    graph, _, att, _ = run
    fig = F.attention_heatmap(graph, att, max_pixels=50)
    assert fig.axes[0].images[0].get_array().shape == (50, 50, 4)
    assert "1 pixel =" in fig.axes[0].get_title()


def test_unknown_colormap_and_scale_are_refused(run):
    graph, _, att, rep = run
    with pytest.raises(ValueError, match="viridis"):
        F.attention_heatmap(graph, att, cmap="jet")
    with pytest.raises(ValueError):
        F.attention_heatmap(graph, att, scale="sqrt")
    with pytest.raises(ValueError):
        F.pathway_heatmap(rep.pathways, value="nope")


def test_network_figure_marks_types(run):
    graph, _, att, _ = run
    nbh = neighbourhood(graph, att, top_k=6)
    fig = F.network_figure(graph_arrays(nbh))
    ax = fig.axes[0]
    markers = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert sum(len(c.get_offsets()) for c in markers) == nbh.n_nodes
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(lines) == 1 and len(lines[0].get_segments()) == nbh.n_edges
    assert len(ax.texts) == nbh.n_nodes


def test_growth_figure_shows_measured_growth(textbook, run):
    from dataclasses import replace

    from core.conditions import ConditionResult

    conds = run[1]
    measured = [ConditionResult(replace(c.condition, measured_growth=0.5), c.growth_rate, c.status, c.objective_id,
                                c.reaction_ids, c.fluxes) for c in conds]
    fig = F.growth_figure(measured)
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert heights[: len(conds)] == pytest.approx([c.growth_rate for c in conds])
    assert heights[len(conds):] == pytest.approx([0.5] * len(conds))


def test_text_from_models_is_shown_literally():
    assert plain("a $x$ b") == r"a \$x\$ b"
    assert plain("long name " * 10, 12).endswith("…") and len(plain("long name " * 10, 12)) == 12


def test_figures_with_dollar_signs_and_markup_in_names_render(run, tmp_path):
    from dataclasses import replace

    graph, _, att, _ = run
    names = list(graph.node_names)
    for i in range(0, graph.n_nodes, 3):
        names[i] = f"$\\frac{{a}}{{{i}}}$ <b>{names[i]}</b> $"
    weird = replace(graph, node_names=tuple(names))
    check_png(F.network_figure(graph_arrays(neighbourhood(weird, att, top_k=10))), tmp_path / "weird.png")


def test_figures_build_in_parallel_threads(run, tmp_path):
    graph, conds, att, rep = run
    errors = []

    def work(k):
        try:
            for name in ("heatmap", "layers"):
                export_figure_png(FIGURES[name](graph, conds, att, rep), tmp_path / f"{name}_{k}.png")
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    a = np.asarray(Image.open(tmp_path / "heatmap_0.png"))
    b = np.asarray(Image.open(tmp_path / "heatmap_1.png"))
    assert np.array_equal(a, b)


def test_single_condition_figures_say_there_is_nothing_to_compare(tmp_path):
    _, _, _, rep = pipeline(("glucose",))
    fig = F.shifts_figure(rep.conditions)
    assert "nothing to compare" in fig.axes[0].texts[0].get_text()
    check_png(F.layer_figure(rep.entropy, rep.sparsity, rep.layers), tmp_path / "one_layer.png")


def test_png_drawn_once_has_savefigs_pixels_at_300_dpi(run, tmp_path):
    """export_figure_png draws once and saves RGB (issue 17): the pixels are savefig's, the DPI 300."""
    import io

    graph, conds, att, rep = run
    for make in (lambda: F.attention_heatmap(graph, att, 0), lambda: F.pathway_heatmap(rep.pathways, 1),
                 lambda: F.layer_figure(rep.entropy, rep.sparsity, rep.layers)):
        path = tmp_path / "fig.png"
        export_figure_png(make(), path)
        reference = io.BytesIO()
        make().savefig(reference, format="png", dpi=300)
        with Image.open(path) as got, Image.open(reference) as want:
            assert got.mode == "RGB" and want.mode == "RGBA"
            assert got.info["dpi"] == pytest.approx((300, 300), abs=0.5)
            want = np.asarray(want)
            assert (want[..., 3] == 255).all()
            np.testing.assert_array_equal(np.asarray(got), want[..., :3])


def test_a_transparent_figure_keeps_its_alpha(tmp_path):
    fig = F.new_figure(2, 2)
    fig.patch.set_alpha(0.0)
    fig.add_subplot().plot([0, 1], [1, 0])
    export_figure_png(fig, tmp_path / "t.png")
    with Image.open(tmp_path / "t.png") as img:
        assert img.mode == "RGBA" and np.asarray(img)[0, 0, 3] == 0
