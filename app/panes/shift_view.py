"""The condition-shift chart (a tab of the comparison pane): which nodes or pathways move most from one
condition to the other, ranked by relative change with a floor (:mod:`core.analysis.shifts`), as
labelled bars or as a volcano-style plot of relative change against importance.

* Bars: the biggest movers, biggest first, named on the left; red grows in the second condition,
  blue shrinks; the bar's length is the relative change in log2 units (1 = doubles).
* Volcano: every node (pathway) at (relative change, importance where it holds most, in times the
  average node's share, log scale); grey below the floor (not ranked); the biggest movers named,
  labels placed so that they do not overlap.

Everything drawn comes from the ``ShiftRanking`` the comparison result gives; nothing is recomputed.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.panes.labels import place_labels
from app.plain import literal, plain_label
from core.views.panes import SHIFT_K
from core.views.style import distinct_names

UP_RGB = (196, 78, 82)  # grows in the second condition
DOWN_RGB = (76, 114, 176)  # shrinks
BELOW_FLOOR_RGB = (200, 200, 200)
SHOWN = SHIFT_K  # movers drawn as bars / labelled in the volcano
LABEL_CHARS = 28
LABEL_FONT = QFont("Sans", 8)


class ShiftView(QWidget):
    """Bars or volcano of one :class:`core.analysis.shifts.ShiftRanking`; clicking a node selects it."""

    node_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.comparison = None
        self.pair = -1
        self.ranking = None
        self._bars_shown = 0
        self._bar_nodes = np.zeros(0, dtype=np.int64)  # the node (or pathway) index of each bar, top to bottom
        self._movers: dict = {}  # (pair, level) -> ShiftRanking of self.comparison
        self._labels: list[pg.TextItem] = []  # the volcano's names, made once and reused
        self.level = QComboBox(self)
        self.level.addItems(["nodes", "pathways"])
        self.level.setToolTip("rank single nodes, or pathways (the summed importance of their nodes)")
        self.chart = QComboBox(self)
        self.chart.addItems(["bars", "volcano"])
        self.chart.setToolTip("bars: the biggest movers; volcano: every node's relative change against its "
                              "importance, the biggest movers named")
        for box in (self.level, self.chart):
            box.currentIndexChanged.connect(lambda _i: self.redraw())
        row = QHBoxLayout()
        row.setSpacing(4)
        row.addWidget(self.level)
        row.addWidget(self.chart)
        row.addStretch(1)
        self.plot = pg.PlotWidget(self)
        self.plot.setBackground("w")
        self.plot.setMinimumSize(60, 40)  # no taller a minimum than the tables beside it: the pane fits a laptop
        item = self.plot.getPlotItem()
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            axis.setStyle(tickFont=QFont("Sans", 8))
            axis.setPen(pg.mkPen("#555"))
            axis.setTextPen(pg.mkPen("#222"))
            axis.enableAutoSIPrefix(False)  # log2 units and "× average share": no "(x0.001)"
        item.hideButtons()
        self.note = plain_label(QLabel("No results yet.", self))
        self.note.setStyleSheet("color:#444")
        self.note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # one line, cut if narrow
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.note)
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        item.getViewBox().sigResized.connect(lambda *_: self._resized())
        # Every item is made once and only given new data: pyqtgraph items removed and freed while a
        # view still referenced them crashed the interpreter at exit.
        self.bars = pg.BarGraphItem(x0=[], y=[], width=[], height=0.7, pen=None)
        self.scatter = pg.ScatterPlotItem(hoverable=True)
        self.scatter.sigClicked.connect(self._point_clicked)
        self.zero_line = pg.InfiniteLine(pos=0, angle=90, pen=pg.mkPen("#999"))
        self.floor_line = pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen("#999", style=Qt.PenStyle.DashLine))
        self.floor_text = pg.TextItem("floor", color=(110, 110, 110), anchor=(0, 1))
        for it in (self.bars, self.scatter, self.zero_line, self.floor_line, self.floor_text):
            item.addItem(it)
        for _ in range(SHOWN):
            label = pg.TextItem("", color=(20, 20, 20), anchor=(0, 0))
            label.setFont(LABEL_FONT)
            label.index = -1
            label.setVisible(False)
            item.addItem(label)
            self._labels.append(label)
        self._show(bars=False, volcano=False)

    def set_comparison(self, comparison, pair: int, movers: dict | None = None) -> None:
        """Draw ``pair`` of ``comparison``; ``movers`` ((pair, level) -> ShiftRanking, of this comparison)
        were ranked off the window's thread (:class:`core.views.panes.PaneViews`); others are ranked here."""
        if comparison is not self.comparison or movers:
            self._movers = dict(movers or {})
        self.comparison, self.pair = comparison, pair
        self.redraw()

    def _show(self, bars: bool, volcano: bool) -> None:
        self.bars.setVisible(bars)
        self.zero_line.setVisible(bars or volcano)
        for it in (self.scatter, self.floor_line, self.floor_text):
            it.setVisible(volcano)
        for label in self._labels:
            label.setVisible(False)

    def redraw(self) -> None:
        self._show(bars=False, volcano=False)
        c = self.comparison
        if c is None or self.pair < 0 or self.pair >= len(c.pairs):
            self.ranking = None
            self.note.setText("No results yet." if c is None else "Only one condition: nothing to compare.")
            return
        level = self.level.currentText()
        r = self._movers.get((self.pair, level))
        if r is None:
            r = self._movers[(self.pair, level)] = c.movers(self.pair, level=level, k=SHOWN)
        self.ranking = r
        if self.chart.currentIndex() == 0:
            self._draw_bars(r)
        else:
            self._draw_volcano(r)
        what = "nodes" if level == "nodes" else "pathways"
        # Short under the chart (the pane must fit a laptop's third of the screen); the rest in the tooltip.
        self.note.setText(f"Red: more attention in {r.condition_b}, blue: less (hover for the ranking).")
        self.note.setToolTip(literal(
            f"Relative change = log2(({r.condition_b} + floor) / ({r.condition_a} + floor)): 1 = doubles, -1 = halves. "
            f"The floor is {r.floor * len(r.names):.2g} × the average {what[:-1]}'s share of attention; {what} below "
            f"it in both conditions are not ranked (grey in the volcano), so hubs that move a little do not crowd "
            f"out smaller parts that change a lot, and {what} with almost no attention do not top the list."))

    def _resized(self) -> None:
        if self.chart.currentIndex() == 0:
            if self.ranking is not None and self._bars_that_fit() != self._bars_shown:
                self._draw_bars(self.ranking)  # as many bars as have room for their names
        else:
            self._place_volcano_labels()

    def _bars_that_fit(self) -> int:
        """Bars whose names fit one under the other (a name needs ~14 px), at least one."""
        height = self.plot.getPlotItem().getViewBox().height()
        return max(1, min(SHOWN, int(height // 14))) if height > 0 else SHOWN

    def _axis_label(self, r) -> str:
        return f"relative change, log2 ({r.condition_b} vs {r.condition_a})"

    def _draw_bars(self, r) -> None:
        item = self.plot.getPlotItem()
        item.setAspectLocked(False)
        ranked = self._bar_nodes = r.both_ways(self._bars_that_fit())  # gains and losses, both shown
        k = self._bars_shown = len(ranked)
        change = r.relative_change[ranked]
        y = np.arange(k, dtype=float)
        brushes = [pg.mkBrush(*(UP_RGB if v > 0 else DOWN_RGB)) for v in change]
        self.bars.setOpts(x0=np.zeros(k), y=y, width=change, height=0.7, brushes=brushes, pen=None)
        self._show(bars=True, volcano=False)
        item.invertY(True)
        names = distinct_names([r.names[i] for i in ranked], [r.ids[i] for i in ranked], LABEL_CHARS)
        item.getAxis("left").setTicks([[(float(i), n) for i, n in enumerate(names)], []])
        item.getAxis("bottom").setTicks(None)
        item.setLabel("bottom", self._axis_label(r))
        item.setLabel("left", "")
        width = max(float(np.abs(change).max()) if k else 1.0, 0.1)
        item.setXRange(-width * 1.05 if (change < 0).any() else -width * 0.05,
                       width * 1.05 if (change > 0).any() else width * 0.05, padding=0)
        item.setYRange(-0.6, max(k, 1) - 0.4, padding=0)
        item.setMouseEnabled(x=False, y=False)
        self.plot.setToolTip("")

    def _draw_volcano(self, r) -> None:
        item = self.plot.getPlotItem()
        item.invertY(False)
        item.setMouseEnabled(x=True, y=True)
        m = len(r.names)
        times = np.maximum(r.importance * m, 1e-6)  # times the average item's share
        y = np.log10(times)
        x = r.relative_change
        ranked = set(r.ranked.tolist())
        colour = [BELOW_FLOOR_RGB if not r.above_floor[i] else (UP_RGB if x[i] > 0 else DOWN_RGB) for i in range(m)]
        sizes = np.where([i in ranked for i in range(m)], 10.0, 6.0)
        self.scatter.setData(x=x, y=y, size=sizes, brush=[pg.mkBrush(*c, 200) for c in colour],
                             pen=pg.mkPen(255, 255, 255, 120), data=np.arange(m))
        floor_y = float(np.log10(max(r.floor * m, 1e-6)))
        self.floor_line.setValue(floor_y)
        self._show(bars=False, volcano=True)
        item.getAxis("left").setTicks([[(float(k), f"{10.0 ** k:g}") for k in range(int(np.floor(y.min())),
                                                                                      int(np.ceil(y.max())) + 1)], []])
        item.getAxis("bottom").setTicks(None)
        item.setLabel("left", "importance (× average share)")
        item.setLabel("bottom", self._axis_label(r))
        shown = distinct_names([r.names[i] for i in r.ranked], [r.ids[i] for i in r.ranked], LABEL_CHARS)
        for label, i, text in zip(self._labels, r.ranked, shown):
            label.setText(text)
            label.index = int(i)
        for label in self._labels[len(r.ranked):]:
            label.index = -1
        spread = max(float(np.abs(x).max()) if m else 1.0, 0.1)
        item.setXRange(-spread * 1.1, spread * 1.1, padding=0)
        self.floor_text.setPos(-spread * 1.05, floor_y)
        item.setYRange(float(y.min()) - 0.1, float(y.max()) + 0.25, padding=0)
        self._place_volcano_labels()

    def _place_volcano_labels(self) -> None:
        """Put the movers' names beside their points without overlaps (in pixels, so again on resize)."""
        r = self.ranking
        labels = [lab for lab in self._labels if lab.index >= 0]
        if r is None or self.chart.currentIndex() != 1 or not labels:
            return
        vb = self.plot.getPlotItem().getViewBox()
        m = len(r.names)
        anchors, widths, height = [], [], 0.0
        for label in labels:
            i = label.index
            p = vb.mapViewToScene(pg.Point(float(r.relative_change[i]), float(np.log10(max(r.importance[i] * m, 1e-6)))))
            anchors.append((p.x(), p.y()))
            box = label.textItem.boundingRect()  # in pixels: a TextItem ignores the view's scaling
            widths.append(box.width() + 1)
            height = max(height, box.height() + 1)
        rect = vb.sceneBoundingRect()
        spots = place_labels(np.array(anchors), np.array(widths), height,
                             (rect.left(), rect.top(), rect.right(), rect.bottom()))
        for label, spot in zip(labels, spots):
            label.setVisible(spot is not None)
            if spot is not None:
                label.setPos(vb.mapSceneToView(pg.Point(*spot)))

    def labelled(self) -> list[str]:
        """Names written on the chart now (bars: the axis; volcano: the visible labels)."""
        if self.chart.currentIndex() == 0:
            return [t for _p, t in self.plot.getPlotItem().getAxis("left")._tickLevels[0]]
        return [lab.textItem.toPlainText() for lab in self._labels if lab.index >= 0 and lab.isVisible()]

    def _point_clicked(self, _scatter, points, *_args) -> None:
        r = self.ranking
        if r is not None and len(points) and r.level == "nodes":
            self.node_clicked.emit(r.ids[int(points[0].data())])

    def _clicked(self, event) -> None:
        """A click on a bar selects its node."""
        r = self.ranking
        if r is None or r.level != "nodes" or self.chart.currentIndex() != 0 or event.button() != Qt.MouseButton.LeftButton:
            return
        p = self.plot.getPlotItem().getViewBox().mapSceneToView(event.scenePos())
        self.click_bar(p.y())

    def click_bar(self, y: float) -> str | None:
        r = self.ranking
        k = int(round(y))
        if r is None or r.level != "nodes" or not 0 <= k < len(self._bar_nodes):
            return None
        node = r.ids[int(self._bar_nodes[k])]
        self.node_clicked.emit(node)
        return node
