"""The layering rules, checked by import-linter: core never imports Qt or app/, and core's own tiers
(attention and analysis below the pipeline, the outputs, training and batch)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    proc = subprocess.run([exe, "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Contracts: 4 kept, 0 broken" in proc.stdout


def test_core_sources_do_not_name_qt():
    offenders = [p for p in (ROOT / "core").rglob("*.py")
                 if any(line.lstrip().startswith(("import PySide6", "from PySide6", "import pyqtgraph",
                                                  "from pyqtgraph", "from app", "import app"))
                        for line in p.read_text(encoding="utf-8").splitlines())]
    assert offenders == []
