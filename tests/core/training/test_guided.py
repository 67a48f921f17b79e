"""Guided read-out: fluxes come from the medium alone and the read-out starts at their predicted activity."""

from __future__ import annotations

import math

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


def test_a_read_out_peaked_on_one_exchange_counts_its_token_at_most_value_cap_times(tb_graph, tb_data):
    from core.training.model import VALUE_CAP, MetabolicPredictor

    inputs = training_inputs(tb_graph, tb_data)
    model = build_predictor(inputs, TrainConfig(d_model=8, heads=2, guided=True, medium_values=True), 1.0).eval()
    assert model.spec["value_cap"] == VALUE_CAP > 0
    medium = inputs.medium[:1]
    ex = int(torch.nonzero(medium[0, :, 2] > 0)[0, 0])  # an open exchange
    # The read-out peaked on it: every other node is masked out, so it gets the read-out's whole weight.
    masked = torch.ones((1, tb_graph.n_nodes), dtype=torch.bool)
    masked[0, ex] = False

    def head_input(m):
        seen = {}
        hook = m.growth_head.register_forward_hook(lambda mod, args, out: seen.setdefault("x", args[0]))
        with torch.no_grad():
            m(inputs.structure, medium, inputs.graph, masked=masked)
        hook.remove()
        return seen["x"]

    capped = head_input(model)
    old = MetabolicPredictor.from_spec({k: v for k, v in model.spec.items() if k != "value_cap"},
                                       inputs.reaction_nodes, inputs.exchange_nodes)
    old.load_state_dict(model.state_dict())
    assert old.spec["value_cap"] == 0.0  # a card saved before the cap keeps the unbounded formula
    unbounded = head_input(old.eval())
    with torch.no_grad():
        h, _ = model.encode_structure(inputs.structure, inputs.graph)
        _context, tokens, (ci, xi) = model.medium_context(h, medium)
        value = model.value(h)[ex]
        token = model.token_value(tokens[model.exchange_nodes[xi] == ex][0])
    n, d = tb_graph.n_nodes, model.spec["d_model"]
    # The read-out's whole weight sits on the exchange: its token counts N times unbounded, VALUE_CAP x tanh(N / cap)
    assert torch.allclose(unbounded[0, :d], value + n * token, rtol=1e-4, atol=1e-4)
    assert torch.allclose(capped[0, :d], value + VALUE_CAP * math.tanh(n / VALUE_CAP) * token, rtol=1e-4, atol=1e-4)


def test_flux_warm_up_trains_the_flux_path_alone_from_the_fluxes_principal_directions(tb_graph, tb_data):
    from core.training.dataset import group_split
    from core.training.evaluate import r2
    from core.training.train import _flux_basis, train_predictor, warm_up_flux

    inputs = training_inputs(tb_graph, tb_data)
    train, test = group_split(tb_data.groups, 0.2, 0)
    config = TrainConfig(d_model=8, heads=2, guided=True, flux_warmup=15, batch=16, epochs=1, lr=5e-3)
    grows = inputs.grows.numpy()

    # The basis: at the start the reaction factors span the training fluxes' principal directions, and the bias
    # is their mean, so a medium factor of zero predicts the mean flux.
    model = build_predictor(inputs, config, 1.0)
    fluxes = inputs.flux[torch.as_tensor(train[grows[train]])]
    _flux_basis(model, fluxes)
    assert torch.allclose(model.flux_bias, fluxes.mean(0), atol=1e-6)
    with torch.no_grad():
        h, _ = model.encode_structure(inputs.structure, inputs.graph)
        factors = model.reaction_factors(h)  # (R, K)
    centred = (fluxes - fluxes.mean(0)).numpy().astype(np.float64)
    _, spread, directions = np.linalg.svd(centred, full_matrices=False)
    f = factors.numpy()
    for k in range(3):  # the leading directions, each scaled by its spread
        cos = abs(f[:, k] @ directions[k]) / np.linalg.norm(f[:, k])
        assert cos > 0.999, (k, cos)
    norms = np.linalg.norm(f[:, :3], axis=0)
    assert np.allclose(norms / norms[0], spread[:3] / spread[0], rtol=1e-3)

    # Warm-up: only the flux path learns; the structure stream and the read-out do not move.
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    rows = []
    warm_up_flux(model, inputs, train, config, np.random.default_rng(0), fresh=False, history=None,
                 on_epoch=rows.append)
    moved = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert moved and all(n.startswith(("token.", "context.", "flux_", "exchange_identity")) for n in moved)
    assert not any(n.startswith(("encoder.", "identity.", "query.", "key.", "growth_head.")) for n in moved)

    # In train_predictor the warm-up epochs come first, as rows of the history, and on the same joint budget the
    # held-out fluxes are better than without it.
    def flux_r2(cfg):
        trained, history = train_predictor(inputs, tb_data, train, cfg)
        ok = test[grows[test]]
        with torch.no_grad():
            pred = trained(inputs.structure, inputs.medium[torch.as_tensor(ok)], inputs.graph).flux.numpy()
        return r2(inputs.flux.numpy()[ok], pred), history

    warm, history = flux_r2(config)
    cold, _ = flux_r2(TrainConfig(**{**config.to_dict(), "flux_warmup": 0}))
    assert [r.get("phase") for r in history.epochs] == ["flux warm-up"] * 15 + [None]
    assert [r["epoch"] for r in history.epochs] == list(range(1, 17))
    assert warm > cold + 0.05, (warm, cold)
