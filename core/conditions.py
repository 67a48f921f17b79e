"""Growth conditions and their flux balance analysis.

A :class:`Condition` is a medium (uptake bounds on exchange reactions) plus optional measurements.
:func:`solve_conditions` runs FBA (COBRApy, GLPK) for each one inside ``with model:`` so the model is
never left modified, and returns :class:`ConditionResult` objects.

Units: uptake and fluxes in mmol/gDW/h; growth rate in 1/h.
Sign convention: users give uptake as a positive amount ("10 mmol/gDW/h of glucose"); COBRA lower
bounds are negative for uptake. ``lower_bound`` columns in files use the COBRA convention.
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from core.errors import InputError, check_stop

REFERENCE_CARBONS = 6  # carbon normalisation: same C-mol as 10 mmol/gDW/h glucose


@dataclass(frozen=True)
class Condition:
    """A growth medium and what was measured in it.

    ``bounds`` maps an exchange reaction id to (lower, upper) in COBRA convention; exchanges not
    listed are closed for uptake (secretion stays open).
    """

    name: str
    bounds: dict[str, tuple[float, float]]
    description: str = ""
    measured_growth: float | None = None  # 1/h
    measured_fluxes: dict[str, float] = field(default_factory=dict)  # reaction id -> mmol/gDW/h
    preset: str | None = None

    @property
    def medium(self) -> dict[str, float]:
        """Exchange id -> maximal uptake (positive), as COBRApy's ``model.medium``."""
        return {k: -lb for k, (lb, _ub) in sorted(self.bounds.items()) if lb < 0}

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "preset": self.preset,
            "bounds": {k: [lb, ub] for k, (lb, ub) in sorted(self.bounds.items())},
            "measured_growth": self.measured_growth,
            "measured_fluxes": dict(self.measured_fluxes),
        }


@dataclass(frozen=True, eq=False)
class ConditionResult:
    """FBA of one condition. ``fluxes[j]`` is the flux of ``reaction_ids[j]`` (zeros unless optimal)."""

    condition: Condition
    growth_rate: float  # 1/h, 0.0 unless status is "optimal"
    status: str  # optimal / infeasible / unbounded / ... as the solver says it
    objective_id: str
    reaction_ids: tuple[str, ...]
    fluxes: np.ndarray  # (R,) float64
    method: str = "fba"

    @property
    def name(self) -> str:
        return self.condition.name

    @property
    def grows(self) -> bool:
        return self.status == "optimal" and self.growth_rate > 1e-6

    def status_text(self) -> str:
        if self.status == "optimal":
            return "grows" if self.grows else "no growth (optimal at zero)"
        return {"infeasible": "infeasible: no flux satisfies the medium's bounds",
                "unbounded": "unbounded: the medium lets growth grow without limit"}.get(
            self.status, f"solver status {self.status}")

    def flux_summary(self, top: int = 10) -> dict:
        flux = self.fluxes
        order = np.argsort(-np.abs(flux))[:top]
        exchanges = {rid: float(flux[j]) for j, rid in enumerate(self.reaction_ids)
                     if rid.startswith("EX_") and abs(flux[j]) > 1e-9}
        uptake = {k: v for k, v in exchanges.items() if v < 0}
        secretion = {k: v for k, v in exchanges.items() if v > 0}
        return {
            "active_reactions": int((np.abs(flux) > 1e-9).sum()),
            "total_abs_flux": float(np.abs(flux).sum()),
            "top_reactions": [{"id": self.reaction_ids[j], "flux": float(flux[j])} for j in order if abs(flux[j]) > 1e-9],
            "uptake": dict(sorted(uptake.items(), key=lambda kv: kv[1])),
            "secretion": dict(sorted(secretion.items(), key=lambda kv: -kv[1])),
        }

    def to_dict(self, top: int = 10) -> dict:
        return {
            "name": self.name,
            "medium": self.condition.medium,
            "condition": self.condition.to_dict(),
            "growth_rate": self.growth_rate,
            "measured_growth": self.condition.measured_growth,
            "status": self.status,
            "status_text": self.status_text(),
            "method": self.method,
            "objective": self.objective_id,
            "fluxes": self.flux_summary(top),
        }


def growth_arrays(results: Sequence[ConditionResult]) -> tuple[np.ndarray, np.ndarray]:
    """``(fba, measured)`` growth rates in 1/h, one per condition; measured is NaN where not given."""
    fba = np.array([r.growth_rate for r in results], dtype=float)
    measured = np.array([np.nan if r.condition.measured_growth is None else r.condition.measured_growth
                         for r in results], dtype=float)
    return fba, measured


# --------------------------------------------------------------------------- presets


def load_presets() -> dict[str, dict]:
    data = json.loads((files("resources") / "presets.json").read_text(encoding="utf-8"))
    return data["presets"]


def preset_names() -> list[str]:
    return list(load_presets())


def _carbons(formula: str | None) -> int:
    if not formula:
        return 0
    match = re.search(r"C(?![a-z])(\d*)", formula)
    if not match:
        return 0
    return int(match.group(1) or 1)


def base_medium(model) -> dict[str, tuple[float, float]]:
    """The model's own medium with its carbon sources closed (CO2 and trace cofactors kept)."""
    out = {}
    for rid, uptake in model.medium.items():
        rxn = model.reactions.get_by_id(rid)
        mets = list(rxn.metabolites)
        is_carbon = any(_carbons(m.formula) > 0 for m in mets)
        is_co2 = any(m.id.startswith("co2") for m in mets)
        if is_carbon and not is_co2 and uptake > 0.01:
            continue
        out[rid] = (-float(uptake), float(rxn.upper_bound))
    return out


def resolve_exchange(model, key: str, source: str | Path | None = None) -> str:
    """Map a user's name for a medium component to an exchange reaction id.

    Accepts an exchange reaction id (``EX_glc__D_e``), an extracellular metabolite id (``glc__D_e``)
    or a base id (``glc__D``) when exactly one boundary reaction carries it.
    """
    key = key.strip()
    boundary = {r.id: r for r in model.boundary}
    if key in boundary:
        return key
    candidates = [key] if key in model.metabolites else []
    if not candidates:
        candidates = [m.id for m in model.metabolites if m.id in (f"{key}_e", f"{key}_e0") or m.id.rsplit("_", 1)[0] == key]
    hits = sorted({r.id for mid in candidates for r in model.metabolites.get_by_id(mid).reactions if r.id in boundary})
    if len(hits) == 1:
        return hits[0]
    model_name = model.id or "the model"
    if not hits:
        raise InputError(f"unknown exchange '{key}': no exchange reaction for it in {model_name}", source)
    raise InputError(f"'{key}' is ambiguous in {model_name}: it matches {', '.join(hits)}", source)


def preset_condition(model, name: str, carbon_normalised: bool = False, uptake: float | None = None) -> Condition:
    """A preset medium for ``model``; ``uptake`` overrides the carbon source amount (mmol/gDW/h)."""
    presets = load_presets()
    if name not in presets:
        raise InputError(f"unknown preset '{name}' (known: {', '.join(presets)})")
    spec = presets[name]
    bounds = base_medium(model)
    for met, amount in spec["carbon"].items():
        rid = resolve_exchange(model, met, f"preset {name}")
        amount = float(uptake if uptake is not None else amount)
        if carbon_normalised:
            n_c = max(_carbons(model.reactions.get_by_id(rid).reactants[0].formula if model.reactions.get_by_id(rid).reactants else ""), 1)
            amount = amount * REFERENCE_CARBONS / n_c
        bounds[rid] = (-amount, float(model.reactions.get_by_id(rid).upper_bound))
    if not spec.get("aerobic", True):
        for rid in list(bounds):
            if rid.startswith("EX_o2"):
                bounds[rid] = (0.0, bounds[rid][1])
    return Condition(name=name, bounds=bounds, description=spec.get("description", ""), preset=name)


# The presets a run uses when the user names none, and the GUI ticks on a fresh start.
DEFAULT_PRESETS = ("glucose", "acetate", "lactose")


def resolve_presets(model, carbon_normalised: bool = False,
                    names: Sequence[str] | None = None) -> dict[str, Condition | str]:
    """Preset name -> its Condition for ``model``, or the reason ``model`` cannot take it (a string).

    ``names`` defaults to every preset. A preset fails when the model has no exchange for its
    carbon source (e_coli_core has none for lactose or glycerol).
    """
    out: dict[str, Condition | str] = {}
    for name in (preset_names() if names is None else names):
        try:
            out[name] = preset_condition(model, name, carbon_normalised)
        except InputError as exc:
            out[name] = str(exc)
    return out


# --------------------------------------------------------------------------- user files


def _number(value, what: str, source) -> float:
    try:
        out = float(str(value).strip())
    except (TypeError, ValueError):
        raise InputError(f"{what} is not a number: {value!r}", source) from None
    if math.isnan(out):
        raise InputError(f"{what} is NaN", source)
    return out


def _finish(model, name: str, spec: dict, source) -> Condition:
    """Build a Condition from a normalised spec dict (see :func:`load_conditions_file`)."""
    if not name or not name.strip():
        raise InputError("a condition has no name", source)
    base = spec.get("base", "minimal")
    if spec.get("preset"):
        start = preset_condition(model, spec["preset"], bool(spec.get("carbon_normalised", False)))
        bounds = dict(start.bounds)
    elif base == "minimal":
        bounds = base_medium(model)
    elif base == "model":
        bounds = {rid: (-v, float(model.reactions.get_by_id(rid).upper_bound)) for rid, v in model.medium.items()}
    elif base == "none":
        bounds = {}
    else:
        raise InputError(f"condition '{name}': unknown base '{base}' (use minimal, model or none)", source)
    for key, amount in spec.get("uptake", {}).items():
        amount = _number(amount, f"condition '{name}', uptake of {key}", source)
        if amount < 0:
            raise InputError(f"condition '{name}': uptake of {key} is negative ({amount}); give uptake as a positive amount "
                             "or use lower_bound for COBRA-signed bounds", source)
        rid = resolve_exchange(model, key, source)
        bounds[rid] = (-amount, float(model.reactions.get_by_id(rid).upper_bound))
    for key, pair in spec.get("bounds", {}).items():
        lb = _number(pair[0], f"condition '{name}', lower_bound of {key}", source)
        ub = _number(pair[1], f"condition '{name}', upper_bound of {key}", source) if pair[1] is not None else None
        rid = resolve_exchange(model, key, source)
        ub = float(model.reactions.get_by_id(rid).upper_bound) if ub is None else ub
        if lb > ub:
            raise InputError(f"condition '{name}': lower_bound {lb} > upper_bound {ub} for {key}", source)
        bounds[rid] = (lb, ub)
    growth = spec.get("measured_growth")
    growth = None if growth in (None, "") else _number(growth, f"condition '{name}', measured_growth", source)
    if growth is not None and growth < 0:
        raise InputError(f"condition '{name}': measured_growth is negative ({growth})", source)
    fluxes = {}
    for rid, value in spec.get("measured_fluxes", {}).items():
        if rid not in model.reactions:
            raise InputError(f"condition '{name}': measured flux for unknown reaction '{rid}'", source)
        fluxes[rid] = _number(value, f"condition '{name}', measured flux of {rid}", source)
    return Condition(name=name.strip(), bounds=bounds, description=spec.get("description", ""),
                     measured_growth=growth, measured_fluxes=fluxes, preset=spec.get("preset"))


def load_conditions_file(model, path: str | Path) -> list[Condition]:
    """Read conditions from JSON or CSV.

    JSON: ``{"conditions": [{"name": ..., "preset": "glucose" | "base": "minimal|model|none",
    "uptake": {exchange_or_metabolite: amount}, "bounds": {exchange: [lower, upper]},
    "measured_growth": 0.6, "measured_fluxes": {reaction: flux}}]}`` (a bare list works too).

    CSV: columns ``condition,exchange`` and ``lower_bound`` (COBRA sign: negative = uptake) or
    ``uptake`` (positive amount); optional ``upper_bound``, ``measured_growth``, ``base``.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("conditions file not found", path) from None
    except UnicodeDecodeError:
        raise InputError("not a text file (expected CSV or JSON)", path) from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", path) from None
    if not text.strip():
        raise InputError("the conditions file is empty", path)
    if text.lstrip().startswith(("{", "[")) or path.suffix.lower() == ".json":
        specs = _specs_from_json(text, path)
    else:
        specs = _specs_from_csv(text, path)
    names = [n for n, _ in specs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"duplicate condition names: {', '.join(dupes)}", path)
    return [_finish(model, name, spec, path) for name, spec in specs]


def _specs_from_json(text: str, path) -> list[tuple[str, dict]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg} at line {exc.lineno})", path) from None
    items = data.get("conditions") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise InputError("expected a list of conditions under the key 'conditions'", path)
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise InputError(f"condition #{i + 1} needs a 'name'", path)
        for key in ("uptake", "bounds", "measured_fluxes"):
            if not isinstance(item.get(key, {}), dict):
                raise InputError(f"condition '{item['name']}': '{key}' must be an object", path)
        for key, pair in item.get("bounds", {}).items():
            if not isinstance(pair, list) or len(pair) != 2:
                raise InputError(f"condition '{item['name']}': bounds of {key} must be [lower, upper]", path)
        out.append((item["name"], item))
    return out


def _specs_from_csv(text: str, path) -> list[tuple[str, dict]]:
    reader = csv.DictReader(text.splitlines())
    cols = {c.strip().lower() for c in (reader.fieldnames or []) if c}
    missing = [c for c in ("condition", "exchange") if c not in cols]
    if missing or not ({"lower_bound", "uptake"} & cols):
        need = missing + ([] if {"lower_bound", "uptake"} & cols else ["lower_bound or uptake"])
        raise InputError(f"CSV is missing the column(s) {', '.join(need)} "
                         "(expected condition,exchange,lower_bound[,upper_bound])", path)
    specs: dict[str, dict] = {}
    for line_no, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
        name = row.get("condition", "")
        if not name:
            raise InputError(f"line {line_no}: empty condition name", path)
        spec = specs.setdefault(name, {"uptake": {}, "bounds": {}})
        if row.get("base"):
            spec["base"] = row["base"]
        if row.get("measured_growth"):
            spec["measured_growth"] = row["measured_growth"]
        exchange = row.get("exchange", "")
        if not exchange:
            continue  # a row that only carries measured_growth
        if row.get("uptake", "") != "":
            spec["uptake"][exchange] = row["uptake"]
        elif row.get("lower_bound", "") != "":
            spec["bounds"][exchange] = [row["lower_bound"], row.get("upper_bound") or None]
        else:
            raise InputError(f"line {line_no}: no lower_bound or uptake for {exchange}", path)
    if not specs:
        raise InputError("the CSV has a header but no conditions", path)
    return list(specs.items())


def save_conditions_file(conditions: Sequence[Condition], path: str | Path) -> None:
    """Write conditions as JSON (the format :func:`load_conditions_file` reads back)."""
    from core.io_utils import atomic_write_text

    data = {"format": "metattn-conditions", "version": 1, "conditions": [
        {"name": c.name, "description": c.description, "base": "none",
         "bounds": {k: [lb, ub] for k, (lb, ub) in sorted(c.bounds.items())},
         **({"measured_growth": c.measured_growth} if c.measured_growth is not None else {}),
         **({"measured_fluxes": c.measured_fluxes} if c.measured_fluxes else {})}
        for c in conditions]}
    atomic_write_text(path, json.dumps(data, indent=2))


def resolve_conditions(model, spec: str | Sequence[str], carbon_normalised: bool = False) -> list[Condition]:
    """Turn a CLI-style spec into conditions: comma-separated preset names and/or file paths."""
    items = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
    if not items:
        raise InputError("no conditions given")
    out: list[Condition] = []
    for item in items:
        if item in load_presets():
            out.append(preset_condition(model, item, carbon_normalised))
        elif Path(item).suffix.lower() in (".json", ".csv") or Path(item).exists():
            out.extend(load_conditions_file(model, item))
        else:
            raise InputError(f"unknown preset or missing conditions file '{item}' (presets: {', '.join(load_presets())})")
    names = [c.name for c in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"duplicate condition names: {', '.join(dupes)}")
    return out


# --------------------------------------------------------------------------- FBA


def solve_condition(model, condition: Condition, pfba: bool = False) -> ConditionResult:
    """FBA (or parsimonious FBA) of ``model`` in ``condition``; the model is left unchanged."""
    import cobra.flux_analysis
    from cobra.core.solution import get_solution

    reaction_ids = tuple(r.id for r in model.reactions)
    objective_id = ",".join(r.id for r in model.reactions if r.objective_coefficient) or str(model.objective.expression)
    with model:
        for rxn in model.boundary:
            lb, ub = condition.bounds.get(rxn.id, (0.0, max(rxn.upper_bound, 0.0)))
            rxn.bounds = (lb, ub)
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
