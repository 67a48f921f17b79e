"""Weights files: a round trip gives the same predictions; another graph, a truncated file or a pickle is refused."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from core.errors import InputError
from core.training.weights import card_summary, graph_fingerprint, load_predictor, read_card, save_predictor


@pytest.fixture(scope="module")
def saved(tb_trained, tb_graph, tmp_path_factory):
    model, *_ = tb_trained
    card = {"model_id": "e_coli_core", "graph": {"fingerprint": graph_fingerprint(tb_graph.node_ids),
                                                 "nodes": tb_graph.n_nodes, "node_ids": list(tb_graph.node_ids)},
            "metrics": {"held_out": {"growth_r2": 0.5}}}
    return save_predictor(tmp_path_factory.mktemp("w") / "tb.safetensors", model, card)


def test_round_trip_same_predictions(saved, tb_trained, tb_graph):
    model, inputs, *_ = tb_trained
    back, card = load_predictor(saved, tb_graph.node_ids)
    assert card["predictor"] == model.spec and card["format"] == "metattn-trained-model"
    assert "node_ids" not in card_summary(card)["graph"]
    with torch.no_grad():
        a = model(inputs.structure, inputs.medium[:5], inputs.graph)
        b = back(inputs.structure, inputs.medium[:5], inputs.graph)
    assert torch.equal(a.growth, b.growth) and torch.equal(a.importance, b.importance)


def test_another_graph_is_refused(saved, textbook):
    from core.graph import build_graph

    full = build_graph(textbook)  # currency metabolites kept: another graph
    with pytest.raises(InputError, match="do not fit this model's graph"):
        load_predictor(saved, full.node_ids)


def test_truncated_pickled_and_foreign_files_are_refused(saved, tmp_path):
    data = saved.read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[: len(data) // 2])
    (tmp_path / "evil.safetensors").write_bytes(pickle.dumps({"x": np.zeros(3)}))
    from safetensors.torch import save_file

    save_file({"x": torch.zeros(2)}, str(tmp_path / "other.safetensors"), metadata={"format": "something-else"})
    for name in ("cut", "evil", "other"):
        with pytest.raises(InputError) as err:
            load_predictor(tmp_path / f"{name}.safetensors")
        assert f"{name}.safetensors" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(InputError, match="not found"):
        read_card(tmp_path / "missing.safetensors")


def test_weights_of_the_older_network_are_refused_with_a_reason(saved, tmp_path):
    """Format 1 held the one-stream network (the medium inside every graph layer); it cannot fill the
    two-stream one, and saying so beats a shape error."""
    import json

    from safetensors.torch import load_file, save_file

    from core.training.weights import FORMAT

    card = read_card(saved)
    old = tmp_path / "old.safetensors"
    save_file(load_file(str(saved)), str(old), metadata={"format": FORMAT, "version": "1", "card": json.dumps(card)})
    with pytest.raises(InputError, match="older version.*train the weights again"):
        load_predictor(old)
