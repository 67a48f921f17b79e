"""The *Find node* toolbar: a search box whose suggestions are ranked by relevance over the run's node
names, ids and synonyms, and the name of the selected node on its right.

Ranking (:func:`rank_nodes`): an exact name, id or synonym first, then a name, id, synonym or word of
the name that starts with the text, then any that contains it; within a rank shorter names first
(metabolites before reactions on a tie). "glucose" finds D-Glucose (a word of its name) before
"glucose 6-phosphate dehydrogenase". A metabolite removed from the graph as a currency metabolite
("atp") is named as such instead of "not found". A message is cleared by the next success or edit.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QStringListModel, Signal
from PySide6.QtWidgets import QCompleter, QLabel, QLineEdit, QSizePolicy, QToolBar, QWidget

from app.plain import esc
from core.views.search import SYNONYM_KEYS, base_id, search_terms, synonyms  # noqa: F401  (re-exported)

SUGGESTIONS = 15
_WORD = re.compile(r"[a-z0-9]+")


def rank_nodes(graph, terms: list[tuple[str, ...]], text: str, limit: int | None = None) -> list[tuple[int, int]]:
    """``(node index, rank)`` of the nodes matching ``text``, best first: rank 0 exact, 1 prefix (of a
    term or of a word of the name), 2 substring."""
    q = text.strip().lower()
    if not q:
        return []
    found = []
    for i, node_terms in enumerate(terms):
        if q in node_terms:
            rank = 0
        elif any(t.startswith(q) for t in node_terms) or any(w.startswith(q) for w in _WORD.findall(node_terms[0])):
            rank = 1
        elif any(q in t for t in node_terms):
            rank = 2
        else:
            continue
        found.append((rank, len(graph.node_names[i]), int(graph.node_types[i]), i))
    found.sort()
    return [(i, rank) for rank, _n, _t, i in found[:limit]]


def removed_currency(graph, model, text: str) -> str | None:
    """A message if ``text`` names a metabolite the graph left out as a currency metabolite, else None."""
    q = text.strip().lower()
    hits = []
    for mid in getattr(graph, "removed_currency", ()):
        name = ""
        if model is not None and mid in model.metabolites:
            name = model.metabolites.get_by_id(mid).name or ""
        if q in (mid.lower(), base_id(mid).lower(), name.lower()):
            hits.append(f"{name} ({mid})" if name else mid)
    if not hits:
        return None
    return (f"{', '.join(hits)}: removed from the graph as a currency metabolite. Untick 'Remove currency "
            f"metabolites' in Run setup and run again to see it.")


class NodeSearch(QToolBar):
    """``found(node_id)`` when the text names a node of the graph; ``missing(message)`` when it does
    not (the message says why: no match, or removed as a currency metabolite)."""

    found = Signal(str)
    missing = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Search", parent)
        self.setObjectName("toolbar_search")
        self.setMovable(False)
        self.addWidget(QLabel(" Find node: "))
        self.box = QLineEdit(self)
        self.box.setPlaceholderText("name, id or synonym (after a run), e.g. glucose or PGI")
        self.box.setMaximumWidth(360)
        self.box.setClearButtonEnabled(True)
        self.box.returnPressed.connect(lambda: self.find(self.box.text()))
        self.box.textEdited.connect(self._suggest)
        self.addWidget(self.box)
        self.suggestions = QStringListModel(self)
        completer = QCompleter(self.suggestions, self.box)
        completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)  # our order, not Qt's
        completer.setMaxVisibleItems(SUGGESTIONS)
        completer.activated.connect(self.find)
        self.box.setCompleter(completer)
        spacer = QWidget(self)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.addWidget(spacer)
        self.selected_label = QLabel("", self)
        self.addWidget(self.selected_label)
        self.graph = None
        self.model = None
        self.terms: list[tuple[str, ...]] = []
        self._entries: dict[str, str] = {}  # suggestion "name — id" -> node id
        self._status = None  # (set_status, status_text) of the window, for messages
        self._said = ""

    def attach_status(self, set_status, status_text) -> None:
        """Say what a search found or why not in the window's status bar; a message of ours still
        showing there is cleared by the next success or edit. ``status_text()`` gives the text shown."""
        self._status = (set_status, status_text)
        self.found.connect(lambda _node: self._clear_message())
        self.box.textEdited.connect(lambda _text: self._clear_message())
        self.missing.connect(self._say)

    def _say(self, message: str) -> None:
        if self._status is not None:
            self._said = message
            self._status[0](message)

    def _clear_message(self) -> None:
        if self._status is not None and self._said and self._status[1]() == self._said:
            self._status[0]("")
        self._said = ""

    def set_graph(self, graph, model=None, terms: list[tuple[str, ...]] | None = None) -> None:
        """Offer the nodes of ``graph`` (a MetabolicGraph); ``model`` (cobra) adds annotation synonyms.
        ``terms``: :func:`search_terms` of the two, when already built off this thread."""
        self.graph, self.model = graph, model
        self.terms = search_terms(graph, model) if terms is None else terms
        self._entries = {f"{name} — {nid}": nid for nid, name in zip(graph.node_ids, graph.node_names)}
        self.suggestions.setStringList([])

    def ranked(self, text: str, limit: int | None = SUGGESTIONS) -> list[str]:
        """The node ids matching ``text``, best first."""
        g = self.graph
        return [g.node_ids[i] for i, _r in rank_nodes(g, self.terms, text, limit)] if g is not None else []

    def _suggest(self, text: str) -> None:
        g = self.graph
        if g is None or len(text.strip()) < 2:
            self.suggestions.setStringList([])
            return
        self.suggestions.setStringList([f"{g.node_names[g.index[n]]} — {n}" for n in self.ranked(text)])

    def find(self, text: str) -> str | None:
        """Select the node named by ``text`` (a suggestion, an id, a name or synonym, any case): the best
        match by :func:`rank_nodes`; None (and ``missing``) when nothing matches."""
        text = text.strip()
        g = self.graph
        if g is None or not text:
            return None
        node = self._entries.get(text)
        if node is None and text in g.index:
            node = text
        if node is None:
            currency = removed_currency(g, self.model, text)
            matches = rank_nodes(g, self.terms, text, 1)
            if currency is not None and (not matches or matches[0][1] > 0):
                self.missing.emit(currency)
                return None
            if not matches:
                self.missing.emit(f"No node matches '{text}' (names, ids and synonyms were searched).")
                return None
            node = g.node_ids[matches[0][0]]
        self.found.emit(node)
        return node

    def show_selected(self, node: str | None) -> None:
        g = self.graph
        if node is not None and g is not None and node in g.index:
            self.selected_label.setText(f"Selected: <b>{esc(g.node_names[g.index[node]])}</b> ({esc(node)})  ")
        else:
            self.selected_label.setText("")
