"""Movers between two conditions ranked by relative change with a floor (issue 16): hubs do not crowd
out smaller nodes that change more, and nodes with almost no attention do not top the list."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis.shifts import DEFAULT_FLOOR, rank_by_relative_change, shift_ranking


def test_hand_computed_hub_tiny_and_mid():
    # Ten items (shares of attention). The hub gains 20 %, "mid" doubles, "tiny" grows fourfold from
    # almost nothing.
    a = np.array([0.40, 0.04, 0.0005, 0.1, 0.1, 0.1, 0.1, 0.1, 0.0595, 0.0])
    b = np.array([0.48, 0.08, 0.0020, 0.1, 0.1, 0.1, 0.1, 0.1, 0.0380, 0.0])
    floor = DEFAULT_FLOOR / 10  # 0.05
    change, above, ranked = rank_by_relative_change(a, b, floor, k=3)
    assert change[1] == pytest.approx(np.log2((0.08 + 0.05) / (0.04 + 0.05)))  # 0.53
    assert change[0] == pytest.approx(np.log2((0.48 + 0.05) / (0.40 + 0.05)))  # 0.24
    assert not above[2] and not above[9]  # below the floor in both conditions: not ranked
    assert ranked.tolist() == [1, 8, 0]  # mid, then the one that shrank (0.0595 -> 0.038), then the hub
    assert np.argmax(np.abs(b - a)) == 0  # by absolute difference the hub would have come first
    # Without a floor worth the name, the item with almost no attention tops the list.
    _c, _a, tiny_first = rank_by_relative_change(a, b, 1e-6, k=1)
    assert tiny_first.tolist() == [2]
    with pytest.raises(ValueError, match="floor"):
        rank_by_relative_change(a, b, 0.0, k=3)


def test_real_comparison_nodes_and_pathways(textbook_report):
    comparison = textbook_report.conditions
    n = comparison.importance.shape[1]
    s = shift_ranking(comparison, 0, k=15)
    assert (s.condition_a, s.condition_b) == comparison.condition_names
    assert s.floor == pytest.approx(DEFAULT_FLOOR / n)
    assert len(s.ranked) == 15 and s.above_floor[s.ranked].all()
    moved = np.abs(s.relative_change[s.ranked])
    assert np.all(np.diff(moved) <= 1e-12)  # biggest movers first
    # Same sign as the difference the comparison reports.
    assert np.array_equal(np.sign(s.relative_change[s.ranked]), np.sign(comparison.difference[0][s.ranked]))
    # Hubs (the 10 % most important nodes) crowd the ranking by absolute difference more than this one.
    hubs = set(np.argsort(-s.importance)[: n // 10].tolist())
    by_difference = np.argsort(-np.abs(comparison.difference[0]), kind="stable")[:15]
    assert len(hubs & set(s.ranked.tolist())) < len(hubs & set(by_difference.tolist()))
    rows = s.rows()
    assert rows[0]["id"] == comparison.labels.ids[s.ranked[0]] and "relative_change_log2" in rows[0]
    pathways = shift_ranking(comparison, 0, level="pathways", k=5)
    assert pathways.names == comparison.pathway_names and len(pathways.ranked) <= 5
    with pytest.raises(ValueError, match="level"):
        shift_ranking(comparison, 0, level="genes")
