"""``main.py train``: simulate media, train, evaluate on held-out media beside baselines, save weights + card.

The whole recipe is one function, :func:`train_and_evaluate`, so the CLI, the shipped-weights script and the
tests run the same steps:

1. media sampled from the model (:mod:`core.training.media`), solved with FBA + pFBA (:mod:`.dataset`);
2. media split by carbon-source combination: 20 % of the combinations are held out for testing;
3. the multi-task model trained on the rest (:mod:`.train`), with early stopping on a slice of it;
4. held-out scores for it and for the baselines — mean, an MLP on the medium vector and, when asked, the
   same graph model with uniform neighbour weights; optionally whole carbon sources left out;
5. faithfulness on the model's presets: masking the most attended nodes against random and high-degree
   nodes, and importance against the growth cost of deleting each reaction;
6. weights and card written atomically.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from core.errors import InputError, check_stop


def _stage(progress, start: float, width: float):
    if progress is None:
        return None
    return lambda f, m: progress(start + width * max(0.0, min(1.0, f)), m)


def faithfulness(model, graph, loaded_model, inputs, presets: Sequence, fractions=(0.01, 0.05),
                 deletions: bool = True) -> dict:
    """Masking and deletion checks of trained ``model`` on the preset media ``presets`` (Conditions)."""
    import torch
    from scipy.stats import spearmanr

    from core.training.evaluate import mask_drop, predict
    from core.training.model import exchange_index, medium_features

    medium = torch.from_numpy(medium_features(graph, presets, exchange_index(graph)))
    preset_inputs = replace(inputs, medium=medium)
    idx = np.arange(len(presets))
    degree = np.asarray(graph.degree, dtype=np.float64)
    out: dict = {"media": [p.name for p in presets]}
    for fraction in fractions:
        out[f"mask_top_{int(round(fraction * 100))}pct"] = mask_drop(model, preset_inputs, idx, fraction, degree)
    if deletions:
        from cobra.flux_analysis import single_reaction_deletion

        from core.conditions.fba import apply_medium

        importance = predict(model, preset_inputs, idx)["importance"]
        rx = {rid: i for i, rid in enumerate(graph.node_ids)}
        per = []
        for c, cond in enumerate(presets):
            with loaded_model:
                apply_medium(loaded_model, cond)
                wild = loaded_model.slim_optimize(error_value=float("nan"))
                if not np.isfinite(wild) or wild <= 1e-6:
                    continue
                table = single_reaction_deletion(loaded_model, processes=1)
            ids = [next(iter(s)) for s in table["ids"]]
            growth = np.nan_to_num(table["growth"].to_numpy(dtype=float), nan=0.0)
            loss = np.clip(1.0 - growth / wild, 0.0, 1.0)
            nodes = np.array([rx[r] for r in ids if r in rx])
            loss = np.array([lv for r, lv in zip(ids, loss) if r in rx])
            per.append({"medium": cond.name,
                        "spearman_importance": float(spearmanr(importance[c, nodes], loss).statistic),
                        "spearman_degree": float(spearmanr(degree[nodes], loss).statistic),
                        "essential_reactions": int((loss > 0.99).sum())})
        out["deletion"] = per
    return out


HELD_OUT_POINTS = 500  # at most this many held-out media in the card's scatter points


def held_out_points(model, inputs, test: np.ndarray, limit: int = HELD_OUT_POINTS) -> dict:
    """FBA and predicted growth (1/h) of held-out media ``test`` (at most ``limit``, evenly spaced)."""
    from core.training.evaluate import predict

    test = np.asarray(test)
    if len(test) > limit:
        test = test[np.linspace(0, len(test) - 1, limit).round().astype(np.int64)]
    predicted = predict(model, inputs, test)["growth"] if len(test) else np.zeros(0)
    return {"fba": [round(float(v), 6) for v in inputs.growth.numpy()[test]],
            "predicted": [round(float(v), 6) for v in predicted], "media": int(len(test))}


def train_and_evaluate(model_source: str, media: int = 2000, seed: int = 0, config=None,
                       data_path: str | Path | None = None, save_data: str | Path | None = None,
                       compare_uniform: bool = False, leave_out: Sequence[str] = (),
                       processes: int = 2, deletions: bool = True, init: str | Path | None = None,
                       compare_scratch: bool = False,
                       progress: Callable[[float, str], None] | None = None,
                       should_stop: Callable[[], bool] | None = None, log: Callable[[str], None] = print,
                       on_epoch: Callable[[list], None] | None = None):
    """Returns ``(model, card)``; the card holds the data recipe, settings and every measured figure.

    ``on_epoch``: called with the training history so far after every epoch of the main model (live curves).
    ``init``: weights of another model sharing its identifiers to fine-tune from (:mod:`.transfer`);
    ``compare_scratch``: with ``init``, also train from scratch on the same data and budget, as a baseline.
    ``card["metrics"]["held_out_points"]``: FBA and predicted growth (1/h) of up to
    :data:`HELD_OUT_POINTS` held-out media (an evenly spaced subset when there are more), for a scatter plot.
    """
    from core.conditions import resolve_presets
    from core.graph import build_graph, remove_currency
    from core.models import load_model
    from core.training.dataset import group_split, load_dataset, save_dataset, simulate_dataset, source_split
    from core.training.evaluate import baseline_scores, model_scores
    from core.training.train import TrainConfig, train_predictor, training_inputs
    from core.training.weights import graph_fingerprint

    config = config or TrainConfig(seed=seed)
    t_all = time.perf_counter()
    loaded = load_model(model_source)
    graph = remove_currency(build_graph(loaded.model))
    if data_path:
        data = load_dataset(data_path)
        if data.model_id != (loaded.model.id or "model"):
            raise InputError(f"the training data are for {data.model_id}, not {loaded.model.id}", data_path)
    else:
        data = simulate_dataset(model_source, loaded.model, media, seed, processes=processes,
                                progress=_stage(progress, 0.0, 0.35), should_stop=should_stop)
        if save_data:
            save_dataset(data, save_data)
    log(f"data: {data.n_media} media ({int(data.grows.sum())} grow), {len(set(data.groups))} carbon-source "
        f"combinations, solved in {data.seconds:.0f} s")
    check_stop(should_stop)
    inputs = training_inputs(graph, data, loaded.model)
    train, test = group_split(data.groups, 0.2, seed)
    start_model, transfer = None, None
    if init:
        from core.training.train import growth_scale_of
        from core.training.transfer import transfer_predictor
        from core.training.weights import load_predictor

        source, source_card = load_predictor(init)
        start_model, stats = transfer_predictor(source, source_card["graph"]["node_ids"], inputs, config,
                                                growth_scale_of(data, train))
        config = replace(config, **{k: start_model.spec[k] for k in ("d_model", "heads", "layers")})
        transfer = dict(stats.to_dict(), source=Path(str(init)).name, source_model=source_card.get("model_id"))
        log(f"fine-tuning {Path(str(init)).name} ({source_card.get('model_id')}): {stats.nodes_shared} of "
            f"{stats.nodes_target} nodes and {stats.fluxes_shared} of {stats.fluxes_target} fluxes carried over")
    t0 = time.perf_counter()
    model, history = train_predictor(inputs, data, train, config, _stage(progress, 0.35, 0.45), should_stop,
                                     model=start_model, on_epoch=on_epoch)
    train_seconds = time.perf_counter() - t0
    interrupted = bool(should_stop and should_stop())
    held = model_scores(model, inputs, test)
    log(f"trained in {train_seconds:.0f} s ({len(history.epochs)} epochs); held-out growth R² "
        f"{held['growth_r2']:.3f}, flux R² {held['flux_r2'] if held['flux_r2'] is None else round(held['flux_r2'], 3)}, "
        f"AUROC {held['grows_auroc']}")
    metrics: dict = {"held_out": held, "split": {"train": int(len(train)), "test": int(len(test)),
                                                 "by": "carbon-source combination"},
                     "held_out_points": held_out_points(model, inputs, test)}
    if not interrupted:
        if progress:
            progress(0.8, "Baselines")
        metrics["baselines"] = baseline_scores(data, inputs, train, test, seed)
        if init and compare_scratch:
            t1 = time.perf_counter()
            scratch, _ = train_predictor(inputs, data, train, config, None, should_stop)
            metrics["baselines"]["graph_from_scratch"] = dict(model_scores(scratch, inputs, test),
                                                              seconds=round(time.perf_counter() - t1, 1))
        if compare_uniform:
            uniform, _ = train_predictor(inputs, data, train, replace(config, uniform=True), None, should_stop)
            metrics["baselines"]["graph_uniform_attention"] = model_scores(uniform, inputs, test)
        for source in leave_out:
            check_stop(should_stop)
            tr, te = source_split(data.carbons, source)
            lo_model, _ = train_predictor(inputs, data, tr, config, None, should_stop)
            metrics.setdefault("leave_source_out", {})[source] = {
                "model": model_scores(lo_model, inputs, te),
                "mlp_medium": baseline_scores(data, inputs, tr, te, seed)["mlp_medium"]}
        if progress:
            progress(0.9, "Faithfulness checks")
        presets = [c for c in resolve_presets(loaded.model).values() if not isinstance(c, str)]
        if presets:
            metrics["faithfulness"] = faithfulness(model, graph, loaded.model, inputs, presets,
                                                   deletions=deletions)
    card = {
        "model_id": loaded.model.id or "model",
        "model_source": str(model_source),
        "graph": {"fingerprint": graph_fingerprint(graph.node_ids), "nodes": graph.n_nodes,
                  "currency_removed": list(graph.removed_currency), "node_ids": list(graph.node_ids)},
        "data": data.card(),
        "train": dict(config.to_dict(), epochs_run=len(history.epochs), seconds=round(train_seconds, 1),
                      interrupted=interrupted),
        "history": history.epochs,
        "transfer": transfer,
        "metrics": metrics,
        "seconds_total": round(time.perf_counter() - t_all, 1),
        "targets": {"growth": "FBA growth rate, 1/h", "grows": "growth > 1e-6 1/h",
                    "flux": f"{data.method.upper()} flux of every reaction, asinh(flux / 1 mmol/gDW/h)"},
        "inputs": "structure (type, compartment, stoichiometry, pathway), a learned identity per node, and the "
                  "medium's uptake bounds; never FBA results",
    }
    return model, card
