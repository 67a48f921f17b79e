"""Ctrl-C in a terminal during `main.py batch`: exit 130, every finished chunk kept, no worker left behind,
and the same command finishes the rest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.batch.store import GROWTH_CSV, MANIFEST, read_results

ROOT = Path(__file__).resolve().parents[3]


def _children(pid: int) -> set[int]:
    import psutil

    return {p.pid for p in psutil.Process(pid).children(recursive=True)}


@pytest.mark.skipif(sys.platform == "win32", reason="process groups and SIGINT as a terminal sends them")
def test_ctrl_c_keeps_finished_chunks_and_a_rerun_finishes(tmp_path):
    import psutil

    spec = tmp_path / "spec.csv"
    spec.write_text("model,media\ntextbook,random:6000:8\n", encoding="utf-8")
    out = tmp_path / "OUT"
    command = [sys.executable, str(ROOT / "main.py"), "batch", str(spec), "--out", str(out), "--workers", "1",
               "--chunk-size", "40", "-q"]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    # A terminal's Ctrl-C goes to the whole foreground process group: the CLI and its Dask processes.
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not list(out.glob("chunks/*.parquet")):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no chunk was written"
            time.sleep(0.05)
        helpers = _children(proc.pid)  # the local cluster's nanny and worker (and multiprocessing's helper)
        assert len(helpers) >= 2
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stderr
    assert "stopped (Ctrl-C)" in stderr and "run the same command again" in stderr and "Traceback" not in stderr
    kept = sorted(p.name for p in (out / "chunks").glob("*.parquet"))
    manifest = json.loads((out / MANIFEST).read_text())
    done = sorted(Path(c["file"]).name for c in manifest["chunks"] if c["done"])
    assert 1 <= len(kept) < 150 and kept == done and not manifest["complete"]
    assert not (out / GROWTH_CSV).exists() and len(read_results(out)) == 40 * len(kept)
    time.sleep(1.0)
    assert not [pid for pid in helpers if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"], \
        "a Dask process outlived the stopped batch"

    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"{len(kept)} chunks already in" in again.stdout
    frame = read_results(out)
    assert len(frame) == 6000 and frame["medium"].is_unique
    assert json.loads((out / MANIFEST).read_text())["complete"]
