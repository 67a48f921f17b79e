"""The batch results folder: one Parquet file per chunk, a manifest, and a growth table for spreadsheets.

Layout of ``DIR``::

    manifest.json            what was run (SPEC, models with SHA-256, options, software), which chunks are done
    chunks/chunk-00000.parquet   one row per medium (columns below), written atomically as each chunk finishes
    growth.csv               model, source, medium, status, growth, grows (and predicted_growth with weights) for
                             every medium; written when all is done

Chunk columns: ``chunk, model`` (as in the SPEC), ``source`` (the SPEC media item), ``model_id, medium,
description, status, growth`` (1/h), ``grows, method`` and one ``flux:<reaction id>`` column (mmol/gDW/h)
per requested flux. With trained weights (SPEC ``weights``, ``--weights``) also ``predicted_growth`` (1/h)
and ``predicted_grows_probability``, then the importances asked for: ``importance:<node id>``, ``top_node:T``
and ``top_importance:T`` (T from 1, most important first), ``pathway_importance:<pathway>``
(:mod:`core.batch.importance`). Read everything with :func:`read_results` (or ``pandas.read_parquet`` per file).

A rerun of the same SPEC into the same folder finds the manifest, checks that it describes the same work
(the plan's key covers the model files' bytes, every medium's bounds and the options) and skips every
chunk that is marked done and whose file is there.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import TYPE_CHECKING

from core.batch.spec import BatchPlan, Chunk
from core.batch.work import MediaTable
from core.errors import InputError
from core.io_utils import atomic_path, atomic_write_text

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

MANIFEST = "manifest.json"
CHUNK_DIR = "chunks"
GROWTH_CSV = "growth.csv"
FORMAT = "metattn-batch"
VERSION = 1


def _software() -> dict:
    import cobra
    import dask
    import distributed

    return {"python": platform.python_version(), "cobra": cobra.__version__, "dask": dask.__version__,
            "distributed": distributed.__version__, "solver": "glpk (COBRApy default)"}


class ResultFolder:
    """The results folder of one plan; only the process that runs the batch writes it."""

    def __init__(self, out: str | Path, plan: BatchPlan):
        self.out = Path(out)
        self.plan = plan
        self.manifest: dict = {}
        self.trained = bool(plan.spec.options.weights)

    @property
    def chunk_dir(self) -> Path:
        return self.out / CHUNK_DIR

    def finished(self) -> set[int]:
        """Check the folder can take this plan (InputError if not) and return the chunks already done."""
        manifest_path = self.out / MANIFEST
        if self.out.exists() and not self.out.is_dir():
            raise InputError("is a file, not a folder for batch results", self.out)
        if not manifest_path.exists():
            if self.out.exists() and any(self.out.iterdir()):
                raise InputError("is not empty and holds no batch manifest.json; give a new or empty folder", self.out)
            return set()
        try:
            old = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"cannot read its manifest ({exc}); give a new folder", manifest_path) from None
        if old.get("format") != FORMAT or old.get("key") != self.plan.key:
            raise InputError("holds the results of another SPEC (or the models, media or options changed since); "
                             "give a new folder", self.out)
        done = {int(c["index"]) for c in old.get("chunks", []) if c.get("done")}
        return {i for i in done if (self.chunk_dir / self.plan.chunks[i].file_name).is_file()}

    def start(self, done: set[int], where: str) -> None:
        """Write the manifest listing every chunk, ``done`` ones marked; ``where`` says what runs it."""
        spec = self.plan.spec
        self.manifest = {
            "format": FORMAT,
            "version": VERSION,
            "key": self.plan.key,
            "spec": str(Path(spec.path).resolve()) if Path(spec.path).is_file() else spec.path,
            "runs": [{"model": r.model, "media": [m.label for m in r.media]} for r in spec.runs],
            "options": {**spec.options.to_dict(), "chunk_size": spec.chunk_size},
            "models": [{"model": m.model, "source": m.source, "model_id": m.model_id, "sha256": m.sha256,
                        "media": m.media, **({"weights": m.weights, "weights_sha256": m.weights_sha256}
                                             if m.weights else {})} for m in self.plan.models],
            "media": self.plan.media_count,
            "ran_on": where,
            "software": _software(),
            "method": ("growth: FBA (COBRApy slim_optimize, GLPK) of each medium applied as `metattn run` applies it; "
                       + ("fluxes: parsimonious FBA. " if spec.options.pfba else "fluxes: the FBA solution (not unique). ")
                       + f"Each LP stops after {spec.options.time_limit:g} s: status time_limit means unresolved, "
                         "not 'does not grow'; growth is 0 wherever status is not optimal."
                       + (" predicted_growth and importances: the trained weights named per model, reading the "
                          "medium only (never FBA's answer), as `metattn run --weights` does; importance is each "
                          "node's share of the read-out attention (a medium's nodes sum to 1)."
                          if self.trained else "")),
            "complete": False,
            "chunks": [{"index": c.index, "file": f"{CHUNK_DIR}/{c.file_name}", "model": c.model, "media": len(c.media),
                        "digest": c.digest, "done": c.index in done} for c in self.plan.chunks],
        }
        self._save()

    def _save(self) -> None:
        atomic_write_text(self.out / MANIFEST, json.dumps(self.manifest, indent=1))

    def write_chunk(self, chunk: Chunk, table: MediaTable) -> Path:
        """Write the chunk's rows atomically, then mark it done in the manifest."""
        frame = table.to_frame()
        frame.insert(0, "source", list(chunk.sources))
        frame.insert(0, "model", chunk.model)
        frame.insert(0, "chunk", chunk.index)
        path = self.chunk_dir / chunk.file_name
        with atomic_path(path) as tmp:
            frame.to_parquet(tmp, engine="pyarrow", index=False)
        entry = self.manifest["chunks"][chunk.index]
        statuses = {}
        for s in table.status:
            statuses[s] = statuses.get(s, 0) + 1
        entry.update(done=True, seconds=round(table.seconds, 3), status=statuses, grows=int(table.grows.sum()))
        self._save()
        return path

    def finish(self) -> Path | None:
        """When every chunk is done: mark the manifest complete and write growth.csv; else None."""
        if not all(c["done"] for c in self.manifest["chunks"]):
            return None
        columns = ["model", "source", "medium", "status", "growth", "grows"] + (["predicted_growth"] if self.trained
                                                                                   else [])
        frame = read_results(self.out, columns=columns)
        path = self.out / GROWTH_CSV
        with atomic_path(path) as tmp:
            frame.to_csv(tmp, index=False)
        self.manifest["complete"] = True
        self._save()
        return path


def read_results(out: str | Path, columns: list[str] | None = None):
    """Every finished chunk of a batch folder as one pandas DataFrame, in chunk order (flux columns of
    models that lack them are NaN)."""
    import pandas as pd

    files = sorted((Path(out) / CHUNK_DIR).glob("chunk-*.parquet"))
    if not files:
        return pd.DataFrame(columns=columns or ["chunk", "model", "source", "medium", "status", "growth", "grows"])
    return pd.concat([pd.read_parquet(f, columns=columns) for f in files], ignore_index=True)


def growth_matrix(frame) -> tuple[list[str], list[str], "np.ndarray"]:
    """``(media, models, growth)`` from :func:`read_results` rows: growth[i, j] (1/h) of medium ``media[i]``
    on model ``models[j]``, NaN where that model did not run that medium. Media keep their first-seen
    order and are labelled ``source: medium`` unless the medium is named after its source (a preset)."""
    import numpy as np

    models: dict[str, int] = {}
    media: dict[str, int] = {}
    cells = []
    for model, source, medium, growth in zip(frame["model"], frame["source"], frame["medium"], frame["growth"]):
        label = str(medium) if str(source) == str(medium) else f"{source}: {medium}"
        cells.append((media.setdefault(label, len(media)), models.setdefault(str(model), len(models)), float(growth)))
    out = np.full((len(media), len(models)), np.nan)  # [media, models]
    for i, j, value in cells:
        out[i, j] = value
    return list(media), list(models), out
