"""The main window: menus, the run setup, the result panes in docks, the status bar.

Flow: open a model (a worker thread loads it and resolves the presets) -> tick conditions, edit
bounds -> Run (the pipeline runs in the compute process, watched by a worker thread) -> every pane
gets the RunResult -> choosing a node anywhere selects it everywhere.
"""

from __future__ import annotations

import logging
import time
import traceback
from importlib.resources import files
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QByteArray, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QKeySequence
from PySide6.QtWidgets import (QApplication, QCompleter, QFileDialog, QLabel, QLineEdit, QMainWindow, QMessageBox,
                               QProgressBar, QPushButton, QSizePolicy, QToolBar, QWidget)

from app import settings as S
from app.docks import add_dock
from app.panes.analysis_tables import AnalysisTablesPane
from app.panes.comparison import ComparisonPane
from app.panes.details import DetailsPane
from app.panes.heatmap import HeatmapPane
from app.panes.log import LogPane
from app.panes.network import NetworkPane
from app.panes.setup import SetupPane
from app.selection import SelectionModel
from app.worker import TaskRunner, compute_process
from core.conditions import resolve_presets
from core.errors import InputError
from core.models import bundled_names

log = logging.getLogger("metattn.gui")

# Set once, before any image is drawn: arrays are (row, column) like numpy and matplotlib.
pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)

MODEL_SUFFIXES = (".xml", ".sbml", ".json", ".mat", ".yml", ".yaml", ".gz")
CONDITION_SUFFIXES = (".csv",)
PROJECT_SUFFIX = ".mattn"
MODEL_FILTER = "Metabolic models (*.xml *.sbml *.xml.gz *.json *.mat *.yml *.yaml);;All files (*)"
# Through importlib.resources so the packaged executable finds it inside its bundle too.
ICON = Path(str(files("resources") / "icons" / "metattn.svg"))


# --------------------------------------------------------------------------- worker-side jobs


def load_model_job(source: str, carbon_normalised: bool, progress=None, should_stop=None):
    """Load a model and resolve the presets for it (a worker thread of the window).

    A file not yet in the model cache is parsed in the compute process first: parsing SBML in this
    process froze the window for 1.2 s on iJO1366, reading the cache for at most 77 ms.
    """
    from app.compute import cache_model
    from core.models import is_cached, load_model

    if progress:
        progress(0.1, f"Opening {source}")
    if not is_cached(source):
        compute_process().call(cache_model, source, should_stop=should_stop)
    loaded = load_model(source)
    if should_stop and should_stop():
        from core.errors import Cancelled

        raise Cancelled()
    presets = resolve_presets(loaded.model, carbon_normalised)
    return loaded, presets


def pipeline_job(settings, conditions, progress=None, should_stop=None):
    """Run the pipeline in the compute process; this thread only waits, relays and receives."""
    from app.compute import run_job

    return compute_process().call(run_job, settings, conditions, progress=progress, should_stop=should_stop)


def restore_job(settings, conditions, attention, progress=None, should_stop=None):
    from app.compute import restore_job as child_restore

    return compute_process().call(child_restore, settings, conditions, attention, progress=progress,
                                  should_stop=should_stop)


def export_job(result, out_dir: str, names: tuple[str, ...] | None, force: bool, progress=None, should_stop=None):
    """Write all outputs (``names`` None) or the planned files whose names are in ``names``."""
    from core.errors import check_stop
    from core.export import plan_outputs, write_outputs

    out = Path(out_dir)
    if names is None:
        return write_outputs(result, out, force=force, progress=progress, should_stop=should_stop)
    plan = [p for p in plan_outputs(result) if p.name in names]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for i, item in enumerate(plan):
        check_stop(should_stop)
        if progress:
            progress(i / max(len(plan), 1), f"Writing {item.name}")
        written.append(item.write(out / item.name, force))
    if progress:
        progress(1.0, f"Wrote {len(written)} files")
    return written


def pane_outputs(result, pane: str) -> tuple[str, ...]:
    """File names of the standard outputs that belong to one pane."""
    from core.export import plan_outputs

    prefixes = {
        "heatmap": ("heatmap_", "pathway_heatmap_", "attention_heatmap.html"),
        "network": ("network_", "network.html"),
        "comparison": ("growth.png", "top_nodes.png", "shifts.png", "cross_condition.png", "conditions.html"),
        "tables": ("node_importance.csv", "pathway_scores.csv", "report.json", "weights_per_head.png",
                   "entropy_per_head.png", "layers.png", "importance_vs_features_"),
    }.get(pane, ("report.json", "summary.md"))
    return tuple(p.name for p in plan_outputs(result) if p.name.startswith(prefixes))


# --------------------------------------------------------------------------- the window


class MainWindow(QMainWindow):
    results_shown = Signal(object)  # the RunResult, after every pane shows it
    model_loaded = Signal(object)  # the LoadedModel
    run_failed = Signal(str)
    run_cancelled = Signal()
    export_done = Signal(object)  # list of paths
    autosaved = Signal(str)  # the autosave project's path, after it was written

    def __init__(self, settings=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings if settings is not None else S.open_settings()
        self.setWindowTitle("Metabolic Attention Studio")
        if ICON.exists():
            self.setWindowIcon(QIcon(str(ICON)))
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.runner = TaskRunner(self)
        self.selection = SelectionModel(self)
        self.result = None
        self.loaded = None
        self.run_started_at: float | None = None
        self.last_run_seconds: float | None = None
        self._pending_conditions: list[str] | None = None
        self._pending_project = None
        self._run_after_load = False
        self._search_ids: dict[str, str] = {}
        self._closing = False

        self._build_panes()
        self._build_menus()
        self._build_status()
        self._default_layout()
        self._restore_settings()
        self.setup.set_model(None)
        self.set_status("Open a model to start: File → Open bundled model, or drop a model file here.")
        # Start the compute process now so its imports are done before the first Run.
        QTimer.singleShot(0, self._warm_compute)
        self._offer_restore_at_start = _previous_session_crashed()
        _claim_session()
        if self._offer_restore_at_start:
            QTimer.singleShot(0, self.offer_restore)

    # ------------------------------------------------------------------ construction

    def _build_panes(self) -> None:
        self.setup = SetupPane(self)
        self.heatmap = HeatmapPane(self)
        self.network = NetworkPane(self.runner, self)
        self.comparison = ComparisonPane(self)
        self.tables = AnalysisTablesPane(self)
        self.details = DetailsPane(self)
        self.log_pane = LogPane(self)
        self.log_pane.install()
        self.panes = {"setup": self.setup, "heatmap": self.heatmap, "network": self.network,
                      "comparison": self.comparison, "tables": self.tables, "details": self.details,
                      "log": self.log_pane}

        self.setup.open_model_requested.connect(self.open_model)
        self.setup.browse_model_requested.connect(self.browse_model)
        self.setup.import_conditions_requested.connect(self.browse_import_conditions)
        self.setup.export_conditions_requested.connect(self.browse_export_conditions)
        self.setup.run_requested.connect(self.start_run)
        self.setup.cancel_requested.connect(self.cancel_run)
        self.setup.inputs_changed.connect(self._inputs_changed)
        for pane in (self.heatmap, self.network, self.comparison, self.tables):
            pane.node_clicked.connect(self.selection.select)
        self.selection.changed.connect(self._selection_changed)
        self.heatmap.set_colormap(S.value(self.settings, "view/colormap"))
        self.heatmap.colormap_changed.connect(lambda name: self.settings.setValue("view/colormap", name))

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        act = file_menu.addAction("&Open model…", self.browse_model)
        act.setShortcut(QKeySequence.StandardKey.Open)
        bundled = file_menu.addMenu("Open &bundled E. coli model")
        for name in bundled_names():
            bundled.addAction(name, lambda n=name: self.open_model(n))
        self.recent_menu = file_menu.addMenu("Open &recent")
        self._fill_recent()
        file_menu.addSeparator()
        file_menu.addAction("&Import conditions…", self.browse_import_conditions)
        file_menu.addAction("E&xport conditions…", self.browse_export_conditions)
        file_menu.addSeparator()
        file_menu.addAction("Open &project…", self.browse_open_project)
        act = file_menu.addAction("&Save project…", self.browse_save_project)
        act.setShortcut(QKeySequence.StandardKey.Save)
        file_menu.addSeparator()
        export = file_menu.addMenu("&Export")
        export.addAction("&Everything…", lambda: self.browse_export(None))
        export.addAction("&Current pane…", lambda: self.browse_export(self.current_pane()))
        file_menu.addSeparator()
        act = file_menu.addAction("&Quit", self.close)
        act.setShortcut(QKeySequence.StandardKey.Quit)

        run_menu = bar.addMenu("&Run")
        self.run_action = run_menu.addAction("&Run", self.start_run)
        self.run_action.setShortcut("F5")
        self.cancel_action = run_menu.addAction("&Cancel", self.cancel_run)
        self.cancel_action.setShortcut("Esc")
        self.cancel_action.setEnabled(False)

        self.view_menu = bar.addMenu("&View")
        help_menu = bar.addMenu("&Help")
        help_menu.addAction("&About", self._about)

        tools = QToolBar("Search", self)
        tools.setObjectName("toolbar_search")
        tools.setMovable(False)
        tools.addWidget(QLabel(" Find node: "))
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("name or id (after a run), e.g. glucose or PGI")
        self.search.setMaximumWidth(360)
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(lambda: self.search_for(self.search.text()))
        tools.addWidget(self.search)
        spacer = QWidget(self)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        tools.addWidget(spacer)
        self.selected_label = QLabel("", self)
        tools.addWidget(self.selected_label)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, tools)

    def _build_status(self) -> None:
        status = self.statusBar()
        self.status_label = QLabel(self)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(260)
        self.progress.setTextVisible(True)
        self.progress.setFormat("%p%")
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel_run)
        status.addWidget(self.status_label, 1)
        status.addPermanentWidget(self.progress)
        status.addPermanentWidget(self.cancel_button)

    def _default_layout(self) -> None:
        L, R = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        menu = self.view_menu
        self.docks = {
            "setup": add_dock(self, self.setup, "Run setup", "dock_setup", L, menu),
            "heatmap": add_dock(self, self.heatmap, "Attention heatmap", "dock_heatmap", R, menu),
            "network": add_dock(self, self.network, "Attention network", "dock_network", R, menu),
            "details": add_dock(self, self.details, "Node details", "dock_details", R, menu),
            "tables": add_dock(self, self.tables, "Analysis tables", "dock_tables", R, menu),
            "comparison": add_dock(self, self.comparison, "Condition comparison", "dock_comparison", R, menu),
            "log": add_dock(self, self.log_pane, "Log", "dock_log", R, menu),
        }
        d = self.docks
        H, V = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
        self.splitDockWidget(d["heatmap"], d["network"], H)
        self.splitDockWidget(d["network"], d["details"], H)
        self.splitDockWidget(d["heatmap"], d["tables"], V)
        self.splitDockWidget(d["network"], d["comparison"], V)
        self.splitDockWidget(d["details"], d["log"], V)
        self.resize(1600, 1000)
        self.view_menu.addSeparator()
        self.view_menu.addAction("&Reset layout", self.reset_layout)
        self._default_state = None  # taken at the first show, once the docks have their sizes
        self._restored_state = False

    def _default_sizes(self) -> None:
        """Share the space between the docks (needs the window's real size, so after show)."""
        d = self.docks
        H, V = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
        w = max(self.width(), 1000)
        h = max(self.height() - 120, 600)
        self.resizeDocks([d["setup"], d["heatmap"], d["network"], d["details"]],
                         [int(w * 0.21), int(w * 0.35), int(w * 0.27), int(w * 0.17)], H)
        self.resizeDocks([d["heatmap"], d["tables"]], [int(h * 0.6), int(h * 0.4)], V)
        self.resizeDocks([d["network"], d["comparison"]], [int(h * 0.55), int(h * 0.45)], V)
        self.resizeDocks([d["details"], d["log"]], [int(h * 0.65), int(h * 0.35)], V)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self._default_state is None:
            self._default_state = QByteArray()  # once
            QTimer.singleShot(0, self._first_shown)

    def _first_shown(self) -> None:
        if not self._restored_state:
            self._default_sizes()
            # The dock layout settles over a few event-loop turns; apply the shares once more then.
            QTimer.singleShot(250, self._default_sizes)
        QTimer.singleShot(300, self._take_default_state)  # a bound method: dropped if the window is gone

    def _take_default_state(self) -> None:
        self._default_state = self.saveState(S.SETTINGS_VERSION)

    def reset_layout(self) -> None:
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        if self._default_state:
            self.restoreState(self._default_state, S.SETTINGS_VERSION)
        self._default_sizes()

    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray) and not state.isEmpty():
            self._restored_state = bool(self.restoreState(state, S.SETTINGS_VERSION))
        v = lambda key: S.value(self.settings, key)  # noqa: E731
        self.setup.set_attention(v("attention/heads"), v("attention/d_model"), v("attention/layers"),
                                 v("attention/hops"), v("attention/seed"), v("attention/filter_currency"),
                                 v("attention/mode"), v("attention/memory_budget_gb"))
        with QSignalBlocker(self.setup.carbon):
            self.setup.carbon.setChecked(v("conditions/carbon_normalised"))

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("settings_version", S.SETTINGS_VERSION)
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState(S.SETTINGS_VERSION))
        su = self.setup
        s.setValue("attention/heads", su.heads.value())
        s.setValue("attention/d_model", su.d_model.value())
        s.setValue("attention/layers", su.layers.value())
        s.setValue("attention/hops", su.hops.value())
        s.setValue("attention/seed", su.seed.value())
        s.setValue("attention/filter_currency", su.currency.isChecked())
        s.setValue("attention/mode", su.mode.currentData())
        s.setValue("attention/memory_budget_gb", su.budget.value())
        s.setValue("conditions/carbon_normalised", su.carbon.isChecked())
        s.sync()

    def _warm_compute(self) -> None:
        if not self._closing:
            try:
                compute_process()
            except Exception as exc:  # the first Run reports it properly
                log.warning("could not start the compute process: %s", exc)

    # ------------------------------------------------------------------ status and dialogs

    def set_status(self, text: str) -> None:
        self.status_label.setText(text)

    def show_error(self, title: str, exc: BaseException | str) -> None:
        """A dialog that names the problem; unexpected errors also put their traceback in the log."""
        if isinstance(exc, InputError):
            text = str(exc)
        elif isinstance(exc, BaseException):
            text = f"Unexpected error ({type(exc).__name__}): {exc}"
            log.error("%s\n%s", text, getattr(exc, "traceback_text", "") or "".join(
                traceback.format_exception(type(exc), exc, exc.__traceback__)))
        else:
            text = str(exc)
        log.error("%s: %s", title, text)
        self.set_status(f"{title}: {text}")
        QMessageBox.critical(self, title, text)

    def _about(self) -> None:
        QMessageBox.about(self, "About Metabolic Attention Studio",
                          "Metabolic Attention Studio 0.1\n\nWhich parts of a metabolic network matter, and how that "
                          "changes between growth conditions: FBA, graph-masked attention and its analysis.")

    # ------------------------------------------------------------------ model

    def browse_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a metabolic model", self._last_dir(), MODEL_FILTER)
        if path:
            self.open_model(path)

    def _last_dir(self) -> str:
        return S.value(self.settings, "files/last_dir") or str(Path.home())

    def _remember_file(self, path: str) -> None:
        if Path(path).exists():
            self.settings.setValue("files/last_dir", str(Path(path).resolve().parent))
        S.add_recent(self.settings, path)
        self._fill_recent()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = S.value(self.settings, "files/recent")
        for path in recent:
            self.recent_menu.addAction(path, lambda p=path: self.open_path(p))
        self.recent_menu.setEnabled(bool(recent))

    def open_model(self, source: str, conditions: list[str] | None = None, run: bool = False) -> None:
        """Load ``source`` (bundled name or path) on a worker thread; optionally tick and run after."""
        self.runner.cancel("run")
        self._pending_conditions = conditions
        self._run_after_load = run
        self.set_status(f"Opening {source}…")
        self._show_progress(True, cancellable=True)
        self.cancel_action.setEnabled(True)
        self.runner.start("load", load_model_job, str(source), self.setup.carbon.isChecked(),
                          on_finished=self._model_loaded, on_failed=self._model_failed,
                          on_progress=self._progress)

    def _model_loaded(self, value) -> None:
        loaded, presets = value
        self._show_progress(False)
        self.cancel_action.setEnabled(False)
        self.loaded = loaded
        self.setup.set_model(loaded, presets)
        self._remember_file(loaded.source.removeprefix("bundled:"))
        m = loaded.model
        log.info("Opened %s (%s): %d metabolites, %d reactions%s", m.id, loaded.source, len(m.metabolites),
                 len(m.reactions), " (from cache)" if loaded.from_cache else "")
        self.set_status(f"Opened {m.id}: tick growth conditions and press Run.")
        self.setWindowTitle(f"Metabolic Attention Studio — {m.id}")
        pending, self._pending_conditions = self._pending_conditions, None
        project, self._pending_project = self._pending_project, None
        try:
            if project is not None:
                self._apply_project(project)
                return
            if pending:
                self.set_conditions_spec(pending)
        except InputError as exc:
            self._run_after_load = False
            self.show_error("Conditions", exc)
            self.run_failed.emit(str(exc))
            return
        self.model_loaded.emit(loaded)
        if self._run_after_load:
            self._run_after_load = False
            self.start_run()

    def _model_failed(self, exc) -> None:
        self._show_progress(False)
        self.cancel_action.setEnabled(False)
        self._pending_project = None
        self._run_after_load = False
        self.show_error("Could not open the model", exc)
        self.run_failed.emit(str(exc))

    def set_conditions_spec(self, items) -> None:
        """Tick presets and import conditions files, as the command line's ``--conditions`` says."""
        from core.conditions import preset_names

        names = []
        for item in items:
            item = item.strip()
            if not item:
                continue
            if item in preset_names():
                if item not in self.setup.all_conditions():
                    raise InputError(f"preset '{item}' is not available for this model")
                names.append(item)
            else:
                names += [c.name for c in self.setup.import_file(item)]
        self.setup.set_checked(names)

    # ------------------------------------------------------------------ conditions files

    def browse_import_conditions(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import conditions", self._last_dir(),
                                              "Conditions (*.csv *.json);;All files (*)")
        if path:
            self.import_conditions(path)

    def import_conditions(self, path: str) -> bool:
        try:
            conditions = self.setup.import_file(path)
        except InputError as exc:
            self.show_error("Could not import conditions", exc)
            return False
        self.set_status(f"Imported {len(conditions)} condition(s) from {Path(path).name}.")
        return True

    def browse_export_conditions(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export conditions", str(Path(self._last_dir()) / "conditions.json"),
                                              "Conditions (*.json)")
        if path:
            self.export_conditions(path)

    def export_conditions(self, path: str) -> bool:
        if Path(path).exists() and not self.confirm_overwrite([Path(path)]):
            return False
        try:
            self.setup.export_file(path)
        except InputError as exc:
            self.show_error("Could not export conditions", exc)
            return False
        self.set_status(f"Conditions written to {path}")
        return True

    # ------------------------------------------------------------------ run

    def run_settings(self):
        from core.pipeline import RunSettings

        if self.loaded is None:
            raise InputError("open a model first (File → Open bundled model, or drop a model file on the window)")
        conditions = self.setup.conditions()
        if not conditions:
            raise InputError("tick at least one growth condition")
        source = self.loaded.source.removeprefix("bundled:")
        return RunSettings(model=source, conditions=tuple(c.name for c in conditions),
                           carbon_normalised=self.setup.carbon.isChecked(),
                           filter_currency=self.setup.currency.isChecked(),
                           attention=self.setup.attention_config()), conditions

    def start_run(self) -> None:
        if self.runner.is_running("load"):
            self._run_after_load = True
            return
        try:
            settings, conditions = self.run_settings()
        except InputError as exc:
            self.show_error("Cannot run", exc)
            self.run_failed.emit(str(exc))
            return
        self.run_started_at = time.perf_counter()
        log.info("Run: %s on %s (heads %d, d_model %d, layers %d, hops %d, seed %d)", settings.model,
                 ", ".join(settings.conditions), settings.attention.heads, settings.attention.d_model,
                 settings.attention.layers, settings.attention.hops, settings.attention.seed)
        self._start_pipeline_task(pipeline_job, settings, conditions)

    def _start_pipeline_task(self, fn, *args) -> None:
        self.set_status("Starting…")
        self._show_progress(True, cancellable=True)
        self.setup.set_running(True)
        self.run_action.setEnabled(False)
        self.cancel_action.setEnabled(True)
        self.runner.start("run", fn, *args, on_finished=self._run_finished, on_failed=self._run_failed,
                          on_cancelled=self._run_cancelled, on_progress=self._progress)

    def cancel_run(self) -> None:
        if self.runner.cancel("run"):
            self.set_status("Cancelling…")
            log.info("Run cancelled by the user")
            self._run_ended()
            self.set_status("Run cancelled.")
            self.run_cancelled.emit()
        elif self.runner.cancel("export"):
            self._show_progress(False)
            self.set_status("Export cancelled.")
        elif self.runner.cancel("load"):
            # A parse cannot be interrupted; its thread finishes in the background and the result
            # is dropped (TaskRunner never delivers a cancelled task's result). The open model stays.
            self._show_progress(False)
            self.cancel_action.setEnabled(False)
            self._pending_conditions = self._pending_project = None
            self._run_after_load = False
            log.info("Opening the model was cancelled by the user")
            self.set_status("Opening cancelled." + (" The previous model is still open." if self.loaded else ""))
            self.run_cancelled.emit()

    def _inputs_changed(self) -> None:
        if self.runner.cancel("run"):
            log.info("Inputs changed: the running analysis was cancelled")
            self._run_ended()
            self.set_status("Inputs changed: run cancelled. Press Run again.")
            self.run_cancelled.emit()

    def _progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(round(fraction * 1000)))
        self.progress.setFormat(f"{message} – %p%" if len(message) < 28 else "%p%")
        self.set_status(message)

    def _show_progress(self, on: bool, cancellable: bool = False) -> None:
        self.progress.setVisible(on)
        self.progress.setValue(0)
        self.cancel_button.setVisible(on and cancellable)

    def _run_ended(self) -> None:
        self._show_progress(False)
        self.setup.set_running(False)
        self.run_action.setEnabled(True)
        self.cancel_action.setEnabled(False)

    def _run_finished(self, result) -> None:
        from app.compute import attach_model

        self._run_ended()
        try:
            result = attach_model(result, self.loaded)
        except InputError as exc:
            self.show_error("Could not reopen the model", exc)
            return
        self.show_result(result)
        elapsed = time.perf_counter() - self.run_started_at if self.run_started_at else None
        self.last_run_seconds = elapsed
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items())
        growth = "; ".join(f"{c.name} {c.growth_rate:.3f}/h" for c in result.conditions)
        msg = (f"Done{f' in {elapsed:.1f} s' if elapsed else ''}: {result.graph.n_nodes:,} nodes, "
               f"{len(result.usable_conditions)} conditions ({growth}).")
        for note in result.notes:
            log.warning(note)
        log.info("Results shown %s after Run (%s)", f"{elapsed:.2f} s" if elapsed else "", stages)
        self.set_status(msg + (" " + result.notes[0] if result.notes else ""))
        self.results_shown.emit(result)
        self.autosave()

    def _run_failed(self, exc) -> None:
        self._run_ended()
        self.show_error("The run failed", exc)
        self.run_failed.emit(str(exc))

    def _run_cancelled(self) -> None:
        self._run_ended()
        if not self.status_label.text().startswith(("Run cancelled", "Inputs changed")):
            self.set_status("Run cancelled.")

    def show_result(self, result) -> None:
        """Give every pane the result (plain objects) and keep the selection if the node still exists."""
        self.result = result
        for pane in (self.heatmap, self.network, self.comparison, self.tables, self.details):
            pane.set_result(result)
        self._fill_search(result)
        node = self.selection.node
        if (node is None or node not in result.graph.index) and result.attention is not None:
            # Start on the most important node so the details and relationships show something.
            import numpy as np

            top = int(np.argmax(np.asarray(result.attention.importance).mean(axis=0)))
            self.selection.select(result.graph.node_ids[top])
        else:
            self._selection_changed(node)

    # ------------------------------------------------------------------ selection and search

    def _fill_search(self, result) -> None:
        g = result.graph
        self._search_ids = {}
        for nid, name in zip(g.node_ids, g.node_names):
            self._search_ids[f"{name} — {nid}"] = nid
        completer = QCompleter(sorted(self._search_ids, key=str.lower), self.search)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setMaxVisibleItems(15)
        completer.activated.connect(self.search_for)
        self.search.setCompleter(completer)

    def search_for(self, text: str) -> str | None:
        """Select the node named by ``text`` (a completer entry, an id or an exact name)."""
        text = text.strip()
        if self.result is None or not text:
            return None
        g = self.result.graph
        node = self._search_ids.get(text)
        if node is None and text in g.index:
            node = text
        if node is None:
            lowered = text.lower()
            node = next((nid for nid, name in zip(g.node_ids, g.node_names) if name.lower() == lowered), None)
        if node is None:
            self.set_status(f"No node called '{text}' in the graph.")
            return None
        self.selection.select(node)
        return node

    def _selection_changed(self, node: str | None) -> None:
        for pane in (self.heatmap, self.network, self.comparison, self.tables):
            pane.highlight(node)
        self.details.show_node(node)
        if node is not None and self.result is not None and node in self.result.graph.index:
            g = self.result.graph
            i = g.index[node]
            self.selected_label.setText(f"Selected: <b>{g.node_names[i]}</b> ({node})  ")
        else:
            self.selected_label.setText("")

    # ------------------------------------------------------------------ export

    def current_pane(self) -> str:
        focus = QApplication.focusWidget()
        for name, pane in self.panes.items():
            if focus is not None and (focus is pane or pane.isAncestorOf(focus)):
                return name
        return "heatmap"

    def browse_export(self, pane: str | None) -> None:
        if self.result is None:
            self.show_error("Nothing to export", "Run the analysis first.")
            return
        folder = QFileDialog.getExistingDirectory(self, "Export to folder", self._last_dir())
        if folder:
            self.export(folder, pane)

    def confirm_overwrite(self, existing: list[Path]) -> bool:
        names = "\n".join(str(p) for p in existing[:8]) + (f"\n… and {len(existing) - 8} more" if len(existing) > 8 else "")
        answer = QMessageBox.question(self, "Overwrite files?",
                                      f"{len(existing)} file(s) exist already:\n{names}\n\nReplace them?",
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def export(self, folder: str, pane: str | None = None) -> bool:
        """Export everything (``pane`` None) or one pane's files into ``folder`` on a worker thread."""
        from core.export import plan_outputs

        if self.result is None:
            return False
        names = None if pane is None else pane_outputs(self.result, pane)
        planned = [p.name for p in plan_outputs(self.result)] if names is None else list(names)
        existing = [Path(folder) / n for n in planned if (Path(folder) / n).exists()]
        force = False
        if existing:
            if not self.confirm_overwrite(existing):
                self.set_status("Export cancelled: nothing was overwritten.")
                return False
            force = True
        what = "everything" if pane is None else f"the {pane} pane"
        self.set_status(f"Exporting {what} to {folder}…")
        self._show_progress(True, cancellable=True)
        self.runner.start("export", export_job, self.result, str(folder), names, force,
                          on_finished=lambda paths: self._exported(folder, paths),
                          on_failed=self._export_failed, on_progress=self._progress,
                          on_cancelled=lambda: self._show_progress(False))
        return True

    def _exported(self, folder: str, paths) -> None:
        self._show_progress(False)
        msg = f"Wrote {len(paths)} files to {folder}"
        log.info(msg)
        self.set_status(msg)
        self.export_done.emit(list(paths))
        if not self._closing and QApplication.platformName() not in ("offscreen", "minimal"):
            QMessageBox.information(self, "Export finished", msg + ".")

    def _export_failed(self, exc) -> None:
        self._show_progress(False)
        self.show_error("Export failed", exc)

    # ------------------------------------------------------------------ projects

    def browse_save_project(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save project", str(Path(self._last_dir()) / "session.mattn"),
                                              f"Projects (*{PROJECT_SUFFIX})")
        if path:
            if not path.endswith(PROJECT_SUFFIX):
                path += PROJECT_SUFFIX
            if Path(path).exists() and not self.confirm_overwrite([Path(path)]):
                return
            self.save_project(path)

    def view_state(self) -> dict:
        return {"selected": self.selection.node,
                "heatmap": {"condition": self.heatmap.condition.currentIndex(), "layer": self.heatmap.layer.currentIndex(),
                            "head": self.heatmap.head.currentIndex(), "level": self.heatmap.level.currentIndex(),
                            "colormap": self.heatmap.cmap.currentText()},
                "network": {"condition": self.network.condition.currentIndex(), "mode": self.network.mode.currentIndex(),
                            "top_k": self.network.top_k.value(), "threshold": self.network.threshold.value()}}

    def save_project(self, path: str) -> bool:
        from app.project import save_project

        try:
            settings, _conds = self.run_settings()
            attention = self.result.attention if self.result is not None else None
            save_project(path, settings, list(self.setup.all_conditions().values()), self.setup.checked_names(),
                         attention, self.loaded.sha256, self.view_state())
        except InputError as exc:
            self.show_error("Could not save the project", exc)
            return False
        self._remember_file(path)
        self.set_status(f"Project saved to {path}")
        log.info("Project saved to %s", path)
        return True

    def browse_open_project(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open project", self._last_dir(), f"Projects (*{PROJECT_SUFFIX})")
        if path:
            self.open_project(path)

    def open_project(self, path: str) -> None:
        from app.project import load_project

        self.runner.cancel("run")
        self.set_status(f"Reading project {path}…")
        self._show_progress(True)
        self.runner.start("project", load_project, path, on_finished=lambda p: self._project_read(path, p),
                          on_failed=lambda exc: (self._show_progress(False),
                                                 self.show_error("Could not open the project", exc),
                                                 self.run_failed.emit(str(exc))),
                          on_progress=self._progress)

    def _project_read(self, path: str, project) -> None:
        self._remember_file(path)
        self._pending_project = project
        with QSignalBlocker(self.setup.carbon):
            self.setup.carbon.setChecked(project.settings.carbon_normalised)
        self.open_model(project.settings.model)

    def _apply_project(self, project) -> None:
        a = project.settings.attention
        self.setup.set_attention(a.heads, a.d_model, a.layers, a.hops, a.seed, project.settings.filter_currency,
                                 a.mode, a.memory_budget_gb)
        self.setup.add_conditions(project.conditions, check=False)
        self.setup.set_checked(project.checked)
        self._restore_view = project.view
        if project.model_sha256 and self.loaded.sha256 != project.model_sha256:
            log.warning("The model file changed since the project was saved; attention is computed again")
        if project.attention is None or (project.model_sha256 and self.loaded.sha256 != project.model_sha256):
            self.start_run()
            return
        self.run_started_at = time.perf_counter()
        conditions = [c for c in project.conditions if c.name in project.checked]
        self._start_pipeline_task(restore_job, project.settings, conditions, project.attention)
        self.results_shown.connect(self._apply_view_once)

    def _apply_view_once(self, _result) -> None:
        self.results_shown.disconnect(self._apply_view_once)
        view = getattr(self, "_restore_view", {}) or {}
        h = view.get("heatmap", {})
        for box, key in ((self.heatmap.condition, "condition"), (self.heatmap.layer, "layer"),
                         (self.heatmap.head, "head"), (self.heatmap.level, "level")):
            if 0 <= int(h.get(key, -1)) < box.count():
                box.setCurrentIndex(int(h[key]))
        if h.get("colormap"):
            self.heatmap.set_colormap(h["colormap"])
        if view.get("selected"):
            self.selection.select(view["selected"])

    # ------------------------------------------------------------------ autosave

    def autosave(self) -> None:
        """Keep the last good results: write the session to :func:`autosave_path` on a worker thread.

        Written atomically (a crash mid-write leaves the previous autosave); a failure is logged, never
        shown as a dialog, since the user did not ask for it.
        """
        if self.result is None or self.loaded is None:
            return
        try:
            settings, _conds = self.run_settings()
        except InputError:
            return
        args = (str(autosave_path()), settings, list(self.setup.all_conditions().values()),
                self.setup.checked_names(), self.result.attention, self.loaded.sha256, self.view_state())
        self.runner.start("autosave", autosave_job, *args,
                          on_finished=lambda path: self.autosaved.emit(str(path)),
                          on_failed=lambda exc: log.warning("Autosave failed: %s", exc))

    def offer_restore(self) -> bool:
        """Ask whether to reopen the autosave of a session that ended without a clean exit."""
        path = autosave_path()
        if self._closing or not path.is_file():
            return False
        stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(path.stat().st_mtime))
        answer = QMessageBox.question(self, "Restore the last session?",
                                      f"The program did not close normally last time. Its last results "
                                      f"(saved {stamp}) can be reopened.\n\nRestore them?",
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.Yes)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        log.info("Restoring the autosave %s", path)
        self.open_project(str(path))
        return True

    # ------------------------------------------------------------------ drag and drop

    def open_path(self, path: str) -> None:
        """Open whatever ``path`` is: a project, a conditions file or a model."""
        p = Path(path)
        suffix = p.suffix.lower()
        if suffix == PROJECT_SUFFIX:
            self.open_project(path)
        elif suffix in CONDITION_SUFFIXES or (suffix == ".json" and _looks_like_conditions(p)):
            self.import_conditions(path)
        elif path in bundled_names() or suffix in MODEL_SUFFIXES or p.exists():
            self.open_model(path)
        else:
            self.show_error("Cannot open", InputError("file not found", path))

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.open_path(url.toLocalFile())
                break
        event.acceptProposedAction()

    # ------------------------------------------------------------------ closing

    def closeEvent(self, event) -> None:  # noqa: N802
        self._closing = True
        self.save_settings()
        if not self.runner.shutdown(5000):
            log.warning("some background tasks did not stop in time")
        _release_session()
        self.log_pane.uninstall()
        super().closeEvent(event)


def _looks_like_conditions(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8-sig")[:4000]
    except (OSError, UnicodeDecodeError):
        return False
    return '"conditions"' in head or head.lstrip().startswith("[")


# --------------------------------------------------------------------------- autosave and crash detection
#
# A running session owns ``session.lock`` (its process id) in the data folder; a clean exit removes
# it. A lock left by a process that no longer runs means the last session crashed, and its autosave
# (written after every successful run) is offered at the next start.


def autosave_path() -> Path:
    return S.data_dir() / "autosave.mattn"


def _lock_path() -> Path:
    return S.data_dir() / "session.lock"


def autosave_job(path: str, settings, conditions, checked, attention, sha256: str, view: dict,
                 progress=None, should_stop=None) -> Path:
    from app.project import save_project

    return save_project(path, settings, conditions, checked, attention, sha256, view)


def _pid_alive(pid: int) -> bool:
    import os

    if pid == os.getpid():
        return True
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows; assume it is gone
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _previous_session_crashed() -> bool:
    """True if an autosave exists and the session that wrote the lock ended without a clean exit."""
    lock = _lock_path()
    if not autosave_path().is_file() or not lock.is_file():
        return False
    try:
        pid = int(lock.read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return True  # a damaged lock: the session that wrote it did not end cleanly
    return not _pid_alive(pid)


def _claim_session() -> None:
    import os

    from core.io_utils import atomic_write_text

    try:
        atomic_write_text(_lock_path(), f"{os.getpid()}\n")
    except InputError as exc:
        log.warning("Crash recovery is off: %s", exc)


def _release_session() -> None:
    import os

    lock = _lock_path()
    try:
        if lock.read_text(encoding="utf-8").split()[0] == str(os.getpid()):
            lock.unlink()
    except (OSError, IndexError):
        pass
