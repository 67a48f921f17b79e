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
    assert sum(m.startswith("Drew ") for _f, m in calls) == len(pngs)
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
