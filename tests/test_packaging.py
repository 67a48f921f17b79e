"""The packaged executable's recipe and self-test, checked without building it.

The build itself (``pyinstaller build.spec`` + ``dist/metattn/metattn --self-test``) runs in the CI
stage ``.ci/package``; these tests keep its inputs honest on every test run:
- ``python main.py --self-test`` passes from source (same steps the frozen build runs);
- every bundled file the code reads through ``importlib.resources.files(...)`` is matched and
  really collected by build.spec's ``BUNDLED_PACKAGE_DATA``, and nothing reaches ``resources/``
  through ``__file__`` (which breaks in a bundle);
- no module the self-test imports is one build.spec leaves out (``EXCLUDES``).
"""

from __future__ import annotations

import ast
import fnmatch
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "build.spec"
SOURCES = sorted([ROOT / "main.py", *(ROOT / "core").rglob("*.py"), *(ROOT / "app").rglob("*.py")])

# Files that libraries read from their own packages on our behalf.
LIBRARY_READS = [
    ("plotly", "package_data/plotly.min.js"),  # include_plotlyjs=True inlines it into every HTML export
    ("cobra.io", "schema_v1.json"),  # COBRA JSON validation
]


def _spec_constant(name: str):
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"build.spec defines no literal {name}")


def _resource_reads() -> list[tuple[str, str, str]]:
    """(package, path inside it or '' when computed at run time, where) for every files(...) read."""
    reads = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "files"):
                continue
            if not (node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                continue
            parts, up = [], node
            while True:  # files("pkg") / "a" / "b"  or  files("pkg").joinpath("a", "b")
                parent = parents.get(up)
                if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Div) and parent.left is up:
                    parts.append(parent.right)
                    up = parent
                elif isinstance(parent, ast.Attribute) and parent.attr == "joinpath" and \
                        isinstance(parents.get(parent), ast.Call):
                    parts.extend(parents[parent].args)
                    up = parents[parent]
                else:
                    break
            literal = all(isinstance(p, ast.Constant) and isinstance(p.value, str) for p in parts)
            rel = "/".join(p.value for p in parts) if literal else ""
            reads.append((node.args[0].value, rel, f"{path.relative_to(ROOT)}:{node.lineno}"))
    return reads


def _matches(rel: str, patterns: list[str]) -> bool:
    """Glob match as PyInstaller's collect_data_files does it ("**/" = any folders, none included); a
    folder matches when a pattern reaches inside it."""
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(rel, p.replace("**/", "")) or
               p.startswith(rel.rstrip("/") + "/") for p in patterns)


def _bundled_reads() -> list[tuple[str, str, str]]:
    from core.models import BUNDLED

    reads = [r for r in _resource_reads() if r[1]]
    reads += [("cobra.data", f, "core.models.BUNDLED") for f in sorted(set(BUNDLED.values()))]
    reads += [(pkg, rel, "library") for pkg, rel in LIBRARY_READS]
    return reads


def test_every_resource_read_is_declared_in_build_spec():
    declared = _spec_constant("BUNDLED_PACKAGE_DATA")
    reads = _resource_reads()
    assert reads, "found no importlib.resources.files() reads at all; the scanner is broken"
    for package, rel, where in reads:
        assert package in declared, f"{where}: files({package!r}) is not in build.spec's BUNDLED_PACKAGE_DATA"
    for package, rel, where in _bundled_reads():
        assert _matches(rel, declared[package]), \
            f"{where}: {package}/{rel} matches no pattern {declared[package]} in build.spec"


def test_every_resource_read_exists_and_is_collected():
    hooks = pytest.importorskip("PyInstaller.utils.hooks")
    from importlib.resources import files

    declared = _spec_constant("BUNDLED_PACKAGE_DATA")
    collected = {}
    for package, patterns in declared.items():
        collected[package] = {str(Path(dest) / Path(src).name) for src, dest in
                              hooks.collect_data_files(package, includes=patterns)}
    for package, rel, where in _bundled_reads():
        source = Path(str(files(package).joinpath(*rel.split("/"))))
        assert source.exists(), f"{where}: {package}/{rel} does not exist"
        base, root = package.replace(".", "/"), Path(str(files(package)))
        if source.is_file():
            wanted = {f"{base}/{rel}"}
        else:  # a folder (e.g. icons): every data file in it
            wanted = {f"{base}/{p.relative_to(root).as_posix()}" for p in source.rglob("*")
                      if p.is_file() and p.suffix not in (".py", ".pyc")}
        missing = wanted - collected[package]
        assert not missing, f"{where}: build.spec would not collect {sorted(missing)[:3]}"


def test_no_code_reaches_bundled_files_through_dunder_file():
    offenders = []
    for path in SOURCES:
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "__file__" in line and ("resources" in line or "data" in line):
                offenders.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()}")
    assert not offenders, "use importlib.resources.files(...) so the file is found inside the bundle:\n" + \
        "\n".join(offenders)


def test_build_spec_keeps_what_import_torch_needs():
    assert "torch_shm_manager" in _spec_constant("KEEP_TORCH_BIN")
    excludes = _spec_constant("EXCLUDES")
    for needed in ("torch", "cobra", "optlang", "sympy", "PySide6", "pyqtgraph", "plotly", "sklearn", "scipy",
                   "igraph", "networkx", "matplotlib", "safetensors", "pandas", "httpx", "pydantic"):
        assert not any(needed == e or needed.startswith(e + ".") for e in excludes), needed


def test_self_test_passes_from_source(tmp_path):
    """`python main.py --self-test`, unfrozen; -X importtime also lists every module it imported."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_CACHE_HOME=str(tmp_path / "cache"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), METATTN_CACHE_DIR=str(tmp_path / "models"),
               OMP_NUM_THREADS="1", TMPDIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-X", "importtime", "main.py", "--self-test"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    out = proc.stdout
    assert proc.returncode == 0, f"self-test failed:\n{out}\n{proc.stderr[-3000:]}"
    assert "self-test passed" in out
    from app.selftest import STEPS

    lines = [line for line in out.splitlines() if line.startswith("  ok ")]
    assert [line.split(" s  ", 1)[1].split(":")[0] for line in lines] == [name for name, _fn, _needs in STEPS]
    assert all(" s  " in line for line in lines)  # every step prints its time
    assert not list(tmp_path.glob("metattn-selftest-*")), "the temporary folder was not removed after a pass"

    # importtime also lists optional imports that failed (pyarrow, lxml, ...); only installed ones count.
    imported = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    imported = {m for m in imported if importlib.util.find_spec(m.split(".")[0]) is not None}
    assert "torch" in imported and "cobra" in imported and "PySide6.QtWidgets" in imported
    excludes = _spec_constant("EXCLUDES")
    left_out = sorted(m for m in imported if any(m == e or m.startswith(e + ".") for e in excludes))
    assert not left_out, f"the self-test imports modules build.spec excludes from the bundle: {left_out}"


def test_self_test_reports_a_failed_step_and_exits_non_zero(tmp_path, monkeypatch, capsys):
    import app.selftest as st

    def broken(state):
        raise st.CheckFailed("the bundled model is missing")

    steps = [(name, broken if name == "load model" else fn, needs) for name, fn, needs in st.STEPS
             if name in ("bundled data", "load model", "graph")]
    monkeypatch.setattr(st, "STEPS", tuple(steps))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    assert st.self_test() == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "load model: the bundled model is missing" in out
    assert "skip" in out and "graph: needs load model" in out
    assert "self-test FAILED: 1 of 3 steps failed" in out
    assert list(tmp_path.glob("metattn-selftest-*")), "the temporary folder is kept after a failure"
