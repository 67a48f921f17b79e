"""Opening things in the window: a model (on a worker thread, :func:`app.jobs.load_model_job`), a
conditions file (import and export), the command line's ``--conditions``, and whatever is dropped
on the window or picked from the recent files."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from app.handover import settle_garbage
from app.jobs import load_model_job
from app.project_controller import PROJECT_SUFFIX
from core.errors import InputError
from core.models import bundled_names

log = logging.getLogger("metattn.gui")

MODEL_SUFFIXES = (".xml", ".sbml", ".json", ".mat", ".yml", ".yaml", ".gz")
CONDITION_SUFFIXES = (".csv",)
MODEL_FILTER = "Metabolic models (*.xml *.sbml *.xml.gz *.json *.mat *.yml *.yaml);;All files (*)"


class Opener(QObject):
    """Opens models and conditions files for one window; ``run_after_load`` starts a run once the
    model is in (``--run``, or Run pressed while it loads)."""

    def __init__(self, window):
        super().__init__(window)
        self.imports_warmed = False
        self.window = window
        self.pending_conditions: list[str] | None = None
        self.run_after_load = False

    def open_path(self, path: str) -> None:
        """Open whatever ``path`` is: a project, a conditions file or a model."""
        w = self.window
        p = Path(path)
        suffix = p.suffix.lower()
        if suffix == PROJECT_SUFFIX:
            w.open_project(path)
        elif suffix in CONDITION_SUFFIXES or (suffix == ".json" and _looks_like_conditions(p)):
            self.import_conditions(path)
        elif path in bundled_names() or suffix in MODEL_SUFFIXES or p.exists():
            self.open_model(path)
        else:
            w.show_error("Cannot open", InputError("file not found", path))

    def browse_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a metabolic model", self.window.last_dir(), MODEL_FILTER)
        if path:
            self.open_model(path)

    def open_model(self, source: str, conditions: list[str] | None = None, run: bool = False) -> None:
        """Load ``source`` (bundled name or path) on a worker thread; optionally tick and run after."""
        w = self.window
        w.runner.cancel("run")
        self.pending_conditions = conditions
        self.run_after_load = run
        w.set_status(f"Opening {source}…")
        w.set_busy("load")
        w.runner.start("load", load_model_job, str(source), w.setup.carbon.isChecked(),
                       on_finished=self._loaded, on_failed=self._failed, on_progress=w.show_progress)
        if not self.imports_warmed:  # the first run's panes need igraph: imported while the model opens
            from core.views.panes import warm_view_imports

            self.imports_warmed = True
            # Then keep the collector off the ~200,000 objects those imports made (a first collection walked
            # them for 0.2-0.7 s during the first run).
            w.runner.start("warm-imports", warm_view_imports, on_finished=lambda _none: settle_garbage())

    def _loaded(self, value) -> None:
        w = self.window
        loaded, presets = value
        w.set_busy(None)
        if w.loaded is not None and w.loaded is not loaded:
            # A result of the replaced model still being handed to the panes stops here; the replaced model is
            # freed with the first result of this one (app.handover.release_replaced).
            w.handover.cancel()
        w.loaded = loaded
        settle_garbage()  # the cycle collector never walks the model during a run
        w.setup.set_model(loaded, presets)
        w.remember_file(loaded.source.removeprefix("bundled:"))
        m = loaded.model
        log.info("Opened %s (%s): %d metabolites, %d reactions%s", m.id, loaded.source, len(m.metabolites),
                 len(m.reactions), " (from cache)" if loaded.from_cache else "")
        w.set_status(f"Opened {m.id}: tick growth conditions and press Run.")
        w.setWindowTitle(f"Metabolic Attention Studio — {m.id}")
        pending, self.pending_conditions = self.pending_conditions, None
        try:
            if w.projects.apply_pending():
                return
            if pending:
                self.set_conditions_spec(pending)
        except InputError as exc:
            self.run_after_load = False
            w.show_error("Conditions", exc)
            w.run_failed.emit(str(exc))
            return
        settle_garbage()  # and off what showing the model made (the setup pane's conditions and bounds)
        w.model_loaded.emit(loaded)
        if self.run_after_load:
            self.run_after_load = False
            w.start_run()

    def _failed(self, exc) -> None:
        w = self.window
        w.set_busy(None)
        w.projects.pending = None
        self.run_after_load = False
        w.show_error("Could not open the model", exc)
        w.run_failed.emit(str(exc))

    def set_conditions_spec(self, items) -> None:
        """Tick presets and import conditions files, as the command line's ``--conditions`` says."""
        from core.conditions import preset_names

        w = self.window
        names = []
        for item in (i.strip() for i in items):
            if item in preset_names():
                if item not in w.setup.all_conditions():
                    raise InputError(f"preset '{item}' is not available for this model")
                names.append(item)
            elif item:
                names += [c.name for c in w.setup.import_file(item)]
        w.setup.set_checked(names)

    def browse_import_conditions(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Import conditions", self.window.last_dir(),
                                              "Conditions (*.csv *.json);;All files (*)")
        if path:
            self.import_conditions(path)

    def import_conditions(self, path: str) -> bool:
        w = self.window
        try:
            conditions = w.setup.import_file(path)
        except InputError as exc:
            w.show_error("Could not import conditions", exc)
            return False
        w.set_status(f"Imported {len(conditions)} condition(s) from {Path(path).name}.")
        return True

    def browse_export_conditions(self) -> None:
        folder = Path(self.window.last_dir())
        path, _ = QFileDialog.getSaveFileName(self.window, "Export conditions", str(folder / "conditions.json"),
                                              "Conditions (*.json)")
        if path:
            self.export_conditions(path)

    def export_conditions(self, path: str) -> bool:
        w = self.window
        if Path(path).exists() and not w.confirm_overwrite([Path(path)]):
            return False
        try:
            w.setup.export_file(path)
        except InputError as exc:
            w.show_error("Could not export conditions", exc)
            return False
        w.set_status(f"Conditions written to {path}")
        return True


def _looks_like_conditions(path: Path) -> bool:
    from core import limits

    try:  # the head only, of a regular file only: a dropped FIFO or 200 MB model must not be read here
        head = limits.read_head(path, 4000).decode("utf-8-sig", errors="ignore")
    except InputError:
        return False
    return '"conditions"' in head or head.lstrip().startswith("[")
