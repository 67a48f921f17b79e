"""Batch SPEC files: parsing, planning into chunks, and bad SPECs refused in one line before any work."""

from __future__ import annotations

import json

import pytest

import main as cli
from core.batch import engine
from core.batch.spec import load_spec, plan_batch
from core.errors import InputError


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_spec_groups_media_by_model_and_resolves_paths(tmp_path):
    _write(tmp_path / "media.csv", "condition,exchange,uptake\nlow glucose,glc__D_e,2\nfructose,EX_fru_e,10\n")
    spec = load_spec(_write(tmp_path / "spec.csv",
                            "model,media\n# a comment line\ntextbook,glucose\ntextbook,media.csv\n"
                            "e_coli_core,random:25:7\ntextbook,random 12\n"))
    assert [r.model for r in spec.runs] == ["textbook", "e_coli_core"]
    textbook = spec.runs[0]
    assert textbook.source == "textbook" and textbook.where == "line 3"
    assert [(m.kind, m.label) for m in textbook.media] == [("preset", "glucose"), ("file", "media.csv"),
                                                           ("random", "random:12:0")]
    assert textbook.media[1].value == str((tmp_path / "media.csv").resolve())
    assert spec.runs[1].media[0].k == 25 and spec.runs[1].media[0].seed == 7
    assert spec.chunk_size == 200 and spec.options.flux_ids == () and not spec.options.pfba


def test_json_spec_crosses_models_and_media_and_reads_options(tmp_path):
    spec = load_spec(_write(tmp_path / "spec.json", json.dumps({
        "models": ["textbook"], "media": ["glucose", "acetate"],
        "runs": [{"model": "e_coli_core", "media": [{"random": 5, "seed": 3}, {"preset": "succinate"}]}],
        "pfba": True, "fluxes": ["PGI"], "chunk_size": 3, "time_limit": 1})), overrides={"chunk_size": 4})
    assert [(r.model, [m.label for m in r.media]) for r in spec.runs] == [
        ("textbook", ["glucose", "acetate"]), ("e_coli_core", ["random:5:3", "succinate"])]
    assert spec.options.pfba and spec.options.flux_ids == ("PGI",) and spec.options.time_limit == 1.0
    assert spec.chunk_size == 4  # the command line wins over the SPEC


def test_plan_cuts_media_into_chunks_with_a_stable_key(tmp_path):
    path = _write(tmp_path / "spec.csv", "model,media\ntextbook,glucose\ntextbook,acetate\ntextbook,random:9:1\n")
    plan = plan_batch(load_spec(path, {"chunk_size": 4}))
    assert plan.media_count == 11 and [len(c.media) for c in plan.chunks] == [4, 4, 3]
    assert plan.chunks[0].sources[:3] == ("glucose", "acetate", "random:9:1")
    assert [c.index for c in plan.chunks] == [0, 1, 2] and plan.models[0].model_id == "e_coli_core"
    again = plan_batch(load_spec(path, {"chunk_size": 4}))
    assert again.key == plan.key and [c.digest for c in again.chunks] == [c.digest for c in plan.chunks]
    assert plan_batch(load_spec(path, {"chunk_size": 4, "pfba": True})).key != plan.key
    assert plan_batch(load_spec(path, {"chunk_size": 5})).key != plan.key


@pytest.mark.parametrize("name, text, problem", [
    ("unknown_model.csv", "model,media\nno_such_model.xml,glucose\n", "no_such_model.xml: file not found"),
    ("unknown_preset.csv", "model,media\ntextbook,glucoze\n", "line 2: unknown preset 'glucoze'"),
    ("malformed_row.csv", "model,media\ntextbook,glucose\ntextbook,glucose,acetate\n",
     "line 3: expected 2 fields (model,media), found 3"),
    ("bad_header.csv", "strain,medium\ntextbook,glucose\n", "the header must be 'model,media'"),
    ("empty_media.csv", "model,media\ntextbook,\n", "line 2: empty or malformed media item"),
    ("bad_random.csv", "model,media\ntextbook,random:lots\n", "write random:K or random:K:SEED"),
    ("negative_seed.csv", "model,media\ntextbook,random:5:-1\n", "write random:K or random:K:SEED"),
    ("no_random.csv", "model,media\ntextbook,random:0\n", "K must be from 1 to"),
    ("bad_seed.json", '{"models": ["textbook"], "media": [{"random": 5, "seed": -2}]}', "a whole 'seed' >= 0"),
    ("no_exchange.csv", "model,media\ntextbook,lactose\n", "line 2 (model textbook): preset lactose: unknown exchange"),
    ("twice.csv", "model,media\ntextbook,glucose\ntextbook,glucose\n", "'glucose' is listed twice"),
    ("missing_file.csv", "model,media\ntextbook,not_there.csv\n", "conditions file not found"),
    ("bad.json", '{"models": ["textbook"], "media": ["glucose"],', "not valid JSON"),
    ("unknown_key.json", '{"models": ["textbook"], "media": ["glucose"], "solver": "cplex"}', "unknown key(s) solver"),
    ("bad_fluxes.json", '{"models": ["textbook"], "media": ["glucose"], "fluxes": ["NOT_A_REACTION"]}',
     "no reaction(s) NOT_A_REACTION"),
])
def test_bad_spec_is_one_line_exit_2_before_any_work(tmp_path, capsys, name, text, problem):
    spec = _write(tmp_path / name, text)
    out = tmp_path / "OUT"
    assert cli.main(["batch", str(spec), "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    assert err.startswith(f"metattn: error: {spec}: ") and problem in err
    assert not out.exists()


def test_missing_spec_and_bad_workers(tmp_path, capsys):
    assert cli.main(["batch", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "OUT")]) == 2
    assert "nope.csv: SPEC file not found" in capsys.readouterr().err
    spec = _write(tmp_path / "spec.csv", "model,media\ntextbook,glucose\n")
    assert cli.main(["batch", str(spec), "--out", str(tmp_path / "OUT"), "--workers", "0"]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err


@pytest.mark.parametrize("address, problem", [
    ("nonsense", "not a Dask scheduler address"),
    ("tcp://127.0.0.1:9", "cannot reach a Dask scheduler there"),  # the discard port: nothing listens
])
def test_unreachable_scheduler_is_one_line_exit_2(tmp_path, capsys, monkeypatch, address, problem):
    monkeypatch.setattr(engine, "CONNECT_TIMEOUT", 2.0)
    spec = _write(tmp_path / "spec.csv", "model,media\ntextbook,glucose\n")
    out = tmp_path / "OUT"
    assert cli.main(["batch", str(spec), "--out", str(out), "--scheduler", address, "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith(f"metattn: error: --scheduler {address}: ") and problem in err
    assert not out.exists()


def test_folder_with_other_content_is_refused(tmp_path, capsys):
    spec = _write(tmp_path / "spec.csv", "model,media\ntextbook,glucose\n")
    out = tmp_path / "OUT"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"precious")
    assert cli.main(["batch", str(spec), "--out", str(out), "-q"]) == 2
    assert "holds no batch manifest.json" in capsys.readouterr().err
    assert (out / "thesis.docx").read_bytes() == b"precious"


def test_spec_errors_name_the_spec(tmp_path):
    with pytest.raises(InputError, match="must be a whole number >= 1"):
        load_spec(_write(tmp_path / "s.json", '{"models": ["textbook"], "media": ["glucose"], "chunk_size": 0}'))


def test_spec_from_dict_is_the_json_form(tmp_path):
    from core.batch.spec import spec_from_dict

    spec = spec_from_dict({"models": ["textbook"], "media": ["glucose", {"random": 3, "seed": 1}], "chunk_size": 2},
                          tmp_path)
    assert [m.label for m in spec.runs[0].media] == ["glucose", "random:3:1"] and spec.chunk_size == 2
    with pytest.raises(InputError, match="unknown preset 'glucoze'"):
        spec_from_dict({"models": ["textbook"], "media": ["glucoze"]}, tmp_path)


def test_growth_matrix_is_media_by_models_with_nan_where_not_run():
    import numpy as np
    import pandas as pd

    from core.batch.store import growth_matrix

    frame = pd.DataFrame({"model": ["a", "a", "b", "a"], "source": ["glucose", "random:2:0", "glucose", "random:2:0"],
                          "medium": ["glucose", "medium 0000", "glucose", "medium 0001"],
                          "growth": [0.87, 0.1, 0.5, 0.2]})
    media, models, growth = growth_matrix(frame)
    assert media == ["glucose", "random:2:0: medium 0000", "random:2:0: medium 0001"] and models == ["a", "b"]
    np.testing.assert_array_equal(growth, [[0.87, 0.5], [0.1, np.nan], [0.2, np.nan]])
