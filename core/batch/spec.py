"""Batch SPEC files: which models run in which media, and how the work is cut into chunks.

A SPEC is CSV or JSON. CSV has one row per (model, media) pair::

    model,media
    textbook,glucose
    textbook,acetate
    iJO1366,random:2000:1
    strains/ST22.xml,my_media.csv

JSON lists models and media (every model in every medium), runs, or both, plus options::

    {"models": ["textbook", "iJO1366"], "media": ["glucose", "acetate"],
     "runs": [{"model": "iJO1366", "media": [{"random": 2000, "seed": 1}]}],
     "pfba": false, "fluxes": ["PGI", "PFK"], "chunk_size": 200, "time_limit": 2}

``model`` is a bundled model name (textbook, e_coli_core, iJO1366, salmonella) or a model file; ``media``
is a preset name (``python main.py presets``), a conditions file (.csv/.json, as ``run --conditions``
takes), or ``random:K[:SEED]``: K seeded random media around the model's minimal medium
(:func:`core.training.media.sample_media`). Relative paths are relative to the SPEC's folder.
``fluxes`` is a list of reaction ids, ``"all"``, or absent (growth and status only).

:func:`load_spec` checks the syntax; :func:`plan_batch` loads every model, resolves every medium and cuts
the media into chunks, so that every error a SPEC can hold is raised (as one :class:`InputError` line)
before any work starts.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

from core.batch.work import WorkOptions
from core.conditions import Condition
from core.errors import InputError, check_stop

DEFAULT_CHUNK_SIZE = 200  # media per task: a few hundred keeps Dask's per-task cost (~ms) negligible
MAX_RANDOM_MEDIA = 10_000_000  # per media item; ~1 KB of bounds each while planning
_RANDOM = re.compile(r"^random\s*[:\s]\s*(\d+)(?:\s*[:\s]\s*(?:seed\s*)?(\d+))?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class MediaSource:
    """One media item of a SPEC: a preset, a conditions file or K seeded random media."""

    kind: str  # "preset" | "file" | "random"
    value: str  # preset name, absolute file path, or "" for random
    k: int = 0
    seed: int = 0

    @property
    def label(self) -> str:
        """How the item is named in the results' ``source`` column."""
        if self.kind == "random":
            return f"random:{self.k}:{self.seed}"
        return self.value if self.kind == "preset" else Path(self.value).name


@dataclass(frozen=True)
class ModelRun:
    """One model of a SPEC and the media it runs in."""

    model: str  # as written in the SPEC (the results' ``model`` column)
    source: str  # what the workers load: a bundled name or an absolute path
    media: tuple[MediaSource, ...]
    where: str  # "line 3" / "runs[1]": where in the SPEC, for error messages


@dataclass(frozen=True)
class BatchSpec:
    path: str
    runs: tuple[ModelRun, ...]
    options: WorkOptions
    chunk_size: int


@dataclass(frozen=True)
class Chunk:
    """One task: a model and up to ``chunk_size`` of its media."""

    index: int
    model: str  # SPEC label
    source: str  # bundled name or absolute path, loaded on the worker
    media: tuple[Condition, ...]
    sources: tuple[str, ...]  # (M,) the SPEC media item each medium came from
    digest: str  # sha256 of the model file, the media bounds and the options: what the chunk computes
    options: WorkOptions = WorkOptions()  # the SPEC's, with the weights file resolved for this model

    @property
    def file_name(self) -> str:
        return f"chunk-{self.index:05d}.parquet"


@dataclass(frozen=True)
class ModelInfo:
    model: str
    source: str
    model_id: str
    sha256: str
    media: int
    weights: str = ""  # the trained weights file its importances come from ("" without weights)
    weights_sha256: str = ""


@dataclass(frozen=True)
class BatchPlan:
    spec: BatchSpec
    chunks: tuple[Chunk, ...]
    models: tuple[ModelInfo, ...]
    key: str  # sha256 over every chunk's digest: the identity of the run for reruns into the same folder

    @property
    def media_count(self) -> int:
        return sum(len(c.media) for c in self.chunks)


def _model_source(text: str, folder: Path) -> str:
    from core.models import BUNDLED

    candidate = Path(text).expanduser()
    if not candidate.is_absolute():
        candidate = folder / candidate
    if candidate.exists() or text.lower() not in BUNDLED:
        return str(candidate.resolve())
    return text


def _media_source(item, folder: Path, where: str, path) -> MediaSource:
    if isinstance(item, dict):
        if "random" in item:
            k, seed = item["random"], item.get("seed", 0)
            if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_RANDOM_MEDIA \
                    or not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
                raise InputError(f"{where}: 'random' needs a whole number of media from 1 to {MAX_RANDOM_MEDIA:,} "
                                 f"and a whole 'seed' >= 0 (got {item!r})", path)
            return MediaSource("random", "", k, seed)
        if "preset" in item and isinstance(item["preset"], str):
            item = item["preset"]
        elif "file" in item and isinstance(item["file"], str):
            return _media_source(item["file"], folder, where, path)
        else:
            raise InputError(f"{where}: a media item must be a preset name, a conditions file or "
                             f"{{\"random\": K, \"seed\": S}} (got {item!r})", path)
    if not isinstance(item, str) or not item.strip():
        raise InputError(f"{where}: empty or malformed media item {item!r}", path)
    text = item.strip()
    match = _RANDOM.match(text)
    if match:
        k = int(match.group(1))
        if not 1 <= k <= MAX_RANDOM_MEDIA:
            raise InputError(f"{where}: 'random:{k}': K must be from 1 to {MAX_RANDOM_MEDIA:,}", path)
        return MediaSource("random", "", k, int(match.group(2) or 0))
    if text.lower().startswith("random"):
        raise InputError(f"{where}: cannot read '{text}'; write random:K or random:K:SEED (e.g. random:500:1)", path)
    if text.lower().endswith((".csv", ".json")):
        file = Path(text).expanduser()
        file = file if file.is_absolute() else folder / file
        if not file.is_file():
            raise InputError(f"{where}: conditions file not found: {file}", path)
        return MediaSource("file", str(file.resolve()))
    from core.conditions import preset_names

    if text not in preset_names():
        raise InputError(f"{where}: unknown preset '{text}' (known: {', '.join(preset_names())}; "
                         "or give a .csv/.json conditions file, or random:K[:SEED])", path)
    return MediaSource("preset", text)


OPTION_KEYS = ("pfba", "fluxes", "chunk_size", "time_limit", "weights", "importance", "top_nodes",
               "pathway_importance")
DEFAULT_TOP_NODES = 20  # with weights and no importance option: the 20 most important nodes of each medium


def _importance_options(data: dict, folder: Path, path) -> dict:
    """WorkOptions fields for trained weights: ``weights`` (a file, relative to ``folder``, or "auto"),
    ``importance`` ("all" or node ids), ``top_nodes`` and ``pathway_importance``."""
    weights = data.get("weights")
    asked = [k for k in ("importance", "top_nodes", "pathway_importance") if data.get(k) not in (None, (), [], False, 0)]
    if weights in (None, ""):
        if asked:
            raise InputError(f"'{asked[0]}' needs trained weights: add 'weights' (a weights file or \"auto\")", path)
        return {}
    if not isinstance(weights, str) or not weights.strip():
        raise InputError(f"'weights' must be a weights file or \"auto\" (got {weights!r})", path)
    if weights.strip().lower() == "auto":
        weights = "auto"
    else:
        from core.training.weights import read_card

        file = Path(weights.strip()).expanduser()
        file = (file if file.is_absolute() else folder / file).resolve()
        read_card(file)  # not found, not weights, another format version: one line now, before any model loads
        weights = str(file)
    importance = data.get("importance")
    if importance == "all":
        ids = None
    elif isinstance(importance, list) and all(isinstance(x, str) and x for x in importance):
        ids = tuple(importance)
    elif importance in (None, ()):
        ids = ()
    else:
        raise InputError(f"'importance' must be \"all\" or a list of node ids (got {importance!r})", path)
    top = data.get("top_nodes")
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 0):
        raise InputError(f"'top_nodes' must be a whole number >= 0 (got {top!r})", path)
    pathways = data.get("pathway_importance", False)
    if not isinstance(pathways, bool):
        raise InputError(f"'pathway_importance' must be true or false (got {pathways!r})", path)
    if top is None:
        top = DEFAULT_TOP_NODES if ids == () and not pathways else 0
    return {"weights": weights, "importance_ids": ids, "top_nodes": top, "pathway_importance": pathways}


def _options(data: dict, path, folder: Path | None = None) -> tuple[WorkOptions, int]:
    fluxes = data.get("fluxes", ())
    if fluxes == "all":
        flux_ids = None
    elif isinstance(fluxes, list) and all(isinstance(x, str) and x for x in fluxes):
        flux_ids = tuple(fluxes)
    elif fluxes in ((), None):
        flux_ids = ()
    else:
        raise InputError(f"'fluxes' must be \"all\" or a list of reaction ids (got {fluxes!r})", path)
    pfba = data.get("pfba", False)
    if not isinstance(pfba, bool):
        raise InputError(f"'pfba' must be true or false (got {pfba!r})", path)
    limit = data.get("time_limit", WorkOptions.time_limit)
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not limit > 0:
        raise InputError(f"'time_limit' must be a positive number of seconds (got {limit!r})", path)
    chunk = data.get("chunk_size", DEFAULT_CHUNK_SIZE)
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise InputError(f"'chunk_size' must be a whole number >= 1 (got {chunk!r})", path)
    trained = _importance_options(data, folder or Path.cwd(), path)
    return WorkOptions(pfba=pfba, flux_ids=flux_ids, time_limit=float(limit), **trained), chunk


def _group(pairs: Sequence[tuple[str, object, str]], folder: Path, path) -> tuple[ModelRun, ...]:
    """(model text, media item, where) pairs -> one ModelRun per model, in first-seen order."""
    runs: dict[str, list] = {}
    for model, item, where in pairs:
        if not isinstance(model, str) or not model.strip():
            raise InputError(f"{where}: no model given", path)
        media = _media_source(item, folder, where, path)
        entry = runs.setdefault(model.strip(), [_model_source(model.strip(), folder), [], where])
        if media in entry[1]:
            raise InputError(f"{where}: '{media.label}' is listed twice for model {model.strip()}", path)
        entry[1].append(media)
    if not runs:
        raise InputError("the SPEC lists no model and media", path)
    return tuple(ModelRun(model, source, tuple(media), where) for model, (source, media, where) in runs.items())


def _from_csv(text: str, folder: Path, path) -> tuple[ModelRun, ...]:
    rows = list(csv.reader(io.StringIO(text)))
    rows = [(i + 1, r) for i, r in enumerate(rows) if any(cell.strip() for cell in r)
            and not r[0].lstrip().startswith("#")]
    if not rows:
        raise InputError("the SPEC is empty", path)
    header = [c.strip().lower() for c in rows[0][1]]
    if header[:2] != ["model", "media"] or len(header) != 2:
        raise InputError(f"line {rows[0][0]}: the header must be 'model,media' (got {','.join(rows[0][1])!r})", path)
    pairs = []
    for line, row in rows[1:]:
        if len(row) != 2:
            raise InputError(f"line {line}: expected 2 fields (model,media), found {len(row)}: {','.join(row)!r}", path)
        pairs.append((row[0], row[1], f"line {line}"))
    return _group(pairs, folder, path)


def _from_json(text: str, folder: Path, path) -> tuple[tuple[ModelRun, ...], dict]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg} at line {exc.lineno})", path) from None
    return _from_data(data, folder, path), data


def _from_data(data, folder: Path, path) -> tuple[ModelRun, ...]:
    if not isinstance(data, dict):
        raise InputError("expected a JSON object with 'models' and 'media' and/or 'runs'", path)
    unknown = sorted(set(data) - {"models", "media", "runs", *OPTION_KEYS})
    if unknown:
        raise InputError(f"unknown key(s) {', '.join(unknown)} (known: models, media, runs, "
                         f"{', '.join(OPTION_KEYS)})", path)
    pairs = []
    if "models" in data or "media" in data:
        models, media = data.get("models"), data.get("media")
        if not isinstance(models, list) or not isinstance(media, list) or not models or not media:
            raise InputError("'models' and 'media' must both be non-empty lists", path)
        pairs += [(m, item, f"models[{i}] x media[{j}]") for i, m in enumerate(models) for j, item in enumerate(media)]
    runs = data.get("runs", [])
    if not isinstance(runs, list):
        raise InputError("'runs' must be a list of {\"model\": ..., \"media\": [...]}", path)
    for i, run in enumerate(runs):
        if not isinstance(run, dict) or not isinstance(run.get("media"), list) or not run["media"]:
            raise InputError(f"runs[{i}]: expected {{\"model\": ..., \"media\": [...]}} with at least one medium", path)
        pairs += [(run.get("model"), item, f"runs[{i}].media[{j}]") for j, item in enumerate(run["media"])]
    return _group(pairs, folder, path)


def load_spec(path: str | Path, overrides: dict | None = None) -> BatchSpec:
    """Read a SPEC file (syntax, presets, file paths; no model is loaded). ``overrides`` (any of
    :data:`OPTION_KEYS`; a relative weights path is relative to the current folder) win over the SPEC's
    own options (CSV SPECs have none)."""
    from core import limits

    path = Path(path)
    if not path.exists():
        raise InputError("SPEC file not found", path)
    # Through the input-limits layer, as every other file a user hands us: regular files only, size cap.
    text = limits.read_text(path, limits.CONDITIONS_BYTES, "text (expected a CSV or JSON SPEC)")
    folder = path.resolve().parent
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        runs, data = _from_json(text, folder, path)
    else:
        runs, data = _from_csv(text, folder, path), {}
    options = {k: data[k] for k in OPTION_KEYS if k in data}
    if isinstance(options.get("weights"), str) and options["weights"].strip().lower() != "auto":
        options["weights"] = str(folder / Path(options["weights"]).expanduser())  # relative to the SPEC
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    if isinstance(overrides.get("weights"), str) and overrides["weights"].strip().lower() != "auto":
        overrides["weights"] = str(Path(overrides["weights"]).expanduser().resolve())  # relative to here
    options.update(overrides)
    work_options, chunk_size = _options(options, path, folder)
    return BatchSpec(str(path), runs, work_options, chunk_size)


def spec_from_dict(data: dict, folder: str | Path, label: str = "batch settings") -> BatchSpec:
    """A SPEC given as the JSON form's dict (the window's Batch dialog); relative paths from ``folder``."""
    runs = _from_data(data, Path(folder), label)
    work_options, chunk_size = _options({k: data[k] for k in OPTION_KEYS if k in data}, label, Path(folder))
    return BatchSpec(label, runs, work_options, chunk_size)


def _digest(sha256: str, media: Sequence[Condition], sources: Sequence[str], options: WorkOptions) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([sha256, options.to_dict()]).encode())
    for cond, source in zip(media, sources):
        h.update(json.dumps([source, cond.name, sorted((k, list(v)) for k, v in cond.bounds.items())]).encode())
    return h.hexdigest()


def _model_options(model, options: WorkOptions) -> tuple[WorkOptions, str]:
    """``options`` for one model, with its weights file found ("auto") and checked against its graph by
    :func:`core.training.weights.load_predictor`, and that file's SHA-256 ("" without weights)."""
    if not options.weights:
        return options, ""
    from core.batch.importance import check_node_ids, model_graph, resolve_weights, weights_path

    graph = model_graph(model)
    weights = resolve_weights(options.weights, graph)
    check_node_ids(graph, options.importance_ids)
    return replace(options, weights=weights), hashlib.sha256(weights_path(weights).read_bytes()).hexdigest()


def plan_batch(spec: BatchSpec, progress: Callable[[float, str], None] | None = None,
               should_stop: Callable[[], bool] | None = None) -> BatchPlan:
    """Load every model of ``spec`` here, resolve all its media and cut them into chunks.

    Raises InputError (one line, naming the SPEC, the model and the problem) for an unreadable model,
    a preset the model has no exchange for, a bad conditions file, flux ids the model lacks, a model
    random media cannot be drawn for, or trained weights that do not fit the model's graph (or lack a
    node asked for).
    """
    from core.batch.work import _flux_ids
    from core.conditions import load_conditions_file, preset_condition
    from core.models import load_model

    chunks: list[Chunk] = []
    infos = []
    for n, run in enumerate(spec.runs):
        check_stop(should_stop)
        if progress:
            progress(n / len(spec.runs), f"loading {run.model}")
        try:
            loaded = load_model(run.source)
            model = loaded.model
            _flux_ids(model, spec.options)
            options, weights_sha = _model_options(model, spec.options)
            media: list[Condition] = []
            sources: list[str] = []
            for item in run.media:
                check_stop(should_stop)
                if item.kind == "preset":
                    got = [preset_condition(model, item.value)]
                elif item.kind == "file":
                    got = load_conditions_file(model, item.value)
                else:
                    from core.training.media import sample_media

                    got = sample_media(model, item.k, item.seed)
                names = [c.name for c in got]
                if len(set(names)) != len(names):
                    raise InputError(f"'{item.label}' gives two media the same name")
                media += got
                sources += [item.label] * len(got)
        except InputError as exc:
            raise InputError(f"{run.where} (model {run.model}): {exc}", spec.path) from None
        infos.append(ModelInfo(run.model, run.source, model.id or run.model, loaded.sha256, len(media),
                               options.weights or "", weights_sha))
        for start in range(0, len(media), spec.chunk_size):
            part, part_sources = tuple(media[start:start + spec.chunk_size]), tuple(sources[start:start + spec.chunk_size])
            chunks.append(Chunk(len(chunks), run.model, run.source, part, part_sources,
                                _digest(loaded.sha256 + weights_sha, part, part_sources, options), options))
    if progress:
        progress(1.0, f"{len(chunks)} chunks planned")
    key = hashlib.sha256("".join(c.digest for c in chunks).encode()).hexdigest()
    return BatchPlan(spec, tuple(chunks), tuple(infos), key)

