"""How attention changes across layers: entropy and sparsity per layer and head.

Inputs are the analysis's results: ``EntropyResult.layer_head_mean`` (L, H),
``SparsityResult.gini`` (L, C, H) and ``LayerEvolution`` (mean_entropy, top1_share (L,),
jaccard_consecutive (L - 1,)).
"""

from __future__ import annotations

import numpy as np

from core.figures._style import FONT_SIZE, empty_message, new_figure, plain, style_axes


def layer_figure(entropy, sparsity, layers, title: str | None = None):
    """Three panels over layers: mean normalised entropy per head, Gini coefficient per head (mean
    over conditions), and each layer's top-1 share with the overlap of consecutive top-k sets."""
    ent = np.asarray(entropy.layer_head_mean, dtype=np.float64)  # [L, H]
    gini = np.asarray(sparsity.gini, dtype=np.float64)  # [L, C, H]
    n_l, n_h = ent.shape
    fig = new_figure(10.0, 3.4)
    if n_l == 0:
        empty_message(fig.add_subplot(), "no layers")
        return fig
    x = np.arange(1, n_l + 1)
    axes = fig.subplots(1, 3)
    colours = [f"C{h % 10}" for h in range(n_h)]
    for h in range(n_h):
        axes[0].plot(x, ent[:, h], marker="o", ms=3, lw=1, color=colours[h], label=f"head {h + 1}")
        axes[1].plot(x, np.nanmean(gini[:, :, h], axis=1) if gini.shape[1] else np.full(n_l, np.nan),
                     marker="o", ms=3, lw=1, color=colours[h])
    axes[0].plot(x, layers.mean_entropy, color="black", lw=2, label="all heads")
    axes[0].set_ylabel("mean normalised entropy (0 focused, 1 even)", fontsize=FONT_SIZE - 1)
    axes[0].set_ylim(0, 1.02)
    axes[1].set_ylabel("Gini of weights (0 even, 1 concentrated)", fontsize=FONT_SIZE - 1)
    axes[1].set_ylim(0, 1.02)
    axes[2].plot(x, layers.top1_share, marker="o", color="#c44e52", label="strongest edge's share per node")
    if n_l > 1:
        axes[2].plot(x[1:], layers.jaccard_consecutive, marker="s", color="#8172b3",
                     label="top-k overlap with previous layer")
    axes[2].set_ylim(0, 1.02)
    axes[2].set_ylabel("share / Jaccard overlap", fontsize=FONT_SIZE - 1)
    axes[2].legend(fontsize=FONT_SIZE - 2, frameon=False)
    if n_h <= 10:
        axes[0].legend(fontsize=FONT_SIZE - 2, frameon=False, ncol=2)
    for ax in axes:
        ax.set_xticks(x)
        ax.set_xlabel("layer", fontsize=FONT_SIZE)
        style_axes(ax)
    fig.suptitle(plain(title) if title else "Attention across layers", fontsize=FONT_SIZE + 1)
    return fig
