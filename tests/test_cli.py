"""The headless command line: the contract for scripts and CI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import main as cli

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, cwd=None, timeout=300, env=None):
    environ = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=cwd or ROOT, capture_output=True,
                          text=True, timeout=timeout, env=environ)


def test_help_explains_every_option():
    out = run_cli("--help")
    assert out.returncode == 0
    for word in ("run", "demo", "gui", "presets", "--self-test"):
        assert word in out.stdout
    run_help = run_cli("run", "--help").stdout
    for option in ("--model", "--conditions", "--out", "--formats", "--force", "--heads", "--d-model", "--layers",
                   "--hops", "--seed", "--no-currency-filter", "--carbon-normalised", "--pfba", "--mode", "--memory-budget"):
        assert option in run_help


def test_a_run_as_a_process_prints_everything_before_it_ends_without_teardown(tmp_path):
    """main.py skips the interpreter's teardown after a run (1.3 s on iJO1366): what it printed into a pipe (block
    buffered) and logged still arrives, and the exit code is the run's."""
    out = tmp_path / "OUT"
    done = run_cli("run", "--model", "textbook", "--conditions", "glucose,acetate", "--out", str(out),
                   "--formats", "json,csv", "--weights", "none", "--quiet",
                   env={"PYTHONUNBUFFERED": ""})  # stdout block-buffered, as in a pipe by default
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Wrote ")) + 1
    listed = [line.strip() for line in lines[start:]]
    assert listed and sorted(listed) == sorted(str(p) for p in out.iterdir())
    assert done.stdout.endswith("\n")
    failed = run_cli("run", "--model", str(tmp_path / "missing.xml"), "--out", str(tmp_path / "X"))
    assert failed.returncode == 2 and "missing.xml" in failed.stderr


def test_run_textbook_writes_report(tmp_path, capsys):
    out = tmp_path / "OUT"
    code = cli.main(["run", "--model", "textbook", "--conditions", "glucose,acetate", "--out", str(out),
                     "--formats", "json", "--quiet", "--weights", "none"])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert report["model"]["id"] == "e_coli_core"
    assert report["model"]["counts"] == {"metabolites": 72, "reactions": 95, "genes": 137}
    assert len(report["model"]["sha256"]) == 64
    assert report["graph"]["full"]["edges"] == 360
    names = [c["name"] for c in report["conditions"]]
    assert names == ["glucose", "acetate"]
    glucose = report["conditions"][0]
    assert glucose["status"] == "optimal" and glucose["growth_rate"] == pytest.approx(0.8739, abs=1e-3)
    assert glucose["medium"]["EX_glc__D_e"] == 10
    assert glucose["fluxes"]["uptake"]["EX_glc__D_e"] == pytest.approx(-10)
    assert report["attention"]["heads"] == 8 and report["attention"]["layers"] == 2
    assert "analysis" in report
    with np.load(out / "attention.npz", allow_pickle=False) as npz:
        L, C, E, H = npz["self_attention"].shape
        assert (L, C, H) == (2, 2, 8) and npz["edge_index"].shape == (2, E)
        assert npz["importance"].shape == (2, len(npz["node_ids"]))
    printed = capsys.readouterr().out
    assert "glucose" in printed and str(out / "report.json") in printed


def test_without_conditions_the_run_takes_the_default_presets_the_model_has(tmp_path, capsys):
    # e_coli_core has no lactose exchange: the default run leaves lactose out and says so, where
    # naming lactose explicitly is an error (see the bad options below).
    out = tmp_path / "OUT"
    assert cli.main(["run", "--model", "textbook", "--out", str(out), "--formats", "json", "--quiet"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert [c["name"] for c in report["conditions"]] == ["glucose", "acetate"]
    assert report["settings"]["conditions"] == ["glucose", "acetate"]
    assert any("Preset 'lactose' left out" in n and "lcts_e" in n for n in report["notes"])
    assert "note: Preset 'lactose' left out" in capsys.readouterr().out


def test_same_seed_same_numbers(tmp_path):
    arrays = []
    for name in ("a", "b"):
        assert cli.main(["run", "--conditions", "glucose,acetate", "--out", str(tmp_path / name), "--formats", "json",
                         "--quiet", "--seed", "7"]) == 0
        with np.load(tmp_path / name / "attention.npz", allow_pickle=False) as npz:
            arrays.append({k: npz[k] for k in npz.files})
    for key in arrays[0]:
        np.testing.assert_array_equal(arrays[0][key], arrays[1][key])


def test_existing_files_are_not_overwritten_without_force(tmp_path, capsys):
    out = tmp_path / "OUT"
    args = ["run", "--conditions", "glucose,acetate", "--out", str(out), "--formats", "json", "--quiet"]
    assert cli.main(args) == 0
    before = (out / "report.json").read_bytes()
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert "report.json" in err and "--force" in err
    assert (out / "report.json").read_bytes() == before
    assert cli.main(args + ["--force"]) == 0


def test_existing_output_folder_is_refused_before_the_run(tmp_path, capsys, monkeypatch):
    import core.pipeline

    out = tmp_path / "OUT"
    out.mkdir()
    (out / "report.json").write_text("{}")

    def must_not_run(*_a, **_k):
        raise AssertionError("the pipeline ran although the output would be refused")

    monkeypatch.setattr(core.pipeline, "run_pipeline", must_not_run)
    assert cli.main(["run", "--out", str(out), "--formats", "json", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert str(out / "report.json") in err and "--force" in err
    assert (out / "report.json").read_text() == "{}"


@pytest.mark.parametrize("args,message", [
    (["--model", "no/such/model.xml"], "file not found"),
    (["--model", "iJO9999"], "not a bundled model name"),
    (["--conditions", "glucose,sugar"], "unknown preset or missing conditions file 'sugar'"),
    (["--conditions", "missing.csv"], "conditions file not found"),
    (["--conditions", "lactose"], "unknown exchange 'lcts_e'"),
    (["--heads", "3"], "must be a multiple of --heads"),
    (["--layers", "0"], "--layers must be at least 1"),
    (["--formats", "png,pdf"], "unknown format(s) pdf"),
    (["--memory-budget", "0"], "--memory-budget must be a positive number of GB"),
    (["--mode", "full", "--memory-budget", "0.001"], "over the memory budget of 0.001 GB"),
])
def test_bad_options_exit_nonzero_with_one_line(tmp_path, capsys, args, message):
    code = cli.main(["run", "--out", str(tmp_path / "o"), "--quiet", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_corrupt_model_through_a_real_process(tmp_path):
    bad = tmp_path / "broken.xml.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 20)
    proc = run_cli("run", "--model", str(bad), "--out", str(tmp_path / "o"), "--quiet")
    assert proc.returncode == 2
    assert str(bad) in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "o" / "report.json").exists()


def test_presets_listed():
    out = run_cli("presets")
    assert out.returncode == 0
    assert "glucose_anaerobic" in out.stdout and "lcts_e" in out.stdout


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_with_130(tmp_path):
    out = tmp_path / "OUT"
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "run", "--model", "iJO1366", "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Wait until the run has started working (a progress line), then interrupt.
    deadline = time.time() + 120
    line = ""
    while time.time() < deadline and "FBA" not in line and "attention" not in line.lower():
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    leftovers = list(out.glob("*.part")) + list(out.glob(".*.part")) if out.exists() else []
    assert leftovers == []
