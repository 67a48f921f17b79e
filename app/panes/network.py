"""Attention network: the top-k nodes of one condition (or the neighbourhood of the selected node)
with the neighbours they attend to most. Metabolites are red circles, reactions blue squares; edge
width and darkness follow attention; the threshold slider hides weak edges.

The neighbourhood and its layout come from :mod:`core.views` (positions cached there) and are
computed on a worker thread; the pane only draws the arrays it is given.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QSpinBox, QVBoxLayout, QWidget

from app.panes import combo_state, restore_combos
from app.plain import plain_label
from core.graph import METABOLITE


def compute_network(graph, attention, centre, top_k: int, condition: int, layer: int, seed: int,
                    progress=None, should_stop=None):
    """(Neighbourhood, GraphArrays) for the pane; runs on a worker thread."""
    from core.views import graph_arrays, neighbourhood

    nbh = neighbourhood(graph, attention, centre=centre, top_k=top_k, condition=condition, layer=layer,
                        max_nodes=60 if centre is not None else 80)
    return nbh, graph_arrays(nbh, seed=seed, label_length=28)


class NetworkPane(QWidget):
    node_clicked = Signal(str)

    def __init__(self, runner, parent: QWidget | None = None):
        super().__init__(parent)
        self.runner = runner
        self.result = None
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
        self.mode.addItems(["Top nodes", "Around selected node"])
        self.top_k = QSpinBox(self)
        self.top_k.setRange(1, 60)
        self.top_k.setValue(10)
        self.top_k.setToolTip("how many of the most important nodes to start from")
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
        self.threshold.valueChanged.connect(self._threshold_changed)
        self.labels.currentIndexChanged.connect(lambda _i: self.draw())

        self.plot = pg.PlotWidget(self)
        self.plot.setBackground("w")
        item = self.plot.getPlotItem()
        item.hideAxis("left")
        item.hideAxis("bottom")
        item.setAspectLocked(True)
        self.graph_item = pg.GraphItem()
        self.plot.addItem(self.graph_item)
        self.graph_item.scatter.sigClicked.connect(self._point_clicked)
        legend = item.addLegend(offset=(5, 5), labelTextSize="8pt")
        legend.addItem(pg.ScatterPlotItem(symbol="o", brush=(214, 39, 40), size=9, pen=None), "metabolite")
        legend.addItem(pg.ScatterPlotItem(symbol="s", brush=(31, 119, 180), size=9, pen=None), "reaction")
        self.info = plain_label(QLabel("No results yet.", self))  # condition names, error messages
        self.info.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(row)
        layout.addLayout(row2)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.info)

    # ------------------------------------------------------------------ data

    def set_result(self, result) -> None:
        self.result = result
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
                    top_k=self.top_k.value(), threshold=self.threshold.value())

    def restore_view(self, state: dict) -> None:
        restore_combos({"condition": self.condition, "mode": self.mode}, state)
        for box, key in ((self.top_k, "top_k"), (self.threshold, "threshold")):
            if isinstance(state.get(key), int):
                box.setValue(state[key])

    def refresh(self, *_args) -> None:
        """Recompute the neighbourhood (on a worker thread) for the current choices."""
        r = self.result
        if r is None or r.attention is None:
            self.runner.cancel("network")
            self.nbh = self.arrays = None
            self.draw()
            return
        centre = None
        if self.mode.currentIndex() == 1:
            if self.selected is None or self.selected not in r.graph.index:
                self.info.setText("Select a node (table, heatmap, search box) to see its neighbourhood.")
                self.nbh = self.arrays = None
                self.draw(keep_info=True)
                return
            centre = r.graph.index[self.selected]
        self.runner.start("network", compute_network, r.graph, r.attention, centre, self.top_k.value(),
                          max(self.condition.currentIndex(), 0), max(self.layer.currentIndex(), 0),
                          r.settings.attention.seed, on_finished=self._computed,
                          on_failed=lambda exc: self.info.setText(f"Could not lay out the network: {exc}"))

    def _computed(self, value) -> None:
        self.nbh, self.arrays = value
        self.draw()
        self.plot.getPlotItem().getViewBox().autoRange(padding=0.12)

    def _threshold_changed(self, value: int) -> None:
        self.threshold_label.setText(f"{value}%")
        self.draw()

    # ------------------------------------------------------------------ drawing

    def _label_pool(self, n: int) -> list:
        """TextItems are made once and reused: removing them from the scene and letting Python free
        them made pyqtgraph call into deleted objects on the next view change."""
        font = QFont("Sans", 7)
        while len(self._labels) < n:
            label = pg.TextItem("", color=(30, 30, 30), anchor=(0.5, 1.3))
            label.setFont(font)
            label.setVisible(False)
            self.plot.addItem(label)
            self._labels.append(label)
        return self._labels

    def draw(self, keep_info: bool = False) -> None:
        for label in self._labels:
            label.setVisible(False)
        a = self.arrays
        if a is None or a.pos.shape[0] == 0:
            self.graph_item.setData(pos=np.zeros((0, 2)), adj=np.zeros((0, 2), dtype=np.int64))
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
        mode = self.labels.currentIndex()
        if mode < 2:
            pool = self._label_pool(a.pos.shape[0])
            for k, text in enumerate(a.labels):
                if mode == 0 and not (a.is_seed[k] or a.ids[k] == self.selected):
                    continue
                pool[k].setText(text)
                pool[k].setPos(float(a.pos[k, 0]), float(a.pos[k, 1]))
                pool[k].setVisible(True)
        nbh = self.nbh
        n_met = int((np.asarray(a.types) == METABOLITE).sum())
        what = (f"around {nbh.names[0]}" if self.mode.currentIndex() == 1
                else f"top {self.top_k.value()} nodes and their strongest neighbours")
        self.info.setText(f"{nbh.condition}, layer {nbh.layer + 1}: {what}. {a.pos.shape[0]} nodes ({n_met} metabolites), "
                          f"{len(keep)} of {a.adj.shape[0]} edges shown; outlined = "
                          f"{'chosen' if self.mode.currentIndex() == 1 else 'top'} nodes. Click a node to select it.")

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
        if self.mode.currentIndex() == 1:
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
