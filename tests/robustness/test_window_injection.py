"""Markup injection in the window (issue 18, class 3): names from a model or conditions file show as
typed in every label, tooltip and dialog, never as rich text (no 36-pt headings, no local images)."""

from __future__ import annotations

import json

import cobra.io
import pytest
from PySide6.QtCore import Qt

# The Qt test set-up (offscreen, settings in a temporary folder) and the window/dialog fixtures.
from tests.app.conftest import _one_thread_and_cleanup, dialogs, fresh_settings, run_and_wait, window  # noqa: F401
from tests.app.conftest import open_and_wait

EVIL = "<h1 style='font-size:36pt'>Pyr</h1><img src='/etc/hostname'>"


@pytest.fixture
def hostile_files(tmp_path, textbook):
    data = cobra.io.model_to_dict(textbook)
    data["id"] = "<b>model</b>"
    for met in data["metabolites"]:
        if met["id"] == "pyr_c":
            met["name"] = EVIL
    model = tmp_path / "evil.json"
    model.write_text(json.dumps(data))
    conditions = tmp_path / "evil_conditions.json"
    conditions.write_text(json.dumps({"conditions": [
        {"name": "<i>glc</i>", "preset": "glucose", "description": "<img src='/etc/hostname'> medium"}]}))
    return model, conditions


def _shows_as_typed(rich: str, raw: str) -> bool:
    """``rich`` (text a widget renders as rich text) shows ``raw`` literally: it holds it escaped."""
    return raw.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in rich and "<img" not in rich


def test_names_from_files_show_as_typed(qtbot, window, dialogs, hostile_files):
    from app.plain import literal

    model, conditions = hostile_files
    open_and_wait(qtbot, window, str(model))
    assert _shows_as_typed(window.setup.model_label.text(), "<b>model</b>")
    window.setup.add_conditions(__import__("core.conditions", fromlist=["x"]).load_conditions_file(
        window.loaded.model, conditions), check=True)
    items = window.setup.condition_list.findItems("<i>glc</i>", Qt.MatchFlag.MatchStartsWith)
    assert items and _shows_as_typed(items[0].toolTip(), "<img src='/etc/hostname'> medium")
    window.setup.condition_list.setCurrentItem(items[0])
    assert _shows_as_typed(window.setup.selected_label.text(), "<i>glc</i>")
    for name in ("glucose", "acetate"):
        it = window.setup.condition_list.findItems(name, Qt.MatchFlag.MatchExactly)
        if it:
            it[0].setCheckState(Qt.CheckState.Unchecked)
    run_and_wait(qtbot, window, click=False)
    window.selection.select("pyr_c")
    assert _shows_as_typed(window.search_bar.selected_label.text(), EVIL)
    # Heatmap hover text over an edge into pyruvate.
    pane, att = window.heatmap, window.result.attention
    pane.level.setCurrentIndex(0)
    i = window.result.graph.index["pyr_c"]
    e = int(next(k for k in range(att.edge_index.shape[1]) if att.edge_index[0, k] == i != att.edge_index[1, k]))
    src, dst = att.edge_index[:, e]
    text = pane.describe_at(pane._order.rank[src] + 0.5, pane._order.rank[dst] + 0.5)
    assert _shows_as_typed(text, EVIL) and _shows_as_typed(text, "<i>glc</i>")
    # Plain-text labels and dialogs.
    assert window.status_label.textFormat() == Qt.TextFormat.PlainText
    assert window.network.info.textFormat() == Qt.TextFormat.PlainText
    window.show_error("Could not open the model", f"evil.json: unknown exchange {EVIL!r}")
    _kind, _title, shown = dialogs[0][-1]
    assert shown == literal(f"evil.json: unknown exchange {EVIL!r}") and _shows_as_typed(shown, EVIL)


def test_literal_and_esc():
    from app.plain import esc, literal

    assert esc("<b>&</b>") == "&lt;b&gt;&amp;&lt;/b&gt;"
    assert literal("<h1>\na") == '<qt><span style="white-space: pre-wrap">&lt;h1&gt;\na</span></qt>'
    assert literal("a\n<h1>") == "a\n<h1>" and literal("5 > 1") == "5 > 1"  # Qt shows these as plain text
