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


def test_both_ways_shows_gains_beside_bigger_losses():
    """As iJO1366 on acetate vs glucose: glycolysis loses far more (log2 -2.7) than the glyoxylate shunt gains
    (+0.7); ranked by |change| alone every bar was a loss. The chart shows both directions."""
    from core.analysis.shifts import ShiftRanking

    a = np.full(12, 1 / 12)
    b = a.copy()
    b[:6] = a[:6] / np.array([7.0, 6.5, 6.0, 5.5, 5.0, 4.5])  # six big losses
    b[6:9] = a[6:9] * np.array([1.7, 1.6, 1.5])  # three gains, each smaller than any loss
    b /= b.sum()
    change, above, ranked = rank_by_relative_change(a, b, DEFAULT_FLOOR / 12, k=3)  # the pane's k: losses only
    s = ShiftRanking(condition_a="glucose", condition_b="acetate", level="nodes", names=tuple("abcdefghijkl"),
                     ids=tuple("abcdefghijkl"), importance_a=a, importance_b=b, relative_change=change,
                     floor=DEFAULT_FLOOR / 12, above_floor=above, ranked=ranked)
    assert (change[ranked] < 0).all()  # the plain ranking: losses first
    shown = s.both_ways(6)
    assert sorted(shown.tolist()) == [0, 1, 2, 6, 7, 8]  # the three biggest gains and the three biggest losses
    assert np.all(np.diff(change[shown]) <= 0)  # biggest gain at the top, biggest loss at the bottom
    # One side short: the other fills the bars.
    assert len(s.both_ways(10)) == 10 and {6, 7, 8} <= set(s.both_ways(10).tolist())
    assert s.both_ways(1).tolist() == [6] and s.both_ways(0).size == 0
