"""File → Export in the window: everything or the current pane's files, asked before replacing any,
written on a worker thread by :func:`app.jobs.export_job` (through :func:`core.export.write_outputs`,
which rolls back a cancelled or failed export)."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from app.jobs import export_job, pane_outputs
from app.plain import literal

log = logging.getLogger("metattn.gui")


class Exporter(QObject):
    """Exports for one window (its ``result``, ``runner``, status and busy switch)."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window

    def current_pane(self) -> str:
        """The pane holding the keyboard focus (the heatmap if none does)."""
        focus = QApplication.focusWidget()
        for name, pane in self.window.panes.items():
            if focus is not None and (focus is pane or pane.isAncestorOf(focus)):
                return name
        return "heatmap"

    def browse(self, pane: str | None) -> None:
        w = self.window
        if w.result is None:
            w.show_error("Nothing to export", "Run the analysis first.")
            return
        folder = QFileDialog.getExistingDirectory(w, "Export to folder", w.last_dir())
        if folder:
            self.export(folder, pane)

    def export(self, folder: str, pane: str | None = None) -> bool:
        """Export everything (``pane`` None) or one pane's files into ``folder`` on a worker thread."""
        from core.export import plan_outputs

        w = self.window
        if w.result is None:
            return False
        names = None if pane is None else pane_outputs(w.result, pane)
        planned = [p.name for p in plan_outputs(w.result)] if names is None else list(names)
        existing = [Path(folder) / n for n in planned if (Path(folder) / n).exists()]
        if existing and not w.confirm_overwrite(existing):
            w.set_status("Export cancelled: nothing was overwritten.")
            return False
        w.set_status(f"Exporting {'everything' if pane is None else f'the {pane} pane'} to {folder}…")
        w.set_busy("export")
        w.runner.start("export", export_job, w.result, str(folder), names, bool(existing),
                       on_finished=lambda paths: self._done(folder, paths), on_failed=self._failed,
                       on_progress=w.show_progress, on_cancelled=lambda: w.set_busy(None))
        return True

    def _done(self, folder: str, paths) -> None:
        w = self.window
        w.set_busy(None)
        msg = f"Wrote {len(paths)} files to {folder}"
        log.info(msg)
        w.set_status(msg)
        w.export_done.emit(list(paths))
        if not (w.closing or w.unattended) and QApplication.platformName() not in ("offscreen", "minimal"):
            QMessageBox.information(w, "Export finished", literal(msg + "."))

    def _failed(self, exc) -> None:
        self.window.set_busy(None)
        self.window.show_error("Export failed", exc)
