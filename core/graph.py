"""The metabolic network as a bipartite graph.

One node per metabolite and per reaction; one directed edge per nonzero stoichiometric coefficient:
substrate -> reaction for a negative coefficient, reaction -> product for a positive one. Reversible
reactions keep that direction and are flagged on their edges.

Shapes (legend: N nodes, E edges, M metabolites, R reactions):
    node_types   (N,)  int8, 0 = metabolite, 1 = reaction; metabolites come first (0..M-1)
    edge_index   (2, E) int64, row 0 source, row 1 target
    edge_coef    (E,)  float64, the signed stoichiometric coefficient
    edge_reversible (E,) bool
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from importlib.resources import files

import numpy as np

from core.errors import InputError

METABOLITE, REACTION = 0, 1
NODE_TYPE_NAMES = ("metabolite", "reaction")


@dataclass(frozen=True, eq=False)
class MetabolicGraph:
    """Bipartite metabolite/reaction graph with the annotations a biologist reads.

    All per-node sequences have length N and share one order: metabolites first, then reactions,
    each in model order.
    """

    model_id: str
    node_ids: tuple[str, ...]
    node_names: tuple[str, ...]
    node_types: np.ndarray  # (N,) int8
    compartments: tuple[str, ...]
    formulas: tuple[str, ...]  # "" for reactions
    pathways: tuple[tuple[str, ...], ...]  # reaction: its subsystem; metabolite: its reactions' subsystems,
    # most frequent first (ties alphabetical), transport/exchange categories last
    gene_rules: tuple[str, ...]  # "" for metabolites
    is_exchange: np.ndarray  # (N,) bool
    is_transport: np.ndarray  # (N,) bool
    reversible: np.ndarray  # (N,) bool, False for metabolites
    edge_index: np.ndarray  # (2, E) int64
    edge_coef: np.ndarray  # (E,) float64
    edge_reversible: np.ndarray  # (E,) bool
    removed_currency: tuple[str, ...] = field(default=())
    pathways_from_reference: int = 0  # reactions whose pathway came from the reference table

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        return int(self.edge_index.shape[1])

    @property
    def n_metabolites(self) -> int:
        return int((self.node_types == METABOLITE).sum())

    @property
    def n_reactions(self) -> int:
        return int((self.node_types == REACTION).sum())

    @cached_property
    def index(self) -> dict[str, int]:
        """Node id -> position. Metabolite and reaction ids may clash in principle; reactions win
        only if a metabolite of the same id does not exist."""
        out: dict[str, int] = {}
        for i, nid in enumerate(self.node_ids):
            out.setdefault(nid, i)
        return out

    @cached_property
    def reaction_index(self) -> dict[str, int]:
        """Reaction id -> node position (reactions only, so a metabolite of the same id cannot shadow it)."""
        return {self.node_ids[i]: int(i) for i in np.flatnonzero(np.asarray(self.node_types) == REACTION)}

    def turnover(self, flux: np.ndarray) -> np.ndarray:
        """(N,) metabolite turnover, half the sum of |coefficient x flux| over its reactions, in
        mmol/gDW/h; ``flux`` is (N,) with each reaction's flux at its node (NaN counts as 0). The
        entries of reactions are 0."""
        types = np.asarray(self.node_types)
        src, dst = self.edge_index
        src_is_rxn = types[src] == REACTION
        rxn_end = np.where(src_is_rxn, src, dst)  # the reaction end of each stoichiometric edge
        met_end = np.where(src_is_rxn, dst, src)
        moved = np.abs(np.asarray(self.edge_coef, dtype=np.float64) * np.nan_to_num(flux[rxn_end]))
        out = 0.5 * np.bincount(met_end, weights=moved, minlength=self.n_nodes)
        out[types == REACTION] = 0.0
        return out

    @cached_property
    def pathway_names(self) -> tuple[str, ...]:
        """Sorted distinct pathway names ("" excluded)."""
        return tuple(sorted({p for ps in self.pathways for p in ps if p}))

    @cached_property
    def primary_pathway(self) -> tuple[str, ...]:
        """One pathway per node: a reaction's subsystem; for a metabolite, the pathway most of its
        reactions belong to (transport and exchange only when it has nothing else); "Unassigned"
        where there is none."""
        return tuple(ps[0] if ps else "Unassigned" for ps in self.pathways)

    @cached_property
    def degree(self) -> np.ndarray:
        """(N,) number of edges touching each node (in + out)."""
        return np.bincount(self.edge_index.ravel(), minlength=self.n_nodes)

    def counts(self) -> dict[str, int]:
        return {
            "nodes": self.n_nodes,
            "metabolites": self.n_metabolites,
            "reactions": self.n_reactions,
            "edges": self.n_edges,
            "pathways": len(self.pathway_names),
            "removed_currency_metabolites": len(self.removed_currency),
            "pathways_from_reference": self.pathways_from_reference,
        }

    def to_networkx(self):
        """A networkx DiGraph with every annotation as node/edge attributes."""
        import networkx as nx

        g = nx.DiGraph(model_id=self.model_id)
        for i, nid in enumerate(self.node_ids):
            g.add_node(
                i, id=nid, name=self.node_names[i], type=NODE_TYPE_NAMES[self.node_types[i]],
                compartment=self.compartments[i], pathway=self.primary_pathway[i],
            )
        for e, (s, t) in enumerate(self.edge_index.T):
            g.add_edge(int(s), int(t), coefficient=float(self.edge_coef[e]),
                       reversible=bool(self.edge_reversible[e]))
        return g


def reference_subsystems() -> dict[str, str]:
    """BiGG reaction id -> subsystem, from ``resources/reference_subsystems.json``."""
    import json

    data = json.loads((files("resources") / "reference_subsystems.json").read_text(encoding="utf-8"))
    return data["subsystems"]


def reaction_pathways(model) -> tuple[list[str], int]:
    """One pathway per reaction: the model's subsystem; where the model gives none, the reference table
    (so the bundled textbook and salmonella models, which carry no subsystems, still get pathways);
    boundary reactions without one are "Exchange". Returns the list and how many came from the table."""
    reference = None
    boundary = {x.id for x in model.boundary}
    out, borrowed = [], 0
    for rxn in model.reactions:
        name = (rxn.subsystem or "").strip()
        if not name:
            reference = reference_subsystems() if reference is None else reference
            name = reference.get(rxn.id, "")
            if name:
                borrowed += 1
            elif rxn.id in boundary:
                name = "Exchange"
        out.append(name)
    return out, borrowed


def build_graph(model) -> MetabolicGraph:
    """Turn a ``cobra.Model`` into a :class:`MetabolicGraph` (every metabolite and reaction kept)."""
    mets = list(model.metabolites)
    rxns = list(model.reactions)
    if not rxns:
        raise InputError(f"model {model.id or '(unnamed)'} has no reactions")
    m, r = len(mets), len(rxns)
    met_pos = {met.id: i for i, met in enumerate(mets)}
    subsystems, borrowed = reaction_pathways(model)

    src, dst, coef, rev = [], [], [], []
    met_pathways: list[Counter] = [Counter() for _ in range(m)]
    for j, rxn in enumerate(rxns):
        node = m + j
        subsystem = subsystems[j]
        for met, c in rxn.metabolites.items():
            if c == 0:
                continue
            i = met_pos[met.id]
            if subsystem:
                met_pathways[i][subsystem] += 1
            if c < 0:
                src.append(i), dst.append(node)
            else:
                src.append(node), dst.append(i)
            coef.append(float(c))
            rev.append(bool(rxn.reversibility))

    exchange_ids = {x.id for x in model.boundary}
    node_ids = tuple(x.id for x in mets) + tuple(x.id for x in rxns)
    names = tuple((x.name or x.id) for x in mets) + tuple((x.name or x.id) for x in rxns)
    return MetabolicGraph(
        model_id=model.id or "model",
        node_ids=node_ids,
        node_names=names,
        node_types=np.array([METABOLITE] * m + [REACTION] * r, dtype=np.int8),
        compartments=tuple(x.compartment or "" for x in mets) + tuple(
            ",".join(sorted(x.compartments)) for x in rxns),
        formulas=tuple(x.formula or "" for x in mets) + ("",) * r,
        pathways=tuple(_ranked(p) for p in met_pathways) + tuple((s,) if s else () for s in subsystems),
        gene_rules=("",) * m + tuple(x.gene_reaction_rule or "" for x in rxns),
        is_exchange=np.array([False] * m + [x.id in exchange_ids for x in rxns]),
        is_transport=np.array([False] * m + [len(x.compartments) > 1 for x in rxns]),
        reversible=np.array([False] * m + [bool(x.reversibility) for x in rxns]),
        edge_index=np.array([src, dst], dtype=np.int64).reshape(2, -1),
        edge_coef=np.array(coef, dtype=np.float64),
        edge_reversible=np.array(rev, dtype=bool),
        pathways_from_reference=borrowed,
    )


_PERIPHERAL = ("Transport", "Exchange", "Extracellular exchange", "Unassigned")


def _ranked(counts: Counter) -> tuple[str, ...]:
    """Pathway names by how many of a metabolite's reactions are in them; transport, exchange and
    unassigned last, since nearly every extracellular metabolite has those."""
    return tuple(sorted(counts, key=lambda p: (p.startswith(_PERIPHERAL), -counts[p], p)))


def default_currency_ids() -> tuple[str, ...]:
    """Base ids from ``resources/currency_metabolites.txt``."""
    text = (files("resources") / "currency_metabolites.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _base_id(met_id: str, compartment: str) -> str:
    suffix = f"_{compartment}"
    if compartment and met_id.endswith(suffix):
        return met_id[: -len(suffix)]
    head, sep, tail = met_id.rpartition("_")
    return head if sep and len(tail) <= 2 else met_id


def remove_currency(graph: MetabolicGraph, base_ids: tuple[str, ...] | None = None) -> MetabolicGraph:
    """A new graph without the currency metabolites (matched by base id in every compartment)."""
    bases = set(default_currency_ids() if base_ids is None else base_ids)
    keep = np.ones(graph.n_nodes, dtype=bool)
    removed = []
    for i in range(graph.n_nodes):
        if graph.node_types[i] == METABOLITE and _base_id(graph.node_ids[i], graph.compartments[i]) in bases:
            keep[i] = False
            removed.append(graph.node_ids[i])
    return subgraph(graph, keep, removed_currency=tuple(removed))


def subgraph(graph: MetabolicGraph, keep: np.ndarray, removed_currency: tuple[str, ...] = ()) -> MetabolicGraph:
    """Keep the nodes where ``keep`` is True and the edges between them; order is preserved."""
    keep = np.asarray(keep, dtype=bool)
    new_pos = np.full(graph.n_nodes, -1, dtype=np.int64)
    new_pos[keep] = np.arange(int(keep.sum()))
    e_keep = keep[graph.edge_index[0]] & keep[graph.edge_index[1]]
    idx = np.flatnonzero(keep)

    def pick(seq):
        return tuple(seq[i] for i in idx)

    return MetabolicGraph(
        model_id=graph.model_id,
        node_ids=pick(graph.node_ids),
        node_names=pick(graph.node_names),
        node_types=graph.node_types[keep],
        compartments=pick(graph.compartments),
        formulas=pick(graph.formulas),
        pathways=pick(graph.pathways),
        gene_rules=pick(graph.gene_rules),
        is_exchange=graph.is_exchange[keep],
        is_transport=graph.is_transport[keep],
        reversible=graph.reversible[keep],
        edge_index=new_pos[graph.edge_index[:, e_keep]],
        edge_coef=graph.edge_coef[e_keep],
        edge_reversible=graph.edge_reversible[e_keep],
        removed_currency=graph.removed_currency + removed_currency,
        pathways_from_reference=graph.pathways_from_reference,
    )
