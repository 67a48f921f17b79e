"""Draw a run's PNG figures in worker processes while the caller writes the other files (issue 17).

Drawing and compressing the 300 DPI figures of a genome-scale run was two thirds of an export, one
figure after another on one core. :class:`FigureWorkers` starts worker processes, hands each one the
run's result once, then gives them file names; each worker writes a name by
:func:`core.export.plan_outputs`'s own entry for it, so a file written there is the same file the
sequential path writes. The caller meanwhile writes the data exports (JSON, HTML, CSV) itself, and
then takes over figures no worker has started yet.

How workers start (:func:`fork_available`): on Linux, in a process without Qt and without other
Python threads (the command line), they are *forked*: they hold the run and every module already,
so they cost no imports and no copy of the result (a spawned worker spent ~3 s of CPU importing
cobra and the analysis just to unpickle the result). Elsewhere (the window's process runs Qt
threads; macOS, Windows) they are *spawned*, and the result goes over a pipe once per worker (its
cobra model left out).

:class:`EarlyOutputs` starts the files that read nothing of the analysis (the node x node heatmaps,
networks, weight histograms, growth, GraphML: :attr:`core.export.PlannedFile.analysis_free`) as soon
as attention is done, in a forked worker, while the caller runs the analysis.

Shapes: none of its own.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from core.errors import check_stop

log = logging.getLogger(__name__)

# Below this many graph nodes the figures take well under a second each: starting workers would cost
# more than it saves.
PARALLEL_MIN_NODES = 1000

_result = None  # the run's result, in a worker


def default_workers(result, n_figures: int) -> int:
    """How many worker processes an export of ``result`` should use: 0 (draw in the caller) for small
    models or a single core, else up to one per core."""
    cores = os.cpu_count() or 1
    graph = getattr(result, "graph", None)
    if cores < 2 or n_figures < 2 or graph is None or graph.n_nodes < PARALLEL_MIN_NODES:
        return 0
    return min(cores, n_figures)


def fork_available() -> bool:
    """True where workers may be forked from this process: Linux, no Qt loaded, no other Python thread.
    (Forking a process that runs other threads can copy a lock one of them holds; macOS frameworks
    are not fork-safe.)"""
    return sys.platform.startswith("linux") and "PySide6" not in sys.modules and threading.active_count() == 1


def _init(result) -> None:
    global _result
    import matplotlib

    matplotlib.use("Agg")
    # Ctrl-C reaches the whole process group: the caller decides (it stops handing out files and
    # waits for the ones being drawn), so a worker never dies half-way through a file.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked worker inherits the caller's handlers (main.py's StopOnInterrupt swallows a first SIGTERM/SIGHUP):
    # here they end the worker, as in a spawned one.
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    _result = result


def _draw(name: str, path: str, overwrite: bool) -> float:
    """In a worker: write the planned file ``name`` to ``path``; returns the seconds it took."""
    from core.export import ALL_FORMATS, plan_outputs

    t0 = time.perf_counter()
    item = next(p for p in plan_outputs(_result, ALL_FORMATS) if p.name == name)
    item.write(Path(path), overwrite)
    return time.perf_counter() - t0


class FigureWorkers:
    """A pool of processes writing planned files of one run (a context manager). ``fork``: None
    decides by :func:`fork_available`."""

    def __init__(self, result, workers: int, fork: bool | None = None):
        fork = fork_available() if fork is None else fork
        if not fork and result.loaded is not None:  # pickled once per worker: the cobra model stays here
            result = replace(result, loaded=replace(result.loaded, model=None))
        self._fork, self._started = fork, False
        # With fork the initializer's arguments are inherited, never pickled.
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork" if fork else "spawn"),
                                         initializer=_init, initargs=(result,))

    def submit(self, name: str, path: Path, overwrite: bool) -> Future:
        if self._fork and not self._started:
            # The pool forks its workers on the first submit. Frozen, the ~0.5 million objects of the
            # run and its libraries are never walked by a worker's garbage collector, which would cost
            # a third of a second per full collection and copy every page they lie on.
            self._started = True
            gc.freeze()
            try:
                return self._pool.submit(_draw, name, str(path), overwrite)
            finally:
                gc.unfreeze()
        return self._pool.submit(_draw, name, str(path), overwrite)

    def close(self, cancel: bool = False) -> None:
        """Wait for the files being written (and, unless ``cancel``, the queued ones) and end the workers."""
        self._pool.shutdown(wait=True, cancel_futures=cancel)

    def __enter__(self) -> "FigureWorkers":
        return self

    def __exit__(self, exc_type, *_exc) -> None:
        self.close(cancel=exc_type is not None)


class EarlyOutputs:
    """The analysis-free files of a run, written by a forked worker while the caller analyses.

    Use as a context manager around the run and its :func:`core.export.write_outputs` (given as
    ``early=``); :meth:`start` is the pipeline's ``attention_ready`` hook. It starts nothing where
    workers cannot be forked, for small models (:func:`default_workers`), or when a target file
    exists and ``force`` is off (``write_outputs`` then refuses as before). Leaving the block with an
    error waits for the file being written and removes every file it created.
    """

    def __init__(self, out_dir, formats: Sequence[str], force: bool = False, workers: int | None = None):
        self.out = Path(out_dir)
        self.formats = tuple(formats)
        self.force = force
        self.workers = workers
        self.pool: FigureWorkers | None = None
        self.futures: dict[str, Future] = {}  # file name -> its future
        self.created: list[Path] = []  # targets that did not exist before
        # Decided now, before any worker runs: the pools' own threads do not make forking unsafe.
        self.fork = fork_available()

    def start(self, partial) -> None:
        """Start writing ``partial``'s analysis-free PNG and GraphML files (``partial``: the run before
        its analysis)."""
        from core.export import plan_outputs

        plan = [f for f in plan_outputs(partial, self.formats) if f.analysis_free and f.format in ("png", "graphml")]
        workers = (1 if default_workers(partial, len(plan)) else 0) if self.workers is None else self.workers
        if self.pool is not None or not plan or not workers or not self.fork:
            return
        targets = [self.out / f.name for f in plan]
        if not self.force and any(p.exists() for p in targets):
            return
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError:
            return  # write_outputs reports it
        self.created = [p for p in targets if not p.exists()]
        try:
            self.pool = FigureWorkers(partial, workers, fork=True)
            self.futures = {f.name: self.pool.submit(f.name, p, self.force) for f, p in zip(plan, targets)}
        except Exception as exc:  # e.g. fork failing for memory: the files are then written the usual way
            log.warning("could not start the early figure worker (%s); drawing every file after the analysis", exc)
            if self.pool is not None:
                self.pool.close(cancel=True)
            self.pool, self.futures, self.created = None, {}, []

    def close(self, cancel: bool = False) -> None:
        if self.pool is not None:
            self.pool.close(cancel=cancel)

    def __enter__(self) -> "EarlyOutputs":
        return self

    def __exit__(self, exc_type, *_exc) -> None:
        self.close(cancel=exc_type is not None)
        if exc_type is not None:
            for path in self.created:
                path.unlink(missing_ok=True)


def write_planned(result, plan, targets, force, progress, should_stop, timings, workers, early=None) -> None:
    """:func:`core.export.write_outputs`'s writing step: ``plan`` (PlannedFile) to ``targets``: PNG figures
    in worker processes when ``workers`` says so, everything else here meanwhile, in plan order; files
    ``early`` (:class:`EarlyOutputs`) already started are waited for. Where workers are forked (the
    command line), this process then takes over the files no worker has started."""
    started = dict(early.futures) if early is not None else {}
    n_png = sum(item.format == "png" and item.name not in started for item in plan)
    if workers is None:
        workers = default_workers(result, n_png)
        if started and workers:
            workers -= 1  # the early worker is still drawing
    drawn: dict[Future, tuple] = {}
    done = 0

    def report(message: str) -> None:
        if progress is not None:
            progress(done / max(len(plan), 1), message)

    def write_here(item, path) -> None:
        nonlocal done
        check_stop(should_stop)
        report(f"Writing {item.name}")
        t0 = time.perf_counter()
        item.write(path, force)
        if timings is not None:
            timings[item.name] = time.perf_counter() - t0
        done += 1

    fork = early.fork if early is not None else fork_available()
    pool = FigureWorkers(result, workers, fork) if workers and n_png > 1 else None
    try:
        for item, path in zip(plan, targets):
            if item.name in started:
                drawn[started[item.name]] = (item, path)
        if pool is not None:
            for item, path in zip(plan, targets):
                if item.format == "png" and item.name not in started:
                    drawn[pool.submit(item.name, path, force)] = (item, path)
        for item, path in zip(plan, targets):
            if item.name not in started and (pool is None or item.format != "png"):
                write_here(item, path)
        # Files no worker has started yet are written here, from the end of the queue. Not in the window
        # (its workers are spawned): drawing holds the interpreter lock its event loop needs.
        for fut, (item, path) in reversed(list(drawn.items()) if fork else []):
            if fut.cancel():
                del drawn[fut]
                write_here(item, path)
        waiting = set(drawn)
        while waiting:
            check_stop(should_stop)
            finished, waiting = wait(waiting, timeout=0.2, return_when=FIRST_COMPLETED)
            for fut in finished:
                seconds = fut.result()  # a worker's error is raised here
                done += 1
                if timings is not None:
                    timings[drawn[fut][0].name] = seconds
                report(f"Drew {drawn[fut][0].name}")
    finally:
        if pool is not None:
            pool.close(cancel=True)
        if early is not None:
            early.close(cancel=True)
