"""The Batch dialog: many models x many media on Dask, from the window.

Pick models (bundled or files), media (presets, conditions files, K random media), where to run (this
computer's cores or a cluster's scheduler address) and a results folder; Run starts
:func:`core.batch.engine.run_spec` on a background thread (the work itself runs in Dask worker
processes) with progress and Cancel. Optional trained weights add each medium's predicted growth and its
most important nodes to the results folder. When it ends, growth per model x medium shows as a table and a
heatmap, read from the folder (:func:`core.batch.store.growth_matrix`); a cancelled run shows what was
kept, and Run again into the same folder computes only the rest.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (QButtonGroup, QDialog, QFileDialog, QGridLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QListWidget, QListWidgetItem, QMessageBox, QProgressBar, QPushButton,
                               QRadioButton, QSpinBox, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app.plain import literal, plain_label
from app.worker import TaskRunner
from core.errors import InputError

TASK = "batch"
SHUTDOWN_MS = 60_000  # closing waits for the run to stop: a local cluster takes a few seconds to close


def _checkable(text: str, data: str, checked: bool = False) -> QListWidgetItem:
    item = QListWidgetItem(text)
    item.setData(Qt.ItemDataRole.UserRole, data)
    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
    item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
    return item


def _checked(widget: QListWidget) -> list[str]:
    return [widget.item(i).data(Qt.ItemDataRole.UserRole) for i in range(widget.count())
            if widget.item(i).checkState() == Qt.CheckState.Checked]



def _browse_row(label: str, field: QLineEdit, browse) -> QHBoxLayout:
    """A labelled path field with a Browse… button that calls ``browse``."""
    button = QPushButton("Browse…")
    button.clicked.connect(browse)
    row = QHBoxLayout()
    row.addWidget(QLabel(label))
    row.addWidget(field, 1)
    row.addWidget(button)
    return row

class BatchDialog(QDialog):
    """Set up, run, cancel and look at a batch run. ``results_shown`` fires when the table and heatmap
    show a folder's results; ``run_ended(str)`` with "finished", "cancelled" or "failed"."""

    results_shown = Signal()
    run_ended = Signal(str)

    def __init__(self, parent: QWidget | None = None, folder: str = ""):
        super().__init__(parent)
        from core.conditions import preset_names
        from core.models import bundled_names

        self.setWindowTitle("Batch run: many models x many media")
        self.runner = TaskRunner(self)
        self.summary = None
        self._closed = False  # once closed, late callbacks of a stopping run touch no widget

        self.models = QListWidget()
        for i, name in enumerate(bundled_names()):
            self.models.addItem(_checkable(name, name, checked=i == 0))
        add_model = QPushButton("Add model file…")
        add_model.clicked.connect(self._browse_model)
        self.media = QListWidget()
        for name in preset_names():
            self.media.addItem(_checkable(name, name, checked=name in ("glucose", "acetate")))
        add_media = QPushButton("Add conditions file…")
        add_media.clicked.connect(self._browse_media)
        self.random_count = QSpinBox()
        self.random_count.setRange(0, 1_000_000)
        self.random_count.setSpecialValueText("none")
        self.random_count.setToolTip("seeded random media around each model's minimal medium")
        self.random_seed = QSpinBox()
        self.random_seed.setRange(0, 2**31 - 1)

        inputs = QGridLayout()
        inputs.addWidget(QLabel("Models"), 0, 0)
        inputs.addWidget(QLabel("Media"), 0, 1)
        inputs.addWidget(self.models, 1, 0)
        inputs.addWidget(self.media, 1, 1)
        inputs.addWidget(add_model, 2, 0)
        inputs.addWidget(add_media, 2, 1)
        randoms = QHBoxLayout()
        randoms.addWidget(QLabel("plus random media:"))
        randoms.addWidget(self.random_count)
        randoms.addWidget(QLabel("seed"))
        randoms.addWidget(self.random_seed)
        inputs.addLayout(randoms, 3, 1)

        self.local = QRadioButton("This computer, worker processes:")
        self.cluster = QRadioButton("Dask cluster, scheduler address:")
        self.local.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.local)
        group.addButton(self.cluster)
        self.workers = QSpinBox()
        self.workers.setRange(1, 256)
        self.workers.setValue(os.cpu_count() or 1)
        self.address = QLineEdit()
        self.address.setPlaceholderText("tcp://10.0.0.5:8786")
        where = QGridLayout()
        where.addWidget(self.local, 0, 0)
        where.addWidget(self.workers, 0, 1)
        where.addWidget(self.cluster, 1, 0)
        where.addWidget(self.address, 1, 1)
        where_box = QGroupBox("Where")
        where_box.setLayout(where)

        self.out = QLineEdit(folder)
        self.out.setPlaceholderText("results folder (new or empty, or an earlier run's to finish it)")
        out_row = _browse_row("Results folder", self.out, self._browse_out)

        self.weights = QLineEdit()
        self.weights.setPlaceholderText("none: growth only (or a trained .safetensors file, or auto for the shipped ones)")
        self.weights.setToolTip("With trained weights each medium also gets the model's predicted growth and its 20 "
                                "most important nodes (columns predicted_growth, top_node:N, top_importance:N)")
        weights_row = _browse_row("Trained weights", self.weights, self._browse_weights)

        self.run_button = QPushButton("Run")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = plain_label(QLabel(""))  # messages quote SPEC files and model names
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)

        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", "model")
        self.plot.setLabel("left", "medium")
        self.plot.invertY(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=pg.colormap.get("viridis"), label="growth (1/h)",
                                   interactive=False)
        self.bar.setImageItem(self.image, insert_in=self.plot.getPlotItem())
        results = QSplitter(Qt.Orientation.Horizontal)
        results.addWidget(self.table)
        results.addWidget(self.plot)

        layout = QVBoxLayout(self)
        layout.addLayout(inputs)
        layout.addWidget(where_box)
        layout.addLayout(weights_row)
        layout.addLayout(out_row)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(results, 1)
        self.resize(900, 800)
        if parent is not None:  # the window closing stops the batch too (its thread must not outlive it)
            parent.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Close and watched is self.parent():
            self._stop_for_good()
        return False

    def _stop_for_good(self) -> None:
        self._closed = True
        self.runner.shutdown(SHUTDOWN_MS)

    # ------------------------------------------------------------------ inputs

    def add_model(self, path: str) -> None:
        self.models.addItem(_checkable(Path(path).name, str(Path(path).resolve()), checked=True))

    def add_media_file(self, path: str) -> None:
        self.media.addItem(_checkable(Path(path).name, str(Path(path).resolve()), checked=True))

    def _browse_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Add a model", "", "Models (*.xml *.sbml *.xml.gz *.json *.mat "
                                                                       "*.yml *.yaml);;All files (*)")
        if path:
            self.add_model(path)

    def _browse_media(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Add a conditions file", "", "Conditions (*.csv *.json)")
        if path:
            self.add_media_file(path)

    def _browse_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Trained weights", "", "Trained weights (*.safetensors)")
        if path:
            self.weights.setText(path)

    def _browse_out(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Results folder", self.out.text())
        if path:
            self.out.setText(path)

    def spec_data(self) -> dict:
        """The SPEC's JSON form of what is ticked (what `metattn batch` would read from a file)."""
        media: list = list(_checked(self.media))
        if self.random_count.value() > 0:
            media.append({"random": self.random_count.value(), "seed": self.random_seed.value()})
        data = {"models": _checked(self.models), "media": media}
        if self.weights.text().strip():
            data["weights"] = self.weights.text().strip()
        return data

    # ------------------------------------------------------------------ running

    def start(self) -> None:
        from core.batch.engine import check_address, run_spec
        from core.batch.spec import spec_from_dict

        try:
            data = self.spec_data()
            if not data["models"] or not data["media"]:
                raise InputError("tick at least one model and one medium (or ask for random media)")
            out = self.out.text().strip()
            if not out:
                raise InputError("choose a results folder")
            scheduler = self.address.text().strip() if self.cluster.isChecked() else None
            if self.cluster.isChecked():
                if not scheduler:
                    raise InputError("enter the scheduler's address, e.g. tcp://10.0.0.5:8786")
                check_address(scheduler)
            spec = spec_from_dict(data, Path.cwd())  # the dialog gives absolute paths
        except InputError as exc:
            self._error(str(exc))
            return
        self.summary = None
        self._set_running(True)
        self.status.setText("Checking the models and media…")
        self.runner.start(TASK, run_spec, spec, out, scheduler, None if scheduler else self.workers.value(),
                          on_progress=self._progress, on_finished=self._finished, on_failed=self._failed,
                          on_cancelled=self._cancelled)

    def cancel(self) -> None:
        if self.runner.cancel(TASK):
            self.status.setText("Stopping… finished chunks are kept")

    def is_running(self) -> bool:
        return self.runner.is_running(TASK)

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if running:
            self.progress.setValue(0)

    def _progress(self, fraction: float, message: str) -> None:
        if self._closed:
            return
        self.progress.setValue(int(round(fraction * 1000)))
        self.status.setText(message)

    def _finished(self, summary) -> None:
        if self._closed:
            return
        self.summary = summary
        self._set_running(False)
        counts = ", ".join(f"{n} {s}" for s, n in sorted(summary.status_counts.items())) or "nothing new"
        text = (f"Ran on {summary.where}: {summary.computed} chunks ({summary.media_computed} media) in "
                f"{summary.seconds:.1f} s, {summary.media_per_second:.1f} media/s; {summary.skipped} chunks were "
                f"already done. Solver status: {counts}. Growth is FBA (GLPK); 0 where not optimal.")
        if self.weights.text().strip():
            text += (" The trained model's predicted growth is in growth.csv; each medium's 20 most important nodes "
                     "are in chunks/*.parquet.")
        if summary.failed:
            text += f" {len(summary.failed)} chunk(s) failed: {summary.failed[0][1]} — Run again to retry them."
        self.status.setText(text)
        self.show_results(summary.out)
        self.run_ended.emit("finished")

    def _failed(self, exc) -> None:
        if self._closed:
            return
        self._set_running(False)
        text = str(exc) if isinstance(exc, InputError) else f"Unexpected error ({type(exc).__name__}): {exc}"
        self.status.setText(text)
        self._error(text)
        self.run_ended.emit("failed")

    def _cancelled(self) -> None:
        if self._closed:
            return
        self._set_running(False)
        out = self.out.text().strip()
        self.status.setText(f"Cancelled; finished chunks are kept in {out}. Run again to compute the rest.")
        if (Path(out) / "chunks").is_dir():
            self.show_results(out)
        self.run_ended.emit("cancelled")

    def _error(self, text: str) -> None:
        QMessageBox.critical(self, "Batch run", literal(text))

    # ------------------------------------------------------------------ results

    def show_results(self, out: str | Path) -> None:
        """Fill the table and heatmap with growth per medium (rows) x model (columns) from ``out``."""
        from core.batch.store import growth_matrix, read_results

        media, models, growth = growth_matrix(read_results(out, columns=["model", "source", "medium", "growth"]))
        self.table.clear()
        self.table.setRowCount(len(media))
        self.table.setColumnCount(len(models))
        self.table.setHorizontalHeaderLabels(models)
        self.table.setVerticalHeaderLabels(media)
        for i in range(len(media)):
            for j in range(len(models)):
                value = growth[i, j]
                item = QTableWidgetItem("" if np.isnan(value) else f"{value:.4f}")
                item.setData(Qt.ItemDataRole.ToolTipRole, literal(f"{media[i]} on {models[j]}"))
                self.table.setItem(i, j, item)
        top = float(np.nanmax(growth)) if growth.size and np.isfinite(growth).any() else 1.0
        self.image.setImage(np.nan_to_num(growth, nan=0.0).astype(np.float32), levels=(0.0, max(top, 1e-6)))
        self.bar.setLevels((0.0, max(top, 1e-6)))
        ticks = [(j + 0.5, name) for j, name in enumerate(models)]
        self.plot.getAxis("bottom").setTicks([ticks])
        self.plot.getAxis("left").setTicks([[(i + 0.5, name) for i, name in enumerate(media)]] if len(media) <= 40
                                           else None)
        self.plot.autoRange()
        self.results_shown.emit()

    def closeEvent(self, event) -> None:  # noqa: N802
        self._stop_for_good()
        super().closeEvent(event)


def open_batch_dialog(parent: QWidget | None = None) -> BatchDialog:
    """Show a (non-modal) Batch dialog and return it."""
    dialog = BatchDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
