"""The unit of batch work: one model and a chunk of media in, one table of growth, status and fluxes out.

No Qt and no Dask in here: the Dask engine (:mod:`core.batch.engine`), the training data builder and the
tests all call :func:`simulate_media` / :func:`run_chunk` directly.

Each medium is applied exactly as :func:`core.conditions.solve_condition` applies it
(:func:`core.conditions.fba.apply_medium`, inside ``with model:``), growth comes from
``slim_optimize`` (NaN or a non-optimal status = no growth) and, when asked, fluxes from parsimonious
FBA of the feasible media only; when ``WorkOptions.weights`` names trained weights, also the trained
model's predicted growth and attention importances per medium (:mod:`core.batch.importance`). Every LP runs under a GLPK time limit, because GLPK can spend more than
75 s on one infeasible problem depending on the basis the previous medium left behind.

Shapes: M media, R reactions whose fluxes are returned.
Units: growth in 1/h; fluxes in mmol/gDW/h.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Sequence

import numpy as np

from core.conditions import Condition
from core.conditions.fba import apply_medium
from core.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import cobra
    import pandas

    from core.batch.importance import Importances

GROWTH_THRESHOLD = 1e-6  # 1/h; at or below this a feasible medium counts as "does not grow"
FLUX_PREFIX = "flux:"  # column name prefix of fluxes in :meth:`MediaTable.to_frame`


@dataclass(frozen=True)
class WorkOptions:
    """What to compute for each medium."""

    pfba: bool = False  # fluxes from parsimonious FBA (else the FBA solution's fluxes)
    flux_ids: tuple[str, ...] | None = ()  # reactions whose fluxes to return; None = every reaction; () = none
    time_limit: float = 2.0  # GLPK time limit per LP, seconds (optlang's GLPK takes whole seconds: rounded up)
    # Trained weights (a safetensors file's path, or shipped:<name> for one in resources/weights): when set, each
    # medium's predicted growth and attention importances too (core.batch.importance), limited to what follows
    # so that a table stays small.
    weights: str | None = None
    importance_ids: tuple[str, ...] | None = ()  # nodes whose importance to return; None = every node; () = none
    top_nodes: int = 0  # the N most important nodes of each medium (id and importance)
    pathway_importance: bool = False  # importance summed over each pathway's nodes

    def to_dict(self) -> dict:
        out = {"pfba": self.pfba, "flux_ids": None if self.flux_ids is None else list(self.flux_ids),
               "time_limit": self.time_limit}
        if self.weights:  # only then: folders of runs without weights keep their key
            out.update(weights=self.weights,
                       importance_ids=None if self.importance_ids is None else list(self.importance_ids),
                       top_nodes=self.top_nodes, pathway_importance=self.pathway_importance)
        return out


@dataclass(frozen=True, eq=False)
class MediaTable:
    """FBA of one model in M media. Row ``i`` of every array belongs to medium ``names[i]``."""

    model_id: str
    names: tuple[str, ...]  # (M,) medium names
    status: tuple[str, ...]  # (M,) "optimal" / "infeasible" / "time_limit" / ... as the solver says
    growth: np.ndarray  # (M,) float64, 1/h; 0.0 where not optimal
    grows: np.ndarray  # (M,) bool, status optimal and growth > 1e-6
    flux_ids: tuple[str, ...]  # (R,)
    fluxes: np.ndarray  # (M, R) float32, mmol/gDW/h; 0 where not optimal
    seconds: float  # wall time of the chunk
    descriptions: tuple[str, ...] = ()  # (M,) each medium's description, or () when not kept
    method: str = "fba"  # "fba" or "pfba": where the fluxes come from
    importances: "Importances | None" = None  # trained weights' predictions and importances, when asked

    def __len__(self) -> int:
        return len(self.names)

    def to_frame(self) -> "pandas.DataFrame":
        """One row per medium: model_id, medium, description, status, growth, grows, method, one
        ``flux:<reaction id>`` column per returned flux and, with trained weights, the columns of
        :meth:`core.batch.importance.Importances.columns`."""
        import pandas as pd

        m = len(self.names)
        columns = {
            "model_id": [self.model_id] * m,
            "medium": list(self.names),
            "description": list(self.descriptions) if self.descriptions else [""] * m,
            "status": list(self.status),
            "growth": self.growth.astype(np.float64),
            "grows": self.grows.astype(bool),
            "method": [self.method] * m,
        }
        frame = pd.DataFrame(columns)
        if self.flux_ids:
            fluxes = pd.DataFrame(self.fluxes.reshape(m, len(self.flux_ids)),  # [M, R]
                                  columns=[FLUX_PREFIX + rid for rid in self.flux_ids])
            frame = pd.concat([frame, fluxes], axis=1)
        if self.importances is not None:
            frame = pd.concat([frame, pd.DataFrame(self.importances.columns())], axis=1)
        return frame


def _flux_ids(model, options: WorkOptions) -> tuple[str, ...]:
    if options.flux_ids is None:
        return tuple(r.id for r in model.reactions)
    missing = [rid for rid in options.flux_ids if rid not in model.reactions]
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise InputError(f"{model.id or 'the model'} has no reaction(s) {shown} to report fluxes of")
    return tuple(options.flux_ids)


def _set_time_limit(model, seconds: float | None) -> None:
    # optlang's GLPK interface multiplies by 1000 into an int field: it only takes whole seconds.
    model.solver.configuration.timeout = None if seconds is None else max(1, int(math.ceil(seconds)))


def simulate_media(model: "cobra.Model", media: Sequence[Condition], options: WorkOptions = WorkOptions(),
                   model_id: str | None = None) -> MediaTable:
    """FBA (and pFBA when asked) of ``model`` in each medium of ``media``; the model is left unchanged.

    ``model_id`` names the model in the table (default: ``model.id``). Raises InputError when a
    requested flux reaction is not in the model.
    """
    import cobra.flux_analysis
    from cobra.core.solution import get_solution

    start = time.perf_counter()
    ids = _flux_ids(model, options)
    reactions = [model.reactions.get_by_id(rid) for rid in ids]
    m = len(media)
    status: list[str] = []
    growth = np.zeros(m, dtype=np.float64)
    fluxes = np.zeros((m, len(ids)), dtype=np.float32)  # [M, R]
    previous_limit = model.solver.configuration.timeout
    _set_time_limit(model, options.time_limit)
    try:
        for i, medium in enumerate(media):
            with model:
                apply_medium(model, medium)
                value = model.slim_optimize(error_value=float("nan"))
                state = model.solver.status
                status.append(state)
                if state != "optimal" or not np.isfinite(value):
                    continue
                growth[i] = max(float(value), 0.0)
                if not reactions:
                    continue
                solution = None
                if options.pfba:
                    try:
                        solution = cobra.flux_analysis.pfba(model, reactions=reactions)
                    except Exception:  # pFBA infeasible or out of time at numerical edges: keep FBA fluxes
                        model.slim_optimize(error_value=float("nan"))
                if solution is None and model.solver.status == "optimal":
                    solution = get_solution(model, reactions=reactions)
                if solution is not None:
                    fluxes[i] = solution.fluxes.reindex(list(ids)).to_numpy(dtype=np.float32)
    finally:
        model.solver.configuration.timeout = previous_limit
    status_t = tuple(status)
    optimal = np.array([s == "optimal" for s in status_t], dtype=bool)
    return MediaTable(
        model_id=model.id if model_id is None else model_id,
        names=tuple(c.name for c in media),
        status=status_t,
        growth=growth,
        grows=optimal & (growth > GROWTH_THRESHOLD),
        flux_ids=ids,
        fluxes=fluxes,
        seconds=time.perf_counter() - start,
        descriptions=tuple(c.description for c in media),
        method="pfba" if options.pfba else "fba",
    )


# One parsed model per source per process: a Dask worker or pool process reads (or unpickles) each
# model once, not once per task (iJO1366: ~1.6 s from the JSON cache, ~1.2 s to unpickle).
_MODELS: dict[str, object] = {}


def cached_model(model_source: str):
    """The ``cobra.Model`` for a path or bundled name, loaded through :func:`core.models.load_model` once
    per process."""
    key = str(model_source)
    model = _MODELS.get(key)
    if model is None:
        from core.models import load_model

        model = load_model(key).model
        _MODELS[key] = model
    return model


def run_chunk(model_source: str, media: Sequence[Condition], options: WorkOptions = WorkOptions()) -> MediaTable:
    """:func:`simulate_media` on the model at ``model_source`` (a path or bundled name), kept loaded in
    this process for the next chunk; with ``options.weights``, plus the trained model's predictions and
    importances (:func:`core.batch.importance.media_importance`; weights and graph also kept loaded)."""
    model = cached_model(model_source)
    table = simulate_media(model, media, options)
    if not options.weights or not len(table):
        return table
    from core.batch import importance

    start = time.perf_counter()
    graph = importance.cached_graph(model_source, model)
    predictor, _card = importance.cached_predictor(options.weights, graph)
    found = importance.media_importance(graph, predictor, importance.weights_path(options.weights), media,
                                        options.importance_ids, options.top_nodes, options.pathway_importance)
    return replace(table, importances=found, seconds=table.seconds + time.perf_counter() - start)
