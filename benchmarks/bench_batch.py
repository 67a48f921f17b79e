"""Batch FBA throughput: random media on iJO1366, a plain COBRApy loop vs `metattn batch` on 1 and 2 workers.

Run from the repository root:  python benchmarks/bench_batch.py [--media 2000] [--chunk-size 200] [--model iJO1366]

The media are drawn once (core.training.media.sample_media, seed 0) and the same list is solved three ways:

- plain:     one process, a loop of ``with model:`` + bounds on every boundary reaction + ``slim_optimize``
             (GLPK), the way a COBRApy user would write it;
- 1 worker:  core.batch on a LocalCluster of 1 process (1 thread), chunks of --chunk-size, results written
             to Parquet as they arrive;
- 2 workers: the same on 2 processes.

Batch times run from the first submission to the last chunk written: they include each worker loading the
model (once per worker) and every Parquet write, but not starting the cluster (printed separately).
Targets (issue 15): 2 workers >= 1.7x the media/s of 1 worker; 1 worker >= 1/1.2 of the plain loop's.
Exits 1 when a target is missed. The machine's load average is printed beside the figures: on a shared
machine other work takes cores and the ratios fall.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _load() -> str:
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def plain_loop(model, media) -> tuple[float, list[float]]:
    start = time.perf_counter()
    growth = []
    for medium in media:
        with model:
            for rxn in model.boundary:
                rxn.bounds = medium.bounds.get(rxn.id, (0.0, max(rxn.upper_bound, 0.0)))
            growth.append(model.slim_optimize(error_value=float("nan")))
    return time.perf_counter() - start, growth


def batch(plan, workers: int, out: Path):
    from core.batch.engine import connect, run_batch

    t0 = time.perf_counter()
    client, cluster = connect(workers=workers)
    client.wait_for_workers(workers)
    started = time.perf_counter() - t0
    try:
        summary = run_batch(plan, out, client, cluster)
    finally:
        client.close()
        cluster.close()
    return started, summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--media", type=int, default=2000)
    parser.add_argument("--chunk-size", type=int, default=200)
    parser.add_argument("--model", default="iJO1366")
    parser.add_argument("--time-limit", type=float, default=2.0)
    args = parser.parse_args(argv)

    import numpy as np

    from core.batch.spec import load_spec, plan_batch
    from core.batch.store import read_results
    from core.models import load_model

    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        spec = tmp / "spec.csv"
        spec.write_text(f"model,media\n{args.model},random:{args.media}:0\n", encoding="utf-8")
        t0 = time.perf_counter()
        plan = plan_batch(load_spec(spec, {"chunk_size": args.chunk_size, "time_limit": args.time_limit}))
        print(f"{args.model}: {plan.media_count} random media in {len(plan.chunks)} chunks of {args.chunk_size}; "
              f"planned in {time.perf_counter() - t0:.1f} s (model load + finding sources + sampling). "
              f"{os.cpu_count()} cores, load average {_load()} (1/5/15 min)")
        media = [c for chunk in plan.chunks for c in chunk.media]
        model = load_model(args.model).model
        model.solver.configuration.timeout = max(1, int(np.ceil(args.time_limit)))
        model.slim_optimize()  # the first solve builds the problem: not part of the loop's time

        rows = []
        plain_s, plain_growth = plain_loop(model, media)
        rows.append(("plain COBRApy loop", 0.0, plain_s, len(media) / plain_s, _load()))
        print(f"  plain loop: {plain_s:.1f} s", flush=True)
        results = {}
        for workers in (1, 2):
            started, summary = batch(plan, workers, tmp / f"out{workers}")
            assert summary.complete and not summary.failed, summary
            rows.append((f"batch, {workers} worker{'s' if workers > 1 else ''}", started, summary.seconds,
                         summary.media_per_second, _load()))
            results[workers] = read_results(tmp / f"out{workers}")
            print(f"  {workers} worker(s): {summary.seconds:.1f} s", flush=True)

        growth = np.nan_to_num(np.array(plain_growth, dtype=float))
        for workers, frame in results.items():
            got = frame.set_index("medium").loc[[m.name for m in media], "growth"].to_numpy()
            assert np.allclose(got, np.maximum(growth, 0.0), atol=1e-6), f"{workers} workers disagree with the loop"

        print(f"\n| run | cluster start | time | media/s | load average after |")
        print("|---|---:|---:|---:|---|")
        for name, started, seconds, rate, load in rows:
            print(f"| {name} | {started:.1f} s | {seconds:.1f} s | {rate:.1f} | {load} |")
        speedup = rows[2][3] / rows[1][3]
        vs_plain = rows[0][3] / rows[1][3]
        print(f"\n2 workers / 1 worker: {speedup:.2f}x (target >= 1.7)")
        print(f"plain loop / 1 worker: {vs_plain:.2f}x slower (target <= 1.2)")
        print(f"every batch growth equals the plain loop's ({len(media)} media, "
              f"{int(np.isnan(np.array(plain_growth)).sum())} infeasible)")
        return 0 if speedup >= 1.7 and vs_plain <= 1.2 else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
