"""Project files (``.mattn``): a session saved so it can be reopened without re-running attention.

A project file is a zip archive holding
    project.json    format, version, the model (source and SHA-256), the run settings, every listed
                    condition (with the user's edits) and which were ticked, and the view state
    attention.npz   the attention arrays (:func:`core.attention.write_attention_npz`; read back with
                    ``np.load(allow_pickle=False)``: nothing is ever unpickled)
Reopening loads the model, re-solves FBA (cheap), restores attention from the npz and re-runs the
analysis (about a second).
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from core.attention.result import AttentionConfig
from core.conditions import Condition
from core.errors import InputError
from core.io_utils import atomic_path
from core.pipeline import RunSettings

PROJECT_FORMAT = "metattn-project"
PROJECT_VERSION = 1
SUFFIX = ".mattn"


@dataclass(frozen=True)
class Project:
    settings: RunSettings
    conditions: tuple[Condition, ...]
    checked: tuple[str, ...]
    attention: object | None  # AttentionResult
    model_sha256: str = ""
    view: dict = field(default_factory=dict)


def settings_from_dict(data: dict) -> RunSettings:
    return RunSettings(
        model=str(data["model"]),
        conditions=tuple(data.get("conditions", ())),
        carbon_normalised=bool(data.get("carbon_normalised", False)),
        pfba=bool(data.get("pfba", False)),
        filter_currency=bool(data.get("filter_currency", True)),
        currency_ids=tuple(data["currency_ids"]) if data.get("currency_ids") is not None else None,
        attention=AttentionConfig.from_dict(data.get("attention", {})),
        top_k=int(data.get("top_k", 20)),
    )


def condition_from_dict(data: dict) -> Condition:
    return Condition(
        name=str(data["name"]),
        bounds={str(k): (float(v[0]), float(v[1])) for k, v in data.get("bounds", {}).items()},
        description=str(data.get("description", "")),
        measured_growth=None if data.get("measured_growth") is None else float(data["measured_growth"]),
        measured_fluxes={str(k): float(v) for k, v in (data.get("measured_fluxes") or {}).items()},
        preset=data.get("preset"),
    )


def save_project(path: str | Path, settings: RunSettings, conditions, checked, attention=None,
                 model_sha256: str = "", view: dict | None = None) -> Path:
    from core.attention import write_attention_npz

    path = Path(path)
    doc = {"format": PROJECT_FORMAT, "version": PROJECT_VERSION,
           "model": {"source": settings.model, "sha256": model_sha256},
           "settings": settings.to_dict(), "conditions": [c.to_dict() for c in conditions],
           "checked": list(checked), "has_attention": attention is not None, "view": view or {}}
    with tempfile.TemporaryDirectory(prefix="metattn-project-") as tmp:
        npz = Path(tmp) / "attention.npz"
        if attention is not None:
            write_attention_npz(attention, npz)
        with atomic_path(path) as part:
            with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_STORED) as zf:
                zf.writestr("project.json", json.dumps(doc, indent=2))
                if attention is not None:
                    zf.write(npz, "attention.npz")  # already compressed by savez_compressed
    return path


def load_project(path: str | Path, progress=None, should_stop=None) -> Project:
    """Read a project file; raises InputError naming the file and the problem."""
    from core.attention import read_attention_npz

    path = Path(path)
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise InputError("project file not found", path) from None
    except (zipfile.BadZipFile, OSError):
        raise InputError("not a Metabolic Attention Studio project (not a .mattn archive)", path) from None
    with zf:
        try:
            doc = json.loads(zf.read("project.json").decode("utf-8"))
        except KeyError:
            raise InputError("project.json is missing from the project file", path) from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"project.json is not valid JSON ({exc})", path) from None
        if not isinstance(doc, dict) or doc.get("format") != PROJECT_FORMAT:
            raise InputError("not a Metabolic Attention Studio project", path)
        if int(doc.get("version", 0)) > PROJECT_VERSION:
            raise InputError(f"written by a newer version (project format {doc.get('version')}); update the program",
                             path)
        try:
            settings = settings_from_dict(doc["settings"])
            conditions = tuple(condition_from_dict(c) for c in doc.get("conditions", []))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"the project's settings or conditions are damaged ({exc})", path) from None
        attention = None
        if "attention.npz" in zf.namelist():
            if progress:
                progress(0.5, "Reading attention arrays")
            with tempfile.TemporaryDirectory(prefix="metattn-project-") as tmp:
                zf.extract("attention.npz", tmp)
                attention = read_attention_npz(Path(tmp) / "attention.npz")
    if progress:
        progress(1.0, "Project read")
    return Project(settings, conditions, tuple(doc.get("checked", [c.name for c in conditions])), attention,
                   str(doc.get("model", {}).get("sha256", "")), dict(doc.get("view", {})))
