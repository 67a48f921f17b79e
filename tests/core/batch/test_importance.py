"""Trained weights in the unit of batch work: the shipped textbook weights on real media give the importances
and predictions a single run gives; weights for another model, or options that need weights, are refused
with one line before any work."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

import main as cli
from core.batch import importance as imp
from core.batch import work
from core.batch.importance import IMPORTANCE_PREFIX, PATHWAY_PREFIX, TOP_NODE, TOP_VALUE
from core.batch.spec import load_spec, plan_batch
from core.batch.work import WorkOptions, run_chunk, simulate_media
from core.conditions import Condition, preset_condition
from core.errors import InputError
from core.training.weights import weights_dir

SHIPPED = weights_dir() / "e_coli_core.safetensors"
PRESETS = ("glucose", "acetate", "succinate", "glucose_anaerobic")


@pytest.fixture(scope="module")
def media(textbook):
    from core.training.media import sample_media

    starving = Condition(name="nothing to eat", bounds={})
    return [preset_condition(textbook, p) for p in PRESETS] + sample_media(textbook, 6, seed=3) + [starving]


@pytest.fixture(scope="module")
def chunk(media):
    options = WorkOptions(weights=str(SHIPPED), importance_ids=None, top_nodes=5, pathway_importance=True)
    return run_chunk("textbook", media, options)


def test_chunk_importances_equal_a_single_run_with_the_same_weights(chunk, media):
    from core.pipeline import RunSettings, run_pipeline

    found = chunk.importances
    assert found is not None and found.weights == SHIPPED.name
    growing = [c for c, grows in zip(media, chunk.grows) if grows]
    assert len(growing) >= 6  # the presets and most random media grow; the starving one does not
    run = run_pipeline(RunSettings(model="textbook", weights=str(SHIPPED), use_cache=False), conditions=growing,
                       with_analysis=False)
    att = run.attention
    assert att.trained and tuple(att.node_ids) == found.node_ids  # importance_ids=None: every node, graph order
    rows = [media.index(c) for c in growing]
    np.testing.assert_allclose(found.values[rows], att.importance, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(found.predicted_growth[rows], att.prediction["predicted_growth"], rtol=1e-5)
    np.testing.assert_allclose(found.grows_probability[rows], att.prediction["grows_probability"], rtol=1e-5)
    # The shipped card's figures (resources/weights/README.md): glucose 0.845, acetate 0.173, succinate 0.297 1/h
    np.testing.assert_allclose(found.predicted_growth[:3], [0.845, 0.173, 0.297], atol=2e-3)


def test_top_nodes_and_pathway_totals_agree_with_every_node(chunk, media):
    from core.batch.importance import model_graph
    from core.models import load_model

    found = chunk.importances
    graph = model_graph(load_model("textbook").model)
    full = found.values  # [M, N]
    np.testing.assert_allclose(full.sum(axis=1), 1.0, atol=1e-5)  # a medium's importances are shares
    assert found.top_ids.shape == (len(media), 5)
    for i in range(len(media)):
        best = np.argsort(-full[i], kind="stable")[:5]
        assert list(found.top_ids[i]) == [found.node_ids[j] for j in best]
        np.testing.assert_allclose(found.top_values[i], full[i, best])
        assert np.all(np.diff(found.top_values[i]) <= 0)
    assert set(found.pathways) == set(graph.primary_pathway) and "Glycolysis/Gluconeogenesis" in found.pathways
    np.testing.assert_allclose(found.pathway_values.sum(axis=1), 1.0, atol=1e-5)
    glycolysis = [k for k, p in enumerate(graph.primary_pathway) if p == "Glycolysis/Gluconeogenesis"]
    p = found.pathways.index("Glycolysis/Gluconeogenesis")
    np.testing.assert_allclose(found.pathway_values[:, p], full[:, glycolysis].sum(axis=1), rtol=1e-5)


def test_frame_holds_predictions_beside_fba_and_the_importance_columns(chunk, media):
    frame = chunk.to_frame()
    assert len(frame) == len(media)
    names = list(frame.columns)
    assert names[:9] == ["model_id", "medium", "description", "status", "growth", "grows", "method",
                         "predicted_growth", "predicted_grows_probability"]
    assert f"{IMPORTANCE_PREFIX}PGI" in names and f"{TOP_NODE}1" in names and f"{TOP_VALUE}5" in names
    assert f"{PATHWAY_PREFIX}Glycolysis/Gluconeogenesis" in names
    assert frame["growth"].iloc[0] == pytest.approx(0.8739, abs=1e-4)  # FBA's, unchanged beside the prediction
    assert frame["predicted_growth"].iloc[0] == pytest.approx(0.845, abs=2e-3)
    assert frame[f"{TOP_NODE}1"].iloc[0] == chunk.importances.top_ids[0, 0]


def test_only_the_chosen_nodes_and_no_weights_no_columns(textbook, media):
    few = run_chunk("textbook", media[:2], WorkOptions(weights=str(SHIPPED), importance_ids=("PGI", "glc__D_e")))
    assert few.importances.node_ids == ("PGI", "glc__D_e") and few.importances.values.shape == (2, 2)
    assert few.importances.top_ids.shape == (2, 0) and few.importances.pathways == ()
    plain = simulate_media(textbook, media[:2], WorkOptions())
    assert plain.importances is None and "predicted_growth" not in plain.to_frame().columns
    with pytest.raises(InputError, match="no node.*NOT_A_NODE"):
        run_chunk("textbook", media[:1], WorkOptions(weights=str(SHIPPED), importance_ids=("NOT_A_NODE",)))


def test_weights_load_once_per_process_until_the_file_changes(media, tmp_path, monkeypatch):
    monkeypatch.setattr(imp, "_PREDICTORS", {})
    monkeypatch.setattr(work, "_MODELS", {})
    copy = tmp_path / "w.safetensors"
    shutil.copyfile(SHIPPED, copy)
    options = WorkOptions(weights=str(copy), top_nodes=3)
    first = run_chunk("textbook", media[:2], options)
    (loaded,) = imp._PREDICTORS.values()
    second = run_chunk("textbook", media[2:4], options)
    assert len(imp._PREDICTORS) == 1 and next(iter(imp._PREDICTORS.values())) is loaded
    stat = copy.stat()
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # the file changed: read it again
    third = run_chunk("textbook", media[:2], options)
    assert len(imp._PREDICTORS) == 1 and next(iter(imp._PREDICTORS.values())) is not loaded
    np.testing.assert_array_equal(first.importances.top_values, third.importances.top_values)
    assert second.importances.predicted_growth.shape == (2,)


def test_weights_of_another_model_are_refused_before_any_work(tmp_path, capsys):
    spec = tmp_path / "spec.csv"
    spec.write_text("model,media\niJO1366,glucose\n", encoding="utf-8")
    out = tmp_path / "OUT"
    code = cli.main(["batch", str(spec), "--out", str(out), "--weights", str(SHIPPED), "-q"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert "spec.csv: line 2 (model iJO1366)" in err and "e_coli_core.safetensors" in err
    assert "trained on e_coli_core" in err and "do not fit this model's graph" in err
    assert not out.exists()
    # No weights ship for salmonella: "auto" names the model rather than falling back to something else.
    spec.write_text("model,media\nsalmonella,glucose\n", encoding="utf-8")
    with pytest.raises(InputError, match="no shipped trained weights fit iYS1720"):
        plan_batch(load_spec(spec, {"weights": "auto"}))


def test_spec_weights_options_are_checked(tmp_path):
    spec = tmp_path / "spec.json"

    def load(**data):
        spec.write_text(json.dumps({"models": ["textbook"], "media": ["glucose"], **data}), encoding="utf-8")
        return load_spec(spec)

    shutil.copyfile(SHIPPED, tmp_path / "tb.safetensors")
    options = load(weights="tb.safetensors").options  # relative to the SPEC
    assert options.weights == str((tmp_path / "tb.safetensors").resolve()) and options.top_nodes == 20
    assert load(weights="auto", importance="all").options.importance_ids is None
    assert load(weights="auto", pathway_importance=True).options.top_nodes == 0
    for data, message in (({"top_nodes": 5}, "'top_nodes' needs trained weights"),
                          ({"weights": "missing.safetensors"}, "missing.safetensors: .*not found"),
                          ({"weights": "auto", "importance": "PGI"}, "'importance' must be"),
                          ({"weights": "auto", "top_nodes": -1}, "'top_nodes' must be")):
        with pytest.raises(InputError, match=message):
            load(**data)
    (tmp_path / "fake.safetensors").write_bytes(b"not weights")
    with pytest.raises(InputError, match="fake.safetensors"):
        load(weights="fake.safetensors")
    with pytest.raises(InputError, match="line 2 .*no node.*NOT_A_NODE"):
        csv = tmp_path / "spec.csv"
        csv.write_text("model,media\ntextbook,glucose\n", encoding="utf-8")
        plan_batch(load_spec(csv, {"weights": "auto", "importance": ["PGI", "NOT_A_NODE"]}))


def test_weights_change_the_plan_key_and_are_in_the_chunk_options(tmp_path):
    csv = tmp_path / "spec.csv"
    csv.write_text("model,media\ntextbook,glucose\ntextbook,acetate\n", encoding="utf-8")
    plain = plan_batch(load_spec(csv))
    trained = plan_batch(load_spec(csv, {"weights": "auto"}))
    assert plain.chunks[0].options.weights is None and plain.models[0].weights == ""
    # shipped weights travel by name: each worker finds them in its own installation
    assert trained.chunks[0].options.weights == "shipped:e_coli_core.safetensors"
    copy = tmp_path / "copy.safetensors"
    shutil.copyfile(SHIPPED, copy)
    assert plan_batch(load_spec(csv, {"weights": str(copy)})).chunks[0].options.weights == str(copy.resolve())
    assert trained.models[0].weights_sha256 and trained.key != plain.key
    assert plan_batch(load_spec(csv, {"weights": str(SHIPPED)})).key == trained.key  # auto found the same file
    table = run_chunk("textbook", trained.chunks[0].media, trained.chunks[0].options)
    assert table.importances.weights == "e_coli_core.safetensors" and table.importances.top_ids.shape == (2, 20)
