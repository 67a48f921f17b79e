"""Exports on real runs: every file opens, holds the run's numbers, never leaks model markup, and an
interrupted or refused run leaves the folder without partial files."""

from __future__ import annotations

import csv
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.errors import Cancelled, InputError
from core.export import (
    ALL_FORMATS, condition_slugs, export_graphml, plan_outputs, slug, write_outputs,
)
from core.graph import REACTION

NASTY = {
    "script": '<script>alert("xss-script")</script>',
    "quote": 'He said "xss-quote" & left',
    "div": "</div><img src=x onerror=alert('xss-div')>",
}


def run_result(model: str, conditions: tuple[str, ...]):
    """The real pipeline (FBA, attention, analysis) on one torch thread."""
    import torch

    from core.pipeline import RunSettings, run_pipeline

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return run_pipeline(RunSettings(model=model, conditions=conditions, top_k=10))
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def result():
    return run_result("textbook", ("glucose", "acetate"))


@pytest.fixture(scope="module")
def written(result, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    calls = []
    paths = write_outputs(result, out, progress=lambda f, m: calls.append((f, m)))
    return out, paths, calls


# --------------------------------------------------------------------------- HTML checks


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def assert_offline(text: str) -> None:
    """No element loads anything from the network. Plotly's own bundle (inlined verbatim) mentions
    URLs inside JavaScript (its logo link, map tile servers for map traces this app never makes);
    those are not markup, so the regex runs over everything except that exact bundle."""
    import plotly.offline

    parser = _Tags()
    parser.feed(text)
    for tag, attrs in parser.tags:
        assert tag not in ("link", "iframe", "img", "object", "embed"), tag
        for key, value in attrs:
            if key in ("src", "href"):
                assert not re.match(r"\s*(https?:)?//", value or ""), (tag, key, value)
    assert any(tag == "script" for tag, _ in parser.tags)
    bundle = plotly.offline.get_plotlyjs()
    assert text.count(bundle) == 1, "plotly.js must be inlined exactly once, unmodified"
    rest = text.replace(bundle, "")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", rest, re.I)


# --------------------------------------------------------------------------- names


def test_slugs_are_file_safe_and_distinct():
    assert slug("glucose (10 mM)/anaerobic") == "glucose_10_mM_anaerobic"
    assert slug("<<>>") == "condition" and slug("", "c3") == "c3"
    assert condition_slugs(["A b", "a-b", "A_b", "???"]) == ("A_b", "a-b", "A_b_2", "condition4")
    assert condition_slugs(["X", "x"]) == ("X", "x_2")  # case-blind file systems


# --------------------------------------------------------------------------- the full set


def test_every_planned_file_is_written(result, written):
    out, paths, _ = written
    plan = plan_outputs(result)
    assert [p.name for p in paths] == [f.name for f in plan]
    assert {f.format for f in plan} == set(ALL_FORMATS)
    assert sorted(p.name for p in out.iterdir()) == sorted(f.name for f in plan)
    assert not list(out.glob("*.part")) and not list(out.glob(".*"))
    for name in ("report.json", "attention.npz", "summary.md", "graph.graphml", "node_importance.csv",
                 "pathway_scores.csv", "escher_glucose.json", "escher_acetate.json", "heatmap_glucose.png",
                 "network_acetate.png", "attention_heatmap.html", "network.html", "conditions.html"):
        assert (out / name).stat().st_size > 0, name


def test_progress_is_called_per_file(written):
    _, paths, calls = written
    fractions = [f for f, _ in calls]
    assert len(calls) == len(paths) + 1
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert calls[0][1] == "Writing report.json"


def test_pngs_are_300_dpi_with_content(written):
    out, paths, _ = written
    pngs = [p for p in paths if p.suffix == ".png"]
    assert len(pngs) >= 14
    for path in pngs:
        with Image.open(path) as img:
            assert img.format == "PNG"
            assert img.info["dpi"][0] == pytest.approx(300, abs=0.5), path.name
            pixels = np.asarray(img.convert("L"), dtype=np.float64)
        assert pixels.std() > 5.0, f"{path.name} is blank"


def test_html_is_self_contained_and_offline(written):
    out, paths, _ = written
    for path in [p for p in paths if p.suffix == ".html"]:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
        assert_offline(text)


def test_report_and_summary(result, written):
    out, _, _ = written
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["format"] == "metattn-report"
    assert [c["name"] for c in report["conditions"]] == ["glucose", "acetate"]
    assert "analysis" in report
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("#") and "glucose" in summary


def test_graphml_loads_with_attributes(result, written):
    import networkx as nx

    out, _, _ = written
    g = nx.read_graphml(out / "graph.graphml")
    graph, att = result.graph, result.attention
    assert g.number_of_nodes() == graph.n_nodes and g.number_of_edges() == graph.n_edges
    pgi = g.nodes["R_PGI"]
    i = graph.index["PGI"]
    assert pgi["name"] == graph.node_names[i] and pgi["type"] == "reaction"
    assert pgi["importance_glucose"] == pytest.approx(float(att.importance[0, i]), rel=1e-6)
    assert pgi["rank_acetate"] >= 1
    glucose_flux = dict(zip(result.conditions[0].reaction_ids, result.conditions[0].fluxes))["PGI"]
    assert pgi["flux_glucose"] == pytest.approx(glucose_flux)
    # Edge g6p_c -> PGI: PGI attends to g6p_c with the mean over heads of the last layer.
    j = graph.index["g6p_c"]
    edge = g.edges["M_g6p_c", "R_PGI"]
    hit = np.flatnonzero((att.edge_index[0] == j) & (att.edge_index[1] == i))[0]
    assert edge["attention_acetate"] == pytest.approx(float(att.self_attention[-1, 1, hit].mean()), rel=1e-5)
    back = np.flatnonzero((att.edge_index[0] == i) & (att.edge_index[1] == j))[0]
    assert edge["attention_reverse_glucose"] == pytest.approx(float(att.self_attention[-1, 0, back].mean()),
                                                              rel=1e-5)
    assert edge["attention_L1_glucose"] == pytest.approx(float(att.self_attention[0, 0, hit].mean()), rel=1e-5)
    assert edge["coefficient"] == -1.0
    for _, data in g.nodes(data=True):
        assert all(isinstance(v, (str, float, int, bool)) for v in data.values())


def test_node_csv_parses_and_matches(result, written):
    out, _, _ = written
    with open(out / "node_importance.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    graph, att = result.graph, result.attention
    assert len(rows) == graph.n_nodes
    assert list(rows[0])[:6] == ["rank", "id", "name", "type", "pathway", "compartment"]
    by_id = {(r["id"], r["type"]): r for r in rows}
    i = graph.index["PGI"]
    row = by_id[("PGI", "reaction")]
    assert float(row["importance_glucose"]) == pytest.approx(float(att.importance[0, i]), rel=1e-6)
    top = int(np.argmax(att.importance[1]))
    assert by_id[(graph.node_ids[top], ["metabolite", "reaction"][graph.node_types[top]])]["rank_acetate"] == "1"
    means = [float(r["mean_importance"]) for r in rows]
    assert means == sorted(means, reverse=True) and [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))


def test_pathway_csv_matches_analysis(result, written):
    out, _, _ = written
    pw = result.analysis.pathways
    with open(out / "pathway_scores.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(pw.names)
    assert [r["pathway"] for r in rows] == [pw.names[p] for p in pw.ranking[0]]
    first = rows[0]
    p = pw.ranking[0][0]
    assert first["rank_glucose"] == "1"
    assert float(first["importance_acetate"]) == pytest.approx(pw.importance[1, p], rel=1e-6)
    assert float(first["enrichment_glucose"]) == pytest.approx(pw.enrichment[0, p], rel=1e-5)
    assert int(first["nodes"]) == int(pw.n_nodes[p])


def test_escher_reaction_data(result, written):
    out, _, _ = written
    graph, att = result.graph, result.attention
    data = json.loads((out / "escher_acetate.json").read_text(encoding="utf-8"))
    rxn = np.flatnonzero(graph.node_types == REACTION)
    linked = set(graph.edge_index.ravel().tolist())
    # Reactions whose metabolites were all currency have no attention data: left out, not written as 0.
    left_out = {graph.node_ids[i] for i in rxn if i not in linked}
    assert {"ATPS4r", "CYTBD", "NADH16", "THD2", "EX_o2_e", "EX_co2_e", "EX_nh4_e", "EX_pi_e"} <= left_out
    assert set(data) == {graph.node_ids[i] for i in rxn if i in linked} | {"BIOMASS_Ecoli_core_w_GAM"}
    assert not left_out & set(data)
    assert data["PGI"] == pytest.approx(float(att.importance[1, graph.index["PGI"]]))
    # textbook's biomass id is not the one on Escher's standard e_coli_core map: written under both
    assert data["BIOMASS_Ecoli_core_w_GAM"] == data["Biomass_Ecoli_core"] > 0
    assert all(isinstance(v, float) for v in data.values())


def test_escher_files_come_with_json_alone(result, tmp_path):
    paths = write_outputs(result, tmp_path, formats=("json",))
    assert {"escher_glucose.json", "escher_acetate.json"} <= {p.name for p in paths}


def test_attention_npz_opens(result, written):
    from core.attention import read_attention_npz

    out, _, _ = written
    with np.load(out / "attention.npz", allow_pickle=False) as npz:
        assert npz["self_attention"].shape == result.attention.self_attention.shape
    back = read_attention_npz(out / "attention.npz")
    assert np.array_equal(back.importance, result.attention.importance)
    assert back.node_ids == result.attention.node_ids


# --------------------------------------------------------------------------- refusing, stopping, failing


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_existing_file_is_refused_before_anything_is_written(result, tmp_path):
    (tmp_path / "layers.png").write_bytes(b"mine")
    with pytest.raises(InputError, match="layers.png"):
        write_outputs(result, tmp_path, formats=("png", "csv"))
    assert files_in(tmp_path) == ["layers.png"]
    assert (tmp_path / "layers.png").read_bytes() == b"mine"


def test_force_replaces_existing_files(result, tmp_path):
    (tmp_path / "node_importance.csv").write_text("old")
    paths = write_outputs(result, tmp_path, formats=("csv",), force=True)
    assert (tmp_path / "node_importance.csv").read_text().startswith("rank,id,name")
    assert {p.name for p in paths} == set(files_in(tmp_path))


def test_formats_subset_and_unknown_format(result, tmp_path):
    paths = write_outputs(result, tmp_path / "csv_only", formats=("csv",))
    assert {p.suffix for p in paths} == {".csv", ".json"}
    with pytest.raises(InputError, match="pdf"):
        write_outputs(result, tmp_path / "x", formats=("pdf",))
    (tmp_path / "afile").write_text("")
    with pytest.raises(InputError, match="not a folder"):
        write_outputs(result, tmp_path / "afile", formats=("csv",))


def test_only_some_files(result, tmp_path):
    paths = write_outputs(result, tmp_path, only=("network.html", "growth.png"))
    assert [p.name for p in paths] == ["growth.png", "network.html"]
    assert files_in(tmp_path) == ["growth.png", "network.html"]
    with pytest.raises(InputError, match="nope.png"):
        write_outputs(result, tmp_path / "x", only=("nope.png",))


def test_stop_midway_leaves_nothing(result, tmp_path):
    checks = []

    def should_stop():
        checks.append(1)
        return len(checks) > 6

    with pytest.raises(Cancelled):
        write_outputs(result, tmp_path, should_stop=should_stop)
    assert len(checks) == 7
    assert files_in(tmp_path) == []


def test_failure_inside_a_file_leaves_no_part_and_no_partial_files(result, tmp_path, monkeypatch):
    from PIL import Image

    real = Image.Image.save  # what writes a PNG figure's bytes (core.export.export_figure_png)
    count = []

    def failing_save(self, fp, *args, **kwargs):
        count.append(1)
        if len(count) == 3:
            Path(fp).write_bytes(b"\x89PNG half")  # a partial file, then the disk "fills up"
            raise OSError(28, "No space left on device")
        return real(self, fp, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", failing_save)
    with pytest.raises(InputError, match="No space left"):
        write_outputs(result, tmp_path, formats=("png", "json"))
    assert len(count) == 3
    assert files_in(tmp_path) == []


def test_a_crash_in_a_figure_removes_files_of_this_run_only(result, tmp_path, monkeypatch):
    import core.figures

    (tmp_path / "notes.txt").write_text("keep me")

    def broken(*args, **kwargs):
        raise RuntimeError("figure bug")

    written = []
    monkeypatch.setattr(core.figures, "growth_figure", broken)  # the first figure, after the three json files
    with pytest.raises(RuntimeError, match="figure bug"):
        write_outputs(result, tmp_path, formats=("png", "json"), progress=lambda f, m: written.append(m))
    assert written == ["Writing report.json", "Writing attention.npz", "Writing summary.md", "Writing growth.png"]
    assert files_in(tmp_path) == ["notes.txt"]


def test_a_condition_without_growth_is_plotted_but_not_exported_as_attention(tmp_path):
    spec = tmp_path / "starved.json"
    spec.write_text(json.dumps({"conditions": [{"name": "starved", "base": "minimal"}]}))
    result = run_result("textbook", ("glucose", str(spec)))
    assert result.attention.condition_names == ("glucose",)
    names = {f.name for f in plan_outputs(result)}
    assert {"growth.png", "heatmap_glucose.png", "escher_glucose.json"} <= names
    assert not any("starved" in n for n in names) and "shifts.png" not in names
    paths = write_outputs(result, tmp_path / "out", formats=("csv",))
    assert [p.name for p in paths] == ["node_importance.csv", "pathway_scores.csv", "escher_glucose.json"]


def test_figure_export_by_suffix(result, tmp_path):
    from core.export import export_figure
    from core.figures import growth_figure

    fig = growth_figure(result.conditions)
    export_figure(fig, tmp_path / "g.svg")
    export_figure(fig, tmp_path / "g.pdf")
    assert (tmp_path / "g.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert (tmp_path / "g.pdf").read_bytes().startswith(b"%PDF")
    with pytest.raises(InputError, match=".jpg"):
        export_figure(fig, tmp_path / "g.jpg")


def test_single_exporters_for_the_gui(result, tmp_path):
    from core.export import export_figure_png, export_html
    from core.figures import growth_figure
    from core.interactive import conditions_figure

    export_figure_png(growth_figure(result.conditions), tmp_path / "g.png")
    with pytest.raises(InputError, match="exists already"):
        export_figure_png(growth_figure(result.conditions), tmp_path / "g.png", overwrite=False)
    export_html(conditions_figure(result.conditions, result.analysis.conditions), tmp_path / "c.html", "Conditions")
    assert_offline((tmp_path / "c.html").read_text(encoding="utf-8"))
    export_graphml(result, tmp_path / "g.graphml")
    assert files_in(tmp_path) == ["c.html", "g.graphml", "g.png"]


def test_conditions_figure_shows_measured_growth_only_where_given(result):
    from dataclasses import replace

    from core.interactive import conditions_figure

    def names(conditions):
        return [t.name for t in conditions_figure(conditions, result.analysis.conditions).data if t.type == "bar"]

    assert "measured growth" not in names(result.conditions)
    first = result.conditions[0]
    measured = (replace(first, condition=replace(first.condition, measured_growth=0.5)),) + result.conditions[1:]
    fig = conditions_figure(measured, result.analysis.conditions)
    bar = next(t for t in fig.data if t.name == "measured growth")
    assert bar.y[0] == 0.5 and all(np.isnan(y) for y in bar.y[1:])
    assert list(next(t for t in fig.data if t.name == "FBA growth").y) == [c.growth_rate for c in result.conditions]


# --------------------------------------------------------------------------- hostile names


@pytest.fixture(scope="module")
def nasty_result(tmp_path_factory):
    import cobra.io

    from core.models import load_model

    model = load_model("textbook").model.copy()
    for rid, text in (("PGI", NASTY["script"]), ("PFK", NASTY["quote"]), ("FBA", NASTY["div"])):
        rxn = model.reactions.get_by_id(rid)
        rxn.name = text
        rxn.subsystem = text
    for mid, text in (("g6p_c", NASTY["script"]), ("f6p_c", NASTY["div"]), ("pyr_c", NASTY["quote"])):
        model.metabolites.get_by_id(mid).name = text
    path = tmp_path_factory.mktemp("model") / "nasty.json"
    cobra.io.save_json_model(model, str(path))
    return run_result(str(path), ("glucose", "acetate"))


def test_hostile_names_never_appear_unescaped(nasty_result, tmp_path):
    import networkx as nx

    # PNGs are left out here (matplotlib draws text, it does not interpret markup; the figure tests
    # cover odd characters there); every format that carries names as text is written.
    paths = write_outputs(nasty_result, tmp_path, formats=("html", "json", "graphml", "csv"))
    raw = [NASTY["script"], "<script>alert(", "</div><img", 'said "xss-quote"', "onerror=alert('xss-div')"]
    for path in paths:
        if path.suffix == ".html":
            text = path.read_text(encoding="utf-8")
            for bad in raw:
                assert bad not in text, (path.name, bad)
            assert_offline(text)
    heatmap = (tmp_path / "attention_heatmap.html").read_text(encoding="utf-8")
    assert "xss-script" in heatmap and "xss-div" in heatmap  # every node is in there, shown escaped
    assert "&lt;script&gt;alert(&quot;xss-script&quot;)" in heatmap.replace("\\u0026", "&")
    # Data files keep the names exactly (they are data, not markup).
    g = nx.read_graphml(tmp_path / "graph.graphml")
    assert g.nodes["R_PGI"]["name"] == NASTY["script"]
    assert g.nodes["M_f6p_c"]["name"] == NASTY["div"]
    with open(tmp_path / "node_importance.csv", newline="", encoding="utf-8") as fh:
        names = {r["id"]: r["name"] for r in csv.DictReader(fh)}
    assert names["PFK"] == NASTY["quote"]


def test_spreadsheet_formulas_are_defused(result, tmp_path):
    from dataclasses import replace

    names = list(result.graph.node_names)
    names[0] = "=HYPERLINK(\"http://example.invalid\")"
    names[1] = "+1+1"
    hostile = replace(result, graph=replace(result.graph, node_names=tuple(names)))
    write_outputs(hostile, tmp_path, formats=("csv",))
    with open(tmp_path / "node_importance.csv", newline="", encoding="utf-8") as fh:
        got = {r["id"]: r["name"] for r in csv.DictReader(fh)}
    assert got[result.graph.node_ids[0]] == "'" + names[0]
    assert got[result.graph.node_ids[1]] == "'+1+1"


@pytest.mark.slow
def test_genome_scale_html_is_small_and_heatmap_bounded(tmp_path):
    import time

    from core.export import export_figure_png
    from core.figures import attention_heatmap

    result = run_result("iJO1366", ("glucose", "acetate", "lactose"))
    paths = write_outputs(result, tmp_path, formats=("html",))
    assert {p.name for p in paths} == {"attention_heatmap.html", "network.html", "conditions.html"}
    for path in paths:
        assert path.stat().st_size < 20_000_000, (path.name, path.stat().st_size)
        assert_offline(path.read_text(encoding="utf-8"))
    t0 = time.perf_counter()
    fig = attention_heatmap(result.graph, result.attention, condition=2)
    export_figure_png(fig, tmp_path / "heatmap.png")
    assert time.perf_counter() - t0 < 15.0
    assert fig.axes[0].images[0].get_array().shape == (1500, 1500, 4)  # pooled, never N x N
    with Image.open(tmp_path / "heatmap.png") as img:
        assert np.asarray(img.convert("L"), dtype=np.float64).std() > 5.0


def test_fixed_output_names_are_planned_for_every_format(result, tmp_path):
    from core.export import ALL_FORMATS, FIXED_OUTPUTS, check_outputs_free, plan_outputs

    assert set(FIXED_OUTPUTS) == set(ALL_FORMATS)
    for fmt, name in FIXED_OUTPUTS.items():
        assert name in [f.name for f in plan_outputs(result, (fmt,))], fmt
    check_outputs_free(tmp_path, ALL_FORMATS)  # empty folder: fine
    (tmp_path / "graph.graphml").write_text("x")
    check_outputs_free(tmp_path, ("png", "json"))  # not among the formats asked for
    with pytest.raises(InputError, match="graph.graphml.*exists already"):
        check_outputs_free(tmp_path, ("png", "graphml"))
