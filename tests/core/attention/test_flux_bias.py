"""The condition-aware flux bias: attention follows the fluxes of each condition."""

from __future__ import annotations

import numpy as np
import pytest

from core.attention import run_attention
from core.attention.result import AttentionConfig
from core.conditions import resolve_conditions, solve_conditions
from core.graph import build_graph, remove_currency


@pytest.fixture(scope="module")
def glucose_acetate(textbook):
    graph = remove_currency(build_graph(textbook))
    results = solve_conditions(textbook, resolve_conditions(textbook, "glucose,acetate"))
    return graph, results


def _importance(graph, results, **config):
    att = run_attention(graph, results, AttentionConfig(**config))
    return att.importance


def test_glyoxylate_shunt_gains_attention_on_acetate(glucose_acetate):
    graph, results = glucose_acetate
    flux = {r.name: dict(zip(r.reaction_ids, r.fluxes)) for r in results}
    # The premise, from FBA itself: the glyoxylate shunt runs on acetate and not on glucose.
    assert abs(flux["acetate"]["ICL"]) > 1 and abs(flux["glucose"]["ICL"]) < 1e-9
    imp = _importance(graph, results)
    ratio = {rid: imp[1, graph.index[rid]] / imp[0, graph.index[rid]] for rid in ("ICL", "MALS", "PPCK", "PFK")}
    assert ratio["ICL"] > 1 and ratio["MALS"] > 1, ratio
    # Gluconeogenesis (PEP carboxykinase) is what acetate growth needs most.
    assert ratio["PPCK"] > 1.3, ratio
    # And glycolysis' entry (PFK) draws less attention on acetate, where it carries no flux.
    assert abs(flux["acetate"]["PFK"]) < 1e-9 < abs(flux["glucose"]["PFK"])
    assert ratio["PFK"] < 0.85, ratio


def test_conditions_differ_more_with_the_flux_bias(glucose_acetate):
    graph, results = glucose_acetate
    with_bias = _importance(graph, results)
    without = _importance(graph, results, flux_bias=False)
    shift_with = np.abs(with_bias[1] - with_bias[0]).sum()
    shift_without = np.abs(without[1] - without[0]).sum()
    assert shift_with > 2 * shift_without
