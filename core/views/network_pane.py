"""What the window's network pane draws, for one choice of mode, node and condition (Qt-free, so that the
compute process can make it: :mod:`app.view_jobs`).

Shapes: as :mod:`core.views.network` and :mod:`core.views.layered`.
"""

from __future__ import annotations

from core.errors import check_stop

TOP, AROUND, PATHWAY = range(3)  # the modes


def compute_network(graph, attention, centre, top_k: int, condition: int, layer: int, seed: int, mode: int = TOP,
                    model=None, sides: bool = False, progress=None, should_stop=None):
    """(Neighbourhood, GraphArrays, SideNodes or None) for the pane; runs on a worker thread and stops
    between steps when asked (``core.errors.Cancelled``)."""
    from core.views import graph_arrays, neighbourhood
    from core.views.layered import currency_sides, layered_positions, pathway_view

    check_stop(should_stop)
    if mode == TOP or centre is None:  # the top nodes with what joins them (core.views.top), layered
        from core.views.top import top_view

        nbh, pos, hubs = top_view(graph, attention, top_k, condition, layer, model, should_stop=should_stop)
        return nbh, graph_arrays(nbh, pos=pos, label_length=28), hubs
    if mode == AROUND:  # the centre and its k neighbours with the strongest attention
        nbh = neighbourhood(graph, attention, centre=centre, condition=condition, layer=layer,
                            max_nodes=max(int(top_k), 1) + 1)
    else:
        nbh = pathway_view(graph, attention, graph.primary_pathway[centre], condition=condition, layer=layer)
    check_stop(should_stop)
    arrays = graph_arrays(nbh, pos=layered_positions(nbh.n_nodes, nbh.edges, should_stop), label_length=28)
    check_stop(should_stop)
    return nbh, arrays, currency_sides(model, graph, nbh, arrays.pos) if sides else None
