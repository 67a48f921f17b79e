"""Which nodes (or pathways) move most between two conditions, ranked by relative change with a floor.

Ranked by the absolute difference (``ConditionComparison.shifted_nodes``), the hubs come first: a node
holding 5 % of the attention moves by more than a whole small pathway does. Ranked by the plain fold
change, nodes with almost no attention come first (0.0001 -> 0.0004 is a fourfold change of nothing).
Here the relative change of an item with importance ``a`` in the first condition and ``b`` in the
second is

    log2((b + floor) / (a + floor))

with ``floor`` a share of attention (default: half of the average item's share, 0.5 / N): a change
much smaller than the floor hardly counts, and items below the floor in both conditions are left out
of the ranking. A hub that gains 20 % therefore ranks below a mid-sized reaction that doubles.

Shapes (legend: M items, nodes or pathways; K ranked):
    importance_a, importance_b, relative_change (M,); ranked (K,) item indices, biggest |change| first
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.analysis._common import floats

DEFAULT_FLOOR = 0.5  # times the average item's share of attention


@dataclass(frozen=True, eq=False)
class ShiftRanking:
    """One pair of conditions (a -> b): every item's relative change and the biggest movers."""

    condition_a: str
    condition_b: str
    level: str  # "nodes" or "pathways"
    names: tuple[str, ...]
    ids: tuple[str, ...]  # node ids; the names again for pathways
    importance_a: np.ndarray  # (M,) share of the attention in condition a
    importance_b: np.ndarray  # (M,)
    relative_change: np.ndarray  # (M,) log2((b + floor) / (a + floor))
    floor: float  # a share of attention
    above_floor: np.ndarray  # (M,) bool: at or above the floor in at least one condition
    ranked: np.ndarray  # (K,) int64, biggest |relative_change| first, only items above the floor

    @property
    def importance(self) -> np.ndarray:
        """(M,) the larger of the item's two shares: how much attention it holds where it holds most."""
        return np.maximum(self.importance_a, self.importance_b)

    def both_ways(self, n: int) -> np.ndarray:
        """Up to ``n`` movers above the floor for a diverging bar chart: as many gains as losses where both exist
        (the other side's share goes to whichever has more), biggest gain first, biggest loss last. Ranked by
        |relative change| alone, one direction can fill every bar: iJO1366 on acetate vs glucose, glycolysis's
        losses (-2.7) hid the glyoxylate shunt's gains (MALS, ICL: +0.7, the biggest gains)."""
        n = max(int(n), 0)
        change = np.where(self.above_floor, self.relative_change, 0.0)  # every item above the floor, not only the k
        order = np.argsort(-np.abs(change), kind="stable")
        up = [int(i) for i in order if change[i] > 0][:n]
        down = [int(i) for i in order if change[i] < 0][:n]
        n_up = min(len(up), max(n - len(down), (n + 1) // 2))
        chosen = up[:n_up] + down[: n - n_up]
        return np.array(sorted(chosen, key=lambda i: -self.relative_change[i]), dtype=np.int64)

    def rows(self) -> list[dict]:
        return [{"rank": r + 1, "index": int(i), "id": self.ids[i], "name": self.names[i],
                 "importance_a": floats(self.importance_a[i]), "importance_b": floats(self.importance_b[i]),
                 "relative_change_log2": floats(self.relative_change[i])} for r, i in enumerate(self.ranked)]


def rank_by_relative_change(importance_a: np.ndarray, importance_b: np.ndarray, floor: float,
                            k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(relative change (M,), above floor (M,) bool, the k biggest movers (K,)) for two share vectors;
    ties keep index order."""
    a = np.asarray(importance_a, dtype=np.float64)
    b = np.asarray(importance_b, dtype=np.float64)
    if floor <= 0 or not np.isfinite(floor):
        raise ValueError(f"the floor must be a positive share of attention, not {floor!r}")
    change = np.log2((b + floor) / (a + floor))
    above = (np.maximum(a, b) >= floor) & np.isfinite(change)
    key = np.where(above, -np.abs(change), np.inf)
    order = np.argsort(key, kind="stable")[: min(max(int(k), 0), int(above.sum()))]
    return change, above, order.astype(np.int64)


def shift_ranking(comparison, pair: int, level: str = "nodes", k: int = 20,
                  floor: float | None = None) -> ShiftRanking:
    """The movers of ``comparison`` (a :class:`core.analysis.ConditionComparison`) for its pair
    ``pair`` (b - a as in ``comparison.pairs``), over nodes or pathways. ``floor`` is a share of
    attention; None gives :data:`DEFAULT_FLOOR` / M."""
    if level not in ("nodes", "pathways"):
        raise ValueError(f"level must be 'nodes' or 'pathways', not {level!r}")
    a, b = (int(v) for v in comparison.pairs[pair])
    if level == "nodes":
        imp = comparison.importance
        names, ids = tuple(comparison.labels.names), tuple(comparison.labels.ids)
    else:
        imp = comparison.pathway_importance
        names = ids = tuple(comparison.pathway_names)
    m = imp.shape[1]
    floor = DEFAULT_FLOOR / max(m, 1) if floor is None else float(floor)
    change, above, ranked = rank_by_relative_change(imp[a], imp[b], floor, k)
    return ShiftRanking(condition_a=comparison.condition_names[a], condition_b=comparison.condition_names[b],
                        level=level, names=names, ids=ids, importance_a=np.asarray(imp[a], dtype=np.float64),
                        importance_b=np.asarray(imp[b], dtype=np.float64), relative_change=change, floor=floor,
                        above_floor=above, ranked=ranked)
