"""The CSV tables a run writes: node_importance.csv and pathway_scores.csv (see :mod:`core.export`).

Text cells that start with ``=``, ``+``, ``-``, ``@``, tab or carriage return get a leading ``'`` so a
spreadsheet shows them as text instead of running them as formulas; fields holding a separator, a quote,
CR or LF are quoted.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from core.graph import NODE_TYPE_NAMES
from core.io_utils import atomic_write_text

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(text: str) -> str:
    """``text`` with a leading ``'`` if a spreadsheet would read it as a formula. The check also runs
    after every CR/LF, since a spreadsheet that splits the cell there would read the next line alone."""
    text = str(text)
    text = re.sub(r"([\r\n])(?=[=+\-@])", r"\1'", text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _ranks(order: np.ndarray) -> np.ndarray:
    """(C, K) orders, best first, -> (C, K) int64 ranks: ``ranks[c, order[c, r]] == r + 1``."""
    order = np.asarray(order, dtype=np.int64)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(1, order.shape[1] + 1), order.shape), axis=1)
    return ranks


def _importance_ranks(importance: np.ndarray) -> np.ndarray:
    """(C, N) -> (C, N) int: 1 = most important in that condition; ties keep graph order."""
    return _ranks(np.argsort(-np.asarray(importance), axis=1, kind="stable"))


def _csv_field(value) -> str:
    """One CSV field: quoted (with ``"`` doubled) when it holds a separator, a quote, CR or LF or starts
    with a formula character. csv.writer's minimal quoting misses a bare CR when rows end in LF, and a
    spreadsheet then starts a new row there, where the text after the CR would be read as a formula."""
    text = str(value)
    if text.startswith(_FORMULA_START) or any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_text(header: list[str], rows: list[list]) -> str:
    lines = [",".join(_csv_field(x) for x in header)]
    lines += [",".join(_csv_field(x) for x in row) for row in rows]
    return "\n".join(lines) + "\n"


def node_importance_table(result) -> tuple[list[str], list[list]]:
    """Header and rows of node_importance.csv: rank (by mean importance over conditions), id, name,
    type, pathway, compartment, then importance and rank per condition."""
    graph, att = result.graph, result.attention
    names = list(att.condition_names)
    imp = np.asarray(att.importance, dtype=np.float64)  # [C, N]
    ranks = _importance_ranks(imp)
    mean = imp.mean(axis=0)
    order = np.argsort(-mean, kind="stable")
    header = ["rank", "id", "name", "type", "pathway", "compartment", "mean_importance"]
    for cname in names:
        header += [f"importance_{cname}", f"rank_{cname}"]
    rows = []
    for r, i in enumerate(order.tolist()):
        row = [r + 1, _spreadsheet_safe(graph.node_ids[i]), _spreadsheet_safe(graph.node_names[i]),
               NODE_TYPE_NAMES[int(graph.node_types[i])], _spreadsheet_safe(graph.primary_pathway[i]),
               _spreadsheet_safe(graph.compartments[i]), f"{mean[i]:.8g}"]
        for c in range(len(names)):
            row += [f"{imp[c, i]:.8g}", int(ranks[c, i])]
        rows.append(row)
    return [_spreadsheet_safe(h) for h in header], rows


def pathway_score_table(pathways) -> tuple[list[str], list[list]]:
    """Header and rows of pathway_scores.csv from the analysis's PathwayResult: pathway, nodes, then per
    condition the summed importance, importance per node, enrichment (share of importance / share of
    nodes) and rank. Rows ordered by the first condition's ranking."""
    names = list(pathways.condition_names)
    ranking = np.asarray(pathways.ranking, dtype=np.int64)  # [C, P]
    rank = _ranks(ranking)
    header = ["pathway", "nodes"]
    for cname in names:
        header += [f"importance_{cname}", f"importance_per_node_{cname}", f"enrichment_{cname}", f"rank_{cname}"]
    order = ranking[0] if ranking.size else np.arange(len(pathways.names))
    rows = []
    for p in order.tolist():
        row = [_spreadsheet_safe(pathways.names[p]), int(pathways.n_nodes[p])]
        for c in range(len(names)):
            row += [f"{pathways.importance[c, p]:.8g}", f"{pathways.importance_mean[c, p]:.8g}",
                    f"{pathways.enrichment[c, p]:.6g}", int(rank[c, p])]
        rows.append(row)
    return [_spreadsheet_safe(h) for h in header], rows


def export_node_csv(result, path: str | Path, overwrite: bool = True) -> Path:
    header, rows = node_importance_table(result)
    return atomic_write_text(path, _csv_text(header, rows), overwrite)


def export_pathway_csv(result, path: str | Path, overwrite: bool = True) -> Path:
    header, rows = pathway_score_table(result.analysis.pathways)
    return atomic_write_text(path, _csv_text(header, rows), overwrite)
