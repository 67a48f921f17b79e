"""The Batch dialog, driven as a user would: tick, Run, wait, read the table; bad input gives a dialog."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.batch_dialog import BatchDialog

RUN_TIMEOUT = 120_000


def _tick(widget, names):
    for i in range(widget.count()):
        item = widget.item(i)
        item.setCheckState(Qt.CheckState.Checked if item.text() in names else Qt.CheckState.Unchecked)


@pytest.fixture
def dialog(qtbot, tmp_path):
    d = BatchDialog(folder=str(tmp_path / "OUT"))
    qtbot.addWidget(d)
    d.workers.setValue(1)
    yield d
    d.close()
    assert d.runner.active_threads() == 0


def test_batch_dialog_runs_and_shows_growth_per_model_and_medium(qtbot, dialog, tmp_path):
    _tick(dialog.models, {"textbook"})
    _tick(dialog.media, {"glucose", "succinate"})
    dialog.random_count.setValue(5)
    assert dialog.spec_data() == {"models": ["textbook"], "media": ["glucose", "succinate", {"random": 5, "seed": 0}]}
    with qtbot.waitSignal(dialog.results_shown, timeout=RUN_TIMEOUT):
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert dialog.summary.complete and dialog.summary.media_computed == 7
    assert "1 workers" in dialog.status.text() and "media/s" in dialog.status.text()
    assert dialog.table.rowCount() == 7 and dialog.table.columnCount() == 1
    assert dialog.table.horizontalHeaderItem(0).text() == "textbook"
    assert dialog.table.verticalHeaderItem(0).text() == "glucose"
    assert dialog.table.verticalHeaderItem(2).text() == "random:5:0: medium 0000"
    assert float(dialog.table.item(0, 0).text()) == pytest.approx(0.8739, abs=1e-4)
    image = dialog.image.image
    assert image.shape == (7, 1) and image[0, 0] == pytest.approx(0.8739, abs=1e-4)
    assert dialog.run_button.isEnabled() and not dialog.cancel_button.isEnabled()

    # Run again into the same folder: nothing left to compute, the same table
    with qtbot.waitSignal(dialog.results_shown, timeout=RUN_TIMEOUT):
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert dialog.summary.computed == 0 and dialog.summary.skipped == 1
    assert np.isclose(float(dialog.table.item(0, 0).text()), 0.8739, atol=1e-4)


def test_batch_dialog_refuses_bad_input_with_a_dialog(qtbot, dialog, dialogs, tmp_path):
    seen, _ = dialogs
    _tick(dialog.models, set())
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert seen[-1][0] == "critical" and "tick at least one model" in seen[-1][2]

    _tick(dialog.models, {"textbook"})
    _tick(dialog.media, {"lactose"})  # textbook has no lactose exchange: found while planning, on the thread
    with qtbot.waitSignal(dialog.run_ended, timeout=RUN_TIMEOUT) as ended:
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert ended.args == ["failed"]
    assert "preset lactose: unknown exchange" in seen[-1][2] and "Traceback" not in seen[-1][2]
    assert not (tmp_path / "OUT").exists()

    _tick(dialog.media, {"glucose"})
    dialog.cluster.setChecked(True)
    dialog.address.setText("nonsense")
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert "not a Dask scheduler address" in seen[-1][2]
    assert dialog.run_button.isEnabled()


def test_batch_dialog_cancel_keeps_finished_chunks(qtbot, dialog, tmp_path):
    _tick(dialog.models, {"textbook"})
    _tick(dialog.media, set())
    dialog.random_count.setValue(3000)  # 15 chunks of 200: a few seconds on one worker
    with qtbot.waitSignal(dialog.run_ended, timeout=RUN_TIMEOUT) as ended:
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "chunks 1/" in dialog.status.text() or "chunks 2/" in dialog.status.text(),
                        timeout=RUN_TIMEOUT)
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert ended.args == ["cancelled"]
    assert "finished chunks are kept" in dialog.status.text()
    kept = list((tmp_path / "OUT" / "chunks").glob("*.parquet"))
    assert 1 <= len(kept) < 15 and dialog.table.rowCount() == 200 * len(kept)


def test_batch_dialog_with_trained_weights_stores_predictions(qtbot, dialog, dialogs, tmp_path):
    from core.batch.store import read_results
    from core.training.weights import weights_dir

    seen, _ = dialogs
    _tick(dialog.models, {"textbook"})
    _tick(dialog.media, {"glucose", "acetate"})
    dialog.weights.setText(str(tmp_path / "missing.safetensors"))
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert seen[-1][0] == "critical" and "missing.safetensors" in seen[-1][2] and "not found" in seen[-1][2]

    dialog.weights.setText(str(weights_dir() / "e_coli_core.safetensors"))
    assert dialog.spec_data()["weights"].endswith("e_coli_core.safetensors")
    with qtbot.waitSignal(dialog.results_shown, timeout=RUN_TIMEOUT):
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert "predicted growth is in growth.csv" in dialog.status.text()
    frame = read_results(tmp_path / "OUT")
    assert list(frame["medium"]) == ["glucose", "acetate"]
    np.testing.assert_allclose(frame["predicted_growth"], [0.845, 0.173], atol=2e-3)
    assert "top_node:20" in frame.columns and "top_node:21" not in frame.columns
    assert float(dialog.table.item(0, 0).text()) == pytest.approx(0.8739, abs=1e-4)  # the heatmap stays FBA growth


def test_window_menu_opens_the_dialog_and_closing_the_window_stops_its_run(qtbot, window, tmp_path):
    action = next(a for m in window.menuBar().actions() if m.text() == "&Run" for a in m.menu().actions()
                  if a.text().startswith("&Batch run"))
    action.trigger()
    dialog = window.findChild(BatchDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.workers.setValue(1)
    dialog.out.setText(str(tmp_path / "OUT"))
    _tick(dialog.models, {"textbook"})
    dialog.random_count.setValue(3000)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "chunks" in dialog.status.text(), timeout=RUN_TIMEOUT)
    window.close()
    assert dialog.runner.active_threads() == 0
