"""Handing a run's result to the panes without freezing the window (issue 16: the hand-over of an
iJO1366 result was one call of ~1 s on the window's thread).

Two parts:

1. What the panes would compute (the heatmap's raster and colour levels, the pathway order, importance
   ranks, Find's search terms, the shift chart's movers, :func:`core.views.panes.pane_views`) comes with a
   Run's result, made in the compute process (:func:`with_views`, :mod:`app.view_jobs`); for a result
   without them it is computed on a worker thread while the event loop runs.
2. What must touch widgets is cut into steps (:func:`result_steps`: one pane, or one table of a
   pane, each), run by :class:`Handover` one after another from the event loop, as many in one turn
   as fit in ``TURN_MS``, so that no turn of the loop is held much longer than its longest step.

:meth:`app.main_window.MainWindow.show_result` runs the same steps at once (tests, the self-test).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from typing import Callable

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger("metattn.gui")

TURN_MS = 10.0  # steps started in one turn of the event loop until this much time has passed
# The next turn is started by a timer, not by QTimer.singleShot(0, ...): Qt 6 turns a zero single shot
# into a posted event, and while posted events keep coming, Qt's GLib dispatcher holds every timer back
# (it runs timers at idle priority once they have fired): the window's own timers (pyqtgraph's
# collector, a blinking cursor, a progress bar) waited for the whole hand-over, 130-270 ms on iJO1366.


def result_steps(window, result, views=None) -> list[tuple[str, Callable[[], None]]]:
    """``(name, step)`` pairs that show ``result`` in every pane of ``window``, in order; ``views`` is
    its :class:`core.views.panes.PaneViews` (None: the panes compute what they need)."""

    def start() -> None:
        previous = getattr(window, "result", None)
        replaced = previous is not None and getattr(previous, "loaded", None) is not getattr(result, "loaded", None)
        previous = None  # no reference left here to what may now be freed
        window.result = result
        if replaced:
            release_replaced()  # the last result held the model that was replaced

    def one(pane) -> Callable[[], None]:
        return lambda: pane.set_result(result, views)

    steps: list[tuple[str, Callable[[], None]]] = [("window", start)]
    # The network pane last: its layout task, on a worker thread, would slow the steps after it (the GUI
    # thread waits for Python's interpreter lock at every Qt call while another thread computes).
    panes = [p for p in window.result_panes if p is not window.network] + [window.details, window.network]
    for pane in panes:
        more = getattr(pane, "result_steps", None)
        name = type(pane).__name__
        steps += [(f"{name} {k + 1}", s) for k, s in enumerate(more(result, views))] if more is not None \
            else [(name, one(pane))]
    terms = views.search_terms if views is not None else None
    steps.append(("Find", lambda: window.search_bar.set_graph(result.graph, getattr(result.loaded, "model", None),
                                                              terms)))
    steps.append(("selection", lambda: select_start_node(window, result)))
    return steps


def with_views(window, job, args: tuple) -> tuple:
    """``(job, args)`` for the window's run task: a Run or a project's resume (:func:`app.jobs.pipeline_job`,
    :func:`app.jobs.resume_job`) is made in the compute process together with the panes' views
    (:mod:`app.view_jobs`); any other job is left as it is."""
    from app import jobs, view_jobs
    from app.panes.heatmap import MAX_PIXELS

    job_with_views = {jobs.pipeline_job: view_jobs.run_job, jobs.resume_job: view_jobs.resume_job}.get(job)
    if job_with_views is None:
        return job, args
    shown = window.result.graph.n_nodes if getattr(window, "result", None) is not None else None
    current = None if shown is None else (shown, window.heatmap.expected_pool_factor(shown))
    width = window.heatmap.plot.getPlotItem().getViewBox().width()
    return job_with_views, ((MAX_PIXELS, float(width), current), *args)


def select_start_node(window, result) -> None:
    """Keep the selection if the node still exists; else start on the most important node, so that
    the details and relationships show something."""
    import numpy as np

    node = window.selection.node
    if (node is None or node not in result.graph.index) and result.attention is not None:
        top = int(np.argmax(np.asarray(result.attention.importance).mean(axis=0)))
        window.selection.select(result.graph.node_ids[top])
    else:
        window._selection_changed(node)


def settle_garbage() -> None:
    """Exempt every object alive now (the model, the result just received) from Python's cycle collector
    (``gc.freeze``). The window collects on its own thread from a timer
    (:func:`app.worker.collect_garbage_on_gui_thread`), and a collection that walks a genome-scale model
    and a freshly unpickled result held the event loop for 50-130 ms, during and after every run. A
    replaced model is freed by :func:`release_replaced`."""
    import gc

    gc.freeze()


def release_replaced() -> None:
    """Free a replaced model and result: frozen (:func:`settle_garbage`), their reference cycles would never be
    collected. One full collection (about 0.1 s on a genome-scale model), on the first result after a model
    change only; everything alive afterwards is frozen again."""
    import gc

    gc.unfreeze()
    gc.collect()
    gc.freeze()


class Handover(QObject):
    """Shows a result in the window's panes: :meth:`show` computes the :class:`PaneViews` on a worker
    thread, then runs :func:`result_steps` from the event loop and calls ``done(result)``.
    ``longest_ms`` is the longest turn of the loop the last hand-over took and ``step_ms`` each step's
    ``(name, wall ms, CPU ms of this thread)`` (for the benchmark)."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self._steps: deque = deque()
        self._done: Callable[[], None] | None = None
        self.longest_ms = 0.0
        self.turns = 0
        self.step_ms: list[tuple[str, float, float]] = []
        self.views_ms = 0.0  # wall time of the views task, Run's result arrived -> steps start
        self._asked = 0.0
        self._next = QTimer(self)  # the next turn: a timer event, so other timers get theirs between turns
        self._next.setSingleShot(True)
        self._next.setInterval(0)
        self._next.timeout.connect(self._turn)

    @property
    def busy(self) -> bool:
        return bool(self._steps) or self.window.runner.is_running("views")

    def cancel(self) -> None:
        """Drop a hand-over under way (a new run started, the window closes)."""
        self.window.runner.cancel("views")
        self._next.stop()
        self._steps.clear()
        self._done = None

    def show(self, result, done: Callable[[object], None], views=None) -> None:
        """Show ``result``: its ``views`` when given (made in the compute process with the result), else
        computed on a worker thread first."""
        from app.panes.heatmap import MAX_PIXELS
        from core.views.panes import pane_views

        self.cancel()
        settle_garbage()
        self._asked = time.perf_counter()
        if views is not None:
            self._steps_for(result, views, done)
            return
        factor = self.window.heatmap.expected_pool_factor(result.graph.n_nodes)
        self.window.runner.start("views", pane_views, result, MAX_PIXELS, factor,
                                 on_finished=lambda views: self._steps_for(result, views, done),
                                 on_failed=lambda exc: self._failed(result, exc, done))

    def _failed(self, result, exc, done) -> None:
        log.warning("could not prepare the views off the window's thread (%s); drawing them here", exc)
        self._steps_for(result, None, done)

    def _steps_for(self, result, views, done) -> None:
        self._steps = deque(result_steps(self.window, result, views))
        self._done = lambda: done(result)
        self.longest_ms, self.turns, self.step_ms = 0.0, 0, []
        self.views_ms = (time.perf_counter() - self._asked) * 1000.0
        self._next.start()

    def _turn(self) -> None:
        if not self._steps:
            return
        start = time.perf_counter()
        while self._steps and (time.perf_counter() - start) * 1000.0 < TURN_MS:
            name, step = self._steps.popleft()
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                step()
            except Exception:  # noqa: BLE001 - one pane's failure must not keep the others empty
                log.exception("%s could not show the result", name)
            self.step_ms.append((name, (time.perf_counter() - wall) * 1000.0, (time.thread_time() - cpu) * 1000.0))
        self.longest_ms = max(self.longest_ms, (time.perf_counter() - start) * 1000.0)
        self.turns += 1
        if self._steps:
            self._next.start()
        elif self._done is not None:
            done, self._done = self._done, None
            try:
                done()
            except Exception:  # noqa: BLE001 - from a timer: a traceback would reach no one
                log.exception("showing the result could not finish")
