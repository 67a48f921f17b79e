"""Memory guard: refuse up front a run that would not fit, and say what to change.

The estimates are deliberately simple and a little pessimistic: bytes per attention edge (the
weights kept for the result and the per-layer working tensors) plus bytes per node and condition
(activations of one layer with its feed-forward net). They were checked against the peak resident
memory of the benchmark (benchmarks/bench_attention.py) on 4k-100k node graphs.

Both estimates include the network's parameters (about 13 d^2 per layer, kept and initialised in
float32: a thousand layers of width 64 are 0.2 G parameters before any node is seen). Full mode is also
refused up front when it would keep more weights than :mod:`core.analysis` analyses
(``MAX_WEIGHT_VALUES``), instead of computing for minutes and being refused afterwards.

k-hop neighbourhoods are checked twice: first a cheap upper bound on the number of pairs (walk
counts, before anything is built), then the exact edge count once the (small, integer) structure
exists and before any attention tensor is made.
"""

from __future__ import annotations

from core.errors import InputError

GB = 1024 ** 3
NODE_BYTES_PER_FEATURE = 4 * 16  # float32 x ~16 live (C, N, D) tensors during one layer + FFN
STRUCTURE_BYTES_PER_PAIR = 48  # scipy sparse products while building k-hop pairs (indices, data, copies)
PARAMETER_BYTES = 4 * 2  # float32 parameters, plus the initialisers' temporaries
INPUT_FEATURES = 256  # upper end of the node feature width the encoder projects from


def parameter_count(heads: int, layers: int, d_model: int) -> int:
    """An upper estimate of the network's parameters: per layer the typed Q/K/V/O projections and the
    feed-forward net (measured 12.3 d^2 at d=64), plus encoder and cross-condition attention."""
    per_layer = 13 * d_model * d_model + 64 * d_model + 16 * heads
    return int(layers * per_layer + 5 * d_model * d_model + (INPUT_FEATURES + 128) * d_model)


def parameter_bytes(heads: int, layers: int, d_model: int) -> int:
    return parameter_count(heads, layers, d_model) * PARAMETER_BYTES


def sparse_bytes(n_nodes: int, n_edges: int, conditions: int, heads: int, layers: int, d_model: int,
                 keep_weights: bool = True) -> int:
    """Estimated peak bytes of graph-masked attention on ``n_edges`` edges (self-loops included)."""
    per_edge = 4 * conditions * heads * (6 + (2 * layers if keep_weights else 0)) + 64
    per_node = conditions * d_model * NODE_BYTES_PER_FEATURE + 4 * conditions * conditions * heads * 2
    return int(n_edges * per_edge + n_nodes * per_node + parameter_bytes(heads, layers, d_model))


def full_bytes(n_nodes: int, weight_rows: int, conditions: int, heads: int, layers: int, d_model: int) -> int:
    """Estimated peak bytes of unmasked (SDPA) attention keeping ``weight_rows`` rows of weights."""
    kept = 4 * 2 * layers * conditions * heads * weight_rows * n_nodes  # tensors + the result's copy
    per_node = conditions * d_model * NODE_BYTES_PER_FEATURE
    received_chunk = 1 << 26  # row chunks of full_attention_received
    return int(kept + n_nodes * per_node + received_chunk + parameter_bytes(heads, layers, d_model))


def _gb(x: float) -> str:
    return f"{x / GB:.1f} GB"


def check_sparse(n_nodes: int, n_edges: int, conditions: int, heads: int, layers: int, d_model: int,
                 budget_gb: float, hops: int = 1) -> int:
    need = sparse_bytes(n_nodes, n_edges, conditions, heads, layers, d_model)
    if need > budget_gb * GB:
        hint = ("use hops=1 or a lower hub_degree" if hops > 1 else
                "use fewer conditions, heads or layers, or a larger memory budget")
        raise InputError(f"graph-masked attention over {n_edges:,} edges x {conditions} conditions x {heads} heads "
                         f"x {layers} layers would need about {_gb(need)}, over the memory budget of "
                         f"{budget_gb:g} GB; {hint}")
    return need


def check_k_hop_bound(pair_bound: int, hops: int, hub_degree, budget_gb: float) -> None:
    need = pair_bound * STRUCTURE_BYTES_PER_PAIR
    if need > budget_gb * GB:
        raise InputError(f"{hops}-hop neighbourhoods (hubs above degree {hub_degree} pruned) could reach "
                         f"{pair_bound:,} node pairs ({_gb(need)} just to list them), over the memory budget of "
                         f"{budget_gb:g} GB; use hops=1 (the sparse 1-hop mode) or a lower hub_degree")


def check_full(n_nodes: int, weight_rows: int, conditions: int, heads: int, layers: int, d_model: int,
               budget_gb: float) -> int:
    from core.analysis import MAX_WEIGHT_VALUES

    kept = layers * conditions * heads * weight_rows * n_nodes
    if kept > MAX_WEIGHT_VALUES:
        raise InputError(f"full (unmasked) attention would keep {kept:,} weights ({weight_rows:,} rows x {n_nodes:,} "
                         f"nodes x {conditions} conditions x {heads} heads x {layers} layers), more than the analysis "
                         f"can take ({MAX_WEIGHT_VALUES:,}); use mode='sparse' (weights per edge) or ask for the "
                         "weights of a few nodes only (weight_rows)")
    need = full_bytes(n_nodes, weight_rows, conditions, heads, layers, d_model)
    if need > budget_gb * GB:
        raise InputError(f"full (unmasked) attention keeping the weights of {weight_rows:,} rows over {n_nodes:,} "
                         f"nodes would need about {_gb(need)}, over the memory budget of {budget_gb:g} GB; "
                         "use mode='sparse' (graph-masked attention, weights per edge) or ask for the weights "
                         "of a few nodes only (weight_rows)")
    return need
