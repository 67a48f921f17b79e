"""Runs the real ``main.py gui`` (arguments after ``--``) and quits it as a user would, for the quit tests.

Not a test module: tests/app/test_quit.py starts it in a subprocess. It creates the QApplication,
schedules the quit and runs ``main.py`` as ``__main__`` (the program itself, unchanged). It prints
``COMPUTE <pid>`` once the compute process runs, ``RESULTS <nodes>`` when every pane shows a run's
results, and ``QUIT`` just before it triggers File → Quit (``--how menu``) or the window's close
button (``--how close``). ``--when idle`` quits once the compute process runs; ``--when running``
as soon as a run is under way; ``--when results`` after the results are shown.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--when", choices=("idle", "running", "results"), default="idle")
    parser.add_argument("--how", choices=("menu", "close"), default="menu")
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    opts, gui_args = parser.parse_args(argv[:cut]), argv[cut + 1:]

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    state = {"connected": False}

    def say(text: str) -> None:
        print(text, flush=True)

    def quit_now(window) -> None:
        say("QUIT")
        if opts.how == "close":
            window.close()
            return
        file_menu = window.menuBar().actions()[0].menu()
        action = next(a for a in file_menu.actions() if a.text().replace("&", "") == "Quit")
        action.trigger()

    def poll() -> None:
        from app import worker
        from app.main_window import MainWindow

        window = next((w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()), None)
        compute = worker._shared
        if window is None or compute is None or not compute.alive:
            QTimer.singleShot(100, poll)
            return
        if "pid" not in state:
            state["pid"] = compute._process.pid
            say(f"COMPUTE {state['pid']}")
        if opts.when == "results":
            if not state["connected"]:
                state["connected"] = True
                window.results_shown.connect(lambda r: (say(f"RESULTS {r.graph.n_nodes}"),
                                                        QTimer.singleShot(200, lambda: quit_now(window))))
            return
        if opts.when == "running" and window.busy != "run":
            QTimer.singleShot(50, poll)
            return
        quit_now(window)

    QTimer.singleShot(100, poll)
    sys.path.insert(0, ROOT)
    os.chdir(ROOT)
    sys.argv = ["main.py", "gui", *gui_args]
    runpy.run_path(os.path.join(ROOT, "main.py"), run_name="__main__")


if __name__ == "__main__":
    main()
