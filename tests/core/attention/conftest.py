"""Fixtures for the attention tests: a hand-built tiny network and the textbook model solved in two
conditions. Torch runs on one thread here (the machine is shared)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.conditions import Condition, ConditionResult
from core.graph import METABOLITE, REACTION, MetabolicGraph


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def csr_always(monkeypatch):
    """Take the sparse-CSR kernels even on tiny graphs (normally only from CSR_MIN_EDGES edges)."""
    import core.attention.edge_kernels as edge_kernels

    monkeypatch.setattr(edge_kernels, "CSR_MIN_EDGES", 0)


@pytest.fixture(params=["gather", "csr"])
def kernel_path(request, monkeypatch):
    """Run a test once with each kernel path."""
    import core.attention.edge_kernels as edge_kernels

    monkeypatch.setattr(edge_kernels, "CSR_MIN_EDGES", 0 if request.param == "csr" else 1 << 62)
    return request.param


def make_graph(metabolites, reactions, stoich, pathways=None, exchange=(), compartments=None) -> MetabolicGraph:
    """A MetabolicGraph from plain lists: ``stoich`` maps reaction id -> {metabolite id: coefficient}."""
    m, r = len(metabolites), len(reactions)
    pos = {mid: i for i, mid in enumerate(metabolites)}
    src, dst, coef = [], [], []
    for j, rid in enumerate(reactions):
        for mid, c in stoich[rid].items():
            if c < 0:
                src.append(pos[mid]), dst.append(m + j)
            else:
                src.append(m + j), dst.append(pos[mid])
            coef.append(float(c))
    pathways = pathways or {}
    rxn_pw = [((pathways[rid],) if rid in pathways else ()) for rid in reactions]
    met_pw = [set() for _ in range(m)]
    for j, rid in enumerate(reactions):
        for mid in stoich[rid]:
            met_pw[pos[mid]].update(rxn_pw[j])
    comps = compartments or ("c",) * (m + r)
    return MetabolicGraph(
        model_id="tiny", node_ids=tuple(metabolites) + tuple(reactions),
        node_names=tuple(metabolites) + tuple(reactions),
        node_types=np.array([METABOLITE] * m + [REACTION] * r, dtype=np.int8),
        compartments=tuple(comps), formulas=("",) * (m + r),
        pathways=tuple(tuple(sorted(p)) for p in met_pw) + tuple(rxn_pw),
        gene_rules=("",) * (m + r),
        is_exchange=np.array([False] * m + [rid in exchange for rid in reactions]),
        is_transport=np.zeros(m + r, dtype=bool), reversible=np.zeros(m + r, dtype=bool),
        edge_index=np.array([src, dst], dtype=np.int64).reshape(2, -1), edge_coef=np.array(coef),
        edge_reversible=np.zeros(len(coef), dtype=bool),
    )


def make_result(name, reaction_ids, fluxes, growth=0.5, bounds=None) -> ConditionResult:
    return ConditionResult(Condition(name=name, bounds=dict(bounds or {})), growth, "optimal", "BIOMASS",
                           tuple(reaction_ids), np.asarray(fluxes, dtype=np.float64))


@pytest.fixture
def tiny():
    """EX_A: -> A (uptake); R1: A -> 2 B (glycolysis); R2: B + C -> D (glycolysis); R3: D -> C (TCA)."""
    graph = make_graph(
        ["A", "B", "C", "D"], ["EX_A", "R1", "R2", "R3"],
        {"EX_A": {"A": 1}, "R1": {"A": -1, "B": 2}, "R2": {"B": -1, "C": -1, "D": 1}, "R3": {"D": -1, "C": 1}},
        pathways={"R1": "Glycolysis", "R2": "Glycolysis", "R3": "TCA"}, exchange={"EX_A"})
    results = [
        make_result("glucose", ["EX_A", "R1", "R2", "R3"], [10.0, 10.0, 20.0, 20.0], 0.8,
                    {"EX_A": (-10.0, 1000.0)}),
        make_result("starved", ["R3", "R2", "R1", "EX_A"], [0.0, 0.0, 0.0, 0.0], 0.0, {}),
    ]
    return graph, results


@pytest.fixture(scope="session")
def textbook_run_inputs(textbook):
    """(graph without currency metabolites, [glucose, acetate] FBA results) for the textbook model."""
    from core.conditions import resolve_conditions, solve_conditions
    from core.graph import build_graph, remove_currency

    graph = remove_currency(build_graph(textbook))
    results = solve_conditions(textbook, resolve_conditions(textbook, "glucose,acetate"))
    return graph, results
