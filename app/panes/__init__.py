"""Dockable panes, one per module; each is given plain result objects and never recomputes them.

``view_state()`` returns a JSON-ready dict of what the user chose in the pane (saved in projects
and the autosave); ``restore_view(state)`` shows those choices again after the pane has its result.
The two helpers below do this for the pane's combo boxes, by index.
"""

from __future__ import annotations


def combo_state(boxes: dict) -> dict:
    """``{key: QComboBox}`` -> ``{key: current index}``."""
    return {key: box.currentIndex() for key, box in boxes.items()}


def restore_combos(boxes: dict, state: dict) -> None:
    """Set each box to its saved index, skipping indexes the box no longer has (another run)."""
    for key, box in boxes.items():
        try:
            index = int(state.get(key, -1))
        except (TypeError, ValueError):
            continue
        if 0 <= index < box.count():
            box.setCurrentIndex(index)
