"""Issue 14 in the window: the setup pane's trained weights, Run > Train model, and the comparison pane's
predicted growth, on the bundled textbook model with a tiny trained network."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.app.conftest import RUN_TIMEOUT, open_and_wait, run_and_wait

TRAIN_TIMEOUT = 240_000
TINY = {"epochs": 2, "d_model": 16, "heads": 2}


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory):
    """A weights file trained briefly on 120 textbook media (currency metabolites removed, as runs do)."""
    from core.training.command import train_and_evaluate
    from core.training.train import TrainConfig
    from core.training.weights import save_predictor

    model, card = train_and_evaluate("textbook", media=120, config=TrainConfig(**TINY), processes=1,
                                     deletions=False, log=lambda _line: None)
    return save_predictor(tmp_path_factory.mktemp("weights") / "tiny.safetensors", model, card)


def test_automatic_weights_name_the_shipped_file_that_fits_or_say_untrained(qtbot, window, tiny_weights,
                                                                             tmp_path, monkeypatch):
    import shutil

    import core.training.weights as W

    open_and_wait(qtbot, window)
    label = window.setup.weights_label
    assert window.setup.weights_choice() == "auto"
    monkeypatch.setattr(W, "weights_dir", lambda: tmp_path)  # nothing shipped
    window.setup.update_weights_info()
    assert label.text().startswith("Untrained — structure only: no shipped weights fit this model's graph")
    shutil.copyfile(tiny_weights, tmp_path / "shipped.safetensors")
    window.setup.update_weights_info()
    assert label.text().startswith("Shipped weights shipped.safetensors. Trained on 120 simulated media")
    window.setup.currency.setChecked(False)  # another graph: the shipped file does not fit it
    assert label.text().startswith("Untrained — structure only: no shipped weights fit this model's graph")


def test_setup_pane_says_untrained_then_names_a_weights_file_and_the_run_uses_it(qtbot, window, dialogs,
                                                                                   tiny_weights):
    open_and_wait(qtbot, window)
    label = window.setup.weights_label
    window.setup.set_weights("none")
    assert label.text().startswith("Untrained — structure only (chosen)")
    assert window.run_settings()[0].weights == "none"
    result = run_and_wait(qtbot, window)
    assert not result.attention.trained
    assert window.comparison.trust_note.text().startswith("Attention untrained — structure only")
    assert len(window.comparison.growth_plot.getPlotItem().items) > 0
    assert not window.comparison.legend.isVisible()
    items_untrained = len(window.comparison.growth_plot.getPlotItem().items)  # FBA bars and their values

    assert window.setup.choose_weights_file(str(tiny_weights))
    text = label.text()
    assert text.startswith("Weights file tiny.safetensors. Trained on 120 simulated media of e_coli_core")
    assert "held-out media" in text and "growth R²" in text and "MLP on the medium alone" in text
    assert window.run_settings()[0].weights == str(tiny_weights)
    result = run_and_wait(qtbot, window)
    assert result.attention.trained
    prediction = result.attention.prediction
    note = window.comparison.trust_note.text()
    assert note.startswith("Trained weights (120 simulated media of e_coli_core, held-out growth R²")
    details = window.comparison.trust_note.toolTip()
    for name, predicted in zip(prediction["conditions"], prediction["predicted_growth"]):
        assert f"{name}: predicted {predicted:.3f} 1/h, FBA" in details
    from app.panes.comparison import predicted_growth

    np.testing.assert_allclose(predicted_growth(result), prediction["predicted_growth"])
    assert not window.comparison.legend.isVisible()  # the note names the orange bars
    assert len(window.comparison.growth_plot.getPlotItem().items) > items_untrained
    assert not [d for d in dialogs[0] if d[0] == "critical"]

    window.save_settings()  # the choice is remembered like the other settings
    from app import settings as S

    assert S.value(window.settings, "run/weights") == str(tiny_weights)


def test_weights_that_do_not_fit_the_graph_give_a_dialog(qtbot, window, dialogs, tiny_weights):
    open_and_wait(qtbot, window)
    window.setup.currency.setChecked(False)  # another graph: currency metabolites kept
    assert not window.setup.choose_weights_file(str(tiny_weights))
    critical = [d for d in dialogs[0] if d[0] == "critical"]
    assert len(critical) == 1 and critical[0][1] == "Trained weights"
    assert "tiny.safetensors" in critical[0][2] and "do not fit this model's graph" in critical[0][2]
    assert "cannot be used" in window.setup.weights_label.text()
    # Run anyway: the run refuses the file with a dialog naming it (no traceback).
    with qtbot.waitSignal(window.run_failed, timeout=RUN_TIMEOUT) as failed:
        qtbot.mouseClick(window.setup.run_button, Qt.MouseButton.LeftButton)
    assert "tiny.safetensors" in failed.args[0] and "do not fit" in failed.args[0]
    assert "Traceback" not in dialogs[0][-1][2]
    assert dialogs[0][-1][1] == "The run failed"
    # A file that is not weights at all.
    window.setup.currency.setChecked(True)
    bogus = tiny_weights.parent / "not-weights.safetensors"
    bogus.write_bytes(b"\x00" * 64)
    assert not window.setup.choose_weights_file(str(bogus))
    assert "not-weights.safetensors" in dialogs[0][-1][2]


def _train(qtbot, window, media=120, **options):
    dialog = window.open_train_dialog()
    qtbot.addWidget(dialog)
    dialog.options = {**dialog.options, **TINY, **options}  # the window's own wiring, at a tiny size
    dialog.media.setValue(media)
    return dialog


def test_train_dialog_trains_shows_curves_scatter_and_scores_then_saves_and_uses(qtbot, window, dialogs,
                                                                                    tmp_path):
    from core.training.weights import read_card

    open_and_wait(qtbot, window)
    dialog = _train(qtbot, window)
    epochs_seen = []
    dialog.curves_updated.connect(epochs_seen.append)
    with qtbot.waitSignal(dialog.training_ended, timeout=TRAIN_TIMEOUT) as ended:
        qtbot.mouseClick(dialog.train_button, Qt.MouseButton.LeftButton)
    assert ended.args == ["finished"], dialog.status.text()
    assert epochs_seen[:2] == [1, 2]  # live, one update per epoch, before the final redraw
    x, y = dialog.curves["val_loss"].getData()
    assert list(x) == [1.0, 2.0] and np.isfinite(y).all()
    card = dialog.card
    # The window trains the shipped weights' wiring, whose read-out carries the prediction.
    assert card["train"]["guided"] and card["train"]["medium_values"] and card["train"]["learned_bound"] == 0.5
    points = card["metrics"]["held_out_points"]
    assert len(points["fba"]) == card["metrics"]["split"]["test"] == len(dialog.scatter.data) > 0
    headers = [dialog.scores.horizontalHeaderItem(j).text() for j in range(dialog.scores.columnCount())]
    assert headers == ["this model", "MLP on the medium", "average only"]
    r2 = card["metrics"]["held_out"]["growth_r2"]
    assert dialog.scores.item(0, 0).text() == f"{r2:.3f}"
    assert dialog.summary.text().startswith("Trained on 120 media simulated from e_coli_core")
    assert dialog.save_button.isEnabled() and dialog.use_button.isEnabled()

    out = tmp_path / "trained.safetensors"
    assert dialog.save_weights(str(out))
    assert read_card(out)["metrics"]["held_out"]["growth_r2"] == pytest.approx(r2)
    assert dialog.use_weights()
    assert window.setup.weights_choice() == str(out)
    assert window.setup.weights_label.text().startswith("Weights file trained.safetensors. Trained on 120")
    assert not [d for d in dialogs[0] if d[0] == "critical"]
    dialog.close()


def test_stop_during_training_keeps_the_best_weights_and_the_window_stays_usable(qtbot, window, dialogs):
    open_and_wait(qtbot, window)
    dialog = _train(qtbot, window, epochs=500, patience=500)
    with qtbot.waitSignal(dialog.curves_updated, timeout=TRAIN_TIMEOUT):
        qtbot.mouseClick(dialog.train_button, Qt.MouseButton.LeftButton)
    assert dialog.is_running()
    with qtbot.waitSignal(dialog.training_ended, timeout=TRAIN_TIMEOUT) as ended:
        qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
    assert ended.args == ["stopped"]
    card = dialog.card
    assert card["train"]["interrupted"] and 1 <= card["train"]["epochs_run"] < 500
    assert "baselines" not in card["metrics"]
    assert "stopped early" in dialog.summary.text()
    assert dialog.save_button.isEnabled() and dialog.train_button.isEnabled()
    # The window was never blocked: a run goes through while the dialog is open.
    window.setup.set_weights("none")
    result = run_and_wait(qtbot, window)
    assert [c.name for c in result.conditions] == ["glucose", "acetate"]
    dialog.close()
    assert dialog.runner.active_threads() == 0
    assert not [d for d in dialogs[0] if d[0] == "critical"]


def test_closing_the_dialog_mid_training_ends_the_training_process(qtbot, window):
    open_and_wait(qtbot, window)
    dialog = _train(qtbot, window, epochs=500, patience=500)
    with qtbot.waitSignal(dialog.curves_updated, timeout=TRAIN_TIMEOUT):
        dialog.start()
    process = dialog.process
    dialog.close()
    assert dialog.runner.active_threads() == 0
    assert not process.alive
