"""Growth conditions and what FBA found in them: :class:`Condition`, :class:`ConditionResult`.

Units: uptake and fluxes in mmol/gDW/h; growth rate in 1/h. ``bounds`` use the COBRA sign
convention (negative lower bound = uptake).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

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
    # What the medium is made of, when it was defined by composition (presets): (compound, exchange id,
    # uptake in mmol/gDW/h); compounds the model has no exchange for; whether the carbon source was
    # scaled to 60 mmol C/gDW/h; the base medium's name (e.g. M9).
    components: tuple[tuple[str, str, float], ...] = ()
    unmapped: tuple[str, ...] = ()
    carbon_normalised: bool = False
    medium_name: str = ""

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
            "medium_name": self.medium_name,
            "components": [{"compound": n, "exchange": rid, "uptake": u} for n, rid, u in self.components],
            "unmapped": list(self.unmapped),
            "carbon_normalised": self.carbon_normalised,
        }

    def limiting_uptakes(self) -> dict[str, float]:
        """Exchange id -> uptake bound (mmol/gDW/h) of what is not in excess (below 1000): the carbon
        source, a capped oxygen supply, ... largest first. What the user means by "glucose 10"."""
        return dict(sorted(((k, v) for k, v in self.medium.items() if v < 999.0), key=lambda kv: -kv[1]))

    @classmethod
    def from_dict(cls, data: dict) -> "Condition":
        """Inverse of :meth:`to_dict` (projects, reports): numbers and names converted, nothing resolved
        against a model."""
        return cls(
            name=str(data["name"]),
            bounds={str(k): (float(v[0]), float(v[1])) for k, v in data.get("bounds", {}).items()},
            description=str(data.get("description", "")),
            measured_growth=None if data.get("measured_growth") is None else float(data["measured_growth"]),
            measured_fluxes={str(k): float(v) for k, v in (data.get("measured_fluxes") or {}).items()},
            preset=data.get("preset"),
            components=tuple((str(c["compound"]), str(c["exchange"]), float(c["uptake"]))
                             for c in data.get("components") or ()),
            unmapped=tuple(str(u) for u in data.get("unmapped") or ()),
            carbon_normalised=bool(data.get("carbon_normalised", False)),
            medium_name=str(data.get("medium_name") or ""),
        )


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
    # The model's exchange reactions (uptake and secretion are read from these); empty: ids starting "EX_".
    exchange_ids: frozenset[str] = frozenset()
    solver: str = ""  # the LP solver that ran, e.g. glpk

    @property
    def name(self) -> str:
        return self.condition.name

    @property
    def structure_only(self) -> bool:
        """A stand-in for a model that cannot be solved: no FBA ran (see core.conditions.fba)."""
        return self.status == "structure only"

    @property
    def grows(self) -> bool:
        return self.status == "optimal" and self.growth_rate > 1e-6

    def status_text(self) -> str:
        if self.status == "optimal":
            return "grows" if self.grows else "no growth (optimal at zero)"
        return {"infeasible": "infeasible: no flux satisfies the medium's bounds",
                "unbounded": "unbounded: the medium lets growth grow without limit",
                "structure only": "structure only: no FBA (the model cannot be solved; see the notes)"}.get(
            self.status, f"solver status {self.status}")

    def flux_summary(self, top: int = 10) -> dict:
        flux = self.fluxes
        order = np.argsort(-np.abs(flux))[:top]
        is_exchange = (lambda rid: rid in self.exchange_ids) if self.exchange_ids else (lambda rid: rid.startswith("EX_"))
        exchanges = {rid: float(flux[j]) for j, rid in enumerate(self.reaction_ids)
                     if is_exchange(rid) and abs(flux[j]) > 1e-9}
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
            "solver": self.solver,
            "objective": self.objective_id,
            "fluxes": self.flux_summary(top),
        }


def growth_arrays(results: Sequence[ConditionResult]) -> tuple[np.ndarray, np.ndarray]:
    """``(fba, measured)`` growth rates in 1/h, one per condition; measured is NaN where not given."""
    fba = np.array([r.growth_rate for r in results], dtype=float)
    measured = np.array([np.nan if r.condition.measured_growth is None else r.condition.measured_growth
                         for r in results], dtype=float)
    return fba, measured
