"""Training data from the model itself: sampled media, their FBA growth and pFBA fluxes.

:func:`simulate_dataset` draws K media (:func:`core.training.media.sample_media`) and solves them with the
batch engine (:func:`core.batch.engine.solve_chunks`: Dask worker processes, one thread each, since GLPK is
not thread-safe); infeasible media stay in as zero-growth, does-not-grow examples. A dataset is saved as
one ``.npz`` (no pickles) and reloads without solving anything again.

Shapes (legend: M media, R reactions with fluxes, X exchanges a medium may open):
    growth  (M,)    1/h
    grows   (M,)    bool
    fluxes  (M, R)  mmol/gDW/h, pFBA (or FBA) where the medium grows, else 0
    uptake  (M, X)  mmol/gDW/h, the medium's uptake bounds as positive numbers
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from core.conditions import Condition
from core.errors import InputError, check_stop
from core.training.media import MediaRecipe, MediumSources, carbon_sources_of, medium_matrix, sample_media

DATASET_FORMAT = "metattn-training-data"
DATASET_VERSION = 1


@dataclass(frozen=True, eq=False)
class TrainingData:
    model_id: str
    media: tuple[Condition, ...]
    groups: tuple[str, ...]  # (M,) the medium's carbon sources joined by "+": its group for held-out splits
    carbons: tuple[tuple[str, ...], ...]  # (M,) carbon sources of each medium
    growth: np.ndarray  # (M,) float64
    grows: np.ndarray  # (M,) bool
    status: tuple[str, ...]
    flux_ids: tuple[str, ...]
    fluxes: np.ndarray  # (M, R) float32
    method: str  # "pfba" or "fba"
    recipe: MediaRecipe
    sources: MediumSources
    seed: int
    seconds: float  # time spent solving
    exchange_formulas: dict = field(default_factory=dict)  # exchange id -> formula of the compound it moves

    @property
    def n_media(self) -> int:
        return len(self.media)

    def uptake(self) -> tuple[np.ndarray, tuple[str, ...]]:
        """``(uptake (M, X), exchange ids (X,))``: the medium vector of the MLP baseline."""
        exchanges = self.sources.exchanges
        return medium_matrix(self.media, exchanges), exchanges

    def card(self) -> dict:
        """The data recipe, for a weights card."""
        return {"model": self.model_id, "media": self.n_media, "seed": self.seed, "fluxes": self.method,
                "recipe": self.recipe.to_dict(), "grows": int(self.grows.sum()),
                "carbon_sources": len(self.sources.sources["C"]), "solve_seconds": round(self.seconds, 1)}


def simulate_dataset(model_source: str, model, k: int, seed: int = 0, recipe: MediaRecipe | None = None,
                     pfba: bool = True, processes: int = 1, chunk: int = 100, scheduler: str | None = None,
                     sources: MediumSources | None = None, exclude_carbon: Sequence[str] = (),
                     progress: Callable[[float, str], None] | None = None,
                     should_stop: Callable[[], bool] | None = None) -> TrainingData:
    """Sample ``k`` media for ``model`` (loaded from ``model_source``) and solve each one.

    ``processes`` > 1 (or a Dask ``scheduler`` address) solves chunks of ``chunk`` media on the batch engine
    (:func:`core.batch.engine.solve_chunks`: a local Dask cluster of that many processes, each loading the
    model once); 1 solves here. Fluxes are returned for every reaction.
    """
    from core.batch.work import WorkOptions, simulate_media
    from core.training.media import find_sources

    recipe = recipe or MediaRecipe()
    if progress:
        progress(0.0, "Finding the carbon, nitrogen, phosphorus and sulfur sources the model can use")
    sources = sources or find_sources(model, recipe)
    media = sample_media(model, k, seed, recipe, sources, exclude_carbon)
    options = WorkOptions(pfba=pfba, flux_ids=None, time_limit=2.0)
    chunks = [media[i:i + chunk] for i in range(0, len(media), chunk)]
    start = time.perf_counter()
    tables = []
    if processes <= 1 and not scheduler:
        for i, part in enumerate(chunks):
            check_stop(should_stop)
            tables.append(simulate_media(model, part, options))
            if progress:
                progress((i + 1) / len(chunks), f"Solved {sum(len(t.names) for t in tables)} of {k} media")
    else:
        from core.batch.engine import solve_chunks

        tables = solve_chunks(model_source, chunks, options, scheduler=scheduler, workers=processes,
                              progress=progress, should_stop=should_stop)
    seconds = time.perf_counter() - start
    carbons = tuple(carbon_sources_of(m, sources) for m in media)
    return TrainingData(
        model_id=model.id or "model", media=tuple(media), groups=tuple("+".join(c) for c in carbons),
        carbons=carbons, growth=np.concatenate([t.growth for t in tables]),
        grows=np.concatenate([t.grows for t in tables]), status=tuple(s for t in tables for s in t.status),
        flux_ids=tables[0].flux_ids, fluxes=np.concatenate([t.fluxes for t in tables]),
        method="pfba" if pfba else "fba", recipe=recipe, sources=sources, seed=seed, seconds=seconds,
        exchange_formulas=exchange_formulas(model))


def exchange_formulas(model) -> dict[str, str]:
    """Exchange id -> formula of the one compound it moves (what the medium tokens' atom counts come from)."""
    out = {}
    for rxn in model.exchanges:
        mets = list(rxn.metabolites)
        if len(mets) == 1 and mets[0].formula:
            out[rxn.id] = str(mets[0].formula)
    return out


def save_dataset(data: TrainingData, path: str | Path) -> Path:
    """Write ``data`` as one .npz (arrays plus a JSON header; no pickles), atomically."""
    from core.io_utils import atomic_path

    header = {
        "format": DATASET_FORMAT, "version": DATASET_VERSION, "model_id": data.model_id, "seed": data.seed,
        "method": data.method, "seconds": data.seconds, "recipe": data.recipe.to_dict(),
        "flux_ids": list(data.flux_ids), "status": list(data.status),
        "sources": {"base": {k: list(v) for k, v in data.sources.base.items()}, "oxygen": data.sources.oxygen,
                    "sources": {k: list(v) for k, v in data.sources.sources.items()},
                    "defaults": {k: list(v) for k, v in data.sources.defaults.items()}},
        "media": [m.to_dict() for m in data.media],
        "exchange_formulas": dict(data.exchange_formulas),
    }
    with atomic_path(path, True) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, header=np.array(json.dumps(header)), growth=data.growth,
                                grows=data.grows, fluxes=data.fluxes)
    return Path(path)


def load_dataset(path: str | Path) -> TrainingData:
    """Read a file written by :func:`save_dataset`; InputError for anything else."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            header = json.loads(str(npz["header"]))
            growth, grows, fluxes = npz["growth"], npz["grows"], npz["fluxes"]
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"not a training data file ({exc})", path) from None
    if header.get("format") != DATASET_FORMAT:
        raise InputError("not a metattn training data file", path)
    s = header["sources"]
    sources = MediumSources(base={k: tuple(v) for k, v in s["base"].items()}, oxygen=s["oxygen"],
                            sources={k: tuple(v) for k, v in s["sources"].items()},
                            defaults={k: tuple(v) for k, v in s["defaults"].items()})
    media = tuple(Condition(name=m["name"], bounds={k: tuple(v) for k, v in m["bounds"].items()},
                            description=m.get("description", "")) for m in header["media"])
    carbons = tuple(carbon_sources_of(m, sources) for m in media)
    return TrainingData(model_id=header["model_id"], media=media, groups=tuple("+".join(c) for c in carbons),
                        carbons=carbons, growth=growth.astype(np.float64), grows=grows.astype(bool),
                        status=tuple(header["status"]), flux_ids=tuple(header["flux_ids"]),
                        fluxes=fluxes.astype(np.float32), method=header["method"],
                        recipe=MediaRecipe.from_dict(header["recipe"]), sources=sources, seed=int(header["seed"]),
                        seconds=float(header["seconds"]),
                        exchange_formulas={str(k): str(v) for k, v in header.get("exchange_formulas", {}).items()})


def group_split(groups: Sequence[str], test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(train, test)`` indices with no group (carbon-source combination) on both sides."""
    unique = sorted(set(groups))
    rng = np.random.default_rng(seed)
    rng.shuffle(unique)
    n_test = max(1, int(round(test_fraction * len(unique))))
    test_groups = set(unique[:n_test])
    test = np.array([i for i, g in enumerate(groups) if g in test_groups], dtype=np.int64)
    train = np.array([i for i, g in enumerate(groups) if g not in test_groups], dtype=np.int64)
    return train, test


def source_split(carbons: Sequence[Sequence[str]], held_out: str) -> tuple[np.ndarray, np.ndarray]:
    """``(train, test)``: every medium containing carbon source ``held_out`` is in test, none in train."""
    test = np.array([i for i, c in enumerate(carbons) if held_out in c], dtype=np.int64)
    train = np.array([i for i, c in enumerate(carbons) if held_out not in c], dtype=np.int64)
    if not len(test):
        raise InputError(f"no medium contains the carbon source {held_out}")
    return train, test
