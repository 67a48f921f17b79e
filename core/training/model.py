"""The trained multi-task model: the attention stack as encoder, heads for growth, grows-or-not and fluxes.

Inputs are the network and the medium, never the answer: each node's features are its structure
(:func:`core.attention.features.structural_features`) and a learned identity vector (so the heads can tell
reactions apart; transfer to another model maps it by node id); the medium is a feature of the exchange
reactions — the uptake bound of each (log and linear scale, and an open flag). FBA and pFBA results are only
targets.

Two streams, so that a genome-scale model trains in minutes on a CPU:

* **structure**: the product's attention stack (:class:`AttentionAggregator`'s feature encoder and typed,
  stoichiometry- and pathway-biased graph-attention layers) encodes every node of the network once per
  step — it is the same for every medium, so it runs once, not once per medium;
* **medium**: each open exchange reaction becomes a token (its structural embedding, a learned identity,
  its uptake features, the atoms of C, H, N, O, P and S in its compound and their supply at this uptake);
  the tokens are summed into a medium context (a Deep Sets encoder: any number of open exchanges, in any
  order, and a carbon source never seen in training still has a token made from its place in the network).

Then the medium context asks the network: ``P`` queries made from the context attend over all nodes
(softmax over N). This **read-out attention is the importance the app shows**: the share of attention
the prediction puts on each node, for this medium. Three wirings:

* **guided** (``train --guided``, the default; both shipped weights): fluxes are predicted from the medium context
  alone; a node's read-out score is its predicted activity (|flux| of a reaction, turnover of a
  metabolite, asinh-scaled, times a learned weight) plus the learned query-key score squashed into
  ±``LEARNED_BOUND``; growth and grows-or-not are read from the pooled read-out and each query's log
  normaliser only. The read-out is faithful (masking the 5 % most attended nodes: textbook 0.19 1/h vs
  0.03 for degree or random; iJO1366 0.56 vs 0.02 / 0.04) and two seeds agree on importances (r 0.94–0.96).
  Unbounded, the learned part put the read-out on arbitrary nodes that two seeds did not share (iJO1366:
  shift correlation 0.0002); bounded, it stays on predicted activity.
  With ``--medium-values`` an open exchange's read-out value also carries its medium token (what the medium offers
  there, and how much), weighted by the read-out's share of that exchange node times N (bounded smoothly by
  ``VALUE_CAP``, 16): besides steering the
  predicted activity (the flux head reads the whole medium context), the medium reaches the heads only through
  the exchanges the read-out attends to. ``--learned-bound`` sets the bound of the
  learned part (0: none). Textbook, 100 epochs and ``--weight-decay 1e-3`` unless said (resources/weights/README.md):

  ===================================  ======  =====  ==========================  =====================
  wiring                               growth  flux   top-5 % mask (att/deg/rnd)  seeds: shift r (x noise)
  guided, bound 2, 60 ep., wd 1e-5     0.909   0.739  0.193 / 0.028 / 0.025       0.78 (2.1x)
  + medium values, bound 2             0.954   0.904  0.049 / 0.014 / 0.009       0.47 (0.7x)
  + medium values, bound 0.5 (shipped) 0.947   0.910  0.060 / 0.024 / 0.010       0.97 (3.9x)
  + medium values, bound 0             0.912   0.926  0.132 / 0.096 / 0.047       0.997 (19.9x)
  MLP on the medium                    0.939   0.937
  ===================================  ======  =====  ==========================  =====================

  A wide learned part let two seeds put the read-out on different exchanges; none leaves importance a function of
  predicted flux alone, barely ahead of degree when masked. On iJO1366, medium values with bound 2 gave growth
  0.822, flux 0.383 (26 epochs), no better than without; the shipped iJO1366 weights add bound 0.5 and a flux
  warm-up (``train --flux-warmup 150``, :func:`core.training.train.warm_up_flux`): growth 0.904, flux 0.752,
  glucose -> acetate shifts of two seeds r 0.91 (the weights before: 0.810, 0.515, r 0.29).
* **bottleneck** (``train --bottleneck``): the heads read only the pooled read-out, which starts uniform;
  faithful on 3,000 textbook media, but it did not start learning on 400 media nor on iJO1366 (R² 0.00).
* **default**: the heads also read the medium context directly. On iJO1366 that trained to held-out growth
  R² 0.89 in 12 minutes, but the read-out then hardly mattered to the prediction (0.001 1/h) and did not
  agree between two training seeds (importance correlation −0.02): attention that explains nothing.

Heads:

* growth (1/h, a sigmoid times twice the training media's 95th percentile) and a grows/does-not-grow logit;
* flux of every reaction (pFBA, asinh-scaled) as a low-rank product of a per-reaction factor (from its
  structural embedding, plus a free vector per reaction) and a per-medium factor (from the context when
  guided, else from the read-out and, without the bottleneck, the context): ``F = U(medium) G(r)``.

Tasks are weighted by homoscedastic uncertainty (Kendall, Gal & Cipolla 2018): ``sum_t exp(-s_t) L_t + s_t``
with a learned ``s_t`` per task. Chosen over GradNorm because it balances losses of different units
(1/h², asinh flux², nats) at no extra cost, where GradNorm needs a gradient norm per task per step —
three extra backward passes on a 2-core CPU. Each ``s_t`` is bounded to [-1, 1]: unbounded, the growth
task (soon nearly perfect on the training media) took a ~70x weight over fluxes and starved them (textbook,
3,000 media: held-out flux R² 0.66 unbounded, 0.75 with fixed equal weights).

Shapes (legend: C media in a batch, N nodes, R reactions, X exchanges, D model width, P read-out queries,
K flux rank, E edges, D_in input features):
    structure   (N, D_s)   medium (C, N, 3) (non-zero on exchange reactions only)
    embeddings  (C, N, D)  the structural embedding, the same for every medium
    tokens      (T, hidden)  one per open exchange of each medium
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
from core.training import LEARNED_BOUND  # kept torch-free there, for main.py and summaries

TASKS = ("growth", "grows", "flux")
MEDIUM_FEATURES = ("uptake_log", "uptake_linear", "uptake_open")
ELEMENTS = ("C", "H", "N", "O", "P", "S")  # atoms of the compound an exchange brings in, per molecule
UPTAKE_SCALE = 10.0  # mmol/gDW/h: an uptake bound of 10 becomes 1.0 on both scales
LINEAR_CAP = 50.0  # mmol/gDW/h: the linear feature saturates here (an "unlimited" 1000 is 5.0, not 100)
FLUX_SCALE = 1.0  # mmol/gDW/h inside the asinh
ATOM_SCALE = 10.0  # atom counts are divided by this (glucose: C 0.6)
LOG_VAR_BOUND = 1.0  # task log-variances stay in [-1, 1]: no task weighs more than e^2 = 7.4x another
GUIDE_START = math.log(math.e - 1.0)  # softplus of this is 1: read-out weights start near each node's share of flux
ACTIVITY_CAP = 20.0  # asinh units: predicted activity above this (2.4e8 mmol/gDW/h) counts as this
LSE_SCALE = 10.0  # the read-out's log normaliser (about 8 on a 4,335-node network at rest) is divided by this
GROWTH_CEILING = 2.0  # predicted growth stays below this multiple of the training media's 95th percentile
# Medium values: an open exchange's token counts at most this many times (its read-out weight x N, bounded
# smoothly). Unbounded, a read-out that peaked on one exchange of iJO1366 gave it ~160x its token and saturated
# the growth head (pre-activations -100 to -270, growth stuck at one value); on textbook the weight's 99th
# percentile is 6. Weights saved before the bound (no "value_cap" in their card) keep the unbounded formula.
VALUE_CAP = 16.0


class PredictorOutput(NamedTuple):
    growth: torch.Tensor  # (C,) 1/h
    grows_logit: torch.Tensor  # (C,)
    flux: torch.Tensor  # (C, R) asinh-scaled
    importance: torch.Tensor  # (C, N)
    readout: torch.Tensor  # (C, N, P)
    embeddings: torch.Tensor  # (C, N, D)
    weights: list | None  # L x (E, C, H) when asked (the structure stream's: the same for every medium)


def _mlp(d_in: int, hidden: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(),
                         nn.Linear(hidden, d_out))


class MetabolicPredictor(nn.Module):
    """Structure encoder + medium tokens + medium-conditioned read-out attention + three heads.

    ``reaction_nodes``: node index of each predicted flux, in the dataset's flux order (R,).
    ``exchange_nodes``: node indices of the exchange reactions (the medium's tokens).
    ``uniform``: the baseline without attention — every neighbour weighs the same in every graph layer.
    """

    def __init__(self, d_struct: int, n_nodes: int, reaction_nodes, exchange_nodes, d_model: int = 32,
                 heads: int = 4, layers: int = 2, readout_queries: int = 4, id_dim: int = 16,
                 hidden: int = 128, dropout: float = 0.0, uniform: bool = False, growth_scale: float = 1.0,
                 flux_rank: int = 128, exchange_elements=None, bottleneck: bool = False, guided: bool = False,
                 medium_values: bool = False, learned_bound: float = None, value_cap: float = None):
        super().__init__()
        self.spec = dict(d_struct=d_struct, n_nodes=n_nodes, d_model=d_model, heads=heads, layers=layers,
                         readout_queries=readout_queries, id_dim=id_dim, hidden=hidden, dropout=dropout,
                         uniform=uniform, growth_scale=float(growth_scale), flux_rank=flux_rank,
                         bottleneck=bool(bottleneck or guided), guided=bool(guided),
                         medium_values=bool(medium_values and guided),
                         learned_bound=float(LEARNED_BOUND if learned_bound is None else learned_bound),
                         value_cap=float(VALUE_CAP if value_cap is None else value_cap),
                         architecture="two-stream")
        self.register_buffer("reaction_nodes", torch.as_tensor(np.asarray(reaction_nodes), dtype=torch.long))
        self.register_buffer("exchange_nodes", torch.as_tensor(np.asarray(exchange_nodes), dtype=torch.long))
        # (X, 6) atoms of C, H, N, O, P, S in each exchange's compound (zeros where the formula is unknown):
        # with the uptake they give the medium's supply of each element, the same quantity for a carbon
        # source seen in training and one never seen.
        elements = np.zeros((len(exchange_nodes), len(ELEMENTS))) if exchange_elements is None else exchange_elements
        self.register_buffer("exchange_elements", torch.as_tensor(np.asarray(elements), dtype=torch.float32))
        self.identity = nn.Embedding(n_nodes, id_dim)
        self.encoder = AttentionAggregator(d_struct + id_dim, d_model, heads, layers, dropout, ffn_mult=2,
                                           pathway_bias=True, max_hops=1)
        for layer in self.encoder.layers:
            layer.uniform = uniform
        n_med = len(MEDIUM_FEATURES)
        # A free vector per exchange beside its structural embedding: which compound it is, as a column of
        # the medium vector is to an MLP (an exchange never open in training keeps its random start and is
        # read through its structure).
        self.exchange_identity = nn.Embedding(len(exchange_nodes), id_dim)
        n_el = 2 * len(ELEMENTS)
        self.token = nn.Sequential(nn.Linear(d_model + id_dim + n_med + n_el, hidden), nn.GELU(),
                                   nn.Linear(hidden, hidden))
        self.context = nn.Sequential(nn.Linear(hidden, hidden), nn.GELU(),
                                     nn.Linear(hidden, hidden), nn.GELU())
        self.query = nn.Linear(hidden, readout_queries * d_model)
        self.key = nn.Linear(d_model, d_model)
        self.value = nn.Linear(d_model, d_model)
        pooled = readout_queries * d_model
        heads_in = pooled if self.spec["bottleneck"] else pooled + hidden
        if guided:  # + the read-out's log normaliser per query: how much activity it saw, which a weighted mean loses
            heads_in += readout_queries
        self.growth_head = _mlp(heads_in, hidden, 2)
        # Guided: fluxes come from the medium context alone, and the read-out is biased towards the nodes they
        # make active, so the attention starts where the predicted flux goes.
        self.flux_medium = _mlp(hidden if guided else heads_in, hidden, flux_rank)
        if guided:  # the weight of predicted activity in the read-out scores (softplus of it)
            self.guide = nn.Parameter(torch.zeros(()))
        if self.spec["medium_values"]:  # what an open exchange's token adds to its node's read-out value
            self.token_value = nn.Linear(hidden, d_model)
        self.flux_reaction = nn.Sequential(nn.Linear(d_model, hidden), nn.GELU(), nn.Linear(hidden, flux_rank))
        # A free factor per reaction beside the one read from its embedding (as an MLP's output layer has).
        self.flux_free = nn.Parameter(torch.zeros(self.n_reactions, flux_rank))
        self.flux_bias = nn.Parameter(torch.zeros(self.n_reactions))
        self.log_vars = nn.Parameter(torch.zeros(len(TASKS)))
        self.reset_parameters()

    @classmethod
    def from_spec(cls, spec: dict, reaction_nodes, exchange_nodes) -> "MetabolicPredictor":
        """A fresh network with the settings of ``spec`` (a weights card's ``predictor`` section)."""
        s = dict(spec)
        return cls(int(s["d_struct"]), int(s["n_nodes"]), reaction_nodes, exchange_nodes, int(s["d_model"]),
                   int(s["heads"]), int(s["layers"]), int(s["readout_queries"]), int(s["id_dim"]), int(s["hidden"]),
                   float(s["dropout"]), bool(s["uniform"]), float(s["growth_scale"]), int(s["flux_rank"]),
                   bottleneck=bool(s.get("bottleneck", False)), guided=bool(s.get("guided", False)),
                   medium_values=bool(s.get("medium_values", False)), learned_bound=s.get("learned_bound"),
                   value_cap=float(s.get("value_cap", 0.0)))  # 0: none, as saved before the bound
        # exchange_elements is a buffer: load_state_dict fills it from the file.

    def reset_parameters(self) -> None:
        nn.init.normal_(self.identity.weight, std=0.1)
        nn.init.normal_(self.exchange_identity.weight, std=1.0)
        for head in (self.token, self.context, self.growth_head, self.flux_medium, self.flux_reaction):
            for module in head:
                if hasattr(module, "reset_parameters"):
                    module.reset_parameters()
        for module in (self.query, self.key, self.value):
            module.reset_parameters()
        nn.init.zeros_(self.flux_bias)
        nn.init.zeros_(self.flux_free)
        nn.init.zeros_(self.log_vars)
        if self.spec["guided"]:
            nn.init.constant_(self.guide, GUIDE_START)

    @property
    def n_reactions(self) -> int:
        return int(self.reaction_nodes.numel())

    def inputs(self, structure: torch.Tensor, medium: torch.Tensor) -> torch.Tensor:
        """(C, N, D_in): every node's input features for each medium — structure, identity and medium."""
        c = medium.shape[0]
        static = torch.cat([structure, self.identity.weight], dim=1)  # [N, D_struct + id]
        return torch.cat([static.unsqueeze(0).expand(c, -1, -1), medium], dim=2)

    def encode_structure(self, structure: torch.Tensor, graph: AttentionGraph, need_weights: bool = False):
        """``(h (N, D), weights L x (E, 1, H) or None)``: the structure stream, medium-independent."""
        static = torch.cat([structure, self.identity.weight], dim=1).unsqueeze(0)  # [1, N, D_in]
        h, weights, _received = self.encoder.encode(static, graph, need_weights=need_weights)
        return h[0], weights

    def forward(self, structure: torch.Tensor, medium: torch.Tensor, graph: AttentionGraph,
                need_weights: bool = False, masked: torch.Tensor | None = None) -> PredictorOutput:
        """``masked``: (C, N) bool, nodes removed from the read-out (faithfulness checks)."""
        h, weights = self.encode_structure(structure, graph, need_weights)  # [N, D]
        c, d = medium.shape[0], h.shape[-1]
        ex = self.exchange_nodes
        context, tokens, (ci, xi) = self.medium_context(h, medium)
        g = self.reaction_factors(h)  # [R, K]
        guided = self.spec.get("guided", False)
        queries = self.query(context).view(c, -1, d)  # [C, P, D]
        scores = torch.einsum("nd,cpd->cnp", self.key(h), queries) / math.sqrt(d)  # [C, N, P]
        if guided:
            # What was learned can re-weigh a node by at most e^±LEARNED_BOUND; the predicted activity sets the rest.
            flux = self._flux(self.flux_medium(context), g)
            bound = self.spec.get("learned_bound", LEARNED_BOUND)
            guide = F.softplus(self.guide) * self._activity(flux.detach(), graph).unsqueeze(-1)
            # A bound of 0: no learned part, the read-out is the softmax of predicted activity at a learned temperature.
            scores = guide + (bound * torch.tanh(scores / bound) if bound > 0 else 0.0 * scores)
        if masked is not None:
            scores = scores.masked_fill(masked.unsqueeze(-1), float("-inf"))
        readout = torch.softmax(scores, dim=1)  # [C, N, P]
        pooled = torch.einsum("cnp,nd->cpd", readout, self.value(h))  # [C, P, D]
        if self.spec.get("medium_values"):
            # An open exchange's value also carries its token (what and how much the medium offers there), at the
            # read-out's weight of that node times N (uniform attention would give the plain sum of the tokens):
            # besides steering the predicted activity, the medium reaches the heads only through the exchanges
            # the read-out attends to.
            w = readout[ci, ex[xi]] * readout.shape[1]  # [T, P]
            cap = self.spec.get("value_cap", 0.0)
            if cap > 0:
                w = cap * torch.tanh(w / cap)
            pooled = pooled.index_add(0, ci, w.unsqueeze(-1) * self.token_value(tokens).unsqueeze(1))
        pooled = pooled.flatten(1)  # [C, P*D]
        # Bottleneck: the heads see the medium only through what the read-out attention picks from the network.
        summary = pooled if self.spec["bottleneck"] else torch.cat([pooled, context], dim=1)
        if guided:
            summary = torch.cat([summary, torch.logsumexp(scores, dim=1) / LSE_SCALE], dim=1)  # + [C, P]
        out = self.growth_head(summary)  # [C, 2]
        # Bounded: at most GROWTH_CEILING x the training set's 95th percentile, so a medium unlike any seen
        # in training cannot get an absurd growth rate.
        growth = torch.sigmoid(out[:, 0]) * (GROWTH_CEILING * self.spec["growth_scale"])
        if not guided:
            flux = self._flux(self.flux_medium(summary), g)
        importance = readout.mean(-1)  # [C, N]
        if weights is not None:
            weights = [w.expand(-1, c, -1) for w in weights]  # L x [E, C, H]
        embeddings = h.unsqueeze(0).expand(c, -1, -1)
        return PredictorOutput(growth, out[:, 1], flux, importance, readout, embeddings, weights)

    def medium_context(self, h: torch.Tensor, medium: torch.Tensor):
        """``(context (C, hidden), tokens (T, hidden), (medium index, exchange index) of each token)``: a token per
        open exchange of each medium (closed ones add nothing to the sum), summed into the medium's context."""
        med = medium[:, self.exchange_nodes]  # [C, X, 3]
        ci, xi = (med[..., 2] > 0).nonzero(as_tuple=True)  # [T], [T]
        atoms = self.exchange_elements[xi] / ATOM_SCALE  # [T, 6]
        supply = atoms * med[ci, xi, 1:2]  # [T, 6] element supply, linear uptake scale
        tokens = self.token(torch.cat([h[self.exchange_nodes][xi], self.exchange_identity.weight[xi], med[ci, xi],
                                       atoms, supply], dim=1))  # [T, hidden]
        context = self.context(tokens.new_zeros((medium.shape[0], tokens.shape[1])).index_add(0, ci, tokens))
        return context, tokens, (ci, xi)

    def reaction_factors(self, h: torch.Tensor) -> torch.Tensor:
        """(R, K) each reaction's flux factor: read from its structural embedding, plus a free vector."""
        return self.flux_reaction(h[self.reaction_nodes]) + self.flux_free

    def guided_flux(self, h: torch.Tensor, medium: torch.Tensor) -> torch.Tensor:
        """(C, R) the guided wiring's fluxes from a structure embedding ``h`` (N, D): the medium context alone
        decides them (no read-out), so the flux path can be trained by itself, cheaply (:func:`warm_up_flux`)."""
        return self._flux(self.flux_medium(self.medium_context(h, medium)[0]), self.reaction_factors(h))

    def _flux(self, medium_factor: torch.Tensor, reaction_factor: torch.Tensor) -> torch.Tensor:
        """(C, R) asinh-scaled fluxes: the low-rank product of (C, K) medium and (R, K) reaction factors."""
        return medium_factor @ reaction_factor.t() / math.sqrt(reaction_factor.shape[1]) + self.flux_bias

    def _activity(self, flux: torch.Tensor, graph: AttentionGraph) -> torch.Tensor:
        """(C, N) predicted activity of every node, asinh-scaled: |flux| of a reaction, and for a metabolite
        half the sum of |coefficient x flux| over the reactions it takes part in (its turnover)."""
        c = flux.shape[0]
        act = flux.new_zeros((c, self.spec["n_nodes"]))
        act[:, self.reaction_nodes] = flux.abs().clamp(max=ACTIVITY_CAP)
        src, dst = graph.edge_index
        types = graph.node_types
        into_met = (types[src] == 1) & (types[dst] == 0) & (graph.hops == 1)  # reaction -> metabolite edges
        s_, d_ = src[into_met], dst[into_met]
        # Clamped before sinh: an asinh flux of 20 is already 2.4e8 mmol/gDW/h, and sinh(90) is inf in float32.
        moved = torch.sinh(act[:, s_].clamp(max=ACTIVITY_CAP)) * torch.exp(graph.log_coef[into_met])  # [C, E']
        turnover = act.new_zeros((c, act.shape[1])).index_add(1, d_, moved) * 0.5
        return torch.where(types == 0, torch.asinh(turnover), act)

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
        s = self.log_vars.clamp(-LOG_VAR_BOUND, LOG_VAR_BOUND)
        total = (torch.exp(-s) * parts + s).sum()
        return total, {t: float(v) for t, v in zip(TASKS, parts.detach())}

    def __repr__(self) -> str:
        s = self.spec
        kind = "uniform attention" if s["uniform"] else "attention"
        return (f"MetabolicPredictor({s['n_nodes']} nodes, {self.n_reactions} fluxes, d={s['d_model']}, "
                f"heads={s['heads']}, layers={s['layers']}, {kind})")


def medium_features(graph, media, exchange_nodes: dict[str, int]) -> np.ndarray:
    """(C, N, 3) float32, non-zero on open exchange reactions only: log(1 + uptake) / log(1 + UPTAKE_SCALE),
    min(uptake, LINEAR_CAP) / UPTAKE_SCALE and an open flag (uptake in mmol/gDW/h, from the lower bound)."""
    n = graph.n_nodes
    out = np.zeros((len(media), n, len(MEDIUM_FEATURES)), dtype=np.float32)
    for c, cond in enumerate(media):
        for rid, (lb, _ub) in cond.bounds.items():
            i = exchange_nodes.get(rid)
            if i is None or lb >= 0:
                continue
            uptake = min(-lb, 1000.0)
            out[c, i, 0] = math.log1p(uptake) / math.log1p(UPTAKE_SCALE)
            out[c, i, 1] = min(uptake, LINEAR_CAP) / UPTAKE_SCALE
            out[c, i, 2] = 1.0
    return out


def exchange_index(graph) -> dict[str, int]:
    """Exchange reaction id -> its node: the nodes the medium enters at."""
    from core.graph import REACTION

    types = np.asarray(graph.node_types)
    nodes = np.flatnonzero(np.asarray(graph.is_exchange) & (types == REACTION))
    return {graph.node_ids[i]: int(i) for i in nodes}
