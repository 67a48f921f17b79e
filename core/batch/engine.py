"""Running a batch plan on Dask (dask.distributed): a LocalCluster by default, or an existing cluster.

Why it looks like this (COBRApy, optlang and micom trackers): GLPK is not thread-safe, so workers are
processes with one thread each; unpickling a COBRApy model rebuilds its solver (~1.2 s for iJO1366), so
each worker loads a model by path once (:func:`core.batch.work.run_chunk` keeps it) and tasks carry only
media; many small tasks are slower than one process, so media go in chunks of a few hundred.

Results come back to this process, which alone writes the results folder (:mod:`core.batch.store`): the
workers need not share a filesystem with it. A worker that dies has its chunk rerun elsewhere by the
scheduler; ``should_stop()`` (Ctrl-C) cancels what is not finished and keeps what is.
"""

from __future__ import annotations

import logging
import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from core.batch.spec import BatchPlan, Chunk
from core.batch.store import ResultFolder
from core.batch.work import MediaTable, WorkOptions, run_chunk
from core.conditions import Condition
from core.errors import InputError, check_stop

CONNECT_TIMEOUT = 10.0  # seconds to reach a scheduler before "cannot reach" (Dask retries until then)


@dataclass(frozen=True)
class BatchSummary:
    """What a batch run did. ``failed`` lists (chunk index, reason) of chunks that raised on a worker."""

    out: str
    chunks: int
    skipped: int  # finished by an earlier run into the same folder
    computed: int
    media_computed: int
    seconds: float  # wall time from the first submission to the last result
    stopped: bool  # should_stop() ended the run early
    complete: bool  # every chunk of the plan is in the folder
    failed: tuple[tuple[int, str], ...]
    status_counts: dict
    where: str

    @property
    def media_per_second(self) -> float:
        return self.media_computed / self.seconds if self.seconds > 0 else 0.0


def _where(client, cluster) -> str:
    workers = client.scheduler_info().get("workers", {})
    threads = sum(int(w.get("nthreads", 1)) for w in workers.values())
    kind = "local cluster" if cluster is not None else f"scheduler {client.scheduler.address}"
    return f"{kind}, {len(workers)} workers, {threads} threads"


def check_address(scheduler: str) -> None:
    """InputError unless ``scheduler`` reads as a Dask address (``[tcp://]host:port``)."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        protocol, location = parse_address(scheduler)
        parse_host_port(location)
    except (ValueError, TypeError) as exc:
        raise InputError(f"--scheduler {scheduler}: not a Dask scheduler address ({exc}); "
                         "expected e.g. tcp://10.0.0.5:8786") from None
    if protocol not in ("tcp", "tls", "ws", "wss", "ucx"):
        raise InputError(f"--scheduler {scheduler}: unknown protocol '{protocol}' (use tcp://, tls://, ws:// or wss://)")


def connect(scheduler: str | None = None, workers: int | None = None, timeout: float | None = None):
    """``(client, cluster)``: a client of the scheduler at ``scheduler``, or of a new LocalCluster of
    ``workers`` processes with one thread each (default: as many as cores); cluster is None for a
    scheduler. Raises InputError when the scheduler cannot be reached."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        check_address(scheduler)
        timeout = timeout or CONNECT_TIMEOUT
        try:
            with dask.config.set({"distributed.comm.timeouts.connect": f"{timeout}s"}):
                client = Client(scheduler, timeout=f"{timeout}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"--scheduler {scheduler}: cannot reach a Dask scheduler there ({reason[:160]})") from None
        return client, None
    n = workers or os.cpu_count() or 1
    if n < 1:
        raise InputError(f"--workers must be at least 1 (got {n})")
    # Ctrl-C in a terminal reaches the whole process group: worker processes started while SIGINT is
    # ignored keep ignoring it, so only this process sees it and stops the run in order.
    previous = None
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: leave signals alone
        pass
    try:
        # no dashboard; its HTTP server on any free port (the default 8787 warns when another cluster has it)
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                               scheduler_kwargs={"dashboard": False}, silence_logs=logging.ERROR)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    return Client(cluster, set_as_default=False), cluster


def _time_text(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def run_batch(plan: BatchPlan, out: str | Path, client, cluster=None,
              progress: Callable[[float, str], None] | None = None,
              should_stop: Callable[[], bool] | None = None,
              on_chunk: Callable[[Chunk, MediaTable], None] | None = None,
              done: set[int] | None = None) -> BatchSummary:
    """Compute every chunk of ``plan`` not yet in ``out`` on ``client``'s workers, writing each as it finishes.

    ``done``: chunks already finished, from :meth:`ResultFolder.finished` (checked here when not given).
    ``on_chunk(chunk, table)`` is called after each chunk is written. Raises InputError when ``out``
    holds another plan's results.
    """
    from distributed import as_completed

    folder = ResultFolder(out, plan)
    done = folder.finished() if done is None else set(done)
    where = _where(client, cluster)
    folder.start(done, where)
    todo = [c for c in plan.chunks if c.index not in done]
    total_media = sum(len(c.media) for c in todo)
    start = time.perf_counter()
    run_id = uuid.uuid4().hex[:12]
    pending = {}
    for chunk in todo:
        future = client.submit(run_chunk, chunk.source, chunk.media, chunk.options, pure=False, retries=1,
                               key=f"metattn-chunk-{chunk.index:05d}-{run_id}")
        pending[future] = chunk
    computed = media_done = 0
    failed: list[tuple[int, str]] = []
    counts: dict[str, int] = {}
    stopped = False

    def report():
        if not progress:
            return
        elapsed = time.perf_counter() - start
        rate = media_done / elapsed if elapsed > 0 else 0.0
        left = f", {_time_text((total_media - media_done) / rate)} left" if rate > 0 and media_done < total_media else ""
        finished = len(done) + computed
        progress(finished / max(len(plan.chunks), 1),
                 f"chunks {finished}/{len(plan.chunks)}, {rate:.1f} media/s{left}")

    report()
    ready = as_completed(list(pending), loop=client.loop)
    try:
        while pending:
            if should_stop is not None and should_stop():
                stopped = True
                break
            finished = ready.next_batch(block=False)
            if not finished:
                time.sleep(0.1)  # polled, so that should_stop() is seen while a chunk runs
                continue
            for future in finished:
                if should_stop is not None and should_stop():  # seen between chunks of one batch too
                    stopped = True
                    break
                chunk = pending.pop(future, None)
                if chunk is None:  # reported twice (finished, lost with its worker, finished again)
                    continue
                try:
                    # A result lost with its worker after finishing is recomputed by the scheduler;
                    # result() waits for that rather than reporting the chunk as failed.
                    table = future.result()
                except Exception as exc:  # raised by the task on a worker (after a retry), or KilledWorker
                    failed.append((chunk.index, f"{type(exc).__name__}: {exc}".splitlines()[0][:300]))
                    continue
                future.release()
                folder.write_chunk(chunk, table)
                computed += 1
                media_done += len(table)
                for s in table.status:
                    counts[s] = counts.get(s, 0) + 1
                if on_chunk is not None:
                    on_chunk(chunk, table)
                report()
            if stopped:
                break
    finally:
        if pending:
            client.cancel(list(pending))
    seconds = time.perf_counter() - start
    complete = folder.finish() is not None
    return BatchSummary(str(out), len(plan.chunks), len(done), computed, media_done, seconds, stopped, complete,
                        tuple(failed), counts, where)


def run_spec(spec, out: str | Path, scheduler: str | None = None, workers: int | None = None,
             progress: Callable[[float, str], None] | None = None,
             should_stop: Callable[[], bool] | None = None) -> BatchSummary:
    """The whole batch for a caller without a terminal (the window): plan ``spec`` (a
    :class:`core.batch.spec.BatchSpec`), check ``out``, connect, run, disconnect. InputError for
    anything the user can fix, before any work is submitted."""
    from core.batch.spec import plan_batch

    plan = plan_batch(spec, progress=(lambda f, m: progress(0.0, m)) if progress else None, should_stop=should_stop)
    done = ResultFolder(out, plan).finished()
    if progress:
        progress(0.0, "starting Dask" + (f" (scheduler {scheduler})" if scheduler else " (local cluster)"))
    client, cluster = connect(scheduler, workers)
    try:
        return run_batch(plan, out, client, cluster, progress=progress, should_stop=should_stop, done=done)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def solve_chunks(model_source: str, chunks: Sequence[Sequence[Condition]], options: WorkOptions,
                 client=None, scheduler: str | None = None, workers: int | None = None,
                 progress: Callable[[float, str], None] | None = None,
                 should_stop: Callable[[], bool] | None = None) -> list[MediaTable]:
    """:func:`core.batch.work.run_chunk` over every chunk of media on Dask, kept in memory (no folder):
    the tables in chunk order. Uses ``client`` if given, else connects to ``scheduler`` or starts a
    LocalCluster of ``workers`` processes for the call. Raises Cancelled when ``should_stop()``; a chunk
    that fails on a worker raises its error here."""
    from distributed import as_completed

    own = client is None
    cluster = None
    if own:
        client, cluster = connect(scheduler, workers)
    try:
        futures = {client.submit(run_chunk, model_source, list(part), options, pure=False, retries=1): i
                   for i, part in enumerate(chunks)}
        ready = as_completed(list(futures), loop=client.loop)
        tables: dict[int, MediaTable] = {}
        try:
            while len(tables) < len(futures):
                check_stop(should_stop)
                finished = ready.next_batch(block=False)
                if not finished:
                    time.sleep(0.1)
                    continue
                for future in finished:
                    tables[futures[future]] = future.result()
                    future.release()
                if progress:
                    progress(len(tables) / len(futures), f"solved {sum(len(t) for t in tables.values())} media "
                                                         f"({len(tables)}/{len(futures)} chunks)")
        finally:
            client.cancel([f for f, i in futures.items() if i not in tables])
        return [tables[i] for i in range(len(futures))]
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()
