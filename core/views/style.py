"""Drawing constants and helpers every view shares: node and edge colours, the condition palette, the
pen record type pyqtgraph takes, and one way to shorten model text for labels."""

from __future__ import annotations

import numpy as np

METABOLITE_RGB = (214, 39, 40)  # red circles
REACTION_RGB = (31, 119, 180)  # blue squares
EDGE_RGB = (60, 60, 60)
CONDITION_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c")
PEN_DTYPE = np.dtype([("red", np.ubyte), ("green", np.ubyte), ("blue", np.ubyte), ("alpha", np.ubyte),
                      ("width", np.float64)])
UNASSIGNED = "Unassigned"


def condition_colour(c: int) -> str:
    """The colour of the ``c``-th condition, the same in every figure and page."""
    return CONDITION_COLOURS[int(c) % len(CONDITION_COLOURS)]


def shorten(text, length: int | None = None) -> str:
    """Model text on one line: whitespace runs collapse; above ``length`` characters it is cut with an
    ellipsis."""
    text = " ".join(str(text).split())
    return text if length is None or len(text) <= length else text[: max(length - 1, 1)] + "…"
