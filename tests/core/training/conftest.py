"""A small dataset and trained model on the bundled textbook model, made once per test session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tb_graph(textbook):
    from core.graph import build_graph, remove_currency

    return remove_currency(build_graph(textbook))


@pytest.fixture(scope="session")
def tb_data(textbook):
    from core.training.dataset import simulate_dataset

    return simulate_dataset("textbook", textbook, 400, seed=0, processes=1)


@pytest.fixture(scope="session")
def tb_trained(tb_graph, tb_data):
    """``(model, inputs, train, test)``: a small model trained briefly on 80 % of the media's groups."""
    from core.training.dataset import group_split
    from core.training.train import TrainConfig, train_predictor, training_inputs

    inputs = training_inputs(tb_graph, tb_data)
    train, test = group_split(tb_data.groups, 0.2, 0)
    config = TrainConfig(d_model=16, heads=2, epochs=25, patience=25, batch=16, lr=5e-3)
    model, history = train_predictor(inputs, tb_data, train, config)
    return model, inputs, train, test, history
