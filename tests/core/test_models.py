"""Model loading: every format through COBRApy's writers, bundled names, the cache, bad files."""

from __future__ import annotations

import gzip

import cobra.io
import pytest

from core.errors import InputError
from core.models import load_model, sniff_format


def _write(model, fmt, path):
    if fmt == "sbml":
        cobra.io.write_sbml_model(model, str(path))
    elif fmt == "sbml.gz":
        cobra.io.write_sbml_model(model, str(path.with_suffix("")))
        path.write_bytes(gzip.compress(path.with_suffix("").read_bytes()))
    elif fmt == "json":
        cobra.io.save_json_model(model, str(path))
    elif fmt == "mat":
        cobra.io.save_matlab_model(model, str(path))
    elif fmt == "yaml":
        cobra.io.save_yaml_model(model, str(path))


@pytest.mark.parametrize("fmt,name", [("sbml", "m.xml"), ("sbml", "m.sbml"), ("sbml.gz", "m.xml.gz"),
                                      ("json", "m.json"), ("mat", "m.mat"), ("yaml", "m.yml")])
def test_round_trip_every_format(textbook, tmp_path, fmt, name):
    path = tmp_path / name
    _write(textbook, fmt, path)
    loaded = load_model(path, use_cache=False)
    assert loaded.format == fmt.split(".")[0]
    m = loaded.model
    assert len(m.reactions) == len(textbook.reactions) == 95
    assert len(m.metabolites) == len(textbook.metabolites) == 72
    assert {r.id for r in m.reactions} == {r.id for r in textbook.reactions}
    assert m.slim_optimize() == pytest.approx(textbook.slim_optimize(), rel=1e-6)


def test_format_is_picked_from_content_not_extension(textbook, tmp_path):
    path = tmp_path / "really_json.xml"
    cobra.io.save_json_model(textbook, str(path))
    assert load_model(path, use_cache=False).format == "json"


@pytest.mark.parametrize("name,expected", [("textbook", 95), ("e_coli_core", 95), ("TEXTBOOK", 95)])
def test_bundled_names(name, expected):
    loaded = load_model(name)
    assert len(loaded.model.reactions) == expected
    assert loaded.source == f"bundled:{name}"


@pytest.mark.slow
def test_bundled_genome_scale_models():
    ijo = load_model("iJO1366").model
    assert (len(ijo.metabolites), len(ijo.reactions)) == (1805, 2583)
    sal = load_model("salmonella").model
    assert len(sal.reactions) > 2000


def test_second_open_comes_from_cache(textbook, tmp_path, monkeypatch):
    monkeypatch.setenv("METATTN_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "m.xml"
    cobra.io.write_sbml_model(textbook, str(path))
    first = load_model(path)
    second = load_model(path)
    assert not first.from_cache and second.from_cache
    assert second.format == "sbml" and second.sha256 == first.sha256
    assert len(second.model.reactions) == 95
    cached = list((tmp_path / "cache").glob("*.json"))
    assert len(cached) == 1 and cached[0].name.startswith(first.sha256)
    # A changed file gets a new key, never the stale entry.
    m = textbook.copy()
    m.remove_reactions([m.reactions.PGI])
    cobra.io.write_sbml_model(m, str(path))
    third = load_model(path)
    assert not third.from_cache and len(third.model.reactions) == 94


def test_damaged_cache_entry_is_rebuilt(textbook, tmp_path, monkeypatch):
    monkeypatch.setenv("METATTN_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "m.json"
    cobra.io.save_json_model(textbook, str(path))
    load_model(path)
    (entry,) = (tmp_path / "cache").glob("*.json")
    entry.write_text("{ not json")
    again = load_model(path)
    assert not again.from_cache and len(again.model.reactions) == 95


@pytest.mark.parametrize("content,problem", [
    (b"", "empty"),
    (b"\x00\x01\x02garbage\xff" * 50, "the name says XML (SBML) but the content is not (binary data)"),
    (b"<?xml version='1.0'?><html><body>not sbml</body></html>", "could not be read as SBML (line 1:"),
    (b'{"hello": "world"}', "could not be read as JSON"),
], ids=["empty", "binary", "html", "json"])
def test_bad_files_name_the_file_and_problem(tmp_path, content, problem):
    path = tmp_path / "bad.xml"
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        load_model(path, use_cache=False)
    assert str(path) in str(err.value) and problem in str(err.value)


def test_truncated_gzip(textbook, tmp_path):
    path = tmp_path / "m.xml.gz"
    _write(textbook, "sbml.gz", path)
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(InputError, match="gzip data is corrupt or truncated"):
        load_model(path, use_cache=False)


def test_missing_file_and_unknown_name(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_model(tmp_path / "nope.xml")
    with pytest.raises(InputError, match="not a bundled model name"):
        load_model("iJO9999")


def test_model_without_reactions(tmp_path):
    empty = cobra.Model("empty")
    empty.add_metabolites([cobra.Metabolite("a_c", compartment="c")])
    path = tmp_path / "empty.json"
    cobra.io.save_json_model(empty, str(path))
    with pytest.raises(InputError, match="no reactions"):
        load_model(path, use_cache=False)


def test_sniff_format():
    from pathlib import Path

    assert sniff_format(b"<?xml", Path("x.bin")) == "sbml"
    assert sniff_format(b"  {", Path("x")) == "json"
    assert sniff_format(b"MATLAB 5.0 MAT-file", Path("x")) == "mat"
    assert sniff_format(b"!!omap\n- id: m", Path("x.yml")) == "yaml"
