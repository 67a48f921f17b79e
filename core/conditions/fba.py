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


# Fluxes smaller than this (mmol/gDW/h) are solver noise (-2.9e-15), shown and stored as 0.
FLUX_ZERO = 1e-9


def solver_name(model) -> str:
    """The LP solver COBRApy uses for ``model``: ``glpk``, ``cplex``, ``gurobi``, ..."""
    return model.solver.interface.__name__.rsplit(".", 1)[-1].removesuffix("_interface")


def unsolvable_reason(model) -> str | None:
    """One line saying why FBA cannot run on ``model`` (no exchange reactions, no objective), or None."""
    from core.conditions.composition import exchange_metabolites

    missing = []
    if not model.boundary:
        missing.append("no exchange reactions")
    elif not exchange_metabolites(model, boundary_fallback=False):
        missing.append(f"no exchange reactions (only {len(model.boundary)} sink or demand reaction(s))")
    if not any(r.objective_coefficient for r in model.reactions):
        missing.append("no objective")
    if not missing:
        return None
    return (f"{model.id or 'The model'} has {' and '.join(missing)}, so FBA cannot run: this is a structure-only run "
            "(graph, attention without FBA features, analysis); growth and fluxes are not computed.")


def structure_only_result(model, reason: str) -> ConditionResult:
    """A stand-in for FBA when ``model`` cannot be solved (no exchanges, no objective): zero fluxes,
    status ``structure only``, so attention runs on the graph's structure alone."""
    condition = Condition(name="structure only", bounds={}, description=f"No FBA: {reason}")
    ids = tuple(r.id for r in model.reactions)
    return ConditionResult(condition, 0.0, "structure only", "", ids, np.zeros(len(ids)), "none")


def parsimonious_solution(model):
    """``cobra.flux_analysis.pfba(model)``, the same LP solved the same way, without its cost on a
    genome-scale model: cobra replaces the objective by a new one and puts the old back when its ``with
    model:`` ends, and optlang rebuilds the replaced objective's sympy expression over every reaction
    variable to do so (1.2-1.5 s per condition on iJO1366, two thirds of pFBA). Here the objective's
    coefficients are changed in the solver and changed back; the constraint fixing growth at its
    optimum is added and removed as cobra does. Same fluxes (tests/core/test_fba_pfba.py)."""
    from cobra.core.solution import get_solution
    from cobra.util.solver import fix_objective_as_constraint

    objective = model.solver.objective
    variables = [v for r in model.reactions for v in (r.forward_variable, r.reverse_variable)]
    before, direction = objective.get_linear_coefficients(variables), objective.direction
    with model:  # removes the constraint again
        fix_objective_as_constraint(model, fraction=1.0)
        objective.set_linear_coefficients({v: 1.0 for v in variables})
        objective.direction = "min"
        try:
            model.slim_optimize(error_value=None)
            solution = get_solution(model, reactions=model.reactions)
        finally:
            objective.set_linear_coefficients(before)
            objective.direction = direction
    return solution


def solve_condition(model, condition: Condition, pfba: bool = False) -> ConditionResult:
    """FBA (or parsimonious FBA) of ``model`` in ``condition``; the model is left unchanged."""
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
                solution = parsimonious_solution(model)
            except Exception:  # pFBA infeasible at numerical edges: keep the FBA fluxes
                pass
        if status == "optimal":
            fluxes = solution.fluxes.reindex(list(reaction_ids)).to_numpy(dtype=np.float64)
            fluxes[np.abs(fluxes) < FLUX_ZERO] = 0.0
            growth = float(model.slim_optimize()) if pfba else float(solution.objective_value)
        else:
            fluxes = np.zeros(len(reaction_ids))
            growth = 0.0
    growth = growth if abs(growth) >= FLUX_ZERO else 0.0
    return ConditionResult(condition, max(growth, 0.0) if status == "optimal" else 0.0, status,
                           objective_id, reaction_ids, fluxes, "pfba" if pfba else "fba",
                           frozenset(r.id for r in model.boundary), solver_name(model))


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
