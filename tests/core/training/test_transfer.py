"""Fine-tuning trained weights on another model that shares identifiers (here: textbook without two reactions)."""

from __future__ import annotations

import numpy as np
import pytest
import torch


@pytest.fixture(scope="module")
def target(textbook):
    """A textbook variant missing two reactions and an exchange (as one strain's model lacks some of another's,
    and has other exchanges), with data."""
    from core.graph import build_graph, remove_currency
    from core.training.dataset import simulate_dataset

    model = textbook.copy()
    model.remove_reactions([model.reactions.PFL, model.reactions.FRD7, model.reactions.EX_fru_e])
    graph = remove_currency(build_graph(model))
    return graph, simulate_dataset("textbook", model, 120, seed=3, processes=1)


def test_transfer_carries_shared_nodes_and_beats_a_fresh_start(tb_trained, tb_graph, target):
    from core.training.train import TrainConfig, build_predictor, evaluate_loss, training_inputs
    from core.training.transfer import transfer_predictor

    source = tb_trained[0]
    graph, data = target
    inputs = training_inputs(graph, data)
    config = TrainConfig(d_model=16, heads=2)
    model, stats = transfer_predictor(source, tb_graph.node_ids, inputs, config, source.spec["growth_scale"])
    assert stats.nodes_target == graph.n_nodes and stats.nodes_shared == graph.n_nodes  # a strict subset
    assert stats.fluxes_shared == stats.fluxes_target == len(data.flux_ids)
    src = {nid: i for i, nid in enumerate(tb_graph.node_ids)}
    node = graph.node_ids.index("PGI")
    assert torch.equal(model.identity.weight[node], source.identity.weight[src["PGI"]])
    # The atoms of each exchange's compound are the target's own (one exchange fewer than the source).
    assert model.exchange_elements.shape[0] == len(inputs.exchange_nodes) == source.exchange_elements.shape[0] - 1
    assert torch.equal(model.exchange_elements, torch.as_tensor(inputs.exchange_elements))
    # Before any fine-tuning the carried-over weights already predict the new model's media far better than
    # a fresh network does.
    fresh = build_predictor(inputs, config, source.spec["growth_scale"])
    every = np.arange(data.n_media)
    assert evaluate_loss(model.eval(), inputs, every) < 0.5 * evaluate_loss(fresh.eval(), inputs, every)


def test_transfer_refuses_weights_of_another_shape(tb_trained, tb_graph, target):
    from dataclasses import replace

    from core.errors import InputError
    from core.training.train import TrainConfig, training_inputs
    from core.training.transfer import transfer_predictor

    graph, data = target
    inputs = training_inputs(graph, data)
    narrow = replace(inputs, structure=inputs.structure[:, :-1])
    with pytest.raises(InputError, match="structural features"):
        transfer_predictor(tb_trained[0], tb_graph.node_ids, narrow, TrainConfig(), 1.0)
