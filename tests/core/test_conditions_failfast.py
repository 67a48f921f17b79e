"""Conditions and output folders are checked before the model is parsed (issue 13): a typo costs
well under a second, not the minutes a genome-scale model takes to load."""

from __future__ import annotations

import pytest

from core.conditions import check_conditions_spec, load_conditions_file
from core.errors import InputError


def _run(tmp_path, *args):
    from main import main

    return main(["run", "--quiet", *args])


def test_unknown_preset_is_refused_before_the_model_is_read(tmp_path, capsys):
    # A model file that would fail to parse: the error must be about the preset, so it came first.
    model = tmp_path / "broken.xml"
    model.write_text("<sbml>not a model")
    code = _run(tmp_path, "--model", str(model), "--conditions", "glucose,nosuch", "--out", str(tmp_path / "out"))
    err = capsys.readouterr().err
    assert code == 2
    assert "unknown preset or missing conditions file 'nosuch'" in err and "broken.xml" not in err
    assert not (tmp_path / "out").exists()


def test_output_folder_under_a_file_is_refused_before_the_model_is_read(tmp_path, capsys):
    model = tmp_path / "broken.xml"
    model.write_text("<sbml>not a model")
    (tmp_path / "afile").write_text("x")
    code = _run(tmp_path, "--model", str(model), "--conditions", "glucose", "--out", str(tmp_path / "afile" / "sub"))
    assert code == 2
    assert "cannot create the output folder" in capsys.readouterr().err


def test_bad_preset_inside_a_json_file_names_the_file(tmp_path):
    path = tmp_path / "media.json"
    path.write_text('{"conditions": [{"name": "a", "preset": "glucoze"}]}')
    with pytest.raises(InputError, match=r"media\.json: condition 'a': unknown preset 'glucoze'"):
        check_conditions_spec(f"glucose,{path}")


def test_missing_file_and_empty_spec(tmp_path):
    with pytest.raises(InputError, match="missing.csv: conditions file not found"):
        check_conditions_spec([str(tmp_path / "missing.csv")])
    with pytest.raises(InputError, match="no conditions given"):
        check_conditions_spec(" , ")
    check_conditions_spec("glucose,acetate")  # known presets pass


def test_csv_row_with_an_extra_field_is_refused(textbook, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("condition,exchange,uptake\nglc,glc__D_e,5,7\n")
    with pytest.raises(InputError, match=r"c\.csv: line 2: 4 fields but the header has 3 \(extra: '7'\)"):
        load_conditions_file(textbook, path)


def test_semicolon_csv_is_read(textbook, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("condition;exchange;uptake\nlow glucose;glc__D_e;2\n")
    (cond,) = load_conditions_file(textbook, path)
    assert cond.name == "low glucose" and cond.medium["EX_glc__D_e"] == 2.0


def test_refusal_to_overwrite_counts_the_folder(tmp_path):
    from core.export import check_outputs_free

    for i in range(25):
        (tmp_path / f"old_{i}.png").write_text("x")
    (tmp_path / "report.json").write_text("{}")
    with pytest.raises(InputError, match=r"report\.json: exists already; .* holds 26 files, likely an earlier run's; "
                                         r"not overwritten \(use --force"):
        check_outputs_free(tmp_path, ("json",))
