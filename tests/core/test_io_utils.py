from __future__ import annotations

import os
import stat

from core import io_utils
from core.io_utils import atomic_write_text


def test_atomic_write_gives_the_usual_file_mode_without_touching_the_umask(tmp_path, monkeypatch):
    calls = []
    real = os.umask
    monkeypatch.setattr(os, "umask", lambda mask: calls.append(mask) or real(mask))
    path = atomic_write_text(tmp_path / "out.txt", "x\n")
    assert calls == []  # setting the umask, even for a moment, races with other threads creating files
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~io_utils._UMASK
    assert path.read_text() == "x\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
