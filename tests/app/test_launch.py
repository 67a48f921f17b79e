"""app.launch.main as main.py calls it: open, run, screenshot, exit code."""

from __future__ import annotations

import types

from PySide6.QtGui import QImage


def _args(**kw):
    base = dict(model=None, conditions=None, run=False, screenshot=None, heads=None, d_model=None, layers=None,
                hops=None, seed=None, no_currency_filter=False)
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
