"""run_attention and its helpers: settings check, memory guard, seeded network, one forward pass.

Shapes (legend: L layers, C conditions, N nodes, E attention edges, H heads, D_in input features,
D model width): see :mod:`core.attention.result`.
"""

from __future__ import annotations

import contextlib
import copy
import time
from typing import Callable, Sequence

import numpy as np
import torch

from core.attention.aggregator import AttentionAggregator
from core.attention.attention_graph import AttentionGraph, build_attention_graph, full_attention_graph
from core.attention.budget import check_full, check_k_hop_bound, check_sparse
from core.attention.cross_attention import MAX_CONDITIONS
from core.attention.edge_structure import k_hop_pair_bound
from core.attention.features import NodeFeatures, build_node_features
from core.attention.result import MODES, AttentionConfig, AttentionResult  # noqa: F401  (MODES: imported from here too)
from core.errors import InputError, check_stop


def validate_config(config: AttentionConfig, n_conditions: int) -> None:
    """Raise InputError for settings a user can fix (:meth:`AttentionConfig.problems`, and how many
    conditions one run compares)."""
    problems = config.problems()
    if n_conditions > MAX_CONDITIONS:
        problems.append(f"{n_conditions} conditions; attention compares at most {MAX_CONDITIONS} at once")
    if problems:
        raise InputError("attention settings: " + "; ".join(problems))


def build_model(config: AttentionConfig, d_in: int) -> AttentionAggregator:
    """The network for ``config``, initialised from ``config.seed`` (the caller's RNG is untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = AttentionAggregator(d_in, config.d_model, config.heads, config.layers, config.dropout,
                                    config.ffn_mult, config.pathway_bias, max(1, config.hops))
    return model.eval()


def prepare_attention_graph(graph, config: AttentionConfig, n_conditions: int) -> AttentionGraph:
    """The attention edges for ``config.mode``, after the memory guard has approved them."""
    budget = config.memory_budget_gb
    if config.mode == "full":
        if config.weight_rows:
            missing = [r for r in config.weight_rows if r not in graph.index]
            if missing:
                raise InputError(f"weight_rows: unknown node id(s) {', '.join(missing[:5])}")
            rows = [graph.index[r] for r in config.weight_rows]
        else:
            rows = list(range(graph.n_nodes))
        check_full(graph.n_nodes, len(set(rows)), n_conditions, config.heads, config.layers, config.d_model, budget)
        return full_attention_graph(graph, rows)
    if config.hops > 1:
        bound = k_hop_pair_bound(graph.edge_index, graph.n_nodes, config.hops, config.hub_degree)
        check_k_hop_bound(bound, config.hops, config.hub_degree, budget)
    agraph = build_attention_graph(graph, config.hops, config.hub_degree)
    check_sparse(graph.n_nodes, agraph.n_edges, n_conditions, config.heads, config.layers, config.d_model, budget,
                 config.hops)
    return agraph


@contextlib.contextmanager
def _threads(threads: int | None):
    if threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, int(threads)))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run_attention(graph, condition_results: Sequence, config: AttentionConfig | None = None,
                  progress: Callable[[float, str], None] | None = None,
                  should_stop: Callable[[], bool] | None = None, threads: int | None = None,
                  model: AttentionAggregator | None = None) -> AttentionResult:
    """Attention over ``graph`` (a MetabolicGraph) in each condition of ``condition_results``.

    ``model``: run these weights (e.g. from :func:`load_weights`) instead of a fresh seeded network.
    ``threads``: torch threads for this call only (None leaves torch's setting alone).
    Raises InputError for an empty graph, no conditions, bad settings or a request over the memory
    budget (checked before anything large is built); Cancelled when ``should_stop()`` says so.
    A single-node graph is fine: its only edge is its self-loop and its importance is 1.
    """
    config = config or AttentionConfig()
    if graph.n_nodes == 0:
        raise InputError("the graph has no nodes, so there is nothing to attend to")
    if not condition_results:
        raise InputError("no conditions given to attention")
    validate_config(config, len(condition_results))
    timings: dict[str, float] = {}

    def report(fraction: float, message: str) -> None:
        if progress is not None:
            progress(max(0.0, min(1.0, fraction)), message)

    with _threads(threads):
        t0 = time.perf_counter()
        report(0.0, "Attention: node features")
        features = build_node_features(graph, condition_results, config.top_compartments, config.top_pathways,
                                       config.pathway_hash_buckets)
        timings["features"] = time.perf_counter() - t0
        check_stop(should_stop)

        t0 = time.perf_counter()
        report(0.1, "Attention: neighbourhoods")
        agraph = prepare_attention_graph(graph, config, len(condition_results))
        if config.flux_bias and not agraph.full:
            agraph = agraph.with_activity(features.activity())
        timings["graph"] = time.perf_counter() - t0
        check_stop(should_stop)

        x = torch.from_numpy(features.values)
        if model is None:
            model = build_model(config, features.n_features)
        else:
            _check_model(model, config, features.n_features, agraph.max_hops)
        if config.pretrain_steps > 0 and not agraph.full:
            model = copy.deepcopy(model)  # the warm-up trains in place; leave the caller's weights alone
            t0 = time.perf_counter()
            _pretrain(model, x, agraph, features, config, should_stop,
                      lambda f, m: report(0.15 + 0.25 * f, m))
            timings["pretrain"] = time.perf_counter() - t0
        model.eval()

        t0 = time.perf_counter()
        start = 0.4 if config.pretrain_steps > 0 else 0.15
        with torch.no_grad():
            out = model(x, agraph, need_weights=True, should_stop=should_stop,
                        progress=lambda f, m: report(start + (0.95 - start) * f, m))
        timings["forward"] = time.perf_counter() - t0
        check_stop(should_stop)

    report(0.95, "Attention: collecting results")
    result = AttentionResult(
        config=config,
        condition_names=tuple(r.name for r in condition_results),
        node_ids=tuple(graph.node_ids),
        node_types=np.asarray(graph.node_types, dtype=np.int8),
        edge_index=agraph.edge_index_numpy(),
        self_attention=out.self_attention.numpy(),
        cross_attention=out.cross_attention.numpy(),
        importance=out.importance.numpy(),
        node_features=features.values,
        embeddings=out.embeddings.numpy(),
        feature_names=features.names,
        fused=out.fused.numpy(),
        edge_hops=agraph.hops.numpy().astype(np.int8),
        timings=timings,
    )
    report(1.0, "Attention done")
    return result


def _check_model(model: AttentionAggregator, config: AttentionConfig, d_in: int, hops: int) -> None:
    """The given weights must fit the features and describe the network the config names."""
    spec = model.spec
    wanted = {"d_in": d_in, "d_model": config.d_model, "heads": config.heads, "layers": config.layers}
    wrong = [f"{k} {spec[k]} (settings: {v})" for k, v in wanted.items() if spec[k] != v]
    if spec["max_hops"] < hops:
        wrong.append(f"hops {spec['max_hops']} (settings: {hops})")
    if wrong:
        raise InputError("the attention weights do not fit these settings: " + ", ".join(wrong))


def _pretrain(model, x, agraph, features: NodeFeatures, config: AttentionConfig, should_stop, progress) -> None:
    from core.attention.pretrain import pretrain_masked_flux
    from core.graph import REACTION

    reactions = torch.nonzero(agraph.node_types == REACTION).flatten()
    cols = [features.names.index(c) for c in ("flux", "abs_flux", "active")]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed + 1)  # dropout during the warm-up
        pretrain_masked_flux(model, x, agraph, cols[0], cols, reactions, config.pretrain_steps, config.seed,
                             should_stop, progress)
