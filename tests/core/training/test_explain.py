"""What summary.md and the setup pane say about trained weights follows the card's figures."""

from __future__ import annotations

from types import SimpleNamespace

from app.weights_info import card_text
from core.training.explain import trust_section


def _card(guided: bool, shift: float, importance: list[float]) -> dict:
    return {"model_id": "iJO1366", "data": {"media": 10000, "seed": 0}, "train": {"epochs_run": 26},
            "predictor": {"guided": guided},
            "metrics": {"held_out": {"growth_r2": 0.81, "flux_r2": 0.51, "grows_auroc": 0.98, "media": 2127},
                        "baselines": {"mlp_medium": {"growth_r2": 0.785}},
                        "faithfulness": {"mask_top_5pct": {"attention": 0.70, "degree": 0.058, "random": 0.023}},
                        "seed_stability": {"seeds": [0, 1], "shift_correlation": shift, "shift_over_seed_noise": 1.07,
                                           "importance_correlation": importance,
                                           "relative_shift_correlation": 0.58}}}


def _summary(card: dict) -> str:
    attention = SimpleNamespace(trained=True, prediction={
        "card": card, "conditions": ["glucose"], "fba_growth": [0.98], "predicted_growth": [0.7],
        "grows_probability": [0.99]})
    return "\n".join(trust_section(attention, lambda s: s, lambda head, rows: [" | ".join(head)]))


def test_guided_weights_say_how_the_read_out_is_made_and_what_is_reproducible():
    text = _summary(_card(True, 0.29, [0.88, 0.95]))
    assert "predicted activity" in text and "at most 7.4×" in text
    assert "Importances are reproducible, shifts only partly" in text and "0.58" in text
    assert "the nodes it attends to matter more" in text  # 0.70 vs 0.058 / 0.023
    pane = card_text(_card(True, 0.29, [0.88, 0.95]))
    assert "agree on node importances (r 0.88–0.95)" in pane and "(r 0.29)" in pane


def test_unguided_weights_whose_seeds_disagree_are_called_not_reproducible():
    text = _summary(_card(False, 0.01, [0.1, -0.02]))
    assert "predicted activity" not in text
    assert "not reproducible across training seeds" in text
    assert "not reproducible across training seeds" in card_text(_card(False, 0.01, [0.1, -0.02]))


def test_summary_says_when_the_medium_mlp_predicts_better_and_where_the_graph_model_does():
    card = _card(True, 0.29, [0.88, 0.95])
    card["metrics"]["baselines"]["mlp_medium"] = {"growth_r2": 0.93, "flux_r2": 0.94}
    card["metrics"]["leave_source_out"] = {"EX_gal_e": {"model": {"growth_r2": 0.57}, "mlp_medium": {"growth_r2": 0.31}}}
    text = _summary(card)
    assert "An MLP that reads only the medium vector predicts better" in text
    assert "growth (0.93 against 0.81) and fluxes (0.94 against 0.51)" in text
    assert "(EX_gal_e) it predicts growth better than the MLP (R² 0.57 against 0.31)" in text
    # With the MLP behind on both, no such sentence; where the model is worse on the unseen source, no excuse.
    card["metrics"]["baselines"]["mlp_medium"] = {"growth_r2": 0.785, "flux_r2": 0.4}
    card["metrics"]["leave_source_out"]["EX_gal_e"]["mlp_medium"]["growth_r2"] = 0.74
    text = _summary(card)
    assert "predicts better" not in text
    assert "(EX_gal_e) it predicts growth worse than the MLP (R² 0.57 against 0.74)." in text
    assert "reads the compound's place" not in text


def test_summary_gives_the_cards_own_bound_and_says_where_medium_values_enter():
    card = _card(True, 0.97, [0.94, 0.96])
    card["predictor"].update(learned_bound=0.5, medium_values=True)
    text = _summary(card)
    assert "at most 1.6×" in text and "at most 7.4×" not in text
    assert "only through the exchanges the read-out attends to" in text
    card["predictor"].update(learned_bound=0.0, medium_values=False)
    text = _summary(card)
    assert "nothing learned is added to it" in text and "exchanges the read-out attends to" not in text
