"""Drawing constants and helpers every view shares: node and edge colours, the condition palette, the
pen record type pyqtgraph takes, and one way to shorten model text for labels."""

from __future__ import annotations

import re
from collections import Counter
from typing import Sequence

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


_COMPARTMENT = re.compile(r"_([A-Za-z][A-Za-z0-9]?)$")  # BiGG ids: ac_e, ac_c, ac_p


def distinct_names(names: Sequence[str], ids: Sequence[str], length: int | None = None) -> list[str]:
    """``names`` as shown side by side (a chart's labels, a table's column): where two read the same, each
    gets its compartment ("Acetate [e]" / "Acetate [c]", from a BiGG id's suffix) or else its id ("[ACKr]");
    ``length`` shortens the name before the bracket (:func:`shorten`), so the bracket is never cut."""
    def short(text: str, tail: str = "") -> str:
        return shorten(text, None if length is None else max(length - len(tail), 4)) + tail

    names = [" ".join(str(n).split()) for n in names]
    ids = [str(i) for i in ids]
    groups: dict[str, list[int]] = {}
    for k, name in enumerate(names):
        groups.setdefault(name, []).append(k)
    out = [short(name) for name in names]
    for name, members in groups.items():
        if len(members) < 2:
            continue
        # Compartments when they tell every one of them apart, else the ids.
        found = [_COMPARTMENT.search(ids[k]) for k in members]
        tails = [m.group(1) for m in found if m] if all(found) else []
        if len(set(tails)) != len(members):
            tails = [ids[k] for k in members]
        for k, tail in zip(members, tails):
            out[k] = short(name, f" [{tail}]")
    return out
