"""Every wait a user sees (issue 17), measured as a user meets it, printed beside its goal.

Run from the repository root:  python benchmarks/bench_waits.py [--model iJO1366] [--rows cli,demo,open,run,reopen]

Rows (iJO1366 on glucose, acetate and lactose unless --model/--conditions say otherwise):
    cli      `python main.py run ... --out DIR` as a whole process: every export, and --formats json
    demo     `python main.py demo --out DIR` as a whole process
    open     a fresh window (offscreen) opens the bundled model as its first action: with an empty user
             model cache (first open ever) and with the cache the first open wrote
    run      a fresh window opens the model (cached), then Run -> results twice (first Run after launch,
             second Run), then File -> Export everything into an empty folder; it saves a project
    reopen   a fresh window opens that project as its first action, until the results are shown

Window rows drive the real MainWindow under QT_QPA_PLATFORM=offscreen, each in a process of its own
(launched as `python benchmarks/bench_waits.py --window ROW`), so "first action after launch" includes
whatever the launch left unfinished (the compute process still importing). Settings, the data folder
and the model cache live in temporary folders; the user's own are never touched. The load average is
printed beside the figures, and so are the CPU seconds each wait cost (all processes involved): on a
shared machine the wall time can be many times its figure on an idle one, the CPU time hardly changes.
Exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOALS = {  # seconds (issue 17)
    "headless run, every export": 12.0,
    "headless run, --formats json": None,
    "demo (main.py demo)": 12.0,
    "window: open bundled model, first ever (empty user cache)": 6.0,
    "window: open bundled model, cached": None,
    "window: Run -> results, first Run after launch": 6.0,
    "window: Run -> results, second Run": 3.0,
    "window: Export everything": 15.0,
    "window: reopen a saved project": 3.0,
}
ROWS = ("cli", "demo", "open", "run", "reopen")


def load() -> str:
    try:
        return "load average " + " / ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"
    except OSError:
        return "load average unknown"


# --------------------------------------------------------------------------- whole processes


# CPU seconds of each row: a whole process with its workers, or for a window row the window process,
# its figure workers and its compute process during the wait. On a loaded machine the fairer figure.
CPU: dict[str, float] = {}


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(cmd: list[str], env: dict, name: str | None = None) -> float:
    t0, c0 = time.perf_counter(), _children_cpu()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if name:
        CPU[name] = _children_cpu() - c0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return seconds


def cli_rows(args, env: dict, work: Path) -> dict[str, float]:
    base = [sys.executable, "main.py", "run", "--model", args.model, "--conditions", args.conditions, "--quiet"]
    out = {}
    name = "headless run, every export"
    out[name] = _timed(base + ["--out", str(work / "cli-all")], env, name)
    name = "headless run, --formats json"
    out[name] = _timed(base + ["--formats", "json", "--out", str(work / "cli-json")], env, name)
    return out


def demo_row(args, env: dict, work: Path) -> dict[str, float]:
    name = "demo (main.py demo)"
    return {name: _timed([sys.executable, "main.py", "demo", "--model", args.model, "--out", str(work / "demo")],
                         env, name)}


def window_row(row: str, args, env: dict, work: Path, cached: bool = False) -> dict[str, float]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--window", row, "--model", args.model,
           "--conditions", args.conditions, "--work", str(work)] + (["--cached"] if cached else [])
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("WAITS ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"window row {row} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    out = {}
    for name, (wall, cpu) in json.loads(lines[-1][len("WAITS "):]).items():
        out[name] = wall
        CPU[name] = cpu
    return out


# --------------------------------------------------------------------------- inside a window process


def _in_window(row: str, args) -> dict[str, float]:
    """Launch the window as main.py does (offscreen), do ``row``'s actions, return the waits."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(Path(args.work) / "settings"))
    from app import settings as S
    from app.main_window import MainWindow
    from app.worker import close_compute_process, collect_garbage_on_gui_thread

    app = QApplication.instance() or QApplication([])
    app.setOrganizationName(S.ORGANISATION)
    app.setApplicationName(S.APPLICATION)
    collect_garbage_on_gui_thread()
    window = MainWindow(unattended=True)
    window.show()
    app.processEvents()

    def cpu_now() -> float:
        """CPU seconds so far of this process, its finished children (figure workers) and the compute process."""
        import resource

        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        total = time.process_time() + usage.ru_utime + usage.ru_stime
        from app import worker

        proc = getattr(worker._shared, "_process", None)
        try:
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (AttributeError, OSError, ValueError, IndexError, TypeError):
            pass
        return total

    def wait(signal, action, timeout: float = 900.0) -> tuple[float, float]:
        loop = QEventLoop()
        failure: list[str] = []
        signal.connect(lambda *_: loop.quit())
        window.run_failed.connect(lambda msg: (failure.append(msg), loop.quit()))
        QTimer.singleShot(int(timeout * 1000), lambda: (failure.append("timed out"), loop.quit()))
        t0, c0 = time.perf_counter(), cpu_now()
        action()
        loop.exec()
        seconds, cpu = time.perf_counter() - t0, cpu_now() - c0
        signal.disconnect()
        if failure:
            raise RuntimeError(f"{row}: {failure[0]}")
        return seconds, cpu

    conditions = args.conditions.split(",")
    work = Path(args.work)
    out: dict[str, tuple[float, float]] = {}
    try:
        if row == "open":
            key = "window: open bundled model, " + ("cached" if args.cached else "first ever (empty user cache)")
            out[key] = wait(window.model_loaded, lambda: window.open_model(args.model, conditions))
        elif row == "run":
            wait(window.model_loaded, lambda: window.open_model(args.model, conditions))
            out["window: Run -> results, first Run after launch"] = wait(window.results_shown, window.start_run)
            out["window: Run -> results, second Run"] = wait(window.results_shown, window.start_run)
            folder = work / "window-export"
            out["window: Export everything"] = wait(window.export_done, lambda: window.export(str(folder)))
            if not window.save_project(str(work / "bench.mattn")):
                raise RuntimeError("could not save the project")
        elif row == "reopen":
            out["window: reopen a saved project"] = wait(window.results_shown,
                                                         lambda: window.open_project(str(work / "bench.mattn")))
    finally:
        window.closing = True
        window.runner.shutdown()
        window.close()
        close_compute_process()
    return out


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="iJO1366")
    parser.add_argument("--conditions", default="glucose,acetate,lactose")
    parser.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated subset of {','.join(ROWS)}")
    parser.add_argument("--window", choices=("open", "run", "reopen"), help=argparse.SUPPRESS)
    parser.add_argument("--cached", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.window:
        print("WAITS " + json.dumps(_in_window(args.window, args)), flush=True)
        return 0

    rows = [r for r in args.rows.split(",") if r]
    work = Path(tempfile.mkdtemp(prefix="metattn-bench-waits-"))
    cache = work / "model-cache"
    env = {**os.environ, "METATTN_CACHE_DIR": str(cache), "METATTN_DATA_DIR": str(work / "data"),
           "QT_QPA_PLATFORM": "offscreen"}
    print(f"bench_waits: {args.model} on {args.conditions}; {load()} at start")
    figures: dict[str, float] = {}

    class _Figures(dict):
        def update(self, rows):  # each row printed as it lands, in case a long run is stopped
            for name, secs in rows.items():
                print(f"  {name}: {secs:.1f} s wall, {CPU.get(name, float('nan')):.1f} s CPU ({load()})", flush=True)
            super().update(rows)

    figures = _Figures()
    try:
        if "open" in rows:
            figures.update(window_row("open", args, env, work))  # empty cache: the first open ever
            figures.update(window_row("open", args, env, work, cached=True))
        if "cli" in rows:
            figures.update(cli_rows(args, env, work))
        if "demo" in rows:
            figures.update(demo_row(args, env, work))
        if "run" in rows or "reopen" in rows:
            figures.update(window_row("run", args, env, work))
        if "reopen" in rows:
            figures.update(window_row("reopen", args, env, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'wait':<60} {'s':>7} {'goal':>7}          CPU s")
    ok = True
    for name, goal in GOALS.items():
        if name not in figures:
            continue
        secs = figures[name]
        met = goal is None or secs <= goal
        ok &= met
        print(f"{name:<60} {secs:7.1f} {('≤ ' + format(goal, '.0f')) if goal else '-':>7}"
              f"  {'' if goal is None else ('met' if met else 'MISSED'):<6}"
              f"  {format(CPU[name], '.1f') if name in CPU else ''}")
    print(f"({load()} at the end)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
