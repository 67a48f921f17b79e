"""Analysis tables: statistics, centrality, clustering, correlations, pathways and node
relationships, each a sortable, filterable table (Ctrl+C copies the selected rows as TSV).
Values come straight from the :class:`core.analysis.AnalysisReport`; the relationships tab asks
:func:`core.analysis.most_similar` about the selected node."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from app.plain import esc
from app.tables import Column, FilterTable, numeric
from core.graph import NODE_TYPE_NAMES

SIMILAR = 15


def _label_columns(labels, nodes=None) -> list[Column]:
    if nodes is None:  # every node: the label sequences as they are
        kinds = np.asarray(NODE_TYPE_NAMES, dtype=object)[np.asarray(labels.types, dtype=np.int64)]
        return [Column("name", labels.names), Column("id", labels.ids), Column("type", kinds),
                Column("pathway", labels.pathways)]
    idx = nodes
    return [Column("name", [labels.names[i] for i in idx]), Column("id", [labels.ids[i] for i in idx]),
            Column("type", [NODE_TYPE_NAMES[int(labels.types[i])] for i in idx]),
            Column("pathway", [labels.pathways[i] for i in idx])]


class AnalysisTablesPane(QWidget):
    node_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.result = None
        self.selected: str | None = None
        self.tabs = QTabWidget(self)
        self.tables: dict[str, FilterTable] = {}
        self.notes: dict[str, QLabel] = {}
        for key, title in (("centrality", "Centrality"), ("statistics", "Statistics"), ("clustering", "Clustering"),
                           ("correlations", "Correlations"), ("pathways", "Pathways"),
                           ("relationships", "Node relationships")):
            page = QWidget(self)
            lay = QVBoxLayout(page)
            lay.setContentsMargins(2, 2, 2, 2)
            note = QLabel(page)
            note.setWordWrap(True)
            note.setStyleSheet("color:#444")
            table = FilterTable(parent=page)
            table.node_activated.connect(self.node_clicked)
            lay.addWidget(note)
            lay.addWidget(table, 1)
            self.tabs.addTab(page, title)
            self.tables[key] = table
            self.notes[key] = note
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

    def set_result(self, result, views=None) -> None:
        for step in self.result_steps(result, views):
            step()

    def result_steps(self, result, views=None) -> list:
        """:meth:`set_result` as steps the window runs one per turn of its event loop: one table each."""
        rep = result.analysis if result is not None else None

        def first() -> None:
            self.result = result
            if rep is None:
                for t in self.tables.values():
                    t.set_columns([])
                for n in self.notes.values():
                    n.setText("No analysis yet.")

        if rep is None:
            return [first]
        return [first, lambda: self._centrality(rep), lambda: self._statistics(rep), lambda: self._clustering(rep),
                lambda: self._correlations(rep), lambda: self._pathways(rep), self._relationships]

    def _centrality(self, rep) -> None:
        cen = rep.centrality
        cols = _label_columns(rep.labels)
        for c, cname in enumerate(rep.condition_names):
            cols.append(Column(f"importance {cname}", numeric(cen.importance[c]),
                               tooltip="share of all attention received (sums to 1 over nodes)"))
        for c, cname in enumerate(rep.condition_names):
            cols.append(Column(f"received {cname}", numeric(cen.received_mean[c]),
                               tooltip="attention other nodes pay to this node (mean over layers and heads)"))
        for c, cname in enumerate(rep.condition_names):
            cols.append(Column(f"drawn {cname}", numeric(cen.drawn_mean[c]),
                               tooltip="attention this node pays to its neighbours"))
        cols.append(Column("entropy", numeric(rep.entropy.node_mean),
                           tooltip="0 = looks at one neighbour, 1 = spreads attention evenly"))
        cols.append(Column("degree", np.asarray(cen.degree, dtype=np.int64).tolist()))
        cols.append(Column("betweenness", numeric(cen.betweenness), tooltip=cen.betweenness_method))
        self.tables["centrality"].set_columns(cols, id_column="id", sort_column=4)
        rho = "; ".join(f"{a} vs {b}: ρ = {cen.spearman_rho[0, m]:.2f}" for m, (a, b) in enumerate(cen.comparisons)
                        if a in ("importance", "received"))
        self.notes["centrality"].setText(f"All {rep.labels.n_nodes:,} nodes. Spearman rank correlation "
                                         f"({rep.condition_names[0]}): {rho}. Betweenness {cen.betweenness_method}.")

    def _statistics(self, rep) -> None:
        b = rep.basic
        n_l, n_c, n_h = b.mean.shape
        rows = [(layer, c, h) for layer in range(n_l) for c in range(n_c) for h in range(n_h)]
        q = list(b.quantile_levels)
        median = q.index(0.5) if 0.5 in q else None
        cols = [Column("layer", [r[0] + 1 for r in rows]), Column("condition", [b.condition_names[r[1]] for r in rows]),
                Column("head", [r[2] + 1 for r in rows]),
                Column("mean", [float(b.mean[r]) for r in rows]), Column("std", [float(b.std[r]) for r in rows]),
                Column("min", [float(b.min[r]) for r in rows])]
        if median is not None:
            cols.append(Column("median", [float(b.quantiles[r][median]) for r in rows]))
        cols += [Column("max", [float(b.max[r]) for r in rows]),
                 Column("self-loop mean", [float(b.self_mean[r]) for r in rows],
                        tooltip="weight a node gives itself"),
                 Column("entropy", [float(np.nanmean(rep.entropy.entropy[r])) for r in rows],
                        tooltip="mean normalised entropy over nodes")]
        self.tables["statistics"].set_columns(cols)
        self.notes["statistics"].setText(f"Attention weights on the {b.n_neighbour_edges:,} edges between two different "
                                         f"nodes, per layer, condition and head; {b.n_self_loops:,} self-loops apart.")

    def _clustering(self, rep) -> None:
        cl = rep.clustering
        cols = _label_columns(rep.labels)
        cols += [Column("k-means cluster", np.asarray(cl.kmeans_labels, dtype=np.int64).tolist()),
                 Column("DBSCAN cluster", np.asarray(cl.dbscan_labels, dtype=np.int64).tolist(), tooltip="-1 = noise (fits no group)"),
                 Column("mean importance", numeric(cl.importance_mean))]
        self.tables["clustering"].set_columns(cols, id_column="id", sort_column=6)
        summary = cl.describe(cl.kmeans_labels, n_top=2)
        parts = [f"#{s['cluster']}: {s['size']} nodes, mostly {s['dominant_pathways'][0]['pathway']}"
                 for s in summary[:6] if s["dominant_pathways"]]
        self.notes["clustering"].setText(
            f"k-means: k = {cl.kmeans_k}, silhouette {cl.kmeans_silhouette:.2f}; DBSCAN: {cl.n_dbscan_clusters} clusters, "
            f"{int((cl.dbscan_labels < 0).sum())} noise, silhouette {cl.dbscan_silhouette:.2f} "
            f"(−1..1, above ~0.25 is real structure). " + "; ".join(parts))

    def _correlations(self, rep) -> None:
        co = rep.correlations
        rows = [(c, f, s) for c in range(len(co.condition_names)) for f in range(len(co.feature_names))
                for s in range(len(co.subsets))]
        self.tables["correlations"].set_columns([
            Column("condition", [co.condition_names[r[0]] for r in rows]),
            Column("feature", [co.feature_names[r[1]] for r in rows]),
            Column("nodes", [co.subsets[r[2]] for r in rows]),
            Column("n", [int(co.n[r]) for r in rows]),
            Column("Pearson r", [float(co.pearson_r[r]) for r in rows], digits=3),
            Column("Pearson p", [float(co.pearson_p[r]) for r in rows], digits=2, p_value=True),
            Column("Spearman ρ", [float(co.spearman_rho[r]) for r in rows], digits=3),
            Column("Spearman p", [float(co.spearman_p[r]) for r in rows], digits=2, p_value=True),
        ])
        self.notes["correlations"].setText("Does attention importance follow degree, stoichiometry or |flux|? "
                                           "Pearson: straight-line relation; Spearman: any monotone relation.")

    def _pathways(self, rep) -> None:
        pw = rep.pathways
        cols = [Column("pathway", list(pw.names)), Column("nodes", [int(x) for x in pw.n_nodes])]
        for c, cname in enumerate(pw.condition_names):
            cols.append(Column(f"importance {cname}", numeric(pw.importance[c])))
        for c, cname in enumerate(pw.condition_names):
            cols.append(Column(f"enrichment {cname}", numeric(pw.enrichment[c]), digits=3,
                               tooltip="share of importance / share of nodes; above 1 = more attention than its size"))
        self.tables["pathways"].set_columns(cols, sort_column=2)
        self.notes["pathways"].setText(f"{len(pw.names)} pathways; importance = summed importance of the pathway's "
                                       "nodes; enrichment above 1 = more attention than the pathway's size alone.")

    def _relationships(self) -> None:
        rep = self.result.analysis if self.result is not None else None
        table = self.tables["relationships"]
        if rep is None:
            return
        node = self.selected
        if node is None or node not in rep.labels.ids:
            # The most important node stands in until the user picks one.
            node = rep.labels.ids[int(np.argmax(rep.importance.mean(axis=0)))]
        i = rep.labels.ids.index(node)
        from core.analysis import most_similar

        rows = []
        for by in ("attention", "features"):
            sim = most_similar(rep, i, SIMILAR, by)
            rows += [(by, r + 1, int(j), float(s)) for r, (j, s) in enumerate(zip(sim.indices, sim.similarity))]
        labels = rep.labels
        nodes = [r[2] for r in rows]
        cols = [Column("by", [r[0] for r in rows]), Column("rank", [r[1] for r in rows])]
        cols += _label_columns(labels, nodes)
        cols.append(Column("similarity", [r[3] for r in rows], digits=3, tooltip="cosine similarity, 1 = same profile"))
        table.set_columns(cols, id_column="id")
        self.notes["relationships"].setText(
            f"Nodes most similar to <b>{esc(labels.names[i])}</b> ({esc(labels.ids[i])}) by attention profile and by "
            "network/flux features (cosine similarity). Select another node to update.")

    def highlight(self, node_id: str | None) -> None:
        self.selected = node_id
        for key, t in self.tables.items():
            if key != "relationships":
                t.highlight(node_id)
        if self.result is not None and node_id is not None:
            # Rebuild after the click that caused this has been handled, not inside its signal.
            QTimer.singleShot(0, self._relationships)
