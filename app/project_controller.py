"""Projects in the window: save, open and apply ``.mattn`` files, the autosave, the crash lock and
the offer to restore after a crash.

:class:`ProjectController` works for a :class:`app.main_window.MainWindow` (its ``window``): it reads
the session from the window's setup pane and panes (each pane's ``view_state()``), and hands a
project back through the window's own steps (open the model, run or resume). File format:
:mod:`app.project`.

Crash detection: a running session owns ``session.lock`` (its process id) in the data folder; a
clean exit removes it. A lock left by a process that no longer runs means the last session crashed,
and its autosave (written after every successful run) is offered at the next start.

Unattended windows (``--run``, ``--screenshot``, ``--self-test``) never ask: after a crash they take
the default, which is not to restore, and they leave the lock and the autosave as they found them
(no claim, no autosave over it) so that the next interactive launch still offers the restore.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from PySide6.QtCore import QObject, QSignalBlocker, QTimer
from PySide6.QtWidgets import QFileDialog

from app import settings as S
from app.jobs import resume_job, save_project_job
from core.errors import InputError

log = logging.getLogger("metattn.gui")

PROJECT_SUFFIX = ".mattn"


def autosave_path() -> Path:
    return S.data_dir() / "autosave.mattn"


def lock_path() -> Path:
    return S.data_dir() / "session.lock"


def _pid_alive(pid: int) -> bool:
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


def previous_session_crashed() -> bool:
    """True if an autosave exists and the session that wrote the lock ended without a clean exit."""
    lock = lock_path()
    if not autosave_path().is_file() or not lock.is_file():
        return False
    try:
        pid = int(lock.read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return True  # a damaged lock: the session that wrote it did not end cleanly
    return not _pid_alive(pid)


def claim_session() -> None:
    from core.io_utils import atomic_write_text

    try:
        atomic_write_text(lock_path(), f"{os.getpid()}\n")
    except InputError as exc:
        log.warning("Crash recovery is off: %s", exc)


def release_session() -> None:
    lock = lock_path()
    try:
        if lock.read_text(encoding="utf-8").split()[0] == str(os.getpid()):
            lock.unlink()
    except (OSError, IndexError):
        pass


class ProjectController(QObject):
    """Project save/open/apply, autosave and crash restore for one window."""

    def __init__(self, window, unattended: bool = False):
        super().__init__(window)
        self.window = window
        self.unattended = unattended
        self.pending = None  # a Project read, waiting for its model to load
        self._view: dict = {}
        self.autosave_on = True
        crashed = previous_session_crashed()
        if crashed and unattended:
            # The default answer to "restore?" is no; the autosave stays for an interactive launch.
            self.autosave_on = False
            log.info("The previous session did not close normally; this unattended run does not restore it and "
                     "keeps its autosave (%s) for the next interactive launch", autosave_path())
            return
        claim_session()
        if crashed:
            QTimer.singleShot(0, self.offer_restore)

    # ------------------------------------------------------------------ saving

    def _session(self) -> tuple:
        """What a project file holds, taken from the window: settings, conditions, checked names,
        attention, the model's SHA-256, the view state and the result the attention belongs to (kept so
        that reopening shows it without computing it). Raises InputError (no model, no condition)."""
        w = self.window
        settings, _conditions = w.run_settings()
        result = w.result if w.result is not None and w.result.loaded.sha256 == w.loaded.sha256 else None
        attention = result.attention if result is not None else None
        return (settings, list(w.setup.all_conditions().values()), w.setup.checked_names(), attention,
                w.loaded.sha256, w.view_state(), result)

    def browse_save(self) -> None:
        w = self.window
        path, _ = QFileDialog.getSaveFileName(w, "Save project", str(Path(w.last_dir()) / "session.mattn"),
                                              f"Projects (*{PROJECT_SUFFIX})")
        if path:
            if not path.endswith(PROJECT_SUFFIX):
                path += PROJECT_SUFFIX
            if Path(path).exists() and not w.confirm_overwrite([Path(path)]):
                return
            self.save(path)

    def save(self, path: str) -> bool:
        from app.project import save_project

        try:
            save_project(path, *self._session())
        except InputError as exc:
            self.window.show_error("Could not save the project", exc)
            return False
        self.window.remember_file(path)
        self.window.set_status(f"Project saved to {path}")
        log.info("Project saved to %s", path)
        return True

    def autosave(self) -> None:
        """Keep the last good results: write the session to :func:`autosave_path` on a worker thread.

        Written atomically (a crash mid-write leaves the previous autosave); a failure is logged, never
        shown as a dialog, since the user did not ask for it.
        """
        w = self.window
        if not self.autosave_on or w.result is None or w.loaded is None or w.result.loaded.sha256 != w.loaded.sha256:
            return  # (a project's results shown while its model still opens: the project is on disk)
        try:
            session = self._session()
        except InputError:
            return
        w.runner.start("autosave", save_project_job, str(autosave_path()), *session,
                       on_finished=lambda path: w.autosaved.emit(str(path)),
                       on_failed=lambda exc: log.warning("Autosave failed: %s", exc))

    # ------------------------------------------------------------------ opening

    def browse_open(self) -> None:
        w = self.window
        path, _ = QFileDialog.getOpenFileName(w, "Open project", w.last_dir(), f"Projects (*{PROJECT_SUFFIX})")
        if path:
            self.open(path)

    def open(self, path: str) -> None:
        """Read the project on a worker thread, then open its model; :meth:`apply_pending` follows."""
        from app.project import load_project

        w = self.window
        w.runner.cancel("run")
        w.set_status(f"Reading project {path}…")
        w.set_busy("project")
        w.runner.start("project", load_project, path, on_finished=lambda p: self._read(path, p),
                       on_failed=lambda exc: (w.set_busy(None), w.show_error("Could not open the project", exc),
                                              w.run_failed.emit(str(exc))),
                       on_progress=w.show_progress)

    def _read(self, path: str, project) -> None:
        """The project is read: show its saved results at once and open the model after them, or (no
        usable results) open the model first and compute them."""
        w = self.window
        w.remember_file(path)
        self.pending = project
        with QSignalBlocker(w.setup.carbon):
            w.setup.carbon.setChecked(project.settings.carbon_normalised)
        if project.result is None:
            if project.attention is not None:
                log.info("Project %s: %s; FBA and the analysis are computed again", path, project.result_note)
            w.open_model(project.settings.model)
            return
        log.info("Project %s: results restored from the file (no FBA, attention or analysis run); "
                 "its model opens meanwhile", path)
        self._view = project.view
        w.setup.set_attention_config(project.settings.attention, project.settings.filter_currency)
        w.setup.set_weights(project.settings.weights)
        w.set_busy(None)
        w.run_started_at = time.perf_counter()
        w.set_status("Showing the project's results…")
        w.results_shown.connect(self._restore_view_once)
        w.handover.show(project.result, lambda result: self._shown(project, result))

    def _shown(self, project, result) -> None:
        """The saved results are in the panes: open their model (for Run, Find's synonyms, the details'
        equations, exports); :meth:`apply_pending` attaches it to the result."""
        w = self.window
        w._results_ready(result)
        if self.pending is project and not w.closing:
            w.open_model(project.settings.model)

    def apply_pending(self) -> bool:
        """After the model loaded: apply the project read before it, if any. True when that started a
        run (the project's results are computed), False when there was none or its saved results are
        already shown (the model is then given to them)."""
        project, self.pending = self.pending, None
        if project is None:
            return False
        w = self.window
        w.setup.set_attention_config(project.settings.attention, project.settings.filter_currency)
        w.setup.set_weights(project.settings.weights)
        w.setup.add_conditions(project.conditions, check=False)
        w.setup.set_checked(project.checked)
        self._view = project.view
        changed = bool(project.model_sha256) and w.loaded.sha256 != project.model_sha256
        if project.result is not None and not changed:
            self._attach_model(project.result)
            return False
        if changed:
            log.warning("The model file changed since the project was saved; attention is computed again")
        if project.attention is None or changed:
            w.start_run()
            return True
        conditions = [c for c in project.conditions if c.name in project.checked]
        w.start_pipeline_task(resume_job, project.settings, conditions, project.attention)
        w.results_shown.connect(self._restore_view_once)
        return True

    def _attach_model(self, shown) -> None:
        """Give the shown project result the model that just opened (same file, same SHA-256)."""
        from dataclasses import replace

        w = self.window
        if w.result is not shown or w.loaded is None or w.loaded.sha256 != shown.loaded.sha256:
            return  # another result is shown by now
        w.result = replace(shown, loaded=w.loaded)
        w.details.set_result(w.result)
        w.search_bar.set_graph(w.result.graph, w.loaded.model)

    def _restore_view_once(self, _result) -> None:
        w = self.window
        w.results_shown.disconnect(self._restore_view_once)
        view = self._view or {}
        w.heatmap.restore_view(view.get("heatmap", {}))
        w.network.restore_view(view.get("network", {}))
        if view.get("selected"):
            w.selection.select(view["selected"])

    # ------------------------------------------------------------------ crash restore

    def offer_restore(self) -> bool:
        """Ask whether to reopen the autosave of a session that ended without a clean exit."""
        w = self.window
        path = autosave_path()
        if w.closing or not path.is_file():
            return False
        stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(path.stat().st_mtime))
        if not w.ask("Restore the last session?",
                     f"The program did not close normally last time. Its last results (saved {stamp}) can be "
                     "reopened.\n\nRestore them?", default=True):
            return False
        log.info("Restoring the autosave %s", path)
        self.open(str(path))
        return True

    def close(self) -> None:
        release_session()
