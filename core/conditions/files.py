"""Conditions files: CSV and JSON readers, the JSON writer, and CLI-style condition specs.

Sign convention: users give uptake as a positive amount ("10 mmol/gDW/h of glucose"); COBRA lower
bounds are negative for uptake. ``lower_bound`` columns in files use the COBRA convention.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Sequence

from core.conditions.composition import composed_medium
from core.conditions.presets import load_presets, preset_condition, resolve_exchange
from core import limits
from core.conditions.types import Condition
from core.errors import InputError

# Largest |bound| or uptake accepted, in mmol/gDW/h: COBRA models use 1000 (sometimes 1e5) for "open";
# beyond this a number is a typo or an attack, and inf/1e309 would give meaningless growth and null in JSON.
MAX_ABS_FLUX = 1e6

def _number(value, what: str, source) -> float:
    try:
        out = float(str(value).strip())
    except (TypeError, ValueError):
        raise InputError(f"{what} is not a number: {value!r}", source) from None
    if math.isnan(out):
        raise InputError(f"{what} is NaN", source)
    if not abs(out) <= MAX_ABS_FLUX:
        raise InputError(f"{what} is {value!r}, outside the accepted range of ±{MAX_ABS_FLUX:,.0f} "
                         "(infinite or absurdly large)", source)
    return out


def _finish(model, name: str, spec: dict, source) -> Condition:
    """Build a Condition from a normalised spec dict (see :func:`load_conditions_file`)."""
    if not name or not name.strip():
        raise InputError("a condition has no name", source)
    base = spec.get("base", "minimal")
    if spec.get("preset") and spec["preset"] not in load_presets():
        raise InputError(f"condition {name!r}: unknown preset {spec['preset']!r} "
                         f"(known: {', '.join(load_presets())})", source)
    if spec.get("preset"):
        start = preset_condition(model, spec["preset"], bool(spec.get("carbon_normalised", False)))
        bounds = dict(start.bounds)
    elif base == "minimal":  # M9 with trace elements and oxygen, by composition (as the presets)
        bounds = composed_medium(model).bounds(model)
    elif base == "model":
        bounds = {rid: (-v, float(model.reactions.get_by_id(rid).upper_bound)) for rid, v in model.medium.items()}
    elif base == "none":
        bounds = {}
    else:
        raise InputError(f"condition {name!r}: unknown base {base!r} (use minimal, model or none)", source)
    for key, amount in spec.get("uptake", {}).items():
        amount = _number(amount, f"condition {name!r}, uptake of {key}", source)
        if amount < 0:
            raise InputError(f"condition {name!r}: uptake of {key} is negative ({amount}); give uptake as a positive amount "
                             "or use lower_bound for COBRA-signed bounds", source)
        rid = resolve_exchange(model, key, source)
        bounds[rid] = (-amount, float(model.reactions.get_by_id(rid).upper_bound))
    for key, pair in spec.get("bounds", {}).items():
        lb = _number(pair[0], f"condition {name!r}, lower_bound of {key}", source)
        ub = _number(pair[1], f"condition {name!r}, upper_bound of {key}", source) if pair[1] is not None else None
        rid = resolve_exchange(model, key, source)
        ub = float(model.reactions.get_by_id(rid).upper_bound) if ub is None else ub
        if lb > ub:
            raise InputError(f"condition {name!r}: lower_bound {lb} > upper_bound {ub} for {key}", source)
        bounds[rid] = (lb, ub)
    growth = spec.get("measured_growth")
    growth = None if growth in (None, "") else _number(growth, f"condition {name!r}, measured_growth", source)
    if growth is not None and growth < 0:
        raise InputError(f"condition {name!r}: measured_growth is negative ({growth})", source)
    fluxes = {}
    for rid, value in spec.get("measured_fluxes", {}).items():
        if rid not in model.reactions:
            raise InputError(f"condition {name!r}: measured flux for unknown reaction {rid!r}", source)
        fluxes[rid] = _number(value, f"condition {name!r}, measured flux of {rid}", source)
    return Condition(name=name.strip(), bounds=bounds, description=spec.get("description", ""),
                     measured_growth=growth, measured_fluxes=fluxes, preset=spec.get("preset"))


def load_conditions_file(model, path: str | Path, max_conditions: int | None = None) -> list[Condition]:
    """Read conditions from JSON or CSV.

    JSON: ``{"conditions": [{"name": ..., "preset": "glucose" | "base": "minimal|model|none",
    "uptake": {exchange_or_metabolite: amount}, "bounds": {exchange: [lower, upper]},
    "measured_growth": 0.6, "measured_fluxes": {reaction: flux}}]}`` (a bare list works too).

    CSV: columns ``condition,exchange`` and ``lower_bound`` (COBRA sign: negative = uptake) or
    ``uptake`` (positive amount); optional ``upper_bound``, ``measured_growth``, ``base``.

    ``max_conditions``: refuse a file with more conditions than this before building any of them.
    """
    path = Path(path)
    specs = _read_specs(path, max_conditions)
    return [_finish(model, name, spec, path) for name, spec in specs]


def _read_specs(path: Path, max_conditions: int | None = None) -> list[tuple[str, dict]]:
    """The conditions of a file as (name, spec) pairs, checked as far as possible without a model."""
    if not path.exists() and not path.is_symlink():
        raise InputError("conditions file not found", path)
    # Through the limits: regular files only (a FIFO or /dev/zero is refused, not read), size capped.
    data = limits.read_file(path, limits.CONDITIONS_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not a text file (expected CSV or JSON)", path) from None
    if not text.strip():
        raise InputError("the conditions file is empty", path)
    if text.lstrip().startswith(("{", "[")) or path.suffix.lower() == ".json":
        specs = _specs_from_json(text, path)
    else:
        specs = _specs_from_csv(text, path)
    names = [n for n, _ in specs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"duplicate condition names: {', '.join(dupes)}", path)
    if max_conditions is not None and len(specs) > max_conditions:
        raise InputError(f"{len(specs):,} conditions; one run compares at most {max_conditions}", path)
    presets = load_presets()
    for name, spec in specs:
        if spec.get("preset") and spec["preset"] not in presets:
            raise InputError(f"condition {name!r}: unknown preset {spec['preset']!r} (known: {', '.join(presets)})",
                             path)
        if spec.get("base", "minimal") not in ("minimal", "model", "none"):
            raise InputError(f"condition {name!r}: unknown base {spec['base']!r} (use minimal, model or none)", path)
    return specs


def check_conditions_spec(spec: str | Sequence[str]) -> None:
    """Check a CLI-style conditions spec before any model is parsed: every item is a known preset or a
    readable conditions file (CSV/JSON) whose presets and bases are known. InputError naming the item
    or file; exchanges are checked later, against the model."""
    from core.limits import MAX_RUN_CONDITIONS

    items = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
    if not items:
        raise InputError("no conditions given")
    presets = load_presets()
    count = 0
    for item in items:
        if item in presets:
            count += 1
        elif Path(item).suffix.lower() in (".json", ".csv") or Path(item).exists():
            count += len(_read_specs(Path(item), max(0, MAX_RUN_CONDITIONS - count)))
        else:
            raise InputError(f"unknown preset or missing conditions file {item!r} (presets: {', '.join(presets)})")
    if count > MAX_RUN_CONDITIONS:
        raise InputError(f"{count:,} conditions given; one run compares at most {MAX_RUN_CONDITIONS} "
                         "(split them over several runs)")


def _specs_from_json(text: str, path) -> list[tuple[str, dict]]:
    data = limits.load_json(text, path)  # depth, number length, lone surrogates checked
    items = data.get("conditions") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise InputError("expected a list of conditions under the key 'conditions'", path)
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise InputError(f"condition #{i + 1} needs a 'name'", path)
        for key in ("uptake", "bounds", "measured_fluxes"):
            if not isinstance(item.get(key, {}), dict):
                raise InputError(f"condition {item['name']!r}: {key!r} must be an object", path)
        for key in ("preset", "base", "description"):
            if item.get(key) is not None and not isinstance(item[key], str):
                raise InputError(f"condition {item['name']!r}: {key!r} must be a text, not "
                                 f"{type(item[key]).__name__}", path)
        for key in ("uptake", "bounds", "measured_fluxes", "measured_growth"):
            values = item.get(key, {})
            values = values.values() if isinstance(values, dict) else [values]
            for value in values:
                for v in (value if isinstance(value, list) else [value]):
                    if v is not None and not isinstance(v, (int, float, str)) or isinstance(v, bool):
                        raise InputError(f"condition {item['name']!r}: {key!r} must hold numbers, not "
                                         f"{type(v).__name__}", path)
        for key, pair in item.get("bounds", {}).items():
            if not isinstance(pair, list) or len(pair) != 2:
                raise InputError(f"condition {item['name']!r}: bounds of {key} must be [lower, upper]", path)
        out.append((item["name"], item))
    return out


def _specs_from_csv(text: str, path) -> list[tuple[str, dict]]:
    lines = text.splitlines()
    header = lines[0] if lines else ""
    # A spreadsheet saved with ';' as separator (usual where the decimal mark is a comma) reads the same.
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.DictReader(lines, delimiter=delimiter)
    try:
        return _parse_csv(reader, path)
    except csv.Error as exc:  # a field over csv's size limit (131,072 characters), ...
        raise InputError(f"not a readable CSV (line {reader.line_num + 1}: {str(exc)[:120]})", path) from None


def _parse_csv(reader: csv.DictReader, path) -> list[tuple[str, dict]]:
    cols = {c.strip().lower() for c in (reader.fieldnames or []) if c}
    missing = [c for c in ("condition", "exchange") if c not in cols]
    if missing or not ({"lower_bound", "uptake"} & cols):
        need = missing + ([] if {"lower_bound", "uptake"} & cols else ["lower_bound or uptake"])
        raise InputError(f"CSV is missing the column(s) {', '.join(need)} "
                         "(expected condition,exchange,lower_bound[,upper_bound], separated by commas)", path)
    specs: dict[str, dict] = {}
    for line_no, row in enumerate(reader, start=2):
        if row.get(None):  # csv puts fields beyond the header's under None: a value would be dropped silently
            raise InputError(f"line {line_no}: {len(reader.fieldnames) + len(row[None])} fields but the header has "
                             f"{len(reader.fieldnames)} (extra: {', '.join(repr(v) for v in row[None][:3])})", path)
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
        name = row.get("condition", "")
        if not name:
            raise InputError(f"line {line_no}: empty condition name", path)
        spec = specs.setdefault(name, {"uptake": {}, "bounds": {}})
        if row.get("base"):
            spec["base"] = row["base"]
        if row.get("measured_growth"):
            spec["measured_growth"] = row["measured_growth"]
        exchange = row.get("exchange", "")
        if not exchange:
            continue  # a row that only carries measured_growth
        if row.get("uptake", "") != "":
            spec["uptake"][exchange] = row["uptake"]
        elif row.get("lower_bound", "") != "":
            spec["bounds"][exchange] = [row["lower_bound"], row.get("upper_bound") or None]
        else:
            raise InputError(f"line {line_no}: no lower_bound or uptake for {exchange}", path)
    if not specs:
        raise InputError("the CSV has a header but no conditions", path)
    return list(specs.items())


def save_conditions_file(conditions: Sequence[Condition], path: str | Path) -> None:
    """Write conditions as JSON (the format :func:`load_conditions_file` reads back)."""
    from core.io_utils import atomic_write_text

    data = {"format": "metattn-conditions", "version": 1, "conditions": [
        {"name": c.name, "description": c.description, "base": "none",
         "bounds": {k: [lb, ub] for k, (lb, ub) in sorted(c.bounds.items())},
         **({"measured_growth": c.measured_growth} if c.measured_growth is not None else {}),
         **({"measured_fluxes": c.measured_fluxes} if c.measured_fluxes else {})}
        for c in conditions]}
    atomic_write_text(path, json.dumps(data, indent=2))


def resolve_conditions(model, spec: str | Sequence[str], carbon_normalised: bool = False) -> list[Condition]:
    """Turn a CLI-style spec into conditions: comma-separated preset names and/or file paths."""
    items = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
    if not items:
        raise InputError("no conditions given")
    from core.limits import MAX_RUN_CONDITIONS as MAX_CONDITIONS

    out: list[Condition] = []
    for item in items:
        if item in load_presets():
            out.append(preset_condition(model, item, carbon_normalised))
        elif Path(item).suffix.lower() in (".json", ".csv") or Path(item).exists():
            out.extend(load_conditions_file(model, item, max_conditions=max(0, MAX_CONDITIONS - len(out))))
        else:
            raise InputError(f"unknown preset or missing conditions file {item!r} (presets: {', '.join(load_presets())})")
    names = [c.name for c in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"duplicate condition names: {', '.join(dupes)}")
    if len(out) > MAX_CONDITIONS:  # refused now, not after minutes of FBA
        raise InputError(f"{len(out):,} conditions given; one run compares at most {MAX_CONDITIONS} "
                         "(split them over several runs)")
    return out
