"""Table models and views for result tables: one QAbstractTableModel over columns, sortable and
filterable through a QSortFilterProxyModel, Ctrl+C copies the selected rows as TSV.

A :class:`Column` is a header and a sequence of values (strings or numbers, one per row). Numbers
sort as numbers (the sort role gives the raw value) and show with a sensible precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSignalBlocker, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLineEdit, QTableView, QVBoxLayout, QWidget

from app.plain import literal

SORT_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class Column:
    header: str
    values: Sequence
    tooltip: str = ""
    digits: int = 4  # significant digits for floats
    p_value: bool = False  # shown as "< 0.001" below 0.001 (a p of 5e-217 says no more than that)


def format_value(value, digits: int = 4, p_value: bool = False) -> str:
    if value is None:
        return ""
    if p_value and isinstance(value, (float, np.floating)) and math.isfinite(float(value)) and float(value) < 1e-3:
        return "< 0.001"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if not math.isfinite(v):
            return ""
        if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5):
            return f"{v:.{max(digits - 1, 1)}e}"
        return f"{v:.{digits}g}" if abs(v) >= 1 else f"{v:.{digits}f}".rstrip("0").rstrip(".") or "0"
    return str(value)


def distinct_name_column(columns: Sequence[Column], id_column: str | None) -> list[Column]:
    """``columns`` with the "name" column's repeated names told apart by the id column
    (:func:`core.views.style.distinct_names`)."""
    from dataclasses import replace

    from core.views.style import distinct_names

    heads = [c.header for c in columns]
    if "name" not in heads or id_column not in heads:
        return list(columns)
    name, ids = columns[heads.index("name")], columns[heads.index(id_column)]
    if len(set(name.values)) == len(name.values):
        return list(columns)
    shown = replace(name, values=distinct_names(name.values, ids.values))
    return [shown if c is name else c for c in columns]


class ColumnTableModel(QAbstractTableModel):
    """Read-only rows from columns of equal length; ``id_column`` names the node-id column (if any)."""

    def __init__(self, columns: Sequence[Column] = (), id_column: str | None = None, parent=None):
        super().__init__(parent)
        self._columns: list[Column] = []
        self._n = 0
        self._perm = np.zeros(0, dtype=np.int64)  # display row -> data row
        self._row_text: list[str] | None = None
        self._id_rows: dict[str, int] | None = None
        self.id_column: str | None = None
        self._id_pos = -1
        self.set_columns(columns, id_column)

    def set_columns(self, columns: Sequence[Column], id_column: str | None = None) -> None:
        lengths = {len(c.values) for c in columns}
        assert len(lengths) <= 1, f"columns differ in length: {sorted(lengths)}"
        self.beginResetModel()
        self._columns = list(columns)
        self._n = lengths.pop() if lengths else 0
        self.id_column = id_column
        headers = [c.header for c in self._columns]
        self._id_pos = headers.index(id_column) if id_column in headers else -1
        self._perm = np.arange(self._n, dtype=np.int64)
        self._row_text = None
        self._id_rows = None
        self.endResetModel()

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        """Sort rows by one column with numpy (thousands of rows; Qt's per-comparison calls into
        Python took seconds). Numbers sort as numbers, NaN last; text case-blind."""
        if not 0 <= column < len(self._columns) or self._n == 0:
            return
        values = self._columns[column].values
        descending = order == Qt.SortOrder.DescendingOrder
        array = isinstance(values, np.ndarray) and values.dtype.kind in "fiu"  # thousands of rows: no Python loop
        numeric_kind = array or all(isinstance(v, (int, float, np.integer, np.floating)) or v is None for v in values)
        if numeric_kind:
            key = values.astype(np.float64) if array else \
                np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
            nan = ~np.isfinite(key)
            key = np.where(nan, 0.0, -key if descending else key)
            perm = np.lexsort((np.arange(self._n), key, nan))  # NaN last either way
        else:
            keys = np.array(["" if v is None else str(v).lower() for v in values], dtype=object)
            perm = np.array(sorted(range(self._n), key=lambda r: keys[r], reverse=descending), dtype=np.int64)
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        data_rows = [self._perm[i.row()] for i in old]
        self._perm = perm.astype(np.int64)
        inverse = np.empty_like(self._perm)
        inverse[self._perm] = np.arange(self._n)
        self.changePersistentIndexList(old, [self.index(int(inverse[r]), i.column()) for r, i in zip(data_rows, old)])
        self.layoutChanged.emit()

    def row_text(self, row: int) -> str:
        """Lower-case text of a display row, for filtering (built once per table)."""
        if self._row_text is None:
            cols = [[format_value(v, c.digits, c.p_value) for v in c.values] for c in self._columns]
            self._row_text = ["\t".join(col[r] for col in cols).lower() for r in range(self._n)]
        return self._row_text[self._perm[row]]

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent.isValid() else self._n

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._columns)

    def raw(self, row: int, col: int):
        return self._columns[col].values[self._perm[row]]

    def node_id(self, row: int) -> str | None:
        return str(self.raw(row, self._id_pos)) if self._id_pos >= 0 and 0 <= row < self._n else None

    def row_of(self, node_id: str) -> int:
        """Display row of a node id, or -1."""
        if self._id_pos < 0:
            return -1
        if self._id_rows is None:
            self._id_rows = {}
            for r, v in enumerate(self._columns[self._id_pos].values):
                self._id_rows.setdefault(str(v), r)
        data_row = self._id_rows.get(node_id, -1)
        if data_row < 0:
            return -1
        return int(np.flatnonzero(self._perm == data_row)[0])

    def text(self, row: int, col: int) -> str:
        column = self._columns[col]
        return format_value(self.raw(row, col), column.digits, column.p_value)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(r, c)
        if role == SORT_ROLE:
            v = self.raw(r, c)
            if isinstance(v, (bool, np.bool_)):
                return int(v)
            if isinstance(v, (int, float, np.integer, np.floating)):
                v = float(v)
                return v if math.isfinite(v) else -math.inf
            return "" if v is None else str(v).lower()
        if role == Qt.ItemDataRole.TextAlignmentRole:
            v = self.raw(r, c)
            if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:  # a tooltip guesses rich text: names show as typed
            text = self.text(r, c)
            if text and self._id_pos >= 0 and self._columns[c].header == "name":
                text = f"{text} ({self.text(r, self._id_pos)})"  # the id, without scrolling to its column
            return literal(text) if text else None
        return None

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._columns):
            if role == Qt.ItemDataRole.DisplayRole:
                return self._columns[section].header
            if role == Qt.ItemDataRole.ToolTipRole:
                return literal(self._columns[section].tooltip or self._columns[section].header)
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None


class RowFilterProxy(QSortFilterProxyModel):
    """Filters on each row's text in one Python call per row, and leaves sorting to the source model."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._needle = ""

    def set_needle(self, text: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9; invalidateFilter() is deprecated there
            self.beginFilterChange()
            self._needle = text.strip().lower()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._needle = text.strip().lower()
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent) -> bool:  # noqa: N802
        return not self._needle or self._needle in self.sourceModel().row_text(row)

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        self.sourceModel().sort(column, order)


class CopyableTableView(QTableView):
    """A table whose Ctrl+C copies the selected rows (all columns, header first) as TSV."""

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selection()
            event.accept()
            return
        super().keyPressEvent(event)

    def selected_rows_tsv(self) -> str:
        model = self.model()
        rows = sorted({i.row() for i in self.selectionModel().selectedIndexes()}) if self.selectionModel() else []
        if not rows or model is None:
            return ""
        cols = range(model.columnCount())
        lines = ["\t".join(str(model.headerData(c, Qt.Orientation.Horizontal)) for c in cols)]
        for r in rows:
            lines.append("\t".join(str(model.index(r, c).data() or "").replace("\t", " ") for c in cols))
        return "\n".join(lines) + "\n"

    def copy_selection(self) -> str:
        text = self.selected_rows_tsv()
        if text:
            QGuiApplication.clipboard().setText(text)
        return text


class FilterTable(QWidget):
    """A filter box over a sortable, copyable table of a :class:`ColumnTableModel`.

    ``node_activated(str)`` fires when the user picks a row that has a node id.
    """

    node_activated = Signal(str)

    def __init__(self, placeholder: str = "Filter rows (any column)…", parent=None):
        super().__init__(parent)
        self.model = ColumnTableModel(parent=self)
        self.proxy = RowFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText(placeholder)
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.set_needle)
        self.view = CopyableTableView(self)
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.horizontalHeader().setResizeContentsPrecision(60)  # size columns from 60 rows, not all
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.filter)
        layout.addWidget(self.view)

    def set_columns(self, columns: Sequence[Column], id_column: str | None = None,
                    sort_column: int | None = None, descending: bool = True) -> None:
        """Show ``columns``; ``sort_column`` is a position in ``columns`` as given. Tables of nodes show
        a compact name first, then the values, then the descriptive text, and the id last (:func:`values_first`).
        Names that read the same get their compartment or id ("Acetate [e]", "Acetate [c]")."""
        columns = distinct_name_column(columns, id_column)
        order = values_first(columns, id_column)
        columns = [columns[i] for i in order]
        if sort_column is not None:
            sort_column = order.index(sort_column)
        self.model.set_columns(columns, id_column)
        if sort_column is not None:
            self.view.sortByColumn(sort_column, Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder)
        else:
            self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        # Widths from the header and the first rows: Qt's resizeColumnsToContents asks every cell.
        header = self.view.horizontalHeader()
        metrics = self.view.fontMetrics()
        bold = header.fontMetrics()
        sample = range(min(self.model.rowCount(), 40))
        for c in range(self.model.columnCount()):
            width = bold.horizontalAdvance(str(self.model.headerData(c, Qt.Orientation.Horizontal))) + 24
            for r in sample:
                width = max(width, metrics.horizontalAdvance(self.model.text(r, c)) + 14)
            limit = NARROW.get(str(self.model.headerData(c, Qt.Orientation.Horizontal)), 260)
            header.resizeSection(c, min(max(width, 50), limit))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        node = self.model.node_id(self.proxy.mapToSource(current).row())
        if node is not None:
            self.node_activated.emit(node)

    def highlight(self, node_id: str | None) -> None:
        """Select the node's row (if present) without emitting node_activated."""
        sel = self.view.selectionModel()
        with QSignalBlocker(sel):
            row = self.model.row_of(node_id) if node_id is not None else -1
            index = self.proxy.mapFromSource(self.model.index(row, 0)) if row >= 0 else QModelIndex()
            if not index.isValid():  # not in this table, or filtered out
                sel.clearSelection()
            else:
                sel.setCurrentIndex(index, sel.SelectionFlag.ClearAndSelect | sel.SelectionFlag.Rows)
                self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        self.view.viewport().update()  # the view repaints from the selection model it was not told about

    def selected_node(self) -> str | None:
        index = self.view.selectionModel().currentIndex()
        return self.model.node_id(self.proxy.mapToSource(index).row()) if index.isValid() else None


# Widest a text column starts (px; the user can widen it): the values stay in view in a 400 px pane,
# the full text is in the cell's tooltip.
NARROW = {"name": 150, "id": 80, "pathway": 120, "type": 70}


def values_first(columns: Sequence[Column], id_column: str | None) -> list[int]:
    """Column order for a table of nodes: name, the value (number) columns, other text, the id last.
    Tables without a node name keep their order."""
    headers = [c.header for c in columns]
    if "name" not in headers or id_column not in headers:
        return list(range(len(columns)))

    def is_number(column: Column) -> bool:
        v = column.values[0] if len(column.values) else None
        return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))

    name, ident = headers.index("name"), headers.index(id_column)
    lead = [i for i in range(headers.index("name")) if i != ident]  # e.g. "by", "rank" of a ranking
    rest = [i for i in range(len(columns)) if i not in (name, ident, *lead)]
    return lead + [name] + [i for i in rest if is_number(columns[i])] + [i for i in rest if not is_number(columns[i])] + [ident]


def numeric(values) -> np.ndarray:
    """A flat float64 array (NaN kept) for a Column: sorted and shown without a Python list per row."""
    return np.asarray(values, dtype=np.float64).ravel()

