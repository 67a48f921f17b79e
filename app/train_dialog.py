"""Run > Train model: train the multi-task attention model on media simulated from the open model.

The dialog runs :func:`core.training.command.train_and_evaluate` (what ``main.py train`` runs) through
:func:`app.jobs.train_job` in a compute process of its own (minutes of work that must not hold up the
window's runs), watched by the window's task runner. While it trains, the loss curves grow per epoch
(training loss per task, validation loss); *Stop* ends training keeping the best weights so far, as
Ctrl-C does on the command line. When it is done it shows held-out predicted vs FBA growth, the held-out
scores beside the baselines, and offers to save the weights (.safetensors) and use them for the next runs.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QDialog, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QMessageBox, QProgressBar, QPushButton, QSpinBox, QSplitter, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from app.plain import literal, plain_label
from app.worker import ComputeProcess, TaskRunner
from core.errors import InputError

log = logging.getLogger("metattn.gui")

TASK = "train"
# (history key, legend, colour): training loss per task and the validation loss (all three tasks)
CURVES = (("train_growth", "growth (training)", (76, 114, 176)), ("train_grows", "grows or not (training)",
          (85, 168, 104)), ("train_flux", "flux (training)", (221, 132, 82)),
          ("val_loss", "validation (all tasks)", (20, 20, 20)))
SCORE_ROWS = (("growth_r2", "Growth rate R²"), ("flux_r2", "Flux R² (variance-weighted)"),
              ("grows_auroc", "Grows or not (AUROC)"), ("media", "Held-out media"))
BASELINES = (("graph_uniform_attention", "same model, no attention"), ("mlp_medium", "MLP on the medium"),
             ("mean", "average only"))


class _EpochRelay(QObject):
    """Lives on the main thread; the worker thread emits each epoch's history, the dialog draws it."""

    epochs = Signal(object)


class TrainDialog(QDialog):
    """``curves_updated(n)`` after the curves show n epochs; ``training_ended`` with "finished", "stopped"
    (best weights so far kept), "cancelled" (nothing kept) or "failed"; ``weights_saved(path)``."""

    curves_updated = Signal(int)
    training_ended = Signal(str)
    weights_saved = Signal(str)

    def __init__(self, window, parent: QWidget | None = None):
        super().__init__(parent if parent is not None else window)
        self.window = window
        self.setWindowTitle("Train the attention model")
        self.runner = TaskRunner(self)
        self.process: ComputeProcess | None = None
        # TrainConfig fields (epochs, d_model, heads…) and "deletions": the shipped weights' wiring, whose read-out
        # attention carries the prediction (the bare TrainConfig default's does not, see core/training/model.py).
        from core.training import RECOMMENDED_WIRING

        self.options: dict = dict(RECOMMENDED_WIRING)
        self.card: dict | None = None
        self.history: list[dict] = []
        self.trained_path: Path | None = None
        self.saved_path: str | None = None
        self._finish_early = threading.Event()
        self._folder = Path(tempfile.mkdtemp(prefix="metattn-train-"))
        self._runs = 0
        self._relay = _EpochRelay(self)
        self._relay.epochs.connect(self._show_epochs)
        self._build()
        if window is not None:  # the window closing stops training too
            window.installEventFilter(self)

    # ------------------------------------------------------------------ widgets

    def _build(self) -> None:
        self.model_label = plain_label(QLabel(self))
        self.model_label.setWordWrap(True)
        self.media = QSpinBox(self)
        self.media.setRange(20, 1_000_000)
        self.media.setValue(2000)
        self.media.setGroupSeparatorShown(True)
        self.media.setToolTip("random media (carbon, nitrogen, phosphorus and sulfur sources, aerobic or not) "
                              "solved with FBA and parsimonious FBA as training data; 20 % of the carbon-source "
                              "combinations are held out for testing")
        self.minutes = QDoubleSpinBox(self)
        self.minutes.setRange(0.1, 24 * 60.0)
        self.minutes.setValue(15.0)
        self.minutes.setSuffix(" min")
        self.minutes.setToolTip("training stops after this long (not counting solving the media), keeping the "
                                "best weights so far")
        self.seed = QSpinBox(self)
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("same model, media, settings and seed give the same weights")
        self.deletions = QCheckBox("Check importance against reaction deletions (slow: every reaction on "
                                   "every preset)", self)
        form = QFormLayout()
        form.addRow(self.model_label)
        form.addRow("Media to simulate", self.media)
        form.addRow("At most", self.minutes)
        form.addRow("Seed", self.seed)
        form.addRow(self.deletions)

        self.train_button = QPushButton("Train", self)
        self.train_button.setDefault(True)
        self.train_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop (keep the best so far)", self)
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.save_button = QPushButton("Save weights…", self)
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.browse_save)
        self.use_button = QPushButton("Use for the next runs", self)
        self.use_button.setEnabled(False)
        self.use_button.setToolTip("the setup pane's trained weights become the saved file")
        self.use_button.clicked.connect(self.use_weights)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.status = plain_label(QLabel(self))
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress, 1)
        for b in (self.train_button, self.stop_button, self.save_button, self.use_button):
            buttons.addWidget(b)

        self.loss_plot = pg.PlotWidget(self)
        self.loss_plot.setBackground("w")
        lp = self.loss_plot.getPlotItem()
        lp.setTitle("Loss per epoch", size="9pt")
        lp.setLabel("bottom", "epoch")
        lp.setLabel("left", "loss")
        lp.addLegend(offset=(-5, 5), labelTextSize="8pt")
        self.curves = {key: lp.plot([], [], pen=pg.mkPen(color, width=2), symbol="o", symbolSize=4,
                                    symbolBrush=color, symbolPen=None, name=name) for key, name, color in CURVES}
        self.scatter_plot = pg.PlotWidget(self)
        self.scatter_plot.setBackground("w")
        sp = self.scatter_plot.getPlotItem()
        sp.setTitle("Held-out media: predicted vs FBA growth", size="9pt")
        self.scatter_plot.setToolTip("each dot a medium the model never saw in training; on the dashed line "
                                     "the prediction equals FBA")
        sp.setLabel("bottom", "FBA growth (1/h)")
        sp.setLabel("left", "predicted growth (1/h)")
        self.diagonal = sp.plot([], [], pen=pg.mkPen((150, 150, 150), style=Qt.PenStyle.DashLine))
        self.scatter = pg.ScatterPlotItem(size=6, brush=pg.mkBrush(76, 114, 176, 150), pen=None)
        sp.addItem(self.scatter)
        for plot in (lp, sp):  # growth in 1/h as such, never rescaled to "(x0.001)"
            for side in ("left", "bottom"):
                plot.getAxis(side).enableAutoSIPrefix(False)
        plots = QSplitter(Qt.Orientation.Horizontal, self)
        plots.addWidget(self.loss_plot)
        plots.addWidget(self.scatter_plot)

        self.scores = QTableWidget(0, 0, self)
        self.scores.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.scores.setMaximumHeight(150)
        self.summary = plain_label(QLabel(self))
        self.summary.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(plots, 1)
        layout.addWidget(self.scores)
        layout.addWidget(self.summary)
        self.resize(980, 820)
        self.show_model()

    def show_model(self) -> None:
        loaded = getattr(self.window, "loaded", None)
        if loaded is None:
            self.model_label.setText("No model is open: open one in the window first.")
        else:
            self.model_label.setText(
                f"Model: {loaded.model.id or 'model'} ({loaded.source.removeprefix('bundled:')}). The weights "
                "fit runs of this model with currency metabolites removed (the default). The model learns to "
                "predict growth, whether the cell grows, and every reaction's flux from the medium alone.")
        self.train_button.setEnabled(loaded is not None and not self.is_running())

    # ------------------------------------------------------------------ training

    def is_running(self) -> bool:
        return self.runner.is_running(TASK)

    def start(self) -> None:
        from app.jobs import preload_training, train_job

        loaded = getattr(self.window, "loaded", None)
        if loaded is None:
            self._error("open a model first (File → Open bundled model)")
            return
        if self.is_running():
            return
        if self.process is None or not self.process.alive:
            self.process = ComputeProcess(preload_training)
            # Stop keeps the best weights: scoring them on the held-out media must not be cut short.
            self.process.STOP_GRACE = 300.0
        self._runs += 1
        self.trained_path = self._folder / f"trained-{self._runs}.safetensors"
        self.card, self.history, self.saved_path = None, [], None
        self._finish_early.clear()
        self._clear_results()
        self._set_running(True)
        source = loaded.source.removeprefix("bundled:")
        self.status.setText("Starting the training process…")
        log.info("Training on %s: %d media, at most %.1f min, seed %d", source, self.media.value(),
                 self.minutes.value(), self.seed.value())
        self.runner.start(TASK, train_job, self.process, source, self.media.value(), self.seed.value(),
                          self.minutes.value(), str(self.trained_path), self._finish_early,
                          dict(self.options, deletions=self.deletions.isChecked()), on_epoch=self._relay.epochs.emit,
                          on_progress=self._progress, on_finished=self._finished, on_failed=self._failed,
                          on_cancelled=self._cancelled)

    def stop(self) -> None:
        """End training now, keeping the best weights so far (before training begins: nothing is kept)."""
        if self.is_running():
            self._finish_early.set()
            self.stop_button.setEnabled(False)
            self.status.setText("Stopping: scoring the best weights so far on the held-out media…")

    def _set_running(self, running: bool) -> None:
        self.train_button.setEnabled(not running and getattr(self.window, "loaded", None) is not None)
        self.stop_button.setEnabled(running)
        for w in (self.media, self.minutes, self.seed, self.deletions):
            w.setEnabled(not running)
        if running:
            self.progress.setValue(0)
            self.save_button.setEnabled(False)
            self.use_button.setEnabled(False)

    def _progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(round(fraction * 1000)))
        self.status.setText(message)

    def _show_epochs(self, rows) -> None:
        self.history = list(rows)
        x = np.array([r["epoch"] for r in self.history], dtype=float)
        for key, curve in self.curves.items():
            curve.setData(x, np.array([r.get(key, np.nan) for r in self.history], dtype=float))
        self.curves_updated.emit(len(self.history))

    def _finished(self, card: dict) -> None:
        self.card = card
        self._set_running(False)
        self.progress.setValue(1000)
        self._show_epochs(card.get("history", []))
        self._show_scatter(card)
        self._show_scores(card)
        stopped = bool(card.get("train", {}).get("interrupted"))
        self.summary.setText(summary_text(card))
        self.status.setText(("Stopped: the best weights so far were kept. " if stopped else "Done. ")
                            + "Save the weights to keep them and use them for the next runs.")
        self.save_button.setEnabled(True)
        self.use_button.setEnabled(True)
        self.training_ended.emit("stopped" if stopped else "finished")

    def _failed(self, exc) -> None:
        self._set_running(False)
        text = str(exc) if isinstance(exc, InputError) else f"Unexpected error ({type(exc).__name__}): {exc}"
        if not isinstance(exc, InputError):
            log.error("Training failed: %s\n%s", text, getattr(exc, "traceback_text", ""))
        self.status.setText(f"Training failed: {text}")
        self._error(text)
        self.training_ended.emit("failed")

    def _cancelled(self) -> None:
        self._set_running(False)
        self.status.setText("Stopped before training began (while solving the media): nothing was kept.")
        self.training_ended.emit("cancelled")

    # ------------------------------------------------------------------ results

    def _clear_results(self) -> None:
        for curve in self.curves.values():
            curve.setData([], [])
        self.scatter.setData([], [])
        self.diagonal.setData([], [])
        self.scores.clear()
        self.scores.setRowCount(0)
        self.scores.setColumnCount(0)
        self.summary.setText("")

    def _show_scatter(self, card: dict) -> None:
        points = card.get("metrics", {}).get("held_out_points", {})
        fba = np.asarray(points.get("fba", []), dtype=float)
        pred = np.asarray(points.get("predicted", []), dtype=float)
        self.scatter.setData(fba, pred)
        top = float(max(fba.max(initial=0.0), pred.max(initial=0.0), 1e-3)) * 1.05
        low = float(min(pred.min(initial=0.0), 0.0))
        self.diagonal.setData([low, top], [low, top])
        r2 = card.get("metrics", {}).get("held_out", {}).get("growth_r2")
        self.scatter_plot.getPlotItem().setTitle(
            f"{len(fba)} held-out media: predicted vs FBA growth, R² {'n/a' if r2 is None else f'{r2:.2f}'}",
            size="9pt")

    def _show_scores(self, card: dict) -> None:
        metrics = card.get("metrics", {})
        columns = [("this model", metrics.get("held_out", {}))]
        columns += [(name, metrics["baselines"][key]) for key, name in BASELINES
                    if key in metrics.get("baselines", {})]
        self.scores.setRowCount(len(SCORE_ROWS))
        self.scores.setColumnCount(len(columns))
        self.scores.setHorizontalHeaderLabels([name for name, _ in columns])
        self.scores.setVerticalHeaderLabels([label for _, label in SCORE_ROWS])
        for i, (key, _label) in enumerate(SCORE_ROWS):
            for j, (_name, scores) in enumerate(columns):
                value = scores.get(key)
                text = "–" if value is None else (f"{value:,}" if key == "media" else f"{value:.3f}")
                self.scores.setItem(i, j, QTableWidgetItem(text))
        self.scores.resizeColumnsToContents()

    # ------------------------------------------------------------------ saving and using

    def browse_save(self) -> None:
        start = str(Path(self.window.last_dir()) / "weights.safetensors") if self.window is not None else ""
        path, _ = QFileDialog.getSaveFileName(self, "Save trained weights", start, "Trained weights (*.safetensors)")
        if path:
            self.save_weights(path if path.endswith(".safetensors") else path + ".safetensors")

    def save_weights(self, path: str) -> bool:
        """Copy the trained weights (written by save_predictor in the training process) to ``path``,
        atomically: a temporary file next to it, then a rename."""
        from core.io_utils import atomic_path

        if self.trained_path is None or not self.trained_path.is_file() or self.card is None:
            self._error("there are no trained weights to save yet: press Train first")
            return False
        try:
            if not str(path).endswith(".safetensors"):
                raise InputError("the weights file must end in .safetensors", path)
            with atomic_path(path, overwrite=True) as tmp:
                shutil.copyfile(self.trained_path, tmp)
        except InputError as exc:
            self._error(str(exc))
            return False
        except OSError as exc:
            self._error(f"{path}: could not be written ({exc.strerror or exc})")
            return False
        self.saved_path = str(path)
        self.status.setText(f"Saved the weights to {path}.")
        log.info("Trained weights saved to %s", path)
        self.weights_saved.emit(str(path))
        return True

    def use_weights(self) -> bool:
        """Make the setup pane use the saved weights (saving them first if they are not saved yet)."""
        if self.saved_path is None:
            self.browse_save()
            if self.saved_path is None:
                return False
        if self.window.setup.choose_weights_file(self.saved_path):
            self.status.setText(f"The next runs use {Path(self.saved_path).name}.")
            return True
        return False

    def _error(self, text: str) -> None:
        QMessageBox.critical(self, "Train model", literal(text))

    # ------------------------------------------------------------------ closing

    def shutdown(self) -> None:
        """Stop training (nothing kept), end the training process and remove the unsaved weights."""
        self.runner.cancel_all()
        if self.process is not None:
            self.process.close()  # ends a training that is still solving or scoring: the wait ends with it
            self.process = None
        self.runner.shutdown()
        shutil.rmtree(self._folder, ignore_errors=True)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Close and watched is self.window:
            self.shutdown()
        return False

    def closeEvent(self, event) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)


def summary_text(card: dict) -> str:
    """What was run and how far to trust it, in plain words, from a weights card."""
    data, train, metrics = card.get("data", {}), card.get("train", {}), card.get("metrics", {})
    held, split = metrics.get("held_out", {}), metrics.get("split", {})
    fluxes = "parsimonious FBA" if data.get("fluxes", "pfba") == "pfba" else "FBA"
    text = (f"Trained on {data.get('media', 0):,} media simulated from {card.get('model_id', '?')} (growth by FBA, "
            f"fluxes by {fluxes}, seed {data.get('seed', '?')}; {data.get('grows', '?')} grow), "
            f"{train.get('epochs_run', '?')} epochs in {train.get('seconds', '?')} s "
            f"(d_model {train.get('d_model')}, {train.get('heads')} heads, {train.get('layers')} layers). "
            f"Scored on {split.get('test', '?')} held-out media whose carbon-source combinations it never saw. ")
    if train.get("interrupted"):
        text += "Training was stopped early: the baselines and faithfulness checks were not run. "
    r2 = held.get("growth_r2")
    mlp = metrics.get("baselines", {}).get("mlp_medium", {}).get("growth_r2")
    if r2 is None or not np.isfinite(r2) or r2 < 0.9:
        text += ("With a held-out growth R² below 0.9 it is only a rough predictor: read the importances it "
                 "gives as tentative; more media or epochs usually help.")
    elif mlp is not None and r2 < mlp - 0.02:
        text += (f"It predicts held-out growth well (R² {r2:.2f}), though an MLP on the medium alone does better "
                 f"({mlp:.2f}).")
    else:
        text += f"It predicts held-out growth well (R² {r2:.2f})."
    return text


def open_train_dialog(window) -> TrainDialog:
    """Show a (non-modal) Train dialog for ``window``'s open model and return it."""
    dialog = TrainDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
