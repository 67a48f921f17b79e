"""Random media: drawn from what the model can grow on, seeded, and honest about held-out sources."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import InputError
from core.training.media import carbon_sources_of, find_sources, medium_matrix, sample_media


def test_sources_are_what_the_model_grows_on(textbook):
    sources = find_sources(textbook)
    carbons = set(sources.sources["C"])
    assert {"EX_glc__D_e", "EX_ac_e", "EX_succ_e", "EX_fru_e"} <= carbons
    assert "EX_co2_e" not in carbons and sources.oxygen == "EX_o2_e"
    assert sources.defaults["N"] == ("EX_nh4_e",)
    assert "EX_gln__L_e" in sources.sources["N"]  # glutamine can replace ammonium


def test_media_are_seeded_and_open_what_they_say(textbook):
    a = sample_media(textbook, 30, seed=3)
    b = sample_media(textbook, 30, seed=3)
    c = sample_media(textbook, 30, seed=4)
    assert [m.bounds for m in a] == [m.bounds for m in b]
    assert [m.bounds for m in a] != [m.bounds for m in c]
    sources = find_sources(textbook)
    for medium in a:
        carbons = carbon_sources_of(medium, sources)
        # 1-3 carbon sources drawn, plus the nitrogen source swapped in when it holds carbon (an amino acid)
        assert 1 <= len(carbons) <= 4
        assert all(type(rid) is str for rid in medium.bounds)
        for rid in carbons:
            assert rid in medium.description
        assert all(lb >= -1000 for lb, _ub in medium.bounds.values())
    x = medium_matrix(a, sources.exchanges)
    assert x.shape == (30, len(sources.exchanges)) and (x >= 0).all()


def test_held_out_carbon_source_is_never_drawn(textbook):
    media = sample_media(textbook, 200, seed=0, exclude_carbon=("EX_glc__D_e",))
    assert all(m.bounds.get("EX_glc__D_e", (0.0, 0.0))[0] >= 0 for m in media)


def test_model_without_exchanges_says_so(textbook):
    model = textbook.copy()
    model.remove_reactions(list(model.exchanges))
    with pytest.raises(InputError, match="no exchange reactions"):
        find_sources(model)


def test_model_without_objective_says_so(textbook):
    model = textbook.copy()
    for rxn in model.reactions:
        rxn.objective_coefficient = 0
    with pytest.raises(InputError, match="no objective"):
        find_sources(model)
