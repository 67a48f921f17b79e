"""Training: it learns (held-out, beside the mean), it is deterministic, and the no-attention baseline is uniform."""

from __future__ import annotations

import numpy as np
import torch

from core.training.evaluate import baseline_scores, mask_drop, model_scores, r2
from core.training.train import TrainConfig, train_predictor


def test_training_on_textbook_learns_held_out_growth(tb_trained, tb_data):
    model, inputs, train, test, history = tb_trained
    first, last = history.epochs[0], min(history.epochs, key=lambda e: e["val_loss"])
    assert last["val_loss"] < first["val_loss"]
    held = model_scores(model, inputs, test)
    mean = baseline_scores(tb_data, inputs, train, test)["mean"]
    # Media whose carbon-source combination was never seen: clearly better than guessing the average.
    assert held["growth_r2"] > mean["growth_r2"] + 0.2
    assert held["grows_auroc"] > 0.8


def test_same_seed_same_weights(tb_graph, tb_data):
    from core.training.train import training_inputs

    inputs = training_inputs(tb_graph, tb_data)
    idx = np.arange(120)
    config = TrainConfig(d_model=8, heads=2, epochs=2, seed=7)
    a, _ = train_predictor(inputs, tb_data, idx, config)
    b, _ = train_predictor(inputs, tb_data, idx, config)
    c, _ = train_predictor(inputs, tb_data, idx, TrainConfig(d_model=8, heads=2, epochs=2, seed=8))
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


def test_stop_request_keeps_the_best_weights_so_far(tb_graph, tb_data):
    from core.training.train import training_inputs

    inputs = training_inputs(tb_graph, tb_data)
    calls = []

    def stop():
        calls.append(1)
        return len(calls) > 40  # after a couple of epochs' worth of steps

    model, history = train_predictor(inputs, tb_data, np.arange(300), TrainConfig(d_model=8, heads=2, epochs=50),
                                     should_stop=stop)
    assert 1 <= len(history.epochs) < 50
    assert not model.training


def test_uniform_layers_weigh_every_neighbour_the_same(tb_graph, tb_data):
    from core.training.train import training_inputs

    inputs = training_inputs(tb_graph, tb_data)
    model, _ = train_predictor(inputs, tb_data, np.arange(60), TrainConfig(d_model=8, heads=2, epochs=1, uniform=True))
    with torch.no_grad():
        out = model(inputs.structure, inputs.medium[:2], inputs.graph, need_weights=True)
    dst = inputs.graph.edge_index[1].numpy()
    indegree = np.bincount(dst, minlength=tb_graph.n_nodes)
    w = out.weights[0].numpy()  # [E, C, H]
    assert np.allclose(w, (1.0 / indegree[dst])[:, None, None], atol=1e-6)


def test_masking_changes_the_prediction_and_r2_is_r2(tb_trained, tb_graph):
    model, inputs, _train, test, _ = tb_trained
    drops = mask_drop(model, inputs, test[:20], 0.05, np.asarray(tb_graph.degree, float))
    assert set(drops) == {"attention", "degree", "random"} and drops["attention"] > 0
    y = np.array([1.0, 2.0, 3.0])
    assert r2(y, y) == 1.0 and abs(r2(y, np.full(3, 2.0))) < 1e-12
