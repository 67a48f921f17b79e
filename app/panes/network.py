"""Attention network: the top-k nodes of one condition with the neighbours they attend to most, the
neighbourhood of the selected node, or the pathway of the selected node. Metabolites are red circles,
reactions blue squares; edge width and darkness follow attention; the threshold slider hides weak edges.

Around a node and for a pathway the layout is layered (substrates above their reactions, products
below, :mod:`core.views.layered`), and the currency metabolites the graph left out can be drawn as
small grey copies beside each reaction, as metabolic maps do. Labels are placed so that they never
overlap (a label that does not fit is left out; hover names any node).

The nodes and their layout are computed on a worker thread that checks for stop between steps (quitting
right after a run does not wait for it); the pane only draws the arrays it is given.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QSlider, QSpinBox, QVBoxLayout, QWidget

from app.panes import combo_state, restore_combos
from app.panes.labels import place_labels
from app.plain import plain_label
from core.graph import METABOLITE
from app.view_jobs import network_job
from core.views.network_pane import AROUND, PATHWAY, TOP, compute_network  # noqa: F401  (re-export)

SIDE_RGB = (150, 150, 150)


class NetworkPane(QWidget):
    node_clicked = Signal(str)

    def __init__(self, runner, parent: QWidget | None = None):
        super().__init__(parent)
        self.runner = runner
        self.result = None
        self._token: str | None = None  # names the result the compute process keeps (app.view_jobs)
        self.selected: str | None = None
        self.nbh = None
        self.arrays = None
        self._labels: list[pg.TextItem] = []
        self._shown_edges = np.zeros(0, dtype=np.int64)
        self._build()

    def _build(self) -> None:
        self.condition = QComboBox(self)
        self.layer = QComboBox(self)
        self.mode = QComboBox(self)
        self.mode.addItems(["Top nodes", "Around selected node", "Pathway of selected node"])
        self.top_k = QSpinBox(self)
        self.top_k.setRange(1, 60)
        self.top_k.setValue(10)
        self.top_k.setToolTip("Top nodes: how many of the most important nodes to start from; around a node: how "
                              "many of its neighbours (strongest attention first)")
        self.sides = QCheckBox("Currency", self)
        self.sides.setToolTip("draw the currency metabolites left out of the graph (ATP, NADH, H2O, ...) as small "
                              "grey copies beside each reaction, as metabolic maps do (around a node, pathway)")
        self.threshold = QSlider(Qt.Orientation.Horizontal, self)
        self.threshold.setRange(0, 100)
        self.threshold.setValue(0)
        self.threshold.setMaximumWidth(120)
        self.threshold.setToolTip("hide edges weaker than this share of the strongest drawn edge")
        self.threshold_label = QLabel("0%", self)
        self.labels = QComboBox(self)
        self.labels.addItems(["Top labels", "All labels", "No labels"])
        for box, n in ((self.condition, 7), (self.layer, 5), (self.labels, 7), (self.mode, 8)):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(n)
        self.threshold.setMinimumWidth(40)
        # The combo boxes name themselves (tooltips say what they choose), so the pane fits a laptop's
        # third of the screen.
        self.condition.setToolTip("growth condition")
        self.layer.setToolTip("attention layer")
        self.mode.setToolTip("what to draw: the most important nodes, or the neighbourhood of the selected node")
        self.labels.setToolTip("which nodes carry a label")
        row = QHBoxLayout()
        for w in (self.condition, self.layer, self.labels):
            row.addWidget(w)
        row.addStretch(1)
        row2 = QHBoxLayout()
        row2.addWidget(self.mode)
        for text, w in (("k", self.top_k),):
            row2.addWidget(QLabel(text))
            row2.addWidget(w)
        row2.addWidget(QLabel("Edges ≥"))
        row2.addWidget(self.threshold)
        row2.addWidget(self.threshold_label)
        row2.addStretch(1)
        for box in (self.condition, self.layer, self.mode):
            box.currentIndexChanged.connect(self.refresh)
        self.top_k.valueChanged.connect(self.refresh)
        self.sides.toggled.connect(self.refresh)
        self.threshold.valueChanged.connect(self._threshold_changed)
        self.labels.currentIndexChanged.connect(lambda _i: self.draw())

        self.plot = pg.PlotWidget(self)
        self.plot.setBackground("w")
        item = self.plot.getPlotItem()
        item.hideAxis("left")
        item.hideAxis("bottom")
        item.setAspectLocked(True)
        self.side_item = pg.GraphItem()  # currency copies and their links, under the nodes
        self.plot.addItem(self.side_item)
        self.graph_item = pg.GraphItem()
        self.plot.addItem(self.graph_item)
        self.graph_item.scatter.sigClicked.connect(self._point_clicked)
        self.legend = legend = item.addLegend(offset=(5, -5), labelTextSize="8pt")  # bottom left: first layer on top
        legend.addItem(pg.ScatterPlotItem(symbol="o", brush=(214, 39, 40), size=9, pen=None), "metabolite")
        legend.addItem(pg.ScatterPlotItem(symbol="s", brush=(31, 119, 180), size=9, pen=None), "reaction")
        legend.addItem(pg.ScatterPlotItem(symbol="o", brush=SIDE_RGB, size=7, pen=None), "currency metabolite")
        self.info = plain_label(QLabel("No results yet.", self))  # condition names, error messages
        self.info.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(row)
        layout.addLayout(row2)
        row3 = QHBoxLayout()  # a row of its own: the pane fits a laptop's third of the screen without scrolling
        row3.addWidget(self.sides)
        row3.addStretch(1)
        layout.addLayout(row3)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.info)
        item.getViewBox().sigRangeChanged.connect(lambda *_: self._place_labels())
        item.getViewBox().sigResized.connect(lambda *_: self._place_labels())
        self.sides_shown = None
        self._asked_mode = self._shown_mode = TOP

    # ------------------------------------------------------------------ data

    def set_result(self, result, views=None) -> None:
        """Show ``result``; its layouts are made in the compute process when ``views`` name the result kept
        there (``views.token``, :func:`app.view_jobs.network_job`), else on a worker thread."""
        self.result = result
        self._token = getattr(views, "token", None)
        att = result.attention if result is not None else None
        for box in (self.condition, self.layer):
            box.blockSignals(True)
            box.clear()
        if att is not None:
            self.condition.addItems(list(att.condition_names))
            self.layer.addItems([f"layer {i + 1}" for i in range(att.n_layers)])
            self.layer.setCurrentIndex(att.n_layers - 1)
        for box in (self.condition, self.layer):
            box.blockSignals(False)
        self.nbh = self.arrays = None
        self.refresh()

    def view_state(self) -> dict:
        """Condition and mode shown (indexes), how many top nodes and the edge threshold (%)."""
        return dict(combo_state({"condition": self.condition, "mode": self.mode}),
                    top_k=self.top_k.value(), threshold=self.threshold.value(), currency=self.sides.isChecked())

    def restore_view(self, state: dict) -> None:
        restore_combos({"condition": self.condition, "mode": self.mode}, state)
        for box, key in ((self.top_k, "top_k"), (self.threshold, "threshold")):
            if isinstance(state.get(key), int):
                box.setValue(state[key])
        if isinstance(state.get("currency"), bool):
            self.sides.setChecked(state["currency"])

    def refresh(self, *_args) -> None:
        """Recompute the neighbourhood (on a worker thread) for the current choices."""
        r = self.result
        if r is None or r.attention is None:
            self.runner.cancel("network")
            self.nbh = self.arrays = None
            self.draw()
            return
        centre = None
        if self.mode.currentIndex() != TOP:
            if self.selected is None or self.selected not in r.graph.index:
                self.info.setText("Select a node (table, heatmap, search box) to see its neighbourhood.")
                self.nbh = self.arrays = None
                self.draw(keep_info=True)
                return
            centre = r.graph.index[self.selected]
        self._asked_mode = self.mode.currentIndex()
        self.runner.start("network", network_job, self._token, r.graph, r.attention, centre, self.top_k.value(),
                          max(self.condition.currentIndex(), 0), max(self.layer.currentIndex(), 0),
                          r.settings.attention.seed, self.mode.currentIndex(),
                          getattr(getattr(r, "loaded", None), "model", None), self.sides.isChecked(),
                          on_finished=self._computed,
                          on_failed=lambda exc: self.info.setText(f"Could not lay out the network: {exc}"))

    def _computed(self, value) -> None:
        for label in self._labels:  # they name the nodes of the arrays drawn before
            label.spot = label.node = None
        self.nbh, self.arrays, self.sides_shown = value
        self._shown_mode = self._asked_mode
        self.plot.getPlotItem().setAspectLocked(False)  # every mode is layered: the layers fill the pane
        self.draw()
        vb = self.plot.getPlotItem().getViewBox()
        vb.autoRange(padding=0.12)
        # Room under the drawing for the legend (bottom left), so that no node or name sits under it.
        (y0, y1), legend = vb.viewRange()[1], self.legend.boundingRect().height() + 8
        vb.setYRange(y0 - (y1 - y0) * legend / max(vb.height() - legend, 1.0), y1, padding=0)
        self._place_labels()

    def _threshold_changed(self, value: int) -> None:
        self.threshold_label.setText(f"{value}%")
        self.draw()

    # ------------------------------------------------------------------ drawing

    def _label_pool(self, n: int) -> list:
        """TextItems are made once and reused: removing them from the scene and letting Python free
        them made pyqtgraph call into deleted objects on the next view change."""
        font = QFont("Sans", 7)
        while len(self._labels) < n:
            label = pg.TextItem("", color=(30, 30, 30), anchor=(0, 0))
            label.setFont(font)
            label.setVisible(False)
            label.spot = label.node = None  # view position and index of the node it names
            self.plot.addItem(label)
            self._labels.append(label)
        return self._labels

    def _label_order(self) -> list[tuple[np.ndarray, str, int | None]]:
        """(view position, text, drawn node or None for a currency copy) of the labels wanted, most important first: the
        selected node, the chosen/top nodes, then (all labels) the others by importance and the copies."""
        a, mode = self.arrays, self.labels.currentIndex()
        if a is None or mode == 2:
            return []
        imp = np.asarray(self.nbh.node_weight, dtype=np.float64)
        first = [k for k in range(len(a.ids)) if a.ids[k] == self.selected]
        seeds = [k for k in np.argsort(-imp, kind="stable") if a.is_seed[k] and k not in first]
        # Around a node or in a pathway the few nodes drawn are all worth naming; among the top nodes only
        # the top ones unless all labels are asked for.
        every = mode == 1 or self._shown_mode != TOP or len(a.ids) <= 40
        rest = [k for k in np.argsort(-imp, kind="stable") if not a.is_seed[k] and k not in first] if every else []
        out = [(a.pos[k], a.labels[k], int(k)) for k in (*first, *seeds, *rest)]
        sides = self.sides_shown
        if sides is not None and (mode == 1 or self._shown_mode == TOP):  # the shared hubs say what joins the top
            out += [(sides.pos[j], sides.names[j], None) for j in range(len(sides.names))]
        return out

    def draw(self, keep_info: bool = False) -> None:
        for label in self._labels:
            label.setVisible(False)
            label.spot = None
        a = self.arrays
        if a is None or a.pos.shape[0] == 0:
            self.graph_item.setData(pos=np.zeros((0, 2)), adj=np.zeros((0, 2), dtype=np.int64))
            self.side_item.setData(pos=np.zeros((0, 2)), adj=np.zeros((0, 2), dtype=np.int64))
            if not keep_info:
                self.info.setText("No results yet." if self.result is None else "Laying out the network…")
            return
        keep = np.flatnonzero(a.edge_strength >= self.threshold.value() / 100.0) if a.adj.shape[0] else \
            np.zeros(0, dtype=np.int64)
        self._shown_edges = keep
        kwargs = a.setdata_kwargs()
        kwargs["adj"] = a.adj[keep]
        kwargs["pen"] = a.pens[keep]
        kwargs["symbolPen"] = self._symbol_pens()
        kwargs["data"] = np.arange(a.pos.shape[0])
        self.graph_item.setData(**kwargs)
        self._draw_sides()
        wanted = self._label_order()
        for label, (spot, text, node) in zip(self._label_pool(len(wanted)), wanted):
            label.setText(text)
            label.setColor((120, 120, 120) if node is None else (30, 30, 30))
            label.spot, label.node = (float(spot[0]), float(spot[1])), node
        self._place_labels()
        nbh, mode = self.nbh, self._shown_mode
        n_met = int((np.asarray(a.types) == METABOLITE).sum())
        what = {TOP: f"top {self.top_k.value()} nodes joined by the shortest paths between them, layered",
                AROUND: f"around {nbh.names[0]}, layered: substrates before their reactions, products after",
                PATHWAY: f"{self._pathway_name()}, layered: substrates before their reactions, products after"}[mode]
        extra = "" if self.sides_shown is None or not self.sides_shown.names else (
            f"; {len(self.sides_shown.names)} currency metabolites they share in grey" if mode == TOP
            else f"; {len(self.sides_shown.names)} currency copies in grey")
        self.info.setText(f"{nbh.condition}, layer {nbh.layer + 1}: {what}. {a.pos.shape[0]} nodes ({n_met} metabolites), "
                          f"{len(keep)} of {a.adj.shape[0]} edges shown{extra}; outlined = "
                          f"{ {TOP: 'top', AROUND: 'chosen', PATHWAY: 'pathway'}[mode]} nodes. Labels that would "
                          "overlap are left out: hover or zoom. Click a node to select it.")

    def _pathway_name(self) -> str:
        r = self.result
        nbh = self.nbh
        seeds = [i for i, s in zip(nbh.nodes, nbh.is_seed) if s]
        return r.graph.primary_pathway[int(seeds[0])] if seeds else "pathway"

    def _draw_sides(self) -> None:
        """Currency copies: small grey dots linked to their reaction (drawn under the nodes)."""
        s, a = self.sides_shown, self.arrays
        if s is None or len(s.names) == 0:
            self.side_item.setData(pos=np.zeros((0, 2)), adj=np.zeros((0, 2), dtype=np.int64))
            return
        k = a.pos.shape[0]
        pos = np.vstack([a.pos, s.pos])
        adj = np.stack([s.attach, k + s.linked], axis=1)
        size = 11.0 if self._shown_mode == TOP else 5.0  # top nodes: hubs joining reactions; else small copies
        self.side_item.setData(pos=pos, adj=adj, size=np.r_[np.zeros(k), np.full(len(s.names), size)],
                               symbolBrush=pg.mkBrush(*SIDE_RGB), symbolPen=None, pen=pg.mkPen(190, 190, 190),
                               pxMode=True)

    def _place_labels(self) -> None:
        """Put the wanted labels beside their nodes where they overlap no other label (in pixels, so
        again after every zoom or resize); those that do not fit are hidden."""
        labels = [lab for lab in self._labels if lab.spot is not None]
        if not labels:
            return
        vb = self.plot.getPlotItem().getViewBox()
        anchors, widths, height = [], [], 0.0
        for lab in labels:
            p = vb.mapViewToScene(pg.Point(*lab.spot))
            anchors.append((p.x(), p.y()))
            box = lab.textItem.boundingRect()
            widths.append(box.width() + 1)
            height = max(height, box.height() + 1)
        rect = vb.sceneBoundingRect()
        a = self.arrays
        markers = []  # the nodes' own markers: a label must not hide a node
        if a is not None:
            for (x, y), size in zip(a.pos, a.sizes):
                c = vb.mapViewToScene(pg.Point(float(x), float(y)))
                half = size / 2 + 1
                markers.append((c.x() - half, c.y() - half, c.x() + half, c.y() + half))
        clear = [(m[2] - m[0]) / 2 + 2 for m in markers]
        s = self.sides_shown  # the grey currency nodes are not covered either
        half = (11.0 if self._shown_mode == TOP else 5.0) / 2 + 1
        for x, y in (s.pos if s is not None else ()):
            c = vb.mapViewToScene(pg.Point(float(x), float(y)))
            markers.append((c.x() - half, c.y() - half, c.x() + half, c.y() + half))
        # No name under the legend either: where its anchor puts it (bottom left, 5 px in), which holds even
        # while a resize has not moved it yet.
        size = self.legend.boundingRect()
        markers = markers + [(rect.left(), rect.bottom() - 5 - size.height(), rect.left() + 5 + size.width(),
                              rect.bottom())]
        gaps = [clear[lab.node] if lab.node is not None and lab.node < len(clear) else half + 1 for lab in labels]
        spots = place_labels(np.array(anchors), np.array(widths), height,
                             (rect.left(), rect.top(), rect.right(), rect.bottom()), markers, np.array(gaps))
        for lab, spot in zip(labels, spots):
            lab.setVisible(spot is not None)
            if spot is not None:
                lab.setPos(vb.mapSceneToView(pg.Point(*spot)))

    def shown_labels(self) -> list[str]:
        return [lab.textItem.toPlainText() for lab in self._labels if lab.spot is not None and lab.isVisible()]

    def _symbol_pens(self) -> list:
        a = self.arrays
        pens = []
        for k in range(a.pos.shape[0]):
            if self.selected is not None and a.ids[k] == self.selected:
                pens.append(pg.mkPen((255, 170, 0), width=4))
            elif a.is_seed[k]:
                pens.append(pg.mkPen((0, 0, 0), width=1.8))
            else:
                pens.append(pg.mkPen((255, 255, 255), width=1))
        return pens

    def highlight(self, node_id: str | None) -> None:
        self.selected = node_id
        if self.mode.currentIndex() != TOP:
            self.refresh()
        elif self.arrays is not None:
            self.draw()

    def shown_nodes(self) -> tuple[str, ...]:
        return self.arrays.ids if self.arrays is not None else ()

    def _point_clicked(self, _scatter, points, *_args) -> None:
        if self.arrays is None or len(points) == 0:
            return
        k = int(points[0].index())
        if 0 <= k < len(self.arrays.ids):
            self.node_clicked.emit(self.arrays.ids[k])
