"""A ``--formats json`` run loads no plotting library (issue 17): matplotlib came in through the export
plan (core.figures) and through igraph, which imports matplotlib.pyplot for plotting this program never
asks of it (core.analysis._common.import_igraph). Checked in a fresh interpreter, where nothing else has
loaded them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
from pathlib import Path
from core.pipeline import RunSettings, run_pipeline
from core.export import write_outputs
result = run_pipeline(RunSettings(model="textbook", conditions=("glucose", "acetate"), weights="none"))
paths = write_outputs(result, Path(sys.argv[1]), ("json",))
assert "igraph" in sys.modules, "the analysis ran igraph's betweenness"
assert result.analysis.centrality.to_dict(), "and has its numbers"
print(sorted(p.name for p in paths))
print("matplotlib" in sys.modules, "core.figures" in sys.modules)
"""


def test_a_json_run_loads_no_matplotlib(tmp_path):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "out")], cwd=ROOT, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    names, loaded = proc.stdout.strip().splitlines()[-2:]
    assert "report.json" in names and ".png" not in names
    assert loaded == "False False"


def test_igraph_still_draws_nothing_but_computes_after_matplotlib_loads():
    script = ("from core.analysis._common import import_igraph\nimport sys\nig = import_igraph()\n"
              "assert 'matplotlib' not in sys.modules\nimport matplotlib.pyplot as plt\n"
              "g = ig.Graph.Famous('Zachary')\nprint(round(sum(g.betweenness()), 6), plt.figure() is not None)")
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["790.0", "True"]
