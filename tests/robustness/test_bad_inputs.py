"""The bad-input corpus: every file a colleague or the internet could hand a user.

Each one must end, on the CLI, with exit code 2 and one line naming the file and the problem — no
traceback, nothing half-written. The corpus is generated here from the real textbook model so it
stays in step with COBRApy's writers.
"""

from __future__ import annotations

import gzip
import json
import random

import cobra
import cobra.io
import pytest
import scipy.io

import main as cli


def make_model_corpus(folder, textbook):
    """name -> (path, expected words in the message)."""
    folder.mkdir(parents=True, exist_ok=True)
    cases = {}

    def add(name, data, expect):
        path = folder / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        cases[name] = (path, expect)

    add("empty.xml", b"", "empty")
    add("blank.json", b"   \n  ", "empty")
    # Seeded noise behind a fixed binary first byte: random bytes may otherwise begin with "<" or
    # "[" and be (rightly) read as broken XML or JSON, which is a different message.
    noise = random.Random(20261128)
    add("random.xml", b"\x89" + noise.randbytes(4095), "content is not")
    add("random.mat", b"\x00" * 8 + noise.randbytes(2048), "MATLAB")
    add("random.json", b"\x89" + noise.randbytes(1023), "content is not")
    sbml_path = folder / "ok.xml"
    cobra.io.write_sbml_model(textbook, str(sbml_path))
    sbml = sbml_path.read_bytes()
    sbml_path.unlink()
    add("truncated.xml.gz", gzip.compress(sbml)[:400], "gzip data is corrupt or truncated")
    add("truncated.xml", sbml[: len(sbml) // 3], "could not be read as SBML")
    add("html.xml", "<?xml version='1.0'?><html><body><p>Not a model</p></body></html>", "could not be read as SBML")
    add("missing_species.xml", sbml.replace(b'species="M_g6p_c"', b'species="M_ghost_c"', 1),
        "refers to species 'ghost_c'")
    empty = cobra.Model("no_reactions")
    empty.add_metabolites([cobra.Metabolite("a_c", compartment="c")])
    path = folder / "no_reactions.xml"
    cobra.io.write_sbml_model(empty, str(path))
    cases["no_reactions.xml"] = (path, "no reactions")
    add("not_cobra.json", json.dumps({"hello": "world", "list": [1, 2]}), "could not be read as JSON")
    add("list.json", "[1, 2, 3]", "could not be read as JSON")
    path = folder / "no_model.mat"
    scipy.io.savemat(str(path), {"x": [1.0, 2.0, 3.0]})
    cases["no_model.mat"] = (path, "no COBRA model struct")
    add("bad.yml", "- just\n- a list\n", "could not be read as YAML")
    add("folder_instead.xml", b"x", "")  # replaced below by a folder
    (folder / "folder_instead.xml").unlink()
    (folder / "folder_instead.xml").mkdir()
    cases["folder_instead.xml"] = (folder / "folder_instead.xml", "folder")
    big = folder / "big.xml"
    with open(big, "wb") as fh:
        fh.write(b"<?xml version='1.0'?>\n<sbml><model>")
        fh.write(b"<!-- padding -->" * (50 * 1024 * 1024 // 16))
    cases["big.xml"] = (big, "could not be read as SBML")
    return cases


@pytest.fixture(scope="module")
def model_corpus(tmp_path_factory, textbook):
    return make_model_corpus(tmp_path_factory.mktemp("bad_models"), textbook)


MODEL_CASES = ["empty.xml", "blank.json", "random.xml", "random.mat", "random.json", "truncated.xml.gz",
               "truncated.xml", "html.xml", "missing_species.xml", "no_reactions.xml", "not_cobra.json", "list.json",
               "no_model.mat", "bad.yml", "folder_instead.xml", "big.xml"]


@pytest.mark.parametrize("case", MODEL_CASES)
def test_bad_model_files(model_corpus, tmp_path, capsys, case):
    path, expect = model_corpus[case]
    out = tmp_path / "out"
    code = cli.main(["run", "--model", str(path), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("metattn: error: ") and err.count("\n") == 1, err
    assert str(path) in err and expect in err
    assert "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


def _conditions(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


CONDITION_CASES = [
    ("missing_columns.csv", "condition,uptake\nglc,10\n", "missing the column(s) exchange"),
    ("non_numeric.csv", "condition,exchange,uptake\nglc,EX_glc__D_e,ten\n", "not a number"),
    ("nan.csv", "condition,exchange,uptake\nglc,EX_glc__D_e,NaN\n", "NaN"),
    ("negative_uptake.csv", "condition,exchange,uptake\nglc,EX_glc__D_e,-10\n", "negative"),
    ("unknown_exchange.csv", "condition,exchange,uptake\nglc,EX_kryptonite_e,10\n", "unknown exchange 'EX_kryptonite_e'"),
    ("duplicates.json", json.dumps({"conditions": [{"name": "a", "preset": "glucose"},
                                                   {"name": "a", "preset": "acetate"}]}), "duplicate condition names"),
    ("bounds_inverted.csv", "condition,exchange,lower_bound,upper_bound\nglc,EX_glc__D_e,5,1\n", "lower_bound 5.0 > upper_bound"),
    ("binary.csv", None, "not a text file"),
    ("empty.csv", "", "empty"),
    ("unknown_flux.json", json.dumps({"conditions": [{"name": "g", "preset": "glucose",
                                                      "measured_fluxes": {"NOPE": 1}}]}), "unknown reaction 'NOPE'"),
]


@pytest.mark.parametrize("name,text,expect", CONDITION_CASES)
def test_bad_conditions_files(tmp_path, capsys, name, text, expect):
    if text is None:
        path = tmp_path / name
        path.write_bytes(b"\xff\xfe\x00\x81" * 100)
    else:
        path = _conditions(tmp_path, name, text)
    code = cli.main(["run", "--conditions", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and str(path) in err and expect in err, err


def test_medium_without_growth_is_reported_and_the_rest_still_runs(tmp_path, capsys):
    path = _conditions(tmp_path, "c.csv", "condition,exchange,uptake,base\n"
                                          "starved,EX_o2_e,10,none\n"
                                          "glucose,EX_glc__D_e,10,\n")
    out = tmp_path / "out"
    code = cli.main(["run", "--conditions", f"{path},acetate", "--out", str(out), "--formats", "json", "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "starved" in printed and "left out of attention" in printed
    report = json.loads((out / "report.json").read_text())
    starved = next(c for c in report["conditions"] if c["name"] == "starved")
    assert starved["growth_rate"] == 0 and starved["status_text"] != "grows"
    assert report["attention"]["conditions"] == ["glucose", "acetate"]


def test_no_condition_grows(tmp_path, capsys):
    path = _conditions(tmp_path, "c.csv", "condition,exchange,uptake,base\nstarved,EX_o2_e,10,none\n")
    code = cli.main(["run", "--conditions", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "no condition supports growth" in err and "starved" in err


def test_awkward_names_survive(tmp_path, capsys):
    weird = 'glc <script>alert(1)</script> "quoted"\nnewline ü'
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"conditions": [{"name": weird, "preset": "glucose"},
                                               {"name": "Acetat — 醋酸", "preset": "acetate"}]}), encoding="utf-8")
    out = tmp_path / "out"
    code = cli.main(["run", "--conditions", str(path), "--out", str(out), "--formats", "json,csv,html", "--quiet"])
    assert code == 0, capsys.readouterr().err
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [c["name"] for c in report["conditions"]] == [weird, "Acetat — 醋酸"]
    for html in out.glob("*.html"):
        assert "<script>alert(1)</script>" not in html.read_text(encoding="utf-8")
