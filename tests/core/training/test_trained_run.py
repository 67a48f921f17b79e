"""A run with trained weights: the report and summary say what ran and how well; untrained says so too."""

from __future__ import annotations

import json

import numpy as np

import pytest

from core.errors import InputError
from core.pipeline import RunSettings, run_pipeline
from core.summary import summary_markdown


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory):
    """A tiny model trained through the CLI, as a user would."""
    import main

    out = tmp_path_factory.mktemp("train") / "tb.safetensors"
    code = main.main(["train", "--model", "textbook", "--media", "80", "--epochs", "2", "--d-model", "8",
                      "--heads", "2", "--processes", "1", "--out", str(out), "-q"])
    assert code == 0 and out.is_file()
    return out


def test_cli_train_writes_a_card_with_held_out_metrics(weights_file):
    from core.training.weights import read_card

    card = read_card(weights_file)
    assert card["model_id"] == "e_coli_core" and card["data"]["media"] == 80
    held = card["metrics"]["held_out"]
    assert set(held) >= {"growth_r2", "flux_r2", "grows_auroc"} and held["media"] > 0
    assert "mlp_medium" in card["metrics"]["baselines"] and "mean" in card["metrics"]["baselines"]
    assert card["metrics"]["faithfulness"]["mask_top_5pct"]["attention"] >= 0
    assert card["metrics"]["split"]["by"] == "carbon-source combination"
    # Without wiring flags the CLI trains the shipped weights' wiring, whose read-out carries the prediction.
    from core.training import RECOMMENDED_WIRING

    assert card["predictor"]["guided"] and card["predictor"]["medium_values"]
    assert card["predictor"]["learned_bound"] == RECOMMENDED_WIRING["learned_bound"]
    assert card["train"]["weight_decay"] == RECOMMENDED_WIRING["weight_decay"]


@pytest.mark.parametrize("flags, wiring", [
    ([], dict(guided=True, medium_values=True, bottleneck=False)),
    (["--no-guided"], dict(guided=False, medium_values=False, bottleneck=False, flux_warmup=0)),
    (["--bottleneck"], dict(guided=False, medium_values=False, bottleneck=True)),
    (["--no-medium-values"], dict(guided=True, medium_values=False)),
    (["--flux-warmup", "7"], dict(guided=True, flux_warmup=7)),
])
def test_train_wiring_defaults_to_the_shipped_one_and_other_wirings_are_asked_for(tmp_path, flags, wiring):
    import main
    from core.training.cli import _check

    args = main.build_parser().parse_args(["train", "--model", "textbook", "--out", str(tmp_path / "w.safetensors"), *flags])
    _check(args)
    assert {k: getattr(args, k) for k in wiring} == wiring


@pytest.mark.parametrize("flags, words", [
    (["--bottleneck", "--guided"], "--bottleneck and --guided are two different wirings"),
    (["--no-guided", "--medium-values"], "--medium-values needs --guided"),
    (["--no-guided", "--flux-warmup", "5"], "--flux-warmup needs --guided"),
])
def test_contradictory_wiring_flags_are_refused(tmp_path, flags, words):
    import main
    from core.errors import InputError
    from core.training.cli import _check

    args = main.build_parser().parse_args(["train", "--model", "textbook", "--out", str(tmp_path / "w.safetensors"), *flags])
    with pytest.raises(InputError, match=words):
        _check(args)


def test_run_with_weights_reports_predictions(weights_file):
    from core.report import build_report

    settings = RunSettings(model="textbook", conditions=("glucose", "acetate"), weights=str(weights_file))
    result = run_pipeline(settings)
    att = result.attention
    assert att.trained and att.importance.shape == (2, result.graph.n_nodes)
    report = json.loads(json.dumps(build_report(result), default=str))
    model = report["trained_model"]
    assert model["conditions"] == ["glucose", "acetate"] and len(model["predicted_growth"]) == 2
    assert model["fba_growth"][0] == pytest.approx(result.conditions[0].growth_rate)
    assert report["attention"]["trained"] is True and report["settings"]["pfba"] is True
    text = summary_markdown(result)
    assert "What the attention model predicts" in text and "Untrained" not in text


def test_resume_recomputes_trained_attention(weights_file):
    from core.pipeline import resume_pipeline

    settings = RunSettings(model="textbook", conditions=("glucose", "acetate"), weights=str(weights_file))
    ran = run_pipeline(settings)
    resumed = resume_pipeline(settings, ran.attention)
    assert resumed.attention.trained
    assert np.array_equal(resumed.attention.importance, ran.attention.importance)
    assert resumed.attention.prediction["predicted_growth"] == ran.attention.prediction["predicted_growth"]


def test_full_mode_runs_the_structure_only_read_out():
    from core.attention.result import AttentionConfig

    result = run_pipeline(RunSettings(model="textbook", conditions=("glucose",),
                                      attention=AttentionConfig(mode="full", d_model=16, heads=2)))
    assert not result.attention.trained


def test_untrained_run_says_structure_only():
    result = run_pipeline(RunSettings(model="textbook", conditions=("glucose",), weights="none"))
    assert not result.attention.trained
    assert any("untrained (structure only)" in n for n in result.notes)
    assert "**Untrained — structure only.**" in summary_markdown(result)


def test_weights_for_another_graph_fail_with_one_line(weights_file):
    settings = RunSettings(model="textbook", conditions=("glucose",), weights=str(weights_file),
                           filter_currency=False)
    with pytest.raises(InputError, match="do not fit"):
        run_pipeline(settings)
