"""Project files (``.mattn``): a session saved so it can be reopened without re-running attention.

A project file is a zip archive holding
    project.json    format, version, the model (source and SHA-256), the run settings, every listed
                    condition (with the user's edits) and which were ticked, and the view state
    attention.npz   the attention arrays (:func:`core.attention.write_attention_npz`; read back with
                    ``np.load(allow_pickle=False)``: nothing is ever unpickled)
    model/<name>    the model file, when it lies outside the project's folder (so the project is
                    complete on its own)
    results.json    the run's results beside the attention (:mod:`core.cache_results`): FBA per condition,
    results.npz     the graph, the trained model's predictions and the analysis, as JSON and plain arrays
A project file may come from anyone, so it is treated as untrusted: JSON and npz only, and the model
path it names is either a bundled model, a file inside the archive, or a relative path that stays
inside the project's folder (absolute paths and '..' escapes are refused with InputError).
Reopening shows the saved results at once, before the model is read (no FBA, no attention, no analysis),
when the model file is the one they were computed from; the model then opens in the background. A
project without results (written before they were kept, or when the model file changed since) loads
the model, re-solves FBA (cheap), restores attention from the npz and re-runs the analysis.
"""

from __future__ import annotations

import io
import json
import logging
import tempfile
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath, PureWindowsPath

import numpy as np

from core.conditions import Condition
from core.errors import InputError
from core.io_utils import atomic_path
from core.pipeline import RunSettings

PROJECT_FORMAT = "metattn-project"
PROJECT_VERSION = 1
SUFFIX = ".mattn"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Project:
    settings: RunSettings
    conditions: tuple[Condition, ...]
    checked: tuple[str, ...]
    attention: object | None  # AttentionResult
    model_sha256: str = ""
    view: dict = field(default_factory=dict)
    result: object | None = None  # the saved RunResult (no cobra model), when it can be shown as it is
    result_note: str = ""  # why the results are computed again, when result is None


# Read back with the inverses of the to_dict() that wrote them, which live beside them in core.
settings_from_dict = RunSettings.from_dict
condition_from_dict = Condition.from_dict


def resolve_inside(folder: str | Path, stored: str, source: str | Path) -> Path:
    """The path ``stored`` (read from inside the file ``source``) resolved against ``folder``.

    Refuses, with InputError naming ``source``, an absolute path or one that leaves ``folder``: a
    file handed over by someone else must not make the program open files elsewhere on the disk.
    """
    text = str(stored)
    if not text or PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute() or text.startswith("\\"):
        raise InputError(f"the path '{text}' inside the file is absolute; only paths inside the project's folder "
                         "are accepted", source)
    base = Path(folder).resolve()
    target = (base / text.replace("\\", "/")).resolve()
    if target != base and base not in target.parents:
        raise InputError(f"the path '{text}' inside the file points outside the project's folder", source)
    return target


def _model_entry(path: Path, model: str) -> tuple[str, Path | None]:
    """How a project at ``path`` names its model: (stored name, file to embed or None)."""
    from core.models import bundled_names

    if model in bundled_names() or not Path(model).is_file():
        return model, None
    target = Path(model).resolve()
    folder = path.resolve().parent
    if folder in target.parents:
        return target.relative_to(folder).as_posix(), None
    return f"{EMBEDDED}{target.name}", target


EMBEDDED = "model/"


def save_project(path: str | Path, settings: RunSettings, conditions, checked, attention=None,
                 model_sha256: str = "", view: dict | None = None, result=None) -> Path:
    """Write a project; ``result`` (the RunResult ``attention`` belongs to) is kept beside it, so that
    reopening shows it without computing it again."""
    from core.attention import write_attention_npz

    path = Path(path)
    stored_model, embed = _model_entry(path, settings.model)
    settings_doc = dict(settings.to_dict(), model=stored_model)
    doc = {"format": PROJECT_FORMAT, "version": PROJECT_VERSION,
           "model": {"source": stored_model, "sha256": model_sha256},
           "settings": settings_doc, "conditions": [c.to_dict() for c in conditions],
           "checked": list(checked), "has_attention": attention is not None, "view": view or {}}
    results = None
    if result is not None and attention is not None and result.attention is attention:
        from core.cache_results import result_parts

        results = result_parts(result)
    with tempfile.TemporaryDirectory(prefix="metattn-project-") as tmp:
        npz = Path(tmp) / "attention.npz"
        if attention is not None:
            try:
                write_attention_npz(attention, npz)
            except InputError as exc:  # name the project the user chose, not our scratch file
                problem = str(exc).removeprefix(f"{exc.source}: ") if exc.source else str(exc)
                raise InputError(problem, path) from None
        with atomic_path(path) as part:
            with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_STORED) as zf:
                zf.writestr("project.json", json.dumps(doc, indent=2))
                if embed is not None:
                    zf.write(embed, stored_model, compress_type=zipfile.ZIP_DEFLATED)
                if attention is not None:
                    zf.write(npz, "attention.npz")  # already compressed by savez_compressed
                if results is not None:
                    zf.writestr("results.json", json.dumps(results[0], allow_nan=False))
                    buffer = io.BytesIO()
                    np.savez(buffer, **results[1])
                    zf.writestr("results.npz", buffer.getvalue(), compress_type=zipfile.ZIP_DEFLATED,
                                compresslevel=1)
    return path


def load_project(path: str | Path, progress=None, should_stop=None) -> Project:
    """Read a project file; raises InputError naming the file and the problem.

    Everything is checked before anything is returned (:mod:`app.project_schema`): the archive is
    read through :mod:`core.limits` (regular file, size capped, members streamed and capped, no
    encrypted members), ``project.json`` for depth, types, ranges and finite numbers, and the npz
    arrays for kind, shape and finite values. Nothing is extracted to a temporary folder, so every
    error names the project.
    """
    from app import project_schema as schema
    from core import limits
    from core.errors import check_stop

    path = Path(path)
    raw = limits.read_file(path, limits.PROJECT_BYTES)
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InputError("not a Metabolic Attention Studio project (not a .mattn archive)", path) from None
    with zf:
        limits.check_zip(zf, limits.PROJECT_BYTES, path)
        text = limits.read_zip_member(zf, "project.json", limits.PROJECT_JSON_BYTES, path)
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("project.json is not UTF-8 text", path) from None
        doc = limits.load_json(text, path, "JSON in project.json")
        parts = schema.project_parts(doc, path, PROJECT_VERSION, PROJECT_FORMAT)
        check_stop(should_stop)
        settings = parts["settings"]
        settings = replace(settings, model=str(_model_path(zf, path, settings.model, parts["model_sha256"])))
        attention = None
        if "attention.npz" in zf.namelist():
            if progress:
                progress(0.5, "Reading attention arrays")
            arrays = limits.load_npz(limits.read_zip_member(zf, "attention.npz", limits.PROJECT_BYTES, path),
                                     limits.PROJECT_BYTES, path)
            config = settings.attention
            if "config_json" in arrays:
                if arrays["config_json"].dtype.kind != "U" or arrays["config_json"].ndim != 0:
                    raise InputError("attention.npz in the project has a damaged config_json", path)
                config_doc = limits.load_json(str(arrays["config_json"]), path, "attention.npz config_json")
                config = schema.attention_config(config_doc, schema._Checker(path))
            attention = schema.attention_from_arrays(arrays, config, path,
                                                     tuple(c.name for c in parts["conditions"]) or None)
        result, note = _saved_result(zf, path, settings, parts["model_sha256"], attention)
    if progress:
        progress(1.0, "Project read")
    return Project(settings, parts["conditions"], parts["checked"], attention, parts["model_sha256"], parts["view"],
                   result, note)


def _saved_result(zf: zipfile.ZipFile, path: Path, settings: RunSettings, sha256: str, attention):
    """``(RunResult, "")`` from the project's results.json/results.npz, or ``(None, why not)``: none saved
    (an older project), the model file changed since, or the results do not fit (then logged). Checked
    through :mod:`core.limits` and :func:`core.cache_results.result_from_parts`; never unpickled."""
    from core import limits
    from core.cache_results import result_from_parts
    from core.models import bundled_names, file_digest

    names = zf.namelist()
    if attention is None or "results.json" not in names or "results.npz" not in names:
        return None, "the project was saved without its results (an older project)"
    if settings.model in bundled_names():
        # Locating a bundled model imports cobra (~2 s): its digest is compared when the model has opened
        # (app.project_controller computes the results again if it changed, with a cobra upgrade).
        label, digest = f"bundled:{settings.model}", sha256
    else:
        try:
            label, digest = file_digest(settings.model)
        except InputError as exc:
            return None, f"its model cannot be read ({exc})"
        if sha256 and digest != sha256:
            return None, "the model file changed since the project was saved"
    try:
        text = limits.read_zip_member(zf, "results.json", limits.PROJECT_JSON_BYTES, path).decode("utf-8")
        doc = limits.load_json(text, path, "JSON in results.json")
        arrays = limits.load_npz(limits.read_zip_member(zf, "results.npz", limits.PROJECT_BYTES, path),
                                 limits.PROJECT_BYTES, path, "results.npz")
        result = result_from_parts(doc, arrays, attention, settings, label)
    except (InputError, ValueError, UnicodeDecodeError) as exc:
        log.warning("%s: the saved results cannot be used (%s); they are computed again", path, exc)
        return None, f"its saved results cannot be used ({str(exc).removeprefix(f'{path}: ')})"
    if result.loaded.sha256 != digest:
        return None, "the saved results belong to another version of the model file"
    return result, ""


def _model_path(zf: zipfile.ZipFile, path: Path, stored: str, sha256: str) -> str | Path:
    """The model a project names, as something :func:`core.models.load_model` opens."""
    from core.models import bundled_names

    if stored in bundled_names():
        return stored
    if stored.startswith(EMBEDDED) and stored in zf.namelist():
        name = PurePosixPath(stored).name
        if not name or name in (".", ".."):
            raise InputError(f"the embedded model name '{stored}' is not a file name", path)
        from app.settings import data_dir
        from core.io_utils import atomic_write_bytes

        # Unpacked once per model version, under the program's own data folder, by a fixed name.
        key = "".join(ch for ch in sha256 if ch.isalnum())[:16] or "unknown"
        target = data_dir() / "project-models" / key / name
        from core import limits

        data = limits.read_zip_member(zf, stored, limits.MODEL_BYTES, path)
        if not target.is_file() or target.read_bytes() != data:
            try:
                atomic_write_bytes(target, data)
            except InputError as exc:
                raise InputError(f"cannot unpack the embedded model ({exc})", path) from None
        return target
    target = resolve_inside(path.parent, stored, path)
    if not target.is_file():
        raise InputError(f"the model file '{stored}' it names was not found next to it", path)
    return target
