"""Find node: names, ids and synonyms ranked exact > prefix > substring; currency metabolites named as
removed; a message does not outlive the next success (issue 16)."""

from __future__ import annotations

import pytest


@pytest.fixture
def search(qtbot, textbook_result):
    from app.search import NodeSearch

    bar = NodeSearch()
    qtbot.addWidget(bar)
    bar.set_graph(textbook_result.graph, textbook_result.loaded.model)
    return bar


def test_the_placeholder_examples_find_their_nodes(search):
    assert "glucose" in search.box.placeholderText()
    assert search.find("glucose") == "glc__D_e"  # a word of "D-Glucose", before longer names
    assert search.find("PGI") == "PGI"
    assert search.find("pgi") == "PGI"


def test_ranking_exact_then_prefix_then_substring(search, textbook_result):
    g = textbook_result.graph
    ranked = search.ranked("pyruvate")
    assert ranked[0] == "pyr_c"  # exact name first
    assert g.node_names[g.index[ranked[1]]].lower().startswith("pyruvate")  # then prefixes
    assert "pyr_c" in search.ranked("pyr")[:15]  # not lost in an alphabetical list
    from app.search import rank_nodes

    ranks = [r for _i, r in rank_nodes(g, search.terms, "glucose")]
    assert ranks == sorted(ranks) and set(ranks) == {1}  # a word of each name starts with it
    assert {r for _i, r in rank_nodes(g, search.terms, "ruvate")} == {2}  # only contained
    assert g.node_ids[rank_nodes(g, search.terms, "ruvate")[0][0]] == "pyr_c"  # shortest name first


def test_synonyms_from_annotations(search):
    assert search.find("C00022") == "pyr_c"  # KEGG compound id of pyruvate
    assert search.find("glc__D") == "glc__D_e"  # BiGG id without compartment


def test_currency_metabolite_is_said_to_be_removed(search, qtbot):
    with qtbot.waitSignal(search.missing) as blocker:
        assert search.find("atp") is None
    assert "currency" in blocker.args[0] and "atp_c" in blocker.args[0]
    with qtbot.waitSignal(search.missing) as blocker:
        assert search.find("no such thing") is None
    assert "No node matches" in blocker.args[0]


def test_suggestions_are_ranked(search):
    search._suggest("glucose")
    first = search.suggestions.stringList()[0]
    assert first == "D-Glucose — glc__D_e"


def test_a_stale_message_is_cleared_by_the_next_success(qtbot, fresh_settings, textbook_result):
    from app.main_window import MainWindow

    w = MainWindow(settings=fresh_settings, unattended=True)
    qtbot.addWidget(w)
    w.show_result(textbook_result)
    assert w.search_for("nosuchnode") is None
    assert "nosuchnode" in w.status_label.text()
    assert w.search_for("glucose") == "glc__D_e"
    assert "nosuchnode" not in w.status_label.text()
    assert w.selection.node == "glc__D_e"
    w.close()
