"""Train a :class:`MetabolicPredictor` on a :class:`TrainingData` set: seeded, early-stopped, interruptible.

:func:`training_inputs` turns a graph and a dataset into tensors once; :func:`train_predictor` runs Adam on
minibatches of media, keeps the weights with the best validation loss (a held-out slice of the training
groups, never the test set) and stops at ``epochs``, at ``max_seconds`` or when ``should_stop()`` says so —
returning the best weights so far in every case. Same data, config and seed -> the same weights.

Shapes (legend: M media, N nodes, R reactions with fluxes, D_s structural features):
    structure (N, D_s), medium (M, N, 3), growth (M,), grows (M,), flux (M, R) asinh(flux / FLUX_SCALE)
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import torch

from core.errors import InputError
from core.training import LEARNED_BOUND
from core.training.dataset import TrainingData, group_split
from core.training.model import FLUX_SCALE, MetabolicPredictor, exchange_index, medium_features


@dataclass(frozen=True)
class TrainConfig:
    d_model: int = 32
    heads: int = 4
    layers: int = 2
    readout_queries: int = 8
    id_dim: int = 16
    hidden: int = 128
    flux_rank: int = 128
    epochs: int = 60
    batch: int = 64  # media per step
    lr: float = 3e-3
    weight_decay: float = 1e-5
    val_fraction: float = 0.1  # of the training groups, for early stopping
    patience: int = 15  # epochs without a better validation loss before stopping
    seed: int = 0
    max_seconds: float = 900.0
    threads: int = 1  # 2 threads ran slower than 1 whenever the other core was busy
    uniform: bool = False  # the no-attention baseline
    bottleneck: bool = False  # the heads read the medium only through the read-out attention (see model.py)
    guided: bool = False  # fluxes from the medium alone; the read-out is biased towards their predicted activity
    medium_values: bool = False  # guided: open exchanges' tokens reach the heads only through the read-out
    learned_bound: float = LEARNED_BOUND  # guided: the learned part of a read-out score stays within ±this (0: none)
    flux_warmup: int = 0  # guided: epochs of the flux path alone (cheap steps, no read-out) before joint training
    warm_lr_scale: float = 0.3  # after a flux warm-up, the flux path's learning rate in the joint phase (x lr)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True, eq=False)
class TrainingInputs:
    node_ids: tuple[str, ...]
    structure: torch.Tensor  # (N, D_s)
    structure_names: tuple[str, ...]
    medium: torch.Tensor  # (M, N, 3)
    growth: torch.Tensor  # (M,)
    grows: torch.Tensor  # (M,) bool
    flux: torch.Tensor  # (M, R)
    reaction_nodes: np.ndarray  # (R,)
    exchange_nodes: np.ndarray  # (X,)
    exchange_elements: np.ndarray  # (X, 6) atoms of C, H, N, O, P, S per exchange's compound
    graph: object  # AttentionGraph, gather kernels (no CSR row pointers: their backward is slow)


@dataclass
class History:
    epochs: list = field(default_factory=list)  # dicts: epoch, seconds, loss parts, val loss

    def add(self, **row) -> None:
        self.epochs.append(row)


def training_inputs(graph, data: TrainingData, model=None) -> TrainingInputs:
    """Tensors for ``data`` on ``graph`` (a MetabolicGraph of the same model, currency filtered or not).

    ``model``: the cobra model, for the atoms of each exchange's compound; without it they come from the
    formulas saved with the data."""
    from core.attention.attention_graph import build_attention_graph
    from core.attention.features import structural_features

    index = graph.index
    missing = [rid for rid in data.flux_ids if rid not in index]
    if missing:
        raise InputError(f"the dataset's fluxes name {len(missing)} reactions the graph lacks "
                         f"(e.g. {', '.join(missing[:3])}): it was made for another model")
    ex_index = exchange_index(graph)
    ex_nodes = np.array(sorted(ex_index.values()), dtype=np.int64)
    structure, names = structural_features(graph)
    agraph = replace(build_attention_graph(graph, 1, 50), rows=None)
    return TrainingInputs(
        node_ids=tuple(graph.node_ids), structure=torch.from_numpy(structure), structure_names=names,
        medium=torch.from_numpy(medium_features(graph, data.media, ex_index)),
        growth=torch.from_numpy(data.growth.astype(np.float32)), grows=torch.from_numpy(data.grows),
        flux=torch.from_numpy(np.arcsinh(data.fluxes / FLUX_SCALE).astype(np.float32)),
        reaction_nodes=np.array([index[rid] for rid in data.flux_ids], dtype=np.int64),
        exchange_nodes=ex_nodes, exchange_elements=_atoms(graph, ex_nodes, data, model), graph=agraph)


def _atoms(graph, ex_nodes, data: TrainingData, model) -> np.ndarray:
    """(X, 6) atoms of C, H, N, O, P, S in each exchange's compound: from the cobra ``model``'s formulas when
    given, else from the formulas saved with the data (zeros where none is known)."""
    from core.training.dataset import exchange_formulas
    from core.training.media import _elements
    from core.training.model import ELEMENTS

    formulas = exchange_formulas(model) if model is not None else data.exchange_formulas
    out = np.zeros((len(ex_nodes), len(ELEMENTS)), dtype=np.float32)
    for i, node in enumerate(ex_nodes):
        counts = _elements(formulas.get(graph.node_ids[node], ""))
        out[i] = [counts.get(e, 0) for e in ELEMENTS]
    return out


@contextlib.contextmanager
def _torch_threads(n: int):
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def build_predictor(inputs: TrainingInputs, config: TrainConfig, growth_scale: float) -> MetabolicPredictor:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        return MetabolicPredictor(inputs.structure.shape[1], len(inputs.node_ids), inputs.reaction_nodes,
                                  inputs.exchange_nodes, config.d_model, config.heads, config.layers,
                                  config.readout_queries, config.id_dim, config.hidden, 0.0, config.uniform,
                                  growth_scale, config.flux_rank, inputs.exchange_elements, config.bottleneck,
                                  config.guided, config.medium_values, config.learned_bound)


def _batch_loss(model, inputs: TrainingInputs, idx: torch.Tensor):
    out = model(inputs.structure, inputs.medium[idx], inputs.graph)
    return model.loss(out, inputs.growth[idx], inputs.grows[idx], inputs.flux[idx])


def evaluate_loss(model, inputs: TrainingInputs, idx: np.ndarray, batch: int = 32) -> float:
    """Mean uncertainty-free loss (growth + grows + flux, equal weights) over media ``idx``."""
    total, n = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(idx), batch):
            part = torch.as_tensor(idx[start:start + batch])
            _, parts = _batch_loss(model, inputs, part)
            total += sum(parts.values()) * len(part)
            n += len(part)
    return total / max(n, 1)


def growth_scale_of(data: TrainingData, train_idx: np.ndarray) -> float:
    """The training media's 95th percentile of growth (1/h): the predictor's growth unit."""
    return float(max(np.percentile(data.growth[train_idx], 95), 1e-3))


def train_predictor(inputs: TrainingInputs, data: TrainingData, train_idx: np.ndarray, config: TrainConfig,
                    progress: Callable[[float, str], None] | None = None,
                    should_stop: Callable[[], bool] | None = None,
                    model: MetabolicPredictor | None = None,
                    on_epoch: Callable[[list], None] | None = None) -> tuple[MetabolicPredictor, History]:
    """Train on media ``train_idx`` (a slice of their groups held back for early stopping).

    ``model``: start from these weights (fine-tuning) instead of a fresh seeded network.
    ``on_epoch``: called after every epoch with a copy of the history rows so far (live loss curves).
    Returns the weights with the best validation loss and the per-epoch history. A stop request ends
    training early with the best weights so far (it does not raise).
    """
    if len(train_idx) < 4:
        raise InputError(f"{len(train_idx)} training media are too few to train on")
    groups = [data.groups[i] for i in train_idx]
    fit_pos, val_pos = group_split(groups, config.val_fraction, config.seed + 1)
    fit, val = train_idx[fit_pos], train_idx[val_pos]
    growth_scale = growth_scale_of(data, train_idx)
    fresh = model is None
    model = model if model is not None else build_predictor(inputs, config, growth_scale)
    history = History()
    rng = np.random.default_rng(config.seed)
    start = time.perf_counter()
    if config.flux_warmup and model.spec.get("guided"):
        with _torch_threads(config.threads), torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            warm_up_flux(model, inputs, fit, config, rng, fresh, should_stop, progress, history, on_epoch)
        if should_stop and should_stop():
            return model.eval(), history
    best, best_state, stale = float("inf"), copy.deepcopy(model.state_dict()), 0
    with _torch_threads(config.threads), torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        opt = torch.optim.AdamW(_param_groups(model, config, warmed=bool(history.epochs)), lr=config.lr,
                                weight_decay=config.weight_decay)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(config.epochs, 1))
        warm = len(history.epochs)
        for epoch in range(config.epochs):
            model.train()
            order = rng.permutation(fit)
            sums = {"growth": 0.0, "grows": 0.0, "flux": 0.0}
            stopped = False
            for b in range(0, len(order), config.batch):
                if should_stop and should_stop():
                    stopped = True
                    break
                idx = torch.as_tensor(order[b:b + config.batch])
                loss, parts = _batch_loss(model, inputs, idx)
                if not torch.isfinite(loss):  # a diverging step is skipped, never applied to the weights
                    continue
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
                opt.step()
                for k, v in parts.items():
                    sums[k] += v * len(idx)
            if stopped:
                break
            sched.step()
            model.eval()
            val_loss = evaluate_loss(model, inputs, val)
            elapsed = time.perf_counter() - start
            history.add(epoch=warm + epoch + 1, seconds=round(elapsed, 2), val_loss=val_loss,
                        **{f"train_{k}": v / max(len(fit), 1) for k, v in sums.items()})
            if on_epoch is not None:
                on_epoch([dict(row) for row in history.epochs])
            if val_loss < best - 1e-6:
                best, best_state, stale = val_loss, copy.deepcopy(model.state_dict()), 0
            else:
                stale += 1
            if progress:
                progress((warm + epoch + 1) / (warm + config.epochs),
                         f"Epoch {epoch + 1}/{config.epochs}: validation loss {val_loss:.4f} (best {best:.4f})")
            if stale >= config.patience or elapsed > config.max_seconds:
                break
    model.load_state_dict(best_state)
    return model.eval(), history


FLUX_PATH = ("token.", "context.", "flux_medium.", "flux_reaction.", "flux_free", "flux_bias", "exchange_identity.")


def warm_up_flux(model: MetabolicPredictor, inputs: TrainingInputs, fit: np.ndarray, config: TrainConfig, rng,
                 fresh: bool, should_stop=None, progress=None, history: History | None = None,
                 on_epoch=None) -> None:
    """Train the guided wiring's flux path by itself for ``config.flux_warmup`` epochs, before joint training.

    Why: on iJO1366 the flux path learns slowly per epoch (tokens -> context -> flux: held-out flux R² 0.65 after
    20 epochs, 0.77 after 80), and a joint step costs ~10x a flux-path step (the read-out's (C, N, P) tensors), so
    within minutes the joint training saw too few epochs (flux 0.52). Here the structure stream is frozen and
    encoded once; only the flux path (medium tokens, context, flux factors) learns, on media that grow (fluxes are
    defined only there). A fresh network's reaction factors first take the training fluxes' principal directions
    (scaled so the medium factor's targets have unit variance) and its bias their mean: the medium factor then
    starts from a basis that spans 95 % of the flux variance (iJO1366, rank 128) instead of from zero.
    Warm-up epochs come before ``config.epochs`` joint ones and are rows of ``history`` (``phase``, no validation
    loss); the joint phase keeps the weights with the best validation loss.
    """
    grows = inputs.grows.numpy()[fit].astype(bool)
    media = fit[grows]
    if len(media) < 2:
        return
    if fresh:
        _flux_basis(model, inputs.flux[torch.as_tensor(media)])
    params = [p for n, p in model.named_parameters() if n.startswith(FLUX_PATH)]
    opt = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    epochs = config.flux_warmup
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(epochs, 1))
    start = time.perf_counter()
    total_epochs = epochs + config.epochs
    with torch.no_grad():
        h, _ = model.encode_structure(inputs.structure, inputs.graph)
    model.train()
    for epoch in range(epochs):
        order = rng.permutation(media)
        total = 0.0
        for b in range(0, len(order), config.batch):
            if should_stop and should_stop():
                return
            idx = torch.as_tensor(order[b:b + config.batch])
            loss = torch.nn.functional.mse_loss(model.guided_flux(h, inputs.medium[idx]), inputs.flux[idx])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 5.0)
            opt.step()
            total += float(loss.detach()) * len(idx)
        sched.step()
        if history is not None:
            history.add(epoch=epoch + 1, seconds=round(time.perf_counter() - start, 2),
                        train_flux=total / len(media), phase="flux warm-up")
            if on_epoch is not None:
                on_epoch([dict(row) for row in history.epochs])
        if progress:
            progress((epoch + 1) / total_epochs,
                     f"Flux warm-up {epoch + 1}/{epochs}: flux loss {total / len(media):.4f}")


def _param_groups(model: MetabolicPredictor, config: TrainConfig, warmed: bool) -> list[dict]:
    """After a flux warm-up the flux path learns at ``config.warm_lr_scale`` x the rate of the rest in the joint
    phase: at the full rate its first joint steps undid the warm-up (iJO1366: training flux loss 0.019 at the end
    of the warm-up, 0.046 after the first joint epoch). iJO1366, 60 warm-up + 20 joint epochs, seed 0, held-out
    growth / flux R²: scale 1.0 0.884 / 0.684, 0.1 0.844 / 0.734; 150 warm-up epochs at 0.3: 0.904 / 0.752."""
    if not warmed or config.warm_lr_scale == 1.0:
        return [{"params": list(model.parameters())}]
    flux, rest = [], []
    for name, p in model.named_parameters():
        (flux if name.startswith(FLUX_PATH) else rest).append(p)
    return [{"params": rest}, {"params": flux, "lr": config.lr * config.warm_lr_scale}]


def _flux_basis(model: MetabolicPredictor, flux: torch.Tensor) -> None:
    """Reaction factors = the principal directions of ``flux`` (M, R), bias = its mean (see :func:`warm_up_flux`)."""
    k = model.spec["flux_rank"]
    with torch.no_grad():
        mean = flux.mean(0)
        _, s, vh = torch.linalg.svd(flux - mean, full_matrices=False)
        k_ = min(k, vh.shape[0])
        scale = s[:k_] / math.sqrt(flux.shape[0]) * math.sqrt(k)  # per direction: its score's spread x sqrt(K)
        model.flux_free.zero_()
        model.flux_free[:, :k_] = vh[:k_].t() * scale
        model.flux_bias.copy_(mean)
        last = model.flux_reaction[-1]  # the structural part starts at zero, so the factors start as the basis
        last.weight.zero_()
        last.bias.zero_()
