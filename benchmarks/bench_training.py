"""Benchmark of the trained attention model (issue 14): data time, training time, held-out scores beside the
baselines, faithfulness, and whether glucose -> acetate shifts are stable across training seeds.

    python benchmarks/bench_training.py --model textbook --media 3000
    python benchmarks/bench_training.py --model iJO1366 --data ijo.npz --seeds 0,1 --max-minutes 15

Prints one table per seed and the seed-stability figures:
    shift correlation   Pearson correlation of the two seeds' glucose -> acetate importance shift vectors
                        (target >= 0.7)
    shift / seed noise  mean |shift| divided by mean |difference between seeds| in the same medium
                        (> 1: the media differ more than the seeds)
Figures measured on the shared 2-core machine are in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _row(name: str, m: dict) -> str:
    f = lambda v: "   –  " if v is None else f"{v:6.3f}"  # noqa: E731
    return f"  {name:<28} growth R² {f(m.get('growth_r2'))}  flux R² {f(m.get('flux_r2'))}  AUROC {f(m.get('grows_auroc'))}"


def main(argv=None) -> int:
    from core.conditions import resolve_presets
    from core.graph import build_graph, remove_currency
    from core.models import load_model
    from core.pipeline import RunSettings, prepare
    from core.training.command import train_and_evaluate
    from core.training.inference import trained_attention
    from core.training.train import TrainConfig

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="textbook")
    p.add_argument("--media", type=int, default=3000)
    p.add_argument("--data", type=Path, help="training data saved by 'main.py train --save-data'")
    p.add_argument("--seeds", default="0,1")
    p.add_argument("--max-minutes", type=float, default=15.0)
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--uniform", action="store_true", help="also train the no-attention baseline")
    args = p.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    data_path = args.data
    shifts = []
    per_medium = []
    for seed in seeds:
        config = TrainConfig(seed=seed, epochs=args.epochs, max_seconds=args.max_minutes * 60)
        save = None
        if data_path is None:
            save = Path(f"bench_training_{args.model}_{args.media}.npz")
        t0 = time.perf_counter()
        model, card = train_and_evaluate(args.model, args.media, 0, config, data_path, save, args.uniform,
                                         deletions=True, log=lambda line: print("  " + line, flush=True))
        data_path = data_path or save  # the same media for every seed
        m = card["metrics"]
        print(f"\nseed {seed}: data {card['data']['media']} media solved in {card['data']['solve_seconds']} s; "
              f"training {card['train']['seconds']} s ({card['train']['epochs_run']} epochs); "
              f"total {time.perf_counter() - t0:.0f} s")
        print(_row("trained attention model", m["held_out"]))
        for name, scores in m.get("baselines", {}).items():
            print(_row(name, scores))
        faith = m.get("faithfulness", {})
        for key in ("mask_top_1pct", "mask_top_5pct"):
            if key in faith:
                d = faith[key]
                print(f"  {key}: |Δ growth| attention {d['attention']:.4f}, degree {d['degree']:.4f}, "
                      f"random {d['random']:.4f} 1/h")
        for d in faith.get("deletion", []):
            print(f"  deletion Spearman on {d['medium']}: importance {d['spearman_importance']:.3f}, "
                  f"degree {d['spearman_degree']:.3f}")
        loaded = load_model(args.model)
        graph = remove_currency(build_graph(loaded.model))
        found = resolve_presets(loaded.model, names=["glucose", "acetate"])
        conds = [c for c in found.values() if not isinstance(c, str)]
        if len(conds) == 2:
            _l, g, _c, results, _t, _n = prepare(RunSettings(model=args.model), conditions=conds)
            att = trained_attention(g, results, model, card)
            per_medium.append(att.importance)
            shifts.append(att.importance[1] - att.importance[0])
    if len(shifts) >= 2:
        corr = float(np.corrcoef(shifts[0], shifts[1])[0, 1])
        shift = float(np.mean([np.abs(s).mean() for s in shifts]))
        noise = float(np.mean(np.abs(per_medium[0] - per_medium[1])))
        print(f"\nglucose -> acetate shift correlation between seeds {seeds[0]} and {seeds[1]}: {corr:.3f} "
              f"(target >= 0.7); mean |shift| / mean |seed difference| = {shift / max(noise, 1e-30):.2f} "
              "(> 1: media differ more than seeds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
