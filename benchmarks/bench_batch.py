"""Batch FBA throughput: random media on iJO1366, a plain COBRApy loop vs `metattn batch` on 1 and 2 workers.

Run from the repository root:  python benchmarks/bench_batch.py [--media 2000] [--chunk-size 200] [--model iJO1366]

The media are drawn once (core.training.media.sample_media, seed 0) and the same list is solved three ways:

- plain:     one process, a loop of ``with model:`` + bounds on every boundary reaction + ``slim_optimize``
             (GLPK), the way a COBRApy user would write it;
- 1 worker:  core.batch on a LocalCluster of 1 process (1 thread), chunks of --chunk-size, results written
             to Parquet as they arrive;
- 2 workers: the same on 2 processes.

The media are cut into --rounds slices; each round solves its slice all three ways, in a rotating order,
so that on a shared machine the three see the same background load (the load average is printed per
round). Both clusters are started once, before round 1, and stay up: each worker loads the model during
its first chunk, which counts in round 1. Batch times run from the first submission to the last chunk
written (Parquet writes included). Totals over all rounds give the figures; the per-round ratios show how
much the machine's other work moved them.

Targets (issue 15): 2 workers >= 1.7x the media/s of 1 worker; 1 worker within 1.2x of the plain loop.
Exits 1 when a target is missed.
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--media", type=int, default=2000)
    parser.add_argument("--chunk-size", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5, help="slices of the media, each solved all three ways")
    parser.add_argument("--model", default="iJO1366")
    parser.add_argument("--time-limit", type=float, default=2.0)
    args = parser.parse_args(argv)

    import dataclasses

    import numpy as np

    from core.batch.engine import connect, run_batch
    from core.batch.spec import load_spec, plan_batch
    from core.batch.store import read_results
    from core.models import load_model

    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    clusters = []
    try:
        spec = tmp / "spec.csv"
        spec.write_text(f"model,media\n{args.model},random:{args.media}:0\n", encoding="utf-8")
        t0 = time.perf_counter()
        plan = plan_batch(load_spec(spec, {"chunk_size": args.chunk_size, "time_limit": args.time_limit}))
        print(f"{args.model}: {plan.media_count} random media in {len(plan.chunks)} chunks of {args.chunk_size}, "
              f"{args.rounds} rounds; planned in {time.perf_counter() - t0:.1f} s (model load, finding sources, "
              f"sampling). {os.cpu_count()} cores, load average {_load()} (1/5/15 min)", flush=True)
        model = load_model(args.model).model
        model.solver.configuration.timeout = max(1, int(np.ceil(args.time_limit)))
        model.slim_optimize()  # the first solve builds the problem: not part of the loop's time

        import logging

        # Two clusters overlap here; each restores Dask's log handlers when it closes, so quieten them for good.
        for handler in logging.getLogger("distributed").handlers:
            handler.setLevel(logging.ERROR)
        started = {}
        for workers in (1, 2):
            t0 = time.perf_counter()
            client, cluster = connect(workers=workers)
            client.wait_for_workers(workers)
            started[workers] = time.perf_counter() - t0
            clusters.append((client, cluster))
        print(f"cluster start: 1 worker {started[1]:.1f} s, 2 workers {started[2]:.1f} s", flush=True)

        per_round = max(1, len(plan.chunks) // args.rounds)
        slices = [plan.chunks[i:i + per_round] for i in range(0, len(plan.chunks), per_round)]
        seconds = {"plain": 0.0, 1: 0.0, 2: 0.0}
        plain_growth: dict[str, float] = {}
        print("\n| round | media | plain media/s | 1 worker media/s | 2 workers media/s | 2w/1w | plain/1w | load avg |")
        print("|---:|---:|---:|---:|---:|---:|---:|---|")
        for r, chunks in enumerate(slices):
            media = [c for chunk in chunks for c in chunk.media]
            sub = dataclasses.replace(plan, chunks=tuple(dataclasses.replace(c, index=k) for k, c in enumerate(chunks)),
                                      key=f"{plan.key}-{r}")
            took = {}
            order = [("plain", None), (1, clusters[0]), (2, clusters[1])]
            order = order[r % 3:] + order[:r % 3]
            for name, pair in order:
                if name == "plain":
                    took[name], growth = plain_loop(model, media)
                    plain_growth.update(zip((m.name for m in media), growth))
                else:
                    summary = run_batch(sub, tmp / f"w{name}-r{r}", pair[0], pair[1])
                    assert summary.complete and not summary.failed, summary
                    took[name] = summary.seconds
                seconds[name] += took[name]
            n = len(media)
            print(f"| {r + 1} | {n} | {n / took['plain']:.1f} | {n / took[1]:.1f} | {n / took[2]:.1f} | "
                  f"{took[1] / took[2]:.2f} | {took[1] / took['plain']:.2f} | {_load()} |", flush=True)

        for workers in (1, 2):
            frames = [read_results(tmp / f"w{workers}-r{r}") for r in range(len(slices))]
            got = {m: g for f in frames for m, g in zip(f["medium"], f["growth"])}
            want = {m: max(0.0, float(np.nan_to_num(g))) for m, g in plain_growth.items()}
            assert got.keys() == want.keys() and all(abs(got[m] - want[m]) < 1e-6 for m in want), \
                f"{workers} workers disagree with the plain loop"

        total = plan.media_count
        print(f"\n| run ({total} media) | time | media/s |")
        print("|---|---:|---:|")
        for name, label in (("plain", "plain COBRApy loop (slim_optimize, GLPK)"), (1, "batch, 1 worker"),
                            (2, "batch, 2 workers")):
            print(f"| {label} | {seconds[name]:.1f} s | {total / seconds[name]:.1f} |")
        speedup = seconds[1] / seconds[2]
        vs_plain = seconds[1] / seconds["plain"]
        infeasible = int(np.isnan(np.array(list(plain_growth.values()), dtype=float)).sum())
        print(f"\n2 workers vs 1 worker: {speedup:.2f}x faster (target >= 1.7)")
        print(f"1 worker vs plain loop: {vs_plain:.2f}x the time (target <= 1.2)")
        print(f"every batch growth equals the plain loop's ({total} media, {infeasible} infeasible); "
              f"load average at the end {_load()}")
        return 0 if speedup >= 1.7 and vs_plain <= 1.2 else 1
    finally:
        for client, cluster in clusters:
            client.close()
            cluster.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
