"""Models written outside this project (issue 13): ModelSEED-style and opaque ids, no "EX_" prefix,
leaky default media, several hexoses sharing glucose's formula; and models FBA cannot run on."""

from __future__ import annotations

import pytest

from core.conditions import (GROWTH_CEILING, load_conditions_file, preset_condition, solve_condition,
                             solve_conditions)
from core.models import load_model
from tests.core.other_models import GLUCOSE_GROWTH, write_models


@pytest.fixture(scope="module")
def other_models(tmp_path_factory):
    paths = write_models(tmp_path_factory.mktemp("other_models"))
    return {name: (path, load_model(str(path), use_cache=False).model) for name, path in paths.items()}


@pytest.mark.parametrize("name", ["seed_style", "opaque"])
def test_glucose_preset_closes_the_leaky_default_medium(other_models, name):
    _path, model = other_models[name]
    assert model.slim_optimize() == pytest.approx(2.0)  # the model's own medium: pyrophosphate open at 1000
    cond = preset_condition(model, "glucose")
    result = solve_condition(model, cond)
    assert result.growth_rate == pytest.approx(GLUCOSE_GROWTH, rel=1e-6)
    mapped = {compound: rid for compound, rid, _uptake in cond.components}
    ppi = next(r.id for r in model.boundary if r.reactants[0].name == "Diphosphate")
    assert ppi not in cond.bounds and "Diphosphate" not in mapped
    glucose = model.reactions.get_by_id(mapped["D-glucose"])
    assert glucose.reactants[0].name == "D-Glucose"  # not galactose or fructose, which share C6H12O6
    assert cond.bounds[glucose.id][0] == -10.0
    assert {"ammonium", "phosphate", "sulfate", "O2", "water", "H+"} <= set(mapped)
    assert "Na+" in cond.unmapped and "Fe3+" in cond.unmapped  # not in the model: said, not guessed
    assert result.growth_rate <= GROWTH_CEILING


def test_ids_map_by_modelseed_id_and_by_formula(other_models):
    seed = other_models["seed_style"][1]
    assert dict((c, r) for c, r, _ in preset_condition(seed, "glucose").components)["D-glucose"] == \
        "Exchange_cpd00027_e0"
    opaque = other_models["opaque"][1]
    acetate = dict((c, r) for c, r, _ in preset_condition(opaque, "acetate").components)["acetate"]
    # acetic acid C2H4O2 in this model, acetate C2H3O2 in the compound table: matched ignoring protons
    assert opaque.reactions.get_by_id(acetate).reactants[0].name == "Acetate"


def test_anaerobic_preset_closes_oxygen_and_missing_carbon_is_named(other_models):
    model = other_models["opaque"][1]
    cond = preset_condition(model, "glucose_anaerobic")
    assert "O2" not in {c for c, _r, _u in cond.components}
    assert solve_condition(model, cond).growth_rate == 0.0  # respiration is its only ATP source
    with pytest.raises(Exception, match="preset lactose: unknown exchange 'lcts_e': no exchange reaction for it "
                                        "in opaque"):
        preset_condition(model, "lactose")


def test_growth_above_the_ceiling_is_flagged_naming_what_feeds_it(other_models, tmp_path):
    from core.pipeline import RunSettings, prepare

    path, _model = other_models["seed_style"]
    medium = tmp_path / "leaky.json"
    medium.write_text('{"conditions": [{"name": "leaky", "uptake": {"cpd00027_e0": 30, "cpd00012_e0": 1000}}]}')
    *_, results, _t, notes = prepare(RunSettings(model=str(path), conditions=(str(medium),)))
    assert results[0].growth_rate > GROWTH_CEILING
    (warning,) = [n for n in notes if "ceiling" in n]
    assert warning.startswith(f"Condition 'leaky': growth {results[0].growth_rate:.3g} 1/h is above the plausible "
                              f"ceiling of {GROWTH_CEILING:g} 1/h")
    assert "Exchange_cpd00012_e0" in warning  # the pyrophosphate uptake that feeds it


def test_uptake_and_secretion_found_without_the_ex_prefix(other_models):
    model = other_models["seed_style"][1]
    (r,) = solve_conditions(model, [preset_condition(model, "glucose")])
    uptake = r.flux_summary()["uptake"]
    assert uptake["Exchange_cpd00027_e0"] == pytest.approx(-10.0)
    assert r.solver and r.to_dict()["solver"] == r.solver


@pytest.mark.parametrize("strip", ["exchanges", "objective"])
def test_structure_only_run_of_a_model_fba_cannot_solve(other_models, tmp_path, strip):
    from cobra.io import write_sbml_model

    from core.export import write_outputs
    from core.pipeline import RunSettings, run_pipeline

    model = other_models["seed_style"][1].copy()
    if strip == "exchanges":
        model.remove_reactions([r for r in model.reactions if r.id.startswith("Exchange_")])
    else:
        model.objective = {}
    path = tmp_path / f"no_{strip}.xml"
    write_sbml_model(model, str(path))
    messages = []
    result = run_pipeline(RunSettings(model=str(path), conditions=("glucose", "acetate"), weights="none"),
                          progress=lambda f, m: messages.append(m))
    # the biomass drain is a demand reaction, not an exchange: said, so "no exchanges" is not puzzling
    reason = "no exchange reactions (only 1 sink or demand reaction(s))" if strip == "exchanges" else "no objective"
    assert result.structure_only
    assert result.notes[0] == (f"seed_style has {reason}, so FBA cannot run: this is a structure-only run (graph, "
                               "attention without FBA features, analysis); growth and fluxes are not computed.")
    assert result.notes[0] in messages  # said while running, not only at the end
    assert [c.name for c in result.conditions] == ["structure only"]
    assert result.attention.condition_names == ("structure only",) or \
        list(result.attention.condition_names) == ["structure only"]
    assert result.analysis is not None
    files = write_outputs(result, tmp_path / "out", ("json",))
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "structure-only run" in summary and "Structure only" in summary
    assert any(p.name == "report.json" for p in files)
