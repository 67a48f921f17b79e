"""What every publication figure shares: a thread-safe Agg figure, colours, colormaps, safe text.

Figures are ``matplotlib.figure.Figure`` objects with their own Agg canvas, never pyplot, so a GUI
worker thread can build and save them while the main thread draws. They are saved at 300 DPI.
"""

from __future__ import annotations

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from core.views import METABOLITE_RGB, REACTION_RGB, shorten

FIGURE_DPI = 300
COLORMAPS = ("viridis", "plasma", "inferno")
METABOLITE_COLOUR = tuple(v / 255 for v in METABOLITE_RGB)
REACTION_COLOUR = tuple(v / 255 for v in REACTION_RGB)
MEASURED_COLOUR = "#444444"
FONT_SIZE = 8


def new_figure(width: float, height: float, constrained: bool = True) -> Figure:
    """A figure of ``width`` x ``height`` inches with an Agg canvas attached (no pyplot)."""
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained" if constrained else None)
    FigureCanvasAgg(fig)
    return fig


def colormap(name: str):
    """One of :data:`COLORMAPS` as a copy whose 'bad' (NaN: no edge) colour is white."""
    if name not in COLORMAPS:
        raise ValueError(f"unknown colormap {name!r}; choose from {', '.join(COLORMAPS)}")
    return matplotlib.colormaps[name].with_extremes(bad="white")


def plain(text, length: int | None = None) -> str:
    """Text from a model shown literally: ``$`` would start matplotlib mathtext, so it is escaped;
    whitespace runs collapse; long text is cut with an ellipsis."""
    return shorten(text, length).replace("$", r"\$")


def style_axes(ax) -> None:
    ax.tick_params(labelsize=FONT_SIZE - 1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def empty_message(ax, message: str) -> None:
    """Say on the axes why there is nothing to draw (a figure is still produced)."""
    ax.text(0.5, 0.5, plain(message), ha="center", va="center", fontsize=FONT_SIZE + 1, wrap=True,
            transform=ax.transAxes, color="#555555")
    ax.set_axis_off()
