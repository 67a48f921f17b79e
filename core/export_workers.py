"""Draw a run's PNG figures in worker processes while the caller writes the other files (issue 17).

Drawing and compressing the 300 DPI figures of a genome-scale run was two thirds of an export, one
figure after another on one core. :class:`FigureWorkers` starts worker processes (``spawn``: safe
from a process that runs Qt threads), hands each one the run's result once, then gives them figure
file names; each worker draws a name by :func:`core.export.plan_outputs`'s own entry for it, so a
figure drawn here is the same file the sequential path writes. The caller meanwhile writes the data
exports (JSON, HTML, GraphML, CSV) itself.

Shapes: none of its own; the result goes over a pipe once per worker (its cobra model left out).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

from core.errors import check_stop

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


def _init(result) -> None:
    global _result
    import matplotlib

    matplotlib.use("Agg")
    _result = result


def _draw(name: str, path: str, overwrite: bool) -> float:
    """In a worker: write the planned file ``name`` to ``path``; returns the seconds it took."""
    import time

    from core.export import plan_outputs

    t0 = time.perf_counter()
    item = next(p for p in plan_outputs(_result, ("png",)) if p.name == name)
    item.write(Path(path), overwrite)
    return time.perf_counter() - t0


class FigureWorkers:
    """A pool of figure-drawing processes for one export (a context manager)."""

    def __init__(self, result, workers: int):
        stripped = replace(result, loaded=replace(result.loaded, model=None)) if result.loaded is not None else result
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                         initializer=_init, initargs=(stripped,))

    def submit(self, name: str, path: Path, overwrite: bool) -> Future:
        return self._pool.submit(_draw, name, str(path), overwrite)

    def close(self, cancel: bool = False) -> None:
        """Wait for the figures being drawn (and, unless ``cancel``, the queued ones) and end the workers."""
        self._pool.shutdown(wait=True, cancel_futures=cancel)

    def __enter__(self) -> "FigureWorkers":
        return self

    def __exit__(self, exc_type, *_exc) -> None:
        self.close(cancel=exc_type is not None)


def write_planned(result, plan, targets, force, progress, should_stop, timings, workers) -> None:
    """:func:`core.export.write_outputs`'s writing step: ``plan`` (PlannedFile) to ``targets``: PNG figures in worker processes when ``workers`` says so (see
    :mod:`core.export_workers`), everything else here meanwhile, in plan order."""
    n_png = sum(item.format == "png" for item in plan)
    workers = default_workers(result, n_png) if workers is None else workers
    drawn: dict = {}
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

    pool = FigureWorkers(result, workers) if workers and n_png > 1 else None
    try:
        if pool is not None:
            drawn = {pool.submit(item.name, path, force): item for item, path in zip(plan, targets)
                     if item.format == "png"}
        for item, path in zip(plan, targets):
            if pool is None or item.format != "png":
                write_here(item, path)
        if pool is not None:
            from concurrent.futures import FIRST_COMPLETED, wait

            waiting = set(drawn)
            while waiting:
                check_stop(should_stop)
                finished, waiting = wait(waiting, timeout=0.2, return_when=FIRST_COMPLETED)
                for fut in finished:
                    seconds = fut.result()  # a worker's error is raised here
                    done += 1
                    if timings is not None:
                        timings[drawn[fut].name] = seconds
                    report(f"Drew {drawn[fut].name}")
    finally:
        if pool is not None:
            pool.close(cancel=True)
