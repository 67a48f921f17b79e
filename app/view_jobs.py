"""The panes' own computations, done in the compute process rather than on threads of the window
(issue 16: while a thread of the window ran Python, its GUI thread waited for the interpreter lock at
every call from Qt into Python, and the window's event loop stalled for 100-400 ms around a run).

* A Run (or a project's resume) computes the panes' views (:func:`core.views.panes.pane_views`: the
  heatmap's first image, ranks, Find's terms, the shift chart's movers) in the compute process, right
  after the pipeline, and returns them with the result: :func:`run_job`, :func:`resume_job`.
* The compute process keeps that last result, cobra model included, under a token (``PaneViews.token``);
  the network pane's layouts (igraph, networkx) are made there from it: :func:`network_job`. When the
  process is at another call (a Run) or no longer holds the result, the layout is made on the calling
  thread, as before.

No Qt here: the compute process imports this module by name. Job functions take the core's hooks
(``progress``, ``should_stop``), see :mod:`app.jobs`.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Sequence

_KEPT: dict = {}  # in the compute process: token -> the last RunResult with its cobra model


class NotKept(LookupError):
    """The compute process no longer holds the result a network layout was asked for."""


def pool_factor(n_nodes: int, max_pixels: int, width: float, current: tuple[int, int] | None) -> int:
    """The heatmap's pool factor for a result of ``n_nodes``: ``current`` ``(n_nodes, factor)`` of the view
    shown when it shows a graph of that size, else the whole matrix fitted to ``width`` pixels (as
    :meth:`app.panes.heatmap.HeatmapPane.expected_pool_factor`)."""
    import math

    if current is not None and current[0] == n_nodes:
        return int(current[1])
    return max(1, math.ceil(min(n_nodes, max_pixels) / max(width, 1.0)))


# --------------------------------------------------------------------------- on the window's worker threads


def run_job(view_args: tuple, settings, conditions, progress=None, should_stop=None):
    """``(RunResult without its model, PaneViews)`` of a Run, both made in the compute process."""
    from app.worker import compute_process

    return compute_process().call(run_in_child, view_args, settings, conditions, progress=progress,
                                  should_stop=should_stop)


def resume_job(view_args: tuple, settings, conditions, attention, progress=None, should_stop=None):
    """As :func:`run_job`, for a project's saved attention (:func:`core.pipeline.resume_pipeline`)."""
    from app.worker import compute_process

    return compute_process().call(resume_in_child, view_args, settings, conditions, attention, progress=progress,
                                  should_stop=should_stop)


def network_job(token: str | None, graph, attention, centre, top_k: int, condition: int, layer: int, seed: int,
                mode: int, model=None, sides: bool = False, progress=None, should_stop=None):
    """:func:`core.views.network_pane.compute_network` in the compute process when it holds the result
    ``token`` names and is free; else here."""
    from app.worker import ComputeBusy, compute_process
    from core.views.network_pane import compute_network

    if token is not None:
        try:
            return compute_process().call(network_in_child, token, centre, top_k, condition, layer, seed, mode, sides,
                                          should_stop=should_stop, wait=False)
        except (ComputeBusy, NotKept):
            pass
    return compute_network(graph, attention, centre, top_k, condition, layer, seed, mode, model, sides,
                           should_stop=should_stop)


# --------------------------------------------------------------------------- in the compute process


def run_in_child(view_args: tuple, settings, conditions: Sequence | None = None, progress=None, should_stop=None):
    from core.pipeline import run_pipeline

    return _with_views(run_pipeline(settings, progress, should_stop, conditions=conditions), view_args, should_stop)


def resume_in_child(view_args: tuple, settings, conditions: Sequence, attention, progress=None, should_stop=None):
    from core.pipeline import resume_pipeline

    return _with_views(resume_pipeline(settings, attention, progress, should_stop, conditions=conditions), view_args,
                       should_stop)


def _with_views(result, view_args: tuple, should_stop):
    """The result without its model and its PaneViews; the whole result is kept here under the views' token."""
    from app.jobs import strip_model
    from core.views.panes import pane_views

    max_pixels, width, current = view_args
    views = pane_views(result, max_pixels, pool_factor(result.graph.n_nodes, max_pixels, width, current),
                       should_stop=should_stop)
    token = uuid.uuid4().hex
    _KEPT.clear()  # one result at a time: the previous one (and its model, if replaced) is freed
    _KEPT[token] = result
    return strip_model(result), replace(views, token=token)


def network_in_child(token: str, centre, top_k: int, condition: int, layer: int, seed: int, mode: int, sides: bool,
                     progress=None, should_stop=None):
    from core.views.network_pane import compute_network

    result = _KEPT.get(token)
    if result is None:
        raise NotKept(token)
    return compute_network(result.graph, result.attention, centre, top_k, condition, layer, seed, mode,
                           result.loaded.model, sides, should_stop=should_stop)
