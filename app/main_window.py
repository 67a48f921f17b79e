"""The main window: menus, the run setup, the result panes in docks, the status bar.

Flow: open a model (a worker thread loads it and resolves the presets) -> tick conditions, edit
bounds -> Run (the pipeline runs in the compute process, watched by a worker thread) -> every pane
gets the RunResult -> choosing a node anywhere selects it everywhere.

The window arranges and connects; the work is elsewhere: background jobs in :mod:`app.jobs`,
opening models and conditions files in :mod:`app.opener`, projects, autosave and crash restore in
:mod:`app.project_controller`, exports in :mod:`app.exporter`, the *Find node* toolbar in
:mod:`app.search`, the status bar in :mod:`app.status`, the dock layout in :mod:`app.docks`. Every busy/idle change goes through
:meth:`MainWindow.set_busy`; panes save and restore their own view (``view_state()``/``restore_view()``).
"""

from __future__ import annotations

import logging
import time
import traceback
from importlib.resources import files
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox

from app import settings as S
from app.docks import DockLayout, add_dock
from app.exporter import Exporter
from app.handover import Handover, result_steps, with_views
from app.jobs import pipeline_job
from app.opener import Opener
from app.plain import literal
from app.panes.analysis_tables import AnalysisTablesPane
from app.panes.comparison import ComparisonPane
from app.panes.details import DetailsPane
from app.panes.heatmap import HeatmapPane
from app.panes.log import LogPane
from app.panes.network import NetworkPane
from app.panes.setup import SetupPane
from app.project_controller import ProjectController, autosave_path  # noqa: F401  (re-export)
from app.search import NodeSearch
from app.selection import SelectionModel
from app.status import StatusBar, note_level
from app.worker import TaskRunner, compute_process
from core.errors import InputError
from core.models import bundled_names

log = logging.getLogger("metattn.gui")

# Set once, before any image is drawn: arrays are (row, column) like numpy and matplotlib.
pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)

# Through importlib.resources so the packaged executable finds it inside its bundle too.
ICON = Path(str(files("resources") / "icons" / "metattn.svg"))
CANCELLABLE = ("load", "run", "export")  # busy states the Cancel button and Esc end
CLOSE_GRACE_MS = 1000  # on close, running tasks get this long to stop before the compute process is ended


class MainWindow(QMainWindow):
    results_shown = Signal(object)  # the RunResult, after every pane shows it
    model_loaded = Signal(object)  # the LoadedModel
    run_failed = Signal(str)
    run_cancelled = Signal()
    export_done = Signal(object)  # list of paths
    autosaved = Signal(str)  # the autosave project's path, after it was written

    def __init__(self, settings=None, parent=None, unattended: bool = False):
        """``unattended`` (``--run``, ``--screenshot``, ``--self-test``): no question is ever asked;
        each takes its safe default (see :meth:`ask`), and a crashed session is left for later."""
        super().__init__(parent)
        self.settings = settings if settings is not None else S.open_settings()
        self.unattended = unattended
        self.setWindowTitle("Metabolic Attention Studio")
        if ICON.exists():
            self.setWindowIcon(QIcon(str(ICON)))
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.runner = TaskRunner(self)
        self.selection = SelectionModel(self)
        self.result = None
        self.loaded = None
        self.busy: str | None = None
        self.run_started_at: float | None = None
        self.last_run_seconds: float | None = None
        self.closing = False
        self.opener = Opener(self)
        self.exporter = Exporter(self)
        self.handover = Handover(self)  # results reach the panes without freezing the window

        self._build_panes()
        self._build_menus()
        self._build_status()
        self._build_docks()
        self._restore_settings()
        self.setup.set_model(None)
        self.set_status("Open a model to start: File → Open bundled model, or drop a model file here.")
        # Start the compute process now so its imports are done before the first Run.
        QTimer.singleShot(0, self._warm_compute)
        self.projects = ProjectController(self, unattended)

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
        self.result_panes = (self.heatmap, self.network, self.comparison, self.tables)

        self.setup.open_model_requested.connect(self.open_model)
        self.setup.browse_model_requested.connect(self.opener.browse_model)
        self.setup.import_conditions_requested.connect(self.opener.browse_import_conditions)
        self.setup.export_conditions_requested.connect(self.opener.browse_export_conditions)
        self.setup.run_requested.connect(self.start_run)
        self.setup.cancel_requested.connect(self.cancel_run)
        self.setup.inputs_changed.connect(self._inputs_changed)
        self.setup.weights_problem.connect(lambda text: self.show_error("Trained weights", text))
        for pane in self.result_panes:
            pane.node_clicked.connect(self.selection.select)
        self.selection.changed.connect(self._selection_changed)
        self.heatmap.set_colormap(S.value(self.settings, "view/colormap"))
        self.heatmap.colormap_changed.connect(lambda name: self.settings.setValue("view/colormap", name))

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction("&Open model…", QKeySequence.StandardKey.Open, self.opener.browse_model)
        bundled = file_menu.addMenu("Open &bundled E. coli model")
        for name in bundled_names():
            bundled.addAction(name, lambda n=name: self.open_model(n))
        self.recent_menu = file_menu.addMenu("Open &recent")
        self._fill_recent()
        file_menu.addSeparator()
        file_menu.addAction("&Import conditions…", self.opener.browse_import_conditions)
        file_menu.addAction("E&xport conditions…", self.opener.browse_export_conditions)
        file_menu.addSeparator()
        file_menu.addAction("Open &project…", self.browse_open_project)
        file_menu.addAction("&Save project…", QKeySequence.StandardKey.Save, self.browse_save_project)
        file_menu.addSeparator()
        export = file_menu.addMenu("&Export")
        export.addAction("&Everything…", lambda: self.browse_export(None))
        export.addAction("&Current pane…", lambda: self.browse_export(self.current_pane()))
        file_menu.addSeparator()
        file_menu.addAction("&Quit", QKeySequence.StandardKey.Quit, self.close)

        run_menu = self.menuBar().addMenu("&Run")
        self.run_action = run_menu.addAction("&Run", "F5", self.start_run)
        self.cancel_action = run_menu.addAction("&Cancel", "Esc", self.cancel_run)
        self.cancel_action.setEnabled(False)
        run_menu.addSeparator()
        run_menu.addAction("&Batch run (many models x many media)…", self.open_batch_dialog)
        run_menu.addAction("&Train model…", self.open_train_dialog)
        self.view_menu = self.menuBar().addMenu("&View")
        self.menuBar().addMenu("&Help").addAction("&About", self._about)

        self.search_bar = NodeSearch(self)
        self.search, self.selected_label = self.search_bar.box, self.search_bar.selected_label
        self.search_bar.found.connect(self.selection.select)
        self.search_bar.attach_status(self.set_status, lambda: self.status_label.text())
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.search_bar)

    def _build_status(self) -> None:
        bar = StatusBar(self)
        self.setStatusBar(bar)
        self.status_label, self.progress, self.cancel_button = bar.label, bar.progress, bar.cancel_button
        self.cancel_button.clicked.connect(self.cancel_run)
        self.show_progress = bar.show_progress

    def _build_docks(self) -> None:
        L, R = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        titles = {"setup": "Run setup", "heatmap": "Attention heatmap", "network": "Attention network",
                  "details": "Node details", "tables": "Analysis tables", "comparison": "Condition comparison",
                  "log": "Log"}
        self.docks = {name: add_dock(self, self.panes[name], title, f"dock_{name}", L if name == "setup" else R,
                                     self.view_menu) for name, title in titles.items()}
        self.layout_state = DockLayout(self, self.docks, S.SETTINGS_VERSION)
        self.resize(1600, 1000)
        self.view_menu.addSeparator()
        self.view_menu.addAction("&Reset layout", self.reset_layout)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.layout_state.first_shown()

    def reset_layout(self) -> None:
        self.layout_state.reset()

    def _restore_settings(self) -> None:
        self.layout_state.restore(self.settings.value("window/geometry"), self.settings.value("window/state"))
        self.setup.set_attention_config(S.read_attention(self.settings),
                                        S.value(self.settings, "attention/filter_currency"))
        with QSignalBlocker(self.setup.carbon):
            self.setup.carbon.setChecked(S.value(self.settings, "conditions/carbon_normalised"))
        self.setup.set_weights(S.value(self.settings, "run/weights"))

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("settings_version", S.SETTINGS_VERSION)
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState(S.SETTINGS_VERSION))
        S.write_attention(s, self.setup.attention_config(check=False))
        s.setValue("attention/filter_currency", self.setup.currency.isChecked())
        s.setValue("conditions/carbon_normalised", self.setup.carbon.isChecked())
        s.setValue("run/weights", self.setup.weights_choice())
        s.sync()

    def _warm_compute(self) -> None:
        if not self.closing:
            try:
                compute_process()
            except Exception as exc:  # the first Run reports it properly
                log.warning("could not start the compute process: %s", exc)

    # ------------------------------------------------------------------ status, busy and dialogs

    def set_status(self, text: str) -> None:
        self.status_label.setText(text)

    def set_busy(self, task: str | None) -> None:
        """The one busy/idle switch: ``task`` is "load", "run", "export", "project" or None (idle).

        Shows the progress bar while busy; Cancel and Esc for the cancellable tasks; Run is off
        while a run goes on.
        """
        self.busy = task
        self.statusBar().show_busy(task is not None, task in CANCELLABLE)
        self.cancel_action.setEnabled(task in CANCELLABLE)
        self.run_action.setEnabled(task != "run")
        self.setup.set_running(task == "run")

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
        QMessageBox.critical(self, title, literal(text))  # names from files show as typed

    def ask(self, title: str, text: str, default: bool = False) -> bool:
        """A yes/no question (``default``: the button Enter presses). Unattended, nobody is asked and
        the answer is No, the safe choice: nothing is overwritten, nothing restored."""
        if self.unattended:
            log.info("%s Not asked (unattended run): no.", title)
            return False
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        return QMessageBox.question(self, title, literal(text), yes | no, yes if default else no) == yes

    def confirm_overwrite(self, existing: list[Path]) -> bool:
        names = "\n".join(str(p) for p in existing[:8]) + (f"\n… and {len(existing) - 8} more" if len(existing) > 8 else "")
        return self.ask("Overwrite files?", f"{len(existing)} file(s) exist already:\n{names}\n\nReplace them?")

    def _about(self) -> None:
        QMessageBox.about(self, "About Metabolic Attention Studio",
                          "Metabolic Attention Studio 0.1\n\nWhich parts of a metabolic network matter, and how that "
                          "changes between growth conditions: FBA, graph-masked attention and its analysis.")

    # ------------------------------------------------------------------ files

    def last_dir(self) -> str:
        return S.value(self.settings, "files/last_dir") or str(Path.home())

    def remember_file(self, path: str) -> None:
        if Path(path).exists():
            self.settings.setValue("files/last_dir", str(Path(path).resolve().parent))
        S.add_recent(self.settings, path)
        self._fill_recent()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = S.value(self.settings, "files/recent")
        for path in recent:
            self.recent_menu.addAction(path, lambda p=path: self.opener.open_path(p))
        self.recent_menu.setEnabled(bool(recent))

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.opener.open_path(url.toLocalFile())
                break
        event.acceptProposedAction()

    # ------------------------------------------------------------------ opening (app.opener)

    def open_model(self, source: str, conditions: list[str] | None = None, run: bool = False) -> None:
        """Load ``source`` (bundled name or path) on a worker thread; optionally tick and run after."""
        self.opener.open_model(source, conditions, run)

    def import_conditions(self, path: str) -> bool:
        return self.opener.import_conditions(path)

    def export_conditions(self, path: str) -> bool:
        return self.opener.export_conditions(path)

    # ------------------------------------------------------------------ run

    def run_settings(self):
        """``(RunSettings, [Condition])`` from the setup pane; InputError if something is missing."""
        from core.pipeline import RunSettings

        if self.loaded is None:
            raise InputError("open a model first (File → Open bundled model, or drop a model file on the window)")
        conditions = self.setup.conditions()
        if not conditions:
            raise InputError("tick at least one growth condition")
        from core.limits import MAX_RUN_CONDITIONS

        if len(conditions) > MAX_RUN_CONDITIONS:  # refused now, not after minutes of FBA
            raise InputError(f"{len(conditions):,} conditions are ticked; one run compares at most "
                             f"{MAX_RUN_CONDITIONS}")
        return RunSettings(model=self.loaded.source.removeprefix("bundled:"),
                           conditions=tuple(c.name for c in conditions),
                           carbon_normalised=self.setup.carbon.isChecked(),
                           filter_currency=self.setup.currency.isChecked(),
                           attention=self.setup.attention_config(), weights=self.setup.weights_choice()), conditions

    def start_run(self) -> None:
        if self.runner.is_running("load"):
            self.opener.run_after_load = True
            return
        try:
            settings, conditions = self.run_settings()
        except InputError as exc:
            self.show_error("Cannot run", exc)
            self.run_failed.emit(str(exc))
            return
        a = settings.attention
        log.info("Run: %s on %s (heads %d, d_model %d, layers %d, hops %d, seed %d)", settings.model,
                 ", ".join(settings.conditions), a.heads, a.d_model, a.layers, a.hops, a.seed)
        self.start_pipeline_task(pipeline_job, settings, conditions)

    def start_pipeline_task(self, job, *args) -> None:
        """Run ``job`` (:func:`app.jobs.pipeline_job` or :func:`app.jobs.resume_job`) as the run."""
        self.run_started_at = time.perf_counter()
        self.handover.cancel()
        self.set_status("Starting…")
        self.set_busy("run")
        job, args = with_views(self, job, args)  # the panes' views made with the result (app.view_jobs)
        self.runner.start("run", job, *args, on_finished=self._run_finished, on_failed=self._run_failed,
                          on_cancelled=self._run_cancelled, on_progress=self.show_progress)

    def open_batch_dialog(self):
        """Run > Batch run: the non-modal Batch dialog (app.batch_dialog), returned."""
        from app.batch_dialog import open_batch_dialog

        return open_batch_dialog(self)

    def open_train_dialog(self):
        """Run > Train model: the non-modal training dialog (app.train_dialog), returned."""
        from app.train_dialog import open_train_dialog

        return open_train_dialog(self)

    def cancel_run(self) -> None:
        if self.runner.cancel("run"):
            log.info("Run cancelled by the user")
            self.set_busy(None)
            self.set_status("Run cancelled.")
            self.run_cancelled.emit()
        elif self.runner.cancel("export"):
            self.set_busy(None)
            self.set_status("Export cancelled.")
        elif self.runner.cancel("load"):
            # A parse cannot be interrupted: if it has not stopped within ComputeProcess.STOP_GRACE,
            # the compute process is ended (a fresh one serves the next task); its result is never
            # delivered (TaskRunner drops a cancelled task's result). The open model stays.
            self.set_busy(None)
            self.opener.pending_conditions = self.projects.pending = None
            self.opener.run_after_load = False
            log.info("Opening the model was cancelled by the user")
            self.set_status("Opening cancelled." + (" The previous model is still open." if self.loaded else ""))
            self.run_cancelled.emit()

    def _inputs_changed(self) -> None:
        if self.runner.cancel("run"):
            log.info("Inputs changed: the running analysis was cancelled")
            self.set_busy(None)
            self.set_status("Inputs changed: run cancelled. Press Run again.")
            self.run_cancelled.emit()

    def _run_finished(self, result) -> None:
        from app.jobs import attach_model

        result, views = result if isinstance(result, tuple) else (result, None)  # app.view_jobs: with views
        self.set_busy(None)
        try:
            result = attach_model(result, self.loaded)
        except InputError as exc:
            self.show_error("Could not reopen the model", exc)
            return
        self.set_status("Showing the results…")
        self.handover.show(result, self._results_ready, views)

    def _results_ready(self, result) -> None:
        elapsed = time.perf_counter() - self.run_started_at if self.run_started_at else None
        self.last_run_seconds = elapsed
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items())
        growth = "; ".join(f"{c.name} {c.growth_rate:.3f}/h" for c in result.conditions)
        msg = (f"Done{f' in {elapsed:.1f} s' if elapsed else ''}: {result.graph.n_nodes:,} nodes, "
               f"{len(result.usable_conditions)} conditions ({growth}).")
        for note in result.notes:
            log.log(note_level(note), note)
        log.info("Results shown %s after Run (%s)", f"{elapsed:.2f} s" if elapsed else "", stages)
        self.set_status(msg + (" " + result.notes[0] if result.notes else ""))
        # On the next turn, after the log pane's queued lines: whoever waits for it finds them logged.
        QTimer.singleShot(0, lambda: None if self.closing else (self.results_shown.emit(result), self.projects.autosave()))

    def _run_failed(self, exc) -> None:
        self.set_busy(None)
        self.show_error("The run failed", exc)
        self.run_failed.emit(str(exc))

    def _run_cancelled(self) -> None:
        self.set_busy(None)
        if not self.status_label.text().startswith(("Run cancelled", "Inputs changed")):
            self.set_status("Run cancelled.")

    def show_result(self, result, views=None) -> None:
        """Give every pane the result (plain objects) at once and keep the selection if the node still
        exists; a run's result goes through :class:`app.handover.Handover` instead, in steps."""
        self.handover.cancel()
        for _name, step in result_steps(self, result, views):
            step()

    def search_for(self, text: str) -> str | None:
        """Select the node named by ``text`` (a completer entry, an id or an exact name)."""
        return self.search_bar.find(text) if self.result is not None else None

    def _selection_changed(self, node: str | None) -> None:
        for pane in self.result_panes:
            pane.highlight(node)
        self.details.show_node(node)
        self.search_bar.show_selected(node)

    def view_state(self) -> dict:
        """What the user is looking at, for projects: the selected node and each pane's own view."""
        return {"selected": self.selection.node, "heatmap": self.heatmap.view_state(),
                "network": self.network.view_state()}

    # ------------------------------------------------------------------ export (app.exporter)

    def current_pane(self) -> str:
        return self.exporter.current_pane()

    def browse_export(self, pane: str | None) -> None:
        self.exporter.browse(pane)

    def export(self, folder: str, pane: str | None = None) -> bool:
        return self.exporter.export(folder, pane)

    # ------------------------------------------------------------------ projects (app.project_controller)

    def save_project(self, path: str) -> bool:
        return self.projects.save(path)

    def open_project(self, path: str) -> None:
        self.projects.open(path)

    def browse_save_project(self) -> None:
        self.projects.browse_save()

    def browse_open_project(self) -> None:
        self.projects.browse_open()

    # ------------------------------------------------------------------ closing

    def closeEvent(self, event) -> None:  # noqa: N802
        self.closing = True
        self.handover.cancel()
        self.save_settings()
        if not self.runner.shutdown(CLOSE_GRACE_MS):
            # A task still waits on the compute process: end the process, which ends the wait, rather
            # than destroy a running QThread (Qt aborts the program then). Not the compute process's
            # own 3 s grace: Quit must end the program within seconds (issue 16).
            log.warning("some background tasks did not stop in time; ending the compute process")
            from app.worker import close_compute_process

            close_compute_process(timeout=0.5)
            if not self.runner.shutdown(5000):
                log.warning("some background tasks did not stop in time")
        self.projects.close()
        self.log_pane.uninstall()
        super().closeEvent(event)
