"""Distributions and correlations: attention weights and entropy per head, importance against degree and flux.

Inputs: the AttentionResult (weights are drawn as they are), the analysis's
:class:`~core.analysis.entropy.EntropyResult` (entropy (L, C, H, N), NaN where undefined) and
:class:`~core.analysis.correlations.CorrelationResult` (features (C, N, F); pearson_r, spearman_rho
(C, F, S)) with the importance (C, N).
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import FuncFormatter, NullFormatter

from core.figures._style import (
    FONT_SIZE, METABOLITE_COLOUR, REACTION_COLOUR, empty_message, new_figure, plain, style_axes,
)
from core.graph import METABOLITE

FEATURE_LABELS = {"degree": "degree (edges in the metabolic graph)",
                  "stoichiometry": "sum of |stoichiometric coefficients|",
                  "abs_flux": "|flux| or turnover (mmol/gDW/h)"}


def _head_grid(n: int):
    """A figure with one small panel per head, four to a row. Margins are fixed rather than
    constrained: with many panels the constrained layout costs most of the drawing time."""
    cols = max(min(n, 4), 1)
    rows = (n + cols - 1) // cols
    height = 1.9 * rows + 0.7
    fig = new_figure(8.0, height, constrained=False)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.55 / height + 0.02, top=1 - 0.45 / height,
                        wspace=0.35, hspace=0.75)
    return fig, [fig.add_subplot(rows, cols, i + 1) for i in range(n)]


def weight_histograms(attention, layer: int = -1, bins: int = 40, title: str | None = None):
    """One histogram per head of the attention weights on edges between two different nodes
    (self-loops left out, as in the analysis's basic statistics), all conditions pooled."""
    n_h = attention.n_heads
    layer_no = layer if layer >= 0 else attention.n_layers + layer
    fig, axes = _head_grid(n_h)
    loop = attention.edge_index[0] == attention.edge_index[1]
    w = attention.self_attention[layer][:, ~loop, :]  # [C, E_neighbour, H]
    for h, ax in enumerate(axes):
        values = w[:, :, h].ravel()
        if values.size == 0:
            empty_message(ax, "no edges")
            continue
        ax.hist(values, bins=bins, range=(0.0, 1.0), color="#4c72b0", log=True, histtype="stepfilled")
        # Plain counts (1, 10, 100) instead of mathtext powers: same reading, a third of the drawing time.
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_title(f"head {h + 1}", fontsize=FONT_SIZE)
        ax.set_xlabel("weight", fontsize=FONT_SIZE - 1)
        style_axes(ax)
    fig.suptitle(plain(title) if title else f"Attention weights per head, layer {layer_no + 1} (edges, log count)",
                 fontsize=FONT_SIZE + 1)
    return fig


def entropy_histograms(entropy, layer: int = -1, bins: int = 20, title: str | None = None):
    """One histogram per head of the nodes' normalised attention entropy (0 focused, 1 even), all
    conditions pooled; nodes with a single incoming edge have none and are left out."""
    ent = np.asarray(entropy.entropy)  # [L, C, H, N]
    n_l, _, n_h, _ = ent.shape
    layer_no = layer if layer >= 0 else n_l + layer
    fig, axes = _head_grid(n_h)
    for h, ax in enumerate(axes):
        values = ent[layer, :, h, :].ravel()
        values = values[np.isfinite(values)]
        if values.size == 0:
            empty_message(ax, "no node has more than one neighbour")
            continue
        ax.hist(values, bins=bins, range=(0.0, 1.0), color="#55a868", histtype="stepfilled")
        ax.set_title(f"head {h + 1}", fontsize=FONT_SIZE)
        ax.set_xlabel("normalised entropy", fontsize=FONT_SIZE - 1)
        style_axes(ax)
    fig.suptitle(plain(title) if title else f"Entropy of each node's attention per head, layer {layer_no + 1}",
                 fontsize=FONT_SIZE + 1)
    return fig


def importance_scatter(correlations, importance: np.ndarray, node_types: np.ndarray, condition: int = 0,
                       features: tuple[str, ...] = ("degree", "abs_flux"), title: str | None = None):
    """Importance against node features for one condition; Pearson r and Spearman rho (all nodes, from
    the analysis) in each legend. Axes are logarithmic where the values allow."""
    names = list(correlations.feature_names)
    feats = [f for f in features if f in names]
    fig = new_figure(4.0 * max(len(feats), 1), 3.8)
    if not feats:
        empty_message(fig.add_subplot(), "no node features to compare with")
        return fig
    imp = np.asarray(importance[condition], dtype=np.float64)  # [N]
    is_met = np.asarray(node_types) == METABOLITE
    subset = list(correlations.subsets).index("all")
    cond = plain(correlations.condition_names[condition], 24)
    for ax, feature in zip(fig.subplots(1, len(feats), squeeze=False)[0], feats):
        f = names.index(feature)
        x = np.asarray(correlations.features[condition, :, f], dtype=np.float64)  # [N]
        ok = np.isfinite(x) & np.isfinite(imp)
        r = correlations.pearson_r[condition, f, subset]
        rho = correlations.spearman_rho[condition, f, subset]
        stats = f"Pearson r = {r:.2f}, Spearman ρ = {rho:.2f}" if np.isfinite(r) else "no correlation defined"
        for mask, marker, colour, label in ((is_met, "o", METABOLITE_COLOUR, "metabolites"),
                                            (~is_met, "s", REACTION_COLOUR, "reactions")):
            m = mask & ok
            if m.any():
                ax.scatter(x[m], imp[m], s=6, marker=marker, color=colour, alpha=0.6, linewidths=0, label=label)
        ax.plot([], [], ls="", label=stats)
        xs, ys = x[ok], imp[ok]
        positive = xs[xs > 0]
        if positive.size >= 2 and positive.max() / positive.min() > 50:
            # symlog keeps the zeros (no flux) on the axis; the linear part spans the smallest 5 %.
            ax.set_xscale("symlog", linthresh=max(float(np.quantile(positive, 0.05)), positive.max() * 1e-4))
        if ys.size and (ys > 0).all() and ys.max() / ys.min() > 50:
            ax.set_yscale("log")
        ax.set_xlabel(FEATURE_LABELS.get(feature, plain(feature)), fontsize=FONT_SIZE)
        ax.set_ylabel("importance", fontsize=FONT_SIZE)
        ax.legend(fontsize=FONT_SIZE - 2, frameon=False, loc="best")
        style_axes(ax)
    fig.suptitle(plain(title) if title else f"Importance against network and flux properties, {cond}",
                 fontsize=FONT_SIZE + 1)
    return fig
