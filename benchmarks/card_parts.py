"""The extra figures of a weights card, computed one part per process so that parts run side by side.

``main.py train ... --compare-uniform --leave-out X`` computes everything in one process, one part after the
other; on a 2-core machine that is an hour for iJO1366. This script runs the same steps (same functions, same
data, same seed, so the same numbers) as separate processes and merges them into the card:

    python benchmarks/card_parts.py uniform  --weights W --data D --out parts/uniform.json
    python benchmarks/card_parts.py leave-out EX_gal_e --weights W --data D --out parts/gal.json
    python benchmarks/card_parts.py faithfulness --weights W --data D --out parts/faith.json
    python benchmarks/card_parts.py seed 1 --weights W --data D --out parts/seed1.json [--other W1]
    python benchmarks/card_parts.py baselines --weights W --data D --out parts/baselines.json
    python benchmarks/card_parts.py merge parts/*.json --weights W

``seed`` trains the same model with another seed and measures whether glucose -> acetate importance shifts
agree between the two (Pearson correlation of the shift vectors; mean |shift| over mean |seed difference|).
``baselines`` recomputes the mean and MLP baselines (held out by combination, and on every carbon source the
card already leaves out) without retraining the graph model: for cards made before a baseline changed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _setup(args):
    from core.graph import build_graph, remove_currency
    from core.models import load_model
    from core.training.dataset import group_split, load_dataset
    from core.training.train import TrainConfig, training_inputs
    from core.training.weights import load_predictor

    model, card = load_predictor(args.weights)
    data = load_dataset(args.data)
    loaded = load_model(card.get("model_source") or card["model_id"])
    graph = remove_currency(build_graph(loaded.model))
    inputs = training_inputs(graph, data, loaded.model)
    train, test = group_split(data.groups, 0.2, int(card["data"]["seed"]))
    keys = TrainConfig.__dataclass_fields__
    config = TrainConfig(**{k: v for k, v in card["train"].items() if k in keys})
    return model, card, data, loaded, graph, inputs, train, test, config


def _shift(graph, model, card, loaded):
    from core.conditions import resolve_presets, solve_conditions
    from core.training.inference import trained_attention

    found = resolve_presets(loaded.model, names=["glucose", "acetate"])
    results = solve_conditions(loaded.model, [found["glucose"], found["acetate"]])
    att = trained_attention(graph, results, model, card)
    return att.importance


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("part", choices=["uniform", "leave-out", "faithfulness", "seed", "baselines", "merge"])
    p.add_argument("arg", nargs="*")
    p.add_argument("--weights", type=Path, required=True)
    p.add_argument("--data", type=Path)
    p.add_argument("--out", type=Path)
    p.add_argument("--other", type=Path,
                   help="seed: weights already trained with that seed (same data and settings) instead of training")
    args = p.parse_args(argv)
    if args.part == "merge":
        return _merge(args.weights, [Path(a) for a in args.arg])
    from core.training.evaluate import baseline_scores, model_scores
    from core.training.train import train_predictor

    model, card, data, loaded, graph, inputs, train, test, config = _setup(args)
    t0 = time.perf_counter()
    if args.part == "uniform":
        uniform, _ = train_predictor(inputs, data, train, replace(config, uniform=True))
        part = {"baselines": {"graph_uniform_attention": model_scores(uniform, inputs, test)}}
    elif args.part == "leave-out":
        from core.training.dataset import source_split

        part = {"leave_source_out": {}}
        for source in args.arg:
            tr, te = source_split(data.carbons, source)
            lo_model, _ = train_predictor(inputs, data, tr, config)
            part["leave_source_out"][source] = {
                "model": model_scores(lo_model, inputs, te),
                "mlp_medium": baseline_scores(data, inputs, tr, te, config.seed)["mlp_medium"]}
    elif args.part == "baselines":
        from core.training.dataset import source_split

        part = {"baselines": baseline_scores(data, inputs, train, test, config.seed), "leave_source_out": {}}
        for source, old in card.get("metrics", {}).get("leave_source_out", {}).items():
            tr, te = source_split(data.carbons, source)
            part["leave_source_out"][source] = {
                **old, "mlp_medium": baseline_scores(data, inputs, tr, te, config.seed)["mlp_medium"]}
    elif args.part == "faithfulness":
        from core.conditions import resolve_presets
        from core.training.command import faithfulness

        presets = [c for c in resolve_presets(loaded.model).values() if not isinstance(c, str)]
        part = {"faithfulness": faithfulness(model, graph, loaded.model, inputs, presets, deletions=True)}
    else:  # seed
        from core.analysis.shifts import DEFAULT_FLOOR, rank_by_relative_change

        seed = int(args.arg[0])
        if args.other:  # a state dict with its network settings as metadata "spec" (no card)
            from safetensors import safe_open
            from safetensors.torch import load_file

            from core.training.model import MetabolicPredictor

            state = load_file(args.other)
            with safe_open(args.other, "pt") as f:
                spec = json.loads(f.metadata()["spec"])
            if int(spec["n_nodes"]) != graph.n_nodes or spec != {**spec, **{k: model.spec[k] for k in spec
                                                                            if k != "growth_scale"}}:
                raise SystemExit(f"{args.other} has other network settings than {args.weights}")
            other = MetabolicPredictor.from_spec(spec, state["reaction_nodes"], state["exchange_nodes"])
            other.load_state_dict(state)
            other.eval()
        else:
            other, _ = train_predictor(inputs, data, train, replace(config, seed=seed))
        a = _shift(graph, model, card, loaded)
        b = _shift(graph, other, card, loaded)
        shift_a, shift_b = a[1] - a[0], b[1] - b[0]
        # The app's shift view ranks by relative change with a floor (core.analysis.shifts): compare that too.
        floor = DEFAULT_FLOOR / a.shape[1]
        rel_a, rel_b = (rank_by_relative_change(x[0], x[1], floor, 0)[0] for x in (a, b))
        part = {"seed_stability": {
            "relative_shift_correlation": float(np.corrcoef(rel_a, rel_b)[0, 1]),
            "seeds": [int(config.seed), seed], "held_out_other_seed": model_scores(other, inputs, test),
            "shift_correlation": float(np.corrcoef(shift_a, shift_b)[0, 1]),
            "shift_over_seed_noise": float(np.mean([np.abs(shift_a).mean(), np.abs(shift_b).mean()])
                                           / max(float(np.mean(np.abs(a - b))), 1e-30)),
            "importance_correlation": [float(np.corrcoef(a[i], b[i])[0, 1]) for i in range(2)]}}
    part["_seconds"] = {args.part: round(time.perf_counter() - t0, 1)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(part, indent=1))
    print(json.dumps(part, indent=1))
    return 0


def _merge(weights: Path, parts: list[Path]) -> int:
    from core.training.weights import load_predictor, save_predictor

    model, card = load_predictor(weights)
    metrics = card.setdefault("metrics", {})
    for path in parts:
        part = json.loads(path.read_text())
        part.pop("_seconds", None)
        for key, value in part.items():
            if isinstance(value, dict) and isinstance(metrics.get(key), dict):
                metrics[key].update(value)
            else:
                metrics[key] = value
    save_predictor(weights, model, card, overwrite=True)
    print(f"merged {len(parts)} parts into {weights}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
