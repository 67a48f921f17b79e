"""``metattn --self-test``: check an installation end to end, frozen (PyInstaller) or from source.

:func:`self_test` runs these steps and prints one line per step with its time:

    window           the main window opens offscreen and paints (with the time since launch: the
                     start-up time to a window)
    bundled data     presets, currency list, reference pathways, icons, COBRApy's models and schema
                     and plotly.js are found through importlib.resources (inside the bundle when frozen)
    load model       the bundled textbook model (E. coli core) is parsed from its SBML file, no cache
    graph            metabolite/reaction graph, currency metabolites removed
    FBA              glucose and acetate media both grow
    attention        graph attention over both conditions; weights and importance are normalised
    analysis         every analysis runs and its report is JSON-ready
    exports          every export format is written to a temporary folder and each file is checked
    batch            a tiny `metattn batch` (textbook, glucose and acetate) on a one-process Dask
                     LocalCluster: the worker process starts (frozen: the executable itself), writes
                     Parquet and grows as FBA does
    window results   the window shows the results in every pane and renders them to a PNG
    compute process  the window's background compute process starts and answers
    close window     the window closes, its background tasks stop

It returns 0 only if every step passed; otherwise 1, after naming each failed step and its
reason (a step that needs a failed one is skipped, not run). The temporary folder is removed on
success and kept (and named) on failure. The user's settings and model cache are not touched.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Callable, TextIO

SELFTEST_MODEL = "textbook"
SELFTEST_CONDITIONS = ("glucose", "acetate")
TEXTBOOK_REACTIONS = 95
WINDOW_TIMEOUT_S = 30.0
TASKS_TIMEOUT_S = 120.0

_IMPORTED_AT = time.perf_counter()


class CheckFailed(Exception):
    """A step ran but its result was wrong; the message says what was expected."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def seconds_since_launch() -> float:
    """Seconds since this process started (Linux: from /proc; elsewhere: since this module loaded)."""
    try:
        start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):
        return time.perf_counter() - _IMPORTED_AT


def _frozen_root() -> Path | None:
    root = getattr(sys, "_MEIPASS", None) if getattr(sys, "frozen", False) else None
    return Path(root).resolve() if root else None


def _inside_bundle(path: Path) -> bool:
    """True when not frozen, or when ``path`` lies inside the bundle (not a stray system install)."""
    root = _frozen_root()
    return root is None or Path(path).resolve().is_relative_to(root)


@dataclass
class _State:
    tmp: Path
    values: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- steps


def step_bundled_data(st: _State) -> str:
    from core.conditions import load_presets
    from core.graph import default_currency_ids, reference_subsystems
    from core.models import BUNDLED

    presets = load_presets()
    _check(all(c in presets for c in SELFTEST_CONDITIONS), f"presets.json lacks {SELFTEST_CONDITIONS}")
    currency = default_currency_ids()
    _check(len(currency) > 10 and "h2o" in currency, "currency_metabolites.txt is missing or empty")
    _check(len(reference_subsystems()) > 50, "reference_subsystems.json is missing or nearly empty")
    found = []
    for package, name in [("resources", "presets.json"), ("resources", "icons"),
                          ("cobra.io", "schema_v1.json"), ("plotly", "package_data/plotly.min.js")] + \
            [("cobra.data", f) for f in sorted(set(BUNDLED.values()))]:
        path = Path(str(files(package).joinpath(*name.split("/"))))
        _check(path.exists(), f"{package}/{name} is missing from the installation")
        _check(_inside_bundle(path), f"{package}/{name} was found outside the bundle ({path})")
        found.append(name)
    where = f"inside {_frozen_root()}" if _frozen_root() else "from the source tree"
    return f"{len(found) + 3} resources {where}"


def _qapp():
    if "PySide6.QtWidgets" not in sys.modules or sys.modules["PySide6.QtWidgets"].QApplication.instance() is None:
        # The self-test never needs a screen; offscreen also works on a headless CI machine.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    from app.launch import _create_application

    app = QApplication.instance() or _create_application()
    return app


def _process_events_until(app, done: Callable[[], bool], timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while not done():
        if time.perf_counter() > deadline:
            return False
        app.processEvents()
        time.sleep(0.01)
    app.processEvents()
    return True


def step_window(st: _State) -> str:
    app = _qapp()
    from PySide6.QtCore import QSettings

    from app.main_window import MainWindow

    # Settings in the temporary folder: the self-test must not change the user's window layout.
    settings = QSettings(str(st.tmp / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, unattended=True)  # asks nothing, leaves a crashed session's autosave
    st.values["app"], st.values["window"] = app, window  # so a failure below still closes it
    window.resize(1400, 900)
    window.show()
    exposed = _process_events_until(
        app, lambda: window.windowHandle() is not None and window.windowHandle().isExposed(), WINDOW_TIMEOUT_S)
    _check(exposed, f"the window was not shown within {WINDOW_TIMEOUT_S:.0f} s")
    image = window.grab()
    _check(not image.isNull() and image.width() > 100, "the window did not paint")
    return f"{app.platformName()} platform, shown {seconds_since_launch():.1f} s after launch"


def step_load_model(st: _State) -> str:
    from core.models import BUNDLED, load_model

    path = Path(str(files("cobra.data") / BUNDLED[SELFTEST_MODEL]))
    _check(_inside_bundle(path), f"the bundled model resolves outside the bundle ({path})")
    loaded = load_model(SELFTEST_MODEL, use_cache=False)  # parse the SBML file itself
    n = len(loaded.model.reactions)
    _check(n == TEXTBOOK_REACTIONS, f"textbook has {n} reactions, expected {TEXTBOOK_REACTIONS}")
    st.values["loaded"] = loaded
    return f"{SELFTEST_MODEL}: {n} reactions, {len(loaded.model.metabolites)} metabolites ({loaded.format})"


def step_graph(st: _State) -> str:
    from core.graph import build_graph, remove_currency

    full = build_graph(st.values["loaded"].model)
    graph = remove_currency(full)
    _check(0 < graph.n_nodes < full.n_nodes, "removing currency metabolites did not shrink the graph")
    _check(graph.edge_index.shape[0] == 2 and graph.n_edges > 0, "the graph has no edges")
    st.values["full"], st.values["graph"] = full, graph
    return f"{graph.n_nodes} nodes, {graph.n_edges} edges ({full.n_nodes - graph.n_nodes} currency nodes removed)"


def step_fba(st: _State) -> str:
    from core.conditions import resolve_conditions, solve_conditions

    model = st.values["loaded"].model
    results = solve_conditions(model, resolve_conditions(model, list(SELFTEST_CONDITIONS)))
    rates = {r.name: r.growth_rate for r in results}
    for r in results:
        _check(r.grows, f"no growth on {r.name}: {r.status_text()}")
    glucose = rates["glucose"]
    # E. coli core on 10 mmol/gDW/h glucose, aerobic: 0.874 1/h (the COBRApy textbook value).
    _check(0.80 < glucose < 0.95, f"glucose growth {glucose:.4f} 1/h, expected about 0.874")
    _check(rates["acetate"] < glucose, "acetate should support slower growth than glucose")
    st.values["conditions"] = tuple(results)
    return ", ".join(f"{name} {rate:.3f} 1/h" for name, rate in rates.items())


def step_attention(st: _State) -> str:
    import numpy as np

    from core.attention import run_attention
    from core.attention.result import AttentionConfig

    graph, conds = st.values["graph"], st.values["conditions"]
    att = run_attention(graph, conds, AttentionConfig())
    c, n = len(conds), graph.n_nodes
    _check(att.importance.shape == (c, n), f"importance has shape {att.importance.shape}, expected {(c, n)}")
    _check(bool(np.isfinite(att.self_attention).all()), "attention weights contain NaN or infinity")
    _check(np.allclose(att.importance.sum(axis=1), 1.0, atol=1e-4), "importance rows do not sum to 1")
    sums = np.zeros((att.n_nodes,) + att.self_attention.shape[:2] + att.self_attention.shape[3:], np.float64)
    np.add.at(sums, att.edge_index[1], np.moveaxis(att.self_attention, 2, 0))  # [N, L, C, H]
    _check(np.allclose(sums, 1.0, atol=1e-3), "attention weights into a node do not sum to 1")
    st.values["attention"] = att
    return f"{att.n_layers} layers x {att.n_heads} heads over {att.n_edges} edges, {c} conditions"


def step_analysis(st: _State) -> str:
    from core.analysis import analyse
    from core.report import dumps, to_jsonable

    report = analyse(st.values["graph"], st.values["conditions"], st.values["attention"], top_k=10)
    text = dumps(to_jsonable(report.to_dict()))
    _check(len(json.loads(text)) > 5, "the analysis report is empty")
    st.values["analysis"] = report
    return f"{len(report.to_dict())} analyses, report {len(text) // 1024} KB"


def _run_result(st: _State):
    from core.attention.result import AttentionConfig
    from core.pipeline import RunResult, RunSettings

    v = st.values
    settings = RunSettings(model=SELFTEST_MODEL, conditions=SELFTEST_CONDITIONS, attention=AttentionConfig(),
                           top_k=10, use_cache=False)
    return RunResult(settings, v["loaded"], v["graph"], v["full"].counts(), v["conditions"], v["attention"],
                     v["analysis"], {})


def _check_file(path: Path) -> None:
    _check(path.is_file() and path.stat().st_size > 0, f"{path.name} is missing or empty")
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".png":
        _check(data.startswith(b"\x89PNG\r\n\x1a\n"), f"{path.name} is not a PNG image")
    elif suffix == ".html":
        # Self-contained: plotly.js itself is inline (several MB), not fetched from a CDN.
        _check(len(data) > 1_000_000 and b"plotly.js v" in data[:5_000_000], f"{path.name} lacks inline plotly.js")
    elif suffix == ".json":
        json.loads(data.decode("utf-8"))
    elif suffix == ".graphml":
        import networkx as nx

        g = nx.read_graphml(path)
        _check(g.number_of_nodes() > 0, f"{path.name} holds no nodes")
    elif suffix == ".csv":
        _check(data.count(b"\n") > 1, f"{path.name} has no data rows")
    elif suffix == ".npz":
        import numpy as np

        with np.load(path) as npz:
            _check(len(npz.files) > 0, f"{path.name} holds no arrays")


def step_exports(st: _State) -> str:
    from core.export import ALL_FORMATS, plan_outputs, write_outputs

    result = _run_result(st)
    st.values["result"] = result
    out = st.tmp / "exports"
    paths = write_outputs(result, out, ALL_FORMATS)
    expected = {f.name for f in plan_outputs(result, ALL_FORMATS)}
    _check({p.name for p in paths} == expected, "write_outputs did not write the planned files")
    for fmt in ALL_FORMATS:
        _check(any(f.format == fmt for f in plan_outputs(result, (fmt,))), f"no file planned for format {fmt}")
    for path in paths:
        _check_file(path)
    leftovers = [p.name for p in out.iterdir() if p.name.endswith(".part")]
    _check(not leftovers, f"temporary files left behind: {leftovers}")
    size = sum(p.stat().st_size for p in paths)
    return f"{len(paths)} files in {len(ALL_FORMATS)} formats ({', '.join(ALL_FORMATS)}), {size / 1e6:.1f} MB"


def step_batch(st: _State) -> str:
    from core.batch.engine import connect, run_batch
    from core.batch.spec import load_spec, plan_batch
    from core.batch.store import read_results

    spec = st.tmp / "batch_spec.csv"
    spec.write_text("model,media\n" + "".join(f"{SELFTEST_MODEL},{c}\n" for c in SELFTEST_CONDITIONS), encoding="utf-8")
    plan = plan_batch(load_spec(spec))
    client, cluster = connect(workers=1)
    try:
        summary = run_batch(plan, st.tmp / "batch", client, cluster)
        pids = set(client.run(os.getpid).values())
    finally:
        client.close()
        cluster.close()
    _check(not summary.failed, f"a batch chunk failed on the worker: {summary.failed[:1]}")
    _check(summary.complete and summary.media_computed == len(SELFTEST_CONDITIONS), "the batch did not finish")
    _check(len(pids) == 1 and os.getpid() not in pids, "the batch worker ran in this process, not its own")
    frame = read_results(st.tmp / "batch")
    growth = dict(zip(frame["medium"], frame["growth"]))
    _check(0.80 < growth.get("glucose", 0.0) < 0.95, f"batch glucose growth {growth.get('glucose')}, expected ~0.874")
    _check(0.0 < growth.get("acetate", 0.0) < growth["glucose"], "batch acetate growth is not below glucose")
    return (f"worker process {pids.pop()}: glucose {growth['glucose']:.3f} 1/h, acetate {growth['acetate']:.3f} 1/h "
            f"in {summary.seconds:.1f} s")


def step_window_results(st: _State) -> str:
    app, window = st.values["app"], st.values["window"]
    window.show_result(st.values["result"])
    settled = _process_events_until(app, lambda: window.runner.active_threads() == 0, TASKS_TIMEOUT_S)
    _check(settled, f"the panes' background tasks did not finish within {TASKS_TIMEOUT_S:.0f} s")
    shot = st.tmp / "window.png"
    _check(window.grab().save(str(shot)), "the window could not be rendered to a PNG")
    _check(shot.stat().st_size > 10_000, "the window rendered as an empty image")
    return f"every pane shows the run; window rendered to a {shot.stat().st_size // 1024} KB PNG"


def step_compute_process(st: _State) -> str:
    from app.worker import compute_process

    # The window started this child process (spawn) when it opened; in the packaged build the child
    # is the executable itself, so this checks that it starts as a worker and not as a second window.
    answer = compute_process().call(compute_probe)
    _check(answer["pid"] != os.getpid(), "the compute job ran in the window's own process")
    _check(answer["presets"] == _preset_names(), "the compute process answered with something else")
    _check(answer["frozen"] == bool(getattr(sys, "frozen", False)), "the compute process runs another Python")
    return f"process {answer['pid']} answered (torch {answer['torch']})"


def _preset_names() -> list[str]:
    from core.conditions import preset_names

    return list(preset_names())


def compute_probe(progress=None, should_stop=None) -> dict:
    """Runs inside the compute process: who it is and whether torch and the presets load there."""
    import torch

    return {"pid": os.getpid(), "frozen": bool(getattr(sys, "frozen", False)), "torch": torch.__version__,
            "presets": _preset_names()}


def step_close_window(st: _State) -> str:
    from app.worker import close_compute_process

    app, window = st.values.pop("app"), st.values.pop("window")
    _check(window.close(), "the window refused to close")
    _process_events_until(app, lambda: window.runner.active_threads() == 0, 10.0)
    _check(window.runner.active_threads() == 0, "background threads still running after close")
    close_compute_process()
    window.deleteLater()
    app.processEvents()
    return "closed, background tasks stopped"


def _close_quietly(st: _State) -> None:
    """After a failed step: close the window and stop the compute process it may have started."""
    window = st.values.pop("window", None)
    try:
        if window is not None:
            window.close()
        if "app.worker" in sys.modules:
            sys.modules["app.worker"].close_compute_process()
    except Exception:  # noqa: BLE001 - already failing; the summary says why
        pass


STEPS: tuple[tuple[str, Callable[[_State], str], tuple[str, ...]], ...] = (
    ("window", step_window, ()),
    ("bundled data", step_bundled_data, ()),
    ("load model", step_load_model, ()),
    ("graph", step_graph, ("load model",)),
    ("FBA", step_fba, ("load model",)),
    ("attention", step_attention, ("graph", "FBA")),
    ("analysis", step_analysis, ("attention",)),
    ("exports", step_exports, ("analysis",)),
    ("batch", step_batch, ()),
    ("window results", step_window_results, ("window", "exports")),
    ("compute process", step_compute_process, ("window",)),
    ("close window", step_close_window, ("window",)),
)


def self_test(stream: TextIO | None = None) -> int:
    """Run every step; 0 if all passed, 1 otherwise (each failure named with its reason)."""
    out = stream or sys.stdout

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    frozen = _frozen_root()
    say(f"metattn self-test ({'packaged build in ' + str(frozen) if frozen else 'from source'}, "
        f"Python {sys.version.split()[0]})")
    tmp = Path(tempfile.mkdtemp(prefix="metattn-selftest-"))
    state = _State(tmp)
    passed: set[str] = set()
    failures: list[str] = []
    t_all = time.perf_counter()
    try:
        for name, fn, needs in STEPS:
            missing = [n for n in needs if n not in passed]
            if missing:
                say(f"  skip   {'':>7}  {name}: needs {', '.join(missing)}")
                continue
            t0 = time.perf_counter()
            try:
                detail = fn(state)
            except Exception as exc:  # noqa: BLE001 - every failure is reported, then the next step runs
                dt = time.perf_counter() - t0
                reason = str(exc) if isinstance(exc, CheckFailed) else f"{type(exc).__name__}: {exc}"
                say(f"  FAIL {dt:7.2f} s  {name}: {reason}")
                if not isinstance(exc, CheckFailed):
                    print(traceback.format_exc(), file=sys.stderr, flush=True)
                failures.append(f"{name} ({reason})")
                continue
            say(f"  ok   {time.perf_counter() - t0:7.2f} s  {name}: {detail}")
            passed.add(name)
    finally:
        _close_quietly(state)
    total = time.perf_counter() - t_all
    if failures:
        say(f"self-test FAILED: {len(failures)} of {len(STEPS)} steps failed in {total:.1f} s: "
            + "; ".join(failures))
        say(f"(files from this self-test kept in {tmp})")
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    say(f"self-test passed: {len(STEPS)} steps in {total:.1f} s")
    return 0
