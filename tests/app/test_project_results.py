"""A project keeps its results (issue 17): reopening shows the saved FBA results, trained predictions and
analysis before the model is read, and computes nothing (no FBA, no forward pass, no analysis); a project
saved without them (older files) still opens and computes them, saying so in the log."""

from __future__ import annotations

import json
import logging
import zipfile

import numpy as np
import pytest

SLOW = 600_000  # ms: the machine these run on may be shared with long jobs


@pytest.fixture(scope="module")
def trained_result():
    """textbook on glucose and acetate with its shipped trained weights (predictions included)."""
    import torch

    from core.pipeline import RunSettings, run_pipeline

    torch.set_num_threads(1)
    result = run_pipeline(RunSettings(model="textbook", conditions=("glucose", "acetate")))
    assert result.attention.trained and result.analysis is not None
    return result


def _save(path, result, with_results: bool = True):
    from app.project import save_project

    return save_project(path, result.settings, [c.condition for c in result.conditions],
                        [c.name for c in result.conditions], result.attention, result.loaded.sha256,
                        {"selected": "PGI"}, result if with_results else None)


def _child_counts():
    from app.jobs import cache_counts_in_child
    from app.worker import compute_process

    return compute_process().call(cache_counts_in_child)


def _never(name):
    def fail(*_args, **_kwargs):
        raise AssertionError(f"{name} ran while a project with saved results was reopened")
    return fail


def test_reopen_shows_the_saved_results_first_and_computes_nothing(qtbot, window, trained_result, tmp_path,
                                                                   monkeypatch, caplog):
    import core.analysis
    import core.conditions.fba
    import core.training.inference

    path = _save(tmp_path / "saved.mattn", trained_result)
    with zipfile.ZipFile(path) as zf:
        assert {"project.json", "attention.npz", "results.json", "results.npz"} <= set(zf.namelist())
    # Nothing of a run may happen, in this process or in the compute process.
    for module, name in ((core.analysis, "analyse"), (core.conditions.fba, "solve_condition"),
                         (core.training.inference, "trained_attention")):
        monkeypatch.setattr(module, name, _never(name))
    runs = []
    monkeypatch.setattr(window, "start_pipeline_task", lambda *args: runs.append(args))
    before = _child_counts()
    loaded_when_shown = []
    window.results_shown.connect(lambda _r: loaded_when_shown.append(window.loaded))
    with caplog.at_level(logging.INFO, logger="metattn.gui"):
        with qtbot.waitSignal(window.results_shown, timeout=SLOW) as blocker:
            window.open_project(str(path))
        shown = blocker.args[0]
        assert loaded_when_shown == [None]  # shown before the model was read
        # Then the model opens in the background and is given to the shown results.
        qtbot.waitUntil(lambda: window.loaded is not None and window.result.loaded.model is not None, timeout=SLOW)
    assert "results restored from the file" in caplog.text
    assert runs == []
    after = _child_counts()
    assert (after["fba_solved"], after["fba_reused"]) == (before["fba_solved"], before["fba_reused"])
    # The very numbers that were saved.
    for a, b in zip(trained_result.conditions, shown.conditions):
        assert a.name == b.name and a.growth_rate == b.growth_rate
        np.testing.assert_array_equal(a.fluxes, b.fluxes)
    assert shown.attention.prediction == trained_result.attention.prediction
    np.testing.assert_array_equal(shown.analysis.importance, trained_result.analysis.importance)
    assert shown.notes == trained_result.notes
    assert window.result.loaded is window.loaded and window.result.analysis is shown.analysis
    assert window.setup.checked_names() == ["glucose", "acetate"]
    qtbot.waitUntil(lambda: window.selection.node == "PGI", timeout=5000)
    assert "Reaction" in window.details.text()  # the details have the model's equation now
    # Saved again from the window, the project keeps its results.
    assert window.save_project(str(tmp_path / "again.mattn"))
    with zipfile.ZipFile(tmp_path / "again.mattn") as zf:
        assert {"results.json", "results.npz"} <= set(zf.namelist())


def test_a_project_without_results_still_opens_and_computes_them(qtbot, window, trained_result, tmp_path, caplog):
    path = _save(tmp_path / "older.mattn", trained_result, with_results=False)
    with zipfile.ZipFile(path) as zf:
        assert "results.json" not in zf.namelist()
    with caplog.at_level(logging.INFO, logger="metattn.gui"):
        with qtbot.waitSignal(window.results_shown, timeout=SLOW) as blocker:
            window.open_project(str(path))
    assert "saved without its results" in caplog.text and "computed again" in caplog.text
    restored = blocker.args[0]
    assert window.loaded is not None and restored.loaded is window.loaded
    np.testing.assert_allclose(restored.analysis.importance, trained_result.analysis.importance, rtol=1e-5)


def test_saved_results_are_not_used_when_the_model_file_changed(trained_result, tmp_path):
    """A model file beside the project, edited after saving: its results are computed again. (A bundled
    model is compared once it has opened, app.project_controller.apply_pending: locating it imports cobra.)"""
    import shutil
    from dataclasses import replace

    from app.project import load_project
    from core.models import _bundled_path

    model = tmp_path / "textbook.xml"
    shutil.copy(_bundled_path("textbook"), model)  # same bytes, same SHA-256 as the run's model
    settings = replace(trained_result.settings, model=str(model))
    path = _save(tmp_path / "p.mattn", replace(trained_result, settings=settings))
    project = load_project(path)
    assert project.result is not None and project.result.settings.model == str(model)
    with open(model, "a", encoding="utf-8") as fh:
        fh.write("<!-- edited -->\n")
    project = load_project(path)
    assert project.result is None and "model file changed" in project.result_note
    assert project.attention is not None  # the rest of the project is read as before


def test_damaged_results_fall_back_to_computing_them(trained_result, tmp_path, caplog):
    from app.project import load_project

    path = _save(tmp_path / "p.mattn", trained_result)
    damaged = tmp_path / "damaged.mattn"
    with zipfile.ZipFile(path) as zf, zipfile.ZipFile(damaged, "w") as out:
        for info in zf.infolist():
            data = zf.read(info)
            if info.filename == "results.json":
                doc = json.loads(data)
                doc["result"]["__dataclass__"] = "subprocess.Popen"
                data = json.dumps(doc)
            out.writestr(info, data)
    with caplog.at_level(logging.WARNING):
        project = load_project(damaged)
    assert project.result is None and "cannot be used" in project.result_note
    assert str(damaged) in caplog.text and "computed again" in caplog.text
