"""Random growth media around a model's own minimal medium: the inputs the trained model learns from.

:func:`sample_media` draws seeded media as :class:`core.conditions.Condition` objects: the presets' M9
composition without carbon mapped onto the model (:func:`sampling_base`), then 1–3 carbon sources switched on at
random uptakes, oxygen on (80 %) or off, and sometimes ammonium, phosphate or sulfate swapped for another
nitrogen, phosphorus or sulfur source. Which exchanges can serve as a source is not taken from a list of
BiGG ids: :func:`find_sources` asks the model itself (FBA of each candidate alone), so a model from any
reconstruction tool gets media it can grow on, and media that cannot grow stay in as zero-growth examples.

Units: uptake in mmol/gDW/h (positive amounts); bounds in COBRA convention (negative lower bound = uptake).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from core.conditions import Condition, base_medium, composed_medium
from core.errors import InputError

ELEMENTS = ("C", "N", "P", "S")


@dataclass(frozen=True)
class MediaRecipe:
    """How :func:`sample_media` draws a medium; stored in a weights card so a dataset can be remade."""

    carbon_sources: tuple[int, int] = (1, 3)  # how many carbon sources are open, inclusive range
    carbon_uptake: tuple[float, float] = (0.5, 10.0)  # mmol/gDW/h, uniform per source
    oxygen_uptake: tuple[float, float] = (0.0, 20.0)  # mmol/gDW/h when aerobic
    anaerobic_share: float = 0.2
    # Share of aerobic media with oxygen as the model's own medium has it (iJO1366, e_coli_core: 1000,
    # i.e. never limiting), as the presets do; without it every preset lies outside the training data.
    oxygen_unlimited_share: float = 0.3
    swap_share: dict = field(default_factory=lambda: {"N": 0.25, "P": 0.1, "S": 0.1})
    swap_uptake: tuple[float, float] = (0.5, 10.0)  # an alternative N/P/S source's uptake
    min_growth_alone: float = 0.01  # 1/h a candidate must reach alone to count as a source
    # The medium around which media are drawn: "M9", the presets' own composition without carbon (salts,
    # trace elements, O2 at the model's bound), so presets lie inside the training data; "own": the model's
    # medium with its carbon sources closed (datasets made before the presets were compositions).
    base: str = "M9"

    def to_dict(self) -> dict:
        return {"carbon_sources": list(self.carbon_sources), "carbon_uptake": list(self.carbon_uptake),
                "oxygen_uptake": list(self.oxygen_uptake), "anaerobic_share": self.anaerobic_share,
                "oxygen_unlimited_share": self.oxygen_unlimited_share,
                "swap_share": dict(self.swap_share), "swap_uptake": list(self.swap_uptake),
                "min_growth_alone": self.min_growth_alone, "base": self.base}

    @classmethod
    def from_dict(cls, data: dict) -> "MediaRecipe":
        return cls(carbon_sources=tuple(data["carbon_sources"]), carbon_uptake=tuple(data["carbon_uptake"]),
                   oxygen_uptake=tuple(data["oxygen_uptake"]), anaerobic_share=float(data["anaerobic_share"]),
                   oxygen_unlimited_share=float(data.get("oxygen_unlimited_share", 0.0)),
                   swap_share=dict(data["swap_share"]), swap_uptake=tuple(data["swap_uptake"]),
                   min_growth_alone=float(data["min_growth_alone"]), base=str(data.get("base", "own")))


@dataclass(frozen=True)
class MediumSources:
    """What a model can take up: its minimal base, its oxygen exchange and its sources per element.

    ``sources[e]`` lists exchange ids that supply element ``e`` (C, N, P, S) and let the model grow
    when they are the only source of it on the base; ``defaults[e]`` are the base's own sources of it
    (ammonium, phosphate, sulfate on a BiGG model), closed when another source is swapped in.
    """

    base: dict[str, tuple[float, float]]
    oxygen: str | None
    sources: dict[str, tuple[str, ...]]
    defaults: dict[str, tuple[str, ...]]

    @property
    def exchanges(self) -> tuple[str, ...]:
        """Every exchange a sampled medium may open, in a fixed order (the medium vector's columns)."""
        ids = set(self.base) | {x for ids in self.sources.values() for x in ids}
        if self.oxygen:
            ids.add(self.oxygen)
        return tuple(sorted(ids))


def _elements(formula: str | None) -> dict[str, int]:
    import re

    out: dict[str, int] = {}
    for symbol, count in re.findall(r"([A-Z][a-z]?)(\d*)", formula or ""):
        out[symbol] = out.get(symbol, 0) + int(count or 1)
    return out


def _exchange_elements(model) -> dict[str, dict[str, int]]:
    """Exchange id -> element counts of the metabolite it exchanges (single-metabolite exchanges only)."""
    out = {}
    for rxn in model.exchanges:
        mets = list(rxn.metabolites)
        if len(mets) == 1:
            out[rxn.id] = _elements(mets[0].formula)
    return out


def _grows_alone(model, bounds: dict[str, tuple[float, float]], threshold: float) -> bool:
    with model:
        for rxn in model.boundary:
            rxn.bounds = bounds.get(rxn.id, (0.0, max(rxn.upper_bound, 0.0)))
        value = model.slim_optimize(error_value=float("nan"))
    return bool(np.isfinite(value) and value > threshold)


def sampling_base(model, recipe: MediaRecipe) -> dict[str, tuple[float, float]]:
    """Open uptakes every sampled medium starts from (carbon closed): the M9 composition the presets use, mapped
    onto the model, or the model's own medium when the recipe says so or M9 maps onto none of its exchanges."""
    if recipe.base == "M9":
        bounds = composed_medium(model, "M9", {}, aerobic=True).bounds(model)
        if bounds:
            return bounds
    return base_medium(model)


def find_sources(model, recipe: MediaRecipe | None = None) -> MediumSources:
    """Screen the model's exchanges for C, N, P and S sources it can grow on alone (FBA each).

    iJO1366: ~330 exchanges, a few seconds. Raises InputError when the model has no exchange
    reactions, no objective or no carbon source that supports growth on its minimal base.
    """
    recipe = recipe or MediaRecipe()
    name = model.id or "the model"
    if not model.exchanges:
        raise InputError(f"{name} has no exchange reactions, so no medium can be defined for it")
    if not any(r.objective_coefficient for r in model.reactions):
        raise InputError(f"{name} has no objective (biomass) reaction, so there is no growth to learn")
    base = sampling_base(model, recipe)
    elements = _exchange_elements(model)
    oxygen = next((rid for rid, el in elements.items() if el == {"O": 2}), None)
    # The base's own bulk sources of each element (ammonium, phosphate, ...); trace components such as
    # cobalamin at 0.01 stay open when another source is swapped in.
    defaults = {e: tuple(sorted(rid for rid in base if e in elements.get(rid, {}) and rid != oxygen
                                and -base[rid][0] > 0.01 and elements[rid] != {"C": 1, "O": 2}))
                for e in ELEMENTS}
    carbon_ref = None
    sources: dict[str, tuple[str, ...]] = {}
    for element in ELEMENTS:
        found = []
        for rid, counts in sorted(elements.items()):
            if element not in counts or rid == oxygen or counts == {"C": 1, "O": 2}:
                continue
            if element == "C" and rid in base:
                continue
            trial = dict(base)
            if element != "C":
                if carbon_ref is None:
                    continue
                for other in defaults[element]:
                    trial[other] = (0.0, trial[other][1])
                trial[carbon_ref] = (-10.0, 1000.0)
            trial[rid] = (-10.0, float(model.reactions.get_by_id(rid).upper_bound))
            if _grows_alone(model, trial, recipe.min_growth_alone):
                found.append(rid)
        sources[element] = tuple(found)
        if element == "C":
            if not found:
                raise InputError(f"{name} grows on none of its carbon exchanges alone (with its own medium, "
                                 "carbon sources closed), so media cannot be sampled for it")
            carbon_ref = next((r for r in found if "glc" in r.lower()), found[0])
    return MediumSources(base, oxygen, sources, defaults)


def sample_media(model, k: int, seed: int = 0, recipe: MediaRecipe | None = None,
                 sources: MediumSources | None = None, exclude_carbon: Sequence[str] = ()) -> list[Condition]:
    """``k`` seeded random media for ``model`` (same model, k, seed and recipe -> the same media).

    ``exclude_carbon``: carbon exchanges never drawn (held out for a leave-source-out test).
    Each Condition's ``description`` lists its open sources and uptakes in words.
    """
    if k < 1:
        raise InputError(f"the number of media must be at least 1, not {k}")
    recipe = recipe or MediaRecipe()
    sources = sources or find_sources(model, recipe)
    carbons = [c for c in sources.sources["C"] if c not in set(exclude_carbon)]
    if not carbons:
        raise InputError("no carbon source left to sample from after the held-out ones")
    rng = np.random.default_rng(seed)
    lo, hi = recipe.carbon_sources
    media = []
    width = max(4, int(math.log10(k)) + 1)
    for i in range(k):
        bounds = dict(sources.base)
        parts = []
        n = int(rng.integers(lo, min(hi, len(carbons)) + 1))
        for rid in sorted(str(r) for r in rng.choice(carbons, size=n, replace=False)):
            uptake = float(rng.uniform(*recipe.carbon_uptake))
            bounds[rid] = (-uptake, 1000.0)
            parts.append(f"{rid} {uptake:.2f}")
        if sources.oxygen:
            draw = rng.random()
            own = sources.base.get(sources.oxygen)
            if draw < recipe.anaerobic_share:
                bounds[sources.oxygen] = (0.0, 1000.0)
                parts.append("anaerobic")
            elif own is not None and own[0] < 0 and draw < recipe.anaerobic_share + (
                    1 - recipe.anaerobic_share) * recipe.oxygen_unlimited_share:
                bounds[sources.oxygen] = own
                parts.append(f"{sources.oxygen} {-own[0]:g} (the model's own)")
            else:
                uptake = float(rng.uniform(*recipe.oxygen_uptake))
                bounds[sources.oxygen] = (-uptake, 1000.0)
                parts.append(f"{sources.oxygen} {uptake:.2f}")
        for element in ("N", "P", "S"):
            share = float(recipe.swap_share.get(element, 0.0))
            options = sources.sources.get(element, ())
            if options and rng.random() < share:
                for rid in sources.defaults[element]:
                    bounds[rid] = (0.0, bounds[rid][1])
                rid = str(rng.choice(options))
                uptake = float(rng.uniform(*recipe.swap_uptake))
                bounds[rid] = (-uptake, 1000.0)
                parts.append(f"{element} from {rid} {uptake:.2f}")
        media.append(Condition(name=f"medium {i:0{width}d}", bounds=bounds, description="; ".join(parts)))
    return media


def carbon_sources_of(condition: Condition, sources: MediumSources) -> tuple[str, ...]:
    """The carbon sources open in a sampled medium (its group for a held-out split)."""
    carbons = set(sources.sources["C"])
    return tuple(sorted(rid for rid, (lb, _ub) in condition.bounds.items() if lb < 0 and rid in carbons))


def medium_matrix(media: Sequence[Condition], exchanges: Sequence[str]) -> np.ndarray:
    """(M, X) float32 uptake (positive, mmol/gDW/h) of each medium on each exchange: the MLP baseline's input."""
    col = {rid: j for j, rid in enumerate(exchanges)}
    out = np.zeros((len(media), len(exchanges)), dtype=np.float32)
    for i, cond in enumerate(media):
        for rid, (lb, _ub) in cond.bounds.items():
            if lb < 0 and rid in col:
                out[i, col[rid]] = -lb
    return out
