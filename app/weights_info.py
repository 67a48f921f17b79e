"""What the setup pane says about trained weights: which weights a run would use and how far to trust them.

Read from the weights' card (:func:`core.training.weights.read_card`, :func:`shipped_weights`), never by
building the network. A weights file is checked against the open model's graph (the graph a run would
use: currency metabolites removed or not) by its fingerprint, so a file that does not fit is named now,
not after FBA. No Qt here: the pane shows :attr:`WeightsInfo.text`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.errors import InputError
from core.training.explain import REPRODUCIBLE_R

UNTRAINED = "Untrained — structure only"


@dataclass(frozen=True)
class WeightsInfo:
    text: str  # plain text for the pane
    trained: bool  # a run with this choice uses trained weights
    problem: str | None = None  # the InputError message when the chosen file cannot be used
    architecture: str = ""  # e.g. "heads 4, d_model 32, layers 2": what the trained weights fix


def _architecture(card: dict) -> str:
    spec = card.get("predictor") or card.get("train") or {}
    parts = [f"{name} {spec[name]}" for name in ("heads", "d_model", "layers") if name in spec]
    return ", ".join(parts)


_node_ids_cache: dict[tuple, tuple[str, ...]] = {}


def run_graph_node_ids(loaded, filter_currency: bool) -> tuple[str, ...]:
    """Node ids of the graph a run on ``loaded`` (a LoadedModel) would attend over, cached per file."""
    key = (loaded.sha256, bool(filter_currency))
    if key not in _node_ids_cache:
        from core.graph import build_graph, remove_currency

        graph = build_graph(loaded.model)
        if filter_currency:
            graph = remove_currency(graph)
        _node_ids_cache.clear()  # one model at a time
        _node_ids_cache[key] = tuple(graph.node_ids)
    return _node_ids_cache[key]


def _f(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def card_text(card: dict) -> str:
    """What the weights were trained on and their held-out scores beside the MLP baseline, in words."""
    data, metrics, train = card.get("data", {}), card.get("metrics", {}), card.get("train", {})
    held = metrics.get("held_out", {})
    text = (f"Trained on {data.get('media', '?'):,} simulated media of {card.get('model_id', '?')} (seed "
            f"{data.get('seed', '?')}, {train.get('epochs_run', '?')} epochs"
            f"{', stopped early by the user' if train.get('interrupted') else ''}). On "
            f"{held.get('media', '?')} held-out media (carbon sources never seen together in training): "
            f"growth R² {_f(held.get('growth_r2'))}, flux R² {_f(held.get('flux_r2'))}, "
            f"grows-or-not AUROC {_f(held.get('grows_auroc'))}")
    mlp = metrics.get("baselines", {}).get("mlp_medium")
    if mlp:
        text += f"; an MLP on the medium alone: growth R² {_f(mlp.get('growth_r2'))}"
    text += "."
    r2 = held.get("growth_r2")
    if r2 is None or r2 < 0.9:
        text += " A rough predictor: read its importances as tentative."
    seeds = metrics.get("seed_stability") or {}
    corr = seeds.get("shift_correlation")
    imp = seeds.get("importance_correlation") or []
    if corr is not None and corr < REPRODUCIBLE_R:
        if imp and min(imp) >= REPRODUCIBLE_R:
            text += (f" Two training seeds agree on node importances (r {min(imp):.2f}–{max(imp):.2f}) but not on "
                     f"the glucose → acetate shifts (r {corr:.2f}): read shifts as one model's view.")
        else:
            text += (f" Node importances are not reproducible across training seeds (glucose → acetate shifts of two "
                     f"seeds correlate {corr:.2f}).")
    return text


def describe_weights(choice: str, loaded=None, filter_currency: bool = True) -> WeightsInfo:
    """Which weights ``choice`` ("auto", "none" or a file path) means for ``loaded`` (None: no model)."""
    from core.training.weights import graph_fingerprint, read_card, shipped_weights, weights_dir

    choice = (choice or "none").strip()
    if choice.lower() == "none":
        return WeightsInfo(f"{UNTRAINED} (chosen): the attention runs with seeded random weights, so importance "
                           "reflects the network's wiring and the FBA fluxes, not a learned prediction.", False)
    if choice.lower() == "auto":
        folder = weights_dir()
        path = None
        if loaded is not None and folder.is_dir() and any(folder.glob("*.safetensors")):
            path = shipped_weights(run_graph_node_ids(loaded, filter_currency))
        if path is None:
            where = "this model's graph" if loaded is not None else "a model (none is open)"
            return WeightsInfo(f"{UNTRAINED}: no shipped weights fit {where}. Train weights with "
                               "Run → Train model…, or choose a weights file.", False)
        card = read_card(path)
        return WeightsInfo(f"Shipped weights {path.name}. {card_text(card)}", True, architecture=_architecture(card))
    path = Path(choice)
    try:
        card = read_card(path)
        if loaded is not None:
            node_ids = run_graph_node_ids(loaded, filter_currency)
            graph = card["graph"]
            if graph_fingerprint(node_ids) != graph.get("fingerprint"):
                currency = "" if filter_currency else " (currency metabolites kept)"
                raise InputError(f"these weights were trained on {card.get('model_id', 'another model')} "
                                 f"({graph.get('nodes', '?')} nodes) and do not fit this model's graph"
                                 f"{currency} ({len(node_ids)} nodes); train weights for it with "
                                 "Run → Train model…", path)
    except InputError as exc:
        return WeightsInfo(f"Weights file {path.name} cannot be used: {exc}", False, str(exc))
    return WeightsInfo(f"Weights file {path.name}. {card_text(card)}", True, architecture=_architecture(card))
