"""app.launch.main as main.py calls it: open, run, screenshot, exit code."""

from __future__ import annotations

import types

from PySide6.QtGui import QImage


def _args(**kw):
    base = dict(model=None, conditions=None, run=False, screenshot=None, heads=None, d_model=None, layers=None,
                hops=None, seed=None, mode=None, memory_budget=None, no_currency_filter=None)
    base.update(kw)
    return types.SimpleNamespace(**base)


def test_screenshot_after_results(qapp, tmp_path, fresh_settings, capsys):
    from app.launch import main

    shot = tmp_path / "shot.png"
    code = main(_args(model="textbook", conditions="glucose,acetate", screenshot=str(shot), heads=4, d_model=32))
    assert code == 0
    image = QImage(str(shot))
    assert image.width() >= 1200 and image.height() >= 800
    assert "screenshot saved" in capsys.readouterr().out
    assert int(fresh_settings.value("attention/heads")) == 4  # the options reached the window


def test_screenshot_with_a_bad_model_exits_non_zero(qapp, tmp_path, fresh_settings, capsys):
    from app.launch import main

    code = main(_args(model=str(tmp_path / "missing.xml"), conditions="glucose", screenshot=str(tmp_path / "x.png")))
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.xml" in err[0] and "file not found" in err[0]
    assert not (tmp_path / "x.png").exists()


def test_options_left_out_keep_the_remembered_settings(qapp, fresh_settings, monkeypatch):
    # `python main.py` with no options must not reset what the window remembered.
    import main as cli
    from app import launch

    fresh_settings.setValue("attention/heads", 4)
    fresh_settings.setValue("attention/d_model", 32)
    fresh_settings.setValue("attention/mode", "full")
    fresh_settings.setValue("attention/filter_currency", False)
    seen = {}

    def look_and_close(app, window, *_a):
        seen["config"] = window.setup.attention_config()
        seen["currency"] = window.setup.currency.isChecked()
        window.close()

    monkeypatch.setattr(launch, "_arm_screenshot", look_and_close)
    args = cli.build_parser().parse_args(["gui", "--seed", "5", "--screenshot", "unused.png"])
    assert launch.main(args) == 1  # --screenshot without --model: refused after the window opened
    config = seen["config"]
    assert (config.heads, config.d_model, config.mode, config.seed) == (4, 32, "full", 5)
    assert seen["currency"] is False


def test_screenshot_of_one_view_leaves_the_saved_layout_whole(qapp, tmp_path, fresh_settings, capsys):
    """--screenshot-view shows one pane alone for its picture; the layout saved on close keeps every pane."""
    from app import settings as S
    from app.launch import main
    from app.main_window import MainWindow

    shot = tmp_path / "shifts.png"
    code = main(_args(model="textbook", conditions="glucose,acetate", screenshot=str(shot), screenshot_view="shifts",
                      select="PGI"))
    assert code == 0 and QImage(str(shot)).width() > 600
    again = MainWindow(settings=S.open_settings(), unattended=True)
    again.show()
    qapp.processEvents()
    hidden = [name for name, dock in again.docks.items() if not dock.isVisible()]
    again.close()
    assert hidden == []
