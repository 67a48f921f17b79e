"""Plain words for summary.md on what the attention model is and how far to trust it.

:func:`trust_section` returns Markdown lines: for trained weights, what they predict, their held-out scores
beside the baselines, predicted beside FBA growth per condition and the faithfulness checks; for the
untrained read-out, a plain statement that the attention reflects structure only.
"""

from __future__ import annotations

import math
from typing import Callable

from core.training import LEARNED_BOUND

REPRODUCIBLE_R = 0.7  # two training seeds' importances or shifts correlating at least this much count as reproducible


def _f(value, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def trust_section(attention, md: Callable[[str], str], table: Callable) -> list[str]:
    if attention is None:
        return []
    if not getattr(attention, "trained", False):
        return ["## How far to trust the attention", "",
                "**Untrained — structure only.** No trained weights exist for this model's graph, so the attention "
                "network ran with seeded random weights. Importance here reflects how the network is wired and "
                "the FBA fluxes fed in; it is not a learned prediction, and a different seed changes it. Train "
                "weights for this model with `python main.py train --model MODEL --out weights.safetensors` and "
                "rerun with `--weights weights.safetensors`.", ""]
    p = attention.prediction
    card = p["card"]
    data, metrics = card.get("data", {}), card.get("metrics", {})
    held = metrics.get("held_out", {})
    base = metrics.get("baselines", {})
    out = ["## What the attention model predicts, and how well", "",
           f"The attention comes from a model trained to predict, from the medium alone (never from FBA results), "
           f"the **growth rate**, whether the cell grows at all, and the flux of every reaction. It learned from "
           f"{data.get('media', '?')} media simulated from {md(str(card.get('model_id', 'the model')))} "
           f"(random carbon, nitrogen, phosphorus and sulfur sources, aerobic and anaerobic; growth by FBA, "
           f"fluxes by {'parsimonious FBA' if data.get('fluxes', 'pfba') == 'pfba' else 'FBA'}; seed {data.get('seed', '?')}). "
           f"It is scored on {held.get('media', '?')} media whose combination of carbon sources it never saw "
           "in training (R² of 1 is perfect, 0 is no better than always guessing the average):", ""]
    cols = [("this model", held)] + [(name, base[key]) for key, name in
                                     (("graph_uniform_attention", "same model, no attention"),
                                      ("mlp_medium", "MLP on the medium"), ("mean", "average only")) if key in base]
    rows = [["Growth rate R²"] + [_f(m.get("growth_r2")) for _, m in cols],
            ["Flux R² (variance-weighted)"] + [_f(m.get("flux_r2")) for _, m in cols],
            ["Grows or not (AUROC)"] + [_f(m.get("grows_auroc")) for _, m in cols]]
    out += table(["Held-out score"] + [name for name, _ in cols], rows)
    out += _against_mlp(held, base.get("mlp_medium"), metrics.get("leave_source_out", {}), md)
    predictor = card.get("predictor", {})
    if predictor.get("guided"):
        bound = float(predictor.get("learned_bound", LEARNED_BOUND))
        learned = (f" plus a learned part that can raise or lower a node by at most {math.exp(bound):.1f}×" if bound > 0
                   else " (nothing learned is added to it)")
        medium = (" An open exchange reaction also carries what the medium offers there and how much, so besides "
                  "steering the predicted activity, the medium reaches growth only through the exchanges the read-out "
                  "attends to."
                  if predictor.get("medium_values") else "")
        where = ("**Where the medium enters.** The model first predicts every reaction's flux from the medium. Its "
                 "read-out then looks at the network: a node's score is its predicted activity (the predicted flux of "
                 f"a reaction, the turnover of a metabolite){learned}. Importance is the share of that read-out each "
                 "node gets, and growth is predicted from what the read-out picks up and nothing else, so importance "
                 f"is where the prediction comes from.{medium} Because it starts from predicted flux, importance leans "
                 "towards busy reactions (respiration, ATP synthase, glycolysis) and a shift between media largely "
                 "follows the predicted change in flux. ")
    else:
        where = ("**Where the medium enters.** Importance is the attention the model's read-out pays to each node "
                 "for this medium: the medium decides where it looks. How much the prediction depends on what it "
                 "reads there is measured below (is the attention faithful?). ")
    out += [where + "The graph-attention layers below it learned how the network is wired and are the same "
            "for every medium, so edge-level attention (the heatmap) does not differ between conditions; "
            "importance and shifts do. The model reads one medium at a time, so it has no cross-condition "
            "attention: in the section on how conditions draw on each other, each condition draws only on "
            "itself.", ""]
    r2 = held.get("growth_r2")
    if r2 is not None and r2 < 0.9:
        out += [f"With a held-out growth R² of {r2:.2f} the model is only a rough predictor: read its "
                "importances as tentative.", ""]
    rows = [[md(name), _f(fba), _f(pred), f"{100 * prob:.0f} %"] for name, fba, pred, prob in
            zip(p["conditions"], p["fba_growth"], p["predicted_growth"], p["grows_probability"])]
    out += ["Its prediction for the conditions of this run, beside FBA:", ""]
    out += table(["Condition", "FBA growth (1/h)", "Predicted (1/h)", "Predicted chance of growth"], rows)
    faith = metrics.get("faithfulness", {})
    mask = faith.get("mask_top_5pct")
    if mask:
        verdict = ("so the nodes it attends to matter more to its prediction than high-degree or random ones"
                   if mask["attention"] > 1.2 * max(mask["degree"], mask["random"]) and mask["attention"] >= 0.005
                   else
                   "so by this test the attention does **not** single out what drives its prediction")
        out += [f"**Is the attention faithful?** On the model's preset media, removing the 5 % most attended nodes "
                f"from its read-out changes predicted growth by {mask['attention']:.3f} 1/h on average, against "
                f"{mask['degree']:.3f} for the 5 % best-connected nodes and {mask['random']:.3f} for random nodes, "
                f"{verdict}.", ""]
    seeds = metrics.get("seed_stability")
    if seeds:
        corr, noise = seeds.get("shift_correlation"), seeds.get("shift_over_seed_noise")
        stable = corr is not None and corr >= REPRODUCIBLE_R and (noise or 0) > 1
        imp = seeds.get("importance_correlation") or []
        rel = seeds.get("relative_shift_correlation")
        agree = (f"Their node importances correlate {_f(min(imp), 2)}–{_f(max(imp), 2)} (glucose, acetate). "
                 if imp else "")
        rel_text = (f"Ranked as the shift view ranks them (relative change with a floor), the shifts correlate "
                    f"{_f(rel, 2)}. " if rel is not None else "")
        if stable:
            verdict = "Shifts are reproducible."
        elif imp and min(imp) >= REPRODUCIBLE_R:
            verdict = ("**Importances are reproducible, shifts only partly**: which nodes matter on a medium is a "
                       "property of the training data, but the exact glucose → acetate movers differ between "
                       "training seeds; treat the shift ranking as one trained model's view.")
        else:
            verdict = ("**Which single nodes it attends to is not reproducible across training seeds**: treat node "
                       "rankings and shifts as one trained model's view, not as a property of the organism.")
        out += [f"**Is it reproducible?** The same model trained with another seed "
                f"(seed {seeds['seeds'][1]}) agrees with this one on the glucose → acetate importance shifts with a "
                f"correlation of {_f(corr, 2)}, and the shifts are {_f(noise, 2)}× the difference between the two "
                "seeds. " + agree + rel_text + verdict, ""]
    deletion = faith.get("deletion") or []
    if deletion:
        imp = sum(d["spearman_importance"] for d in deletion) / len(deletion)
        deg = sum(d["spearman_degree"] for d in deletion) / len(deletion)
        out += [f"Across those media, importance ranks reactions by how much deleting them costs growth with a "
                f"Spearman correlation of {imp:.2f} (degree alone: {deg:.2f}).", ""]
    return out


def _against_mlp(held: dict, mlp: dict | None, left_out: dict, md: Callable[[str], str]) -> list[str]:
    """Plain words on where a plain MLP on the medium predicts better, and where the graph model does."""
    if not mlp:
        return []
    behind = [f"{what} ({_f(mlp.get(key), 2)} against {_f(held.get(key), 2)})"
              for key, what in (("growth_r2", "growth"), ("flux_r2", "fluxes"))
              if held.get(key) is not None and mlp.get(key) is not None and mlp[key] > held[key] + 0.005]
    out = []
    if behind:
        out.append("**An MLP that reads only the medium vector predicts better** on media like the training ones: "
                   + " and ".join(behind) + ". This model's value is that its prediction runs through the network, "
                   "so its attention can say which parts carry it.")
    unseen = [(src, v["model"].get("growth_r2"), v["mlp_medium"].get("growth_r2")) for src, v in left_out.items()
              if isinstance(v, dict) and "model" in v and "mlp_medium" in v]
    for src, model_r2, mlp_r2 in unseen:
        if model_r2 is None or mlp_r2 is None:
            continue
        if model_r2 > mlp_r2 + 0.005:
            out.append(f"On a carbon source it never saw in training ({md(src)}) it predicts growth better than the "
                       f"MLP (R² {_f(model_r2, 2)} against {_f(mlp_r2, 2)}): the MLP has no input it has learned for "
                       "a new compound, the graph model reads the compound's place in the network.")
        else:
            verdict = "worse than" if model_r2 < mlp_r2 - 0.005 else "as well as"
            out.append(f"On a carbon source it never saw in training ({md(src)}) it predicts growth {verdict} the "
                       f"MLP (R² {_f(model_r2, 2)} against {_f(mlp_r2, 2)}).")
    return [" ".join(out), ""] if out else []
