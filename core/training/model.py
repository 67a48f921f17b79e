"""The trained multi-task model: the attention stack as encoder, heads for growth, grows-or-not and fluxes.

Inputs are the network and the medium, never the answer: each node's features are its structure
(:func:`core.attention.features.structural_features`), a learned identity vector (so the flux head can
tell reactions apart; transfer to another model maps it by node id) and the medium — uptake bounds on
exchange reactions, and on the metabolites they bring in. FBA and pFBA results are only targets.

The encoder is the product's attention stack (:class:`AttentionAggregator`'s feature encoder and typed,
stoichiometry- and pathway-biased graph attention layers), run on every medium of a batch at once. Then:

* a read-out attention: ``P`` learned queries attend over all nodes of each medium; the pooled vectors and
  the mean of the exchange reactions' embeddings make the medium context, from which the growth head
  predicts the growth rate (1/h) and a grows/does-not-grow logit;
* the flux head reads each reaction's embedding with the same medium context: pFBA flux, asinh-scaled.

Node importance (what the app shows) is the share of the read-out attention a node receives, averaged
over the P queries: the weight the growth prediction puts on that node.

Tasks are weighted by homoscedastic uncertainty (Kendall, Gal & Cipolla 2018): ``sum_t exp(-s_t) L_t + s_t``
with a learned ``s_t`` per task. Chosen over GradNorm because it balances losses of different units
(1/h², asinh flux², nats) at no extra cost, where GradNorm needs a gradient norm per task per step —
three extra backward passes on a 2-core CPU.

Shapes (legend: C media in a batch, N nodes, R reactions, D model width, P read-out queries, E edges,
D_in input features):
    features    (C, N, D_in)
    embeddings  (C, N, D)
    readout     (C, N, P)  softmax over N for each query
    importance  (C, N)     rows sum to 1
    growth      (C,)       1/h
    grows_logit (C,)
    flux        (C, R)     asinh(flux / FLUX_SCALE)
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from core.attention.aggregator import AttentionAggregator
from core.attention.attention_graph import AttentionGraph

TASKS = ("growth", "grows", "flux")
MEDIUM_FEATURES = ("uptake", "uptake_open", "in_medium")
UPTAKE_SCALE = 10.0  # mmol/gDW/h: an uptake bound of 10 becomes 1.0 (log scale: 1000, "unlimited", is 2.9)
FLUX_SCALE = 1.0  # mmol/gDW/h inside the asinh


class PredictorOutput(NamedTuple):
    growth: torch.Tensor  # (C,) 1/h
    grows_logit: torch.Tensor  # (C,)
    flux: torch.Tensor  # (C, R) asinh-scaled
    importance: torch.Tensor  # (C, N)
    readout: torch.Tensor  # (C, N, P)
    embeddings: torch.Tensor  # (C, N, D)
    weights: list | None  # L x (E, C, H) when asked


def _mlp(d_in: int, hidden: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(),
                         nn.Linear(hidden, d_out))


class MetabolicPredictor(nn.Module):
    """Attention encoder + read-out attention + growth, grows and flux heads.

    ``reaction_nodes``: node index of each predicted flux, in the dataset's flux order (R,).
    ``exchange_nodes``: node indices of the exchange reactions (their mean embedding is the medium context).
    ``uniform``: the baseline without attention — every neighbour weighs the same in every layer.
    """

    def __init__(self, d_struct: int, n_nodes: int, reaction_nodes, exchange_nodes, d_model: int = 32,
                 heads: int = 4, layers: int = 2, readout_queries: int = 4, id_dim: int = 16,
                 hidden: int = 128, dropout: float = 0.0, uniform: bool = False, growth_scale: float = 1.0):
        super().__init__()
        self.spec = dict(d_struct=d_struct, n_nodes=n_nodes, d_model=d_model, heads=heads, layers=layers,
                         readout_queries=readout_queries, id_dim=id_dim, hidden=hidden, dropout=dropout,
                         uniform=uniform, growth_scale=float(growth_scale))
        self.register_buffer("reaction_nodes", torch.as_tensor(np.asarray(reaction_nodes), dtype=torch.long))
        self.register_buffer("exchange_nodes", torch.as_tensor(np.asarray(exchange_nodes), dtype=torch.long))
        self.identity = nn.Embedding(n_nodes, id_dim)
        d_in = d_struct + id_dim + len(MEDIUM_FEATURES)
        self.encoder = AttentionAggregator(d_in, d_model, heads, layers, dropout, ffn_mult=2, pathway_bias=True,
                                           max_hops=1)
        for layer in self.encoder.layers:
            layer.uniform = uniform
        self.queries = nn.Parameter(torch.empty(readout_queries, d_model))
        self.key = nn.Linear(d_model, d_model)
        self.context = nn.Sequential(nn.Linear(readout_queries * d_model + d_model, hidden), nn.GELU())
        self.growth_head = _mlp(hidden, hidden, 2)
        self.flux_head = _mlp(d_model + hidden, hidden, 1)
        self.log_vars = nn.Parameter(torch.zeros(len(TASKS)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.normal_(self.identity.weight, std=0.1)
        nn.init.normal_(self.queries, std=1.0 / math.sqrt(self.spec["d_model"]))
        self.key.reset_parameters()
        for head in (self.context, self.growth_head, self.flux_head):
            for module in head:
                if isinstance(module, nn.Linear):
                    module.reset_parameters()
        nn.init.zeros_(self.log_vars)

    @property
    def n_reactions(self) -> int:
        return int(self.reaction_nodes.numel())

    def inputs(self, structure: torch.Tensor, medium: torch.Tensor) -> torch.Tensor:
        """(C, N, D_in) from structure (N, D_struct) and medium (C, N, 3)."""
        c = medium.shape[0]
        static = torch.cat([structure, self.identity.weight], dim=1)  # [N, D_struct + id]
        return torch.cat([static.unsqueeze(0).expand(c, -1, -1), medium], dim=2)

    def forward(self, structure: torch.Tensor, medium: torch.Tensor, graph: AttentionGraph,
                need_weights: bool = False, masked: torch.Tensor | None = None) -> PredictorOutput:
        """``masked``: (C, N) bool, nodes removed from the read-out (faithfulness checks)."""
        x = self.inputs(structure, medium)
        h, weights, _received = self.encoder.encode(x, graph, need_weights=need_weights)  # [C, N, D]
        d = h.shape[-1]
        scores = torch.einsum("cnd,pd->cnp", self.key(h), self.queries) / math.sqrt(d)  # [C, N, P]
        if masked is not None:
            scores = scores.masked_fill(masked.unsqueeze(-1), float("-inf"))
        readout = torch.softmax(scores, dim=1)  # [C, N, P]
        pooled = torch.einsum("cnp,cnd->cpd", readout, h).flatten(1)  # [C, P*D]
        exchanges = h[:, self.exchange_nodes].mean(1)  # [C, D]
        context = self.context(torch.cat([pooled, exchanges], dim=1))  # [C, hidden]
        out = self.growth_head(context)  # [C, 2]
        growth = F.softplus(out[:, 0]) * self.spec["growth_scale"]
        hr = h[:, self.reaction_nodes]  # [C, R, D]
        flux = self.flux_head(torch.cat([hr, context.unsqueeze(1).expand(-1, hr.shape[1], -1)], 2)).squeeze(-1)
        importance = readout.mean(-1)  # [C, N]
        return PredictorOutput(growth, out[:, 1], flux, importance, readout, h, weights)

    def loss(self, out: PredictorOutput, growth: torch.Tensor, grows: torch.Tensor, flux: torch.Tensor,
             flux_weight: torch.Tensor | None = None) -> tuple[torch.Tensor, dict[str, float]]:
        """Uncertainty-weighted sum of the three task losses; also returns each task's plain loss."""
        scale = self.spec["growth_scale"]
        l_growth = F.mse_loss(out.growth / scale, growth / scale)
        l_grows = F.binary_cross_entropy_with_logits(out.grows_logit, grows.float())
        err = (out.flux - flux) ** 2  # [C, R]
        if flux_weight is not None:
            err = err * flux_weight
        # Fluxes are only defined where FBA found a solution.
        l_flux = (err.mean(1) * grows.float()).sum() / grows.float().sum().clamp_min(1.0)
        parts = torch.stack([l_growth, l_grows, l_flux])
        total = (torch.exp(-self.log_vars) * parts + self.log_vars).sum()
        return total, {t: float(v) for t, v in zip(TASKS, parts.detach())}

    def __repr__(self) -> str:
        s = self.spec
        kind = "uniform attention" if s["uniform"] else "attention"
        return (f"MetabolicPredictor({s['n_nodes']} nodes, {self.n_reactions} fluxes, d={s['d_model']}, "
                f"heads={s['heads']}, layers={s['layers']}, {kind})")


def medium_features(graph, media, exchange_nodes: dict[str, int]) -> np.ndarray:
    """(C, N, 3) float32: log(1 + uptake bound) / log(1 + UPTAKE_SCALE) and an open flag on exchange
    reactions, and the same uptake value on the metabolite each open exchange brings in."""
    n = graph.n_nodes
    out = np.zeros((len(media), n, len(MEDIUM_FEATURES)), dtype=np.float32)
    partner = _exchange_partner(graph)
    for c, cond in enumerate(media):
        for rid, (lb, _ub) in cond.bounds.items():
            i = exchange_nodes.get(rid)
            if i is None or lb >= 0:
                continue
            value = math.log1p(min(-lb, 1000.0)) / math.log1p(UPTAKE_SCALE)
            out[c, i, 0] = value
            out[c, i, 1] = 1.0
            j = partner.get(i)
            if j is not None:
                out[c, j, 2] += value
    return out


def exchange_index(graph) -> dict[str, int]:
    """Exchange reaction id -> its node: the nodes the medium enters at."""
    from core.graph import REACTION

    types = np.asarray(graph.node_types)
    nodes = np.flatnonzero(np.asarray(graph.is_exchange) & (types == REACTION))
    return {graph.node_ids[i]: int(i) for i in nodes}


def _exchange_partner(graph) -> dict[int, int]:
    """Exchange reaction node -> the node of the metabolite it exchanges (first one found)."""
    from core.graph import REACTION

    types = np.asarray(graph.node_types)
    is_ex = np.asarray(graph.is_exchange) & (types == REACTION)
    out = {}
    for s, t in graph.edge_index.T:
        if is_ex[s] and types[t] != REACTION:
            out.setdefault(int(s), int(t))
        elif is_ex[t] and types[s] != REACTION:
            out.setdefault(int(t), int(s))
    return out
