"""Property-based tests: generated conditions files and small generated models go through the
pipeline and either work or fail with an InputError — never anything else."""

from __future__ import annotations

import csv
import io
import json
import math

import cobra
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.conditions import load_conditions_file, solve_conditions
from core.errors import InputError

EXCHANGES = ["EX_glc__D_e", "glc__D_e", "EX_o2_e", "o2", "EX_ac_e", "EX_unknown_e", "", "EX_fru_e"]
numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=32),
                    st.integers(-1000, 1000), st.sampled_from(["", "abc", "1e3", " 5 ", "-0"]))
names = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=0,
                max_size=12)


@st.composite
def condition_rows(draw):
    column = draw(st.sampled_from(["uptake", "lower_bound"]))
    rows = draw(st.lists(st.tuples(names, st.sampled_from(EXCHANGES), numbers), min_size=0, max_size=6))
    return column, rows


@settings(derandomize=True, max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(condition_rows())
def test_generated_csv_conditions(textbook, tmp_path_factory, spec):
    column, rows = spec
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["condition", "exchange", column])
    for row in rows:
        writer.writerow(row)
    path = tmp_path_factory.mktemp("c") / "conditions.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    try:
        conds = load_conditions_file(textbook, path)
    except InputError as exc:
        assert str(path) in str(exc)
        return
    assert conds and len({c.name for c in conds}) == len(conds)
    for c in conds:
        for lb, ub in c.bounds.values():
            assert not math.isnan(lb) and not math.isnan(ub) and lb <= ub
    for result in solve_conditions(textbook, conds):
        assert result.growth_rate >= 0 and np.all(np.isfinite(result.fluxes))


@settings(derandomize=True, max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.recursive(st.one_of(st.none(), st.booleans(), numbers, names),
                    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(names, inner, max_size=4)),
                    max_leaves=12))
def test_generated_json_conditions(textbook, tmp_path_factory, data):
    if isinstance(data, dict) and data and np.random.default_rng(len(str(data))).random() < 0.5:
        data = {"conditions": [data]}
    path = tmp_path_factory.mktemp("c") / "conditions.json"
    path.write_text(json.dumps(data, allow_nan=True), encoding="utf-8")
    try:
        conds = load_conditions_file(textbook, path)
    except InputError:
        return
    assert all(c.name for c in conds)


@st.composite
def small_models(draw):
    """A random little network with exchanges and a biomass-like objective."""
    n_mets = draw(st.integers(1, 6))
    n_rxns = draw(st.integers(0, 8))
    model = cobra.Model("generated")
    mets = [cobra.Metabolite(f"m{i}_c", compartment="c", name=draw(names) or f"m{i}") for i in range(n_mets)]
    ext = cobra.Metabolite("s_e", compartment="e", formula="C6H12O6")
    model.add_metabolites(mets + [ext])
    rxns = []
    for j in range(n_rxns):
        r = cobra.Reaction(f"R{j}", lower_bound=draw(st.sampled_from([0, -1000])), upper_bound=1000)
        picked = draw(st.lists(st.integers(0, n_mets - 1), min_size=1, max_size=3, unique=True))
        coefs = {mets[i]: float(draw(st.sampled_from([-2, -1, 1, 2]))) for i in picked}
        r.add_metabolites(coefs)
        rxns.append(r)
    uptake = cobra.Reaction("Tr_s", lower_bound=-1000, upper_bound=1000)
    uptake.add_metabolites({ext: -1, mets[0]: 1})
    model.add_reactions(rxns + [uptake])
    model.add_boundary(ext, type="exchange", lb=-10)
    sink = cobra.Reaction("BIOMASS", upper_bound=1000)
    sink.add_metabolites({mets[-1]: -1})
    model.add_reactions([sink])
    model.objective = "BIOMASS"
    return model


@settings(derandomize=True, max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(small_models())
def test_generated_models_through_the_pipeline(tmp_path_factory, model):
    from core.pipeline import RunSettings, run_pipeline

    path = tmp_path_factory.mktemp("m") / "model.json"
    cobra.io.save_json_model(model, str(path))
    conds = tmp_path_factory.mktemp("c") / "c.csv"
    conds.write_text("condition,exchange,uptake,base\nfed,EX_s_e,10,none\nhalf,s_e,5,none\n")
    settings_ = RunSettings(model=str(path), conditions=(str(conds),), filter_currency=False, use_cache=False)
    try:
        result = run_pipeline(settings_)
    except InputError as exc:
        assert "no condition supports growth" in str(exc) or str(path) in str(exc)
        return
    att = result.attention
    assert att.importance.shape == (len(result.usable_conditions), result.graph.n_nodes)
    assert np.all(np.isfinite(att.self_attention)) and np.all(np.isfinite(att.importance))
    json.dumps(result.analysis.to_dict(), allow_nan=False)
