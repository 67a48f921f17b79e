"""Nothing lost: atomic writes, no silent overwrite, read-only folders and full disks, the crash-safe
autosave, and project files treated as untrusted (JSON and npz only, no path escapes).

Tests run as root here, where ``chmod 0o500`` does not stop writes: a read-only folder is then
simulated by making ``tempfile.mkstemp`` fail with EACCES, and a full disk by OSError(ENOSPC) from
the write or the final rename. Either way the earlier file must stay byte-identical and no ``.part``
file may remain.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from core.errors import InputError
from core.io_utils import atomic_path, atomic_write_bytes, atomic_write_text
# The Qt test set-up (offscreen, settings in a temporary folder) and the window/dialog fixtures.
from tests.app.conftest import _one_thread_and_cleanup, dialogs, fresh_settings, window  # noqa: F401

RUN_TIMEOUT = 120_000
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _parts(folder: Path) -> list[Path]:
    return [p for p in Path(folder).rglob("*") if p.name.endswith(".part")]


@contextlib.contextmanager
def read_only(folder: Path, monkeypatch):
    """``folder`` cannot take new files: chmod 0o500, or (as root) mkstemp failing with EACCES there."""
    if not IS_ROOT:
        os.chmod(folder, 0o500)
        try:
            yield
        finally:
            os.chmod(folder, 0o700)
        return
    real = tempfile.mkstemp
    target = Path(folder).resolve()

    def mkstemp(*args, dir=None, **kwargs):  # noqa: A002
        if dir is not None and Path(dir).resolve() == target:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        return real(*args, dir=dir, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(tempfile, "mkstemp", mkstemp)
        yield


@contextlib.contextmanager
def full_disk_on_rename(monkeypatch):
    """The data is written but the disk is full when it is put in place."""
    def replace(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as m:
        m.setattr(os, "replace", replace)
        yield


# --------------------------------------------------------------------------- atomic writes


def test_full_disk_during_the_write_keeps_the_earlier_file(tmp_path, monkeypatch):
    path = tmp_path / "report.json"
    path.write_bytes(b'{"earlier": true}\n')
    before = path.read_bytes()
    real_write = Path.write_bytes

    def write_half_then_fail(self, data):
        real_write(self, data[: len(data) // 2])  # the disk fills up half way
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_bytes", write_half_then_fail)
    with pytest.raises(InputError) as info:
        atomic_write_bytes(path, b"x" * 10_000)
    monkeypatch.undo()
    assert str(path) in str(info.value) and "No space left" in str(info.value)
    assert path.read_bytes() == before
    assert _parts(tmp_path) == []


def test_full_disk_at_the_rename_keeps_the_earlier_file(tmp_path, monkeypatch):
    path = tmp_path / "summary.md"
    atomic_write_text(path, "# earlier\n")
    before = path.read_bytes()
    with full_disk_on_rename(monkeypatch), pytest.raises(InputError) as info:
        atomic_write_text(path, "# new\n" * 1000)
    assert str(path) in str(info.value) and "No space left" in str(info.value)
    assert path.read_bytes() == before and _parts(tmp_path) == []


def test_read_only_folder_is_a_clear_input_error(tmp_path, monkeypatch):
    folder = tmp_path / "locked"
    folder.mkdir()
    path = folder / "node_importance.csv"
    path.write_text("node,importance\nPGI,0.5\n")
    before = path.read_bytes()
    with read_only(folder, monkeypatch), pytest.raises(InputError) as info:
        atomic_write_text(path, "replaced")
    assert str(path) in str(info.value) and "cannot write here (Permission denied)" in str(info.value)
    assert path.read_bytes() == before and _parts(tmp_path) == []


def test_an_exception_inside_the_block_leaves_nothing(tmp_path):
    path = tmp_path / "graph.graphml"
    path.write_text("earlier")
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(path) as part:
            part.write_text("half")
            raise KeyboardInterrupt  # Ctrl-C in the middle of a write
    assert path.read_text() == "earlier" and _parts(tmp_path) == []


def test_no_overwrite_without_asking(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("mine")
    with pytest.raises(InputError, match="exists already"):
        atomic_write_text(path, "theirs", overwrite=False)
    assert path.read_text() == "mine"


# --------------------------------------------------------------------------- exports and projects (core)


@pytest.fixture(scope="module")
def textbook_run():
    import torch

    from core.pipeline import RunSettings, run_pipeline

    torch.set_num_threads(1)
    return run_pipeline(RunSettings(model="textbook", conditions=("glucose",)))


@pytest.mark.parametrize("failure", ["read_only", "full_disk"])
def test_export_failure_keeps_earlier_outputs(tmp_path, monkeypatch, textbook_run, failure):
    from core.export import write_outputs

    out = tmp_path / "out"
    write_outputs(textbook_run, out, formats=("json", "csv"))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert "report.json" in before
    ctx = read_only(out, monkeypatch) if failure == "read_only" else full_disk_on_rename(monkeypatch)
    with ctx, pytest.raises(InputError) as info:
        write_outputs(textbook_run, out, formats=("json", "csv"), force=True)
    assert str(out) in str(info.value)
    assert ("Permission denied" if failure == "read_only" else "No space left") in str(info.value)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert _parts(out) == []


def _project_zip(path: Path, doc: dict, extra: dict | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.json", json.dumps(doc))
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def _doc(model: str) -> dict:
    return {"format": "metattn-project", "version": 1, "model": {"source": model, "sha256": ""},
            "settings": {"model": model, "conditions": ["glucose"]}, "conditions": [], "checked": []}


@pytest.mark.parametrize("stored,expect", [
    ("../../etc/passwd", "points outside the project's folder"),
    ("sub/../../../etc/passwd", "points outside the project's folder"),
    ("/etc/passwd", "is absolute"),
    ("C:\\Windows\\win.ini", "is absolute"),
    ("\\\\server\\share\\model.xml", "is absolute"),
    ("model/../../escape.xml", "points outside the project's folder"),
])
def test_project_paths_may_not_escape_the_project_folder(tmp_path, stored, expect):
    from app.project import load_project

    folder = tmp_path / "projects"
    folder.mkdir()
    (tmp_path / "escape.xml").write_text("outside")
    path = _project_zip(folder / "evil.mattn", _doc(stored))
    with pytest.raises(InputError) as info:
        load_project(path)
    assert str(path) in str(info.value) and expect in str(info.value)


def test_a_symlink_out_of_the_project_folder_is_refused(tmp_path):
    from app.project import load_project

    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "model.xml").symlink_to("/etc/passwd")
    with pytest.raises(InputError, match="points outside the project's folder"):
        load_project(_project_zip(folder / "link.mattn", _doc("model.xml")))


def test_project_model_paths_inside_and_outside_the_folder(tmp_path, textbook_run):
    """A model beside the project is stored by relative path (the folder can move); a model elsewhere
    is embedded in the archive and unpacked under the data folder, never read from its old place."""
    import cobra.io

    from app.project import load_project, save_project
    from core.models import load_model

    folder = tmp_path / "work"
    (folder / "models").mkdir(parents=True)
    inside = folder / "models" / "core.xml"
    cobra.io.write_sbml_model(load_model("textbook").model, str(inside))
    sha = load_model(str(inside)).sha256
    settings = textbook_run.settings
    from dataclasses import replace

    p1 = save_project(folder / "beside.mattn", replace(settings, model=str(inside)), [], [], None, sha)
    with zipfile.ZipFile(p1) as zf:
        assert json.loads(zf.read("project.json"))["settings"]["model"] == "models/core.xml"
    moved = tmp_path / "moved"
    folder.rename(moved)
    assert Path(load_project(moved / "beside.mattn").settings.model) == (moved / "models" / "core.xml").resolve()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    p2 = save_project(elsewhere / "far.mattn", replace(settings, model=str(moved / "models" / "core.xml")),
                      [], [], None, sha)
    with zipfile.ZipFile(p2) as zf:
        assert "model/core.xml" in zf.namelist()
        assert json.loads(zf.read("project.json"))["settings"]["model"] == "model/core.xml"
    (moved / "models" / "core.xml").unlink()  # the original is gone: the project still opens
    project = load_project(p2)
    unpacked = Path(project.settings.model)
    assert unpacked.is_file() and Path(os.environ["METATTN_DATA_DIR"]) in unpacked.parents
    assert load_model(str(unpacked)).sha256 == sha


def test_project_arrays_are_never_unpickled(tmp_path, textbook_run):
    """An attention.npz holding a pickled object is refused, not executed."""
    import io

    from app.project import load_project, save_project

    good = save_project(tmp_path / "good.mattn", textbook_run.settings, [], [], textbook_run.attention)
    with zipfile.ZipFile(good) as zf:
        doc = json.loads(zf.read("project.json"))
    buf = io.BytesIO()
    np.savez(buf, format_version=np.array(1), self_attention=np.array([{"evil": 1}], dtype=object))
    evil = _project_zip(tmp_path / "evil.mattn", doc, {"attention.npz": buf.getvalue()})
    with pytest.raises(InputError) as info:
        load_project(evil)
    assert "attention" in str(info.value)


def test_project_save_into_a_full_disk_keeps_the_earlier_project(tmp_path, monkeypatch, textbook_run):
    from app.project import save_project

    path = save_project(tmp_path / "s.mattn", textbook_run.settings, [], [], textbook_run.attention)
    before = path.read_bytes()
    with full_disk_on_rename(monkeypatch), pytest.raises(InputError, match="No space left"):
        save_project(path, textbook_run.settings, [], ["other"], None)
    assert path.read_bytes() == before and _parts(tmp_path) == []


# --------------------------------------------------------------------------- the window


def _open_and_run(qtbot, window, conditions=("glucose",)):
    with qtbot.waitSignal(window.model_loaded, timeout=60_000):
        window.open_model("textbook")
    window.setup.set_checked(list(conditions))
    with qtbot.waitSignal(window.results_shown, timeout=RUN_TIMEOUT) as blocker:
        window.start_run()
    return blocker.args[0]


def test_window_export_to_read_only_folder_and_full_disk(qtbot, window, dialogs, tmp_path, monkeypatch):
    _open_and_run(qtbot, window)
    out = tmp_path / "out"
    with qtbot.waitSignal(window.export_done, timeout=RUN_TIMEOUT):
        window.export(str(out), "tables")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    for ctx in (read_only(out, monkeypatch), full_disk_on_rename(monkeypatch)):
        n = len(dialogs[0])
        with ctx:
            assert window.export(str(out), "tables")  # asked first: the dialogs fixture answers Yes
            qtbot.waitUntil(lambda: any(d[0] == "critical" for d in dialogs[0][n:]), timeout=60_000)
            qtbot.waitUntil(lambda: not window.runner.is_running("export"), timeout=10_000)
        asked, failed = dialogs[0][n], [d for d in dialogs[0][n:] if d[0] == "critical"][-1]
        assert asked[0] == "question" and "exist already" in asked[2]
        assert failed[1] == "Export failed" and str(out) in failed[2]
        assert ("Permission denied" in failed[2]) or ("No space left" in failed[2])
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
        assert _parts(out) == []
    # Still usable: the same export now succeeds.
    with qtbot.waitSignal(window.export_done, timeout=RUN_TIMEOUT):
        assert window.export(str(out), "tables")


def test_window_save_project_asks_and_survives_a_full_disk(qtbot, window, dialogs, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    _open_and_run(qtbot, window)
    path = tmp_path / "session.mattn"
    assert window.save_project(str(path))
    before = path.read_bytes()
    # Save again through the menu: asked, answered No, nothing written.
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    dialogs[1]["question"] = QMessageBox.StandardButton.No
    window.browse_save_project()
    assert dialogs[0][-1][0] == "question" and str(path) in dialogs[0][-1][2]
    assert path.read_bytes() == before
    # Answered Yes, but the disk is full: a dialog, the earlier project intact.
    dialogs[1]["question"] = QMessageBox.StandardButton.Yes
    with full_disk_on_rename(monkeypatch):
        window.browse_save_project()
    _kind, title, text = dialogs[0][-1]
    assert title == "Could not save the project" and str(path) in text and "No space left" in text
    assert path.read_bytes() == before and _parts(tmp_path) == []


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_autosave_after_a_run_and_restore_after_a_crash(qtbot, fresh_settings, dialogs):
    from app.main_window import MainWindow, autosave_path

    first = MainWindow(settings=fresh_settings)
    qtbot.addWidget(first)
    first.show()
    with qtbot.waitSignal(first.autosaved, timeout=RUN_TIMEOUT) as saved:
        result = _open_and_run(qtbot, first, ("glucose", "acetate"))
    assert Path(saved.args[0]) == autosave_path() and autosave_path().is_file()
    assert _parts(autosave_path().parent) == []
    first.close()  # a clean exit: no offer at the next start
    second = MainWindow(settings=fresh_settings)
    qtbot.addWidget(second)
    qtbot.wait(100)
    assert not [d for d in dialogs[0] if d[0] == "question"]
    second.close()

    # A crash: the lock of a process that no longer runs is left behind.
    (autosave_path().parent / "session.lock").write_text(f"{_dead_pid()}\n")
    third = MainWindow(settings=fresh_settings)
    qtbot.addWidget(third)
    third.show()
    with qtbot.waitSignal(third.results_shown, timeout=RUN_TIMEOUT) as shown:
        pass
    asked = [d for d in dialogs[0] if d[0] == "question"]
    assert len(asked) == 1 and asked[0][1] == "Restore the last session?"
    restored = shown.args[0]
    assert np.array_equal(restored.attention.self_attention, result.attention.self_attention)
    assert third.setup.checked_names() == ["glucose", "acetate"]
    assert third.heatmap.image.image is not None
    assert third.tables.tables["centrality"].model.rowCount() == restored.graph.n_nodes
    assert third.comparison.top_table.model.rowCount() > 0
    third.close()
    assert not (autosave_path().parent / "session.lock").exists()
    assert third.runner.active_threads() == 0
