"""The run setup pane: the model, the growth conditions (preset checklist, carbon normalisation,
uptake bounds table, measured growth, conditions files) and the attention settings, with Run and
Cancel.

The pane keeps the current :class:`core.conditions.Condition` of every listed condition; editing a
bound or the measured growth replaces that condition with an edited copy. Presets are resolved
against the open model (a preset whose carbon source the model lacks is listed but disabled, with
the reason as its tooltip).
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QCompleter, QDoubleSpinBox, QFormLayout,
                               QGroupBox,
                               QHBoxLayout, QHeaderView, QLabel, QLineEdit, QListWidget, QListWidgetItem,
                               QPushButton, QSizePolicy, QSpinBox, QTableView, QVBoxLayout, QWidget)

from app.panes.bounds import BoundsModel
from app.panes.weights_choice import WeightsChoiceMixin
from app.plain import esc, literal
from core.attention.result import AttentionConfig
from core.conditions import (DEFAULT_PRESETS, Condition, load_conditions_file, preset_names, resolve_presets,
                             save_conditions_file)
from core.errors import InputError
from core.models import bundled_names

log = logging.getLogger(__name__)


class SetupPane(WeightsChoiceMixin, QWidget):
    open_model_requested = Signal(str)  # a bundled name or a path
    browse_model_requested = Signal()
    import_conditions_requested = Signal()
    export_conditions_requested = Signal()
    inputs_changed = Signal()
    run_requested = Signal()
    cancel_requested = Signal()
    weights_problem = Signal(str)  # a chosen weights file cannot be used: the InputError message

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.loaded = None  # core.models.LoadedModel
        self._attention = AttentionConfig()  # what the widgets show, plus the fields they do not
        self._conditions: dict[str, Condition] = {}
        self._errors: dict[str, str] = {}
        self._exchange_names: dict[str, str] = {}
        self._weights_file: str | None = None
        self._weights_mode = "auto"
        self._build()
        self.set_model(None)

    # ------------------------------------------------------------------ widgets

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)

        model_box = QGroupBox("Model", self)
        mlay = QVBoxLayout(model_box)
        self.model_label = QLabel(model_box)
        self.model_label.setWordWrap(True)
        row = QHBoxLayout()
        self.bundled = QComboBox(model_box)
        self.bundled.addItem("Bundled E. coli model…", None)
        self.bundled.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.bundled.setMinimumContentsLength(12)
        for name in bundled_names():
            self.bundled.addItem(name, name)
        self.bundled.activated.connect(self._bundled_chosen)
        self.open_button = QPushButton("Open file…", model_box)
        self.open_button.clicked.connect(self.browse_model_requested)
        row.addWidget(self.bundled, 1)
        row.addWidget(self.open_button)
        mlay.addLayout(row)
        mlay.addWidget(self.model_label)
        layout.addWidget(model_box)

        cond_box = QGroupBox("Growth conditions", self)
        clay = QVBoxLayout(cond_box)
        self.condition_list = QListWidget(cond_box)
        self.condition_list.setMaximumHeight(150)
        self.condition_list.itemChanged.connect(self._item_changed)
        self.condition_list.currentItemChanged.connect(lambda *_: self._show_selected())
        clay.addWidget(self.condition_list)
        self.carbon = QCheckBox("Carbon-normalised uptake", cond_box)
        self.carbon.setToolTip("give every carbon source the same carbon uptake (C-mol) as 10 mmol/gDW/h glucose")
        self.carbon.toggled.connect(self._carbon_toggled)
        clay.addWidget(self.carbon)
        files_row = QHBoxLayout()
        self.import_button = QPushButton("Import…", cond_box)
        self.import_button.setToolTip("Read conditions from a CSV or JSON conditions file")
        self.import_button.clicked.connect(self.import_conditions_requested)
        self.export_button = QPushButton("Export…", cond_box)
        self.export_button.setToolTip("Write the ticked conditions (with your edits) to a JSON conditions file")
        self.export_button.clicked.connect(self.export_conditions_requested)
        files_row.addWidget(self.import_button)
        files_row.addWidget(self.export_button)
        files_row.addStretch(1)
        clay.addLayout(files_row)
        self.selected_label = QLabel(cond_box)
        self.selected_label.setStyleSheet("color:#444")
        clay.addWidget(self.selected_label)
        growth_row = QHBoxLayout()
        growth_row.addWidget(QLabel("Measured growth (1/h):", cond_box))
        self.measured = QLineEdit(cond_box)
        self.measured.setPlaceholderText("optional")
        self.measured.editingFinished.connect(self._measured_edited)
        growth_row.addWidget(self.measured)
        clay.addLayout(growth_row)
        self.bounds_model = BoundsModel(self)
        self.bounds_model.edited.connect(self._bound_edited)
        self.bounds_view = QTableView(cond_box)
        self.bounds_view.setModel(self.bounds_model)
        self.bounds_view.verticalHeader().setVisible(False)
        self.bounds_view.verticalHeader().setDefaultSectionSize(20)
        self.bounds_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.bounds_view.horizontalHeader().setStretchLastSection(True)
        self.bounds_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.bounds_view.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        clay.addWidget(self.bounds_view, 1)
        add_row = QHBoxLayout()
        self.add_exchange = QLineEdit(cond_box)
        self.add_exchange.setPlaceholderText("exchange id to open, e.g. EX_fru_e")
        self.add_exchange.returnPressed.connect(self._add_exchange)
        self.add_button = QPushButton("Add uptake", cond_box)
        self.add_button.clicked.connect(self._add_exchange)
        self.remove_button = QPushButton("Remove", cond_box)
        self.remove_button.clicked.connect(self._remove_exchange)
        add_row.addWidget(self.add_exchange, 1)
        add_row.addWidget(self.add_button)
        add_row.addWidget(self.remove_button)
        clay.addLayout(add_row)
        layout.addWidget(cond_box, 1)

        att_box = QGroupBox("Attention", self)
        form = QFormLayout(att_box)
        d = AttentionConfig()
        self.heads = self._spin(1, 64, d.heads, "attention heads")
        self.d_model = self._spin(4, 1024, d.d_model, "feature width per node (a multiple of the heads)")
        self.layers = self._spin(1, 8, d.layers, "attention layers")
        self.hops = self._spin(1, 3, d.hops, "how far (graph hops) each node looks")
        self.seed = self._spin(0, 2**31 - 1, d.seed, "random seed: same inputs and seed give the same numbers")
        self.mode = QComboBox(att_box)
        self.mode.addItem("graph (sparse)", "sparse")
        self.mode.addItem("all pairs (full)", "full")
        # The pane's width is set by the conditions, not by this box's longest item.
        self.mode.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.mode.setMinimumContentsLength(8)
        self.mode.setToolTip("sparse: each node attends to its graph neighbours; scales to genome-scale models.\n"
                             "full: each node attends to every node; memory grows with the square of the nodes")
        self.mode.currentIndexChanged.connect(self.inputs_changed)
        self.budget = QDoubleSpinBox(att_box)
        self.budget.setRange(0.01, 1024.0)
        self.budget.setDecimals(2)
        self.budget.setSingleStep(0.5)
        self.budget.setSuffix(" GB")
        self.budget.setValue(d.memory_budget_gb)
        self.budget.setToolTip("a run whose attention would need more memory than this is refused before it starts")
        self.budget.valueChanged.connect(self.inputs_changed)
        self.currency = QCheckBox("Remove currency metabolites", att_box)
        self.currency.setToolTip("leave out h, h2o, atp, nad… (resources/currency_metabolites.txt): they link "
                                 "everything to everything and would draw most of the attention")
        self.currency.setChecked(True)
        self.currency.toggled.connect(self.inputs_changed)
        row1 = QHBoxLayout()
        row1.addWidget(QLabel("heads"))
        row1.addWidget(self.heads)
        row1.addWidget(QLabel("d_model"))
        row1.addWidget(self.d_model)
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("layers"))
        row2.addWidget(self.layers)
        row2.addWidget(QLabel("hops"))
        row2.addWidget(self.hops)
        row2.addWidget(QLabel("seed"))
        row2.addWidget(self.seed)
        row3 = QHBoxLayout()
        row3.addWidget(QLabel("mode"))
        row3.addWidget(self.mode, 1)
        row3.addWidget(QLabel("max memory"))
        row3.addWidget(self.budget)
        form.addRow(row1)
        self.architecture_note = QLabel("heads, d_model, layers: set by the trained weights", att_box)
        self.architecture_note.setStyleSheet("color:#666")
        self.architecture_note.setWordWrap(True)  # never wider than the pane's share
        self.architecture_note.setVisible(False)
        form.addRow(self.architecture_note)
        form.addRow(row2)
        form.addRow(row3)
        form.addRow(self.currency)
        layout.addWidget(att_box)
        layout.addWidget(self._build_weights())

        run_row = QHBoxLayout()
        self.run_button = QPushButton("Run", self)
        self.run_button.setToolTip("FBA → features → attention → analysis (F5)")
        self.run_button.setStyleSheet("font-weight:bold")
        self.run_button.clicked.connect(self.run_requested)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_requested)
        run_row.addWidget(self.run_button, 1)
        run_row.addWidget(self.cancel_button)
        layout.addLayout(run_row)

    def _spin(self, lo: int, hi: int, value: int, tip: str) -> QSpinBox:
        box = QSpinBox(self)
        box.setRange(lo, hi)
        box.setValue(value)
        box.setToolTip(tip)
        box.valueChanged.connect(self.inputs_changed)
        return box

    def _bundled_chosen(self, index: int) -> None:
        name = self.bundled.itemData(index)
        with QSignalBlocker(self.bundled):
            self.bundled.setCurrentIndex(0)
        if name:
            self.open_model_requested.emit(name)

    # ------------------------------------------------------------------ model

    def set_model(self, loaded, presets: dict | None = None) -> None:
        """Show ``loaded`` (a LoadedModel or None) and list the presets resolved for it.

        ``presets`` maps preset name -> Condition or an error message (from the load task); when
        absent they are resolved here.
        """
        checked = self.checked_names() or list(DEFAULT_PRESETS)
        self.loaded = loaded
        self._conditions.clear()
        self._errors.clear()
        self._exchange_names = {}
        if loaded is None:
            self.model_label.setText("<i>No model open. Pick a bundled model, open a file or drop one here.</i>")
        else:
            m = loaded.model
            self.model_label.setText(
                f"<b>{esc(m.id or 'model')}</b> — {len(m.metabolites):,} metabolites, {len(m.reactions):,} reactions, "
                f"{len(m.genes):,} genes<br><span style='color:#666'>{esc(loaded.source)}</span>")
            self._exchange_names = {r.id: (r.name or r.id) for r in m.boundary}
            completer = QCompleter(sorted(self._exchange_names), self.add_exchange)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            self.add_exchange.setCompleter(completer)
            if presets is None:
                presets = resolve_presets(m, self.carbon.isChecked())
            for name, value in presets.items():
                if isinstance(value, Condition):
                    self._conditions[name] = value
                else:
                    self._errors[name] = str(value)
        self._fill_list(checked)
        for w in (self.import_button, self.export_button, self.run_button, self.measured, self.add_exchange,
                  self.add_button, self.remove_button, self.carbon):
            w.setEnabled(loaded is not None)
        self.update_weights_info()
        self.inputs_changed.emit()

    def _fill_list(self, checked) -> None:
        with QSignalBlocker(self.condition_list):
            self.condition_list.clear()
            names = list(preset_names()) + [n for n in self._conditions if n not in preset_names()]
            for name in names:
                item = QListWidgetItem(name)
                item.setData(Qt.ItemDataRole.UserRole, name)
                flags = Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsSelectable
                if name in self._conditions:
                    flags |= Qt.ItemFlag.ItemIsEnabled
                    cond = self._conditions[name]
                    item.setToolTip(literal(cond.description or "from a conditions file"))
                    if cond.preset is None:
                        item.setText(f"{name}  (file)")
                elif name in self._errors:
                    item.setToolTip(literal(f"not available for this model: {self._errors[name]}"))
                    item.setText(f"{name}  (not in this model)")
                item.setFlags(flags)
                on = name in checked and name in self._conditions
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                self.condition_list.addItem(item)
            first = next((i for i in range(self.condition_list.count())
                          if self.condition_list.item(i).checkState() == Qt.CheckState.Checked), 0)
            if self.condition_list.count():
                self.condition_list.setCurrentRow(first)
        self._show_selected()

    # ------------------------------------------------------------------ conditions

    def _item(self, name: str) -> QListWidgetItem | None:
        for i in range(self.condition_list.count()):
            item = self.condition_list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                return item
        return None

    def checked_names(self) -> list[str]:
        out = []
        for i in range(self.condition_list.count()):
            item = self.condition_list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(item.data(Qt.ItemDataRole.UserRole))
        return out

    def set_checked(self, names) -> None:
        names = set(names)
        with QSignalBlocker(self.condition_list):
            for i in range(self.condition_list.count()):
                item = self.condition_list.item(i)
                name = item.data(Qt.ItemDataRole.UserRole)
                on = name in names and name in self._conditions
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.inputs_changed.emit()

    def conditions(self) -> list[Condition]:
        """The ticked conditions, in list order, with the user's edits."""
        return [self._conditions[n] for n in self.checked_names() if n in self._conditions]

    def all_conditions(self) -> dict[str, Condition]:
        return dict(self._conditions)

    def current_name(self) -> str | None:
        item = self.condition_list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def add_conditions(self, conditions, check: bool = True) -> None:
        """Add (or replace by name) conditions, e.g. from a file or a project."""
        checked = self.checked_names()
        for cond in conditions:
            self._conditions[cond.name] = cond
            self._errors.pop(cond.name, None)
            if check and cond.name not in checked:
                checked.append(cond.name)
        self._fill_list(checked)
        self.inputs_changed.emit()

    def import_file(self, path) -> list[Condition]:
        """Read a conditions file against the open model; raises InputError."""
        if self.loaded is None:
            raise InputError("open a model before importing conditions (they refer to its exchanges)", path)
        conditions = load_conditions_file(self.loaded.model, path)
        self.add_conditions(conditions)
        log.info("Imported %d condition(s) from %s", len(conditions), path)
        return conditions

    def export_file(self, path) -> None:
        conditions = self.conditions()
        if not conditions:
            raise InputError("tick at least one condition to export", path)
        save_conditions_file(conditions, path)
        log.info("Wrote %d condition(s) to %s", len(conditions), path)

    def _item_changed(self, _item) -> None:
        self.inputs_changed.emit()

    def _carbon_toggled(self, on: bool) -> None:
        if self.loaded is None:
            return
        checked = self.checked_names()
        for name, value in resolve_presets(self.loaded.model, on).items():
            if isinstance(value, Condition):
                self._conditions[name] = value
        self._fill_list(checked)
        self.inputs_changed.emit()

    def _show_selected(self) -> None:
        name = self.current_name()
        cond = self._conditions.get(name) if name else None
        self.bounds_model.set_condition(cond, self._exchange_names)
        with QSignalBlocker(self.measured):
            self.measured.setText("" if cond is None or cond.measured_growth is None else f"{cond.measured_growth:g}")
        if cond is None:
            self.selected_label.setText(f"<i>{esc(name)}: {esc(self._errors.get(name, ''))}</i>"
                                        if name in self._errors else "")
        else:
            from core.summary_run import medium_lines

            # The real limits (glucose 10), not the salts' open bounds of 1000 (issue 13).
            limiting, excess, missing = medium_lines(cond)
            carbon = "carbon-normalised" if cond.carbon_normalised else "not carbon-normalised"
            self.selected_label.setText(
                f"<b>{esc(cond.name)}</b>: {esc(cond.description or 'custom medium')} ({carbon})"
                f"<br>uptake bounds (mmol/gDW/h): {esc(limiting)}"
                f"<br><span style='color:#666'>in excess (1000): {esc(excess)}"
                + (f"<br>not in the model: {esc(missing)}" if missing != "–" else "") + "</span>")
        self.selected_label.setWordWrap(True)

    def _replace_current(self, **changes) -> None:
        name = self.current_name()
        if name not in self._conditions:
            return
        self._conditions[name] = replace(self._conditions[name], **changes)
        self.inputs_changed.emit()

    def _bound_edited(self, rid: str, lb: float, ub: float) -> None:
        name = self.current_name()
        if name in self._conditions:
            bounds = dict(self._conditions[name].bounds)
            bounds[rid] = (lb, ub)
            self._replace_current(bounds=bounds)
            log.info("Condition %s: bounds of %s set to (%g, %g)", name, rid, lb, ub)

    def _measured_edited(self) -> None:
        text = self.measured.text().strip()
        if not text:
            self._replace_current(measured_growth=None)
            return
        try:
            value = float(text)
            if not math.isfinite(value) or value < 0:
                raise ValueError
        except ValueError:
            self.measured.setStyleSheet("background:#fdd")
            self.measured.setToolTip("a growth rate is a number ≥ 0 (1/h)")
            return
        self.measured.setStyleSheet("")
        self._replace_current(measured_growth=value)

    def _add_exchange(self) -> None:
        rid = self.add_exchange.text().strip()
        name = self.current_name()
        if not rid or name not in self._conditions:
            return
        if rid not in self._exchange_names:
            self.add_exchange.setStyleSheet("background:#fdd")
            self.add_exchange.setToolTip(literal(f"{rid!r} is not an exchange reaction of this model"))
            return
        self.add_exchange.setStyleSheet("")
        bounds = dict(self._conditions[name].bounds)
        ub = bounds.get(rid, (0.0, 1000.0))[1]
        bounds[rid] = (-10.0, ub)
        self._replace_current(bounds=bounds)
        self.add_exchange.clear()
        self._show_selected()

    def _remove_exchange(self) -> None:
        name = self.current_name()
        index = self.bounds_view.currentIndex()
        if name not in self._conditions or not index.isValid():
            return
        bounds = dict(self._conditions[name].bounds)
        bounds.pop(self.bounds_model.exchange(index.row()), None)
        self._replace_current(bounds=bounds)
        self._show_selected()

    # ------------------------------------------------------------------ attention

    def _attention_boxes(self) -> dict:
        """AttentionConfig field -> the spin box that shows it."""
        return {"heads": self.heads, "d_model": self.d_model, "layers": self.layers, "hops": self.hops,
                "seed": self.seed, "memory_budget_gb": self.budget}

    def attention_config(self, check: bool = True) -> AttentionConfig:
        """The settings shown, on top of the config last given (fields without a widget kept).

        ``check``: raise InputError for settings that cannot run (:meth:`AttentionConfig.checked`).
        """
        values = {name: box.value() for name, box in self._attention_boxes().items()}
        config = replace(self._attention, mode=self.mode.currentData(), **values)
        return config.checked() if check else config

    def set_attention_config(self, config: AttentionConfig, filter_currency: bool | None = None) -> None:
        """Show ``config`` (and the currency filter unless None) without signalling an input change."""
        self._attention = config
        for name, box in self._attention_boxes().items():
            with QSignalBlocker(box):
                box.setValue(getattr(config, name))
        if self.mode.findData(config.mode) >= 0:
            with QSignalBlocker(self.mode):
                self.mode.setCurrentIndex(self.mode.findData(config.mode))
        if filter_currency is not None:
            with QSignalBlocker(self.currency):
                self.currency.setChecked(bool(filter_currency))

    def set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running and self.loaded is not None)
        self.cancel_button.setEnabled(running)
