"""Labels that never overlap: a greedy placement in pixels shared by the charts and the network view."""

from __future__ import annotations

import numpy as np


def place_labels(anchors_px: np.ndarray, widths_px: np.ndarray, height_px: float,
                 bounds_px: tuple[float, float, float, float],
                 obstacles: list[tuple[float, float, float, float]] = (),
                 clearance_px: np.ndarray | None = None) -> list[tuple[float, float] | None]:
    """Greedy label placement: for each anchor (in the order given, most important first) the first of
    a few offsets (right, left, above, below, further out) whose box overlaps no label placed before and
    stays inside ``bounds_px`` (x0, y0, x1, y1; y down); None when none fits. Returns the boxes' top-left
    corners in pixels. ``obstacles`` (boxes x0, y0, x1, y1, e.g. the markers of a network's nodes) are
    never covered either; ``clearance_px`` (per anchor, default 6) is the gap between anchor and label,
    at least the marker's half size."""
    placed: list[tuple[float, float, float, float]] = list(obstacles)
    out: list[tuple[float, float] | None] = []
    x_lo, y_lo, x_hi, y_hi = bounds_px
    anchors = np.asarray(anchors_px, dtype=float).reshape(-1, 2)
    gaps = np.full(len(anchors), 6.0) if clearance_px is None else np.asarray(clearance_px, dtype=float)
    for (x, y), w, g in zip(anchors, np.asarray(widths_px, dtype=float), gaps):
        h = height_px
        choice = None
        for dx, dy in ((g, -h / 2), (-w - g, -h / 2), (-w / 2, -h - g), (-w / 2, g), (g, -h - g), (g, g),
                       (-w - g, -h - g), (-w - g, g), (-w / 2, -2 * h - g), (-w / 2, h + g)):
            box = (x + dx, y + dy, x + dx + w, y + dy + h)
            if box[0] < x_lo or box[2] > x_hi or box[1] < y_lo or box[3] > y_hi:
                continue
            if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
                continue
            choice = box
            break
        if choice is None:
            out.append(None)
        else:
            placed.append(choice)
            out.append((choice[0], choice[1]))
    return out
