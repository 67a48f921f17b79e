"""PNG figures drawn in worker processes (core.export_workers, issue 17): the same files, byte for
byte, as drawn in the calling process; a stop or a failure still leaves nothing behind."""

from __future__ import annotations

import pytest

from core.errors import Cancelled, InputError
from core.export import plan_outputs, write_outputs
from core.export_workers import PARALLEL_MIN_NODES, default_workers
from core.pipeline import RunSettings, run_pipeline


@pytest.fixture(scope="module")
def result():
    return run_pipeline(RunSettings(model="textbook", conditions=("glucose", "acetate"), weights="none"))


def test_figures_drawn_in_workers_are_the_same_files(result, tmp_path):
    here = write_outputs(result, tmp_path / "here", workers=0)
    timings: dict = {}
    calls = []
    there = write_outputs(result, tmp_path / "there", workers=2, timings=timings,
                          progress=lambda f, m: calls.append((f, m)))
    assert [p.name for p in there] == [p.name for p in here] == [f.name for f in plan_outputs(result)]
    pngs = [p.name for p in here if p.suffix == ".png"]
    assert len(pngs) >= 10
    for name in pngs:
        assert (tmp_path / "there" / name).read_bytes() == (tmp_path / "here" / name).read_bytes(), name
    assert set(timings) == {p.name for p in there}
    fractions = [f for f, _m in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    # Each figure drawn by a worker, or here once no worker had started it (the caller takes over).
    drew = [m.removeprefix("Drew ") for _f, m in calls if m.startswith("Drew ")]
    wrote = [m.removeprefix("Writing ") for _f, m in calls if m.startswith("Writing ")]
    assert drew and sorted(drew + [n for n in wrote if n.endswith(".png")]) == sorted(pngs)
    assert not list((tmp_path / "there").glob("*.part")) and not list((tmp_path / "there").glob(".*"))


def test_a_stop_while_workers_draw_leaves_nothing(result, tmp_path):
    checks = []

    def should_stop():
        checks.append(1)
        return len(checks) > 5  # after a few data files, while figures are being drawn

    with pytest.raises(Cancelled):
        write_outputs(result, tmp_path, should_stop=should_stop, workers=2)
    assert [p.name for p in tmp_path.iterdir()] == []


def test_a_failing_write_in_a_worker_is_raised_and_rolled_back(result, tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    (tmp_path / "growth.png").mkdir()  # a folder where a figure goes: the worker cannot replace it
    with pytest.raises((InputError, OSError)):
        write_outputs(result, tmp_path, formats=("png", "json"), workers=2, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["growth.png", "notes.txt"]


def test_workers_only_for_genome_scale_runs(result):
    assert default_workers(result, 12) == 0  # textbook: 100-odd nodes
    assert PARALLEL_MIN_NODES <= 4388  # iJO1366 gets workers on a machine with several cores


# --------------------------------------------------------------------------- forked and early workers


@pytest.fixture
def forkable(monkeypatch):
    """Forking is what the command line does; under pytest Qt may be loaded (never started) and earlier
    tests leave threads behind (the whole suite: a compute process's reader, Qt's pool), so the check
    is narrowed to Linux: these tests fork whatever else runs (they did not when run after the GUI tests,
    and failed there)."""
    import sys

    import core.export_workers as W

    if not sys.platform.startswith("linux"):
        pytest.skip("workers are forked only on Linux")
    monkeypatch.setattr(W, "fork_available", lambda: True)


def test_analysis_free_files_are_the_same_without_the_analysis(result, tmp_path):
    """What EarlyOutputs writes from the run before its analysis is the file of the finished run."""
    from dataclasses import replace

    partial = replace(result, analysis=None)
    free = [f for f in plan_outputs(result) if f.analysis_free]
    assert {"growth.png", "weights_per_head.png", "graph.graphml", "attention.npz"} <= {f.name for f in free}
    assert not any(f.name.startswith(("pathway_heatmap_", "importance_vs_")) or f.name == "summary.md" for f in free)
    early = {f.name: f for f in plan_outputs(partial) if f.analysis_free}
    assert set(early) == {f.name for f in free}
    for item in free:
        item.write(tmp_path / f"full-{item.name}", True)
        early[item.name].write(tmp_path / f"early-{item.name}", True)
        assert (tmp_path / f"early-{item.name}").read_bytes() == (tmp_path / f"full-{item.name}").read_bytes(), item.name


def test_early_outputs_start_after_attention_and_give_the_same_files(result, tmp_path, forkable):
    from core.export import ALL_FORMATS
    from core.export_workers import EarlyOutputs

    here = write_outputs(result, tmp_path / "here", workers=0)
    with EarlyOutputs(tmp_path / "early", ALL_FORMATS, workers=1) as early:
        seen = []
        again = run_pipeline(RunSettings(model="textbook", conditions=("glucose", "acetate"), weights="none"),
                             attention_ready=lambda partial: (seen.append(partial.analysis), early.start(partial)))
        assert seen == [None]
        assert early.fork and {"growth.png", "graph.graphml", "weights_per_head.png"} <= set(early.futures)
        assert not any(name.startswith("pathway_heatmap_") for name in early.futures)
        paths = write_outputs(again, tmp_path / "early", early=early, workers=1)
    assert [p.name for p in paths] == [p.name for p in here]
    for p in here:
        if p.suffix in (".png", ".graphml"):
            assert (tmp_path / "early" / p.name).read_bytes() == p.read_bytes(), p.name
    assert not list((tmp_path / "early").glob("*.part")) and not list((tmp_path / "early").glob(".*"))


def test_a_failure_after_the_early_start_leaves_nothing(result, tmp_path, forkable):
    from dataclasses import replace

    from core.export import ALL_FORMATS
    from core.export_workers import EarlyOutputs

    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(RuntimeError, match="analysis failed"):
        with EarlyOutputs(tmp_path, ALL_FORMATS, workers=1) as early:
            early.start(replace(result, analysis=None))
            assert early.futures
            raise RuntimeError("analysis failed")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_early_outputs_never_start_over_existing_files(result, tmp_path, forkable):
    from dataclasses import replace

    from core.export import ALL_FORMATS
    from core.export_workers import EarlyOutputs

    (tmp_path / "growth.png").write_bytes(b"an earlier run's")
    with EarlyOutputs(tmp_path, ALL_FORMATS, workers=1) as early:
        early.start(replace(result, analysis=None))
        assert early.futures == {}
        with pytest.raises(InputError, match="growth.png"):
            write_outputs(result, tmp_path, early=early, workers=0)
    assert [p.name for p in tmp_path.iterdir()] == ["growth.png"]
    assert (tmp_path / "growth.png").read_bytes() == b"an earlier run's"


def test_forked_workers_write_the_same_files(result, tmp_path, forkable):
    from core.export_workers import FigureWorkers

    here = write_outputs(result, tmp_path / "here", formats=("png",), workers=0)
    (tmp_path / "there").mkdir()
    with FigureWorkers(result, 2, fork=True) as pool:
        futures = [pool.submit(p.name, tmp_path / "there" / p.name, False) for p in here]
        assert all(f.result() >= 0 for f in futures)
    for p in here:
        assert (tmp_path / "there" / p.name).read_bytes() == p.read_bytes(), p.name


def test_spawned_workers_draw_every_figure_themselves(result, tmp_path, monkeypatch):
    """In the window (workers spawned) the calling thread never draws: it would hold the interpreter
    lock the event loop needs."""
    import core.export_workers as W

    monkeypatch.setattr(W, "fork_available", lambda: False)
    calls = []
    paths = write_outputs(result, tmp_path, formats=("png", "json"), workers=2, progress=lambda f, m: calls.append(m))
    pngs = sorted(p.name for p in paths if p.suffix == ".png")
    assert sorted(m.removeprefix("Drew ") for m in calls if m.startswith("Drew ")) == pngs
    assert not any(m.startswith("Writing ") and m.endswith(".png") for m in calls)
