"""Caches that cut the waits a user sees (issue 17).

Three kinds, each keyed on content, never on a name:

* **The model and its graph, kept in the process** (:func:`load_model`, :func:`graphs`). The window's
  compute process turns this on (:func:`keep_in_process`), so a second Run, or the first Run after the
  window opened a model, does not parse the model again. Keyed on the SHA-256 of the model file's
  bytes (a changed file is a different key) and, for the graph, on the currency options.
* **FBA solutions** (:func:`solve_conditions`), in memory and on disk under the model cache folder
  (``fba/<key>.npz``). The key is the SHA-256 of the model file's digest, the medium's bounds, the
  method (FBA or pFBA), the LP solver, the cobra version and :data:`FORMAT`. The files are plain
  NumPy arrays read with ``allow_pickle=False`` (nothing in them can run) and checked on reading: the
  stored key and the model's reaction ids must match, or the file is dropped and the condition solved
  again. A file that cannot be read at all is treated the same way; a cache folder that cannot be
  written costs speed, nothing else.

Same inputs give the same numbers with and without these caches: a hit returns what the solver
returned for exactly that model file, medium and method.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from core.errors import check_stop

log = logging.getLogger(__name__)

FORMAT = "1"
KEEP_MODELS = 2  # models (with their graphs) a process keeps; a genome-scale one is ~100 MB
KEEP_SOLUTIONS = 256  # FBA solutions kept in memory

_keep = False
_models: OrderedDict = OrderedDict()  # digest -> LoadedModel
_graphs: OrderedDict = OrderedDict()  # (digest, filter, currency ids) -> (full graph, graph)
_solutions: OrderedDict = OrderedDict()  # key -> ConditionResult
_counts = {"models_loaded": 0, "models_reused": 0, "fba_solved": 0, "fba_reused": 0}


def keep_in_process(on: bool = True) -> None:
    """Keep loaded models and their graphs in this process between runs (the window's compute process);
    off, :func:`load_model` and :func:`graphs` load and build every time. Turning it off forgets them."""
    global _keep
    _keep = bool(on)
    if not _keep:
        _models.clear()
        _graphs.clear()


def counts() -> dict[str, int]:
    """How often this process loaded or reused a model and solved or reused an FBA solution."""
    return dict(_counts)


def forget() -> None:
    """Drop everything kept in memory (models, graphs, FBA solutions); disk files stay."""
    _models.clear()
    _graphs.clear()
    _solutions.clear()


def _remember(store: OrderedDict, key, value, size: int) -> None:
    store[key] = value
    store.move_to_end(key)
    while len(store) > size:
        store.popitem(last=False)


# --------------------------------------------------------------------------- model and graph


def load_model(source, use_cache: bool = True):
    """:func:`core.models.load_model`, or the model this process already holds for the same file bytes."""
    from core import models

    if not (_keep and use_cache):
        return models.load_model(source, use_cache)
    label, digest = models.file_digest(source)
    hit = _models.get(digest)
    if hit is not None:
        _models.move_to_end(digest)
        _counts["models_reused"] += 1
        return replace(hit, source=label)
    _counts["models_loaded"] += 1
    loaded = models.load_model(source, use_cache)
    _remember(_models, loaded.sha256, loaded, KEEP_MODELS)
    return loaded


def graphs(loaded, filter_currency: bool, currency_ids):
    """``(full graph, graph attention runs on)`` of a loaded model, built once per model and options."""
    from core.graph import build_graph, remove_currency

    key = (loaded.sha256, bool(filter_currency), None if currency_ids is None else tuple(currency_ids))
    kept = _keep and getattr(_models.get(loaded.sha256), "model", None) is loaded.model
    hit = _graphs.get(key) if kept else None
    if hit is not None:
        _graphs.move_to_end(key)
        return hit
    full = build_graph(loaded.model)
    graph = remove_currency(full, currency_ids) if filter_currency else full
    if kept:
        _remember(_graphs, key, (full, graph), KEEP_MODELS * 2)
    return full, graph


# --------------------------------------------------------------------------- FBA solutions


def fba_key(model_digest: str, condition, pfba: bool, solver: str) -> str:
    """The cache key of one FBA solution: everything that decides it, hashed."""
    import cobra

    bounds = sorted((str(k), float(lb), float(ub)) for k, (lb, ub) in condition.bounds.items())
    text = json.dumps({"format": FORMAT, "model": model_digest, "bounds": bounds, "method": "pfba" if pfba else "fba",
                       "solver": solver, "cobra": cobra.__version__}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fba_dir() -> Path:
    from core.models import cache_dir

    return cache_dir() / "fba"


def _read_solution(key: str, condition, reaction_ids: tuple[str, ...]):
    """The ConditionResult stored under ``key``, or None (absent, unreadable or not this model's)."""
    from core.conditions.types import ConditionResult

    path = fba_dir() / f"{key}.npz"
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["key"]) != key or tuple(data["reaction_ids"].tolist()) != reaction_ids:
                raise ValueError("stored for another model or medium")
            fluxes = np.asarray(data["fluxes"], dtype=np.float64)
            if fluxes.shape != (len(reaction_ids),):
                raise ValueError("fluxes of the wrong length")
            return ConditionResult(condition, float(data["growth"]), str(data["status"]), str(data["objective_id"]),
                                   reaction_ids, fluxes, str(data["method"]),
                                   frozenset(data["exchange_ids"].tolist()), str(data["solver"]))
    except Exception as exc:  # damaged or foreign: dropped and solved again, never trusted
        log.warning("dropping unusable FBA cache file %s (%s)", path, exc)
        try:
            path.unlink()
        except OSError:
            pass
        return None


def _write_solution(key: str, result) -> None:
    folder = fba_dir()
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.getpid()}-", suffix=".npz")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, key=np.array(key), growth=np.array(result.growth_rate, dtype=np.float64),
                     status=np.array(result.status), objective_id=np.array(result.objective_id),
                     reaction_ids=np.array(result.reaction_ids, dtype=str), fluxes=result.fluxes,
                     method=np.array(result.method), exchange_ids=np.array(sorted(result.exchange_ids), dtype=str),
                     solver=np.array(result.solver))
        os.replace(tmp, folder / f"{key}.npz")
    except OSError as exc:  # a read-only or full cache folder only costs speed
        log.info("FBA cache not written: %s", exc)
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def solve_conditions(loaded, conditions: Sequence, pfba: bool = False,
                     progress: Callable[[float, str], None] | None = None,
                     should_stop: Callable[[], bool] | None = None, use_cache: bool = True) -> list:
    """:func:`core.conditions.solve_conditions` with each solution taken from the cache when the same model
    file, medium and method were solved before (in this process or, through the disk, in another)."""
    from core.conditions import fba

    model = loaded.model
    if not use_cache:
        return fba.solve_conditions(model, conditions, pfba, progress, should_stop)
    solver = fba.solver_name(model)
    reaction_ids = tuple(r.id for r in model.reactions)
    out = []
    for i, cond in enumerate(conditions):
        check_stop(should_stop)
        if progress:
            progress(i / max(len(conditions), 1), f"FBA: {cond.name}")
        key = fba_key(loaded.sha256, cond, pfba, solver)
        hit, solved = _solutions.get(key), False
        if hit is None or hit.reaction_ids != reaction_ids:
            hit = _read_solution(key, cond, reaction_ids)
            if hit is None:
                hit, solved = fba.solve_condition(model, cond, pfba), True
                _write_solution(key, hit)
            _remember(_solutions, key, hit, KEEP_SOLUTIONS)
        _counts["fba_solved" if solved else "fba_reused"] += 1
        out.append(replace(hit, condition=cond, fluxes=hit.fluxes.copy()))
    if progress:
        progress(1.0, "FBA done")
    return out
