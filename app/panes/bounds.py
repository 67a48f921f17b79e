"""The table model behind the setup pane's uptake bounds: one condition's exchange bounds, editable."""

from __future__ import annotations

import math

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal

from app.plain import literal

from core.conditions import Condition


class BoundsModel(QAbstractTableModel):
    """The exchange bounds of one condition (COBRA sign: a negative lower bound is uptake)."""

    HEADERS = ("Exchange", "Lower", "Upper", "Metabolite")
    COLUMNS = (0, 2, 3, 1)  # display column -> field of a row (id, name, lower, upper)
    edited = Signal(str, float, float)  # exchange id, lower, upper

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[tuple[str, str, float, float]] = []

    def set_condition(self, condition: Condition | None, names: dict[str, str]) -> None:
        self.beginResetModel()
        self._rows = [] if condition is None else [
            (rid, names.get(rid, ""), float(lb), float(ub))
            for rid, (lb, ub) in sorted(condition.bounds.items(), key=lambda kv: (kv[1][0] >= 0, kv[0]))]
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else 4

    def exchange(self, row: int) -> str:
        return self._rows[row][0]

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        c = self.COLUMNS[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if c < 2:
                return row[c]
            return f"{row[c]:g}" if role == Qt.ItemDataRole.DisplayRole else row[c]
        if role == Qt.ItemDataRole.TextAlignmentRole and c >= 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return "negative lower bound = uptake allowed (mmol/gDW/h)" if c >= 2 else literal(row[c])
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole \
                and self.COLUMNS[section] >= 2:
            return "COBRA convention, mmol/gDW/h: lower bound −10 means up to 10 taken up"
        return None

    def flags(self, index):
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsEditable if self.COLUMNS[index.column()] >= 2 else base

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        field = self.COLUMNS[index.column()]
        if role != Qt.ItemDataRole.EditRole or field < 2:
            return False
        try:
            v = float(str(value).strip())
        except ValueError:
            return False
        if not math.isfinite(v):
            return False
        rid, name, lb, ub = self._rows[index.row()]
        lb, ub = (v, ub) if field == 2 else (lb, v)
        if lb > ub:
            return False
        self._rows[index.row()] = (rid, name, lb, ub)
        self.dataChanged.emit(index, index)
        self.edited.emit(rid, lb, ub)
        return True
