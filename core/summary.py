"""A one-page Markdown summary of a run that a biologist can skim (``OUT/summary.md``).

:func:`summary_markdown` takes either a :class:`core.pipeline.RunResult` or its pieces (graph,
condition results, attention result, analysis report, model name) and returns Markdown text:
growth per condition, the most important nodes and pathways per condition (names first, ids in
brackets), the biggest shifts between conditions, groups of similar nodes, and a plain-language
glossary of every term used. Nothing is computed here beyond formatting; numbers come from
:mod:`core.analysis`.
"""

from __future__ import annotations

import math
import re
from typing import Sequence

import numpy as np

from core.analysis._common import top_order
from core.graph import METABOLITE, NODE_TYPE_NAMES

GLOSSARY = (
    ("Attention importance",
     "The model reads the metabolic network by letting every metabolite and reaction look at its neighbours "
     "and decide how much weight to give each of them. A node's importance is its share of all the attention "
     "given out in one growth condition (all nodes together make 100 %). A high share means the model relied "
     "on that node a lot to describe the cell in that condition. It shows what the model used, not a proven "
     "biological cause."),
    ("Growth rate",
     "The growth rate predicted by flux balance analysis (FBA) for the medium, in 1/h. The doubling time is "
     "ln 2 / growth rate."),
    ("Pathway share and enrichment",
     "A pathway's share is the summed importance of its metabolites and reactions. Enrichment compares that "
     "share with the pathway's size: 2x means the pathway gets twice the attention its number of nodes alone "
     "would give it."),
    ("Change and log2 fold change",
     "Change is the difference in importance between two conditions, in percentage points. The log2 fold "
     "change is the ratio on a doubling scale: +1 means twice as much attention, -1 half as much, 0 no change "
     "(a small constant is added so nodes with almost no attention do not show huge ratios)."),
    ("Entropy (focus)",
     "How spread out a node's own attention is, from 0 (it looks at a single neighbour) to 1 (it spreads its "
     "attention evenly over all neighbours)."),
    ("Groups (clusters)",
     "Nodes whose attention patterns look alike, found by k-means. The silhouette score (from -1 to 1) says how "
     "clearly the groups are separated: below 0.25 weak, 0.25-0.5 moderate, above 0.5 clear."),
    ("p-value",
     "How likely a difference at least this large would be by chance alone if there were no real difference. "
     "Below 0.05 is usually taken as a real difference. The metabolite/reaction comparison uses the "
     "Mann-Whitney test, which compares the two groups' values by rank."),
    ("Rank correlation (Spearman's rho)",
     "Whether two quantities rise together (+1), are unrelated (0) or move in opposite directions (-1), "
     "judged by ranks only."),
    ("Layer and head",
     "The model reads the network in a few rounds (layers); in each round several independent readers (heads) "
     "each form their own view. Numbers here are averaged over them unless said otherwise."),
)


_MD_SPECIAL = re.compile(r"[\\`*\[\]~]|_+")
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff"
                          "\ud800-\udfff]")


def _md(text) -> str:
    """A name from the user's files as literal Markdown text: HTML (``<b>``, ``<img>``) becomes entities,
    Markdown syntax (links, emphasis, code) is backslash-escaped, and control characters (ANSI/OSC escape
    sequences, CR/LF, bidi overrides, lone surrogates) are shown as ``\\x1b``-style codes instead of acting."""
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def escape(m: re.Match) -> str:
        inner = m.group().startswith("_") and 0 < m.start() and m.end() < len(text) \
            and text[m.start() - 1].isalnum() and text[m.end()].isalnum()
        return m.group() if inner else "".join("\\" + ch for ch in m.group())  # glc__D_e stays as it is

    text = _MD_SPECIAL.sub(escape, text)
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii")
                            if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)


def _cell(text) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _pct(share: float) -> str:
    if share is None or not np.isfinite(share):
        return "–"
    value = 100.0 * float(share)
    return f"{value:.3g} %" if abs(value) < 10 else f"{value:.1f} %"


def _num(value, digits: int = 3) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    return f"{float(value):.{digits}g}"


def _p(p: float) -> str:
    """A p-value as a reader should see it: with thousands of nodes p is astronomically small for any
    difference (5e-217 says nothing more than 1e-4), so below 0.001 it is only "p < 0.001"."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}"


def _table(header: Sequence[str], rows: Sequence[Sequence]) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(x) for x in row) + " |" for row in rows]
    return lines + [""]


def _node(labels, i: int) -> str:
    name, nid = labels.names[i], labels.ids[i]
    return f"{_md(name)} [{_md(nid)}]" if name != nid else f"[{_md(nid)}]"


def _strength(rho: float) -> str:
    if not np.isfinite(rho):
        return "not defined"
    a = abs(rho)
    word = "very weak" if a < 0.1 else "weak" if a < 0.3 else "moderate" if a < 0.5 else "strong"
    return f"{word} {'positive' if rho > 0 else 'negative' if rho < 0 else ''}".strip()


def _silhouette_word(s: float) -> str:
    if not np.isfinite(s):
        return "not defined"
    return "weak" if s < 0.25 else "moderate" if s < 0.5 else "clear"


def summary_markdown(graph_or_result, conditions=None, attention=None, analysis=None, model_name: str | None = None,
                     top_n: int = 10) -> str:
    """Markdown summary of a run; pass a RunResult, or (graph, conditions, attention, analysis, model_name)."""
    if hasattr(graph_or_result, "graph") and hasattr(graph_or_result, "conditions"):
        result = graph_or_result
        graph, conditions = result.graph, result.conditions
        attention, analysis = result.attention, result.analysis
        notes = tuple(getattr(result, "notes", ()))
        if model_name is None:
            model = getattr(getattr(result, "loaded", None), "model", None)
            model_name = (getattr(model, "name", None) or getattr(model, "id", None)
                          or getattr(getattr(result, "settings", None), "model", None))
    else:
        graph, notes = graph_or_result, ()
    conditions = list(conditions or ())
    model_name = model_name or getattr(graph, "model_id", "model")
    out: list[str] = [f"# Metabolic attention summary: {_md(model_name)}", ""]
    out += _overview(graph, conditions, attention)
    out += _growth(conditions, attention)
    if hasattr(graph_or_result, "graph") and hasattr(graph_or_result, "conditions"):
        from core.summary_run import run_section

        out += run_section(graph_or_result, _md, _table)
    if notes:
        out += ["**Notes on this run:**", ""] + [f"- {_cell(_md(n))}" for n in notes] + [""]
    from core.training.explain import trust_section

    out += trust_section(attention, _md, _table)
    if analysis is None:
        out += ["*The attention analysis was not run, so there is nothing more to report.*", ""]
        out += _glossary()
        return "\n".join(out).rstrip() + "\n"
    k = max(1, min(top_n, analysis.top_k))
    out += _top_nodes(analysis, k)
    out += _top_pathways(analysis, k)
    out += _shifts(analysis, min(k, 10))
    out += _types_and_focus(analysis)
    out += _clusters(analysis)
    out += _cross(analysis, min(k, 5))
    out += _structure(analysis)
    out += _glossary()
    return "\n".join(out).rstrip() + "\n"


def _overview(graph, conditions, attention) -> list[str]:
    lines = [
        f"The network has **{graph.n_metabolites} metabolites** and **{graph.n_reactions} reactions** "
        f"({graph.n_edges} links between them)"
        + (f"; {len(graph.removed_currency)} very common helper metabolites (such as water, ATP and NADH) were "
           "left out so they do not dominate." if getattr(graph, "removed_currency", ()) else ".")]
    if attention is not None:
        lines.append(f"The attention model read it in {attention.n_layers} layer(s) with {attention.n_heads} "
                     f"head(s) each, for {len(attention.condition_names)} growth condition(s): "
                     f"{', '.join(_md(n) for n in attention.condition_names)}.")
    lines.append("Terms in **bold** are explained in the glossary at the end.")
    return [" ".join(lines), ""]


def _growth(conditions, attention) -> list[str]:
    if not conditions:
        return []
    used = set(attention.condition_names) if attention is not None else set()
    rows = []
    for r in conditions:
        mu = r.growth_rate
        doubling = f"{math.log(2) / mu:.2g}" if r.grows and mu > 0 else "–"
        measured = r.condition.measured_growth
        rows.append([_md(r.name), "–" if r.structure_only else f"{mu:.3f}", doubling, "–" if measured is None else f"{measured:.3f}",
                     r.status_text(), "yes" if r.name in used else "no"])
    return ["## Growth per condition", "",
            "Predicted **growth rate** from flux balance analysis for each medium.", ""] + _table(
        ["Condition", "Growth rate (1/h)", "Doubling time (h)", "Measured (1/h)", "Result", "In attention"], rows)


def _top_nodes(analysis, k: int) -> list[str]:
    cmp, labels = analysis.conditions, analysis.labels
    out = ["## Most important metabolites and reactions", "",
           f"The {k} nodes with the highest **attention importance** in each condition.", ""]
    for c, cname in enumerate(cmp.condition_names):
        imp = cmp.importance[c]
        order = top_order(imp, k)
        out += [f"### {_md(cname)}", ""]
        out += _table(["#", "Name [id]", "Type", "Pathway", "Importance"],
                      [[r + 1, _node(labels, i), NODE_TYPE_NAMES[int(labels.types[i])], _pathway(labels, i),
                        _pct(imp[i])] for r, i in enumerate(order)])
    return out


def _pathway(labels, i: int) -> str:
    """A reaction's subsystem; a metabolite has none of its own, so it is said whose reactions use it most
    (acetyl-CoA is not "in" Membrane Lipid Metabolism, it is used most by reactions there)."""
    name = _md(labels.pathways[i])
    if int(labels.types[i]) != METABOLITE or labels.pathways[i] == "Unassigned":
        return name
    return f"used most in {name}"


def _top_pathways(analysis, k: int) -> list[str]:
    pw = analysis.pathways
    out = ["## Most important pathways", "",
           "Each pathway's **share** of the attention and its **enrichment** (share compared with its size).", ""]
    for c, cname in enumerate(pw.condition_names):
        out += [f"### {_md(cname)}", ""]
        out += _table(["#", "Pathway", "Share", "Enrichment", "Nodes"],
                      [[r + 1, _md(pw.names[p]), _pct(pw.importance[c, p]), f"{_num(pw.enrichment[c, p], 2)}x",
                        int(pw.n_nodes[p])] for r, p in enumerate(pw.ranking[c, :k])])
    return out


def _shifts(analysis, k: int) -> list[str]:
    cmp, labels = analysis.conditions, analysis.labels
    if not len(cmp.pairs):
        return ["## Shifts between conditions", "", "Only one condition was analysed, so there is nothing to "
                "compare.", ""]
    out = ["## Biggest shifts between conditions", "",
           "Nodes and pathways whose importance **changes** most from one condition to the other "
           "(positive: more attention in the second condition).", ""]
    for p, (a, b) in enumerate(cmp.pairs):
        na, nb = _md(cmp.condition_names[a]), _md(cmp.condition_names[b])
        ga, gb = cmp.growth_rates[a], cmp.growth_rates[b]
        out += [f"### {na} → {nb}", "",
                f"Growth rate {_num(ga)} 1/h in {na} and {_num(gb)} 1/h in {nb}.", ""]
        diff = cmp.difference[p]
        order = top_order(np.abs(diff), k)
        out += _table(["#", "Name [id]", "Type", f"Importance in {na}", f"Importance in {nb}", "Change",
                       "log2 fold change"],
                      [[r + 1, _node(labels, i), NODE_TYPE_NAMES[int(labels.types[i])], _pct(cmp.importance[a, i]),
                        _pct(cmp.importance[b, i]), f"{100 * diff[i]:+.3g} points",
                        f"{cmp.log2_fold_change[p, i]:+.2f}"] for r, i in enumerate(order)])
        pw_order = top_order(np.abs(cmp.pathway_difference[p]), min(k, 5))
        out += ["Pathways that shift most:", ""]
        out += _table(["Pathway", f"Share in {na}", f"Share in {nb}", "Change"],
                      [[_md(cmp.pathway_names[q]), _pct(cmp.pathway_importance[a, q]), _pct(cmp.pathway_importance[b, q]),
                        f"{100 * cmp.pathway_difference[p, q]:+.3g} points"] for q in pw_order])
    return out


def _types_and_focus(analysis) -> list[str]:
    nt, lay = analysis.node_types, analysis.layers
    out = ["## Metabolites versus reactions, and how focused attention is", ""]
    rows = []
    imp_m = nt.measures.index("importance") if "importance" in nt.measures else None
    for c, cname in enumerate(nt.condition_names):
        verdict = "–"
        if imp_m is not None and np.isfinite(nt.p_value[imp_m, c]):
            r = nt.rank_biserial[imp_m, c]
            who = "metabolites" if r > 0 else "reactions"
            if nt.p_value[imp_m, c] < 0.05 and abs(r) >= 0.1:
                verdict = f"{who} tend to get more attention (effect size r = {abs(r):.2f}, {_p(nt.p_value[imp_m, c])})"
            else:
                verdict = "no clear difference"
        rows.append([_md(cname), _pct(nt.importance_share[c, 0]), _pct(nt.importance_share[c, 1]), verdict])
    out += [f"Share of importance carried by the {nt.n_metabolites} metabolites and the {nt.n_reactions} "
            "reactions, and whether a typical metabolite gets more or less attention than a typical reaction "
            "(see **p-value**).", ""]
    out += _table(["Condition", "Metabolites", "Reactions", "Which type gets more per node"], rows)
    below = list(lay.thresholds).index(0.01) if 0.01 in list(lay.thresholds) else 0
    out += ["Per layer: average **entropy** (0 focused, 1 even), share of links with almost no weight (under "
            f"{lay.thresholds[below]:g}), and the average share of a node's attention on its single strongest link.",
            ""]
    out += _table(["Layer", "Mean entropy", "Links with almost no weight", "Strongest link's share"],
                  [[layer + 1, _num(lay.mean_entropy[layer], 2), _pct(lay.fraction_below[layer, below]),
                    _pct(lay.top1_share[layer])] for layer in range(lay.received.shape[0])])
    return out


def _share_of_group(fraction: float) -> str:
    return "<1 %" if fraction < 0.01 else f"{fraction * 100:.0f} %"


def _clusters(analysis) -> list[str]:
    cl = analysis.clustering
    if cl.kmeans_k < 2:
        return ["## Groups of similar nodes", "", "Too few nodes to form groups.", ""]
    out = ["## Groups of similar nodes", "",
           f"The nodes fall into **{cl.kmeans_k} groups** by attention pattern (silhouette "
           f"{_num(cl.kmeans_silhouette, 2)}: {_silhouette_word(cl.kmeans_silhouette)} separation).", ""]
    rows = []
    for g in cl.describe(cl.kmeans_labels):
        types = g["node_types"]
        pws = ", ".join(f"{_md(d['pathway'])} ({_share_of_group(d['fraction'])})" for d in g["dominant_pathways"])
        tops = ", ".join(f"{_md(t['name'])} [{_md(t['id'])}]" if t["name"] != t["id"] else f"[{_md(t['id'])}]" for t in g["top_nodes"])
        rows.append([g["cluster"] + 1, g["size"], f"{types['metabolite']} / {types['reaction']}", pws, tops])
    out += _table(["Group", "Nodes", "Metabolites / reactions", "Main pathways", "Most important members"], rows)
    noise = int((cl.dbscan_labels < 0).sum())
    out += [f"A second, density-based grouping (DBSCAN) found {cl.n_dbscan_clusters} group(s) and {noise} node(s) "
            "that fit no group well; these unusual nodes are worth a look.", ""]
    return out


def _cross(analysis, k: int) -> list[str]:
    cmp = analysis.conditions
    if len(cmp.condition_names) < 2 or not cmp.cross_mean.size:
        return []
    mean = cmp.cross_mean.mean(axis=0)
    out = ["## How conditions draw on each other", "",
           "When the model describes a node in one condition (row) it can also look at the same node in the other "
           "conditions (columns). Each row adds up to 100 %.", ""]
    out += _table(["Condition"] + [_md(n) for n in cmp.condition_names],
                  [[_md(cname)] + [_pct(v) for v in mean[c]] for c, cname in enumerate(cmp.condition_names)])
    order = top_order(cmp.reliance_mean, k)
    out += ["Nodes that draw most on the other conditions:", ""]
    out += _table(["Name [id]", "Type", "Share drawn from other conditions"],
                  [[_node(analysis.labels, i), NODE_TYPE_NAMES[int(analysis.labels.types[i])],
                    _pct(cmp.reliance_mean[i])] for i in order])
    return out


def _structure(analysis) -> list[str]:
    cen, corr = analysis.centrality, analysis.correlations
    rows = []
    for c, cname in enumerate(cen.condition_names):
        rho = dict(zip(cen.comparisons, cen.spearman_rho[c]))
        deg = rho.get(("importance", "degree"), float("nan"))
        btw = rho.get(("importance", "betweenness"), float("nan"))
        flux = float("nan")
        if "abs_flux" in corr.feature_names:
            flux = corr.spearman_rho[c, corr.feature_names.index("abs_flux"), corr.subsets.index("reactions")]
        rows.append([_md(cname), f"{_num(deg, 2)} ({_strength(deg)})", f"{_num(btw, 2)} ({_strength(btw)})",
                     f"{_num(flux, 2)} ({_strength(flux)})"])
    return ["## Does attention simply follow the network or the fluxes?", "",
            "**Rank correlation** of importance with the number of links a node has (degree), with how many shortest "
            "routes through the network pass through it (betweenness), and, for reactions, with the size of their "
            "FBA flux. A weak correlation only says importance does not follow that measure; it is not evidence "
            "that the model found something else (untrained attention is weakly correlated with most things).",
            ""] + _table(
        ["Condition", "With number of links", "With betweenness", "With flux size (reactions)"], rows)


def _glossary() -> list[str]:
    out = ["## Glossary", ""]
    out += [f"- **{term}**: {text}" for term, text in GLOSSARY]
    return out + [""]
