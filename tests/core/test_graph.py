"""The metabolic graph on real models."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from core.graph import METABOLITE, REACTION, build_graph, default_currency_ids, remove_currency


def test_textbook_graph_matches_stoichiometry(textbook, textbook_graph):
    g = textbook_graph
    assert g.n_metabolites == 72 and g.n_reactions == 95
    assert g.n_edges == sum(len(r.metabolites) for r in textbook.reactions)
    # Every edge joins a metabolite and a reaction; metabolites come first.
    types = g.node_types[g.edge_index]
    assert np.all(types[0] != types[1])
    assert np.all(g.node_types[: g.n_metabolites] == METABOLITE)
    # Direction: substrate -> reaction (negative coefficient), reaction -> product (positive).
    src_is_met = g.node_types[g.edge_index[0]] == METABOLITE
    assert np.all(g.edge_coef[src_is_met] < 0) and np.all(g.edge_coef[~src_is_met] > 0)


def test_pgi_edges_and_annotations(textbook_graph):
    g = textbook_graph
    pgi, g6p, f6p = g.index["PGI"], g.index["g6p_c"], g.index["f6p_c"]
    edges = {(int(s), int(t)): c for (s, t), c in zip(g.edge_index.T, g.edge_coef)}
    assert edges[(g6p, pgi)] == -1 and edges[(pgi, f6p)] == 1
    assert g.reversible[pgi] and g.node_types[pgi] == REACTION
    assert g.pathways[pgi] == ("Glycolysis/Gluconeogenesis",)
    assert "Glycolysis/Gluconeogenesis" in g.pathways[g6p]
    assert g.formulas[g6p] == "C6H11O9P" and g.compartments[g6p] == "c"
    assert g.node_names[g6p] == "D-Glucose 6-phosphate"
    assert g.gene_rules[pgi] == "b4025"
    assert g.is_exchange[g.index["EX_glc__D_e"]] and not g.is_exchange[pgi]
    assert g.is_transport[g.index["GLCpts"]]


@pytest.mark.slow
def test_ijo1366_counts(ijo1366):
    g = build_graph(ijo1366)
    assert (g.n_metabolites, g.n_reactions, g.n_edges) == (1805, 2583, 10183)
    assert g.degree[g.index["h_c"]] == 1031


@pytest.mark.slow
def test_currency_filter_on_ijo1366(ijo1366):
    g = remove_currency(build_graph(ijo1366))
    assert "h_c" not in g.index and "atp_c" not in g.index and "h2o_p" not in g.index
    assert "glc__D_e" in g.index and "g6p_c" in g.index
    assert g.n_reactions == 2583 and g.degree.max() < 200
    assert len(g.removed_currency) > 40


def test_currency_filter_keeps_consistent_edges(textbook_graph):
    g = remove_currency(textbook_graph)
    assert g.n_edges < textbook_graph.n_edges
    assert g.edge_index.max() < g.n_nodes
    assert "h_c" in g.removed_currency and "nadh_c" in g.removed_currency
    assert "glc__D_e" in g.index  # "glc__D" is not a currency id even though it ends in a short suffix
    assert set(default_currency_ids()) >= {"h", "h2o", "atp", "adp", "nad", "nadh", "nadp", "nadph", "pi", "ppi",
                                           "co2", "nh4", "o2"}


def test_custom_currency_list(textbook_graph):
    g = remove_currency(textbook_graph, ("glc__D",))
    assert "glc__D_e" not in g.index and "h_c" in g.index


def test_to_networkx(textbook_graph):
    nxg = textbook_graph.to_networkx()
    assert nxg.number_of_nodes() == textbook_graph.n_nodes
    assert nxg.number_of_edges() == textbook_graph.n_edges
    assert nx.is_bipartite(nxg.to_undirected())


def test_textbook_gets_pathways_from_the_reference_table(textbook, textbook_graph):
    # The bundled textbook model carries no subsystems; the graph fills them from the BiGG table.
    assert all(not r.subsystem for r in textbook.reactions)
    g = textbook_graph
    assert g.pathways_from_reference == 95 - 20  # all but the 20 exchanges
    assert g.pathways[g.index["EX_glc__D_e"]] == ("Exchange",)
    assert g.pathways[g.index["CS"]] == ("Citric Acid Cycle",)
    assert "Unassigned" not in g.primary_pathway[g.n_metabolites:]
    assert 8 <= len(g.pathway_names) <= 15


@pytest.mark.slow
def test_model_subsystems_win_over_the_table(ijo1366):
    g = build_graph(ijo1366)
    assert g.pathways[g.index["PGI"]] == ("Glycolysis/Gluconeogenesis",)
    assert g.pathways_from_reference == 0


def test_turnover_and_reaction_index_on_a_hand_case():
    import cobra

    model = cobra.Model("tiny")
    a, b = cobra.Metabolite("a", compartment="c"), cobra.Metabolite("b", compartment="c")
    r1, r2 = cobra.Reaction("r1"), cobra.Reaction("r2")
    r1.add_metabolites({a: -2.0, b: 1.0})  # 2 a -> b
    r2.add_metabolites({b: -1.0})  # b ->
    model.add_reactions([r1, r2])
    graph = build_graph(model)
    assert graph.reaction_index == {"r1": 2, "r2": 3}
    flux = np.array([0.0, 0.0, 3.0, np.nan])  # NaN flux counts as 0
    # a: 0.5 * |-2 * 3| = 3; b: 0.5 * (|1 * 3| + |-1 * 0|) = 1.5; reactions 0.
    assert graph.turnover(flux).tolist() == [3.0, 1.5, 0.0, 0.0]
