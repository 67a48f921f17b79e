"""Condition comparison: growth rates (FBA and measured), importance of the top nodes per condition,
and, for a chosen pair of conditions, the nodes and pathways whose importance shifts most.
Everything shown comes from :class:`core.analysis.ConditionComparison` and the ConditionResults."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QSplitter, QTabWidget, QVBoxLayout, QWidget
from PySide6.QtCore import Qt

from app.panes.shift_view import ShiftView
from app.plain import literal, plain_label
from app.tables import Column, FilterTable
from core.conditions import growth_arrays

COMPACT_HEIGHT = 340  # px: a shorter pane (1366x768) gives the growth plot's room to the shift chart
FBA_BRUSH = (76, 114, 176)
MEASURED_BRUSH = (150, 150, 150)
PREDICTED_BRUSH = (221, 132, 82)


class ComparisonPane(QWidget):
    node_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.result = None
        self._removed: list = []
        self.growth_plot = pg.PlotWidget(self)
        self.growth_plot.setBackground("w")
        self.growth_plot.setMinimumHeight(90)
        gp = self.growth_plot.getPlotItem()
        gp.setLabel("left", "growth (1/h)")
        gp.setTitle("Growth rate per condition", size="9pt")
        gp.getAxis("bottom").setStyle(tickFont=QFont("Sans", 8))
        self.legend = gp.addLegend(offset=(5, 5), labelTextSize="8pt")

        self.pair = QComboBox(self)
        self.pair.currentIndexChanged.connect(self._fill_shifts)
        self.top_table = FilterTable()
        self.shift_table = FilterTable()
        self.pathway_table = FilterTable()
        self.shift_chart = ShiftView(self)  # the picture first: the tables hold the numbers behind it
        for t in (self.top_table, self.shift_table):
            t.node_activated.connect(self.node_clicked)
        self.shift_chart.node_clicked.connect(self.node_clicked)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.shift_chart, "Shift chart")
        self.tabs.addTab(self.top_table, "Top nodes")
        self.tabs.addTab(self.shift_table, "Biggest shifts")
        self.tabs.addTab(self.pathway_table, "Pathway shifts")
        pair_row = QHBoxLayout()
        pair_row.addWidget(QLabel("Compare"))
        pair_row.addWidget(self.pair, 1)
        self.growth_note = plain_label(QLabel(self))  # condition names and FBA notes
        self.growth_note.setWordWrap(True)
        self.growth_note.setStyleSheet("color:#444")
        # Which attention ran: trained weights (their predicted growth beside FBA's) or untrained.
        self.trust_note = plain_label(QLabel(self))
        self.trust_note.setWordWrap(True)
        # Short of height (1366x768), the growth plot gives way to this line and the shift chart gets the
        # room for its bars (it showed one bar there).
        self.growth_line = plain_label(QLabel(self))
        self.growth_line.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.growth_line.setVisible(False)
        lower = QWidget(self)
        lay = QVBoxLayout(lower)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.growth_line)
        lay.addLayout(pair_row)
        lay.addWidget(self.tabs, 1)
        split = QSplitter(Qt.Orientation.Vertical, self)
        self.upper = upper = QWidget(self)
        ulay = QVBoxLayout(upper)
        ulay.setContentsMargins(0, 0, 0, 0)
        ulay.addWidget(self.growth_plot, 1)
        ulay.addWidget(self.growth_note)
        ulay.addWidget(self.trust_note)
        split.addWidget(upper)
        split.addWidget(lower)
        split.setSizes([130, 330])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(split)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        compact = self.height() < COMPACT_HEIGHT
        if compact == self.upper.isVisible():
            self.upper.setVisible(not compact)
            self.growth_line.setVisible(compact)

    def compact(self) -> bool:
        """True when the growth plot gave way to one line (a short pane)."""
        return not self.upper.isVisible()

    def set_result(self, result, views=None) -> None:
        """Show ``result``; ``views`` (:class:`core.views.panes.PaneViews`) carries the ranked movers."""
        for step in self.result_steps(result, views):
            step()

    def result_steps(self, result, views=None) -> list:
        """:meth:`set_result` as steps the window runs one per turn of its event loop (each a few tens
        of ms at genome scale): the growth plot, the top-node table, the shift chart, the shift tables."""
        comparison = result.analysis.conditions if result is not None and result.analysis is not None else None

        def growth() -> None:
            self.result = result
            self._draw_growth()
            self.pair.blockSignals(True)
            self.pair.clear()
            if comparison is not None:
                names = comparison.condition_names
                for a, b in comparison.pairs:
                    self.pair.addItem(f"{names[b]} vs {names[a]}")
            self.pair.blockSignals(False)

        movers = views.movers if views is not None else None
        return [growth, lambda: self._fill_top(comparison),
                lambda: self.shift_chart.set_comparison(comparison, self.pair.currentIndex(), movers),
                lambda: self._fill_shifts(chart=False)]

    def _draw_growth(self) -> None:
        gp = self.growth_plot.getPlotItem()
        # Removed pyqtgraph items stay referenced: freeing a TextItem that the view still signals
        # made pyqtgraph call methods on a dead object.
        self._removed.extend(gp.items)
        gp.clear()
        self.legend.clear()
        r = self.result
        if r is None:
            self.growth_note.setText("")
            self.growth_line.setText("")
            return
        conds = r.conditions
        x = np.arange(len(conds), dtype=float)
        fba, measured = growth_arrays(conds)
        predicted = predicted_growth(r)
        has_measured = np.isfinite(measured).any()
        has_predicted = np.isfinite(predicted).any()
        series = 1 + int(has_measured) + int(has_predicted)
        width = {1: 0.6, 2: 0.38, 3: 0.27}[series]
        offset = width * (series - 1) / 2
        bars = pg.BarGraphItem(x=x - offset, height=fba, width=width, brush=FBA_BRUSH)
        gp.addItem(bars)
        # Predicted bars alone are named by the note under the plot: a legend would cover the bars' values.
        self.legend.setVisible(bool(has_measured))
        if has_measured:
            self.legend.addItem(bars, "FBA")
        shift = -offset
        for values, brush, name, shown in ((predicted, PREDICTED_BRUSH, "predicted (trained model)", has_predicted),
                                           (measured, MEASURED_BRUSH, "measured", has_measured)):
            if shown:
                shift += width
                bar = pg.BarGraphItem(x=x + shift, height=np.nan_to_num(values), width=width, brush=brush)
                gp.addItem(bar)
                self.legend.addItem(bar, name)
        for i, c in enumerate(conds):
            text = pg.TextItem(f"{c.growth_rate:.3f}", color=(20, 20, 20), anchor=(0.5, 1.0))
            text.setFont(QFont("Sans", 7))
            text.setPos(float(x[i] - offset), float(fba[i]))
            gp.addItem(text)
        gp.getAxis("bottom").setTicks([[(float(i), c.name) for i, c in enumerate(conds)], []])
        top = float(np.nanmax(np.concatenate([fba, np.nan_to_num(measured), np.nan_to_num(predicted)]))) \
            if len(conds) else 1.0
        gp.setXRange(-0.6, len(conds) - 0.4, padding=0)
        gp.setYRange(0, max(top, 1e-3) * (1.6 if has_measured else 1.3), padding=0)  # room for the legend
        gp.setMouseEnabled(x=False, y=False)
        gp.hideButtons()
        line = "Growth (1/h): " + ", ".join(f"{c.name} {c.growth_rate:.3f}" for c in conds)
        if has_predicted:
            line += "; predicted " + ", ".join("–" if not np.isfinite(p) else f"{p:.3f}" for p in predicted)
        self.growth_line.setText(line)
        self.growth_line.setToolTip(literal(line + "\n\n" + trust_text(r.attention) + "\n" + trust_details(r.attention)))
        notes = [f"{c.name}: {c.status_text()}" for c in conds if not c.grows]
        self.growth_note.setText(("Not used for attention: " + "; ".join(notes)) if notes else "")
        self.trust_note.setText(trust_text(r.attention))
        self.trust_note.setToolTip(literal(trust_details(r.attention)))
        self.trust_note.setStyleSheet("color:#444" if has_predicted else "color:#8a5a00")

    def _fill_top(self, comparison) -> None:
        if comparison is None:
            self.top_table.set_columns([])
            return
        k = comparison.top_k
        idx: dict[int, None] = {}
        for c in range(len(comparison.condition_names)):
            for row in comparison.top_nodes(c, k):
                idx.setdefault(int(row["index"]), None)
        nodes = list(idx)
        labels = comparison.labels
        cols = [Column("name", [labels.names[i] for i in nodes]), Column("id", [labels.ids[i] for i in nodes]),
                Column("type", ["metabolite" if labels.types[i] == 0 else "reaction" for i in nodes]),
                Column("pathway", [labels.pathways[i] for i in nodes])]
        for c, cname in enumerate(comparison.condition_names):
            cols.append(Column(f"importance {cname}", [float(comparison.importance[c, i]) for i in nodes],
                               tooltip=f"share of the attention received in {cname}"))
        self.top_table.set_columns(cols, id_column="id", sort_column=4)

    def _fill_shifts(self, *_args, chart: bool = True) -> None:
        r = self.result
        comparison = r.analysis.conditions if r is not None and r.analysis is not None else None
        pair = self.pair.currentIndex()
        if chart:
            self.shift_chart.set_comparison(comparison, pair)
        shifts_tab = self.tabs.indexOf(self.shift_table)
        if comparison is None or pair < 0:
            self.shift_table.set_columns([])
            self.pathway_table.set_columns([])
            self.tabs.setTabText(shifts_tab, "Biggest shifts")
            return
        a, b = (int(v) for v in comparison.pairs[pair])
        na, nb = comparison.condition_names[a], comparison.condition_names[b]
        rows = comparison.shifted_nodes(pair)
        self.shift_table.set_columns([
            Column("name", [x["name"] for x in rows]), Column("id", [x["id"] for x in rows]),
            Column("type", [x["type"] for x in rows]), Column("pathway", [x["pathway"] for x in rows]),
            Column(f"importance {na}", [x["importance_a"] for x in rows]),
            Column(f"importance {nb}", [x["importance_b"] for x in rows]),
            Column("difference", [x["difference"] for x in rows], tooltip=f"{nb} − {na}"),
            Column("log2 fold change", [x["log2_fold_change"] for x in rows], digits=3,
                   tooltip=f"log2({nb} / {na}) with a small pseudo-count"),
        ], id_column="id")
        prow = comparison.shifted_pathways(pair)
        self.pathway_table.set_columns([
            Column("pathway", [x["pathway"] for x in prow]),
            Column(f"importance {na}", [x["importance_a"] for x in prow]),
            Column(f"importance {nb}", [x["importance_b"] for x in prow]),
            Column("difference", [x["difference"] for x in prow]),
            Column("log2 fold change", [x["log2_fold_change"] for x in prow], digits=3),
        ])
        self.tabs.setTabText(shifts_tab, f"Biggest shifts ({nb} − {na})")

    def highlight(self, node_id: str | None) -> None:
        for t in (self.top_table, self.shift_table):
            t.highlight(node_id)


def predicted_growth(result) -> np.ndarray:
    """Growth (1/h) the run's trained weights predicted per condition of ``result`` (NaN where none:
    untrained attention, or a condition attention did not run on); read from the run, never recomputed."""
    out = np.full(len(result.conditions), np.nan)
    prediction = getattr(result.attention, "prediction", None) if result.attention is not None else None
    if prediction:
        by_name = dict(zip(prediction["conditions"], prediction["predicted_growth"]))
        for i, c in enumerate(result.conditions):
            if c.name in by_name:
                out[i] = float(by_name[c.name])
    return out


def trust_text(attention) -> str:
    """One or two short sentences under the growth plot: which attention ran, how far to trust it."""
    if attention is None:
        return ""
    prediction = getattr(attention, "prediction", None)
    if not prediction:
        return ("Attention untrained — structure only: importance reflects the network's wiring and the FBA "
                "fluxes, not a learned prediction.")
    card = prediction.get("card", {})
    r2 = card.get("metrics", {}).get("held_out", {}).get("growth_r2")
    text = (f"Trained weights ({card.get('data', {}).get('media', '?')} simulated media of "
            f"{card.get('model_id', '?')}, held-out growth R² {'n/a' if r2 is None else f'{r2:.2f}'}): orange bars "
            "are growth predicted from the medium alone.")
    if r2 is None or r2 < 0.9:
        text += " A rough predictor: read its importances as tentative."
    return text


def trust_details(attention) -> str:
    """Predicted beside FBA growth per condition, in words (the tooltip of :func:`trust_text`)."""
    prediction = getattr(attention, "prediction", None) if attention is not None else None
    if not prediction:
        return trust_text(attention)
    return "\n".join(f"{name}: predicted {p:.3f} 1/h, FBA {f:.3f} 1/h, {100 * g:.0f} % predicted chance of growth"
                     for name, p, f, g in zip(prediction["conditions"], prediction["predicted_growth"],
                                              prediction["fba_growth"], prediction["grows_probability"]))
