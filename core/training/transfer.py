"""Fine-tuning trained weights on another model that shares identifiers (iJO1366 -> salmonella).

Most of a :class:`MetabolicPredictor` does not depend on which network it runs on: the graph-attention
layers, the medium tokens, the read-out and the heads work on any graph. Only three tensors are tied to the
node list: the learned identity vector of each node and of each exchange, the per-reaction flux bias and free factor, and the index buffers of
reactions and exchanges. :func:`transfer_predictor` builds a fresh network for the target graph, copies
every node-independent weight, and copies identity vectors and flux biases for the nodes and reactions
whose ids the two models share (BiGG ids: most of them for two enterobacteria); the rest keep their
seeded initial values and are learned during fine-tuning.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from core.errors import InputError

# exchange_elements (atoms of each exchange's compound) is the target's own buffer, made from its formulas.
NODE_TIED = ("identity.weight", "exchange_identity.weight", "flux_bias", "flux_free", "reaction_nodes",
             "exchange_nodes", "exchange_elements")


@dataclass(frozen=True)
class TransferStats:
    nodes_shared: int
    nodes_target: int
    fluxes_shared: int
    fluxes_target: int

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def transfer_predictor(source, source_node_ids, inputs, config, growth_scale: float):
    """``(model for inputs' graph, TransferStats)``: ``source``'s weights carried over by node id.

    ``inputs``: the target's :class:`TrainingInputs`; ``config``: its :class:`TrainConfig` (the seed of the
    weights that cannot be carried over); ``growth_scale``: the target data's growth scale.
    """
    from core.training.train import build_predictor

    spec = source.spec
    if inputs.structure.shape[1] != spec["d_struct"]:
        raise InputError(f"the source weights expect {spec['d_struct']} structural features per node, the target "
                         f"graph has {inputs.structure.shape[1]}")
    target = build_predictor(inputs, _config_like(config, spec), growth_scale)
    src_state = source.state_dict()
    state = target.state_dict()
    for name, value in src_state.items():
        if name in NODE_TIED or name not in state:
            continue
        if state[name].shape != value.shape:
            raise InputError(f"the source weights' {name} has shape {tuple(value.shape)}, the target network "
                             f"{tuple(state[name].shape)}")
        state[name] = value.clone()
    src_index = {nid: i for i, nid in enumerate(source_node_ids)}
    tgt_ids = inputs.node_ids
    shared = [(i, src_index[nid]) for i, nid in enumerate(tgt_ids) if nid in src_index]
    if shared:
        ti, si = (torch.as_tensor(x) for x in zip(*shared))
        state["identity.weight"][ti] = src_state["identity.weight"][si]
    src_flux = {int(node): r for r, node in enumerate(source.reaction_nodes.tolist())}
    pairs = []
    for r, node in enumerate(target.reaction_nodes.tolist()):
        s_node = src_index.get(tgt_ids[node])
        if s_node is not None and s_node in src_flux:
            pairs.append((r, src_flux[s_node]))
    if pairs:
        tr, sr = (torch.as_tensor(x) for x in zip(*pairs))
        state["flux_bias"][tr] = src_state["flux_bias"][sr]
        state["flux_free"][tr] = src_state["flux_free"][sr]
    src_ex = {int(node): x for x, node in enumerate(source.exchange_nodes.tolist())}
    for x, node in enumerate(target.exchange_nodes.tolist()):
        s_node = src_index.get(tgt_ids[node])
        if s_node is not None and s_node in src_ex:
            state["exchange_identity.weight"][x] = src_state["exchange_identity.weight"][src_ex[s_node]]
    target.load_state_dict(state)
    return target, TransferStats(len(shared), len(tgt_ids), len(pairs), target.n_reactions)


def _config_like(config, spec: dict):
    """``config`` with the source's network settings (the weights only fit a network of the same shape)."""
    from dataclasses import replace

    return replace(config, d_model=int(spec["d_model"]), heads=int(spec["heads"]), layers=int(spec["layers"]),
                   readout_queries=int(spec["readout_queries"]), id_dim=int(spec["id_dim"]),
                   hidden=int(spec["hidden"]), flux_rank=int(spec["flux_rank"]), uniform=bool(spec["uniform"]),
                   bottleneck=bool(spec.get("bottleneck", False)), guided=bool(spec.get("guided", False)))
