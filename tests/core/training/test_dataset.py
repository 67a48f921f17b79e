"""Training data: the answers are COBRApy's, splits never leak a group, files round-trip without pickles."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import InputError
from core.training.dataset import group_split, load_dataset, save_dataset, source_split


def test_growth_is_cobrapys_fba(textbook, tb_data):
    from core.conditions.fba import apply_medium

    assert tb_data.n_media == 400 and tb_data.method == "pfba"
    assert 0 < tb_data.grows.sum() < tb_data.n_media  # some media cannot grow and are kept
    for i in range(0, 400, 57):
        with textbook:
            apply_medium(textbook, tb_data.media[i])
            value = textbook.slim_optimize(error_value=float("nan"))
        expected = value if np.isfinite(value) and value > 1e-6 else 0.0
        assert tb_data.growth[i] == pytest.approx(expected, abs=1e-6)
    biomass = tb_data.flux_ids.index("Biomass_Ecoli_core")
    grows = tb_data.grows
    assert np.allclose(tb_data.fluxes[grows, biomass], tb_data.growth[grows], atol=1e-4)
    assert np.all(tb_data.fluxes[~grows] == 0)


def test_splits_never_share_a_group(tb_data):
    train, test = group_split(tb_data.groups, 0.2, 0)
    assert len(train) + len(test) == tb_data.n_media
    assert not {tb_data.groups[i] for i in train} & {tb_data.groups[i] for i in test}
    tr, te = source_split(tb_data.carbons, "EX_ac_e")
    assert all("EX_ac_e" in tb_data.carbons[i] for i in te)
    assert not any("EX_ac_e" in tb_data.carbons[i] for i in tr)
    with pytest.raises(InputError):
        source_split(tb_data.carbons, "EX_nosuch_e")


def test_dataset_file_round_trip(tb_data, tmp_path):
    path = save_dataset(tb_data, tmp_path / "data.npz")
    back = load_dataset(path)
    assert back.groups == tb_data.groups and back.flux_ids == tb_data.flux_ids
    assert np.array_equal(back.fluxes, tb_data.fluxes) and np.array_equal(back.growth, tb_data.growth)
    assert [m.bounds for m in back.media] == [m.bounds for m in tb_data.media]
    assert back.exchange_formulas == tb_data.exchange_formulas and back.exchange_formulas["EX_glc__D_e"] == "C6H12O6"
    np.save(tmp_path / "evil.npy", np.array([object()], dtype=object), allow_pickle=True)
    (tmp_path / "evil.npz").write_bytes((tmp_path / "evil.npy").read_bytes())
    with pytest.raises(InputError):
        load_dataset(tmp_path / "evil.npz")


def test_medium_tokens_know_the_atoms_of_each_compound(textbook, tb_graph, tb_data):
    """The atoms behind each exchange (what lets an unseen carbon source be read by its chemistry) come from
    the model's formulas, and the same from the formulas saved with the data."""
    from core.training.model import ELEMENTS
    from core.training.train import training_inputs

    from_model = training_inputs(tb_graph, tb_data, textbook)
    from_data = training_inputs(tb_graph, tb_data)
    assert np.array_equal(from_model.exchange_elements, from_data.exchange_elements)
    ids = [tb_graph.node_ids[i] for i in from_model.exchange_nodes]
    atoms = dict(zip(ELEMENTS, from_model.exchange_elements[ids.index("EX_glc__D_e")]))
    assert atoms == {"C": 6, "H": 12, "N": 0, "O": 6, "P": 0, "S": 0}
    assert dict(zip(ELEMENTS, from_model.exchange_elements[ids.index("EX_nh4_e")]))["N"] == 1
