"""Escher reaction data (``OUT/escher_C.json``): ``{reaction_id: importance}`` for one condition, the
form Escher's *Data → Load reaction data* colours a map by. See :func:`escher_reaction_data` for what
is left out and why."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from core.graph import REACTION
from core.io_utils import atomic_write_text

# Escher's standard e_coli_core map names the biomass reaction differently from COBRApy's bundled
# textbook model: its value is written under both ids so the map's biomass arrow is coloured too.
ESCHER_ID_ALIASES = {"Biomass_Ecoli_core": "BIOMASS_Ecoli_core_w_GAM"}


def escher_reaction_data(result, condition: int) -> dict[str, float]:
    """``{reaction_id: importance}`` for one condition: Escher's reaction-data form.

    Reactions with no attention data are left out (Escher then draws them uncoloured): those whose
    metabolites were all removed as currency (ATPS4r, CYTBD, the O2 and CO2 exchanges on
    e_coli_core) are isolated in the graph attention ran on, so a 0 for them would read as "ignored"
    when it means "not looked at". Ids in :data:`ESCHER_ID_ALIASES` get their map's id as well."""
    graph, att = result.graph, result.attention
    imp = att.importance[condition]
    linked = np.zeros(graph.n_nodes, dtype=bool)
    linked[graph.edge_index[0]] = True
    linked[graph.edge_index[1]] = True
    out = {graph.node_ids[i]: float(imp[i]) for i in np.flatnonzero((graph.node_types == REACTION) & linked)}
    for rid, alias in ESCHER_ID_ALIASES.items():
        if rid in out and alias not in out:
            out[alias] = out[rid]
    return out


def export_escher(result, condition: int, path: str | Path, overwrite: bool = True) -> Path:
    data = escher_reaction_data(result, condition)
    return atomic_write_text(path, json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n", overwrite)
