"""Hostile projects (issue 18, classes 1 and 5): a real ``.mattn`` saved from a textbook run, then
altered the way an attacker would. Opening must end in one InputError naming the project, before
anything is applied; the bomb is opened in a child process whose peak memory is measured."""

from __future__ import annotations

import copy
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from core.errors import InputError
# The Qt test set-up (offscreen, settings in a temporary folder) and the window/dialog fixtures.
from tests.app.conftest import _one_thread_and_cleanup, dialogs, fresh_settings, window  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
GB = 1024 ** 3


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """(project.json as a dict, attention.npz arrays) of a real saved project."""
    import torch

    from app.project import save_project
    from core.pipeline import RunSettings, run_pipeline

    torch.set_num_threads(1)
    result = run_pipeline(RunSettings(model="textbook", conditions=("glucose", "acetate")))
    path = save_project(tmp_path_factory.mktemp("project") / "good.mattn", result.settings,
                        [c.condition for c in result.conditions], [c.name for c in result.conditions],
                        result.attention, result.loaded.sha256,
                        {"selected": "pyr_c", "heatmap": {"condition": 1, "layer": 0, "head": 0, "level": 0,
                                                          "colormap": "viridis"},
                         "network": {"condition": 0, "mode": 0, "top_k": 30, "threshold": 5}})
    with zipfile.ZipFile(path) as zf:
        doc = json.loads(zf.read("project.json"))
        with np.load(io.BytesIO(zf.read("attention.npz")), allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    return doc, arrays


def write_project(path: Path, doc, arrays: dict | None, raw_json: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.json", raw_json if raw_json is not None else json.dumps(doc))
        if arrays is not None:
            buf = io.BytesIO()
            np.savez_compressed(buf, **arrays)
            zf.writestr("attention.npz", buf.getvalue())
    return path


def open_fails(path: Path, *words: str) -> str:
    from app.project import load_project

    with pytest.raises(InputError) as info:
        load_project(path)
    text = str(info.value)
    assert text.startswith(f"{path}: ") and "\n" not in text, text
    for word in words:
        assert word in text, text
    return text


def test_the_saved_project_opens(saved, tmp_path):
    from app.project import load_project

    doc, arrays = saved
    project = load_project(write_project(tmp_path / "ok.mattn", doc, arrays))
    assert project.attention.condition_names == ("glucose", "acetate")
    assert project.view["heatmap"]["colormap"] == "viridis" and project.view["selected"] == "pyr_c"
    assert project.checked == ("glucose", "acetate")


def _set(doc: dict, dotted: str, value) -> dict:
    doc = copy.deepcopy(doc)
    *parents, last = dotted.split(".")
    target = doc
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return doc


DOC_ATTACKS = [
    ("version", "x", "version must be a whole number"),
    ("version", 2, "newer version"),
    ("checked", 5, "checked must be a list"),
    ("checked", ["nope"], "does not list: 'nope'"),
    ("view", [], "view must be an object"),
    ("view.heatmap.layer", "x", "view.heatmap.layer must be a whole number"),
    ("view.selected", {"a": 1}, "view.selected must be a text"),
    ("settings.attention.d_model", 1e12, "d_model must be a whole number"),
    ("settings.attention.d_model", 10 ** 12, "d_model must be between"),
    ("settings.attention.heads", True, "heads must be a whole number"),
    ("settings.attention.mode", "dense", "mode must be one of"),
    ("settings.attention.memory_budget_gb", float("nan"), "must be a finite number"),
    ("settings.top_k", -3, "top_k must be between"),
    ("settings.model", 42, "settings.model must be a text"),
    ("settings", "x", "settings must be an object"),
    ("conditions.0.bounds.EX_glc__D_e", ["a", 1], "must be a number"),
    ("conditions.0.bounds.EX_glc__D_e", [-10, -20], "lower bound -10 above upper bound -20"),
    ("conditions.0.measured_growth", float("inf"), "must be a finite number"),
    ("conditions.0.preset", ["glucose"], "preset must be a text"),
    ("conditions.0.name", "", "conditions[0].name is empty"),
    ("model.sha256", "../../x", "not a SHA-256"),
]


@pytest.mark.parametrize("where,value,words", DOC_ATTACKS, ids=[f"{w}={v!r:.12}" for w, v, _ in DOC_ATTACKS])
def test_project_json_is_checked_by_type_range_and_finiteness(saved, tmp_path, where, value, words):
    doc, arrays = saved
    open_fails(write_project(tmp_path / "p.mattn", _set(doc, where, value), arrays), words)


def test_lone_surrogate_and_deep_nesting_in_project_json(saved, tmp_path):
    doc, arrays = saved
    text = json.dumps(_set(doc, "conditions.0.name", "NAME")).replace("NAME", "glc\\ud800")
    open_fails(write_project(tmp_path / "s.mattn", None, arrays, text), "surrogate")
    deep = json.dumps(_set(doc, "view.heatmap", "DEEP")).replace('"DEEP"', "[" * 50_000 + "]" * 50_000)
    open_fails(write_project(tmp_path / "d.mattn", None, arrays, deep), "nested more than")


def _arrays_with(arrays: dict, key: str, value) -> dict:
    out = dict(arrays)
    out[key] = value
    return out


def test_attention_arrays_are_checked_by_shape_and_value(saved, tmp_path):
    doc, arrays = saved
    imp = arrays["importance"].copy()
    imp[0, 3] = np.nan
    cases = {
        "nan": (_arrays_with(arrays, "importance", imp), "NaN or infinite values in importance"),
        "shape": (_arrays_with(arrays, "self_attention", arrays["self_attention"][:, :, :-1]), "self_attention"),
        "edges": (_arrays_with(arrays, "edge_index", arrays["edge_index"] + 10 ** 6), "edges to nodes outside"),
        "types": (_arrays_with(arrays, "node_types", np.full_like(arrays["node_types"], 7)), "node types"),
        "kind": (_arrays_with(arrays, "importance", imp.astype("U8")), "not the expected kind"),
        "weights": (_arrays_with(arrays, "self_attention", arrays["self_attention"] * 5 + 1), "outside [0, 1]"),
        "config": (_arrays_with(arrays, "config_json", np.array('{"d_model": "x"}')), "d_model must be a whole"),
        "missing": ({k: v for k, v in arrays.items() if k != "importance"}, "missing importance"),
    }
    for name, (bad, words) in cases.items():
        open_fails(write_project(tmp_path / f"{name}.mattn", doc, bad), words)


def test_damaged_and_encrypted_members(saved, tmp_path):
    doc, arrays = saved
    good = write_project(tmp_path / "good.mattn", doc, arrays)
    data = bytearray(good.read_bytes())
    at = data.find(b'"format"')  # project.json is stored: flip a byte of it, the CRC no longer matches
    data[at + 2] ^= 0x01
    crc = tmp_path / "crc.mattn"
    crc.write_bytes(bytes(data))
    open_fails(crc, "damaged")
    data = bytearray(good.read_bytes())
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(sig)
        data[at + offset] |= 1
    enc = tmp_path / "enc.mattn"
    enc.write_bytes(bytes(data))
    open_fails(enc, "encrypted")


def test_special_files_as_projects(tmp_path):
    fifo = tmp_path / "pipe.mattn"
    os.mkfifo(fifo)
    open_fails(fifo, "not a regular file")
    open_fails(Path("/dev/zero"), "not a regular file")


def test_a_refused_project_changes_nothing_in_the_window(qtbot, window, dialogs, saved, tmp_path):
    """All or nothing: a project refused for one bad value (the heatmap layer) leaves the settings it
    also holds (4 heads) unapplied, and says why in a dialog naming the project."""
    doc, arrays = saved
    bad = write_project(tmp_path / "bad.mattn", _set(_set(doc, "settings.attention.heads", 4),
                                                    "view.heatmap.layer", "x"), arrays)
    before = window.setup.attention_config(check=False)
    with qtbot.waitSignal(window.run_failed, timeout=30_000):
        window.open_project(str(bad))
    kind, title, text = dialogs[0][-1]
    assert kind == "critical" and str(bad) in text and "view.heatmap.layer" in text
    assert window.setup.attention_config(check=False).heads == before.heads != 4


def _deflate_bomb_zip(path: Path, member: str, size: int) -> Path:
    """A zip whose ``member`` inflates to ``size`` bytes of spaces (level 1: about 2 s per GB to write)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open(member, "w", force_zip64=True) as fh:
            chunk = b" " * (1 << 24)
            for _ in range(size // len(chunk)):
                fh.write(chunk)
    return path


def test_project_bomb_ends_in_one_line_with_bounded_memory(tmp_path):
    """A 1.25 GB project.json in a few MB: refused from its declared size, before inflating anything."""
    bomb = _deflate_bomb_zip(tmp_path / "bomb.mattn", "project.json", 1280 * 1024 * 1024)
    assert bomb.stat().st_size < 16 * 1024 * 1024
    from tests.robustness.test_attacks import measure_child

    code = ("import sys\nfrom app.project import load_project\nfrom core.errors import InputError\n"
            "try:\n    load_project(sys.argv[1])\nexcept InputError as exc:\n"
            "    print(f'metattn: error: {exc}', file=sys.stderr)\n    sys.exit(2)\n")
    returncode, text, peak, cpu = measure_child(["-c", code, str(bomb)], ROOT)
    assert returncode == 2 and text.count("\n") == 1 and "Traceback" not in text, text
    assert str(bomb) in text and "project.json" in text, text
    assert peak < 1 * GB, f"peak memory {peak / GB:.2f} GB"
    assert cpu < 15
