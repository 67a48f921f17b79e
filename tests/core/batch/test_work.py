"""The unit of batch work against COBRApy's own FBA on the bundled textbook model."""

from __future__ import annotations

import numpy as np
import pytest

from core.batch import work
from core.batch.work import MediaTable, WorkOptions, run_chunk, simulate_media
from core.conditions import Condition, preset_condition
from core.errors import InputError

PRESETS = ("glucose", "acetate", "succinate", "glucose_anaerobic")


def _direct_fba(model, condition: Condition):
    """Plain COBRApy: every boundary reaction set by hand, model.optimize()."""
    with model:
        for rxn in model.boundary:
            rxn.bounds = condition.bounds.get(rxn.id, (0.0, max(rxn.upper_bound, 0.0)))
        solution = model.optimize()
        return solution.status, solution.objective_value, solution.fluxes.copy()


@pytest.fixture(scope="module")
def media(textbook):
    starving = Condition(name="nothing to eat", bounds={})  # no carbon: ATP maintenance cannot be met
    low = Condition(name="low glucose", bounds={"EX_glc__D_e": (-1.5, 1000.0), "EX_o2_e": (-3.0, 1000.0),
                                                "EX_nh4_e": (-1000.0, 1000.0), "EX_pi_e": (-1000.0, 1000.0)})
    return [preset_condition(textbook, p) for p in PRESETS] + [starving, low]


@pytest.mark.filterwarnings("ignore:Solver status is 'infeasible'")  # the direct reference on the starving medium
def test_growth_status_and_fluxes_match_direct_cobrapy_fba(textbook, media):
    ids = ("PGI", "PFK", "CS", "EX_ac_e", "EX_o2_e", "Biomass_Ecoli_core")
    table = simulate_media(textbook, media, WorkOptions(flux_ids=ids))
    assert isinstance(table, MediaTable)
    assert table.names == tuple(c.name for c in media)
    assert table.growth.shape == (len(media),) and table.growth.dtype == np.float64
    assert table.fluxes.shape == (len(media), len(ids)) and table.fluxes.dtype == np.float32
    assert table.model_id == "e_coli_core" and table.method == "fba" and table.seconds > 0
    for i, cond in enumerate(media):
        status, objective, fluxes = _direct_fba(textbook, cond)
        assert table.status[i] == status
        if status == "optimal":
            assert table.growth[i] == pytest.approx(objective, abs=1e-9)
            assert table.grows[i] == (objective > 1e-6)
            # FBA fluxes are not unique; the objective's flux is
            assert table.fluxes[i, ids.index("Biomass_Ecoli_core")] == pytest.approx(objective, rel=1e-6)
        else:
            assert table.growth[i] == 0.0 and not table.grows[i]
            assert not table.fluxes[i].any()
    assert table.status[PRESETS.index("glucose")] == "optimal"
    assert table.growth[0] == pytest.approx(0.8739, abs=1e-4)
    assert table.status[len(PRESETS)] == "infeasible"  # the starving medium


def test_pfba_fluxes_match_cobrapy_pfba(textbook, media):
    import cobra.flux_analysis

    table = simulate_media(textbook, media, WorkOptions(pfba=True, flux_ids=None))
    assert table.method == "pfba"
    assert table.flux_ids == tuple(r.id for r in textbook.reactions)
    for i, cond in enumerate(media):
        if table.status[i] != "optimal":
            continue
        with textbook:
            for rxn in textbook.boundary:
                rxn.bounds = cond.bounds.get(rxn.id, (0.0, max(rxn.upper_bound, 0.0)))
            expected = cobra.flux_analysis.pfba(textbook).fluxes.reindex(list(table.flux_ids)).to_numpy()
        # pFBA minimises the total flux: that total is unique even where single fluxes are not
        assert np.abs(table.fluxes[i]).sum() == pytest.approx(np.abs(expected).sum(), rel=1e-5)
        np.testing.assert_allclose(table.fluxes[i], expected, atol=1e-3)


def test_model_is_left_unchanged_and_time_limit_restored(textbook, media):
    before = {r.id: r.bounds for r in textbook.reactions}
    limit = textbook.solver.configuration.timeout
    simulate_media(textbook, media, WorkOptions(pfba=True, flux_ids=("PGI",), time_limit=1.5))
    assert {r.id: r.bounds for r in textbook.reactions} == before
    assert textbook.solver.configuration.timeout == limit


def test_no_fluxes_by_default_and_frame_columns(textbook, media):
    table = simulate_media(textbook, media[:2], WorkOptions())
    assert table.flux_ids == () and table.fluxes.shape == (2, 0)
    frame = table.to_frame()
    assert list(frame.columns) == ["model_id", "medium", "description", "status", "growth", "grows", "method"]
    assert frame["growth"].tolist() == pytest.approx(table.growth.tolist())
    with_flux = simulate_media(textbook, media[:2], WorkOptions(flux_ids=("PGI",))).to_frame()
    assert "flux:PGI" in with_flux.columns and len(with_flux) == 2


def test_unknown_flux_reaction_is_an_input_error(textbook, media):
    with pytest.raises(InputError, match="NOT_A_REACTION"):
        simulate_media(textbook, media[:1], WorkOptions(flux_ids=("PGI", "NOT_A_REACTION")))


def test_run_chunk_loads_a_model_once_per_process(media, monkeypatch):
    monkeypatch.setattr(work, "_MODELS", {})
    first = run_chunk("textbook", media[:2], WorkOptions())
    model = work._MODELS["textbook"]
    second = run_chunk("textbook", media[2:4], WorkOptions())
    assert work._MODELS["textbook"] is model and len(work._MODELS) == 1
    assert first.names == ("glucose", "acetate") and second.names == ("succinate", "glucose_anaerobic")
    assert first.growth[0] == pytest.approx(0.8739, abs=1e-4)
