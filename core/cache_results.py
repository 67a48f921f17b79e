"""A run's results as JSON and plain arrays, never pickles: what a project file keeps so that reopening it
shows the results without solving FBA, running attention or analysing again (issue 17).

:func:`result_parts` turns a :class:`core.pipeline.RunResult` (without its cobra model and without its
attention arrays, which a project already keeps in ``attention.npz``) into ``(doc, arrays)``: ``doc`` is
JSON-ready, ``arrays`` are numpy arrays for ``np.savez`` (read back with ``allow_pickle=False``).
:func:`result_from_parts` is the inverse and treats its input as untrusted: it builds only the frozen
dataclasses of the run's own modules (:func:`known_classes`, never a class named by the file), checks
every field against its annotation (an array where an array is declared, a string where a string is...),
and checks that the pieces belong together (the graph's nodes are the attention's, the conditions are the
attention's); anything else raises ValueError with a one-line reason.

Encoding of ``doc``: JSON numbers, strings, booleans, null and lists as themselves; a tuple as
``{"__tuple__": [...]}``, a frozenset as ``{"__frozenset__": [...]}``, a dict with keys that are not all
strings as ``{"__items__": [[key, value], ...]}``, a float that JSON cannot hold as ``{"__float__": "nan"}``
(or "inf", "-inf"), an array as ``{"__array__": key}``, a dataclass as ``{"__dataclass__": "module.Name",
"fields": {...}}`` and a dataclass met before (the analyses share one NodeLabels) as ``{"__ref__": n}``, n
counting dataclasses in the order they are completed. Same values out as in: arrays keep their dtype and
bytes, floats their exact value.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import typing
from dataclasses import replace
from types import UnionType

import numpy as np

FORMAT = "metattn-results"
VERSION = 1

# Modules whose frozen dataclasses a RunResult is made of (and nothing else is ever built).
MODULES = ("core.pipeline", "core.models", "core.graph", "core.conditions.types", "core.attention.result",
           "core.analysis", "core.analysis._common", "core.analysis.basic", "core.analysis.entropy",
           "core.analysis.sparsity", "core.analysis.centrality", "core.analysis.node_types", "core.analysis.pathways",
           "core.analysis.clustering", "core.analysis.correlations", "core.analysis.relationships",
           "core.analysis.conditions", "core.analysis.layers")
MAX_DEPTH = 40  # nesting a run's results never reach (about 12)


def known_classes() -> dict[str, type]:
    """``"module.Name"`` -> class, for every dataclass defined in :data:`MODULES`."""
    out = {}
    for name in MODULES:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == name:
                out[f"{name}.{value.__qualname__}"] = value
    return out


# --------------------------------------------------------------------------- encoding


class _Encoder:
    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}
        self._array_keys: dict[int, str] = {}
        self._refs: dict[int, int] = {}
        self._alive: list = []  # keeps every object whose id() is remembered alive while encoding

    def __call__(self, obj, depth: int = 0):
        if depth > MAX_DEPTH:
            raise ValueError("results nested too deeply")
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, (int, np.integer)) and not isinstance(obj, np.bool_):
            return int(obj)
        if isinstance(obj, (float, np.floating)):
            value = float(obj)
            return value if math.isfinite(value) else {"__float__": repr(value)}
        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, np.ndarray):
            if obj.dtype.hasobject:
                raise ValueError("an array of Python objects cannot be stored")
            key = self._array_keys.get(id(obj))
            if key is None:
                key = self._array_keys[id(obj)] = f"a{len(self._array_keys)}"
                self.arrays[key] = obj
                self._alive.append(obj)
            return {"__array__": key}
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            if id(obj) in self._refs:
                return {"__ref__": self._refs[id(obj)]}
            cls = type(obj)
            fields = {f.name: self(getattr(obj, f.name), depth + 1) for f in dataclasses.fields(obj) if f.init}
            self._refs[id(obj)] = len(self._refs)
            self._alive.append(obj)
            return {"__dataclass__": f"{cls.__module__}.{cls.__qualname__}", "fields": fields}
        if isinstance(obj, tuple):
            return {"__tuple__": [self(v, depth + 1) for v in obj]}
        if isinstance(obj, list):
            return [self(v, depth + 1) for v in obj]
        if isinstance(obj, frozenset):
            return {"__frozenset__": [self(v, depth + 1) for v in sorted(obj, key=repr)]}
        if isinstance(obj, dict):
            if all(isinstance(k, str) and not k.startswith("__") for k in obj):
                return {k: self(v, depth + 1) for k, v in obj.items()}
            return {"__items__": [[self(k, depth + 1), self(v, depth + 1)] for k, v in obj.items()]}
        raise ValueError(f"a {type(obj).__name__} cannot be stored")


def encode(obj) -> tuple[object, dict[str, np.ndarray]]:
    """``(doc, arrays)`` of ``obj`` (dataclasses, arrays, numbers, strings, tuples, lists, dicts)."""
    enc = _Encoder()
    return enc(obj), enc.arrays


# --------------------------------------------------------------------------- decoding


_hints_cache: dict[type, dict] = {}


def _hints(cls: type) -> dict:
    if cls not in _hints_cache:
        try:
            _hints_cache[cls] = typing.get_type_hints(cls)
        except Exception:  # noqa: BLE001 - an annotation we cannot resolve is not checked
            _hints_cache[cls] = {}
    return _hints_cache[cls]


def _fits(value, hint) -> bool:
    """Whether ``value`` has the kind ``hint`` declares (containers: their elements too, where simple)."""
    if hint is typing.Any or hint is object or isinstance(hint, typing.TypeVar):
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, UnionType):
        return any(_fits(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, (float, int)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint in (str, bool):
        return isinstance(value, hint)
    if hint is np.ndarray:
        return isinstance(value, np.ndarray)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return isinstance(value, hint)
    args = typing.get_args(hint)
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_fits(v, args[0]) for v in value)
        return not args or (len(args) == len(value) and all(_fits(v, a) for v, a in zip(value, args)))
    if origin is dict or hint is dict:
        return isinstance(value, dict)
    if origin is frozenset or hint is frozenset:
        return isinstance(value, frozenset) and (not args or all(_fits(v, args[0]) for v in value))
    if origin is list or hint is list:
        return isinstance(value, list)
    return True  # a kind this check does not know (Callable, Sequence...) is not refused


class _Decoder:
    def __init__(self, arrays: dict, classes: dict[str, type]):
        self.arrays, self.classes = arrays, classes
        self.done: list = []

    def __call__(self, doc, depth: int = 0):
        if depth > MAX_DEPTH:
            raise ValueError("results nested too deeply")
        if doc is None or isinstance(doc, (bool, int, float, str)):
            return doc
        if isinstance(doc, list):
            return [self(v, depth + 1) for v in doc]
        if not isinstance(doc, dict):
            raise ValueError(f"unexpected {type(doc).__name__}")
        if len(doc) == 1:
            (key, value), = doc.items()
            if key == "__array__":
                if not isinstance(value, str) or value not in self.arrays:
                    raise ValueError(f"array {value!r} is missing")
                array = self.arrays[value]
                if array.dtype.kind not in "biuf":  # a run's results hold numbers only; names are in the JSON
                    raise ValueError(f"array {value!r} holds {'text' if array.dtype.kind in 'US' else array.dtype}, "
                                     "not numbers")
                return array
            if key == "__ref__":
                if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < len(self.done):
                    raise ValueError(f"reference {value!r} to nothing")
                return self.done[value]
            if key == "__tuple__":
                return tuple(self._items(value, depth))
            if key == "__frozenset__":
                return frozenset(self._items(value, depth))
            if key == "__float__":
                if value not in ("nan", "inf", "-inf"):
                    raise ValueError(f"float {value!r}")
                return float(value)
            if key == "__items__":
                pairs = self._items(value, depth)
                if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
                    raise ValueError("damaged key-value pairs")
                try:
                    return {k: v for k, v in pairs}
                except TypeError:
                    raise ValueError("a dictionary key that is not a value") from None
        if "__dataclass__" in doc:
            return self._dataclass(doc, depth)
        if any(k.startswith("__") for k in doc):
            raise ValueError(f"unknown entry {next(k for k in doc if k.startswith('__'))!r}")
        return {k: self(v, depth + 1) for k, v in doc.items()}

    def _items(self, value, depth: int) -> list:
        if not isinstance(value, list):
            raise ValueError("a list was expected")
        return [self(v, depth + 1) for v in value]

    def _dataclass(self, doc: dict, depth: int):
        name, fields = doc.get("__dataclass__"), doc.get("fields")
        cls = self.classes.get(name) if isinstance(name, str) else None
        if cls is None or set(doc) != {"__dataclass__", "fields"} or not isinstance(fields, dict):
            raise ValueError(f"{str(name)[:80]!r} is not part of a run's results")
        declared = {f.name: f for f in dataclasses.fields(cls) if f.init}
        unknown = [k for k in fields if k not in declared]
        missing = [k for k, f in declared.items() if k not in fields and f.default is dataclasses.MISSING
                   and f.default_factory is dataclasses.MISSING]
        if unknown or missing:
            raise ValueError(f"{cls.__name__} has {'unknown' if unknown else 'no'} field "
                             f"{(unknown or missing)[0]!r}")
        hints = _hints(cls)
        values = {}
        for key, raw in fields.items():
            value = self(raw, depth + 1)
            if key in hints and not _fits(value, hints[key]):
                raise ValueError(f"{cls.__name__}.{key} is a {type(value).__name__}, not what it should be")
            values[key] = value
        try:
            obj = cls(**values)
        except (TypeError, ValueError, AssertionError) as exc:
            raise ValueError(f"{cls.__name__} cannot be rebuilt ({exc})") from None
        self.done.append(obj)
        return obj


def decode(doc, arrays: dict, classes: dict[str, type] | None = None):
    """The inverse of :func:`encode`; ValueError for anything it did not write."""
    return _Decoder(arrays, known_classes() if classes is None else classes)(doc)


# --------------------------------------------------------------------------- a run's results


def result_parts(result) -> tuple[dict, dict[str, np.ndarray]]:
    """``(doc, arrays)`` of a RunResult without its cobra model and attention arrays (the attention's
    prediction, small, is kept: ``doc["prediction"]``)."""
    attention = result.attention
    bare = replace(result, loaded=replace(result.loaded, model=None), attention=None)
    body, arrays = encode(bare)
    prediction, _none = encode(attention.prediction if attention is not None else None)
    return {"format": FORMAT, "version": VERSION, "result": body, "prediction": prediction}, arrays


def result_from_parts(doc, arrays: dict, attention, settings=None, source: str | None = None):
    """The RunResult :func:`result_parts` stored, with ``attention`` (read from the project's
    attention.npz) put back with its prediction; ``settings``/``source`` replace the stored model path
    (the project resolves it where it is opened). ValueError when anything does not fit."""
    from core.pipeline import RunResult

    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError("not a results document")
    version = doc.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise ValueError(f"written by a newer version (results format {version})")
    result = decode(doc.get("result"), arrays)
    prediction = decode(doc.get("prediction"), {})
    if not isinstance(result, RunResult):
        raise ValueError("not a run's results")
    if prediction is not None and not isinstance(prediction, dict):
        raise ValueError("the prediction is not a table")
    if attention is None:
        raise ValueError("the results have no attention")
    if tuple(result.graph.node_ids) != tuple(attention.node_ids):
        raise ValueError("the results' graph is not the graph of the attention")
    names = {c.name for c in result.conditions}
    if not set(attention.condition_names) <= names:
        raise ValueError("the attention has conditions the results do not")
    analysis = result.analysis
    if analysis is not None and (tuple(analysis.node_ids) != tuple(attention.node_ids)
                                 or tuple(analysis.condition_names) != tuple(attention.condition_names)):
        raise ValueError("the analysis belongs to other attention")
    n = len(attention.node_ids)
    for c in result.conditions:
        if np.shape(c.fluxes) != (len(c.reaction_ids),):
            raise ValueError(f"condition {c.name!r} has fluxes of the wrong length")
    if np.shape(result.graph.node_types) != (n,) or np.ndim(result.graph.edge_index) != 2:
        raise ValueError("the graph's arrays have the wrong shape")
    result = replace(result, attention=replace(attention, prediction=prediction))
    if settings is not None:
        result = replace(result, settings=replace(result.settings, model=settings.model))
    if source is not None:
        result = replace(result, loaded=replace(result.loaded, source=source))
    return result
