"""Time the attention analysis (core.analysis.analyse) on iJO1366 and on a synthetic 22k-node graph.

Run from the repository root:  python benchmarks/bench_analysis.py [--repeat 3] [--skip-large]

iJO1366 uses real FBA for glucose, acetate and lactose and the real attention model
(core.attention.run_attention, 2 layers, 8 heads) when it is available, otherwise synthetic attention
of the same shape (random scores, softmax over each node's incoming edges). The 22k-node graph is
synthetic (9,000 metabolites, 13,000 reactions, heavy-tailed metabolite degrees). Prints per-analysis
seconds (the first, cold run includes importing scikit-learn/igraph), the total and the size of the
JSON summary. Budgets: iJO1366 under 3 s, 22k nodes under 15 s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

NAMES = ("glucose", "acetate", "lactose")


def _attention(graph, conds):
    from tests.core.analysis.synthetic import synthetic_attention

    try:
        from core.attention import run_attention  # noqa: F401
    except ImportError:
        return synthetic_attention(graph, tuple(c.name for c in conds), layers=2, heads=8), "synthetic"
    import torch

    from core.attention.result import AttentionConfig

    torch.set_num_threads(1)
    return run_attention(graph, list(conds), AttentionConfig(layers=2, heads=8)), "core.attention.run_attention"


def ijo_case():
    from core.conditions import resolve_conditions, solve_conditions
    from core.graph import build_graph, remove_currency
    from core.models import load_model

    model = load_model("iJO1366").model
    graph = remove_currency(build_graph(model))
    conds = solve_conditions(model, resolve_conditions(model, ",".join(NAMES)))
    conds = [c for c in conds if c.grows]
    attention, source = _attention(graph, conds)
    return graph, conds, attention, source


def large_case():
    from tests.core.analysis.synthetic import synthetic_attention, synthetic_conditions, synthetic_graph

    graph = synthetic_graph(9000, 13000, 80)
    return graph, synthetic_conditions(graph, NAMES), synthetic_attention(graph, NAMES, layers=2, heads=8), "synthetic"


def bench(label: str, case, repeat: int, budget: float) -> bool:
    from core.analysis import analyse

    graph, conds, attention, source = case
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        report = analyse(graph, conds, attention, top_k=20)
        runs.append((time.perf_counter() - start, report.timings))
    size = len(json.dumps(report.to_dict(), allow_nan=False).encode())
    print(f"\n{label}: {graph.n_nodes} nodes, {attention.n_edges} attention edges, "
          f"L={attention.n_layers} C={attention.n_conditions} H={attention.n_heads}, attention: {source}")
    steps = list(runs[0][1])
    header = f"{'analysis':<14}" + "".join(f"{'run ' + str(i + 1):>9}" for i in range(len(runs)))
    print(header)
    for step in steps:
        print(f"{step:<14}" + "".join(f"{t[step]:9.3f}" for _, t in runs))
    print(f"{'total':<14}" + "".join(f"{total:9.3f}" for total, _ in runs))
    warm = min(total for total, _ in runs[1:]) if len(runs) > 1 else runs[0][0]
    ok = warm < budget
    print(f"JSON summary: {size / 1e6:.2f} MB; best warm run {warm:.2f} s (budget {budget:.0f} s): "
          f"{'OK' if ok else 'OVER BUDGET'}")
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-large", action="store_true", help="only iJO1366")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    ok = bench("iJO1366", ijo_case(), args.repeat, 3.0)
    if not args.skip_large:
        ok = bench("synthetic 22k", large_case(), args.repeat, 15.0) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
