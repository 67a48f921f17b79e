"""Is a growth rate biology or an artefact of an open medium?

GROWTH_CEILING: 2.0 1/h, a doubling time of 21 minutes. E. coli's fastest growth is about 2 1/h
(20-minute doublings in rich medium at 37 °C); on a minimal medium with one carbon source it grows at
0.6-1.0 1/h (iJO1366 on glucose M9 predicts 0.98). Most bacteria are slower; only fast specialists
such as Vibrio natriegens (about 10-minute doublings in rich medium) exceed it. Above the ceiling the
usual cause is an uptake left open at 1000 that feeds the biomass (pyrophosphate, H2S, CO2, a
nucleotide, an amino acid), so a run names the largest uptakes beside the warning.
"""

from __future__ import annotations

from core.conditions.types import ConditionResult

GROWTH_CEILING = 2.0  # 1/h, bacteria; see the module docstring
# Uptakes that feed every medium and explain nothing on their own.
_UNINFORMATIVE = ("EX_h2o_e", "EX_h_e", "cpd00001_e0", "cpd00067_e0")


def growth_warning(result: ConditionResult, ceiling: float = GROWTH_CEILING, top: int = 4) -> str | None:
    """One line when ``result``'s growth is above ``ceiling`` (1/h), naming the largest uptakes
    (mmol/gDW/h) that feed it; None when the growth is plausible or the solve failed."""
    if not result.grows or result.growth_rate <= ceiling:
        return None
    uptakes = [(k, v) for k, v in result.flux_summary(top=1)["uptake"].items() if k not in _UNINFORMATIVE]
    feeds = ", ".join(f"{k} {v:.3g}" for k, v in sorted(uptakes, key=lambda kv: kv[1])[:top])
    return (f"Condition '{result.name}': growth {result.growth_rate:.3g} 1/h is above the plausible ceiling of "
            f"{ceiling:g} 1/h for a bacterium (a doubling under {60 * 0.6931 / ceiling:.0f} min), so it is suspicious: "
            f"check the medium; largest uptakes {feeds or '(none)'} mmol/gDW/h.")


def medium_notes(results) -> list[str]:
    """Plain-language notes on the media of ``results`` (ConditionResults): each growth above the
    ceiling, then medium compounds the model has no exchange for (once, for the conditions sharing them)."""
    notes = [w for r in results if (w := growth_warning(r))]  # the warnings first: they matter most
    by_missing: dict[tuple[str, ...], list[str]] = {}
    for r in results:
        if r.condition.unmapped:
            by_missing.setdefault(tuple(r.condition.unmapped), []).append(r.name)
    for missing, names in by_missing.items():
        notes.append(f"Medium of {', '.join(repr(n) for n in names)}: the model has no exchange for "
                     f"{', '.join(missing)}, so these components are left out.")
    return notes
