"""Figure labels of nodes whose names share a long prefix (issue 13: iJO1366's two biomass reactions)."""

from __future__ import annotations

import numpy as np

from core.analysis._common import NodeLabels
from core.figures.conditions import _node_labels


def test_cut_names_that_coincide_show_their_ids():
    core = "E. coli biomass objective function (iJO1366) - core - with 53.95 GAM estimate"
    wild = "E. coli biomass objective function (iJO1366) - WT - with 53.95 GAM estimate"
    labels = NodeLabels(("BIOMASS_Ec_iJO1366_core_53p95M", "BIOMASS_Ec_iJO1366_WT_53p95M", "PGI"),
                        (core, wild, "glucose-6-phosphate isomerase"), np.ones(3, dtype=np.int8), ("", "", ""))
    out = _node_labels(labels, [0, 1, 2], 34)
    assert out[:2] == ["BIOMASS_Ec_iJO1366_core_53p95M", "BIOMASS_Ec_iJO1366_WT_53p95M"]
    assert out[2] == "glucose-6-phosphate isomerase"
    assert len(set(out)) == 3
