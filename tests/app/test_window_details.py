"""Smaller points of issue 16: Export → Current pane exports the pane last clicked (not the one that
happens to hold the keyboard focus) or asks; a run's informative notes are not red warnings; trained
weights switch off the architecture boxes they decide; the window never comes back larger than its screen."""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, Qt


def wheel(widget) -> None:
    """A wheel turn over the middle of ``widget``, as the window system delivers it."""
    from PySide6.QtCore import QPoint
    from PySide6.QtTest import QTest

    top = widget.window()
    QTest.wheelEvent(top.windowHandle(), widget.mapTo(top, widget.rect().center()), QPoint(0, 120))


def test_current_pane_is_the_one_last_clicked_or_the_user_says(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    asked = []
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(
        lambda *args, **kwargs: (asked.append(args[3]) or "Condition comparison", True)))
    assert window.current_pane() == "comparison" and asked  # nothing clicked yet: asked, not guessed
    window.setup.heads.setFocus()  # the keyboard focus stays in the setup pane...
    qtbot.mouseClick(window.network.plot.viewport(), Qt.MouseButton.LeftButton)  # ...the user clicks the network
    assert window.current_pane() == "network"
    qtbot.mouseClick(window.heatmap.plot.viewport(), Qt.MouseButton.LeftButton)
    assert window.current_pane() == "heatmap"
    wheel(window.network.plot.viewport())  # a wheel turn over a view counts as a click
    assert window.current_pane() == "network"
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *args, **kwargs: ("", False)))
    window.exporter.last_pane = None
    assert window.current_pane() == ""  # cancelled: browse() then does nothing
    window.browse_export("")


def test_informative_notes_are_information_and_problems_stay_warnings():
    from app.status import note_level

    for note in ("Attention restored from the project file.",
                 "Medium of 'glucose': the model has no exchange for fe3, so these components are left out.",
                 "Attention from weights trained on 3000 simulated media of e_coli_core: held-out growth R² 0.884."):
        assert note_level(note) == logging.INFO, note
    assert note_level("Condition 'x': growth 3.2 1/h is above the plausible ceiling of 2 1/h") == logging.WARNING


def test_log_pane_shows_an_info_note_without_the_red_warning(qtbot):
    from app.panes.log import LogPane
    from app.status import note_level

    pane = LogPane()
    qtbot.addWidget(pane)
    record = logging.LogRecord("metattn.gui", note_level("Attention restored from the project file."), __file__, 1,
                               "Attention restored from the project file.", None, None)
    pane.append(pane.handler.format(record), record.levelno)
    assert "WARNING" not in pane.lines()[-1] and "restored" in pane.lines()[-1]


def test_trained_weights_switch_off_the_boxes_they_decide(qtbot, monkeypatch):
    import app.weights_info
    from app.panes.setup import SetupPane
    from app.weights_info import WeightsInfo
    from core.training.weights import read_card, weights_dir

    card = read_card(weights_dir() / "e_coli_core.safetensors")

    pane = SetupPane()
    qtbot.addWidget(pane)
    monkeypatch.setattr(app.weights_info, "describe_weights",
                        lambda *a, **k: WeightsInfo("Shipped weights x.safetensors.", True,
                                                    architecture=app.weights_info._architecture(card)))
    pane.update_weights_info()
    assert not pane.heads.isEnabled() and not pane.d_model.isEnabled() and not pane.layers.isEnabled()
    # The greyed boxes keep the user's values; the note says what the weights use (the shipped textbook card's).
    assert pane.architecture_note.text() == "heads 4, d_model 32, layers 2: set by the trained weights"
    assert pane.hops.isEnabled() and pane.seed.isEnabled()
    assert "trained weights" in pane.heads.toolTip() and not pane.architecture_note.isHidden()
    monkeypatch.setattr(app.weights_info, "describe_weights",
                        lambda *a, **k: WeightsInfo("Untrained — structure only.", False))
    pane.update_weights_info()
    assert pane.heads.isEnabled() and pane.d_model.isEnabled() and pane.architecture_note.isHidden()
    assert pane.heads.toolTip() == "attention heads"


def test_a_saved_size_bigger_than_the_screen_is_not_restored(qtbot, fresh_settings, monkeypatch):
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QGuiApplication

    from app.docks import fit_to_screen
    from app.main_window import MainWindow

    # Offscreen there is no real screen and nothing is fitted; here the window behaves as under X.
    monkeypatch.setattr(QGuiApplication, "platformName", staticmethod(lambda: "xcb"))

    big = MainWindow(settings=fresh_settings, unattended=True)
    qtbot.addWidget(big)
    big.resize(5000, 4000)
    fresh_settings.setValue("window/geometry", big.saveGeometry())
    big.close()
    again = MainWindow(settings=fresh_settings, unattended=True)
    qtbot.addWidget(again)
    area = again.screen().availableGeometry()
    assert again.width() <= area.width() and again.height() <= area.height(), (again.size(), area)
    assert isinstance(fresh_settings.value("window/geometry"), QByteArray)
    again.resize(area.width() + 300, area.height() + 300)
    assert fit_to_screen(again) and again.width() <= area.width()
    assert not fit_to_screen(again)  # fits now: nothing to change
    laptop = QRect(0, 0, 1366, 768)
    again.resize(1600, 1000)
    assert fit_to_screen(again, laptop) and again.height() <= 768
    again.close()


def test_a_long_status_message_does_not_widen_the_window(qtbot, window):
    """After a run whose notes are long, a 1366 px screen got an 1806 px window (the status label's width)."""
    window.set_status("Done in 3.8 s: 145 nodes. " + "Medium of 'glucose': no exchange for sulfate, K+, Na+. " * 30)
    window.resize(1366, 768)
    qtbot.wait(100)
    assert window.minimumSizeHint().width() <= 1366 and window.width() == 1366
    assert "sulfate" in window.status_label.toolTip()
