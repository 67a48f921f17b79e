"""The real window, driven as a user would: open, tick, run, look, select, export, save, close."""

from __future__ import annotations

import json
import time
import zipfile

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.app.conftest import RUN_TIMEOUT, open_and_wait as _open, run_and_wait as _run  # noqa: F401


def _tick_only(window, names):
    window.setup.set_checked(names)
    assert window.setup.checked_names() == list(names)


def test_open_tick_run_and_every_pane_shows_the_result(qtbot, window, dialogs):
    _open(qtbot, window)
    assert "e_coli_core" in window.setup.model_label.text()
    # lactose is listed but not available in the textbook model
    item = window.setup._item("lactose")
    assert not (item.flags() & Qt.ItemFlag.ItemIsEnabled)
    _tick_only(window, ["glucose", "acetate"])
    result = _run(qtbot, window)
    assert [c.name for c in result.usable_conditions] == ["glucose", "acetate"]
    assert result.loaded.model is window.loaded.model  # the window's model, not a copy
    # Heatmap: pixels.
    img = window.heatmap.image.image
    assert img is not None and np.isfinite(img).sum() >= result.attention.n_edges * 0.9
    # Network: nodes drawn.
    qtbot.waitUntil(lambda: window.network.arrays is not None, timeout=10_000)
    assert window.network.arrays.pos.shape[0] >= 10  # the top nodes at least (trained weights may pick unlinked ones)
    # Comparison, tables: rows.
    assert window.comparison.top_table.model.rowCount() > 0
    assert window.tables.tables["centrality"].model.rowCount() == result.graph.n_nodes
    # Details: the auto-selected top node.
    top = result.graph.node_ids[int(np.argmax(result.attention.importance.mean(axis=0)))]
    assert window.selection.node == top
    assert result.graph.node_names[result.graph.index[top]] in window.details.text()
    assert "Done in" in window.status_label.text()
    assert any("Results shown" in line for line in window.log_pane.lines())
    assert not [d for d in dialogs[0] if d[0] == "critical"]
    # Grab the window: the heatmap region is not blank.
    shot = window.grab().toImage()
    assert shot.width() > 800


def test_selection_is_linked_across_panes(qtbot, window, dialogs):
    _open(qtbot, window)
    _tick_only(window, ["glucose", "acetate"])
    result = _run(qtbot, window)
    table = window.tables.tables["centrality"]
    table.view.selectRow(3)
    node = table.selected_node()
    assert window.selection.node == node
    g = result.graph
    i = g.index[node]
    assert window.heatmap.row_line.isVisible()
    assert window.heatmap.row_line.value() == pytest.approx(window.heatmap._order.rank[i] + 0.5)
    assert g.node_names[i] in window.details.text()
    assert node in window.selected_label.text()
    # From the search box (completer entry "name — id").
    other = "PGI"
    window.search.setText(f"{g.node_names[g.index[other]]} — {other}")
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    assert window.selection.node == other
    assert table.selected_node() == other  # the table followed
    assert window.search_for("no such thing") is None
    # From the heatmap: a click on a cell selects the attending node everywhere.
    att = result.attention
    e = int(np.argmax(window.heatmap.current_weights()))
    src, dst = att.edge_index[:, e]
    window.heatmap.click_at(window.heatmap._order.rank[src] + 0.5, window.heatmap._order.rank[dst] + 0.5)
    assert window.selection.node == g.node_ids[dst]
    assert table.selected_node() == g.node_ids[dst]
    # Network "around selected node" follows the selection.
    window.network.mode.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.network.arrays is not None and window.network.arrays.ids[0] == g.node_ids[dst],
                    timeout=10_000)


def test_bad_model_file_gives_a_dialog(qtbot, window, dialogs, tmp_path):
    bad = tmp_path / "broken.xml"
    bad.write_text("this is not SBML", encoding="utf-8")
    with qtbot.waitSignal(window.run_failed, timeout=30_000):
        window.open_model(str(bad))
    crit = [d for d in dialogs[0] if d[0] == "critical"]
    assert crit and "broken.xml" in crit[0][2]
    bad_conditions = tmp_path / "conditions.csv"
    bad_conditions.write_text("condition,exchange\nx,EX_glc__D_e\n", encoding="utf-8")
    _open(qtbot, window)
    assert window.import_conditions(str(bad_conditions)) is False
    assert "conditions.csv" in dialogs[0][-1][2] and "lower_bound" in dialogs[0][-1][2]


def test_run_without_conditions_says_so(qtbot, window, dialogs):
    _open(qtbot, window)
    window.setup.set_checked([])
    with qtbot.waitSignal(window.run_failed, timeout=5000):
        window.start_run()
    assert "tick at least one growth condition" in dialogs[0][-1][2]


def test_conditions_edit_import_export_roundtrip(qtbot, window, dialogs, tmp_path):
    _open(qtbot, window)
    su = window.setup
    _tick_only(window, ["glucose"])
    su.condition_list.setCurrentRow(0)  # glucose
    model = su.bounds_model
    row = next(r for r in range(model.rowCount()) if model.exchange(r) == "EX_glc__D_e")
    assert model.setData(model.index(row, 1), "-5")  # the "Lower" column
    assert su.conditions()[0].bounds["EX_glc__D_e"][0] == -5.0
    su.measured.setText("0.42")
    su._measured_edited()
    assert su.conditions()[0].measured_growth == pytest.approx(0.42)
    path = tmp_path / "mine.json"
    assert window.export_conditions(str(path))
    data = json.loads(path.read_text())
    assert data["conditions"][0]["bounds"]["EX_glc__D_e"][0] == -5.0
    # Import it back under another name: it is listed and ticked.
    data["conditions"][0]["name"] = "half glucose"
    path.write_text(json.dumps(data))
    assert window.import_conditions(str(path))
    assert "half glucose" in su.checked_names()
    result = _run(qtbot, window)
    by_name = {c.name: c for c in result.conditions}
    assert by_name["half glucose"].growth_rate < by_name["glucose"].growth_rate + 1e-9
    # Measured growth shows in the comparison plot (second bar series; a third holds the trained
    # model's predicted growth when trained weights ran).
    bars = [it for it in window.comparison.growth_plot.getPlotItem().items if hasattr(it, "opts") and "height" in it.opts]
    assert len(bars) == (3 if result.attention.trained else 2)


def test_export_everything_asks_before_overwriting(qtbot, window, dialogs, tmp_path):
    _open(qtbot, window)
    _tick_only(window, ["glucose", "acetate"])
    _run(qtbot, window)
    out = tmp_path / "out"
    with qtbot.waitSignal(window.export_done, timeout=120_000) as blocker:
        assert window.export(str(out), None)
    paths = blocker.args[0]
    names = {p.name for p in paths}
    assert {"report.json", "node_importance.csv", "graph.graphml", "attention_heatmap.html"} <= names
    assert any(n.endswith(".png") for n in names)
    assert str(out) in window.status_label.text()
    # Second export into the same folder: asked, answered No, nothing written.
    dialogs[1]["question"] = __import__("PySide6.QtWidgets", fromlist=["QMessageBox"]).QMessageBox.StandardButton.No
    stamp = (out / "report.json").stat().st_mtime_ns
    assert window.export(str(out), None) is False
    assert dialogs[0][-1][0] == "question"
    assert (out / "report.json").stat().st_mtime_ns == stamp
    # Current pane only, into a fresh folder.
    pane_out = tmp_path / "heatmap_only"
    with qtbot.waitSignal(window.export_done, timeout=60_000) as blocker:
        window.export(str(pane_out), "heatmap")
    written = sorted(p.name for p in blocker.args[0])
    assert written and all(n.startswith(("heatmap_", "pathway_heatmap_", "attention_heatmap")) for n in written)


def test_project_save_and_reopen_restores_attention(qtbot, window, dialogs, tmp_path, fresh_settings):
    from app.main_window import MainWindow

    _open(qtbot, window)
    _tick_only(window, ["glucose", "acetate"])
    window.setup.seed.setValue(3)
    result = _run(qtbot, window)
    window.selection.select("PGI")
    window.heatmap.head.setCurrentIndex(2)
    window.heatmap.level.setCurrentIndex(1)  # pathway x pathway (issue 16: reopened blank)
    window.network.top_k.setValue(14)
    window.network.mode.setCurrentIndex(2)  # the pathway of the selected node (issue 16: not restored)
    window.network.sides.setChecked(True)
    path = tmp_path / "session.mattn"
    assert window.save_project(str(path))
    with zipfile.ZipFile(path) as zf:
        assert {"project.json", "attention.npz"} <= set(zf.namelist())
        doc = json.loads(zf.read("project.json"))
    assert doc["settings"]["attention"]["seed"] == 3 and doc["checked"] == ["glucose", "acetate"]

    other = MainWindow(settings=fresh_settings)
    qtbot.addWidget(other)
    other.show()
    with qtbot.waitSignal(other.results_shown, timeout=RUN_TIMEOUT) as blocker:
        other.open_project(str(path))
    restored = blocker.args[0]
    assert np.array_equal(restored.attention.self_attention, result.attention.self_attention)
    # The saved results themselves are shown (issue 17: nothing is computed again), before the model opens.
    assert restored.notes == result.notes and restored.attention.prediction == result.attention.prediction
    assert other.setup.seed.value() == 3
    qtbot.waitUntil(lambda: other.setup.checked_names() == ["glucose", "acetate"], timeout=RUN_TIMEOUT)
    assert np.allclose(restored.analysis.importance, result.analysis.importance)
    qtbot.waitUntil(lambda: other.selection.node == "PGI", timeout=5000)
    assert other.heatmap.head.currentIndex() == 2 and other.network.top_k.value() == 14  # each pane's view
    assert other.network.mode.currentIndex() == 2 and other.network.sides.isChecked()
    qtbot.waitUntil(lambda: other.network.arrays is not None and "PGI" in other.network.arrays.ids, timeout=60_000)
    # Reopened at pathway level, the matrix fills the view (it was a speck in the node-level range).
    p = len(restored.analysis.pathways.names)
    assert other.heatmap.level.currentIndex() == 1 and other.heatmap.image.image.shape == (p, p)
    (x0, x1), _ = other.heatmap.plot.getPlotItem().getViewBox().viewRange()
    assert x0 <= 0 and p <= x1 < 1.2 * p + 2
    other.close()
    assert other.runner.active_threads() == 0


def test_settings_and_layout_are_remembered(qtbot, fresh_settings):
    from app import settings as S
    from app.main_window import MainWindow

    w = MainWindow(settings=fresh_settings)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.setup.heads.setValue(4)
    w.setup.mode.setCurrentIndex(w.setup.mode.findData("full"))
    w.setup.budget.setValue(2.5)
    w.docks["log"].close()
    w.heatmap.set_colormap("plasma")
    w.close()
    assert int(fresh_settings.value("settings_version")) == S.SETTINGS_VERSION
    again = MainWindow(settings=S.open_settings())
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    assert again.setup.heads.value() == 4
    config = again.setup.attention_config()
    assert (config.mode, config.memory_budget_gb, config.heads) == ("full", 2.5, 4)
    assert again.heatmap.cmap.currentText() == "plasma"
    assert not again.docks["log"].isVisible()
    again.reset_layout()
    assert again.docks["log"].isVisible()
    again.close()


def test_settings_migration_from_unversioned(fresh_settings):
    from app import settings as S

    fresh_settings.remove("settings_version")
    fresh_settings.setValue("window/state", b"old layout")
    S.migrate(fresh_settings)
    assert int(fresh_settings.value("settings_version")) == S.SETTINGS_VERSION
    assert fresh_settings.value("window/state") is None


def test_close_during_a_run_does_not_hang(qtbot, fresh_settings):
    from app.main_window import MainWindow

    w = MainWindow(settings=fresh_settings)
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.model_loaded, timeout=60_000):
        w.open_model("textbook")
    w.setup.set_checked(["glucose", "acetate"])
    started = []
    w.runner.start  # noqa: B018
    w.start_run()
    assert w.runner.is_running("run")
    qtbot.wait(300)
    t0 = time.perf_counter()
    w.close()
    assert time.perf_counter() - t0 < 6
    assert w.runner.active_threads() == 0
    assert not started


@pytest.mark.slow
def test_ijo1366_run_shows_results_in_every_pane(qtbot, window, dialogs):
    """iJO1366 with three conditions: every pane shows the genome-scale result. How long the run takes
    and the largest event-loop gap during and after it are measured by benchmarks/bench_window.py."""
    from app.worker import compute_process

    compute_process()  # the application starts it at launch; its imports are not part of a run
    _open(qtbot, window, "iJO1366")
    _tick_only(window, ["glucose", "acetate", "lactose"])
    result = _run(qtbot, window, timeout=300_000)
    assert result.graph.n_nodes > 4000
    assert [c.name for c in result.conditions] == ["glucose", "acetate", "lactose"]
    for pane in (*window.result_panes, window.details):
        assert pane.result is result, type(pane).__name__
    assert window.heatmap.image.image is not None and max(window.heatmap.image.image.shape) <= 1500
    assert window.tables.tables["centrality"].model.rowCount() == result.graph.n_nodes


@pytest.mark.slow
def test_ijo1366_cancel_mid_run(qtbot, window, dialogs):
    _open(qtbot, window, "iJO1366")
    _tick_only(window, ["glucose", "acetate", "lactose"])
    stages = []
    window.runner.start  # noqa: B018
    window.start_run()
    qtbot.waitUntil(lambda: window.progress.value() > 0 or bool(stages.append(window.status_label.text())), timeout=60_000)
    with qtbot.waitSignal(window.run_cancelled, timeout=10_000):
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.runner.active_threads() == 0, timeout=10_000)
    assert window.result is None and "cancelled" in window.status_label.text().lower()
    assert window.setup.run_button.isEnabled()
    # The compute process is free again: a new run completes.
    _tick_only(window, ["glucose"])
    result = _run(qtbot, window, timeout=180_000)
    assert [c.name for c in result.conditions] == ["glucose"]


def test_cancel_while_opening_keeps_the_open_model(qtbot, window, dialogs):
    _open(qtbot, window, "textbook")
    before = window.loaded
    loaded = []
    window.model_loaded.connect(loaded.append)
    window.open_model("iJO1366")
    assert window.cancel_button.isVisible() and window.cancel_action.isEnabled()
    with qtbot.waitSignal(window.run_cancelled, timeout=2000):
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    assert not window.progress.isVisible() and "opening cancelled" in window.status_label.text().lower()
    # The parse finishes in the background; its result is dropped.
    qtbot.waitUntil(lambda: window.runner.active_threads() == 0, timeout=60_000)
    qtbot.wait(100)
    assert loaded == [] and window.loaded is before and window.setup.loaded is before
    assert [d for d in dialogs[0] if d[0] == "critical"] == []
    # The window is usable: the same model opens when asked again.
    _open(qtbot, window, "iJO1366")
    assert window.loaded.model.id == "iJO1366"
