"""Fixtures for the analysis tests: a 4-node network with hand-set attention, and realistic
attention (random, softmax-normalised per target) on the real textbook model with real FBA."""

from __future__ import annotations

import numpy as np
import pytest

from core.conditions import Condition, ConditionResult
from core.graph import METABOLITE, REACTION, MetabolicGraph
from tests.core.analysis.synthetic import attention_from_weights, synthetic_attention

# The tiny network: A -> R1 -> B -> R2 (metabolites A, B; reactions R1 in Glycolysis, R2 in TCA).
TINY_EDGES = np.array([[0, 2, 1], [2, 1, 3]])
# Attention edges (source, target), grouped by target; self-loops included.
TINY_ATTENTION_EDGES = np.array([
    # target A(0): self, R1     target B(1): self, R1, R2   target R1(2): self, A, B   target R2(3): self, B
    [0, 2, 1, 2, 3, 2, 0, 1, 3, 1],
    [0, 0, 1, 1, 1, 2, 2, 2, 3, 3],
])
# Condition 0: hand-set weights; condition 1: uniform over each target's incoming edges.
TINY_W0 = np.array([0.5, 0.5, 1 / 3, 1 / 3, 1 / 3, 1.0, 0.0, 0.0, 0.2, 0.8])
TINY_W1 = np.array([1 / 2, 1 / 2, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 2, 1 / 2])
TINY_CROSS_ROW = np.array([[0.9, 0.1], [0.3, 0.7]])


def tiny_graph() -> MetabolicGraph:
    return MetabolicGraph(
        model_id="tiny",
        node_ids=("A", "B", "R1", "R2"),
        node_names=("Metabolite A", "Metabolite B", "Reaction one", "Reaction two"),
        node_types=np.array([METABOLITE, METABOLITE, REACTION, REACTION], dtype=np.int8),
        compartments=("c", "c", "c", "c"), formulas=("C6", "C3", "", ""),
        pathways=(("Glycolysis",), ("Glycolysis", "TCA"), ("Glycolysis",), ("TCA",)),
        gene_rules=("", "", "g1", "g2"), is_exchange=np.zeros(4, dtype=bool),
        is_transport=np.zeros(4, dtype=bool), reversible=np.zeros(4, dtype=bool),
        edge_index=TINY_EDGES.astype(np.int64), edge_coef=np.array([-1.0, 1.0, -2.0]),
        edge_reversible=np.zeros(3, dtype=bool),
    )


def tiny_conditions() -> list[ConditionResult]:
    return [
        ConditionResult(Condition("glucose", {}), 0.5, "optimal", "R2", ("R1", "R2"), np.array([2.0, -1.0])),
        ConditionResult(Condition("acetate", {}), 0.2, "optimal", "R2", ("R1", "R2"), np.array([0.0, 3.0])),
    ]


def tiny_attention(layers: int = 1):
    weights = np.stack([TINY_W0, TINY_W1])[None, :, None, :]  # [1, C, 1, E]
    weights = np.repeat(weights, layers, axis=0)  # [L, C, 1, E]
    cross = np.broadcast_to(TINY_CROSS_ROW, (4, 1, 2, 2)).copy()  # [N, H, C, C]
    return attention_from_weights(tiny_graph(), ("glucose", "acetate"), TINY_ATTENTION_EDGES, weights, cross)


@pytest.fixture
def tiny():
    graph = tiny_graph()
    return graph, tiny_conditions(), tiny_attention()


@pytest.fixture(scope="session")
def textbook_case(textbook, textbook_graph):
    """Textbook graph, real FBA for glucose and acetate, synthetic 2-layer 8-head attention."""
    from core.conditions import resolve_conditions, solve_conditions

    conds = solve_conditions(textbook, resolve_conditions(textbook, "glucose,acetate"))
    attention = synthetic_attention(textbook_graph, tuple(c.name for c in conds), layers=2, heads=8, seed=3)
    return textbook_graph, conds, attention


@pytest.fixture(scope="session")
def textbook_report(textbook_case):
    from core.analysis import analyse

    graph, conds, attention = textbook_case
    return analyse(graph, conds, attention, top_k=10)


@pytest.fixture(scope="session")
def ijo_case(ijo1366):
    from core.conditions import resolve_conditions, solve_conditions
    from core.graph import build_graph, remove_currency

    graph = remove_currency(build_graph(ijo1366))
    conds = solve_conditions(ijo1366, resolve_conditions(ijo1366, "glucose,acetate,lactose"))
    attention = synthetic_attention(graph, tuple(c.name for c in conds), layers=2, heads=8, seed=1)
    return graph, conds, attention
