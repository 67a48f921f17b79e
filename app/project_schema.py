"""The schema of an untrusted ``.mattn`` project: every value checked for type, range, shape and
finiteness before anything from the file is applied (issue 18).

:func:`project_parts` turns ``project.json`` into run settings, conditions, ticked names and a view
state; :func:`attention_from_arrays` turns the arrays of ``attention.npz`` into an AttentionResult
whose shapes agree with each other and with the settings. Both raise InputError naming the project
file and the first problem, so opening a project is all or nothing: either every part is valid and
the window applies it, or nothing changes and a dialog says why. No Qt here.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from core.attention.result import MODES, AttentionConfig, AttentionResult
from core.conditions import Condition
from core.errors import InputError
from core.limits import ATTENTION_RANGES, MAX_MEMORY_BUDGET_GB, TOP_K_RANGE
from core.pipeline import RunSettings

MAX_ABS_FLUX = 1e6  # as for conditions files (core.conditions.files)
MAX_CONDITIONS_LISTED = 10_000
MAX_TEXT = 10_000  # characters in one name or description
# Ranges of the attention settings: the command line's (core.limits.ATTENTION_RANGES) and the rest.
INT_RANGES = {**ATTENTION_RANGES, "hub_degree": (1, 10 ** 9), "ffn_mult": (1, 64),
              "top_compartments": (0, 10_000), "top_pathways": (0, 10_000), "pathway_hash_buckets": (0, 10_000),
              "pretrain_steps": (0, 1_000_000)}
BOOLS = ("pathway_bias", "flux_bias")


class _Checker:
    """Type checks that raise InputError naming the project and where in it the problem is."""

    def __init__(self, source: str | Path):
        self.source = source

    def fail(self, where: str, problem: str) -> InputError:
        return InputError(f"project.json: {where} {problem}", self.source)

    def dict(self, value, where: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be an object, not {type(value).__name__}")
        return value

    def list(self, value, where: str, most: int) -> list:
        if not isinstance(value, list):
            raise self.fail(where, f"must be a list, not {type(value).__name__}")
        if len(value) > most:
            raise self.fail(where, f"has {len(value):,} entries, more than {most:,}")
        return value

    def text(self, value, where: str, empty: bool = True) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"must be a text, not {type(value).__name__}")
        if len(value) > MAX_TEXT or (not empty and not value.strip()):
            raise self.fail(where, "is empty" if len(value) <= MAX_TEXT else f"is longer than {MAX_TEXT:,} characters")
        return value

    def bool(self, value, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"must be true or false, not {value!r:.40}")
        return value

    def int(self, value, where: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"must be a whole number, not {value!r:.40}")
        if not low <= value <= high:
            raise self.fail(where, f"must be between {low:,} and {high:,}, not {value:,}")
        return value

    def number(self, value, where: str, low: float = -MAX_ABS_FLUX, high: float = MAX_ABS_FLUX) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(where, f"must be a number, not {value!r:.40}")
        value = float(value)
        if not (math.isfinite(value) and low <= value <= high):
            raise self.fail(where, f"must be a finite number between {low:g} and {high:g}, not {value!r}")
        return value


def attention_config(data, check: _Checker) -> AttentionConfig:
    data = check.dict(data, "settings.attention")
    known = {}
    for key, (low, high) in INT_RANGES.items():
        if key in data:
            known[key] = check.int(data[key], f"settings.attention.{key}", low, high)
    for key in BOOLS:
        if key in data:
            known[key] = check.bool(data[key], f"settings.attention.{key}")
    if "dropout" in data:
        known["dropout"] = check.number(data["dropout"], "settings.attention.dropout", 0.0, 0.999)
    if "memory_budget_gb" in data:
        known["memory_budget_gb"] = check.number(data["memory_budget_gb"], "settings.attention.memory_budget_gb",
                                                 1e-3, MAX_MEMORY_BUDGET_GB)
    if "mode" in data:
        known["mode"] = check.text(data["mode"], "settings.attention.mode")
        if known["mode"] not in MODES:
            raise check.fail("settings.attention.mode", f"must be one of {', '.join(MODES)}")
    if data.get("weight_rows") is not None:
        rows = check.list(data["weight_rows"], "settings.attention.weight_rows", 1_000_000)
        known["weight_rows"] = tuple(check.text(r, "settings.attention.weight_rows[]") for r in rows)
    config = AttentionConfig(**known)  # keys of a newer version are ignored, as AttentionConfig.from_dict does
    problems = config.problems()
    if problems:
        raise check.fail("settings.attention", "; ".join(problems))
    return config


def run_settings(data, check: _Checker) -> RunSettings:
    data = check.dict(data, "settings")
    if "model" not in data:
        raise check.fail("settings", "has no model")
    currency = data.get("currency_ids")
    if currency is not None:
        currency = tuple(check.text(c, "settings.currency_ids[]")
                         for c in check.list(currency, "settings.currency_ids", 100_000))
    return RunSettings(
        model=check.text(data["model"], "settings.model", empty=False),
        conditions=tuple(check.text(c, "settings.conditions[]")
                         for c in check.list(data.get("conditions", []), "settings.conditions", MAX_CONDITIONS_LISTED)),
        carbon_normalised=check.bool(data.get("carbon_normalised", False), "settings.carbon_normalised"),
        pfba=check.bool(data.get("pfba", False), "settings.pfba"),
        filter_currency=check.bool(data.get("filter_currency", True), "settings.filter_currency"),
        currency_ids=currency,
        attention=attention_config(data.get("attention", {}), check),
        top_k=check.int(data.get("top_k", 20), "settings.top_k", *TOP_K_RANGE),
        weights=check.text(data.get("weights", "auto"), "settings.weights", empty=False),
    )


def condition(data, i: int, check: _Checker) -> Condition:
    where = f"conditions[{i}]"
    data = check.dict(data, where)
    name = check.text(data.get("name"), f"{where}.name", empty=False)
    bounds = {}
    for key, pair in check.dict(data.get("bounds", {}), f"{where}.bounds").items():
        pair = check.list(pair, f"{where}.bounds.{key}", 2)
        if len(pair) != 2:
            raise check.fail(f"{where}.bounds.{key}", "must be [lower, upper]")
        lb, ub = (check.number(v, f"{where}.bounds.{key}") for v in pair)
        if lb > ub:
            raise check.fail(f"{where}.bounds.{key}", f"has lower bound {lb:g} above upper bound {ub:g}")
        bounds[key] = (lb, ub)
    growth = data.get("measured_growth")
    fluxes = data.get("measured_fluxes") or {}
    preset = data.get("preset")
    return Condition(
        name=name, bounds=bounds,
        description=check.text(data.get("description", ""), f"{where}.description"),
        measured_growth=None if growth is None else check.number(growth, f"{where}.measured_growth", 0.0, 1e3),
        measured_fluxes={k: check.number(v, f"{where}.measured_fluxes.{k}")
                         for k, v in check.dict(fluxes, f"{where}.measured_fluxes").items()},
        preset=None if preset is None else check.text(preset, f"{where}.preset"),
    )


def view_state(data, check: _Checker) -> dict:
    """The view the project was saved with, only the keys and types the panes know (others dropped)."""
    data = check.dict(data, "view")
    out: dict = {}
    if data.get("selected") is not None:
        out["selected"] = check.text(data["selected"], "view.selected")
    for pane, ints in (("heatmap", ("condition", "layer", "head", "level")),
                       ("network", ("condition", "mode", "top_k", "threshold"))):
        state = check.dict(data.get(pane, {}), f"view.{pane}")
        out[pane] = {key: check.int(state[key], f"view.{pane}.{key}", -1, 1_000_000) for key in ints if key in state}
        if pane == "heatmap" and state.get("colormap") is not None:
            out[pane]["colormap"] = check.text(state["colormap"], "view.heatmap.colormap")
        if pane == "network" and "currency" in state:
            out[pane]["currency"] = check.bool(state["currency"], "view.network.currency")
    return out


def project_parts(doc, source: str | Path, current_version: int, project_format: str) -> dict:
    """Everything in ``project.json``, checked: keys settings, conditions, checked, view, model_sha256,
    has_attention, model_source."""
    check = _Checker(source)
    if not isinstance(doc, dict) or doc.get("format") != project_format:
        raise InputError("not a Metabolic Attention Studio project", source)
    version = check.int(doc.get("version", 0), "version", 0, 10 ** 6)
    if version > current_version:
        raise InputError(f"written by a newer version (project format {version}); update the program", source)
    model = check.dict(doc.get("model", {}), "model")
    sha256 = check.text(model.get("sha256", ""), "model.sha256")
    if len(sha256) > 128 or not all(ch in "0123456789abcdefABCDEF" for ch in sha256):
        raise check.fail("model.sha256", "is not a SHA-256 hex digest")
    settings = run_settings(doc.get("settings"), check)
    conditions = tuple(condition(c, i, check) for i, c in enumerate(
        check.list(doc.get("conditions", []), "conditions", MAX_CONDITIONS_LISTED)))
    names = [c.name for c in conditions]
    if len(set(names)) != len(names):
        raise check.fail("conditions", "lists a name twice")
    checked = doc.get("checked", names)
    checked = tuple(check.text(n, "checked[]") for n in check.list(checked, "checked", MAX_CONDITIONS_LISTED))
    unknown = [n for n in checked if n not in names]
    if unknown:
        raise check.fail("checked", f"names a condition the project does not list: {unknown[0]!r:.80}")
    return {"settings": settings, "conditions": conditions, "checked": checked,
            "view": view_state(doc.get("view", {}), check), "model_sha256": sha256,
            "has_attention": check.bool(doc.get("has_attention", False), "has_attention")}


# --------------------------------------------------------------------------- attention.npz

_DTYPES = {"node_ids": "U", "condition_names": "U", "feature_names": "U", "node_types": "iu", "edge_index": "iu",
           "edge_hops": "iu", "self_attention": "f", "cross_attention": "f", "importance": "f",
           "node_features": "f", "embeddings": "f", "fused": "f"}


def attention_from_arrays(arrays: dict, config: AttentionConfig, source: str | Path,
                          conditions: tuple[str, ...] | None = None) -> AttentionResult:
    """An AttentionResult from the arrays of a project's attention.npz, after checking that every array
    has the kind, shape and finite values the others and ``config`` imply.

    Shapes (N nodes, E edges, L layers, C conditions, H heads, D features, D_in input features):
    node_ids (N,), node_types (N,), edge_index (2, E), self_attention (L, C, E, H) in [0, 1],
    cross_attention (N, H, C, C), importance (C, N) >= 0, condition_names (C,), node_features
    (C, N, D_in), embeddings (C, N, D), fused (N, D), edge_hops (E,).
    """

    def bad(problem: str) -> InputError:
        return InputError(f"attention.npz in the project {problem}", source)

    required = ("node_ids", "node_types", "edge_index", "self_attention", "cross_attention", "importance",
                "condition_names")
    missing = [k for k in required if k not in arrays]
    if missing:
        raise bad(f"is missing {', '.join(missing)}")
    for key, kinds in _DTYPES.items():
        if key in arrays and arrays[key].dtype.kind not in kinds:
            raise bad(f"holds {key} of type {arrays[key].dtype}, not the expected kind")
    a = arrays
    n = a["node_ids"].shape[0] if a["node_ids"].ndim == 1 else -1
    c = a["condition_names"].shape[0] if a["condition_names"].ndim == 1 else -1
    if n < 1 or c < 1:
        raise bad("has no nodes or no conditions (node_ids and condition_names must be 1-D lists)")
    if a["edge_index"].ndim != 2 or a["edge_index"].shape[0] != 2:
        raise bad(f"has edge_index of shape {a['edge_index'].shape}, not (2, E)")
    e = a["edge_index"].shape[1]
    sa = a["self_attention"]
    if sa.ndim != 4 or sa.shape[1:] != (c, e, config.heads) or sa.shape[0] != config.layers:
        raise bad(f"has self_attention of shape {sa.shape}, not (layers {config.layers}, conditions {c}, "
                  f"edges {e}, heads {config.heads})")
    expect = {"node_types": (n,), "cross_attention": (n, config.heads, c, c), "importance": (c, n)}
    for key, shape in expect.items():
        if a[key].shape != shape:
            raise bad(f"has {key} of shape {a[key].shape}, not {shape}")
    for key in ("node_features", "embeddings"):
        if key in a and (a[key].ndim != 3 or a[key].shape[:2] != (c, n)):
            raise bad(f"has {key} of shape {a[key].shape}, not (conditions {c}, nodes {n}, features)")
    if "embeddings" in a and a["embeddings"].shape[2] not in (0, config.d_model):
        raise bad(f"has embeddings of width {a['embeddings'].shape[2]}, not d_model {config.d_model}")
    if "fused" in a and a["fused"].shape != (n, config.d_model):
        raise bad(f"has fused of shape {a['fused'].shape}, not ({n}, {config.d_model})")
    if "edge_hops" in a and a["edge_hops"].shape != (e,):
        raise bad(f"has edge_hops of shape {a['edge_hops'].shape}, not ({e},)")
    if "feature_names" in a and a["feature_names"].ndim != 1:
        raise bad("has feature_names that are not a list")
    if e and (a["edge_index"].min() < 0 or a["edge_index"].max() >= n):
        raise bad(f"has edges to nodes outside 0..{n - 1}")
    if not np.isin(a["node_types"], (0, 1)).all():
        raise bad("has node types other than 0 (metabolite) and 1 (reaction)")
    for key in ("self_attention", "cross_attention", "importance", "node_features", "embeddings", "fused"):
        if key in a and not np.isfinite(a[key]).all():
            raise bad(f"has NaN or infinite values in {key}")
    if sa.size and (sa.min() < 0 or sa.max() > 1 + 1e-4):
        raise bad("has attention weights outside [0, 1]")
    if a["importance"].min() < 0:
        raise bad("has negative importances")
    names = tuple(str(s) for s in a["condition_names"])
    if len(set(names)) != len(names):
        raise bad("lists a condition twice")
    if conditions is not None and set(names) - set(conditions):
        raise bad(f"holds attention for conditions the project does not list: {sorted(set(names) - set(conditions))[0]!r}")
    node_ids = tuple(str(s) for s in a["node_ids"])
    if len(set(node_ids)) != n:
        raise bad("lists a node id twice")
    f32 = np.float32
    return AttentionResult(
        config=config, condition_names=names, node_ids=node_ids,
        node_types=a["node_types"].astype(np.int8), edge_index=a["edge_index"].astype(np.int64),
        self_attention=sa.astype(f32, copy=False), cross_attention=a["cross_attention"].astype(f32, copy=False),
        importance=a["importance"].astype(f32, copy=False),
        node_features=a["node_features"].astype(f32, copy=False) if "node_features" in a
        else np.zeros((c, n, 0), dtype=f32),
        embeddings=a["embeddings"].astype(f32, copy=False) if "embeddings" in a else np.zeros((c, n, 0), dtype=f32),
        feature_names=tuple(str(s) for s in a.get("feature_names", ())),
        fused=a["fused"].astype(f32, copy=False) if "fused" in a else None,
        edge_hops=a["edge_hops"].astype(np.int8) if "edge_hops" in a else None,
    )
