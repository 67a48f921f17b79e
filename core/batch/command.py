"""``metattn batch SPEC --out DIR``: check everything, then run on Dask with a progress bar.

Every problem a user can fix (SPEC syntax, an unknown model file or preset, a folder holding another
run, an unreachable scheduler) raises InputError before any work is submitted.
"""

from __future__ import annotations

import sys
from pathlib import Path

from core.errors import InputError

EXIT_OK, EXIT_INPUT, EXIT_INTERRUPTED = 0, 2, 130


def batch_command(spec_path: str | Path, out: str | Path, scheduler: str | None = None, workers: int | None = None,
                  overrides: dict | None = None, quiet: bool = False, stream=None) -> int:
    """Run the SPEC into ``out``; returns the exit code. ``overrides``: pfba, fluxes, chunk_size,
    time_limit given on the command line."""
    from core.batch.engine import check_address, connect, run_batch
    from core.batch.spec import load_spec, plan_batch
    from core.batch.store import ResultFolder
    from core.cli_progress import StopOnInterrupt, TerminalProgress

    stream = stream or sys.stdout
    if workers is not None and workers < 1:
        raise InputError(f"--workers must be at least 1 (got {workers})")
    if workers is not None and scheduler:
        raise InputError("--workers sizes a local cluster; with --scheduler the cluster's own workers are used")
    if scheduler:
        check_address(scheduler)
    spec = load_spec(spec_path, overrides)
    bar = TerminalProgress(enabled=not quiet)
    plan = plan_batch(spec, progress=lambda f, m: bar(0.0, m))
    done = ResultFolder(out, plan).finished()
    print(f"{spec_path}: {len(plan.models)} model(s), {plan.media_count} media in {len(plan.chunks)} chunks of up to "
          f"{spec.chunk_size}; {len(done)} chunks already in {out}", file=stream)
    if spec.options.weights:
        print("Predicted growth and importances from trained weights: "
              + "; ".join(f"{m.model}: {m.weights}" for m in plan.models), file=stream)
    if len(done) == len(plan.chunks):
        bar.finish()
        print(f"Nothing to do: every chunk is in {out}", file=stream)
        return EXIT_OK
    bar(0.0, "starting Dask" + (f" (scheduler {scheduler})" if scheduler else " (local cluster)"))
    client, cluster = connect(scheduler, workers)
    try:
        with StopOnInterrupt() as stop:
            summary = run_batch(plan, out, client, cluster, progress=bar, should_stop=stop, done=done)
    finally:
        bar.finish()
        client.close()
        if cluster is not None:
            cluster.close()
    counts = ", ".join(f"{n} {s}" for s, n in sorted(summary.status_counts.items())) or "none"
    print(f"Ran on {summary.where}: {summary.computed} chunks ({summary.media_computed} media) in "
          f"{summary.seconds:.1f} s, {summary.media_per_second:.1f} media/s; {summary.skipped} chunks were already "
          f"done. Solver status: {counts}.", file=stream)
    if summary.stopped:
        print(f"metattn: stopped (Ctrl-C); {summary.skipped + summary.computed} of {summary.chunks} chunks are kept in "
              f"{out}; run the same command again to compute the rest", file=sys.stderr)
        return EXIT_INTERRUPTED
    if summary.failed:
        reasons = sorted({reason for _i, reason in summary.failed})
        print(f"metattn: error: {len(summary.failed)} chunk(s) failed on the workers (rerun to retry them; the rest "
              f"is kept in {out}): {reasons[0]}" + (f" (and {len(reasons) - 1} other reasons)" if len(reasons) > 1 else ""),
              file=sys.stderr)
        return EXIT_INPUT
    print(f"Wrote {out}/growth.csv (growth per model and medium), {out}/chunks/*.parquet (every column) and "
          f"{out}/manifest.json (what was run)", file=stream)
    return EXIT_OK
