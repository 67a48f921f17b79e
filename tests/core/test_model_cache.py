"""The model cache (issue 17): the bundled models' parsed forms ship with the program, so a first open
reads JSON; a cache is used only for the exact file bytes and cobra version, and a damaged one is
ignored and rebuilt, never a traceback."""

from __future__ import annotations

import gzip

import pytest

from core import models
from core.models import is_cached, load_model


@pytest.fixture
def empty_user_cache(tmp_path, monkeypatch):
    folder = tmp_path / "user-cache"
    monkeypatch.setenv("METATTN_CACHE_DIR", str(folder))
    return folder


def _same_model(a, b):
    assert [r.id for r in a.reactions] == [r.id for r in b.reactions]
    for ra, rb in zip(a.reactions, b.reactions):
        assert ra.bounds == rb.bounds and ra.gene_reaction_rule == rb.gene_reaction_rule
        assert {m.id: c for m, c in ra.metabolites.items()} == {m.id: c for m, c in rb.metabolites.items()}
    assert [m.id for m in a.metabolites] == [m.id for m in b.metabolites]
    assert a.slim_optimize() == pytest.approx(b.slim_optimize(), abs=1e-9)


@pytest.mark.parametrize("name", ["textbook", "iJO1366", "salmonella"])
def test_every_bundled_model_ships_its_parsed_form(name, empty_user_cache):
    _label, digest = models.file_digest(name)
    shipped = list(models.shipped_cache_dir().glob(f"{digest}-sbml.v{models.CACHE_VERSION}.json.gz"))
    assert len(shipped) == 1, "rebuild with core.models.build_shipped_cache() after a cobra upgrade"
    assert is_cached(name)


def test_first_open_of_a_bundled_model_reads_the_shipped_form(empty_user_cache):
    loaded = load_model("textbook")
    assert loaded.from_cache and loaded.format == "sbml"
    assert not empty_user_cache.exists() or not list(empty_user_cache.glob("*.json"))
    _same_model(loaded.model, load_model("textbook", use_cache=False).model)


def test_a_cache_of_another_cobra_version_is_not_used(empty_user_cache, monkeypatch):
    monkeypatch.setattr(models, "CACHE_VERSION", "1-cobra0.0.0")
    assert not is_cached("textbook")
    loaded = load_model("textbook")
    assert not loaded.from_cache  # parsed, then cached under this version's name
    assert list(empty_user_cache.glob("*.v1-cobra0.0.0.json"))
    assert load_model("textbook").from_cache


def test_a_damaged_shipped_file_is_ignored(empty_user_cache, tmp_path, monkeypatch, caplog):
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    _label, digest = models.file_digest("textbook")
    bad = shipped / f"{digest}-sbml.v{models.CACHE_VERSION}.json.gz"
    bad.write_bytes(gzip.compress(b'{"reactions": [truncated'))
    monkeypatch.setattr(models, "shipped_cache_dir", lambda: shipped)
    loaded = load_model("textbook")
    assert not loaded.from_cache and len(loaded.model.reactions) == 95
    assert "dropping unreadable cache entry" in caplog.text
    assert bad.is_file()  # the program's own files are never deleted, only passed over
    assert load_model("textbook").from_cache  # the user cache now holds a good copy


def test_a_damaged_user_cache_file_is_dropped_and_rebuilt(empty_user_cache, tmp_path, monkeypatch):
    monkeypatch.setattr(models, "shipped_cache_dir", lambda: tmp_path / "none")
    load_model("textbook")
    (path,) = empty_user_cache.glob("*.json")
    path.write_text('{"id": "e_coli_core", "reactions": [')
    loaded = load_model("textbook")
    assert not loaded.from_cache and len(loaded.model.reactions) == 95
    assert path.is_file() and load_model("textbook").from_cache


def test_a_changed_file_misses_the_cache(empty_user_cache, tmp_path):
    path = tmp_path / "m.xml"
    text = gzip.decompress(models._bundled_path("textbook").read_bytes()).decode()
    path.write_text(text)
    assert not load_model(path).from_cache and load_model(path).from_cache
    path.write_text(text.replace("ATP maintenance requirement", "ATP maintenance (edited)", 1))
    loaded = load_model(path)
    assert not loaded.from_cache and loaded.model.reactions.ATPM.name == "ATP maintenance (edited)"
