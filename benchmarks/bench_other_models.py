"""Models from other sources (issue 13): fail-fast, preset growth on an automatic reconstruction, and a
structure-only run of a large universal model with no exchanges and no objective.

    python benchmarks/bench_other_models.py                       # fail-fast only
    python benchmarks/bench_other_models.py --carveme DIR         # DIR: carveme/data from the carveme wheel

``pip download carveme --no-deps -d /tmp/carveme`` and unzip the wheel to get DIR (CarveMe is not a
dependency; its files are only read here): ``benchmark/models/ecol.xml`` (CarveMe's E. coli, 2,704
reactions), ``generated/universe_gramneg.xml.gz`` and ``generated/bigg_universe.xml.gz`` (25,348
reactions, no exchanges, no objective). Targets: the unknown preset refused in < 3 s before the model
is read; ecol on the glucose preset within 15 % of iJO1366's 0.982 1/h; the universe's structure-only
run within 2 minutes and 3 GB (wall time on a loaded machine: CPU time is printed beside it).
Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IJO1366_GLUCOSE = 0.982


def _cli(*args: str) -> tuple[int, float, float, float, str]:
    """(exit code, wall s, child CPU s, child peak RSS GB, stderr+stdout tail) of ``main.py args``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return proc.returncode, wall, cpu, after.ru_maxrss / 1024 ** 2, (proc.stderr + proc.stdout)[-600:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--carveme", type=Path, help="carveme/data folder from the carveme wheel")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        broken = Path(tmp) / "broken.xml"
        broken.write_text("<sbml>not a model")
        code, wall, _cpu, _rss, text = _cli("run", "--model", str(broken), "--conditions", "glucose,nosuch",
                                            "--out", str(Path(tmp) / "out"))
        hit = code == 2 and "nosuch" in text
        ok &= hit and wall < 3
        print(f"{'glucose,nosuch refused':<40} {wall:6.2f} s  (target < 3 s, before the model is read: {hit})")
        if args.carveme is None:
            return 0 if ok else 1
        from core.conditions import GROWTH_CEILING, preset_condition, solve_condition
        from core.models import load_model

        for rel, target in (("benchmark/models/ecol.xml", IJO1366_GLUCOSE),
                            ("generated/universe_gramneg.xml.gz", None)):
            model = load_model(str(args.carveme / rel), use_cache=False).model
            own = model.slim_optimize()
            cond = preset_condition(model, "glucose")
            growth = solve_condition(model, cond).growth_rate
            line = (f"{rel.rsplit('/', 1)[-1]:<40} glucose preset {growth:.3f} 1/h (model's own medium {own:.3g}; "
                    f"not in the model: {', '.join(cond.unmapped) or '-'})")
            if target is not None:
                within = abs(growth - target) / target
                ok &= within <= 0.15
                line += f"; {100 * within:.1f} % from iJO1366's {target} (target <= 15 %)"
            else:
                line += f"; ceiling {GROWTH_CEILING} 1/h {'exceeded: flagged' if growth > GROWTH_CEILING else 'not exceeded'}"
            print(line)
        code, wall, cpu, rss, text = _cli("run", "--model", str(args.carveme / "generated/bigg_universe.xml.gz"),
                                          "--out", str(Path(tmp) / "universe"), "--quiet", "--formats", "json")
        said = "no exchange reactions" in text and "no objective" in text
        ok &= code == 0 and said and wall < 120 and rss < 3
        print(f"{'bigg_universe structure-only run':<40} {wall:6.1f} s wall, {cpu:.1f} s CPU, {rss:.2f} GB peak "
              f"(targets < 120 s, < 3 GB; exit {code}; one-line reason said: {said})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
