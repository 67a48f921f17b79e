"""Flux balance analysis of each condition (COBRApy, GLPK), inside ``with model:`` so the model is
never left modified."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from core.conditions.types import Condition, ConditionResult
from core.errors import check_stop

def apply_medium(model, condition: Condition) -> None:
    """Set every boundary reaction's bounds to ``condition``'s: listed exchanges as given, the rest closed
    for uptake (secretion stays open). Call inside ``with model:`` so the change is undone."""
    for rxn in model.boundary:
        rxn.bounds = condition.bounds.get(rxn.id, (0.0, max(rxn.upper_bound, 0.0)))


def solve_condition(model, condition: Condition, pfba: bool = False) -> ConditionResult:
    """FBA (or parsimonious FBA) of ``model`` in ``condition``; the model is left unchanged."""
    import cobra.flux_analysis
    from cobra.core.solution import get_solution

    reaction_ids = tuple(r.id for r in model.reactions)
    objective_id = ",".join(r.id for r in model.reactions if r.objective_coefficient) or str(model.objective.expression)
    with model:
        apply_medium(model, condition)
        # slim_optimize + get_solution is model.optimize() without its UserWarning for a
        # non-optimal status: an infeasible medium is a result here, reported via the status.
        model.slim_optimize()
        status = model.solver.status
        solution = get_solution(model) if status == "optimal" else None
        if status == "optimal" and pfba:
            try:
                solution = cobra.flux_analysis.pfba(model)
            except Exception:  # pFBA infeasible at numerical edges: keep the FBA fluxes
                pass
        if status == "optimal":
            fluxes = solution.fluxes.reindex(list(reaction_ids)).to_numpy(dtype=np.float64)
            growth = float(model.slim_optimize()) if pfba else float(solution.objective_value)
        else:
            fluxes = np.zeros(len(reaction_ids))
            growth = 0.0
    return ConditionResult(condition, max(growth, 0.0) if status == "optimal" else 0.0, status,
                           objective_id, reaction_ids, fluxes, "pfba" if pfba else "fba")


def solve_conditions(model, conditions: Sequence[Condition], pfba: bool = False,
                     progress: Callable[[float, str], None] | None = None,
                     should_stop: Callable[[], bool] | None = None) -> list[ConditionResult]:
    out = []
    for i, cond in enumerate(conditions):
        check_stop(should_stop)
        if progress:
            progress(i / max(len(conditions), 1), f"FBA: {cond.name}")
        out.append(solve_condition(model, cond, pfba))
    if progress:
        progress(1.0, "FBA done")
    return out
