"""pFBA without cobra's objective swap (core.conditions.fba.parsimonious_solution, issue 17): the same
fluxes and growth as ``cobra.flux_analysis.pfba`` to 1e-9, and the model left as it was."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize("model_name, presets", [
    ("textbook", ("glucose", "acetate", "succinate", "glucose_anaerobic")),
    ("iJO1366", ("glucose", "acetate", "lactose")),
])
def test_same_fluxes_as_cobra_pfba(model_name, presets, monkeypatch):
    """Each way on a freshly read model, the conditions in the same order (GLPK starts every solve from
    the basis the last one left, so a degenerate optimum depends on what ran before)."""
    import cobra.flux_analysis

    from core.conditions import fba, resolve_conditions
    from core.models import load_model

    model = load_model(model_name).model
    objective_before = str(model.objective.expression)
    bounds_before = {r.id: r.bounds for r in model.reactions}
    conditions = resolve_conditions(model, presets, False)
    ours = [fba.solve_condition(model, c, pfba=True) for c in conditions]
    reference_model = load_model(model_name).model  # read the same way (column order decides GLPK's path)
    monkeypatch.setattr(fba, "parsimonious_solution", cobra.flux_analysis.pfba)
    reference = [fba.solve_condition(reference_model, c, pfba=True) for c in conditions]
    for a, b in zip(ours, reference):
        assert a.status == b.status == "optimal" and a.method == "pfba"
        np.testing.assert_allclose(a.fluxes, b.fluxes, rtol=0, atol=1e-9, err_msg=a.name)
        assert a.growth_rate == pytest.approx(b.growth_rate, abs=1e-9)
    # The model is left as it was: objective, direction, bounds, no extra constraint.
    assert str(model.objective.expression) == objective_before and model.objective.direction == "max"
    assert {r.id: r.bounds for r in model.reactions} == bounds_before
    assert not [c for c in model.constraints if "fixed_objective" in c.name]
