"""The "What was run" section of summary.md: model, objective, solver, FBA method, carbon normalisation
and each condition's medium (its components and uptake bounds, what FBA actually took up), or the
reason a run is structure-only. Kept apart from :mod:`core.summary` so a reader can check what the
numbers below it came from."""

from __future__ import annotations

from typing import Callable, Sequence

from core.conditions.composition import IN_EXCESS
from core.conditions.plausibility import GROWTH_CEILING

_EXCESS = IN_EXCESS - 1.0  # bounds at or above this are "open", not a limit


def _amount(value: float) -> str:
    return f"{value:.3g}"


def medium_lines(condition) -> tuple[str, str, str]:
    """``(limiting, in excess, not in the model)`` texts for one Condition: limiting uptakes with their
    bounds in mmol/gDW/h (the carbon source first), the compounds or exchanges open at 1000, and the
    medium's compounds the model has no exchange for."""
    names = {rid: compound for compound, rid, _u in condition.components}
    limiting = [f"{names.get(rid, rid)} ({rid}) {_amount(v)}" for rid, v in condition.limiting_uptakes().items()]
    excess_ids = [rid for rid, v in condition.medium.items() if v >= _EXCESS]
    if condition.components:
        excess = ", ".join(names.get(rid, rid) for rid in excess_ids)
    else:
        excess = f"{len(excess_ids)} exchange(s): {', '.join(excess_ids[:8])}{' …' if len(excess_ids) > 8 else ''}" \
            if excess_ids else ""
    return "; ".join(limiting) or "none", excess or "none", ", ".join(condition.unmapped) or "–"


def run_facts(result) -> dict:
    """What was run, for report.json: objective, method, solver, carbon normalisation, structure only."""
    conditions = list(getattr(result, "conditions", ()) or ())
    first = conditions[0] if conditions else None
    settings = getattr(result, "settings", None)
    return {
        "structure_only": any(c.structure_only for c in conditions),
        "objective": first.objective_id if first is not None else None,
        "method": first.method if first is not None else None,
        "solver": first.solver if first is not None else None,
        "carbon_normalised": any(c.condition.carbon_normalised for c in conditions)
        or bool(getattr(settings, "carbon_normalised", False)),
        "growth_ceiling": GROWTH_CEILING,
    }


def run_section(result, md: Callable[[str], str], table: Callable[[Sequence[str], Sequence[Sequence]], list[str]]
                ) -> list[str]:
    """Markdown lines for ``result`` (a RunResult, or anything with ``conditions``, ``settings`` and
    ``loaded``); empty when there are no conditions."""
    conditions = list(getattr(result, "conditions", ()) or ())
    if not conditions:
        return []
    out = ["## What was run", ""]
    if any(c.structure_only for c in conditions):
        reason = conditions[0].condition.description.removeprefix("No FBA: ")
        return out + [f"**Structure only:** {md(reason)} Importance comes from the network's structure alone; "
                      "no growth rate, flux or medium is behind any number below.", ""]
    settings = getattr(result, "settings", None)
    first = conditions[0]
    method = {"pfba": "parsimonious FBA (pFBA: the optimal growth with the least total flux)",
              "fba": "FBA"}.get(first.method, first.method)
    normalised = any(c.condition.carbon_normalised for c in conditions) or bool(getattr(settings, "carbon_normalised",
                                                                                         False))
    out += [f"- **Objective:** {md(first.objective_id or 'none')}",
            f"- **Method:** {method}, solver {md(first.solver or 'unknown')}",
            "- **Carbon normalisation:** " + (
                "on: each carbon source supplies 60 mmol C/gDW/h, as 10 mmol/gDW/h glucose does, so growth compares "
                "substrates carbon for carbon" if normalised else
                "off: each carbon source at its own uptake in molecules, so a 12-carbon sugar at 10 mmol/gDW/h "
                "brings twice the carbon of glucose and can grow about twice as fast"),
            "- **Uptake bounds** are in mmol/gDW/h (the most the cell may take up); every exchange not listed is "
            "closed for uptake. Compounds \"in excess\" are open at 1000 and do not limit growth.", ""]
    rows = []
    for r in conditions:
        c = r.condition
        limiting, excess, missing = medium_lines(c)
        taken = r.flux_summary(top=1)["uptake"] if r.grows else {}
        names = {rid: compound for compound, rid, _u in c.components}
        used = "; ".join(f"{names.get(k, k)} {_amount(-v)}" for k, v in list(taken.items())[:4]) or "–"
        medium = c.description or c.medium_name or "as given in the conditions file"
        rows.append([md(r.name), md(medium), md(limiting), md(excess), md(used), md(missing)])
    out += table(["Condition", "Medium", "Limiting uptake bounds", "In excess", "Largest uptakes in the solution",
                  "Not in the model"], rows)
    return out
