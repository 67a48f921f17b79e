"""Start the window: ``app.launch.main(args) -> int`` (called by ``main.py gui`` and plain ``main.py``).

``args`` (an argparse namespace) may carry: model, conditions (comma-separated presets and/or
conditions files), run, screenshot (a PNG path), heads, d_model, layers, hops, seed, mode,
memory_budget, no_currency_filter, carbon_normalised; one that is missing or None leaves the
window's remembered setting alone. With ``screenshot`` the window loads, runs, waits until every
pane shows the results, saves ``window.grab()`` to the path and exits 0; any failure exits 1 with a
one-line message on stderr. ``run`` and ``screenshot`` make the window unattended: it asks no
question (a crashed session's autosave is left for the next interactive launch).
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import replace

SETTLE_MS = 800  # after the results arrive, for the network layout and the last repaints
SCREENSHOT_TIMEOUT_S = 300
# AttentionConfig field -> the command-line option (argparse name) that sets it
ATTENTION_OPTIONS = {"heads": "heads", "d_model": "d_model", "layers": "layers", "hops": "hops", "seed": "seed",
                     "mode": "mode", "memory_budget_gb": "memory_budget"}


def _create_application():
    from PySide6.QtWidgets import QApplication

    from app import settings as S

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(S.ORGANISATION)
    app.setApplicationName(S.APPLICATION)
    app.setApplicationDisplayName("Metabolic Attention Studio")
    return app


def _arg(args, name, default=None):
    value = getattr(args, name, default)
    return default if value is None else value


def main(args=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = _create_application()
    from app.main_window import MainWindow
    from app.worker import close_compute_process

    screenshot = _arg(args, "screenshot")
    run = bool(_arg(args, "run", False)) or bool(screenshot)
    window = MainWindow(unattended=run)  # a scripted run never waits on a question
    su = window.setup
    given = {field: _arg(args, option) for field, option in ATTENTION_OPTIONS.items()}
    config = replace(su.attention_config(check=False), **{k: v for k, v in given.items() if v is not None})
    su.set_attention_config(config, False if _arg(args, "no_currency_filter", False) else None)
    if _arg(args, "carbon_normalised", False):
        su.carbon.setChecked(True)
    state = {"code": 0}
    if screenshot:
        window.resize(1600, 1000)
    from app.docks import fit_to_screen

    fit_to_screen(window)  # never larger than the screen (a 1366×768 screen got a 1806×1000 screenshot)
    window.show()

    if screenshot:
        _arm_screenshot(app, window, str(screenshot), state, _arg(args, "screenshot_view"), _arg(args, "select"))
    model = _arg(args, "model")
    conditions = _arg(args, "conditions")
    if model:
        items = [c for c in str(conditions).split(",") if c.strip()] if conditions else None
        window.open_model(str(model), conditions=items, run=run)
    elif screenshot:
        print("metattn: error: --screenshot needs --model", file=sys.stderr)
        return 1
    # A local loop rather than app.exec(): QApplication.exit() leaves the application unable to run
    # worker threads' events afterwards, which matters when main() runs inside a bigger program (tests).
    from PySide6.QtCore import QEventLoop

    loop = QEventLoop()
    state["loop"] = loop
    # QApplication.lastWindowClosed is emitted only inside app.exec(), never in this loop: the window's
    # own close (File → Quit, the title bar's close button, Ctrl+Q) ends the loop instead.
    quitter = _quit_when_closed(window, loop)
    try:
        code = loop.exec()
    finally:
        window.removeEventFilter(quitter)
        close_compute_process(timeout=0.5)  # idle by now; a busy one is not waited for
    return state["code"] or code


def _quit_when_closed(window, loop):
    """An event filter on ``window`` that quits ``loop`` once a close event has hidden the window
    (a close the window refused leaves it visible, and the loop running)."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class QuitWhenClosed(QObject):
        def eventFilter(self, watched, event):  # noqa: N802
            if event.type() == QEvent.Type.Close:
                QTimer.singleShot(0, self._check)
            return False

        def _check(self):
            if not window.isVisible():
                loop.quit()

    quitter = QuitWhenClosed(window)
    window.installEventFilter(quitter)
    return quitter


PANE_OF_VIEW = {"heatmap-pathways": "heatmap", "shifts": "comparison", "shifts-volcano": "comparison",
                "network-top": "network", "network-around": "network", "network-pathway": "network"}


def show_view(window, view: str | None, select: str | None = None) -> None:
    """Select ``select`` (an id or name) and show ``view`` (``--screenshot-view``) in its pane."""
    if select:
        window.search_for(str(select))
    if view == "heatmap-pathways":
        window.heatmap.level.setCurrentIndex(1)
    elif view in ("shifts", "shifts-volcano"):
        window.comparison.tabs.setCurrentWidget(window.comparison.shift_chart)
        window.comparison.shift_chart.chart.setCurrentIndex(int(view == "shifts-volcano"))
    elif view in ("network-top", "network-around", "network-pathway"):
        window.network.sides.setChecked(view == "network-pathway")
        window.network.labels.setCurrentIndex(1 if view == "network-pathway" else 0)  # the copies named too
        window.network.mode.setCurrentIndex({"network-top": 0, "network-around": 1}.get(view, 2))
    if view in PANE_OF_VIEW:  # the pane alone fills the window: a picture of it at a readable size
        for name, dock in window.docks.items():
            if name != PANE_OF_VIEW[view] and dock.isVisible():
                dock.hide()
                window.hidden_for_picture = [*getattr(window, "hidden_for_picture", []), dock]


def show_hidden_docks(window) -> None:
    """The docks :func:`show_view` hid, shown again: the layout saved on close must not keep them hidden."""
    for dock in getattr(window, "hidden_for_picture", []):
        dock.show()
    window.hidden_for_picture = []


def _arm_screenshot(app, window, path: str, state: dict, view: str | None = None, select: str | None = None) -> None:
    from PySide6.QtCore import QTimer

    started = time.perf_counter()

    def fail(message: str) -> None:
        if state.get("ended"):
            return
        state["ended"] = True
        print(f"metattn: error: {message}", file=sys.stderr)
        state["code"] = 1
        window.close()
        state["loop"].exit(1)

    def shoot() -> None:
        if window.runner.is_running("network") and time.perf_counter() - started < SCREENSHOT_TIMEOUT_S:
            QTimer.singleShot(100, shoot)
            return
        if state.get("ended"):
            return
        app.processEvents()
        state["ended"] = True
        target = window.docks[PANE_OF_VIEW[view]] if view in PANE_OF_VIEW else window
        saved = target.grab().save(path)
        show_hidden_docks(window)
        if not saved:
            state["ended"] = False
            fail(f"could not write the screenshot to {path}")
            return
        shown = window.last_run_seconds
        print(f"metattn: screenshot saved to {path}"
              + (f" (results shown {shown:.1f} s after Run)" if shown else ""))
        window.close()
        state["loop"].exit(0)

    def on_failed(message: str) -> None:
        fail(message.splitlines()[0] if message else "the run failed")

    def on_timeout() -> None:
        if window.result is None:
            fail(f"no results after {SCREENSHOT_TIMEOUT_S} s")

    # Dialogs would wait for a click; in screenshot mode an error ends the program instead.
    window.show_error = lambda title, exc: on_failed(f"{title}: {exc}")  # type: ignore[method-assign]
    window.results_shown.connect(lambda _r: (show_view(window, view, select), QTimer.singleShot(SETTLE_MS, shoot)))
    window.run_failed.connect(on_failed)
    QTimer.singleShot(SCREENSHOT_TIMEOUT_S * 1000, on_timeout)
