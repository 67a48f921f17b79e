"""File → Export in the window: everything or the current pane's files, asked before replacing any,
written on a worker thread by :func:`app.jobs.export_job` (through :func:`core.export.write_outputs`,
which rolls back a cancelled or failed export)."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from app.jobs import export_job, pane_outputs
from app.plain import literal

log = logging.getLogger("metattn.gui")

PANE_CHOICES = {"heatmap": "Attention heatmap", "network": "Attention network", "comparison": "Condition comparison",
                "tables": "Analysis tables", "details": "Node details"}


class Exporter(QObject):
    """Exports for one window (its ``result``, ``runner``, status and busy switch).

    *Export → Current pane* exports the pane the user last clicked in, turned the wheel over or tabbed
    into: the application's ``focusChanged`` signal, with the panes' plot views taking the focus on a click
    or a wheel turn (``Qt.WheelFocus``; a view that took none left the focus, and so the answer, in
    another pane). Before any such move the user is asked which pane. (An application-wide event filter
    did this before: every Qt event of the window then called into Python, and waited for the interpreter
    lock whenever another thread of the window held it.)
    """

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.last_pane: str | None = None
        self._pending: tuple[str, str | None] | None = None  # an export asked for during a hand-over
        window.results_shown.connect(self._export_pending)
        QApplication.instance().focusChanged.connect(self._focus_changed)
        QTimer.singleShot(0, self.views_take_focus)  # once the panes are built

    def views_take_focus(self) -> None:
        """Let every plot view of the panes take the keyboard focus on a click or a wheel turn."""
        import pyqtgraph as pg

        for pane in getattr(self.window, "panes", {}).values():
            for view in pane.findChildren(pg.GraphicsView):
                view.setFocusPolicy(Qt.FocusPolicy.WheelFocus)

    def _focus_changed(self, old, new) -> None:
        # From nothing (old None): the window was activated or first shown, which the user did not aim at a pane.
        if old is None or not isinstance(new, QWidget) or self.window.closing:
            return
        name = self.pane_of(new)
        if name is not None:
            self.last_pane = name

    def pane_of(self, widget) -> str | None:
        """The name of the pane ``widget`` belongs to (its dock included), or None."""
        docks = getattr(self.window, "docks", {})
        for name, pane in getattr(self.window, "panes", {}).items():  # none while the window is being built
            dock = docks.get(name)
            if widget is pane or pane.isAncestorOf(widget) or (dock is not None and (widget is dock or dock.isAncestorOf(widget))):
                return name
        return None

    def current_pane(self) -> str:
        """The pane last clicked or used; if none yet, the user chooses (unattended: the heatmap). An empty
        string if the user cancelled the question."""
        if self.last_pane is not None:
            return self.last_pane
        if self.window.unattended:
            return "heatmap"
        from PySide6.QtWidgets import QInputDialog

        names = [n for n in self.window.panes if n in PANE_CHOICES]
        titles = [PANE_CHOICES[n] for n in names]
        title, ok = QInputDialog.getItem(self.window, "Export current pane", "Which pane?", titles, 0, False)
        return names[titles.index(title)] if ok and title in titles else ""

    def browse(self, pane: str | None) -> None:
        if pane == "":  # the user cancelled choosing a pane
            return
        w = self.window
        if w.result is None and not w.handover.busy:
            w.show_error("Nothing to export", "Run the analysis first.")
            return
        folder = QFileDialog.getExistingDirectory(w, "Export to folder", w.last_dir())
        if folder:
            self.export(folder, pane)

    def export(self, folder: str, pane: str | None = None) -> bool:
        """Export everything (``pane`` None) or one pane's files into ``folder`` on a worker thread."""
        from core.export import plan_outputs

        w = self.window
        if w.handover.busy:
            # A run's result is still reaching the panes (w.result may still be the previous one): export it
            # once every pane shows it.
            w.set_status("Exporting once the new results are shown…")
            self._pending = (folder, pane)
            return True
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

    def _export_pending(self, _result) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and not self.window.closing:
            self.export(*pending)

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
