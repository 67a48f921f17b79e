"""Details of the selected node: name, id, type, formula, compartment, pathways, reactions, gene
rule, importance and fluxes per condition (mmol/gDW/h)."""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from core.graph import METABOLITE, NODE_TYPE_NAMES

MAX_REACTIONS = 12
MAX_EQUATION = 260


def _e(text) -> str:
    return html.escape(str(text))


def _f(value: float, digits: int = 4) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    return f"{value:.{digits}g}"


class DetailsPane(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.browser = QTextBrowser(self)
        self.browser.setOpenLinks(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser)
        self.result = None
        self._flux_index: dict[str, int] = {}
        self._ranks: np.ndarray | None = None
        self.node: str | None = None
        self.show_node(None)

    def set_result(self, result, views=None) -> None:
        """Show ``result``; ``views`` (:class:`core.views.panes.PaneViews`) carries the importance ranks."""
        from core.views.panes import importance_ranks

        self.result = result
        self._flux_index = {}
        self._ranks = None
        if result is not None and result.conditions:
            self._flux_index = {rid: j for j, rid in enumerate(result.conditions[0].reaction_ids)}
        if result is not None and result.attention is not None:
            ranks = views.ranks if views is not None else None
            self._ranks = importance_ranks(result.attention.importance) if ranks is None else ranks  # [C, N]
        self.show_node(self.node)

    def show_node(self, node_id: str | None) -> None:
        self.node = node_id
        self.browser.setHtml(self.describe(node_id))

    def text(self) -> str:
        return self.browser.toPlainText()

    # ------------------------------------------------------------------ HTML

    def describe(self, node_id: str | None) -> str:
        r = self.result
        if r is None:
            return ("<p style='color:#666'>Open a model, tick growth conditions and press <b>Run</b>. "
                    "Then pick a node in any pane (or type its name in the search box) to see it here.</p>")
        if node_id is None or node_id not in r.graph.index:
            extra = "" if node_id is None else f" (<b>{_e(node_id)}</b> is not in the graph attention ran on)"
            return (f"<p style='color:#666'>No node selected{extra}. Click a heatmap cell, a network node or a "
                    "table row, or use the search box.</p>" + self._what_was_run())
        g = r.graph
        i = g.index[node_id]
        kind = NODE_TYPE_NAMES[int(g.node_types[i])]
        colour = "#d62728" if g.node_types[i] == METABOLITE else "#1f77b4"
        parts = [f"<h3 style='margin-bottom:2px'>{_e(g.node_names[i])}</h3>",
                 f"<p style='margin-top:0'><span style='color:{colour}'>●</span> {kind} <code>{_e(g.node_ids[i])}</code>"]
        if g.compartments[i]:
            parts.append(f" · compartment {_e(g.compartments[i])}")
        parts.append("</p><table cellspacing='0' cellpadding='2'>")
        if g.formulas[i]:
            parts.append(f"<tr><td><b>Formula</b></td><td>{_e(g.formulas[i])}</td></tr>")
        pathways = ", ".join(g.pathways[i]) or "Unassigned"
        parts.append(f"<tr><td><b>Pathway</b></td><td>{_e(pathways)}</td></tr>")
        if g.gene_rules[i]:
            parts.append(f"<tr><td><b>Genes</b></td><td>{_e(g.gene_rules[i])}</td></tr>")
        if g.node_types[i] != METABOLITE:
            flags = [x for x, on in (("exchange", g.is_exchange[i]), ("transport", g.is_transport[i]),
                                     ("reversible", g.reversible[i])) if on]
            if flags:
                parts.append(f"<tr><td><b>Kind</b></td><td>{', '.join(flags)}</td></tr>")
            equation = self._equation(node_id)
            if equation:
                parts.append(f"<tr><td><b>Reaction</b></td><td>{_e(equation)}</td></tr>")
        parts.append(f"<tr><td><b>Degree</b></td><td>{_e(self._degree_text(i))}</td></tr></table>")
        parts.append(self._importance_table(i))
        if g.node_types[i] == METABOLITE:
            parts.append(self._metabolite_fluxes(i))
        else:
            parts.append(self._reaction_fluxes(node_id))
        return "".join(parts)

    def _degree_text(self, i: int) -> str:
        """Edges in the graph, and for a reaction its metabolites in the model with the currency metabolites
        the graph left out named ("0 edges" said nothing about ATP synthase, all of whose six are currency)."""
        g = self.result.graph
        edges = int(g.degree[i])
        model = getattr(self.result.loaded, "model", None)
        nid = g.node_ids[i]
        if g.node_types[i] == METABOLITE or model is None or nid not in model.reactions:
            return f"{edges} edges in the graph"
        mets = model.reactions.get_by_id(nid).metabolites
        removed = set(g.removed_currency)
        hidden = [m.name or m.id for m in mets if m.id in removed]
        if not hidden:
            return f"{len(mets)} metabolites, {edges} edges in the graph"
        return (f"{len(mets)} metabolites: {len(mets) - len(hidden)} in the graph ({edges} edges), {len(hidden)} "
                f"currency metabolites hidden ({', '.join(dict.fromkeys(hidden))})")

    def _what_was_run(self) -> str:
        """The run's objective, solver, carbon normalisation, each medium's limiting uptakes and growth,
        and its warnings (growth above the ceiling, structure only), as in summary.md."""
        from core.conditions import growth_warning
        from core.summary_run import medium_lines, run_facts

        r = self.result
        if r is None or not getattr(r, "conditions", None):
            return ""
        facts = run_facts(r)
        if facts["structure_only"]:
            return (f"<p><b>Structure only</b>: {_e(r.conditions[0].condition.description)} Importance comes from "
                    "the network's structure alone.</p>")
        parts = [f"<p><b>What was run</b>: objective <code>{_e(facts['objective'] or 'none')}</code>, "
                 f"{_e(str(facts['method']).upper())}, solver {_e(facts['solver'] or 'unknown')}, carbon normalisation "
                 f"{'on' if facts['carbon_normalised'] else 'off'}. Uptake bounds in mmol/gDW/h.</p><ul>"]
        for c in r.conditions:
            limiting, _excess, missing = medium_lines(c.condition)
            warning = growth_warning(c)
            parts.append(f"<li><b>{_e(c.name)}</b>: growth {c.growth_rate:.3f} 1/h; {_e(limiting)}"
                         + (f"; not in the model: {_e(missing)}" if missing != "–" else "")
                         + (f"<br><span style='color:#b00'>{_e(warning)}</span>" if warning else "") + "</li>")
        return "".join(parts) + "</ul>"

    def _equation(self, reaction_id: str) -> str:
        model = getattr(self.result.loaded, "model", None)
        if model is not None and reaction_id in model.reactions:
            rxn = model.reactions.get_by_id(reaction_id)
            text = rxn.build_reaction_string(use_metabolite_names=True)
            if len(text) > MAX_EQUATION:  # biomass: ~70 metabolites; the start says what it is
                text = text[:MAX_EQUATION].rsplit(" ", 1)[0] + f" … ({len(rxn.metabolites)} metabolites in all)"
            return text
        return ""

    def _importance_table(self, i: int) -> str:
        att = self.result.attention
        if att is None:
            return ""
        rows = []
        for c, name in enumerate(att.condition_names):
            rank = int(self._ranks[c, i]) if self._ranks is not None else 0
            rows.append(f"<tr><td>{_e(name)}</td><td align='right'>{_f(float(att.importance[c, i]))}</td>"
                        f"<td align='right'>{rank} of {att.n_nodes}</td></tr>")
        return ("<p><b>Attention importance</b> (share of the attention received)</p>"
                "<table cellspacing='0' cellpadding='2'><tr><th align='left'>condition</th><th>importance</th>"
                "<th>rank</th></tr>" + "".join(rows) + "</table>")

    def _flux_cells(self, reaction_id: str) -> str:
        j = self._flux_index.get(reaction_id)
        cells = []
        for c in self.result.conditions:
            cells.append(f"<td align='right'>{_f(float(c.fluxes[j])) if j is not None else '–'}</td>")
        return "".join(cells)

    def _flux_header(self, first: str) -> str:
        return (f"<tr><th align='left'>{first}</th>"
                + "".join(f"<th>{_e(c.name)}</th>" for c in self.result.conditions) + "</tr>")

    def _reaction_fluxes(self, reaction_id: str) -> str:
        return ("<p><b>FBA flux</b> (mmol/gDW/h)</p><table cellspacing='0' cellpadding='2'>"
                + self._flux_header("") + f"<tr><td>flux</td>{self._flux_cells(reaction_id)}</tr></table>")

    def _metabolite_fluxes(self, i: int) -> str:
        g = self.result.graph
        src, dst = g.edge_index
        touching = np.concatenate([dst[src == i], src[dst == i]])
        reactions = [g.node_ids[k] for k in dict.fromkeys(touching.tolist())]
        if not reactions:
            return ""
        fluxes = np.array([[abs(float(c.fluxes[self._flux_index[r]])) if r in self._flux_index else 0.0
                            for c in self.result.conditions] for r in reactions])  # [R, C]
        order = np.argsort(-fluxes.max(axis=1), kind="stable")[:MAX_REACTIONS]
        more = len(reactions) - len(order)
        rows = "".join(f"<tr><td>{_e(reactions[k])}</td>{self._flux_cells(reactions[k])}</tr>" for k in order)
        note = f"<p style='color:#666'>and {more} more reactions</p>" if more > 0 else ""
        return (f"<p><b>Reactions</b> ({len(reactions)}) and their FBA flux (mmol/gDW/h), largest first</p>"
                "<table cellspacing='0' cellpadding='2'>" + self._flux_header("reaction") + rows + "</table>" + note)
