"""Guided read-out: fluxes come from the medium alone and the read-out starts at their predicted activity."""

from __future__ import annotations

import numpy as np
import torch

from core.training.train import TrainConfig, build_predictor, training_inputs


def test_activity_is_flux_at_reactions_and_turnover_at_metabolites(tb_graph, tb_data):
    inputs = training_inputs(tb_graph, tb_data)
    model = build_predictor(inputs, TrainConfig(d_model=8, heads=2, guided=True), 1.0)
    gen = torch.Generator().manual_seed(0)
    flux = torch.randn((2, model.n_reactions), generator=gen) * 2.0  # asinh-scaled, like the flux head's
    act = model._activity(flux, inputs.graph).numpy()
    raw = np.zeros(tb_graph.n_nodes)
    raw[inputs.reaction_nodes] = np.sinh(flux[1].numpy())
    expected = np.arcsinh(tb_graph.turnover(raw))  # the graph's own turnover, mmol/gDW/h
    types = np.asarray(tb_graph.node_types)
    assert np.allclose(act[1, types == 0], expected[types == 0], rtol=1e-4, atol=1e-5)
    assert np.allclose(act[1, inputs.reaction_nodes], np.abs(flux[1].numpy()), atol=1e-6)


def test_guided_read_out_starts_at_predicted_flux_and_growth_reads_only_it(tb_graph, tb_data):
    inputs = training_inputs(tb_graph, tb_data)
    model = build_predictor(inputs, TrainConfig(d_model=8, heads=2, guided=True), 1.0).eval()
    assert model.spec["bottleneck"] and model.spec["guided"]
    with torch.no_grad():
        out = model(inputs.structure, inputs.medium[:3], inputs.graph)
        act = model._activity(out.flux, inputs.graph)
        # The node with the largest predicted activity gets more read-out than the median node.
        top = act.argmax(1)
        imp = out.importance
        assert all(imp[c, top[c]] > imp[c].median() for c in range(3))
        # Nothing but the read-out reaches growth: its heads take the pooled vectors and each query's log
        # normaliser, not the medium context; masking the most attended nodes moves the prediction.
        top_nodes = torch.topk(imp, max(1, tb_graph.n_nodes // 20), dim=1).indices
        masked = torch.zeros((3, tb_graph.n_nodes), dtype=torch.bool).scatter_(1, top_nodes, True)
        g = model(inputs.structure, inputs.medium[:3], inputs.graph, masked=masked).growth
    p, d = model.spec["readout_queries"], model.spec["d_model"]
    assert model.growth_head[0].in_features == p * d + p
    assert float((g - out.growth).abs().max()) > 0 and float(out.growth.max() - out.growth.min()) > 0


def test_medium_values_reach_growth_only_through_the_exchanges_the_read_out_keeps(tb_graph, tb_data):
    from core.training.model import MetabolicPredictor

    inputs = training_inputs(tb_graph, tb_data)
    model = build_predictor(inputs, TrainConfig(d_model=8, heads=2, guided=True, medium_values=True), 1.0).eval()
    assert model.spec["medium_values"]
    medium = inputs.medium[:2]
    open_ex = (medium[..., 2] > 0)  # (C, N): the open exchanges, where the medium's tokens sit

    def token_grad(masked):
        model.zero_grad()
        model(inputs.structure, medium, inputs.graph, masked=masked).growth.sum().backward()
        return float(model.token_value.weight.grad.abs().sum())

    assert token_grad(None) > 0
    # With every open exchange removed from the read-out, the tokens' values no longer reach growth.
    assert token_grad(open_ex) == 0.0
    # The setting travels with the weights.
    again = MetabolicPredictor.from_spec(model.spec, inputs.reaction_nodes, inputs.exchange_nodes)
    again.load_state_dict(model.state_dict())
    with torch.no_grad():
        a = model(inputs.structure, medium, inputs.graph).growth
        b = again.eval()(inputs.structure, medium, inputs.graph).growth
    assert torch.equal(a, b)
