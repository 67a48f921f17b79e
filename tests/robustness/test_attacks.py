"""Attack suite (issue 18): files and options a hostile sender would craft, generated here.

Every attack must end with exit code 2 and one line on stderr naming the file (or option) and the
problem: no traceback, no hang, nothing written outside (or half-written inside) the output folder.
Bombs run in a child process whose peak memory and CPU time are measured with ``os.wait4``.
Generators are small: a 4 GB gzip bomb is 4 MB on disk, written in about a second by repeating one
fully flushed deflate block of zeros.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import struct
import subprocess
import sys
import threading
import time
import zipfile
import zlib
from pathlib import Path

import cobra
import cobra.io
import numpy as np
import pytest

import main as cli
from core import limits
from core.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
GB = 1024 ** 3
SBML_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?>\n<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" '
             b'level="3" version="1"><model id="bomb">')


# --------------------------------------------------------------------------- generators


def gzip_bomb(path: Path, size: int = 4 * GB, prefix: bytes = SBML_HEAD) -> Path:
    """A valid gzip file of ``prefix`` + zeros, ``size`` bytes when decompressed (about size/1000 on disk).

    After a full flush deflate starts afresh, so one compressed 16 MB block of zeros can be repeated;
    the trailer gets the true CRC and length, so the file is a correct gzip stream.
    """
    chunk = bytes(1 << 24)
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    first = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    end = c.flush(zlib.Z_FINISH)[:-8]
    n = size // len(chunk)
    crc = zlib.crc32(prefix)
    for _ in range(n):
        crc = zlib.crc32(chunk, crc)
    with open(path, "wb") as fh:
        fh.write(head + first)
        for _ in range(n - 1):
            fh.write(block)
        fh.write(end + struct.pack("<II", crc, (len(prefix) + n * len(chunk)) & 0xFFFFFFFF))
    return path


def yaml_alias_bomb(path: Path) -> Path:
    """A COBRA YAML model whose first metabolite's notes hold 10^9 'lol's through nine nested aliases."""
    levels = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    levels += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 9)]
    notes = "\n        ".join(levels)
    path.write_text(f"""!!omap
- metabolites:
  - !!omap
    - id: a_c
    - name: A
    - compartment: c
    - notes:
        {notes}
- reactions:
  - !!omap
    - id: R1
    - name: r
    - metabolites: !!omap
      - a_c: -1
    - lower_bound: 0
    - upper_bound: 10
    - gene_reaction_rule: ''
- genes: []
- id: bomb
- compartments: !!omap
  - c: cytosol
""", encoding="utf-8")
    return path


def mat_bomb(path: Path, size: int = 320 * 1024 * 1024) -> Path:
    """A MATLAB v5 file whose one zlib-compressed variable inflates to ``size`` bytes of zeros."""
    header = b"MATLAB 5.0 MAT-file, crafted".ljust(116, b" ") + b"\x00" * 8 + b"\x00\x01" + b"IM"
    c = zlib.compressobj(9)
    chunk = bytes(1 << 24)
    body = c.compress(struct.pack("<II", 14, size))
    for _ in range(size // len(chunk)):
        body += c.compress(chunk)
    body += c.flush()
    path.write_bytes(header + struct.pack("<II", 15, len(body)) + body)
    return path


def zip_bomb_project(path: Path, member: str = "project.json", size: int = 2 * GB) -> Path:
    """A .mattn-like zip whose ``member`` inflates to ``size`` bytes (a few MB on disk)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open(member, "w", force_zip64=True) as fh:
            chunk = b" " * (1 << 24)
            for _ in range(size // len(chunk)):
                fh.write(chunk)
    return path


def hostile_model(textbook, path: Path, name: str) -> Path:
    """The textbook model as COBRA JSON with pyruvate renamed to ``name`` and every reaction to ``name`` and
    its id, so that whichever nodes the summary lists (the trained weights decide), they carry it."""
    data = cobra.io.model_to_dict(textbook)
    for met in data["metabolites"]:
        if met["id"] == "pyr_c":
            met["name"] = name
    for rxn in data["reactions"]:
        rxn["name"] = f"{name} {rxn['id']}"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- helpers


def run_cli(capsys, *args) -> tuple[int, str, str]:
    try:
        code = cli.main(list(args))
    except SystemExit as exc:  # argparse's own errors exit (with our one-line message)
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_clear_line(code: int, err: str, names: str | Path, *words: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("metattn: error: "), repr(err)
    assert str(names) in err, err
    for word in words:
        assert word in err, err


def assert_nothing_written(out: Path) -> None:
    assert not out.exists() or not any(out.iterdir()), sorted(p.name for p in out.iterdir())


# Linux counts in a child's peak RSS the memory of the process it was forked from (the test process,
# often over 1 GB late in a run). So a small launcher forks the measured program and reports its
# rusage from os.wait4: the figures are the program's own.
_LAUNCHER = """import json, os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable] + sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as fh:
    json.dump({"code": os.waitstatus_to_exitcode(status), "peak": usage.ru_maxrss * 1024,
               "cpu": usage.ru_utime + usage.ru_stime}, fh)
"""


def measure_child(argv: list[str], cwd: Path, wall_limit: float = 90.0) -> tuple[int, str, int, float]:
    """Run ``python argv`` in ``cwd``; (exit code, stderr, its own peak RSS in bytes, its CPU seconds)."""
    import json as _json
    import signal as _signal
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        err_path, report = Path(scratch) / "stderr", Path(scratch) / "usage.json"
        with open(err_path, "wb") as err:
            launcher = subprocess.Popen([sys.executable, "-c", _LAUNCHER, str(report), *argv], cwd=cwd,
                                        stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
            try:
                launcher.wait(wall_limit)
            except subprocess.TimeoutExpired:
                os.killpg(launcher.pid, _signal.SIGKILL)
                launcher.wait()
                pytest.fail(f"{argv} still running after {wall_limit} s (a hang)")
        figures = _json.loads(report.read_text())
        text = err_path.read_text(encoding="utf-8", errors="replace")
    return figures["code"], text, figures["peak"], figures["cpu"]


def run_child(args: list[str], cwd: Path, wall_limit: float = 90.0):
    """Run ``python main.py args`` in ``cwd``; (exit code, stderr, peak RSS in bytes, CPU seconds)."""
    return measure_child([str(ROOT / "main.py"), *args], cwd, wall_limit)


# --------------------------------------------------------------------------- 1. bombs (child processes)


BOMBS = {
    "gzip": (lambda folder: gzip_bomb(folder / "model.xml.gz"), "decompresses to more than"),
    "yaml_alias": (lambda folder: yaml_alias_bomb(folder / "model.yml"), "alias"),
    "mat": (lambda folder: mat_bomb(folder / "model.mat"), "MATLAB variables decompress to more than"),
}


@pytest.mark.parametrize("kind", sorted(BOMBS))
def test_bombs_end_in_one_line_with_bounded_memory(tmp_path, kind):
    make, words = BOMBS[kind]
    bomb = make(tmp_path)
    assert bomb.stat().st_size < 8 * 1024 * 1024  # small on disk...
    out = tmp_path / "out"
    code, err, peak, cpu = run_child(["run", "--model", bomb.name, "--out", "out", "--quiet"], tmp_path)
    assert_one_clear_line(code, err, bomb.name, words)
    assert peak < 1 * GB, f"peak memory {peak / GB:.2f} GB"
    assert cpu < 15, f"{cpu:.1f} s of CPU"
    assert_nothing_written(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [bomb.name]  # nothing beside it either


def test_gzip_bomb_is_what_it_claims():
    """The generator really writes a 4 GB stream: gzip's own trailer says so, and the first bytes inflate."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = gzip_bomb(Path(folder) / "b.gz")
        data = path.read_bytes()
    assert struct.unpack("<I", data[-4:])[0] == (len(SBML_HEAD) + 4 * GB) & 0xFFFFFFFF
    assert zlib.decompressobj(31).decompress(data, 64).startswith(b"<?xml")


def test_a_genuine_large_model_opens_with_a_higher_limit(tmp_path, monkeypatch, textbook):
    """The limits are overridable: the same gzip'd model refused under a tiny limit opens above it."""
    from core.models import load_model

    path = tmp_path / "m.xml.gz"
    cobra.io.write_sbml_model(textbook, str(tmp_path / "m.xml"))
    path.write_bytes(__import__("gzip").compress((tmp_path / "m.xml").read_bytes()))
    monkeypatch.setenv("METATTN_MAX_MODEL_MB", "0.05")
    with pytest.raises(InputError, match="limit for a model file"):
        load_model(path, use_cache=False)
    monkeypatch.setenv("METATTN_MAX_MODEL_MB", "64")
    assert len(load_model(path, use_cache=False).model.reactions) == len(textbook.reactions)


def test_max_input_mb_flag_sets_the_limit(tmp_path, capsys, monkeypatch, textbook):
    for limit in limits.FILE_SIZE_LIMITS:  # the flag sets them for the rest of its process: restore after
        monkeypatch.setenv(limit.env, str(limit.default))
    model = tmp_path / "m.json"
    cobra.io.save_json_model(textbook, str(model))
    code, _out, err = run_cli(capsys, "run", "--model", str(model), "--out", str(tmp_path / "o"), "--quiet",
                              "--max-input-mb", "0.01")
    assert_one_clear_line(code, err, model, "over the 0.01 MB limit", "METATTN_MAX_MODEL_MB")


# --------------------------------------------------------------------------- 1. projects: zip members and npz


def test_project_member_bomb_is_refused_before_inflating(tmp_path, monkeypatch):
    monkeypatch.setenv("METATTN_MAX_PROJECT_MB", "64")  # a 128 MB bomb against 64 MB: as 6 GB against 1 GB
    path = zip_bomb_project(tmp_path / "bomb.mattn", size=128 * 1024 * 1024)
    assert path.stat().st_size < 1024 * 1024
    with zipfile.ZipFile(path) as zf:
        with pytest.raises(InputError, match="over the 64 MB limit") as info:
            limits.read_zip_member(zf, "project.json", limits.PROJECT_BYTES, path)
        with pytest.raises(InputError, match="decompress to more than"):
            limits.check_zip(zf, limits.PROJECT_BYTES, path)
    assert str(path) in str(info.value)


def test_project_member_lying_about_its_size_stops_at_the_declared_size(tmp_path, monkeypatch):
    """A member whose header claims 1 KB but inflates to 64 MB: reading stops, the file is named."""
    path = tmp_path / "liar.mattn"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.json", b" " * (64 * 1024 * 1024))
    data = bytearray(path.read_bytes())
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # uncompressed size in both headers
        at = data.find(sig)
        data[at + offset:at + offset + 4] = struct.pack("<I", 1024)
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as zf:
        with pytest.raises(InputError, match="damaged") as info:
            limits.read_zip_member(zf, "project.json", limits.PROJECT_BYTES, path)
    assert str(path) in str(info.value)


def _npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def test_npz_arrays_are_checked_before_they_are_allocated(tmp_path, monkeypatch):
    good = _npz_bytes(a=np.arange(6, dtype=np.float32).reshape(2, 3), s=np.array(["x", "yz"]))
    arrays = limits.load_npz(good, limits.PROJECT_BYTES, "p.mattn")
    assert arrays["a"].shape == (2, 3) and arrays["s"].tolist() == ["x", "yz"]
    # A header claiming a 40 GB shape over 24 bytes of data.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                       "shape": (10 ** 10,)})
        zf.writestr("a.npy", header.getvalue() + bytes(24))
    with pytest.raises(InputError, match="does not match") as info:
        limits.load_npz(buf.getvalue(), limits.PROJECT_BYTES, "p.mattn")
    assert "p.mattn" in str(info.value)
    objects = io.BytesIO()
    np.save(objects, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("o.npy", objects.getvalue())
    with pytest.raises(InputError, match="Python objects"):
        limits.load_npz(buf.getvalue(), limits.PROJECT_BYTES, "p.mattn")
    monkeypatch.setenv("METATTN_MAX_PROJECT_MB", "64")
    bomb = zip_bomb_project(tmp_path / "a.npz", "a.npy", 128 * 1024 * 1024)
    with pytest.raises(InputError, match="decompress to more than"):
        limits.load_npz(bomb.read_bytes(), limits.PROJECT_BYTES, "p.mattn")


def test_encrypted_members_are_refused(tmp_path):
    path = tmp_path / "enc.mattn"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.json", b"{}")
    data = bytearray(path.read_bytes())
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # general purpose flag: bit 0 = encrypted
        at = data.find(sig)
        data[at + offset] |= 1
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as zf:
        with pytest.raises(InputError, match="encrypted"):
            limits.check_zip(zf, limits.PROJECT_BYTES, path)


# --------------------------------------------------------------------------- 4./9. special files and text


def _no_hang(fn, seconds: float = 20.0):
    """Run ``fn`` in a thread; fail (instead of hanging the suite) if it does not return in time."""
    box = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{fn} hangs"
    if "error" in box:
        raise box["error"]
    return box.get("value")


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.xml"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("option", ["--model", "--conditions", "--currency-file"])
@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
def test_fifos_and_devices_are_refused_not_read(tmp_path, capsys, fifo, option, special):
    target = fifo if special == "fifo" else Path("/dev/zero")
    args = ["run", "--out", str(tmp_path / "o"), "--quiet", option, str(target)]
    code, _out, err = _no_hang(lambda: run_cli(capsys, *args))
    assert_one_clear_line(code, err, target, "not a regular file")
    assert_nothing_written(tmp_path / "o")


def test_unreadable_model_file_gives_one_line(tmp_path, capsys, monkeypatch, textbook):
    """Hashing no longer reads the file before the error handling (issue 18, class 4)."""
    model = tmp_path / "locked.json"
    cobra.io.save_json_model(textbook, str(model))
    real_open = os.open

    def deny(path, *a, **k):
        if Path(path) == model:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *a, **k)

    monkeypatch.setattr(os, "open", deny)
    code, _out, err = run_cli(capsys, "run", "--model", str(model), "--out", str(tmp_path / "o"), "--quiet")
    assert_one_clear_line(code, err, model, "permission denied")


MODEL_ATTACKS = {
    "deep.json": ("[" * 100_000 + "]" * 100_000, "nested more than 64"),
    "long_number.json": ('{"id": "x", "version": ' + "9" * 5000 + ', "metabolites": [], "reactions": []}',
                         "more than 64 characters"),
}


@pytest.mark.parametrize("name", sorted(MODEL_ATTACKS))
def test_json_depth_and_number_length_in_models(tmp_path, capsys, name):
    text, words = MODEL_ATTACKS[name]
    path = tmp_path / name
    path.write_text(text)
    code, _out, err = run_cli(capsys, "run", "--model", str(path), "--out", str(tmp_path / "o"), "--quiet")
    assert_one_clear_line(code, err, path, words)


def test_lone_surrogate_in_a_model_name(tmp_path, capsys, textbook):
    path = hostile_model(textbook, tmp_path / "m.json", "Pyruvate\ud800")
    code, _out, err = run_cli(capsys, "run", "--model", str(path), "--out", str(tmp_path / "o"), "--quiet")
    assert_one_clear_line(code, err, path, "surrogate", "\\ud800")
    assert_nothing_written(tmp_path / "o")


CONDITION_ATTACKS = {
    "deep.json": ("[" * 100_000 + "]" * 100_000, "nested more than"),
    "long_number.json": ('{"conditions": [{"name": "g", "uptake": {"glc__D_e": ' + "1" * 5000 + "}}]}",
                         "more than 64 characters"),
    "surrogate.json": ('{"conditions": [{"name": "g\\ud800", "preset": "glucose"}]}', "surrogate"),
    "preset_list.json": ('{"conditions": [{"name": "g", "preset": ["glucose"]}]}', "'preset' must be a text"),
    "uptake_object.json": ('{"conditions": [{"name": "g", "uptake": {"glc__D_e": {"a": 1}}}]}', "must hold numbers"),
    "inf.json": ('{"conditions": [{"name": "g", "uptake": {"glc__D_e": 1e309}}]}', "outside the accepted range"),
    "inf.csv": ("condition,exchange,uptake\ng,glc__D_e,inf\n", "outside the accepted range"),
    "huge.csv": ("condition,exchange,uptake\ng,glc__D_e,1e300\n", "outside the accepted range"),
    "big_field.csv": ("condition,exchange,uptake\n\"" + "g" * 200_000 + "\",glc__D_e,5\n", "line 2: field larger"),
    "nul.csv": ("condition,exchange,uptake\ng,glc__D_e,5\x00\n", "is not a number"),
}


@pytest.mark.parametrize("name", sorted(CONDITION_ATTACKS))
def test_hostile_conditions_files(tmp_path, capsys, name):
    text, words = CONDITION_ATTACKS[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    code, _out, err = run_cli(capsys, "run", "--conditions", str(path), "--out", str(tmp_path / "o"), "--quiet")
    assert_one_clear_line(code, err, path, words)
    assert_nothing_written(tmp_path / "o")


def test_run_condition_limit_matches_the_attention_network():
    from core.attention.cross_attention import MAX_CONDITIONS

    assert limits.MAX_RUN_CONDITIONS == MAX_CONDITIONS


def test_too_many_conditions_are_refused_before_fba(tmp_path, capsys, monkeypatch):
    import core.conditions.fba

    def must_not_solve(*_a, **_k):
        raise AssertionError("FBA ran for a run that attention would refuse")

    monkeypatch.setattr(core.conditions.fba, "solve_condition", must_not_solve)
    path = tmp_path / "many.csv"
    path.write_text("condition,exchange,uptake\n" + "".join(f"c{i},glc__D_e,{1 + i % 10}\n" for i in range(10_000)))
    code, _out, err = run_cli(capsys, "run", "--conditions", str(path), "--out", str(tmp_path / "o"), "--quiet")
    assert code == 2 and "10,000 conditions" in err and err.count("\n") == 1


# --------------------------------------------------------------------------- 4. options


@pytest.mark.parametrize("args,words", [
    (["--threads", "-1"], "--threads must be at least 1"),
    (["--seed", "1e23"], "invalid int value"),
    (["--seed", str(10 ** 23)], "--seed must be at most"),
    (["--seed", "-5"], "--seed must be at least 0"),
    (["--layers", "3000"], "--layers must be at most"),
    (["--d-model", str(10 ** 12)], "--d-model must be at most"),
    (["--memory-budget", "inf"], "--memory-budget must be a positive number"),
    (["--memory-budget", "nan"], "--memory-budget must be a positive number"),
    (["--max-input-mb", "-1"], "--max-input-mb must be a positive number"),
    (["--out", ""], "empty folder name"),
])
def test_numeric_and_folder_options_are_checked(tmp_path, capsys, monkeypatch, args, words):
    import core.pipeline

    monkeypatch.setattr(core.pipeline, "run_pipeline", lambda *a, **k: pytest.fail("the run started"))
    base = ["run", "--quiet"] + ([] if "--out" in args else ["--out", str(tmp_path / "o")])
    code, _out, err = run_cli(capsys, *base, *args)
    assert code == 2 and "Traceback" not in err and err.count("\n") == 1 and words in err, err


def test_threads_are_capped_to_the_cpus(tmp_path, capsys, monkeypatch):
    import core.pipeline

    seen = {}

    def stop(*_a, **_k):
        import torch

        seen["threads"] = torch.get_num_threads()
        raise InputError("stopped by the test")

    monkeypatch.setattr(core.pipeline, "run_pipeline", stop)
    before = __import__("torch").get_num_threads()
    try:
        code, _out, err = run_cli(capsys, "run", "--out", str(tmp_path / "o"), "--quiet", "--threads", "100000")
    finally:
        __import__("torch").set_num_threads(before)
    assert code == 2 and "lowered to" in err
    assert seen["threads"] <= (os.cpu_count() or 1)


def test_demo_never_overwrites_an_existing_folder(tmp_path, capsys, monkeypatch):
    import core.pipeline

    monkeypatch.setattr(core.pipeline, "run_pipeline", lambda *a, **k: pytest.fail("the demo ran over user files"))
    out = tmp_path / "mine"
    out.mkdir()
    (out / "report.json").write_text("my own notes")
    code, _out, err = run_cli(capsys, "demo", "--out", str(out), "--model", "textbook")
    assert_one_clear_line(code, err, out / "report.json", "not overwritten")
    assert (out / "report.json").read_text() == "my own notes"
    code, _out, err = run_cli(capsys, "demo", "--out", "")
    assert code == 2 and "empty folder name" in err


# --------------------------------------------------------------------------- 7. memory guard


def test_parameters_count_in_the_sparse_estimate():
    from core.attention.budget import check_sparse, parameter_bytes

    assert parameter_bytes(8, 3000, 64) > 0.5 * GB
    with pytest.raises(InputError, match="over the memory budget of 0.5 GB"):
        check_sparse(200, 1000, 2, 8, 3000, 64, 0.5)
    check_sparse(200, 1000, 2, 8, 2, 64, 0.5)  # the default network fits easily


def test_full_mode_refused_up_front_when_analysis_would_refuse():
    from core.analysis import MAX_WEIGHT_VALUES
    from core.attention.budget import check_full

    n = 4335  # iJO1366 without currency metabolites
    assert 2 * 3 * 8 * n * n > MAX_WEIGHT_VALUES
    with pytest.raises(InputError, match="more than the analysis can take"):
        check_full(n, n, 3, 8, 2, 64, 40.0)
    check_full(n, 10, 3, 8, 2, 64, 40.0)  # a few weight rows are fine


# --------------------------------------------------------------------------- 2./8./9. injection in outputs


HOSTILE_NAME = "Pyruvate\r=cmd|' /C calc'!A0 <img src=x onerror=alert(1)> **big** \x1b[31mred\x1b]0;title\x07"


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory, textbook):
    folder = tmp_path_factory.mktemp("hostile")
    model = hostile_model(textbook, folder / "model.json", HOSTILE_NAME)
    conditions = folder / "conditions.json"
    conditions.write_text(json.dumps({"conditions": [
        {"name": "glc\x1b[2J\nmetattn: all fine", "preset": "glucose"},
        {"name": "=HYPERLINK(\"http://x\")", "preset": "acetate"}]}))
    out = folder / "out"
    import contextlib

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = cli.main(["run", "--model", str(model), "--conditions", str(conditions), "--out", str(out),
                         "--formats", "json,csv", "--quiet"])
    assert code == 0, stderr.getvalue()
    return out, stdout.getvalue() + stderr.getvalue()


def test_csv_fields_with_line_breaks_are_quoted_and_formulas_neutralised(hostile_run):
    out, _ = hostile_run
    text = (out / "node_importance.csv").read_bytes().decode("utf-8")  # no newline translation: the CR stays
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len({len(r) for r in rows}) == 1  # the CR did not start a new row
    names = [r[2] for r in rows[1:]]
    assert any(n.startswith("Pyruvate\r'=cmd") for n in names)
    # A spreadsheet that breaks lines at the bare CR still sees no cell starting with a formula character.
    for line in text.replace("\r", "\n").split("\n"):
        assert not line.startswith(("=", "+", "-", "@")), line
    for cell in (c for r in rows for c in r):
        assert not cell.startswith(("=", "+", "@")), cell


def test_summary_escapes_html_markdown_and_ansi(hostile_run):
    out, _ = hostile_run
    text = (out / "summary.md").read_text(encoding="utf-8")
    assert "\x1b" not in text and "\r" not in text and "\x07" not in text
    assert "<img" not in text and "&lt;img" in text
    assert "**big**" not in text
    assert "\n metattn: all fine" not in text and "\nmetattn: all fine" not in text


def test_terminal_output_is_inert(hostile_run):
    _, printed = hostile_run
    assert "\x1b" not in printed and "\x07" not in printed and "\r" not in printed
    assert not any(line.startswith("metattn: all fine") for line in printed.splitlines())
    assert "glc\\x1b[2J\\nmetattn: all fine" in printed


def test_terminal_safe_and_error_lines():
    from core.cli_progress import terminal_safe

    assert terminal_safe("a\x1b]8;;http://x\x07b\r\nc\u202ed\ud800") == "a\\x1b]8;;http://x\\x07b\\r\\nc\\u202ed\\ud800"
    assert terminal_safe("Glucose é 葡萄糖") == "Glucose é 葡萄糖"


# --------------------------------------------------------------------------- 9. SIGTERM / SIGHUP


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_like_ctrl_c(tmp_path, sig):
    out = tmp_path / "out"
    child = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "run", "--model", "textbook", "--out", str(out),
                              "--formats", "json,png", "--quiet"], cwd=tmp_path, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out.exists() and any(p.suffix == ".json" for p in out.iterdir())):  # writing has begun
        assert child.poll() is None, child.stderr.read()
        assert time.monotonic() < deadline, "the run never started writing"
        time.sleep(0.05)
    child.send_signal(sig)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 128 + sig, err
    assert signal.Signals(sig).name in err and "Traceback" not in err
    left = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert left == [], left  # no files of the interrupted run, no .part
