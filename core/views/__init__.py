"""What the views draw, computed once for the figures, the HTML export and the GUI panes alike.

Modules: ``style`` (colours, pens, label text), ``positions`` (node layout and its cache), ``pairs``
(attention slices and pair look-ups), ``network`` (neighbourhoods and drawing arrays), ``heatmap``
(pathway order, pixel grid, zoomed windows), ``layered`` and ``top`` (layered pathway, neighbourhood and
top-node views), ``search`` (Find's terms), ``panes`` (what the window's panes draw first, computed off
its thread). A new view adds its module here; figures
(``core.figures``) and panes (``app.panes``) draw what these return and never recompute it.
"""

from core.views.heatmap import HeatmapGrid, PathwayOrder, heatmap_grid, heatmap_window, pathway_order
from core.views.network import GraphArrays, Neighbourhood, graph_arrays, neighbourhood, whole_graph
from core.views.pairs import attention_slice, edge_lookup, graph_edge_attention
from core.views.positions import (LAYOUT_VERSION, MEMORY_CACHE_SIZE, canonical_edges, clear_layout_cache, layout,
                                  layout_cache_dir, layout_key)
from core.views.style import (CONDITION_COLOURS, EDGE_RGB, METABOLITE_RGB, PEN_DTYPE, REACTION_RGB, UNASSIGNED,
                              condition_colour, shorten)

__all__ = [
    "CONDITION_COLOURS", "EDGE_RGB", "GraphArrays", "HeatmapGrid", "LAYOUT_VERSION", "MEMORY_CACHE_SIZE",
    "METABOLITE_RGB", "Neighbourhood", "PEN_DTYPE", "PathwayOrder", "REACTION_RGB", "UNASSIGNED", "attention_slice",
    "canonical_edges", "clear_layout_cache", "condition_colour", "edge_lookup", "graph_arrays",
    "graph_edge_attention", "heatmap_grid", "heatmap_window", "layout", "layout_cache_dir", "layout_key",
    "neighbourhood", "pathway_order", "shorten", "whole_graph",
]
