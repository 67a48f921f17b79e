"""The one selection of the window: which node (by id) the user is looking at.

Every pane listens to :attr:`SelectionModel.changed` and highlights the node; every pane that lets the
user pick a node calls :meth:`SelectionModel.select`. Selecting the node that is already selected does
nothing, and panes update their own widgets inside ``QSignalBlocker`` so nothing bounces back.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class SelectionModel(QObject):
    changed = Signal(object)  # node id (str) or None

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._node: str | None = None

    @property
    def node(self) -> str | None:
        return self._node

    def select(self, node_id: str | None) -> None:
        node_id = None if node_id in (None, "") else str(node_id)
        if node_id == self._node:
            return
        self._node = node_id
        self.changed.emit(node_id)

    def clear(self) -> None:
        self.select(None)
