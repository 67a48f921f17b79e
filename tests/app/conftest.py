"""Qt test set-up: offscreen platform, settings in a temporary folder, one shared compute process.

QT_QPA_PLATFORM is set before anything imports Qt. QSettings is switched to IniFormat under a
temporary path, so no test reads or writes the user's real settings.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("METATTN_CACHE_DIR", tempfile.mkdtemp(prefix="metattn-test-cache-"))

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

_SETTINGS_DIR = tempfile.mkdtemp(prefix="metattn-test-settings-")
QSettings.setDefaultFormat(QSettings.Format.IniFormat)
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, _SETTINGS_DIR)


RUN_TIMEOUT = 120_000


def open_and_wait(qtbot, window, model="textbook"):
    """Open ``model`` in ``window`` and wait until it is loaded."""
    with qtbot.waitSignal(window.model_loaded, timeout=60_000):
        window.open_model(model)


def run_and_wait(qtbot, window, timeout=RUN_TIMEOUT, click=True):
    """Start a run (by clicking Run, as a user does, or through ``start_run``) and return the
    result once every pane shows it."""
    from PySide6.QtCore import Qt

    with qtbot.waitSignal(window.results_shown, timeout=timeout) as blocker:
        if click:
            qtbot.mouseClick(window.setup.run_button, Qt.MouseButton.LeftButton)
        else:
            window.start_run()
    return blocker.args[0]


@pytest.fixture(scope="session", autouse=True)
def _one_thread_and_cleanup():
    import torch

    torch.set_num_threads(1)
    yield
    from app.worker import close_compute_process

    close_compute_process()


@pytest.fixture
def settings_dir():
    return _SETTINGS_DIR


@pytest.fixture
def fresh_settings(qapp):
    """A QSettings in the temporary folder, emptied before the test."""
    from app import settings as S

    qapp.setOrganizationName(S.ORGANISATION)
    qapp.setApplicationName(S.APPLICATION)
    s = S.open_settings()
    s.clear()
    s.sync()
    return S.open_settings()


@pytest.fixture(scope="session")
def textbook_result():
    """A real RunResult: the pipeline on the textbook model, glucose and acetate."""
    from core.pipeline import RunSettings, run_pipeline

    return run_pipeline(RunSettings(model="textbook", conditions=("glucose", "acetate"), weights="none"))


@pytest.fixture
def window(qtbot, fresh_settings):
    from app.main_window import MainWindow

    w = MainWindow(settings=fresh_settings)
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()
    assert w.runner.active_threads() == 0


@pytest.fixture
def dialogs(monkeypatch):
    """Capture QMessageBox.critical/information/question instead of blocking; answer questions Yes."""
    from PySide6.QtWidgets import QMessageBox

    seen: list[tuple[str, str, str]] = []
    answer = {"question": QMessageBox.StandardButton.Yes}

    def critical(_parent, title, text, *args, **kwargs):
        seen.append(("critical", title, text))
        return QMessageBox.StandardButton.Ok

    def information(_parent, title, text, *args, **kwargs):
        seen.append(("information", title, text))
        return QMessageBox.StandardButton.Ok

    def question(_parent, title, text, *args, **kwargs):
        seen.append(("question", title, text))
        return answer["question"]

    monkeypatch.setattr(QMessageBox, "critical", critical)
    monkeypatch.setattr(QMessageBox, "information", information)
    monkeypatch.setattr(QMessageBox, "question", question)
    seen_answer = answer
    return seen, seen_answer
