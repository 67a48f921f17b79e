"""core.cache (issue 17): models and graphs kept between runs, FBA solutions cached per model file,
medium and method; a changed file or medium misses, a damaged cache file is rebuilt, and the numbers
are the same with and without the cache."""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest

from core import cache
from core.conditions import resolve_conditions
from core.models import load_model


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("METATTN_CACHE_DIR", str(folder))
    cache.forget()
    yield folder
    cache.keep_in_process(False)
    cache.forget()


@pytest.fixture
def model_file(tmp_path):
    """The bundled textbook model as a file of its own (so a test can change it)."""
    from core.models import _bundled_path

    path = tmp_path / "textbook.xml"
    path.write_bytes(gzip.decompress(_bundled_path("textbook").read_bytes()))
    return path


def _solve(source, names=("glucose", "acetate"), use_cache=True, pfba=True):
    loaded = load_model(source)
    conds = resolve_conditions(loaded.model, names)
    return cache.solve_conditions(loaded, conds, pfba, use_cache=use_cache)


def test_cached_solutions_equal_fresh_ones(cache_dir, model_file):
    fresh = _solve(model_file, use_cache=False)
    assert not (cache_dir / "fba").exists()
    first = _solve(model_file)
    assert len(list((cache_dir / "fba").glob("*.npz"))) == 2
    cache.forget()  # the second read comes from disk
    second = _solve(model_file)
    for a, b, c in zip(fresh, first, second):
        assert a.name == b.name == c.name
        assert a.growth_rate == pytest.approx(b.growth_rate, abs=1e-9) and b.growth_rate == c.growth_rate
        np.testing.assert_allclose(b.fluxes, a.fluxes, atol=1e-6)
        np.testing.assert_array_equal(c.fluxes, b.fluxes)
        assert (b.status, b.method, b.solver, b.reaction_ids, b.exchange_ids) == \
               (c.status, c.method, c.solver, c.reaction_ids, c.exchange_ids)
    assert second[0].growth_rate > 0.8  # textbook on glucose: ~0.87 1/h


def test_a_changed_model_file_or_medium_is_solved_again(cache_dir, model_file, monkeypatch):
    _solve(model_file, ("glucose",))
    # Lower the glucose exchange's own bound in the file: a different model, a different key.
    text = model_file.read_text()
    model_file.write_text(text.replace("ATP maintenance requirement", "ATP maintenance, edited", 1))
    calls = []
    import core.conditions.fba as fba

    real = fba.solve_condition
    monkeypatch.setattr(fba, "solve_condition", lambda *a, **k: calls.append(1) or real(*a, **k))
    _solve(model_file, ("glucose",))
    assert calls == [1]
    _solve(model_file, ("glucose",))  # now cached
    assert calls == [1]
    _solve(model_file, ("glucose",), pfba=False)  # another method
    _solve(model_file, ("acetate",))  # another medium
    assert calls == [1, 1, 1]


def test_a_damaged_cache_file_is_dropped_and_rebuilt(cache_dir, model_file, caplog):
    good = _solve(model_file, ("glucose",))[0]
    (path,) = (cache_dir / "fba").glob("*.npz")
    for damage in (b"not a zip file", path.read_bytes()[:200], b""):
        cache.forget()
        path.write_bytes(damage)
        again = _solve(model_file, ("glucose",))[0]
        assert again.growth_rate == pytest.approx(good.growth_rate, abs=1e-9)
        assert path.is_file() and path.stat().st_size > 1000  # written again
    assert "dropping unusable FBA cache file" in caplog.text


def test_a_cache_file_of_another_key_is_not_trusted(cache_dir, model_file):
    _solve(model_file, ("glucose", "acetate"))
    glc, ace = sorted((cache_dir / "fba").glob("*.npz"), key=lambda p: p.stat().st_mtime_ns)
    shutil.copyfile(ace, glc)  # acetate's solution under glucose's name
    cache.forget()
    result = _solve(model_file, ("glucose",))[0]
    fresh = _solve(model_file, ("glucose",), use_cache=False)[0]
    assert result.growth_rate == pytest.approx(fresh.growth_rate, abs=1e-9)


def test_an_unwritable_cache_folder_costs_only_speed(tmp_path, monkeypatch, model_file):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("METATTN_CACHE_DIR", str(blocker / "sub"))
    cache.forget()
    loaded = load_model(model_file, use_cache=False)
    result = cache.solve_conditions(loaded, resolve_conditions(loaded.model, ("glucose",)), True)
    assert result[0].growth_rate > 0.8


def test_models_and_graphs_are_kept_between_runs_only_when_asked(cache_dir, model_file):
    from core.pipeline import RunSettings, prepare

    settings = RunSettings(model=str(model_file), conditions=("glucose",))
    a = prepare(settings)
    b = prepare(settings)
    assert a[0].model is not b[0].model  # off by default: every run loads
    cache.keep_in_process(True)
    c = prepare(settings)
    d = prepare(settings)
    assert c[0].model is d[0].model and c[1] is d[1]
    assert d[3][0].growth_rate == pytest.approx(a[3][0].growth_rate, abs=1e-9)
    model_file.write_text(model_file.read_text().replace("ATP maintenance requirement", "edited", 1))
    e = prepare(settings)
    assert e[0].model is not d[0].model and e[0].sha256 != d[0].sha256
