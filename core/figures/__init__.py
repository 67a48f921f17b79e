"""Publication figures (matplotlib, saved at 300 DPI).

Every function takes results (graph, AttentionResult, the analysis's dataclasses, ConditionResults)
and returns a ``matplotlib.figure.Figure`` with its own Agg canvas: no pyplot state, safe to build
on a worker thread. Nothing is computed here that the analysis already computed.
"""

from core.figures._style import COLORMAPS, FIGURE_DPI, new_figure
from core.figures.conditions import cross_condition_figure, growth_figure, shifts_figure, top_nodes_figure
from core.figures.distributions import entropy_histograms, importance_scatter, weight_histograms
from core.figures.heatmap import attention_heatmap, pathway_heatmap
from core.figures.layers import layer_figure
from core.figures.network import network_figure

__all__ = [
    "COLORMAPS", "FIGURE_DPI", "new_figure", "attention_heatmap", "pathway_heatmap", "network_figure",
    "growth_figure", "top_nodes_figure", "shifts_figure", "cross_condition_figure", "weight_histograms",
    "entropy_histograms", "importance_scatter", "layer_figure",
]
