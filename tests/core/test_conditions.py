"""Growth conditions and FBA against COBRApy itself."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.conditions import (Condition, load_conditions_file, preset_condition, preset_names, resolve_conditions,
                             resolve_exchange, resolve_presets, save_conditions_file, solve_condition, solve_conditions)
from core.errors import Cancelled, InputError


@pytest.mark.slow
def test_ijo1366_glucose_matches_cobrapy(ijo1366):
    reference = ijo1366.slim_optimize()  # the model's own medium is glucose minimal
    result = solve_condition(ijo1366, preset_condition(ijo1366, "glucose"))
    assert result.status == "optimal"
    assert result.growth_rate == pytest.approx(reference, rel=1e-6)
    assert result.growth_rate == pytest.approx(0.982, abs=5e-4)


@pytest.mark.slow
def test_ijo1366_presets_against_cobrapy_media(ijo1366):
    expected = {}
    for name, ex in [("acetate", "EX_ac_e"), ("lactose", "EX_lcts_e"), ("glycerol", "EX_glyc_e"),
                     ("succinate", "EX_succ_e")]:
        with ijo1366:
            medium = dict(ijo1366.medium)
            medium.pop("EX_glc__D_e")
            medium[ex] = 10.0
            ijo1366.medium = medium
            expected[name] = ijo1366.slim_optimize()
    with ijo1366:
        medium = dict(ijo1366.medium)
        medium.pop("EX_o2_e")
        medium.pop("EX_co2_e")  # M9 has no CO2; iJO1366's own medium leaves it open (fixed by PPC without O2)
        ijo1366.medium = medium
        expected["glucose_anaerobic"] = ijo1366.slim_optimize()
    results = solve_conditions(ijo1366, [preset_condition(ijo1366, n) for n in expected])
    for r in results:
        assert r.growth_rate == pytest.approx(expected[r.name], rel=1e-6), r.name
    growth = {r.name: r.growth_rate for r in results}
    assert growth["lactose"] > growth["glycerol"] > growth["acetate"] > 0
    assert set(preset_names()) >= {"glucose", "acetate", "lactose", "glycerol", "succinate", "glucose_anaerobic"}


@pytest.mark.slow
def test_carbon_normalisation(ijo1366):
    plain = solve_condition(ijo1366, preset_condition(ijo1366, "lactose"))
    normalised_cond = preset_condition(ijo1366, "lactose", carbon_normalised=True)
    assert normalised_cond.medium["EX_lcts_e"] == pytest.approx(5.0)  # 12 carbons -> half the molecules
    normalised = solve_condition(ijo1366, normalised_cond)
    glucose = solve_condition(ijo1366, preset_condition(ijo1366, "glucose"))
    assert plain.growth_rate == pytest.approx(2 * glucose.growth_rate, rel=0.02)
    assert normalised.growth_rate == pytest.approx(glucose.growth_rate, rel=0.02)


def test_model_is_left_unchanged(textbook):
    before = {r.id: r.bounds for r in textbook.reactions}
    solve_conditions(textbook, resolve_conditions(textbook, "glucose,acetate"))
    assert {r.id: r.bounds for r in textbook.reactions} == before


def test_textbook_fluxes_are_aligned(textbook):
    (r,) = solve_conditions(textbook, [preset_condition(textbook, "glucose")])
    assert r.fluxes.shape == (95,)
    assert r.fluxes[r.reaction_ids.index("EX_glc__D_e")] == pytest.approx(-10.0)
    assert r.growth_rate == pytest.approx(textbook.slim_optimize(), rel=1e-6)
    summary = r.to_dict()
    assert summary["fluxes"]["uptake"]["EX_glc__D_e"] == pytest.approx(-10.0)
    json.dumps(summary)


def test_preset_missing_from_model(textbook):
    with pytest.raises(InputError, match="unknown exchange 'lcts_e'"):
        preset_condition(textbook, "lactose")


def test_resolve_presets_gives_a_condition_or_the_reason(textbook):
    found = resolve_presets(textbook)
    assert list(found) == preset_names()
    assert sorted(n for n, v in found.items() if isinstance(v, str)) == ["glycerol", "lactose"]
    assert "lcts_e" in found["lactose"] and found["glucose"].bounds["EX_glc__D_e"][0] == -10
    assert list(resolve_presets(textbook, names=("acetate",))) == ["acetate"]


def test_only_available_presets_leaves_out_the_rest_or_says_none_fit():
    from core.pipeline import RunSettings, prepare

    settings = RunSettings(model="textbook", conditions=("lactose", "succinate"), only_available_presets=True)
    *_, results, _timings, notes = prepare(settings)
    assert [r.name for r in results] == ["succinate"]
    assert notes[0] == ("Preset 'lactose' left out: unknown exchange 'lcts_e': no exchange reaction for it in "
                        "e_coli_core.")
    # e_coli_core exchanges only a few of M9's salts: the rest is said, not silently dropped.
    assert notes[1].startswith("Medium of 'succinate': the model has no exchange for sulfate, K+")
    assert len(notes) == 2
    with pytest.raises(InputError, match="e_coli_core can take none of the presets lactose, glycerol"):
        prepare(RunSettings(model="textbook", conditions=("lactose", "glycerol"), only_available_presets=True))


def test_infeasible_and_zero_growth_stated_plainly(textbook):
    nothing = Condition("starved", bounds={})
    r = solve_condition(textbook, nothing)
    assert r.growth_rate == 0.0 and not r.grows
    assert "no growth" in r.status_text() or "infeasible" in r.status_text()
    # ATP maintenance demands flux: with no carbon source at all it cannot be met.
    assert r.status in ("infeasible", "optimal")


def test_resolve_exchange_accepts_metabolite_ids(textbook):
    assert resolve_exchange(textbook, "EX_glc__D_e") == "EX_glc__D_e"
    assert resolve_exchange(textbook, "glc__D_e") == "EX_glc__D_e"
    assert resolve_exchange(textbook, "glc__D") == "EX_glc__D_e"
    with pytest.raises(InputError, match="unknown exchange 'unobtainium'"):
        resolve_exchange(textbook, "unobtainium", "c.csv")


def test_csv_conditions_with_measurements(textbook, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("condition,exchange,uptake,measured_growth\n"
                    "low glucose,glc__D_e,2,0.15\n"
                    "fructose,EX_fru_e,10,\n")
    conds = load_conditions_file(textbook, path)
    assert [c.name for c in conds] == ["low glucose", "fructose"]
    assert conds[0].measured_growth == pytest.approx(0.15)
    assert conds[0].medium["EX_glc__D_e"] == 2 and "EX_glc__D_e" not in conds[1].medium
    low, fru = solve_conditions(textbook, conds)
    full = solve_condition(textbook, preset_condition(textbook, "glucose"))
    assert 0 < low.growth_rate < full.growth_rate
    assert fru.grows


def test_csv_lower_bound_convention(textbook, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("condition,exchange,lower_bound,upper_bound\nglc,EX_glc__D_e,-5,1000\nglc,EX_o2_e,-3,\n")
    (cond,) = load_conditions_file(textbook, path)
    assert cond.bounds["EX_glc__D_e"] == (-5.0, 1000.0)
    assert cond.medium["EX_o2_e"] == 3.0


def test_json_round_trip(textbook, tmp_path):
    src = tmp_path / "c.json"
    src.write_text(json.dumps({"conditions": [
        {"name": "glucose 5", "preset": "glucose", "uptake": {"EX_glc__D_e": 5}, "measured_growth": 0.4,
         "measured_fluxes": {"PGI": 3.0}},
        {"name": "acetate", "preset": "acetate"}]}))
    conds = load_conditions_file(textbook, src)
    assert conds[0].medium["EX_glc__D_e"] == 5 and conds[0].measured_fluxes == {"PGI": 3.0}
    out = tmp_path / "out.json"
    save_conditions_file(conds, out)
    again = load_conditions_file(textbook, out)
    assert [c.bounds for c in again] == [c.bounds for c in conds]
    assert [c.measured_growth for c in again] == [0.4, None]
    g1 = [r.growth_rate for r in solve_conditions(textbook, conds)]
    g2 = [r.growth_rate for r in solve_conditions(textbook, again)]
    assert np.allclose(g1, g2)


@pytest.mark.parametrize("text,problem", [
    ("condition,lower_bound\nx,-1\n", "missing the column"),
    ("condition,exchange\nx,EX_glc__D_e\n", "lower_bound or uptake"),
    ("condition,exchange,uptake\nx,EX_glc__D_e,lots\n", "not a number"),
    ("condition,exchange,uptake\nx,EX_glc__D_e,nan\n", "NaN"),
    ("condition,exchange,uptake\nx,EX_glc__D_e,-10\n", "negative"),
    ("condition,exchange,uptake\nx,EX_nothing_e,10\n", "unknown exchange 'EX_nothing_e'"),
    ("condition,exchange,uptake\n", "no conditions"),
    ("", "empty"),
    ('{"conditions": [{"name": "a"}, {"name": "a"}]}', "duplicate condition names: a"),
    ('{"conditions": [', "not valid JSON"),
    ('{"something": 1}', "expected a list of conditions"),
])
def test_bad_conditions_files(textbook, tmp_path, text, problem):
    path = tmp_path / ("c.json" if text.startswith("{") else "c.csv")
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_conditions_file(textbook, path)
    assert problem in str(err.value) and str(path) in str(err.value)


def test_unknown_preset(textbook):
    with pytest.raises(InputError, match="unknown preset or missing conditions file 'sugar'"):
        resolve_conditions(textbook, "glucose,sugar")


def test_cancel_between_conditions(textbook):
    conds = resolve_conditions(textbook, "glucose,acetate")
    with pytest.raises(Cancelled):
        solve_conditions(textbook, conds, should_stop=lambda: True)


def test_solver_noise_is_stored_as_zero(textbook):
    import cobra

    from core.conditions import apply_medium

    cond = preset_condition(textbook, "glucose")
    with textbook:
        apply_medium(textbook, cond)
        raw = cobra.flux_analysis.pfba(textbook).fluxes.to_numpy()
    assert ((raw != 0) & (np.abs(raw) < 1e-9)).any()  # GLPK leaves ~1e-13 where a flux is zero
    fluxes = solve_condition(textbook, cond, pfba=True).fluxes
    assert not ((fluxes != 0) & (np.abs(fluxes) < 1e-9)).any()
