"""Trained weights as files: safetensors (no pickle, nothing executed) with a JSON card in its metadata.

The card says what the weights are for and how far to trust them: the graph they were trained on (node
ids in order and their fingerprint), the network's settings, the data recipe (model, K media, seed,
ranges), the training settings and the held-out metrics beside the baselines. :func:`load_predictor`
refuses weights whose graph differs from the one they are applied to, with one clear line.

Shipped weights live in ``resources/weights/<model id>.safetensors``; :func:`shipped_weights` finds the
file whose card matches a graph.
"""

from __future__ import annotations

import hashlib
import json
from importlib.resources import files
from pathlib import Path

from core.errors import InputError

FORMAT = "metattn-trained-model"
VERSION = 2  # 2: the two-stream predictor (structure encoder once, medium tokens); 1 cannot be read


def graph_fingerprint(node_ids) -> str:
    """SHA-256 of the node ids in order: two graphs with the same fingerprint share every node and index."""
    return hashlib.sha256("\n".join(node_ids).encode("utf-8")).hexdigest()


def save_predictor(path: str | Path, model, card: dict, overwrite: bool = True) -> Path:
    """Write ``model`` (a MetabolicPredictor) and ``card`` to ``path`` atomically; the card gains the
    format, version and the network's constructor settings."""
    from safetensors.torch import save_file

    from core.io_utils import atomic_path

    card = dict(card, format=FORMAT, version=VERSION, predictor=model.spec)
    state = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items()}
    with atomic_path(path, overwrite) as tmp:
        save_file(state, str(tmp), metadata={"format": FORMAT, "version": str(VERSION), "card": json.dumps(card)})
    return Path(path)


def read_card(path: str | Path) -> dict:
    """The card of a weights file, without building the network; InputError for anything else."""
    from core.attention.weights_io import read_metadata

    path = Path(path)
    metadata = read_metadata(path)
    if metadata.get("format") != FORMAT:
        raise InputError(f"not trained metattn weights (format {metadata.get('format')!r}; "
                         f"expected {FORMAT})", path)
    try:
        version = int(metadata.get("version", "0"))
        card = json.loads(metadata["card"])
    except (KeyError, ValueError) as exc:
        raise InputError(f"the weights file's card is damaged ({exc})", path) from None
    if version < VERSION:
        raise InputError(f"made by an older version of metattn (format version {version}, now {VERSION}) whose "
                         "network differs; train the weights again with 'main.py train'", path)
    if version > VERSION:
        raise InputError(f"written by a newer version (format version {version}); update the program", path)
    if not isinstance(card, dict) or not isinstance(card.get("graph"), dict):
        raise InputError("the weights file's card has no graph section", path)
    return card


def load_predictor(path: str | Path, node_ids=None):
    """``(MetabolicPredictor in eval mode, card)`` from ``path``.

    ``node_ids``: the graph the weights will run on; a different graph (another model, another currency
    filter) is refused with a message naming both.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from core.training.model import MetabolicPredictor

    path = Path(path)
    card = read_card(path)
    graph = card["graph"]
    if node_ids is not None and graph_fingerprint(node_ids) != graph.get("fingerprint"):
        raise InputError(f"these weights were trained on {card.get('model_id', 'another model')} "
                         f"({graph.get('nodes', '?')} nodes) and do not fit this model's graph "
                         f"({len(node_ids)} nodes); train weights for it with 'main.py train'", path)
    try:
        state = load_file(str(path))
        model = MetabolicPredictor.from_spec(card["predictor"], state["reaction_nodes"], state["exchange_nodes"])
        model.load_state_dict(state, strict=True)
    except (SafetensorError, KeyError, TypeError, RuntimeError, ValueError, AssertionError, OSError) as exc:
        raise InputError(f"the weights do not match the network their card describes ({exc})", path) from None
    return model.eval(), card


def weights_dir() -> Path:
    return Path(str(files("resources") / "weights"))


def shipped_weights(node_ids) -> Path | None:
    """The shipped weights file whose card matches the graph ``node_ids``, or None."""
    folder = weights_dir()
    if not folder.is_dir():
        return None
    fingerprint = graph_fingerprint(node_ids)
    for path in sorted(folder.glob("*.safetensors")):
        try:
            if read_card(path)["graph"].get("fingerprint") == fingerprint:
                return path
        except InputError:
            continue
    return None


def card_summary(card: dict) -> dict:
    """The card without the long node list: what report.json and the window show."""
    out = {k: v for k, v in card.items() if k != "graph"}
    graph = card.get("graph", {})
    out["graph"] = {k: v for k, v in graph.items() if k != "node_ids"}
    return out
