"""Save and load the attention network's weights with safetensors (no pickle, nothing executed).

The file holds the state dict plus metadata: a format name, a version and the constructor arguments
(``spec``) of the :class:`AttentionAggregator`, so :func:`load_weights` rebuilds the same network.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.errors import InputError
from core.io_utils import atomic_path

WEIGHTS_FORMAT = "metattn-attention-weights"
WEIGHTS_VERSION = 1


def save_weights(path: str | Path, module, overwrite: bool = True) -> Path:
    """Write ``module`` (an AttentionAggregator) to ``path`` (.safetensors), atomically."""
    from safetensors.torch import save_file

    spec = getattr(module, "spec", None)
    if not isinstance(spec, dict):
        raise TypeError(f"save_weights expects an AttentionAggregator, got {type(module).__name__}")
    state = {k: v.detach().contiguous().clone() for k, v in module.state_dict().items()}
    metadata = {"format": WEIGHTS_FORMAT, "version": str(WEIGHTS_VERSION), "spec": json.dumps(spec)}
    with atomic_path(path, overwrite) as tmp:
        save_file(state, str(tmp), metadata=metadata)
    return Path(path)


def read_metadata(path: str | Path) -> dict:
    """The metadata of a safetensors file (nothing else is read); InputError for a missing or foreign file."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise InputError("weights file not found", path)
    try:
        # framework "numpy": reading the header needs no torch (importing it cost the window ~2 s of CPU
        # whenever it described the shipped weights).
        with safe_open(str(path), framework="numpy") as handle:
            return handle.metadata() or {}
    except (SafetensorError, OSError, ValueError) as exc:
        raise InputError(f"not a safetensors weights file ({exc})", path) from None


def load_weights(path: str | Path):
    """Read a file written by :func:`save_weights`; returns an AttentionAggregator in eval mode."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from core.attention.aggregator import AttentionAggregator

    path = Path(path)
    metadata = read_metadata(path)
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise InputError(f"not a safetensors weights file ({exc})", path) from None
    if metadata.get("format") != WEIGHTS_FORMAT:
        raise InputError(f"not a {WEIGHTS_FORMAT} file (format {metadata.get('format')!r})", path)
    if int(metadata.get("version", "0")) > WEIGHTS_VERSION:
        raise InputError(f"written by a newer version (weights format {metadata['version']}); update the program",
                         path)
    try:
        module = AttentionAggregator(**json.loads(metadata["spec"]))
        module.load_state_dict(state, strict=True)
    except (KeyError, TypeError, RuntimeError, ValueError, AssertionError) as exc:
        raise InputError(f"weights do not match the attention network ({exc})", path) from None
    return module.eval()
