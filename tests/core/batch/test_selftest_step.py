"""The self-test's batch step (app/selftest.py), run directly: the packaged build runs the same code."""

from __future__ import annotations


def test_self_test_batch_step_runs_a_tiny_local_batch(tmp_path):
    from app.selftest import STEPS, _State, step_batch

    assert ("batch", step_batch, ()) in STEPS
    detail = step_batch(_State(tmp_path))
    assert detail.startswith("worker process ") and "glucose 0.874 1/h" in detail
    assert (tmp_path / "batch" / "growth.csv").is_file() and (tmp_path / "batch" / "manifest.json").is_file()
