"""Preset growth media (``resources/presets.json``) and how a user's name maps to an exchange."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Sequence

from core.conditions.types import Condition
from core.errors import InputError

REFERENCE_CARBONS = 6  # carbon normalisation: same C-mol as 10 mmol/gDW/h glucose

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
        raise InputError(f"unknown exchange {key!r}: no exchange reaction for it in {model_name}", source)
    raise InputError(f"{key!r} is ambiguous in {model_name}: it matches {', '.join(hits)}", source)


def preset_condition(model, name: str, carbon_normalised: bool = False, uptake: float | None = None) -> Condition:
    """A preset medium for ``model``: its composition (``resources/presets.json``) mapped onto the model's
    exchanges (:func:`core.conditions.composition.composed_medium`), every other uptake closed.
    ``uptake`` overrides the carbon source amount (mmol/gDW/h). InputError when the model has no
    exchange for the carbon source."""
    from core.conditions.composition import base_id, composed_medium, compounds

    presets = load_presets()
    if name not in presets:
        raise InputError(f"unknown preset {name!r} (known: {', '.join(presets)})")
    spec = presets[name]
    carbon = {base_id(met): float(uptake if uptake is not None else amount) for met, amount in spec["carbon"].items()}
    mapped = composed_medium(model, spec.get("medium", "M9"), carbon, bool(spec.get("aerobic", True)))
    found = {compounds().get(c, {}).get("name", c): c for c in carbon}
    model_name = model.id or "the model"
    for label, cid in found.items():
        if label in mapped.ambiguous:
            raise InputError(f"{cid + '_e'!r} is ambiguous in {model_name}: it matches "
                             f"{', '.join(mapped.ambiguous[label])}", f"preset {name}")
        if label not in {c[0] for c in mapped.components}:
            raise InputError(f"unknown exchange {cid + '_e'!r}: no exchange reaction for it in {model_name}",
                             f"preset {name}")
    components = []
    for label, rid, amount in mapped.components:
        if label in found and carbon_normalised:
            rxn = model.reactions.get_by_id(rid)
            n_c = max(_carbons(rxn.reactants[0].formula if rxn.reactants else ""), 1)
            amount = amount * REFERENCE_CARBONS / n_c
        components.append((label, rid, amount))
    bounds = {rid: (-amount, max(float(model.reactions.get_by_id(rid).upper_bound), 0.0))
              for _label, rid, amount in components}
    unmapped = tuple(mapped.unmapped) + tuple(f"{k} (ambiguous: {', '.join(v)})" for k, v in mapped.ambiguous.items())
    return Condition(name=name, bounds=bounds, description=spec.get("description", ""), preset=name,
                     components=tuple(components), unmapped=unmapped,
                     carbon_normalised=carbon_normalised, medium_name=spec.get("medium", "M9"))


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
