"""The one background-task helper of the window.

A :class:`Worker` runs one callable on its own ``QThread`` and reports through four signals:
``progress(float, str)``, ``finished(object)``, ``failed(object)`` (the exception) and ``cancelled()``.
The callable gets the plain hooks the core uses, ``progress(fraction, message)`` and
``should_stop()``; the adaptation to signals happens here and nowhere else.

:class:`TaskRunner` owns the workers of a window: one task per name (starting a task cancels the
running task of the same name, as when the inputs change), callbacks always run on the main thread
(they are called from slots of a QObject that lives there), and :meth:`TaskRunner.shutdown`
cancels everything and waits for the threads when the window closes.

Some core stages hold Python's global interpreter lock for 100–300 ms at a time (COBRApy reading
a model, one GLPK simplex solve, igraph's layout), which would freeze the window for that long
however the threads are arranged. :class:`ComputeProcess` therefore runs the pipeline in one
persistent child process (started once, imports done once); the worker thread only waits on a pipe,
forwards progress and cancellation, and receives the finished result as plain Python objects.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import threading
import time
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Qt, Signal, Slot

from core.errors import Cancelled

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.05  # s between two progress signals (the bar needs no more)

_collector = None


def collect_garbage_on_gui_thread() -> None:
    """Let Python's cycle collector run only on the GUI thread (idempotent).

    Left automatic, a collection can start in whichever thread happens to allocate, such as a
    worker parsing a model, and free Qt objects of the window there; Qt then crashes (seen as a
    segmentation fault while a worker loaded iJO1366). pyqtgraph's GarbageCollector disables the
    automatic collector and collects from a timer on this thread instead (every second, by the
    same generation thresholds). Call it on the GUI thread before starting worker threads.
    """
    global _collector
    if _collector is None:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        _collector = GarbageCollector(interval=1.0)


def run_garbage_collector() -> None:
    """One turn of the GUI-thread collector now (what its timer does every second)."""
    if _collector is not None:
        _collector.check()


class Worker(QObject):
    """Runs ``fn(*args, progress=..., should_stop=..., **kwargs)`` when its thread starts."""

    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    done = Signal()  # after any of the three outcomes; quits the thread

    def __init__(self, fn: Callable, *args, **kwargs):
        super().__init__()
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self._stop = threading.Event()
        self._last_emit = 0.0
        self._last_message = ""
        self.started_at = 0.0

    def should_stop(self) -> bool:
        return self._stop.is_set()

    def cancel(self) -> None:
        """Ask the task to stop; thread-safe. The task raises Cancelled at its next check."""
        self._stop.set()

    def _report(self, fraction: float, message: str) -> None:
        now = time.perf_counter()
        if message != self._last_message or now - self._last_emit >= PROGRESS_INTERVAL or fraction >= 1.0:
            self._last_emit, self._last_message = now, message
            self.progress.emit(float(fraction), str(message))

    @Slot()
    def run(self) -> None:
        self.started_at = time.perf_counter()
        try:
            result = self._fn(*self._args, progress=self._report, should_stop=self.should_stop, **self._kwargs)
        except Cancelled:
            self.cancelled.emit()
        except Exception as exc:  # reported to the user by the window, with the traceback in the log
            exc.traceback_text = traceback.format_exc()  # type: ignore[attr-defined]
            self.failed.emit(exc)
        else:
            if self._stop.is_set():
                self.cancelled.emit()
            else:
                self.finished.emit(result)
        finally:
            self.done.emit()


class _Relay(QObject):
    """Lives on the main thread; its slots receive the worker's signals (queued) and call back."""

    def __init__(self, runner: "TaskRunner", name: str, worker: Worker, callbacks: dict):
        super().__init__()
        self.runner, self.name, self.worker, self.callbacks = runner, name, worker, callbacks
        self.delivered = False  # the final callback ran; until then this object must stay alive

    def _call(self, key: str, *args) -> None:
        if key in ("finished", "failed", "cancelled"):
            self.delivered = True
        fn = self.callbacks.get(key)
        if fn is not None:
            fn(*args)

    @Slot(float, str)
    def on_progress(self, fraction: float, message: str) -> None:
        if not self.worker.should_stop():
            self._call("progress", fraction, message)

    @Slot(object)
    def on_finished(self, result: object) -> None:
        self.runner._forget(self.name, self.worker)
        if self.worker.should_stop():  # cancelled after the work was done: drop the stale result
            self._call("cancelled")
        else:
            self._call("finished", result)

    @Slot(object)
    def on_failed(self, exc: object) -> None:
        self.runner._forget(self.name, self.worker)
        if self.worker.should_stop():
            self._call("cancelled")
        else:
            self._call("failed", exc)

    @Slot()
    def on_cancelled(self) -> None:
        self.runner._forget(self.name, self.worker)
        self._call("cancelled")


class TaskRunner(QObject):
    """Starts named tasks on worker threads; one running task per name."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        collect_garbage_on_gui_thread()
        self._running: dict[str, Worker] = {}
        self._threads: list[tuple[QThread, Worker, _Relay]] = []

    def start(self, name: str, fn: Callable, *args, on_finished: Callable[[Any], None] | None = None,
              on_failed: Callable[[BaseException], None] | None = None,
              on_progress: Callable[[float, str], None] | None = None,
              on_cancelled: Callable[[], None] | None = None, **kwargs) -> Worker:
        """Run ``fn`` on a new thread, cancelling the task of the same name first.

        Callbacks are called on the main thread; a cancelled task's late result is never delivered.
        """
        self.cancel(name)
        thread = QThread()
        thread.setObjectName(f"task-{name}")
        worker = Worker(fn, *args, **kwargs)
        worker.moveToThread(thread)
        relay = _Relay(self, name, worker, {"finished": on_finished, "failed": on_failed,
                                            "progress": on_progress, "cancelled": on_cancelled})
        # Connect everything before the thread starts, so no signal can be missed.
        worker.progress.connect(relay.on_progress)
        worker.finished.connect(relay.on_finished)
        worker.failed.connect(relay.on_failed)
        worker.cancelled.connect(relay.on_cancelled)
        # Direct: quit() is thread-safe, and a queued call would wait for a main loop that may be
        # blocked in shutdown()'s wait().
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.started.connect(worker.run)
        thread.finished.connect(self._reap)
        self._running[name] = worker
        self._threads.append((thread, worker, relay))
        thread.start()
        return worker

    def cancel(self, name: str) -> bool:
        worker = self._running.pop(name, None)
        if worker is None:
            return False
        worker.cancel()
        return True

    def cancel_all(self) -> None:
        for name in list(self._running):
            self.cancel(name)

    def is_running(self, name: str) -> bool:
        return name in self._running

    def active_threads(self) -> int:
        """Threads not yet finished (running or winding down after a cancel)."""
        return sum(1 for t, _w, _r in self._threads if not t.isFinished())

    def _forget(self, name: str, worker: Worker) -> None:
        if self._running.get(name) is worker:
            del self._running[name]

    @Slot()
    def _reap(self) -> None:
        # A relay whose queued result has not arrived yet must not be freed: Qt drops events for
        # deleted receivers, and a task that finished quickly would never report.
        self._threads = [(t, w, r) for t, w, r in self._threads if not (t.isFinished() and r.delivered)]

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel every task and wait for the threads; True if all of them ended in time."""
        self.cancel_all()
        deadline = time.perf_counter() + timeout_ms / 1000.0
        ok = True
        for thread, _worker, _relay in list(self._threads):
            left = max(int((deadline - time.perf_counter()) * 1000), 1)
            if not thread.wait(left):
                log.warning("task thread %s did not stop in time", thread.objectName())
                ok = False
        self._threads = [(t, w, r) for t, w, r in self._threads if not t.isFinished()]
        return ok


# --------------------------------------------------------------------------- the compute process


def _serve(conn, stop_event, preload: Callable[[], None] | None) -> None:
    """Child process loop: receive ``(fn, args, kwargs)``, answer with messages, until ``None``."""
    if preload is not None:
        try:
            preload()
        except Exception:  # an import problem shows up again, with its message, at the first call
            pass
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        fn, args, kwargs = job
        last = [0.0, ""]

        def progress(fraction: float, message: str) -> None:
            now = time.perf_counter()
            if message != last[1] or now - last[0] >= PROGRESS_INTERVAL:
                last[0], last[1] = now, message
                conn.send(("progress", (float(fraction), str(message))))

        # Plain data for the window while the job runs (e.g. training's loss history per epoch), handed to
        # ComputeProcess.call's ``on_data``; a job reaches it as ``progress.data(payload)``.
        progress.data = lambda payload: conn.send(("data", payload))

        try:
            result = fn(*args, progress=progress, should_stop=stop_event.is_set, **kwargs)
        except Cancelled:
            conn.send(("cancelled", None))
        except Exception as exc:
            try:
                conn.send(("failed", (exc, traceback.format_exc())))
            except Exception:  # an exception that does not pickle: send its text
                conn.send(("failed", (RuntimeError(f"{type(exc).__name__}: {exc}"), traceback.format_exc())))
        else:
            conn.send(("finished", result))


class ComputeBusy(RuntimeError):
    """:meth:`ComputeProcess.call` with ``wait=False`` found the process at another call (a Run)."""


class ComputeProcess:
    """One persistent child process that runs module-level functions, one call at a time.

    :meth:`call` blocks (call it from a worker thread), forwards progress (and what the job sends with
    ``progress.data(payload)`` to ``on_data``), turns ``should_stop`` into the child's stop event and
    returns the function's result or re-raises its exception.
    """

    POLL = 0.03  # s; how often the waiting thread looks at should_stop
    # s after a stop request before the child is ended: stages that check should_stop stop well within
    # it; one that cannot (COBRApy parsing a model file, a bomb) is ended, so Cancel and closing the
    # window really stop the work (the next call starts a fresh process)
    STOP_GRACE = 3.0

    def __init__(self, preload: Callable[[], None] | None = None):
        ctx = mp.get_context("spawn")  # never fork a process that runs Qt threads
        self._conn, child = ctx.Pipe()
        self._stop = ctx.Event()
        self._process = ctx.Process(target=_serve, args=(child, self._stop, preload), daemon=True,
                                    name="metattn-compute")
        self._process.start()
        child.close()
        self._lock = threading.Lock()

    @property
    def alive(self) -> bool:
        return self._process.is_alive()

    def call(self, fn: Callable, *args, progress: Callable[[float, str], None] | None = None,
             should_stop: Callable[[], bool] | None = None, on_data: Callable[[Any], None] | None = None,
             wait: bool = True, **kwargs):
        """``wait`` False: raise :class:`ComputeBusy` at once if another call is under way."""
        if not self._lock.acquire(blocking=wait):
            raise ComputeBusy("the compute process is busy")
        try:
            return self._call(fn, args, kwargs, progress, should_stop, on_data)
        finally:
            self._lock.release()

    def _call(self, fn, args, kwargs, progress, should_stop, on_data):
        if not self._process.is_alive():
            raise RuntimeError("the computation process has stopped; restart the program")
        self._stop.clear()
        self._conn.send((fn, args, kwargs))
        stop_asked = None
        while True:
            if should_stop is not None and should_stop():
                if stop_asked is None:
                    self._stop.set()
                    stop_asked = time.perf_counter()
                elif time.perf_counter() - stop_asked > self.STOP_GRACE:
                    log.info("ending the compute process: %s did not stop within %.0f s of the request",
                             getattr(fn, "__name__", fn), self.STOP_GRACE)
                    self._end()
                    raise Cancelled()
            if not self._conn.poll(self.POLL):
                if not self._process.is_alive():
                    raise RuntimeError(f"the computation process ended unexpectedly "
                                       f"(exit code {self._process.exitcode})")
                continue
            kind, payload = self._conn.recv()
            if kind == "progress":
                if progress is not None:
                    progress(*payload)
            elif kind == "data":
                if on_data is not None:
                    on_data(payload)
            elif kind == "finished":
                return payload
            elif kind == "cancelled":
                raise Cancelled()
            else:
                exc, text = payload
                exc.traceback_text = text
                raise exc

    def _end(self) -> None:
        """End the child at once (it is not answering); :func:`compute_process` starts a new one."""
        self._process.kill()
        self._process.join(2.0)
        self._conn.close()

    def close(self, timeout: float = 2.0) -> None:
        self._stop.set()
        try:
            if self._lock.acquire(timeout=timeout):
                try:
                    self._conn.send(None)
                finally:
                    self._lock.release()
        except (OSError, BrokenPipeError, ValueError):  # ValueError: the pipe was closed by _end
            pass
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(1.0)
        try:
            self._conn.close()
        except OSError:
            pass


_shared: ComputeProcess | None = None
_shared_lock = threading.Lock()


def compute_process() -> ComputeProcess:
    """The application's compute process, started on first use (or again if it died)."""
    global _shared
    from app.jobs import preload

    with _shared_lock:
        if _shared is None or not _shared.alive:
            _shared = ComputeProcess(preload)
        return _shared


def close_compute_process(timeout: float = 2.0) -> None:
    """End the compute process: ask it to stop, and kill it if it has not within ``timeout`` seconds
    (the window, when it closes, waits 0.5 s: Quit must end the program within seconds)."""
    global _shared
    with _shared_lock:
        if _shared is not None:
            _shared.close(timeout)
            _shared = None
