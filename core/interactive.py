"""Interactive HTML figures (plotly): one self-contained file each, working offline.

Pages hold plotly.js inline once (``include_plotlyjs=True``) and one or more figures. Every string
that came from a model file or a conditions file (names, ids, pathways, condition names) passes
through :func:`esc` (``html.escape``) before it reaches hover text, labels or titles: plotly renders
those as a subset of HTML, and a model is not allowed to inject markup or script. Plotly's own JSON
encoding also writes ``<``, ``>`` and ``/`` as ``\\u`` escapes, so nothing can close the script tag.

Sizes at genome scale stay small: numbers go out as float32 (plotly base64-encodes numpy arrays),
the node x node view carries at most ``MAX_HEATMAP_EDGES`` attention edges (the strongest), and the
network shows a neighbourhood, not the whole graph.

Shapes (legend: C conditions, E attention edges, K drawn nodes, M drawn edges, P pathways):
    heatmap: one marker per kept attention edge (<= MAX_HEATMAP_EDGES), colour (E,) per condition
    network: nodes (K,), edges (M,) from :class:`core.views.GraphArrays`
"""

from __future__ import annotations

import html
from typing import Sequence

import numpy as np

from core.conditions import growth_arrays
from core.graph import METABOLITE
from core.views import METABOLITE_RGB, REACTION_RGB, condition_colour, pathway_order, shorten

MAX_HEATMAP_EDGES = 30_000
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "toImageButtonOptions": {"format": "png", "scale": 3}}


def esc(text, length: int | None = None) -> str:
    """A model string made safe and short for plotly's HTML-ish text."""
    return html.escape(shorten(text, length), quote=True)


def _rgb(rgb) -> str:
    return "rgb({},{},{})".format(*rgb)


def _node_hover(graph, i: int) -> str:
    # Short on purpose: this text is repeated for every heatmap cell, and markup costs 6 bytes per
    # "<" once JSON-escaped; the pathway is on the axes.
    kind = "met" if graph.node_types[i] == METABOLITE else "rxn"
    return f"{esc(graph.node_names[i], 48)} ({esc(graph.node_ids[i], 32)}, {kind})"


def heatmap_figure(graph, attention, layer: int = -1, max_edges: int = MAX_HEATMAP_EDGES, colorscale: str = "Viridis"):
    """Node x node attention (mean over heads of ``layer``) as one marker per attention edge, nodes in
    pathway order, with a menu to colour by each condition; hover shows both nodes and every
    condition's weight. Keeps the ``max_edges`` edges with the largest weight in any condition."""
    import plotly.graph_objects as go

    order = pathway_order(graph)
    n = graph.n_nodes
    layer_no = layer if layer >= 0 else attention.n_layers + layer
    w = np.asarray(attention.self_attention[layer].mean(axis=2), dtype=np.float32)  # [C, E]
    strongest = w.max(axis=0) if w.size else np.zeros(0, np.float32)
    keep = np.argsort(-strongest, kind="stable")[:max_edges] if strongest.size > max_edges else np.arange(strongest.size)
    keep = np.sort(keep)
    src, dst = attention.edge_index[0, keep], attention.edge_index[1, keep]
    cond_names = [esc(c, 30) for c in attention.condition_names]
    node_text = [_node_hover(graph, i) for i in range(n)]
    text = []
    for e, (s, t) in enumerate(zip(src.tolist(), dst.tolist())):
        weights = ", ".join(f"{cn} {w[c, keep[e]]:.4f}" for c, cn in enumerate(cond_names))
        text.append(f"{node_text[t]}<br>→ {node_text[s]}<br>{weights}")
    marker_size = float(np.clip(700.0 / max(n, 1), 2.0, 14.0))
    fig = go.Figure(go.Scattergl(
        x=order.rank[src].astype(np.float32), y=order.rank[dst].astype(np.float32), mode="markers", text=text,
        hovertemplate="%{text}<extra></extra>",
        marker=dict(symbol="square", size=marker_size, color=w[0, keep] if len(w) else None, colorscale=colorscale,
                    cmin=0.0, cmax=float(w[:, keep].max()) if keep.size else 1.0,
                    colorbar=dict(title=dict(text="attention weight")))))
    if len(cond_names) > 1:
        fig.update_layout(updatemenus=[dict(
            type="dropdown", x=1.0, xanchor="right", y=1.12, yanchor="top", showactive=True,
            buttons=[dict(label=cn, method="restyle",
                          args=[{"marker.color": [np.round(w[c, keep], 5).tolist()]}])
                     for c, cn in enumerate(cond_names)])])
    # Pathway names on the axes, thinned so neighbours do not overprint (about 12 px per label on a
    # ~700 px axis); the hidden ones still have their separator lines.
    labelled, last = [], -np.inf
    for b, centre in enumerate(order.centres.tolist()):
        if centre - last >= n * 12.0 / 700.0:
            labelled.append(b)
            last = centre
    ticks = dict(tickmode="array", tickvals=[float(order.centres[b]) for b in labelled],
                 ticktext=[esc(order.names[b], 28) for b in labelled], tickfont=dict(size=8), showgrid=False,
                 zeroline=False)
    lines = [dict(type="line", xref="x", yref="y", x0=b - 0.5, x1=b - 0.5, y0=-0.5, y1=n - 0.5,
                  line=dict(color="#bbbbbb", width=0.5)) for b in order.starts[1:-1].tolist()]
    lines += [dict(type="line", xref="x", yref="y", y0=b - 0.5, y1=b - 0.5, x0=-0.5, x1=n - 0.5,
                   line=dict(color="#bbbbbb", width=0.5)) for b in order.starts[1:-1].tolist()]
    shown = f"; strongest {keep.size:,} of {strongest.size:,} edges" if keep.size < strongest.size else ""
    fig.update_layout(
        title=dict(text=f"Attention between nodes, layer {layer_no + 1}, mean over heads{shown}<br>"
                        f"<sub>rows attend to columns (hover: attending → attended); nodes sorted by pathway; menu: colour by condition</sub>"),
        xaxis=dict(title="attended to (source)", range=[-0.5, n - 0.5], tickangle=90, **ticks),
        yaxis=dict(title="attending (target)", range=[n - 0.5, -0.5], scaleanchor="x", **ticks),
        shapes=lines, height=900, width=1000, plot_bgcolor="white", margin=dict(l=200, b=200))
    return fig


def pathway_heatmap_figure(pathways, value: str = "flow_sum", max_pathways: int = 60, colorscale: str = "Viridis"):
    """Pathway x pathway attention from the analysis (``flow_sum`` or ``flow_mean``, (C, P, P)), one
    condition at a time via a menu; hover names both pathways and gives the value."""
    import plotly.graph_objects as go

    matrix = np.asarray(getattr(pathways, value), dtype=np.float64)  # [C, P, P]
    n_p = len(pathways.names)
    pick = np.asarray(pathways.ranking[0][:max_pathways], dtype=np.int64) if n_p > max_pathways else np.arange(n_p)
    names = [esc(pathways.names[i], 40) for i in pick]
    cond_names = [esc(c, 30) for c in pathways.condition_names]
    what = "total attention" if value == "flow_sum" else "mean attention per edge"
    fig = go.Figure()
    for c, cn in enumerate(cond_names):
        sub = matrix[c][np.ix_(pick, pick)].astype(np.float32)
        hover = [[f"<b>{names[r]}</b> attends to <b>{names[q]}</b><br>{cn}: {sub[r, q]:.4g}" for q in range(len(pick))]
                 for r in range(len(pick))]
        fig.add_trace(go.Heatmap(z=sub, x=list(range(len(pick))), y=list(range(len(pick))), text=hover,
                                 hovertemplate="%{text}<extra></extra>", colorscale=colorscale, visible=c == 0,
                                 colorbar=dict(title=dict(text=what)), name=cn))
    axis = dict(tickmode="array", tickvals=list(range(len(pick))), ticktext=names, tickfont=dict(size=9))
    buttons = [dict(label=cn, method="update", args=[{"visible": [d == c for d in range(len(cond_names))]}])
               for c, cn in enumerate(cond_names)]
    fig.update_layout(
        title=dict(text=f"Pathway x pathway {what}" + (f" ({len(pick)} of {n_p} pathways)" if len(pick) < n_p else "")),
        xaxis=dict(title="attended to", **axis), yaxis=dict(title="attending", autorange="reversed", **axis),
        updatemenus=[dict(type="dropdown", x=1.0, xanchor="right", y=1.12, buttons=buttons)] if len(buttons) > 1 else [],
        height=800, width=950, margin=dict(l=260, b=260))
    return fig


def network_figure(arrays, nbh, title: str = ""):
    """The neighbourhood network with hover (name, id, type, importance) and zoom; edges in five
    width/opacity classes by attention, hover on edge midpoints gives both ends and the weight."""
    import plotly.graph_objects as go

    fig = go.Figure()
    pos = arrays.pos
    adj = arrays.adj
    strength = arrays.edge_strength
    names = [esc(x, 50) for x in nbh.names]
    ids = [esc(x, 40) for x in nbh.ids]
    if adj.shape[0]:
        bins = np.minimum((strength * 5).astype(int), 4)
        for b in range(5):
            sel = np.flatnonzero(bins == b)
            if sel.size == 0:
                continue
            xs = np.full(sel.size * 3, np.nan, dtype=np.float32)
            ys = np.full(sel.size * 3, np.nan, dtype=np.float32)
            xs[0::3], xs[1::3] = pos[adj[sel, 0], 0], pos[adj[sel, 1], 0]
            ys[0::3], ys[1::3] = pos[adj[sel, 0], 1], pos[adj[sel, 1], 1]
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                     line=dict(color="rgb(60,60,60)", width=0.8 + 1.2 * b), opacity=0.25 + 0.18 * b))
        mid = pos[adj].mean(axis=1)  # [M, 2]
        edge_text = [f"{names[a]} → {names[c]}<br>attention {w:.4f}"
                     for (a, c), w in zip(adj.tolist(), nbh.edge_weight.tolist())]
        fig.add_trace(go.Scatter(x=mid[:, 0].astype(np.float32), y=mid[:, 1].astype(np.float32), mode="markers",
                                 marker=dict(size=6, color="rgba(0,0,0,0)"), text=edge_text,
                                 hovertemplate="%{text}<extra></extra>", showlegend=False))
    is_met = np.asarray(arrays.types) == METABOLITE
    for mask, symbol, rgb, label in ((is_met, "circle", METABOLITE_RGB, "metabolite"),
                                     (~is_met, "square", REACTION_RGB, "reaction")):
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            continue
        hover = [f"<b>{names[k]}</b><br>{ids[k]} ({label})<br>importance {nbh.node_weight[k]:.4g}"
                 + ("<br>top node" if nbh.is_seed[k] else "") for k in idx]
        fig.add_trace(go.Scatter(
            x=pos[idx, 0].astype(np.float32), y=pos[idx, 1].astype(np.float32), mode="markers+text",
            text=[esc(arrays.labels[k], 40) for k in idx], textposition="top center", textfont=dict(size=9),
            hovertext=hover, hovertemplate="%{hovertext}<extra></extra>", name=label,
            marker=dict(symbol=symbol, size=arrays.sizes[idx].astype(np.float32), color=_rgb(rgb),
                        line=dict(color=["black" if nbh.is_seed[k] else "white" for k in idx],
                                  width=[2 if nbh.is_seed[k] else 1 for k in idx]))))
    fig.update_layout(title=dict(text=esc(title)), showlegend=True, hovermode="closest", plot_bgcolor="white",
                      xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x"), height=800, width=1000)
    return fig


def conditions_figure(conditions: Sequence, comparison, k: int = 15):
    """Growth rates (FBA and measured), importance of the top nodes, the biggest shift of the first
    pair of conditions and the cross-condition attention, in one figure with four panels."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    cond_names = [esc(c, 30) for c in comparison.condition_names]
    fig = make_subplots(rows=2, cols=2, horizontal_spacing=0.28, vertical_spacing=0.15, subplot_titles=(
        "Growth rate (1/h)", "Importance of the top nodes",
        "Biggest shifts" + (f": {cond_names[comparison.pairs[0][1]]} − {cond_names[comparison.pairs[0][0]]}"
                            if len(comparison.pairs) else ""),
        "Cross-condition attention (row draws on column)"))
    all_names = [esc(c.name, 30) for c in conditions]
    colour = {name: condition_colour(c) for c, name in enumerate(comparison.condition_names)}
    fba, measured = growth_arrays(conditions)
    fig.add_trace(go.Bar(x=all_names, y=fba, name="FBA growth", showlegend=False,
                         customdata=[esc(c.status_text(), 60) for c in conditions],
                         hovertemplate="%{x}: FBA %{y:.4f} 1/h<br>%{customdata}<extra></extra>",
                         marker_color=[colour.get(c.name, "#8c8c8c") for c in conditions]), row=1, col=1)
    if np.isfinite(measured).any():
        fig.add_trace(go.Bar(x=all_names, y=measured, name="measured growth",
                             hovertemplate="%{x}: measured %{y:.4f} 1/h<extra></extra>",
                             marker_color="#999999"), row=1, col=1)
    labels = comparison.labels
    top = comparison.top_union(k)
    top_names = [esc(labels.names[i], 34) for i in top]
    for c, cn in enumerate(cond_names):
        fig.add_trace(go.Bar(y=top_names, x=comparison.importance[c, top], orientation="h", name=cn,
                             customdata=[esc(labels.ids[i], 40) for i in top],
                             hovertemplate="%{y} (%{customdata})<br>" + cn + ": %{x:.4g}<extra></extra>",
                             marker_color=condition_colour(c)), row=1, col=2)
    if len(comparison.pairs):
        table = comparison.shifted_nodes(0, k)
        a, b = comparison.pairs[0]
        fig.add_trace(go.Bar(
            y=[esc(r["name"], 34) for r in table], x=[r["difference"] for r in table], orientation="h",
            customdata=[[esc(r["id"], 40), r["log2_fold_change"]] for r in table], showlegend=False,
            hovertemplate="%{y} (%{customdata[0]})<br>change %{x:.4g}, log2 fold %{customdata[1]:.2f}<extra></extra>",
            marker_color=[condition_colour(b) if (r["difference"] or 0) > 0 else condition_colour(a)
                          for r in table]), row=2, col=1)
    if comparison.cross_mean.size:
        matrix = comparison.cross_mean.mean(axis=0)  # [C, C], the report's "mean"
        fig.add_trace(go.Heatmap(z=matrix.astype(np.float32), x=cond_names, y=cond_names, zmin=0, zmax=1,
                                 colorscale="Viridis", showscale=False, texttemplate="%{z:.2f}",
                                 hovertemplate="%{y} draws %{z:.3f} on %{x}<extra></extra>"), row=2, col=2)
        fig.update_yaxes(autorange="reversed", row=2, col=2)
    fig.update_xaxes(tickformat="~g", row=1, col=2)
    fig.update_xaxes(tickformat="~g", row=2, col=1)
    fig.update_yaxes(autorange="reversed", row=1, col=2)
    fig.update_yaxes(autorange="reversed", row=2, col=1)
    fig.update_layout(barmode="group", height=1000, width=1150, title=dict(text="Condition comparison"),
                      legend=dict(orientation="h", y=-0.08))
    return fig


def page_html(figures: Sequence, title: str, intro: str = "") -> str:
    """One self-contained HTML page: plotly.js inline once, then each figure. ``title`` and ``intro``
    are escaped here."""
    parts = []
    for i, fig in enumerate(figures):
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0), config=PLOTLY_CONFIG))
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{esc(title)}</title>\n"
            "<style>body{font-family:sans-serif;margin:1.5em;color:#222}p.intro{max-width:60em}</style>\n"
            "</head>\n<body>\n"
            f"<h1>{esc(title)}</h1>\n" + (f"<p class=\"intro\">{esc(intro)}</p>\n" if intro else "")
            + "\n".join(parts) + "\n</body>\n</html>\n")
