"""Attention heatmap: rows are the attending nodes, columns the nodes attended to, both in pathway
order, for one condition, layer and head (or the mean over heads); or pathway x pathway flow.

At genome scale the node level is never a dense N x N matrix: the per-edge weights are rasterised
into at most ``MAX_PIXELS``² pixels by :func:`core.views.heatmap_grid` (a pixel shows the largest
weight that falls in it; empty pixels are transparent), which takes a few milliseconds. Zoomed in
to at most ``DETAIL_NODES`` nodes across, the visible window is drawn again at one cell per node
pair (:func:`core.views.heatmap_window`), so single edges can be read and hovered.
Hover shows both nodes and the weight below the plot; a click selects the attending node.

The pathway level draws the analysis' pathway x pathway totals on a log colour scale (the totals
within a pathway are tens to hundreds of times those between pathways), rows named and numbered,
columns numbered, the view fitted to the matrix whenever the level changes (also when a project
reopens at that level).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPen
from PySide6.QtWidgets import QComboBox, QGraphicsRectItem, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.panes import combo_state, restore_combos
from app.panes.heatmap_axes import LABEL_CHARS, block_ticks, log_ticks, node_caption, pathway_image, pathway_ticks
from app.panes.heatmap_axes import short as _short
from app.plain import esc
from core.views import attention_slice, heatmap_window, pathway_order
from core.views.heatmap import heatmap_image, pooled

MAX_PIXELS = 1500
DETAIL_NODES = 1200  # zoomed in to this many nodes across (or fewer), cells are single node pairs
COLORMAPS = ("viridis", "plasma", "inferno")
NODE_BAR_LABEL = "attention weight"
PATHWAY_BAR_LABEL = "total attention (sum of weights), log scale"


class HeatmapPane(QWidget):
    node_clicked = Signal(str)
    colormap_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.result = None
        self.selected: str | None = None
        self._order = None
        self._pix_rows = self._pix_cols = None
        self._weights = None
        self._grid = None
        self._levels = (0.0, 1.0)
        self._shown_factor = 0
        self._rank_rows = self._rank_cols = None  # (E,) pathway-order rank of each edge's target/source
        self._detail_window = None  # (r0, r1, c0, c1) shown at one cell per node pair, or None
        self._level_shown: bool | None = None  # the level drawn last (True: nodes); a change re-fits the view
        self._images: dict = {}  # (condition, layer, head) -> HeatmapImage, made off this thread when given
        self._pools: dict = {}  # (condition, layer, head, factor) -> pooled image
        self._key = None  # the (condition, layer, head) drawn
        self._build()

    def _build(self) -> None:
        self.condition = QComboBox(self)
        self.layer = QComboBox(self)
        self.head = QComboBox(self)
        self.level = QComboBox(self)
        self.level.addItems(["nodes", "pathways"])
        self.cmap = QComboBox(self)
        self.cmap.addItems(COLORMAPS)
        controls, second = QHBoxLayout(), QHBoxLayout()  # two rows: the pane fits a laptop's third of the screen
        for label, box in (("Condition", self.condition), ("Layer", self.layer), ("Head", self.head),
                           ("Level", self.level), ("Colours", self.cmap)):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength({"Layer": 7, "Head": 13, "Level": 8}.get(label, 7))
            box.setToolTip({"Condition": "growth condition", "Layer": "attention layer",
                            "Head": "one attention head, or the mean over heads",
                            "Level": "node x node, or pathway x pathway (summed)",
                            "Colours": "colour map"}[label])
            # the items name themselves ("layer 2", "mean of heads", ...)
            (controls if label in ("Condition", "Level", "Colours") else second).addWidget(box)
            box.currentIndexChanged.connect(self.redraw)
        for row in (controls, second):
            row.setSpacing(4)
            row.addStretch(1)
        self.cmap.currentTextChanged.connect(self.colormap_changed)

        self.plot = pg.PlotWidget(self)
        self.plot.setBackground("w")
        item = self.plot.getPlotItem()
        item.invertY(True)
        item.setAspectLocked(True)
        item.setLabel("bottom", "attended to (source), by pathway")
        item.setLabel("left", "attending (target), by pathway")
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            axis.setStyle(tickFont=QFont("Sans", 7), tickLength=-4)
            axis.setPen(pg.mkPen("#555"))
            axis.setTextPen(pg.mkPen("#222"))
        item.getAxis("left").setWidth(150)
        item.getAxis("bottom").setHeight(40)
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.detail = pg.ImageItem()  # the zoomed-in window at node resolution, over the overview
        self.detail.setZValue(2)
        # An opaque backing for the detail: the overview's coarse blocks must not show through the
        # detail's empty (transparent) cells.
        self.detail_bg = QGraphicsRectItem()
        self.detail_bg.setBrush(QBrush(QColor("white")))
        self.detail_bg.setPen(QPen(Qt.PenStyle.NoPen))
        self.detail_bg.setZValue(1)
        self.plot.addItem(self.detail_bg)
        self.plot.addItem(self.detail)
        self._set_detail_visible(False)
        self.bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=pg.colormap.get("viridis"), label=NODE_BAR_LABEL,
                                   interactive=False, width=14)
        self.bar.setImageItem([self.image, self.detail], insert_in=item)
        pen = QPen(QColor(220, 20, 60))
        pen.setWidthF(1.5)
        pen.setCosmetic(True)
        pen.setStyle(Qt.PenStyle.DashLine)
        self.row_line = pg.InfiniteLine(angle=0, pen=pen, movable=False)
        self.col_line = pg.InfiniteLine(angle=90, pen=pen, movable=False)
        for line in (self.row_line, self.col_line):
            line.setZValue(10)  # above the detail and its backing
            line.setVisible(False)
            self.plot.addItem(line)
        self.plot.scene().sigMouseMoved.connect(self._hover)
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        item.getViewBox().sigRangeChanged.connect(lambda *_: self._view_changed())

        self.info = QLabel("No results yet.", self)
        self.info.setWordWrap(True)
        self.info.setMinimumHeight(34)
        self.info.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(controls)
        layout.addLayout(second)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.info)

    # ------------------------------------------------------------------ data

    def set_colormap(self, name: str) -> None:
        if name in COLORMAPS:
            self.cmap.setCurrentText(name)

    def _state_boxes(self) -> dict:
        return {"condition": self.condition, "layer": self.layer, "head": self.head, "level": self.level}

    def view_state(self) -> dict:
        """Condition, layer, head and level shown (indexes) and the colour map."""
        return dict(combo_state(self._state_boxes()), colormap=self.cmap.currentText())

    def restore_view(self, state: dict) -> None:
        restore_combos(self._state_boxes(), state)
        if state.get("colormap"):
            self.set_colormap(str(state["colormap"]))

    def set_result(self, result, views=None) -> None:
        """Show ``result``; ``views`` (:class:`core.views.panes.PaneViews`) carries the pathway order and
        the first image computed off the window's thread (without it they are computed here)."""
        self.result = result
        self._images = dict(views.images) if views is not None else {}
        self._pools = dict(views.pooled) if views is not None else {}
        att = result.attention if result is not None else None
        boxes = (self.condition, self.layer, self.head)
        for box in boxes:
            box.blockSignals(True)
            box.clear()
        if att is not None:
            self.condition.addItems(list(att.condition_names))
            self.layer.addItems([f"layer {i + 1}" for i in range(att.n_layers)])
            self.layer.setCurrentIndex(att.n_layers - 1)
            self.head.addItems(["mean of heads"] + [f"head {h + 1}" for h in range(att.n_heads)])
            if views is not None and views.order is not None:
                self._order, self._rank_rows, self._rank_cols = views.order, views.rank_rows, views.rank_cols
            else:
                self._order = pathway_order(result.graph)
                self._rank_rows = self._order.rank[att.edge_index[1]]
                self._rank_cols = self._order.rank[att.edge_index[0]]
            n = result.graph.n_nodes
            p = max(min(n, MAX_PIXELS), 1)
            scale = p / max(n, 1)
            self._pix_rows = np.minimum((self._rank_rows * scale).astype(np.int64), p - 1)
            self._pix_cols = np.minimum((self._rank_cols * scale).astype(np.int64), p - 1)
        else:
            self._order = self._pix_rows = self._pix_cols = self._rank_rows = self._rank_cols = None
        for box in boxes:
            box.blockSignals(False)
        self._level_shown = None
        self.redraw()

    def _level_is_nodes(self) -> bool:
        return self.level.currentIndex() == 0

    def current_weights(self) -> np.ndarray | None:
        """(E,) weights shown at node level: one condition, layer and head (or the mean of heads)."""
        att = self.result.attention if self.result is not None else None
        if att is None or self.condition.currentIndex() < 0:
            return None
        layer, c, h = self.layer.currentIndex(), self.condition.currentIndex(), self.head.currentIndex()
        return attention_slice(att, c, layer, None if h <= 0 else h - 1)

    def redraw(self, *_args) -> None:
        cmap = pg.colormap.get(self.cmap.currentText() or "viridis")
        self.bar.setColorMap(cmap)
        att = self.result.attention if self.result is not None else None
        if att is None:
            self.image.clear()
            self.info.setText("No results yet: run the pipeline to see attention.")
            return
        nodes = self._level_is_nodes()
        self._detail_window = None
        self._set_detail_visible(False)
        self.layer.setEnabled(nodes)
        self.head.setEnabled(nodes)
        item = self.plot.getPlotItem()
        if nodes:
            h = self.head.currentIndex()
            self._key = key = (self.condition.currentIndex(), self.layer.currentIndex(), None if h <= 0 else h - 1)
            image = self._images.get(key)
            if image is None:
                image = heatmap_image(att, self._order, *key, max_pixels=MAX_PIXELS)
                self._images = {key: image}  # one image kept (9 MB at genome scale)
            self._weights, self._grid = image.weights, image.grid
            # The colour bar ends at the 99th percentile (brighter = clipped): see HeatmapImage.
            self._levels = image.levels
            self._shown_factor = 0
            self._show_pooled()
            self._show_detail()
            self._set_bar(False, self._levels)
            item.setLabel("bottom", "attended to (source), by pathway")
            item.setLabel("left", "attending (target), by pathway")
            self._update_caption()
        else:
            pathways = self.result.analysis.pathways if self.result.analysis is not None else None
            if pathways is None:
                self.image.clear()
                self.info.setText("The pathway view needs the analysis, which did not run.")
                return
            self._grid = self._weights = None
            flow = pathways.flow_sum[self.condition.currentIndex()]  # [P, P]
            values, levels = pathway_image(flow)
            self._shown_factor = 0
            self.image.setImage(values, levels=levels, autoLevels=False)
            self.image.setRect(QRectF(0, 0, values.shape[1], values.shape[0]))
            self._set_bar(True, levels)
            item.setLabel("bottom", "attended to (pathway number)")
            item.setLabel("left", "attending (pathway)")
            self.info.setText(f"{values.shape[0]} pathways, numbered as the rows. Colour: total attention the row "
                              "pathway's nodes pay to the column pathway's nodes (sum of edge weights, mean over "
                              "layers and heads; log scale; white: no edge). Hover a cell for its value.")
        if self._level_shown != nodes:  # a new level: fit the view to its matrix (38 x 38 is not 4,335 x 4,335)
            self._level_shown = nodes
            vb = item.getViewBox()
            vb.autoRange(padding=0.01)
            # And keep following the matrix until the user pans or zooms: a pane not laid out yet (a project
            # reopening at pathway level) would otherwise keep a range fitted to a view of no size.
            vb.enableAutoRange(pg.ViewBox.XYAxes, True)
        self._update_ticks()
        self.highlight(self.selected)

    def _set_bar(self, log: bool, levels: tuple[float, float]) -> None:
        """Colour bar in weights (node level) or log10 totals shown as 10^k (pathway level)."""
        self.bar.getAxis("left").setLabel(PATHWAY_BAR_LABEL if log else NODE_BAR_LABEL)  # where pyqtgraph puts it
        self.bar.setLevels(levels)
        self.bar.axis.setTicks([log_ticks(*levels), []] if log else None)

    def bar_label(self) -> str:
        return self.bar.getAxis("left").labelText

    def _update_caption(self) -> None:
        """Say how many nodes one drawn cell holds at the current zoom (node level)."""
        if self._grid is None or not self._level_is_nodes():
            return
        per = self._shown_factor * self._grid.nodes_per_pixel if self._shown_factor else self._grid.nodes_per_pixel
        self.info.setText(node_caption(self._grid.n_nodes, self.result.attention.n_edges, per,
                                       self.detail_shown() is not None, DETAIL_NODES))

    def pool_factor(self) -> int:
        """Grid pixels per screen pixel in the current view (1 when zoomed in)."""
        if self._grid is None:
            return 1
        vb = self.plot.getPlotItem().getViewBox()
        (x0, x1), _ = vb.viewRange()
        p = self._grid.values.shape[0]
        visible = max(min(x1, self._grid.n_nodes) - max(x0, 0), 1.0) * p / max(self._grid.n_nodes, 1)
        return max(1, int(np.ceil(visible / max(vb.width(), 1.0))))

    def expected_pool_factor(self, n_nodes: int) -> int:
        """The pool factor a result of ``n_nodes`` nodes will be drawn at: the current view's for the same
        graph, else the whole matrix fitted to the view (what the worker pools beforehand)."""
        if self._grid is not None and self._grid.n_nodes == n_nodes and self._level_shown:
            return self.pool_factor()
        width = max(self.plot.getPlotItem().getViewBox().width(), 1.0)
        return max(1, int(np.ceil(min(n_nodes, MAX_PIXELS) / width)))

    def _show_pooled(self) -> None:
        """Show the grid max-pooled to about the screen resolution, so that zoomed out no edge falls
        between screen pixels (plain scaling would drop most of them), and zoomed in every pixel."""
        if self._grid is None or not self._level_is_nodes():
            return
        f = self.pool_factor()
        if f == self._shown_factor:
            return
        self._shown_factor = f
        values = self._grid.values
        p = values.shape[0]
        if f > 1:
            values = self._pools.get((*self._key, f)) if self._key is not None else None
            if values is None:
                values = pooled(self._grid.values, f)
            side = values.shape[0] * f * self._grid.n_nodes / p
        else:
            side = self._grid.n_nodes
        self.image.setImage(values, levels=self._levels, autoLevels=False)
        self.image.setRect(QRectF(0, 0, side, side))

    # ------------------------------------------------------------------ axes and highlight

    def detail_shown(self) -> tuple[int, int, int, int] | None:
        """The window (r0, r1, c0, c1) of ranks drawn at one cell per node pair, if any."""
        return self._detail_window if self.detail.isVisible() else None

    def _show_detail(self) -> None:
        """Zoomed in to at most DETAIL_NODES nodes across, draw the visible window (with a margin
        for panning) at node resolution over the overview; zoomed out, hide it."""
        grid = self._grid
        if grid is None or self._weights is None or not self._level_is_nodes() or grid.nodes_per_pixel <= 1.01:
            self._set_detail_visible(False)
            return
        n = grid.n_nodes
        (x0, x1), (y0, y1) = self.plot.getPlotItem().getViewBox().viewRange()
        if max(x1 - x0, y1 - y0) > DETAIL_NODES:
            self._set_detail_visible(False)
            return
        w = self._detail_window
        if w is not None and w[0] <= max(y0, 0) and w[1] >= min(y1, n) and w[2] <= max(x0, 0) and w[3] >= min(x1, n):
            self._set_detail_visible(True)  # the window drawn last still covers the view
            return
        margin = max(x1 - x0, y1 - y0) / 2
        r0, r1 = max(int(y0 - margin), 0), min(int(np.ceil(y1 + margin)), n)
        c0, c1 = max(int(x0 - margin), 0), min(int(np.ceil(x1 + margin)), n)
        if r1 <= r0 or c1 <= c0:
            self._set_detail_visible(False)
            return
        values = heatmap_window(self.result.attention.edge_index, self._weights, self._order, (r0, r1), (c0, c1))
        self.detail.setImage(values, levels=self._levels, autoLevels=False)
        self.detail.setRect(QRectF(c0, r0, c1 - c0, r1 - r0))
        self.detail_bg.setRect(QRectF(c0, r0, c1 - c0, r1 - r0))
        self._detail_window = (r0, r1, c0, c1)
        self._set_detail_visible(True)

    def _set_detail_visible(self, on: bool) -> None:
        self.detail.setVisible(on)
        self.detail_bg.setVisible(on)

    def _view_changed(self) -> None:
        self._update_ticks()
        factor, window = self._shown_factor, self.detail_shown()
        self._show_pooled()
        self._show_detail()
        if (factor, window is None) != (self._shown_factor, self.detail_shown() is None):
            self._update_caption()

    def _update_ticks(self) -> None:
        if self.result is None or self.result.attention is None:
            return
        item = self.plot.getPlotItem()
        vb = item.getViewBox()
        height_px, width_px = max(vb.height(), 1.0), max(vb.width(), 1.0)
        (x0, x1), (y0, y1) = vb.viewRange()
        if not self._level_is_nodes():
            names = self.result.analysis.pathways.names
            item.getAxis("left").setTicks([pathway_ticks(names, y0, y1, height_px, numbered=True), []])
            item.getAxis("bottom").setTicks([pathway_ticks(names, x0, x1, width_px, numbered=False), []])
            return
        if self._label_nodes(x0, x1, y0, y1):
            return
        starts, names = self._order.starts, self._order.names
        # A row label needs ~10 px; along x a label needs its text width (~5 px a character).
        item.getAxis("left").setTicks([block_ticks(starts, names, y0, y1, height_px, 10.0), []])
        item.getAxis("bottom").setTicks([block_ticks(starts, names, x0, x1, width_px, 75.0, 13), []])

    def _label_nodes(self, x0: float, x1: float, y0: float, y1: float) -> bool:
        """Zoomed in far enough for a label per node (10 px a row; 60 px a column), name the nodes on
        that axis instead of the pathways. True if at least the rows are labelled so."""
        item = self.plot.getPlotItem()
        vb = item.getViewBox()
        names = self.result.graph.node_names
        order = self._order.order
        n = order.size

        def node_ticks(lo, hi, chars):
            ranks = range(max(int(np.floor(lo)), 0), min(int(np.ceil(hi)), n))
            return [(r + 0.5, _short(names[order[r]] or "", chars)) for r in ranks]

        if max(vb.height(), 1.0) / max(y1 - y0, 1e-9) < 10.0:
            return False
        item.getAxis("left").setTicks([node_ticks(y0, y1, LABEL_CHARS), []])
        if max(vb.width(), 1.0) / max(x1 - x0, 1e-9) >= 60.0:
            item.getAxis("bottom").setTicks([node_ticks(x0, x1, 10), []])
        else:  # columns too narrow for node names: their pathways
            item.getAxis("bottom").setTicks([block_ticks(self._order.starts, self._order.names, x0, x1,
                                                         max(vb.width(), 1.0), 75.0, 13), []])
        return True

    def highlight(self, node_id: str | None) -> None:
        self.selected = node_id
        r = self.result
        if r is None or r.attention is None or node_id is None or node_id not in r.graph.index:
            self.row_line.setVisible(False)
            self.col_line.setVisible(False)
            return
        i = r.graph.index[node_id]
        if self._level_is_nodes():
            pos = float(self._order.rank[i]) + 0.5
        elif r.analysis is not None:
            pos = float(r.analysis.pathways.node_pathway[i]) + 0.5
        else:
            return
        self.row_line.setValue(pos)
        self.col_line.setValue(pos)
        self.row_line.setVisible(True)
        self.col_line.setVisible(True)

    # ------------------------------------------------------------------ hover and click

    def edge_at(self, x: float, y: float) -> int | None:
        """The strongest attention edge drawn at view position (x = column, y = row), or None."""
        if self._grid is None or self._weights is None or not self._level_is_nodes():
            return None
        n = self._grid.n_nodes
        if not (0 <= x < n and 0 <= y < n):
            return None
        w = self.detail_shown()
        if w is not None and w[0] <= y < w[1] and w[2] <= x < w[3]:  # a single node pair
            hits = np.flatnonzero((self._rank_rows == int(y)) & (self._rank_cols == int(x)))
            return int(hits[0]) if hits.size else None
        p = self._grid.values.shape[0]
        px, py = int(x * p / n), int(y * p / n)
        hits = np.flatnonzero((self._pix_rows == py) & (self._pix_cols == px))
        if hits.size == 0:
            return None
        return int(hits[np.argmax(self._weights[hits])])

    def describe_at(self, x: float, y: float) -> str:
        r = self.result
        if r is None or r.attention is None:
            return ""
        g = r.graph
        if self._level_is_nodes():
            e = self.edge_at(x, y)
            if e is None:
                return "no attention edge here"
            src, dst = (int(v) for v in r.attention.edge_index[:, e])
            cond = self.condition.currentText()
            return (f"<b>{esc(g.node_names[dst])}</b> ({esc(g.node_ids[dst])}) attends to "
                    f"<b>{esc(g.node_names[src])}</b> ({esc(g.node_ids[src])}): weight <b>{self._weights[e]:.4f}</b> "
                    f"<span style='color:#666'>[{esc(cond)}, {self.layer.currentText()}, "
                    f"{self.head.currentText()}]</span>")
        pathways = r.analysis.pathways
        p = len(pathways.names)
        col, row = int(x), int(y)
        if not (0 <= col < p and 0 <= row < p):
            return ""
        value = pathways.flow_sum[self.condition.currentIndex(), row, col]
        return (f"<b>{esc(pathways.names[row])}</b> attends to <b>{esc(pathways.names[col])}</b>: "
                f"total {value:.4g} ({pathways.edge_count[row, col]} edges)")

    def _view_pos(self, scene_pos) -> QPointF:
        return self.plot.getPlotItem().getViewBox().mapSceneToView(scene_pos)

    def _hover(self, scene_pos) -> None:
        if self.result is None or not self.plot.getPlotItem().sceneBoundingRect().contains(scene_pos):
            return
        p = self._view_pos(scene_pos)
        text = self.describe_at(p.x(), p.y())
        if text:
            self.info.setText(text)
            self.plot.setToolTip(text)

    def _clicked(self, event) -> None:
        if self.result is None or event.button() != Qt.MouseButton.LeftButton:
            return
        p = self._view_pos(event.scenePos())
        self.click_at(p.x(), p.y())

    def click_at(self, x: float, y: float) -> str | None:
        """Select the attending node of the cell at view position (x, y); returns its id."""
        if not self._level_is_nodes():
            return None
        e = self.edge_at(x, y)
        if e is None:
            return None
        node = self.result.graph.node_ids[int(self.result.attention.edge_index[1, e])]
        self.node_clicked.emit(node)
        return node
