"""The JSON report of a run (``OUT/report.json``): plain numbers, documented keys.

Top-level keys:
    format, version, created      identification of this file
    settings                      the RunSettings used
    model                         id, source, format, sha256, counts (metabolites, reactions, genes)
    graph                         counts of the full graph and of the graph attention ran on
    run                           what was run: objective, method (fba/pfba/none), solver, carbon_normalised,
                                  structure_only (no FBA: the model has no exchanges or objective),
                                  growth_ceiling (1/h; growth above it is flagged in notes)
    conditions                    per condition: name, medium (exchange -> uptake bound), condition (bounds,
                                  medium_name, components [{compound, exchange, uptake}], unmapped,
                                  carbon_normalised), growth_rate (1/h), status, solver, fluxes summary
    attention                     config and shapes (present when attention ran); ``trained`` says whether
                                  trained weights ran (False: untrained, structure only)
    trained_model                 when trained weights ran: their card (data recipe, settings, held-out
                                  metrics beside baselines, faithfulness), and predicted beside FBA growth
                                  per condition; absent for the untrained read-out
    analysis                      the analysis section (see core.analysis), when it ran
    timings                       seconds per stage
    notes                         plain-language remarks (conditions left out, ...)
"""

from __future__ import annotations

import datetime as _dt
import json

import numpy as np

REPORT_FORMAT = "metattn-report"
REPORT_VERSION = 1


def build_report(result) -> dict:
    """A JSON-ready dict from a :class:`core.pipeline.RunResult`."""
    from core.summary_run import run_facts

    model = result.loaded.model
    report = {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "settings": result.settings.to_dict(),
        "model": {
            "id": model.id,
            "name": model.name or model.id,
            "source": result.loaded.source,
            "format": result.loaded.format,
            "sha256": result.loaded.sha256,
            "counts": {"metabolites": len(model.metabolites), "reactions": len(model.reactions),
                       "genes": len(model.genes)},
        },
        "graph": {"full": result.full_graph_counts, "used": result.graph.counts(),
                  "removed_currency_metabolites": list(result.graph.removed_currency)},
        "run": run_facts(result),
        "conditions": [c.to_dict() for c in result.conditions],
        "timings": {k: round(v, 4) for k, v in result.timings.items()},
        "notes": list(result.notes),
    }
    att = result.attention
    if att is not None:
        report["attention"] = {
            "config": att.config.to_dict(),
            "conditions": list(att.condition_names),
            "layers": att.n_layers, "heads": att.n_heads, "nodes": att.n_nodes, "edges": att.n_edges,
            "feature_names": list(att.feature_names),
            "trained": att.trained,
        }
        if att.trained:
            report["trained_model"] = att.prediction
    if result.analysis is not None:
        report["analysis"] = result.analysis.to_dict()
    return to_jsonable(report)


def to_jsonable(obj):
    """Convert numpy scalars/arrays and tuples so that ``json.dumps`` takes the result; NaN -> None."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        value = float(obj)
        return None if not np.isfinite(value) else value
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def dumps(report: dict) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False)
