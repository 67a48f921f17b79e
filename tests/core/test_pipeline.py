"""run_pipeline and resume_pipeline on the bundled textbook model: one finishing step, same numbers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from core.errors import InputError
from core.pipeline import RunSettings, resume_pipeline, run_pipeline


@pytest.fixture(scope="module")
def settings():
    # The untrained read-out: its attention comes back from the saved arrays (trained attention is
    # recomputed from its weights instead, tests/core/training/test_trained_run.py).
    return RunSettings(model="textbook", conditions=("glucose", "acetate"), weights="none")


@pytest.fixture(scope="module")
def ran(settings):
    return run_pipeline(settings)


def test_resume_gives_the_run_back_without_running_attention(settings, ran, monkeypatch):
    import core.attention

    def must_not_run(*_a, **_k):
        raise AssertionError("resume_pipeline ran attention")

    monkeypatch.setattr(core.attention, "run_attention", must_not_run)
    seen = []
    resumed = resume_pipeline(settings, ran.attention, progress=lambda f, m: seen.append(f))
    assert resumed.attention is ran.attention
    assert [c.name for c in resumed.usable_conditions] == ["glucose", "acetate"]
    assert np.allclose(resumed.analysis.importance, ran.analysis.importance)
    assert resumed.notes[-1] == "Attention restored from the project file."
    assert "attention" not in resumed.timings and resumed.timings["analysis"] > 0
    assert seen == sorted(seen) and seen[-1] == 1.0  # one bar, never going back


def test_resume_refuses_attention_of_another_graph(settings, ran):
    with pytest.raises(InputError, match="does not match the model's graph"):
        resume_pipeline(replace(settings, filter_currency=False), ran.attention)


def test_resume_refuses_a_condition_that_no_longer_grows(settings, ran):
    from core.conditions import resolve_conditions
    from core.models import load_model

    model = load_model("textbook").model
    glucose, acetate = resolve_conditions(model, "glucose,acetate")
    starved = replace(acetate, bounds={k: (0.0, ub) for k, (_lb, ub) in acetate.bounds.items()})
    with pytest.raises(InputError, match="no longer grow: acetate"):
        resume_pipeline(settings, ran.attention, conditions=[glucose, starved])


def test_both_runs_note_the_conditions_left_out(settings):
    from core.conditions import resolve_conditions
    from core.models import load_model

    model = load_model("textbook").model
    glucose, acetate = resolve_conditions(model, "glucose,acetate")
    starved = replace(acetate, name="starved", bounds={k: (0.0, ub) for k, (_lb, ub) in acetate.bounds.items()})
    ran = run_pipeline(settings, conditions=[glucose, starved], with_analysis=False)
    assert ran.analysis is None and [c.name for c in ran.usable_conditions] == ["glucose"]
    resumed = resume_pipeline(settings, ran.attention, conditions=[glucose, starved], with_analysis=False)
    note = "Condition 'starved' left out of attention"
    assert any(n.startswith(note) for n in ran.notes) and any(n.startswith(note) for n in resumed.notes)


def test_settings_and_conditions_read_back_what_they_wrote(ran):
    """RunSettings.from_dict and Condition.from_dict invert to_dict (through JSON, as a project file)."""
    import json

    from core.conditions import Condition
    from core.pipeline import RunSettings

    settings = replace(ran.settings, carbon_normalised=True, currency_ids=("h_c", "h2o_c"), top_k=7)
    again = RunSettings.from_dict(json.loads(json.dumps(settings.to_dict())))
    assert again.to_dict() == settings.to_dict()
    measured = replace(ran.conditions[0].condition, measured_growth=0.4, measured_fluxes={"PGI": 3.5})
    for condition in (measured, ran.conditions[1].condition):
        back = Condition.from_dict(json.loads(json.dumps(condition.to_dict())))
        assert back == condition
