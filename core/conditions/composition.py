"""Media defined by their composition, mapped onto any model's exchanges.

A medium is a list of compounds (``resources/presets.json``: ``media`` and ``compounds``), not "the
model's own medium with its carbon closed": a model written elsewhere may leave pyrophosphate, H2S or
CO2 open at 1000 in its default medium, and those then feed impossible growth. Each compound is
mapped onto the model's exchange reactions, in this order:

1. by id: the BiGG base id (``glc__D`` -> ``glc__D_e``/``EX_glc__D_e``) or the ModelSEED id
   (``cpd00027`` -> ``cpd00027_e0``), on the exchanged metabolite's id without its compartment;
2. by formula (exact, then ignoring hydrogen, i.e. protonation), narrowed by charge and name when
   several exchanges share the formula (D-glucose, D-galactose, D-fructose are all C6H12O6);
3. by name alone when the model has no formulas.

What cannot be mapped, or only ambiguously, is reported (:class:`MappedMedium`), never guessed.
Every exchange not listed in the result is closed for uptake when the medium is applied
(:func:`core.conditions.fba.apply_medium`).

Units: uptake in mmol/gDW/h (positive amounts).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

# Uptake of a compound the presets list as "in excess" (salts, water, protons): COBRA's open bound.
IN_EXCESS = 1000.0

_COMPARTMENT = re.compile(r"(?:_|\[)(?:e|ex|ext|extracellular|o|out|b|boundary)\d*\]?$", re.IGNORECASE)


@lru_cache(maxsize=1)
def _preset_file() -> dict:
    return json.loads((files("resources") / "presets.json").read_text(encoding="utf-8"))


def compounds() -> dict[str, dict]:
    """BiGG base id -> compound (name, names, formula, charge, seed id, default uptake)."""
    return _preset_file()["compounds"]


def media() -> dict[str, dict]:
    """Medium name (e.g. ``M9``) -> description and its component compound ids."""
    return _preset_file()["media"]


@dataclass(frozen=True)
class MappedMedium:
    """A composition mapped onto one model.

    ``components``: (compound name, exchange id, uptake in mmol/gDW/h) for each compound found;
    ``unmapped``: compound names with no exchange in the model; ``ambiguous``: compound name -> the
    exchanges it could be (not used).
    """

    components: tuple[tuple[str, str, float], ...]
    unmapped: tuple[str, ...]
    ambiguous: dict[str, tuple[str, ...]]

    def bounds(self, model) -> dict[str, tuple[float, float]]:
        """Exchange id -> (lower, upper) in COBRA convention (uptake negative), secretion as the model has it."""
        out = {}
        for _name, rid, uptake in self.components:
            out[rid] = (-float(uptake), max(float(model.reactions.get_by_id(rid).upper_bound), 0.0))
        return out


def _norm(text: str | None) -> str:
    return re.sub(r"[^a-z0-9+]", "", (text or "").lower())


def base_id(metabolite_id: str) -> str:
    """A metabolite id without its extracellular compartment suffix: ``glc__D_e`` -> ``glc__D``,
    ``cpd00027_e0`` -> ``cpd00027``, ``M_glc[e]`` -> ``M_glc``."""
    return _COMPARTMENT.sub("", metabolite_id)


def _elements(formula: str | None) -> dict[str, float] | None:
    if not formula:
        return None
    from cobra import Metabolite

    try:
        return dict(Metabolite("x", formula=formula).elements)
    except Exception:  # an unparsable formula (R groups are parsed; garbage is not): no formula
        return None


def exchange_metabolites(model, boundary_fallback: bool = True) -> dict[str, object]:
    """Exchange reaction id -> the metabolite it exchanges, for boundary reactions with one metabolite
    that take it up at negative flux (the COBRA convention ``met <=>``). Uses COBRApy's exchanges
    (boundary reactions in the external compartment), or, with ``boundary_fallback``, every boundary
    reaction when it finds none."""
    import logging
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logging.getLogger("cobra").disabled, was = True, logging.getLogger("cobra").disabled
            try:
                rxns = list(model.exchanges)
            finally:
                logging.getLogger("cobra").disabled = was
    except Exception:  # COBRApy cannot guess the external compartment
        rxns = []
    if not rxns and boundary_fallback:
        rxns = list(model.boundary)
    out = {}
    for rxn in rxns:
        mets = list(rxn.metabolites.items())
        if len(mets) == 1 and mets[0][1] < 0:
            out[rxn.id] = mets[0][0]
    return out


def _find(compound_id: str, spec: dict, exchanges: dict[str, object]) -> list[str]:
    """Exchange ids that carry ``compound_id`` (see the module docstring for the order)."""
    ids = {compound_id, spec.get("seed", "")} - {""}
    hits = [rid for rid, met in exchanges.items() if base_id(met.id) in ids or rid in {f"EX_{i}_e" for i in ids}]
    if hits:
        return hits
    names = {_norm(n) for n in [spec.get("name", ""), *spec.get("names", [])]} - {""}
    target = _elements(spec.get("formula"))

    def narrowed(found: list[str]) -> list[str]:
        if len(found) > 1 and spec.get("charge") is not None:
            same = [r for r in found if exchanges[r].charge == spec["charge"]]
            found = same or found
        if len(found) > 1:
            named = [r for r in found if _norm(exchanges[r].name) in names]
            found = named or found
        return found

    if target is not None:
        exact = [rid for rid, met in exchanges.items() if _elements(met.formula) == target]
        if exact:
            return narrowed(exact)
        heavy = {k: v for k, v in target.items() if k != "H"}
        if heavy:  # protonation differs between models (acetate C2H3O2 vs acetic acid C2H4O2)
            loose = []
            for rid, met in exchanges.items():
                els = _elements(met.formula)
                if els is not None and {k: v for k, v in els.items() if k != "H"} == heavy:
                    loose.append(rid)
            loose = narrowed(loose)
            if len(loose) == 1 or (loose and any(_norm(exchanges[r].name) in names for r in loose)):
                return loose
    return [rid for rid, met in exchanges.items() if _norm(met.name) in names]


def map_compounds(model, wanted: dict[str, float | None]) -> MappedMedium:
    """Map compounds (BiGG base id -> uptake, None: the compound's default, or the model's own
    bound for oxygen) onto ``model``'s exchanges. Ids not in the compound table are looked up as
    exchange or metabolite ids only."""
    table = compounds()
    exchanges = exchange_metabolites(model)
    own = dict(model.medium)
    found, unmapped, ambiguous = [], [], {}
    for cid, uptake in wanted.items():
        spec = table.get(cid, {"name": cid})
        hits = _find(cid, spec, exchanges)
        name = spec.get("name", cid)
        if not hits:
            unmapped.append(name)
            continue
        if len(hits) > 1:
            ambiguous[name] = tuple(sorted(hits))
            continue
        rid = hits[0]
        if uptake is None:
            uptake = own.get(rid) if cid == "o2" and own.get(rid) else spec.get("uptake", IN_EXCESS)
        found.append((name, rid, float(uptake)))
    return MappedMedium(tuple(found), tuple(unmapped), ambiguous)


def composed_medium(model, medium: str = "M9", carbon: dict[str, float] | None = None,
                    aerobic: bool = True) -> MappedMedium:
    """``medium``'s salts and trace elements (in excess), oxygen when ``aerobic`` (at the model's own
    bound, or in excess when the model has none), and ``carbon`` (BiGG base id -> uptake)."""
    if medium not in media():
        from core.errors import InputError

        raise InputError(f"unknown medium {medium!r} (known: {', '.join(media())})")
    wanted: dict[str, float | None] = {c: None for c in media()[medium]["components"]}
    if aerobic:
        wanted["o2"] = None
    for cid, amount in (carbon or {}).items():
        wanted[cid] = float(amount)
    return map_compounds(model, wanted)
