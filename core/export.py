"""Everything a run writes to disk: figures, interactive pages, data tables, the graph and the report.

:func:`write_outputs` is the headless run's last step; the single-file exporters below it are what
the GUI's File → Export uses for the current pane. Every file is written through
:func:`core.io_utils.atomic_path` (a temporary ``.part`` file renamed into place), so a file is
either complete or absent.

Files by format (``C`` = each condition, by its file-safe name; see :func:`condition_slugs`):
    json     report.json (core.report), attention.npz (core.attention), summary.md (core.summary)
    png      300 DPI: heatmap_C.png (node x node, last layer, mean over heads, pathway order),
             pathway_heatmap_C.png, network_C.png (top nodes and their neighbours), growth.png,
             top_nodes.png, shifts.png and cross_condition.png (two or more conditions),
             weights_per_head.png, entropy_per_head.png, importance_vs_features_C.png, layers.png
    html     attention_heatmap.html (node x node and pathway x pathway), network.html (one network per
             condition), conditions.html; each self-contained (plotly.js inline, works offline)
    graphml  graph.graphml: the metabolic graph (currency metabolites removed if the run did) with node
             importance/rank per condition, reaction fluxes, and per-edge attention (see
             :func:`graph_to_networkx`); opens in Cytoscape, Gephi and networkx
    csv      node_importance.csv, pathway_scores.csv, and escher_C.json per condition: Escher's
             reaction-data form ``{reaction_id: importance}``, one file per condition, to load in
             Escher with Data → Load reaction data and colour a map by attention (also written for
             json; reactions without attention data left out; textbook's Biomass_Ecoli_core is
             also written as BIOMASS_Ecoli_core_w_GAM, the id on Escher's e_coli_core map)

Text cells in the CSV files that start with ``=``, ``+``, ``-``, ``@``, tab or carriage return get a
leading ``'`` so a spreadsheet shows them as text instead of running them as formulas.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from core.errors import InputError, check_stop
from core.graph import METABOLITE, NODE_TYPE_NAMES, REACTION
from core.escher import ESCHER_ID_ALIASES, escher_reaction_data, export_escher  # noqa: F401 (re-exported)
from core.export_csv import _importance_ranks, export_node_csv, export_pathway_csv  # noqa: F401 (re-exported)
from core.export_csv import node_importance_table, pathway_score_table  # noqa: F401 (re-exported)
from core.io_utils import atomic_path, atomic_write_text

ALL_FORMATS = ("png", "html", "json", "graphml", "csv")
# One file per format whose name does not depend on the conditions: enough to tell, before a run,
# that the output folder already holds a previous run (see :func:`check_outputs_free`).
FIXED_OUTPUTS = {"png": "growth.png", "html": "attention_heatmap.html", "json": "report.json",
                 "graphml": "graph.graphml", "csv": "node_importance.csv"}
FIGURE_DPI = 300
PNG_COMPRESS_LEVEL = 1
NETWORK_TOP_K = 12
_XML_INVALID = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# --------------------------------------------------------------------------- names


def slug(text: str, fallback: str = "condition") -> str:
    """A file-name-safe version of ``text`` (letters, digits, ``._-``), at most 40 characters."""
    out = re.sub(r"[^A-Za-z0-9._-]+", "_", str(text)).strip("._-")[:40]
    return out or fallback


def condition_slugs(names: Sequence[str]) -> tuple[str, ...]:
    """Distinct file-safe names for conditions, in order (``_2``, ``_3``... added on clashes, case-blind
    because some file systems are)."""
    seen: set[str] = set()
    out = []
    for i, name in enumerate(names):
        base = slug(name, f"condition{i + 1}")
        cand, k = base, 2
        while cand.lower() in seen:
            cand, k = f"{base}_{k}", k + 1
        seen.add(cand.lower())
        out.append(cand)
    return tuple(out)


def _xml_safe(text: str) -> str:
    return _XML_INVALID.sub("", str(text))


# --------------------------------------------------------------------------- single-file exporters


def export_figure_png(fig, path: str | Path, overwrite: bool = True, dpi: int = FIGURE_DPI) -> Path:
    """Save a matplotlib figure as PNG at ``dpi`` (300 by default; written into the file's metadata).

    Drawn once: ``savefig`` first runs a layout pass of its own and then draws again; here the
    figure's layout runs inside the one draw, which gives the same pixels (tested). Saved as 8-bit
    RGB (the figures are opaque: an alpha channel would be 255 everywhere) with zlib level 1
    (Pillow's default is 6). Together about a third less CPU than ``savefig`` on this set (issue 17),
    files ~12 % smaller than RGBA at level 1. A figure that is not opaque goes through ``savefig``.
    """
    import matplotlib
    from matplotlib.colors import to_rgba
    from PIL import Image, PngImagePlugin

    patch = fig.patch
    alpha = patch.get_alpha()  # None: opaque unless the face colour says otherwise; 0 is fully transparent
    if not hasattr(fig.canvas, "buffer_rgba") or not patch.get_visible() or (alpha is not None and alpha < 1.0) \
            or to_rgba(patch.get_facecolor())[3] < 1.0:
        with atomic_path(path, overwrite) as tmp:
            fig.savefig(tmp, format="png", dpi=dpi, pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
        return Path(path)
    shown_dpi = fig.dpi
    fig.dpi = dpi
    try:
        fig.canvas.draw()
        rgba = fig.canvas.buffer_rgba()  # [rows, columns, 4] uint8
        image = Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba, "raw", "RGBA", 0, 1).convert("RGB")
    finally:
        fig.dpi = shown_dpi
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/")
    with atomic_path(path, overwrite) as tmp:
        image.save(tmp, format="png", dpi=(dpi, dpi), compress_level=PNG_COMPRESS_LEVEL, pnginfo=info)
    return Path(path)


FIGURE_SUFFIXES = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def export_figure(fig, path: str | Path, overwrite: bool = True, dpi: int = FIGURE_DPI) -> Path:
    """Save a matplotlib figure as PNG (300 DPI), SVG or PDF, picked by the file's suffix; SVG and
    PDF keep text and lines as vectors for editing in Inkscape or Illustrator."""
    fmt = FIGURE_SUFFIXES.get(Path(path).suffix.lower())
    if fmt is None:
        raise InputError(f"cannot save a figure as '{Path(path).suffix or '(no suffix)'}'; use .png, .svg or .pdf",
                         path)
    with atomic_path(path, overwrite) as tmp:
        fig.savefig(tmp, format=fmt, dpi=dpi)
    return Path(path)


def export_html(figures, path: str | Path, title: str, intro: str = "", overwrite: bool = True) -> Path:
    """Write plotly figures (one or a list) as one self-contained HTML page."""
    from core.interactive import page_html

    figures = figures if isinstance(figures, (list, tuple)) else [figures]
    return atomic_write_text(path, page_html(figures, title, intro), overwrite)


def export_report_json(result, path: str | Path, overwrite: bool = True) -> Path:
    from core.report import build_report, dumps

    return atomic_write_text(path, dumps(build_report(result)) + "\n", overwrite)


def graph_to_networkx(result):
    """The run's graph as a networkx DiGraph with only str/float/int/bool attributes.

    Node keys are ``M_<id>`` for metabolites and ``R_<id>`` for reactions (SBML style, unique even
    when a metabolite and a reaction share an id). Node attributes: ``id``, ``name``, ``type``,
    ``compartment``, ``pathway`` (primary), ``pathways`` (all, ``; ``-joined), ``formula``,
    ``gene_rule``, ``exchange``, ``transport``, ``importance_<C>`` and ``rank_<C>`` per condition,
    and on reactions ``flux_<C>`` (mmol/gDW/h). Edge attributes (direction as in the graph:
    substrate → reaction → product): ``coefficient``, ``reversible``, and per condition
    ``attention_<C>``: the last layer's weight (mean over heads) with which the edge's target attends
    to its source, ``attention_reverse_<C>`` the other way round, and with several layers
    ``attention_L<l>_<C>`` per layer (forward direction). 0 where attention has no such edge.
    """
    import networkx as nx

    from core.views import edge_lookup

    graph, att = result.graph, result.attention
    n = graph.n_nodes
    keys = [("M_" if t == METABOLITE else "R_") + _xml_safe(nid) for nid, t in zip(graph.node_ids, graph.node_types)]
    g = nx.DiGraph()
    g.graph["model_id"] = _xml_safe(graph.model_id)
    g.graph["description"] = "metattn: metabolic graph with attention (see core/export.py for attributes)"
    slugs = condition_slugs(att.condition_names) if att is not None else ()
    imp = np.asarray(att.importance, dtype=np.float64) if att is not None else np.zeros((0, n))
    ranks = _importance_ranks(imp) if att is not None else imp
    flux = {}
    for cond in result.conditions:
        if att is not None and cond.name in att.condition_names:
            flux[slugs[att.condition_names.index(cond.name)]] = dict(zip(cond.reaction_ids, cond.fluxes.tolist()))
    for i in range(n):
        attrs = {
            "id": _xml_safe(graph.node_ids[i]), "name": _xml_safe(graph.node_names[i]),
            "type": NODE_TYPE_NAMES[int(graph.node_types[i])], "compartment": _xml_safe(graph.compartments[i]),
            "pathway": _xml_safe(graph.primary_pathway[i]), "pathways": _xml_safe("; ".join(graph.pathways[i])),
            "formula": _xml_safe(graph.formulas[i]), "gene_rule": _xml_safe(graph.gene_rules[i]),
            "exchange": bool(graph.is_exchange[i]), "transport": bool(graph.is_transport[i]),
        }
        for c, s in enumerate(slugs):
            attrs[f"importance_{s}"] = float(imp[c, i])
            attrs[f"rank_{s}"] = int(ranks[c, i])
            if graph.node_types[i] == REACTION and s in flux:
                attrs[f"flux_{s}"] = float(flux[s].get(graph.node_ids[i], 0.0))
        g.add_node(keys[i], **attrs)
    src, dst = np.asarray(graph.edge_index, dtype=np.int64)
    edge_attrs: dict[str, list] = {"coefficient": graph.edge_coef.astype(float).tolist(),
                                   "reversible": [bool(x) for x in graph.edge_reversible]}
    if att is not None:
        w = np.asarray(att.self_attention, dtype=np.float64).mean(axis=3)  # [L, C, E]
        forward = edge_lookup(att.edge_index, w, n, src, dst, missing=0.0)  # [L, C, G]: dst attends to src
        backward = edge_lookup(att.edge_index, w[-1], n, dst, src, missing=0.0)  # [C, G]
        for c, s in enumerate(slugs):
            edge_attrs[f"attention_{s}"] = forward[-1, c].tolist()
            edge_attrs[f"attention_reverse_{s}"] = backward[c].tolist()
            if att.n_layers > 1:
                for layer in range(att.n_layers):
                    edge_attrs[f"attention_L{layer + 1}_{s}"] = forward[layer, c].tolist()
    names = list(edge_attrs)
    columns = [edge_attrs[k] for k in names]
    for e, (a, b) in enumerate(zip(src.tolist(), dst.tolist())):
        g.add_edge(keys[a], keys[b], **{k: col[e] for k, col in zip(names, columns)})
    return g


def export_graphml(result, path: str | Path, overwrite: bool = True) -> Path:
    """The graph with importance and attention attributes (:func:`graph_to_networkx`) as GraphML."""
    import networkx as nx

    g = graph_to_networkx(result)
    with atomic_path(path, overwrite) as tmp:
        with open(tmp, "wb") as fh:
            nx.write_graphml(g, fh, encoding="utf-8", prettyprint=False)
    return Path(path)


def export_attention_npz(result, path: str | Path, overwrite: bool = True) -> Path:
    """The attention arrays in core.attention's format (:func:`core.attention.write_attention_npz`;
    keys in docs/attention_npz.md)."""
    from core.attention import write_attention_npz

    return write_attention_npz(result.attention, path, overwrite)


def export_summary(result, path: str | Path, overwrite: bool = True) -> Path:
    from core.summary import summary_markdown

    return atomic_write_text(path, summary_markdown(result), overwrite)


# --------------------------------------------------------------------------- the standard figure set


def network_for(result, condition: int, top_k: int = NETWORK_TOP_K):
    """Neighbourhood and drawing arrays of the top nodes in one condition (positions cached)."""
    from core.views import graph_arrays, neighbourhood

    nbh = neighbourhood(result.graph, result.attention, top_k=top_k, condition=condition)
    return nbh, graph_arrays(nbh, seed=result.settings.attention.seed)


@dataclass(frozen=True)
class PlannedFile:
    name: str  # relative to the output folder
    format: str  # one of ALL_FORMATS
    write: Callable[[Path, bool], Path]  # (path, overwrite) -> path
    # True when the file reads nothing of the run's analysis, so it can be written from the run as it
    # stands after attention, while the analysis is still running (core.export_workers.EarlyOutputs).
    analysis_free: bool = False


def plan_outputs(result, formats: Sequence[str] = ALL_FORMATS) -> list[PlannedFile]:
    """The files :func:`write_outputs` writes for ``result``, in order, without writing anything."""
    from core import interactive as I

    if "png" in formats:
        from core import figures as F
    else:  # matplotlib only when figures are planned: a --formats json run imported it for nothing (0.3 s)
        F = None
    unknown = [f for f in formats if f not in ALL_FORMATS]
    if unknown:
        raise InputError(f"unknown output format(s) {', '.join(unknown)}; choose from {', '.join(ALL_FORMATS)}")
    att, rep, graph = result.attention, result.analysis, result.graph
    names = att.condition_names if att is not None else ()
    slugs = condition_slugs(names)
    plan: list[PlannedFile] = []

    def add(name, fmt, write, analysis_free=False):
        if fmt in formats:
            plan.append(PlannedFile(name, fmt, write, analysis_free))

    def png(make):
        return lambda path, overwrite: export_figure_png(make(), path, overwrite)

    add("report.json", "json", lambda p, o: export_report_json(result, p, o))
    if att is not None:
        add("attention.npz", "json", lambda p, o: export_attention_npz(result, p, o), True)
    if rep is not None:
        add("summary.md", "json", lambda p, o: export_summary(result, p, o))

    add("growth.png", "png", png(lambda: F.growth_figure(result.conditions)), True)
    if att is not None:
        for c, s in enumerate(slugs):
            add(f"heatmap_{s}.png", "png", png(lambda c=c: F.attention_heatmap(graph, att, c)), True)
            add(f"network_{s}.png", "png", png(lambda c=c: F.network_figure(
                network_for(result, c)[1], title=f"Top {NETWORK_TOP_K} nodes and their strongest neighbours, "
                                                 f"{names[c]} (last layer, mean over heads)")), True)
        add("weights_per_head.png", "png", png(lambda: F.weight_histograms(att)), True)
    if rep is not None:
        for c, s in enumerate(slugs):
            add(f"pathway_heatmap_{s}.png", "png", png(lambda c=c: F.pathway_heatmap(rep.pathways, c)))
            add(f"importance_vs_features_{s}.png", "png", png(lambda c=c: F.importance_scatter(
                rep.correlations, rep.importance, graph.node_types, c)))
        add("top_nodes.png", "png", png(lambda: F.top_nodes_figure(rep.conditions)))
        if len(names) > 1:
            add("shifts.png", "png", png(lambda: F.shifts_figure(rep.conditions)))
            add("cross_condition.png", "png", png(lambda: F.cross_condition_figure(rep.conditions)))
        add("entropy_per_head.png", "png", png(lambda: F.entropy_histograms(rep.entropy)))
        add("layers.png", "png", png(lambda: F.layer_figure(rep.entropy, rep.sparsity, rep.layers)))

    model_name = result.graph.model_id
    if att is not None:
        def heatmap_page(path, overwrite):
            figs = [I.heatmap_figure(graph, att)]
            if rep is not None:
                figs.append(I.pathway_heatmap_figure(rep.pathways))
            return export_html(figs, path, f"Attention heatmaps: {model_name}",
                               "Hover a cell for the two nodes and the weight in every condition; "
                               "drag to zoom, double-click to reset.", overwrite)

        def network_page(path, overwrite):
            figs = []
            for c in range(len(names)):
                nbh, arrays = network_for(result, c)
                figs.append(I.network_figure(arrays, nbh, f"{names[c]}: top {NETWORK_TOP_K} nodes and their "
                                                          "strongest neighbours"))
            return export_html(figs, path, f"Attention networks: {model_name}",
                               "Red circles are metabolites, blue squares reactions; outlined nodes are the "
                               "most important; thicker, darker edges carry more attention.", overwrite)

        add("attention_heatmap.html", "html", heatmap_page)
        add("network.html", "html", network_page)
        if rep is not None:
            add("conditions.html", "html", lambda p, o: export_html(
                I.conditions_figure(result.conditions, rep.conditions), p,
                f"Condition comparison: {model_name}", "", o))
        add("graph.graphml", "graphml", lambda p, o: export_graphml(result, p, o), True)
        add("node_importance.csv", "csv", lambda p, o: export_node_csv(result, p, o))
        if rep is not None:
            add("pathway_scores.csv", "csv", lambda p, o: export_pathway_csv(result, p, o))
        escher = "csv" if "csv" in formats else "json"  # Escher's files are JSON: written for either format
        for c, s in enumerate(slugs):
            add(f"escher_{s}.json", escher, lambda p, o, c=c: export_escher(result, c, p, o))
    return plan


def check_output_folder(out_dir: str | Path) -> None:
    """Raise :class:`InputError` now if ``out_dir`` cannot become an output folder: it is a file, or the
    folder it would be created in is a file or not writable. Checked before the model is parsed."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError("is a file, not a folder", out)
    existing = out if out.exists() else next((p for p in out.absolute().parents if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise InputError(f"cannot create the output folder: {existing} is a file", out)
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"cannot write here: no permission to write in {existing}", out)


def check_outputs_free(out_dir: str | Path, formats: Sequence[str] = ALL_FORMATS) -> None:
    """Raise :class:`InputError` now if ``out_dir`` already holds outputs of a previous run.

    A cheap pre-flight for the command line, so a run that :func:`write_outputs` would refuse at the
    end (without ``force``) is refused before minutes of work. Checks the condition-independent
    names of :data:`FIXED_OUTPUTS`; :func:`write_outputs` still checks every planned file.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError("is a file, not a folder", out)
    _refuse_existing([out / FIXED_OUTPUTS[f] for f in formats if f in FIXED_OUTPUTS])


def _refuse_existing(paths: Sequence[Path]) -> None:
    """InputError naming the first of ``paths`` that exists, and how many files its folder holds (the
    pre-flight checks only a few fixed names, so "and 4 more" would understate a folder of 26)."""
    existing = [p for p in paths if p.exists()]
    if existing:
        folder = existing[0].parent
        try:
            held = sum(1 for p in folder.iterdir() if p.is_file())
        except OSError:
            held = len(existing)
        what = f"; {folder} holds {held:,} files, likely an earlier run's" if held > 1 else ""
        raise InputError(f"exists already{what}; not overwritten (use --force to replace them, or choose "
                         "another output folder)", existing[0])


def write_outputs(result, out_dir: str | Path, formats: Sequence[str] = ALL_FORMATS, force: bool = False,
                  progress: Callable[[float, str], None] | None = None,
                  should_stop: Callable[[], bool] | None = None, timings: dict | None = None,
                  only: Sequence[str] | None = None, workers: int | None = None, early=None) -> list[Path]:
    """Write every output of ``result`` (a :class:`core.pipeline.RunResult`) into ``out_dir``.

    Without ``force`` an existing target file is an :class:`InputError` naming it, raised before
    anything is written. ``progress(fraction, message)`` is called per file and ``should_stop`` is
    checked between files. On :class:`Cancelled` or any error, the files this call created are
    removed again (files it replaced under ``force`` stay, complete), so an interrupted run leaves no
    partial set and no ``.part`` file. ``timings``, if given, receives seconds per file name.
    ``only`` restricts the run to the planned files of those names (e.g. one GUI pane's files).
    ``workers``: processes drawing the PNG figures while this one writes the other files (0: none;
    None: :func:`core.export_workers.default_workers`, i.e. one per core for genome-scale runs).
    ``early``: a :class:`core.export_workers.EarlyOutputs` that started the analysis-free files while
    the run was analysed; they are waited for, not written again (the files it created are its own
    to remove on failure). Returns the paths written, in order.
    """
    out = Path(out_dir)
    formats = tuple(formats)
    plan = plan_outputs(result, formats)
    if only is not None:
        wanted = set(only)
        unknown = sorted(wanted - {f.name for f in plan})
        if unknown:
            raise InputError(f"not an output of this run: {', '.join(unknown)}")
        plan = [f for f in plan if f.name in wanted]
    targets = [out / f.name for f in plan]
    if out.exists() and not out.is_dir():
        raise InputError("is a file, not a folder", out)
    started = early.futures if early is not None else {}
    if not force:
        _refuse_existing([path for f, path in zip(plan, targets) if f.name not in started])
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder ({exc.strerror or exc})", out) from None
    existed = [path not in early.created if f.name in started else path.exists() for f, path in zip(plan, targets)]
    try:
        from core.export_workers import write_planned

        write_planned(result, plan, targets, force, progress, should_stop, timings, workers, early)
        check_stop(should_stop)
    except BaseException:
        for path, was in zip(targets, existed):
            if not was:
                path.unlink(missing_ok=True)
        raise
    written = list(targets)
    if progress is not None:
        progress(1.0, f"Wrote {len(written)} files")
    return written


__all__ = [
    "ALL_FORMATS", "write_outputs", "plan_outputs", "PlannedFile", "export_figure_png", "export_figure", "export_html",
    "export_report_json", "export_graphml", "graph_to_networkx", "export_node_csv", "export_pathway_csv",
    "export_escher", "escher_reaction_data", "export_attention_npz", "export_summary", "node_importance_table",
    "pathway_score_table", "condition_slugs", "slug", "network_for",
]
