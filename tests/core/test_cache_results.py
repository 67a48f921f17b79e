"""A run's results stored as JSON and plain arrays (core.cache_results, issue 17): what a project keeps so
that reopening it computes nothing. Same values out as in; anything the encoder did not write is refused."""

from __future__ import annotations

import dataclasses
import io
import json

import numpy as np
import pytest

from core.cache_results import decode, encode, result_from_parts, result_parts


@pytest.fixture(scope="module")
def result():
    import torch

    from core.pipeline import RunSettings, run_pipeline

    torch.set_num_threads(1)
    return run_pipeline(RunSettings(model="textbook", conditions=("glucose", "acetate")))


def _through_files(doc, arrays):
    """What a project file gives back: the JSON text and an npz read with allow_pickle=False."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as data:
        back = {k: data[k] for k in data.files}
    return json.loads(json.dumps(doc, allow_nan=False)), back


def _assert_same(a, b, where="result"):
    """Field by field: arrays equal in dtype and values (NaN where NaN), everything else equal."""
    if dataclasses.is_dataclass(a):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            if f.name == "model":
                continue
            _assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), where
    else:
        assert a == b, where


def _close(a, b, where="report") -> bool:
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        return all(_close(a[k], b[k], f"{where}.{k}") for k in a)
    if isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        return all(_close(x, y, f"{where}[{i}]") for i, (x, y) in enumerate(zip(a, b)))
    if isinstance(a, float) and not isinstance(b, bool):
        assert b == pytest.approx(a, rel=1e-12, abs=1e-15), where
        return True
    assert a == b, where
    return True


def test_a_run_comes_back_identical(result):
    from core.report import build_report

    doc, arrays = _through_files(*result_parts(result))
    back = result_from_parts(doc, arrays, result.attention)
    _assert_same(result, back)
    assert back.loaded.model is None and back.attention.prediction == result.attention.prediction
    # What the exports and the panes read is the same (the model's own facts aside).
    with_model = dataclasses.replace(back, loaded=result.loaded)
    ours, theirs = build_report(result), build_report(with_model)
    ours.pop("created"), theirs.pop("created")
    # Equal to the last bit but for means over arrays that were strided views and come back contiguous
    # (numpy sums those in another order: 0.16548035098809055 against ...58).
    assert _close(ours, theirs)


def test_the_model_path_is_the_one_the_project_resolved(result):
    doc, arrays = _through_files(*result_parts(result))
    settings = dataclasses.replace(result.settings, model="/somewhere/else/textbook.xml")
    back = result_from_parts(doc, arrays, result.attention, settings, "/somewhere/else/textbook.xml")
    assert back.settings.model == "/somewhere/else/textbook.xml" and back.loaded.source == settings.model
    assert back.settings.attention.to_dict() == result.settings.attention.to_dict()


def test_values_json_cannot_hold_and_shared_objects():
    shared = np.arange(3.0)
    doc, arrays = encode({"nan": float("nan"), "inf": -np.inf, "t": (1, "a"), "s": frozenset({"x"}),
                          "k": {(1, 2): shared}, "again": shared, "i": np.int64(7), "f": np.float32(0.5)})
    back = decode(*_through_files(doc, arrays), classes={})
    assert np.isnan(back["nan"]) and back["inf"] == -np.inf and back["t"] == (1, "a") and back["s"] == {"x"}
    assert back["k"][(1, 2)] is back["again"] and back["i"] == 7 and back["f"] == 0.5
    assert len(arrays) == 1


@pytest.mark.parametrize("change, words", [
    (lambda d: d["result"].update({"__dataclass__": "os.system"}), "not part of a run's results"),
    (lambda d: d["result"]["fields"].update({"extra": 1}), "unknown field"),
    (lambda d: d["result"]["fields"].pop("graph"), "no field 'graph'"),
    (lambda d: d["result"]["fields"].update({"notes": 3}), "RunResult.notes"),
    (lambda d: d["result"]["fields"].update({"timings": {"__array__": "nope"}}), "missing"),
    (lambda d: d.update({"version": 99}), "newer version"),
    (lambda d: d["result"]["fields"].update({"conditions": {"__tuple__": [{"__ref__": 10 ** 6}]}}), "reference"),
])
def test_anything_it_did_not_write_is_refused(result, change, words):
    doc, arrays = _through_files(*result_parts(result))
    change(doc)
    with pytest.raises(ValueError, match=words):
        result_from_parts(doc, arrays, result.attention)


def test_results_of_other_attention_are_refused(result):
    doc, arrays = _through_files(*result_parts(result))
    other = dataclasses.replace(result.attention, node_ids=tuple(reversed(result.attention.node_ids)))
    with pytest.raises(ValueError, match="not the graph of the attention"):
        result_from_parts(doc, arrays, other)
    key = doc["result"]["fields"]["graph"]["fields"]["node_types"]["__array__"]
    arrays[key] = np.array(["metabolite"] * len(result.graph.node_ids))
    with pytest.raises(ValueError, match="text"):
        result_from_parts(doc, arrays, result.attention)
