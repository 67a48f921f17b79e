"""The window's hooks into training: per-epoch history (live curves) and held-out points (scatter)."""

from __future__ import annotations

import numpy as np


def test_on_epoch_sees_the_history_so_far_and_held_out_points_match_the_split():
    from core.training.command import train_and_evaluate
    from core.training.train import TrainConfig

    seen = []
    model, card = train_and_evaluate("textbook", media=120, config=TrainConfig(epochs=3, d_model=16, heads=2),
                                     processes=1, deletions=False, log=lambda _line: None, on_epoch=seen.append)
    assert [len(rows) for rows in seen] == [1, 2, 3]
    assert seen[-1] == card["history"]  # the last call is the whole history
    assert seen[0][0] is not seen[1][0]  # copies: the caller may keep them
    points = card["metrics"]["held_out_points"]
    assert len(points["fba"]) == len(points["predicted"]) == points["media"] == card["metrics"]["split"]["test"]
    # The scatter's R² is the card's held-out growth R².
    fba, pred = np.array(points["fba"]), np.array(points["predicted"])
    r2 = 1 - ((fba - pred) ** 2).sum() / ((fba - fba.mean()) ** 2).sum()
    assert abs(r2 - card["metrics"]["held_out"]["growth_r2"]) < 1e-3
    assert not np.allclose(pred, pred[0])  # predictions, not a constant


def test_held_out_points_are_capped_to_an_evenly_spaced_subset():
    from core.graph import build_graph, remove_currency
    from core.models import load_model
    from core.training.command import held_out_points
    from core.training.dataset import simulate_dataset
    from core.training.evaluate import predict
    from core.training.train import TrainConfig, train_predictor, training_inputs

    model = load_model("textbook").model
    data = simulate_dataset("textbook", model, 60, seed=1, processes=1)
    inputs = training_inputs(remove_currency(build_graph(model)), data)
    net, _ = train_predictor(inputs, data, np.arange(40), TrainConfig(epochs=1, d_model=16, heads=2))
    test = np.arange(40, 60)
    points = held_out_points(net, inputs, test, limit=5)
    kept = np.array([40, 45, 50, 54, 59])  # first and last kept, evenly spaced, no repeats
    assert points["media"] == 5
    np.testing.assert_allclose(points["fba"], data.growth[kept], atol=1e-6)
    np.testing.assert_allclose(points["predicted"], predict(net, inputs, kept)["growth"], atol=1e-5)
    assert held_out_points(net, inputs, test)["media"] == 20  # under the cap: every held-out medium
