"""Comparing growth conditions: growth rates, top nodes side by side, biggest shifts, cross-condition attention.

Inputs are the run's :class:`core.conditions.ConditionResult` objects and the analysis's
:class:`core.analysis.conditions.ConditionComparison` (importance (C, N), pairs (Pr, 2), difference
(Pr, N), cross_mean (H, C, C), reliance (C, N)); nothing here is recomputed.
"""

from __future__ import annotations

import numpy as np

from core.conditions import growth_arrays

from core.figures._style import (
    FONT_SIZE, MEASURED_COLOUR, METABOLITE_COLOUR, REACTION_COLOUR, colormap, empty_message, new_figure, plain,
    style_axes,
)
from core.graph import METABOLITE
from core.views import condition_colour


def growth_figure(conditions, title: str = "Growth rate per condition"):
    """Bars of the FBA growth rate (1/h) per condition, with the measured rate beside it where given.
    Conditions without growth are marked with the solver's verdict."""
    conditions = list(conditions)
    fig = new_figure(max(3.5, 0.9 * len(conditions) + 2.0), 3.4)
    ax = fig.add_subplot()
    if not conditions:
        empty_message(ax, "no conditions")
        return fig
    x = np.arange(len(conditions))
    fba, measured = growth_arrays(conditions)
    has_measured = np.isfinite(measured).any()
    width = 0.38 if has_measured else 0.6
    offset = width / 2 if has_measured else 0.0
    bars = ax.bar(x - offset, fba, width, color=[condition_colour(i) for i in x], label="FBA")
    if has_measured:
        ax.bar(x + offset, np.nan_to_num(measured), width, color="white", edgecolor=MEASURED_COLOUR,
               hatch="///", label="measured")
        ax.legend(fontsize=FONT_SIZE - 1, frameon=False)
    top = max(float(np.nanmax(np.concatenate([fba, measured]))) if len(fba) else 0.0, 1e-3)
    for bar, c in zip(bars, conditions):
        text = f"{c.growth_rate:.3f}" if c.grows else plain(c.status_text().split(":")[0])
        ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + 0.02 * top, text, ha="center", va="bottom",
                fontsize=FONT_SIZE - 2, rotation=0 if c.grows else 90)
    ax.set_ylim(0, top * 1.25)
    ax.set_xticks(x, [plain(c.name, 20) for c in conditions], rotation=30 if len(conditions) > 3 else 0,
                  ha="right" if len(conditions) > 3 else "center", fontsize=FONT_SIZE - 1)
    ax.set_ylabel("growth rate (1/h)", fontsize=FONT_SIZE)
    ax.set_title(plain(title), fontsize=FONT_SIZE + 1)
    style_axes(ax)
    return fig


def _node_label(labels, i: int, length: int = 34) -> str:
    return plain(labels.names[i] or labels.ids[i], length)


def _node_labels(labels, idx, length: int = 34) -> list[str]:
    """Tick labels for nodes ``idx``: names cut to ``length``; where two cut names coincide (iJO1366's
    core and wild-type biomass reactions) the node id is shown instead, so no two bars look alike."""
    out = [_node_label(labels, i, length) for i in idx]
    return [plain(labels.ids[i], length) if out.count(text) > 1 else text for i, text in zip(idx, out)]


def top_nodes_figure(comparison, k: int = 15, title: str | None = None):
    """Importance of the top nodes, one bar per condition side by side (horizontal, most important on top)."""
    idx = comparison.top_union(k)
    n_c = len(comparison.condition_names)
    fig = new_figure(7.0, max(3.0, 0.22 * len(idx) * max(n_c, 1) ** 0.5 + 1.4))
    ax = fig.add_subplot()
    if not idx or n_c == 0:
        empty_message(ax, "no node importance to compare")
        return fig
    y = np.arange(len(idx))
    height = 0.8 / n_c
    for c, cname in enumerate(comparison.condition_names):
        ax.barh(y + (c - (n_c - 1) / 2) * height, 100.0 * comparison.importance[c, idx], height,
                color=condition_colour(c), label=plain(cname, 24))
    labels = comparison.labels
    ax.set_yticks(y, _node_labels(labels, idx), fontsize=FONT_SIZE - 2)
    for tick, i in zip(ax.get_yticklabels(), idx):
        tick.set_color(METABOLITE_COLOUR if labels.types[i] == METABOLITE else REACTION_COLOUR)
    ax.invert_yaxis()
    ax.set_xlabel("importance (% of all attention received)", fontsize=FONT_SIZE)
    ax.set_title(plain(title) if title else "Most important nodes per condition (red: metabolite, blue: reaction)",
                 fontsize=FONT_SIZE + 1)
    ax.legend(fontsize=FONT_SIZE - 1, frameon=False, loc="lower right")
    style_axes(ax)
    return fig


def shifts_figure(comparison, k: int = 12, max_pairs: int = 6, title: str | None = None):
    """Per pair of conditions (a, b): the nodes whose importance changes most (b - a), one panel per pair."""
    pairs = comparison.pairs[:max_pairs]
    n_p = len(pairs)
    fig = new_figure(max(4.5, 3.6 * min(n_p, 3)), 0.24 * k * ((n_p + 2) // 3) + 1.4 * ((n_p + 2) // 3) + 0.4)
    if n_p == 0:
        empty_message(fig.add_subplot(), "only one condition: nothing to compare")
        return fig
    rows, cols = (n_p + 2) // 3, min(n_p, 3)
    labels = comparison.labels
    for i, (a, b) in enumerate(pairs):
        ax = fig.add_subplot(rows, cols, i + 1)
        table = comparison.shifted_nodes(i, k)
        idx = [row["index"] for row in table]
        diff = 100.0 * np.array([row["difference"] or 0.0 for row in table])  # share -> percentage points
        y = np.arange(len(idx))
        ax.barh(y, diff, color=[condition_colour(int(b)) if d > 0 else condition_colour(int(a)) for d in diff])
        ax.axvline(0, color="#555555", lw=0.6)
        ax.set_yticks(y, _node_labels(labels, idx, 28), fontsize=FONT_SIZE - 3)
        ax.invert_yaxis()
        na, nb = plain(comparison.condition_names[a], 16), plain(comparison.condition_names[b], 16)
        ax.set_title(f"{nb} − {na}", fontsize=FONT_SIZE)
        ax.set_xlabel(f"importance change, % points (right: higher in {nb})", fontsize=FONT_SIZE - 2)
        ax.ticklabel_format(axis="x", style="plain", useOffset=False)
        ax.tick_params(axis="x", labelsize=FONT_SIZE - 3)
        style_axes(ax)
    if title or n_p:
        fig.suptitle(plain(title) if title else "Biggest shifts in importance between conditions",
                     fontsize=FONT_SIZE + 1)
    return fig


def cross_condition_figure(comparison, cmap: str = "viridis", title: str | None = None):
    """How much each condition's view of a node draws on each condition (mean over nodes and heads,
    rows sum to 1), beside each condition's reliance on the others."""
    names = [plain(n, 18) for n in comparison.condition_names]
    n_c = len(names)
    fig = new_figure(max(6.0, 1.3 * n_c + 4.0), max(3.2, 0.6 * n_c + 2.0))
    if comparison.cross_mean.size == 0 or n_c == 0:
        empty_message(fig.add_subplot(), "no cross-condition attention in this run")
        return fig
    matrix = comparison.cross_mean.mean(axis=0)  # [C, C], the report's "mean"
    ax, ax2 = fig.subplots(1, 2, width_ratios=(1.3, 1))
    image = ax.imshow(matrix, cmap=colormap(cmap), vmin=0.0, vmax=1.0)
    for r in range(n_c):
        for c in range(n_c):
            ax.text(c, r, f"{matrix[r, c]:.2f}", ha="center", va="center", fontsize=FONT_SIZE - 1,
                    color="white" if matrix[r, c] < 0.6 else "black")
    ax.set_xticks(range(n_c), names, rotation=30, ha="right", fontsize=FONT_SIZE - 1)
    ax.set_yticks(range(n_c), names, fontsize=FONT_SIZE - 1)
    ax.set_xlabel("draws on", fontsize=FONT_SIZE)
    ax.set_ylabel("condition", fontsize=FONT_SIZE)
    fig.colorbar(image, ax=ax, shrink=0.8).ax.tick_params(labelsize=FONT_SIZE - 1)
    reliance = comparison.reliance.mean(axis=1)  # [C], the report's reliance_per_condition
    ax2.bar(range(n_c), reliance, color=[condition_colour(c) for c in range(n_c)])
    ax2.set_xticks(range(n_c), names, rotation=30, ha="right", fontsize=FONT_SIZE - 1)
    ax2.set_ylabel("share drawn from other conditions", fontsize=FONT_SIZE - 1)
    ax2.set_ylim(0, max(float(reliance.max()) * 1.2, 0.05))
    style_axes(ax2)
    fig.suptitle(plain(title) if title else "Cross-condition attention", fontsize=FONT_SIZE + 1)
    return fig
