"""attention.npz: an AttentionResult as plain numpy arrays (no pickled objects).

Written with ``np.savez_compressed``; strings are fixed-width unicode (``'U'``) arrays so that
``np.load(path, allow_pickle=False)`` reads everything. The keys are documented in
docs/attention_npz.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from core.attention.result import AttentionConfig, AttentionResult
from core.errors import InputError
from core.io_utils import atomic_path

NPZ_FORMAT = "metattn-attention"
NPZ_VERSION = 1
NPZ_NAME = "attention.npz"
REQUIRED_KEYS = ("node_ids", "node_types", "edge_index", "self_attention", "cross_attention", "importance",
                 "condition_names")


def _strings(values) -> np.ndarray:
    values = [str(v) for v in values]
    width = max((len(v) for v in values), default=1) or 1
    return np.array(values, dtype=f"<U{width}")


def attention_arrays(result: AttentionResult) -> dict[str, np.ndarray]:
    """The arrays written to attention.npz, by key."""
    arrays = {
        "format": np.array(NPZ_FORMAT),
        "format_version": np.array(NPZ_VERSION, dtype=np.int64),
        "config_json": np.array(json.dumps(result.config.to_dict(), sort_keys=True)),
        "node_ids": _strings(result.node_ids),
        "node_types": np.asarray(result.node_types, dtype=np.int8),
        "edge_index": np.asarray(result.edge_index, dtype=np.int64),
        "self_attention": np.asarray(result.self_attention, dtype=np.float32),
        "cross_attention": np.asarray(result.cross_attention, dtype=np.float32),
        "importance": np.asarray(result.importance, dtype=np.float32),
        "condition_names": _strings(result.condition_names),
        "feature_names": _strings(result.feature_names),
        "node_features": np.asarray(result.node_features, dtype=np.float32),
        "embeddings": np.asarray(result.embeddings, dtype=np.float32),
    }
    if result.fused is not None:
        arrays["fused"] = np.asarray(result.fused, dtype=np.float32)
    if result.edge_hops is not None:
        arrays["edge_hops"] = np.asarray(result.edge_hops, dtype=np.int8)
    return arrays


def write_attention_npz(result: AttentionResult, path: str | Path, overwrite: bool = True) -> Path:
    """Write ``result`` to ``path``; a directory (e.g. OUT/) gets ``attention.npz`` inside it."""
    path = Path(path)
    if path.is_dir() or path.suffix.lower() != ".npz":
        path = path / NPZ_NAME
    arrays = attention_arrays(result)
    with atomic_path(path, overwrite) as tmp:
        with open(tmp, "wb") as handle:  # a file object: savez would append ".npz" to a name
            np.savez_compressed(handle, **arrays)
    return path


def read_attention_npz(path: str | Path) -> AttentionResult:
    """Read a file written by :func:`write_attention_npz` (never unpickles anything)."""
    path = Path(path)
    if path.is_dir():
        path = path / NPZ_NAME
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except FileNotFoundError:
        raise InputError("attention file not found", path) from None
    except (ValueError, OSError) as exc:
        raise InputError(f"not a readable attention.npz ({exc})", path) from None
    if str(arrays.get("format", "")) != NPZ_FORMAT:
        raise InputError(f"not a {NPZ_FORMAT} file", path)
    if int(arrays.get("format_version", 0)) > NPZ_VERSION:
        raise InputError(f"written by a newer version (format {int(arrays['format_version'])}); update the program",
                         path)
    missing = [k for k in REQUIRED_KEYS if k not in arrays]
    if missing:
        raise InputError(f"attention.npz is missing {', '.join(missing)}", path)
    config = AttentionConfig.from_dict(json.loads(str(arrays["config_json"]))) if "config_json" in arrays \
        else AttentionConfig()
    n_c = arrays["importance"].shape[0]
    n = len(arrays["node_ids"])
    return AttentionResult(
        config=config,
        condition_names=tuple(str(s) for s in arrays["condition_names"]),
        node_ids=tuple(str(s) for s in arrays["node_ids"]),
        node_types=arrays["node_types"].astype(np.int8),
        edge_index=arrays["edge_index"].astype(np.int64),
        self_attention=arrays["self_attention"],
        cross_attention=arrays["cross_attention"],
        importance=arrays["importance"],
        node_features=arrays.get("node_features", np.zeros((n_c, n, 0), dtype=np.float32)),
        embeddings=arrays.get("embeddings", np.zeros((n_c, n, 0), dtype=np.float32)),
        feature_names=tuple(str(s) for s in arrays.get("feature_names", ())),
        fused=arrays.get("fused"),
        edge_hops=arrays.get("edge_hops"),
    )
