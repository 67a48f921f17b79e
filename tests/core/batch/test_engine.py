"""Batch runs on a real Dask LocalCluster (2 worker processes, one thread each), shared by this module.

Every result is checked against COBRApy's own FBA; one test kills a worker mid-run; one reruns into a
half-finished folder.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal

import numpy as np
import pytest

import main as cli
from core.batch.engine import connect, run_batch
from core.batch.spec import load_spec, plan_batch
from core.batch.store import GROWTH_CSV, MANIFEST, read_results
from core.errors import InputError


@pytest.fixture(scope="module")
def dask_client():
    client, cluster = connect(workers=2)
    client.wait_for_workers(2, timeout=120)
    yield client
    client.close()
    cluster.close()


def _spec(tmp_path, text, name="spec.csv", **overrides):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_spec(path, overrides)


def _direct(model, bounds):
    """COBRApy by hand: status and objective of ``model`` with every boundary reaction set from ``bounds``."""
    with model:
        for rxn in model.boundary:
            rxn.bounds = bounds.get(rxn.id, (0.0, max(rxn.upper_bound, 0.0)))
        value = model.slim_optimize(error_value=float("nan"))
        return model.solver.status, value


def _worker_pids(client):
    return set(client.run(os.getpid).values())


def test_small_spec_on_textbook_matches_direct_cobrapy_fba(tmp_path, dask_client, textbook):
    (tmp_path / "media.csv").write_text("condition,exchange,uptake\nlow glucose,glc__D_e,2\nfructose,EX_fru_e,10\n"
                                        "starving,glc__D_e,0\n", encoding="utf-8")
    spec = _spec(tmp_path, "model,media\ntextbook,glucose\ntextbook,acetate\ntextbook,glucose_anaerobic\n"
                           "textbook,media.csv\ntextbook,random:40:2\n", chunk_size=7,
                 fluxes=["PGI", "Biomass_Ecoli_core"])
    plan = plan_batch(spec)
    out = tmp_path / "OUT"
    summary = run_batch(plan, out, dask_client)
    assert summary.complete and not summary.failed and not summary.stopped
    assert summary.computed == len(plan.chunks) == 7 and summary.media_computed == 46 == plan.media_count
    assert "2 workers" in summary.where

    frame = read_results(out)
    assert len(frame) == 46
    media = {(s, c.name): c for chunk in plan.chunks for s, c in zip(chunk.sources, chunk.media)}
    assert set(zip(frame["source"], frame["medium"])) == set(media)
    statuses = set()
    for row in frame.itertuples():
        status, value = _direct(textbook, media[(row.source, row.medium)].bounds)
        statuses.add(status)
        assert row.status == status and row.model == "textbook" and row.model_id == "e_coli_core"
        if status == "optimal":
            assert row.growth == pytest.approx(value, abs=1e-9)
            assert row.grows == (value > 1e-6)
            assert getattr(row, "_12") == pytest.approx(value, rel=1e-5)  # flux:Biomass_Ecoli_core
        else:
            assert row.growth == 0.0 and not row.grows
    assert statuses == {"optimal", "infeasible"}  # the starving medium and some random ones cannot grow
    glucose = frame[frame["medium"] == "glucose"].iloc[0]
    assert glucose["growth"] == pytest.approx(0.8739, abs=1e-4) and glucose["flux:PGI"] == pytest.approx(4.861, abs=1e-3)

    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["complete"] and manifest["key"] == plan.key and all(c["done"] for c in manifest["chunks"])
    assert "time_limit" in manifest["method"] and manifest["models"][0]["sha256"] == plan.models[0].sha256
    assert manifest["runs"] == [{"model": "textbook", "media": ["glucose", "acetate", "glucose_anaerobic", "media.csv",
                                                                "random:40:2"]}]
    assert manifest["spec"] == str((tmp_path / "spec.csv").resolve())
    growth = (out / GROWTH_CSV).read_text().splitlines()
    assert growth[0] == "model,source,medium,status,growth,grows" and len(growth) == 47


def test_a_killed_worker_loses_no_row_and_duplicates_none(tmp_path, dask_client):
    plan = plan_batch(_spec(tmp_path, "model,media\ntextbook,random:600:5\n", chunk_size=15))
    before = _worker_pids(dask_client)
    killed = []

    def kill_one(chunk, table):
        if not killed:  # after the first chunk: both workers hold queued chunks, one is mid-chunk
            victim = sorted(before)[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    summary = run_batch(plan, tmp_path / "OUT", dask_client, on_chunk=kill_one)
    assert killed and summary.complete and not summary.failed
    assert summary.computed == len(plan.chunks) == 40
    frame = read_results(tmp_path / "OUT")
    assert len(frame) == 600 and frame["medium"].is_unique
    assert sorted(frame["medium"]) == sorted(c.name for chunk in plan.chunks for c in chunk.media)
    assert sorted(frame["chunk"].unique()) == list(range(40))
    dask_client.wait_for_workers(2, timeout=120)
    assert killed[0] not in _worker_pids(dask_client)  # the nanny started a fresh worker process


def test_rerun_into_a_half_finished_folder_computes_only_the_missing_chunks(tmp_path, dask_client):
    plan = plan_batch(_spec(tmp_path, "model,media\ntextbook,random:120:9\ntextbook,glucose\n", chunk_size=11))
    out = tmp_path / "OUT"
    written = []
    first = run_batch(plan, out, dask_client, on_chunk=lambda chunk, table: written.append(chunk.index),
                      should_stop=lambda: len(written) >= 3)
    assert first.stopped and not first.complete and 3 <= first.computed < len(plan.chunks)
    assert not (out / GROWTH_CSV).exists()
    kept = {p.name: p.stat().st_mtime_ns for p in (out / "chunks").glob("*.parquet")}
    assert len(kept) == first.computed

    again = []
    second = run_batch(plan, out, dask_client, on_chunk=lambda chunk, table: again.append(chunk.index))
    assert second.complete and second.skipped == first.computed
    assert sorted(again) == sorted(set(range(len(plan.chunks))) - set(written))
    assert {p.name: p.stat().st_mtime_ns for p in (out / "chunks").glob("*.parquet") if p.name in kept} == kept
    frame = read_results(out)
    assert len(frame) == 121 and frame["medium"].is_unique

    (out / "chunks" / plan.chunks[4].file_name).unlink()  # a lost file is computed again
    third = run_batch(plan, out, dask_client)
    assert third.computed == 1 and third.skipped == len(plan.chunks) - 1 and third.complete
    assert len(read_results(out)) == 121

    other = plan_batch(_spec(tmp_path, "model,media\ntextbook,random:120:9\ntextbook,glucose\n", chunk_size=12))
    with pytest.raises(InputError, match="holds the results of another SPEC"):
        run_batch(other, out, dask_client)


def test_a_chunk_failing_on_a_worker_is_reported_and_the_rest_kept(tmp_path, dask_client):
    plan = plan_batch(_spec(tmp_path, "model,media\ntextbook,random:30:4\n", chunk_size=10))
    broken = dataclasses.replace(plan.chunks[1], source=str(tmp_path / "only_on_my_laptop.xml"))
    plan = dataclasses.replace(plan, chunks=(plan.chunks[0], broken, plan.chunks[2]))
    summary = run_batch(plan, tmp_path / "OUT", dask_client)
    assert [i for i, _ in summary.failed] == [1] and "only_on_my_laptop.xml: file not found" in summary.failed[0][1]
    assert summary.computed == 2 and not summary.complete
    assert len(read_results(tmp_path / "OUT")) == 20


def test_cli_batch_runs_and_reruns(tmp_path, capsys):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"models": ["textbook"], "media": ["glucose", "succinate"]}), encoding="utf-8")
    out = tmp_path / "OUT"
    assert cli.main(["batch", str(spec), "--out", str(out), "--workers", "1", "-q"]) == 0
    text = capsys.readouterr().out
    assert "1 model(s), 2 media in 1 chunks" in text and "local cluster, 1 workers" in text
    growth = (out / GROWTH_CSV).read_text().splitlines()
    assert growth[1].startswith("textbook,glucose,glucose,optimal,0.8739")
    assert cli.main(["batch", str(spec), "--out", str(out), "-q"]) == 0
    assert "Nothing to do" in capsys.readouterr().out
    np.testing.assert_allclose(read_results(out)["growth"], [0.8739, 0.3976], atol=1e-4)


def test_solve_chunks_returns_tables_in_chunk_order_and_stops_on_request(dask_client, textbook):
    from core.batch.engine import solve_chunks
    from core.batch.work import WorkOptions, simulate_media
    from core.errors import Cancelled
    from core.training.media import sample_media

    media = sample_media(textbook, 50, seed=11)
    chunks = [media[i:i + 8] for i in range(0, 50, 8)]
    options = WorkOptions(flux_ids=("PGI",))
    tables = solve_chunks("textbook", chunks, options, client=dask_client)
    assert [t.names for t in tables] == [tuple(c.name for c in part) for part in chunks]
    direct = simulate_media(textbook, media, options)
    np.testing.assert_allclose(np.concatenate([t.growth for t in tables]), direct.growth, atol=1e-9)
    assert sum(t.status.count("optimal") for t in tables) == direct.status.count("optimal")
    with pytest.raises(Cancelled):
        solve_chunks("textbook", chunks, options, client=dask_client, should_stop=lambda: True)


def test_cli_batch_on_an_existing_scheduler(tmp_path, dask_client, capsys):
    spec = tmp_path / "spec.csv"
    spec.write_text("model,media\ntextbook,glucose\ntextbook,random:12:3\n", encoding="utf-8")
    address = dask_client.scheduler.address
    assert cli.main(["batch", str(spec), "--out", str(tmp_path / "OUT"), "--scheduler", address, "-q",
                     "--chunk-size", "5"]) == 0
    assert f"Ran on scheduler {address}, 2 workers" in capsys.readouterr().out
    assert len(read_results(tmp_path / "OUT")) == 13
    assert cli.main(["batch", str(spec), "--out", str(tmp_path / "OUT2"), "--scheduler", address,
                     "--workers", "2"]) == 2
    assert "--workers sizes a local cluster" in capsys.readouterr().err


def test_weights_columns_round_trip_through_the_cluster(tmp_path, dask_client, textbook):
    """Importances computed on the workers land in the folder as the unit of work returns them."""
    from core.batch.importance import IMPORTANCE_PREFIX, PATHWAY_PREFIX
    from core.batch.work import run_chunk
    from core.training.weights import weights_dir

    weights = weights_dir() / "e_coli_core.safetensors"
    spec = _spec(tmp_path, "model,media\ntextbook,glucose\ntextbook,acetate\ntextbook,random:5:4\n", chunk_size=3,
                 weights=str(weights), importance=["PGI", "glc__D_e", "ac_e"], top_nodes=3, pathway_importance=True)
    plan = plan_batch(spec)
    out = tmp_path / "OUT"
    summary = run_batch(plan, out, dask_client)
    assert summary.complete and not summary.failed and summary.computed == 3
    frame = read_results(out)
    assert len(frame) == 7 and list(frame["medium"][:2]) == ["glucose", "acetate"]
    direct = run_chunk("textbook", [c for chunk in plan.chunks for c in chunk.media], plan.chunks[0].options)
    expected = direct.to_frame()
    columns = ["predicted_growth", "predicted_grows_probability", "top_importance:1", "top_importance:3"] + \
        [IMPORTANCE_PREFIX + n for n in ("PGI", "glc__D_e", "ac_e")] + \
        [c for c in expected.columns if c.startswith(PATHWAY_PREFIX)]
    np.testing.assert_allclose(frame[columns].to_numpy(), expected[columns].to_numpy(), rtol=1e-5, atol=1e-7)
    assert list(frame["top_node:1"]) == list(expected["top_node:1"])
    np.testing.assert_allclose(frame["growth"], expected["growth"], atol=1e-9)
    assert frame["predicted_growth"].iloc[0] == pytest.approx(0.845, abs=2e-3)
    growth = (out / GROWTH_CSV).read_text().splitlines()
    assert growth[0] == "model,source,medium,status,growth,grows,predicted_growth" and len(growth) == 8
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["models"][0]["weights"] == "shipped:e_coli_core.safetensors"
    assert manifest["models"][0]["weights_sha256"]
    assert manifest["options"]["weights"] == str(weights.resolve()) and "predicted_growth" in manifest["method"]
