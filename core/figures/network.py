"""The attention network around the most important nodes (or one chosen node).

Drawn from :class:`core.views.GraphArrays` (the same arrays the GUI's network pane shows):
metabolites are red circles, reactions blue squares, node size follows importance, edge width and
opacity follow attention.

Shapes (legend: K drawn nodes, M drawn edges): pos (K, 2), adj (M, 2), pens (M,), sizes (K,)
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D

from core.figures._style import FONT_SIZE, METABOLITE_COLOUR, REACTION_COLOUR, empty_message, new_figure, plain
from core.graph import METABOLITE

PX_TO_PT = 0.75  # pyqtgraph sizes are pixels at 96 dpi; matplotlib sizes are points


def network_figure(arrays, title: str = "", labels: bool = True, size: float = 8.0):
    """A figure of the subgraph in ``arrays`` (:func:`core.views.graph_arrays`)."""
    fig = new_figure(size, size * 0.85)
    ax = fig.add_subplot()
    k = arrays.pos.shape[0]
    if k == 0:
        empty_message(ax, "no nodes to draw")
        return fig
    pos = arrays.pos
    if arrays.adj.shape[0]:
        segs = pos[arrays.adj]  # [M, 2, 2]
        pens = arrays.pens
        colours = np.stack([pens["red"], pens["green"], pens["blue"], pens["alpha"]], axis=1) / 255.0
        # Weakest first so strong edges are drawn on top.
        order = np.argsort(arrays.edge_strength, kind="stable")
        ax.add_collection(LineCollection(segs[order], colors=colours[order],
                                         linewidths=pens["width"][order] * PX_TO_PT * 1.5, zorder=1))
    is_met = np.asarray(arrays.types) == METABOLITE
    area = (arrays.sizes * PX_TO_PT) ** 2
    seed = np.asarray(arrays.is_seed, dtype=bool)
    for mask, marker, colour in ((is_met, "o", METABOLITE_COLOUR), (~is_met, "s", REACTION_COLOUR)):
        for outline, edge, lw in ((False, "white", 0.5), (True, "black", 1.2)):
            m = mask & (seed == outline)
            if m.any():
                ax.scatter(pos[m, 0], pos[m, 1], s=area[m], marker=marker, color=colour,
                           edgecolors=edge, linewidths=lw, zorder=2)
    if labels:
        font = FONT_SIZE - 2 if k <= 40 else FONT_SIZE - 3
        for (x, y), text, s in zip(pos, arrays.labels, arrays.sizes):
            ax.annotate(plain(text), (x, y), xytext=(0, s * PX_TO_PT / 2 + 1), textcoords="offset points",
                        ha="center", va="bottom", fontsize=font, zorder=3, annotation_clip=False)
    pad = 0.12
    lo, hi = pos.min(axis=0), pos.max(axis=0)
    span = np.maximum(hi - lo, 1e-6)
    ax.set_xlim(lo[0] - pad * span[0], hi[0] + pad * span[0])
    ax.set_ylim(lo[1] - pad * span[1], hi[1] + pad * span[1])
    ax.set_aspect("equal", adjustable="box")
    ax.set_axis_off()
    ax.legend(handles=[
        Line2D([], [], marker="o", ls="", color=METABOLITE_COLOUR, label="metabolite"),
        Line2D([], [], marker="s", ls="", color=REACTION_COLOUR, label="reaction"),
        Line2D([], [], marker="o", ls="", color="white", markeredgecolor="black", label="chosen / top node"),
        Line2D([], [], color="#3c3c3c", lw=2.5, label="edge width/opacity = attention"),
    ], loc="lower left", fontsize=FONT_SIZE - 1, frameon=False)
    if title:
        ax.set_title(plain(title), fontsize=FONT_SIZE + 1)
    return fig
