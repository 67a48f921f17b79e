"""The Markdown summary (core.summary) on real data: readable structure, names with ids, glossary."""

from __future__ import annotations

import re

import numpy as np

from core.summary import GLOSSARY, summary_markdown


def _tables(text: str) -> list[list[str]]:
    tables, current = [], []
    for line in text.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return tables + ([current] if current else [])


def _columns(line: str) -> int:
    return len(re.split(r"(?<!\\)\|", line.strip().strip("|")))


def test_summary_from_pieces(textbook_case, textbook_report):
    graph, conds, att = textbook_case
    text = summary_markdown(graph, conds, att, textbook_report, "E. coli core")
    assert text.startswith("# Metabolic attention summary: E. coli core")
    for heading in ("## Growth per condition", "## Most important metabolites and reactions",
                    "## Most important pathways", "## Biggest shifts between conditions", "## Groups of similar nodes",
                    "## Glossary"):
        assert heading in text
    for term, _ in GLOSSARY:
        assert f"**{term}**" in text
    # Growth rates of the real FBA solutions, and the most important node by name with its id in brackets.
    assert f"{conds[0].growth_rate:.3f}" in text and f"{conds[1].growth_rate:.3f}" in text
    top = int(np.argmax(textbook_report.importance[0]))
    assert f"{graph.node_names[top]} [{graph.node_ids[top]}]" in text
    assert "glucose → acetate" in text
    # Every table is well formed: header, separator, rows with as many cells as the header.
    tables = _tables(text)
    assert len(tables) >= 8
    for table in tables:
        assert set(table[1].replace("|", "")) == {"-"}
        assert len({_columns(line) for line in table}) == 1


def test_summary_from_run_result_and_without_analysis(textbook_case, textbook_report):
    from core.models import load_model
    from core.pipeline import RunResult, RunSettings

    graph, conds, att = textbook_case
    loaded = load_model("textbook")
    run = RunResult(RunSettings(model="textbook"), loaded, graph, graph.counts(), tuple(conds), att,
                    textbook_report, {}, ("Preset 'lactose' left out: unknown exchange 'lcts_e'.",))
    text = summary_markdown(run)
    assert text.splitlines()[0] == f"# Metabolic attention summary: {loaded.model.name or loaded.model.id}"
    assert "## Biggest shifts between conditions" in text
    assert "**Notes on this run:**\n\n- Preset 'lactose' left out: unknown exchange 'lcts_e'.\n" in text
    assert "Notes on this run" not in summary_markdown(graph, conds, att, textbook_report, "core")
    bare = summary_markdown(graph, conds, att, None, "core")
    assert "not run" in bare and "## Growth per condition" in bare and "## Glossary" in bare


def test_pipes_in_names_do_not_break_tables(tiny):
    from dataclasses import replace

    from core.analysis import analyse

    graph, conds, att = tiny
    graph = replace(graph, node_names=("A | left", "B", "R1", "R2"))
    report = analyse(graph, conds, att, top_k=4)
    text = summary_markdown(graph, conds, att, report, "tiny")
    assert "A \\| left [A]" in text
    for table in _tables(text):
        assert len({_columns(line) for line in table}) == 1


def test_summary_with_one_condition():
    from core.analysis import analyse
    from tests.core.analysis.conftest import TINY_ATTENTION_EDGES, TINY_W0, tiny_conditions, tiny_graph
    from tests.core.analysis.synthetic import attention_from_weights

    graph = tiny_graph()
    att = attention_from_weights(graph, ("glucose",), TINY_ATTENTION_EDGES, TINY_W0[None, None, None, :])
    conds = tiny_conditions()[:1]
    text = summary_markdown(graph, conds, att, analyse(graph, conds, att, top_k=3), "tiny")
    assert "Only one condition was analysed" in text
    assert "How conditions draw on each other" not in text
