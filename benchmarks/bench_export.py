"""Time every export of a genome-scale run: iJO1366, three conditions, all formats.

Run from the repository root:  python benchmarks/bench_export.py [--model iJO1366] [--repeat 1] [--keep DIR]

Runs the real pipeline (load, FBA for glucose/acetate/lactose, attention with 2 layers and 8 heads,
analysis) once, then core.export.write_outputs into a fresh folder, and prints seconds and size per
file, per format and in total (wall clock; the CPU time of the whole write is printed beside it, a
fairer figure when other programs share the machine). Budget: everything written in under 30 s; every HTML file under 20 MB.
Exits 1 when a budget is missed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BUDGET_SECONDS = 30.0
HTML_BUDGET_BYTES = 20_000_000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="iJO1366")
    parser.add_argument("--conditions", default="glucose,acetate,lactose")
    parser.add_argument("--repeat", type=int, default=1, help="write the outputs this many times (fresh folder each)")
    parser.add_argument("--keep", type=Path, help="write into this folder and keep it (default: a temporary one)")
    args = parser.parse_args(argv)

    import torch

    from core.export import plan_outputs, write_outputs
    from core.pipeline import RunSettings, run_pipeline

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    result = run_pipeline(RunSettings(model=args.model, conditions=tuple(args.conditions.split(","))))
    print(f"pipeline: {time.perf_counter() - t0:.2f} s  ({', '.join(f'{k} {v:.2f}' for k, v in result.timings.items())})")
    att = result.attention
    print(f"graph: {result.graph.n_nodes} nodes, {result.graph.n_edges} edges; attention {att.n_layers} layers x "
          f"{att.n_heads} heads x {att.n_edges} edges x {att.n_conditions} conditions")
    formats = {f.name: f.format for f in plan_outputs(result)}

    ok = True
    for rep in range(args.repeat):
        if args.keep:
            out = args.keep
            shutil.rmtree(out, ignore_errors=True)
        else:
            out = Path(tempfile.mkdtemp(prefix="metattn-bench-export-"))
        timings: dict[str, float] = {}
        t0, c0 = time.perf_counter(), time.process_time()
        paths = write_outputs(result, out, timings=timings)
        total, cpu = time.perf_counter() - t0, time.process_time() - c0
        per_format: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
        print(f"\nrun {rep + 1}: {len(paths)} files in {total:.2f} s wall, {cpu:.2f} s CPU -> {out}")
        print(f"  {'file':<40} {'s':>6} {'MB':>7}")
        for path in paths:
            size = path.stat().st_size
            fmt = formats[path.name]
            per_format[fmt][0] += timings[path.name]
            per_format[fmt][1] += size
            per_format[fmt][2] += 1
            print(f"  {path.name:<40} {timings[path.name]:6.2f} {size / 1e6:7.2f}")
            if path.suffix == ".html" and size >= HTML_BUDGET_BYTES:
                print(f"  OVER BUDGET: {path.name} is {size / 1e6:.1f} MB (budget 20 MB)")
                ok = False
        print(f"  {'format':<10} {'files':>5} {'s':>7} {'MB':>8}")
        for fmt, (secs, size, count) in per_format.items():
            print(f"  {fmt:<10} {count:5d} {secs:7.2f} {size / 1e6:8.2f}")
        print(f"  {'total':<10} {len(paths):5d} {total:7.2f} {sum(p.stat().st_size for p in paths) / 1e6:8.2f}"
              f"   (budget {BUDGET_SECONDS:.0f} s)")
        if total >= BUDGET_SECONDS:
            print(f"  OVER BUDGET: {total:.1f} s")
            ok = False
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
