"""The *Find node* toolbar: a search box with a completer over the run's node names and ids, and the
name of the selected node on its right."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCompleter, QLabel, QLineEdit, QSizePolicy, QToolBar, QWidget

from app.plain import esc


class NodeSearch(QToolBar):
    """``found(node_id)`` when the text names a node of the graph; ``missing(text)`` when it does not."""

    found = Signal(str)
    missing = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Search", parent)
        self.setObjectName("toolbar_search")
        self.setMovable(False)
        self.addWidget(QLabel(" Find node: "))
        self.box = QLineEdit(self)
        self.box.setPlaceholderText("name or id (after a run), e.g. glucose or PGI")
        self.box.setMaximumWidth(360)
        self.box.setClearButtonEnabled(True)
        self.box.returnPressed.connect(lambda: self.find(self.box.text()))
        self.addWidget(self.box)
        spacer = QWidget(self)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.addWidget(spacer)
        self.selected_label = QLabel("", self)
        self.addWidget(self.selected_label)
        self.graph = None
        self._entries: dict[str, str] = {}  # completer entry "name — id" -> node id

    def set_graph(self, graph) -> None:
        """Offer the nodes of ``graph`` (a MetabolicGraph) in the completer."""
        self.graph = graph
        self._entries = {f"{name} — {nid}": nid for nid, name in zip(graph.node_ids, graph.node_names)}
        completer = QCompleter(sorted(self._entries, key=str.lower), self.box)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setMaxVisibleItems(15)
        completer.activated.connect(self.find)
        self.box.setCompleter(completer)

    def find(self, text: str) -> str | None:
        """The node named by ``text`` (a completer entry, an id or an exact name, any case), or None."""
        text = text.strip()
        g = self.graph
        if g is None or not text:
            return None
        node = self._entries.get(text)
        if node is None and text in g.index:
            node = text
        if node is None:
            lowered = text.lower()
            node = next((nid for nid, name in zip(g.node_ids, g.node_names) if name.lower() == lowered), None)
        if node is None:
            self.missing.emit(text)
            return None
        self.found.emit(node)
        return node

    def show_selected(self, node: str | None) -> None:
        g = self.graph
        if node is not None and g is not None and node in g.index:
            self.selected_label.setText(f"Selected: <b>{esc(g.node_names[g.index[node]])}</b> ({esc(node)})  ")
        else:
            self.selected_label.setText("")
