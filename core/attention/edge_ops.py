"""Former single home of :mod:`core.attention.edge_structure` (numpy graph structure) and
:mod:`core.attention.edge_kernels` (torch attention kernels). Only re-exports, for imports written
against it; new code imports from those two. Settings such as ``CSR_MIN_EDGES`` live in
:mod:`core.attention.edge_kernels`: set them there."""

from core.attention.edge_kernels import (attention_received, dense_masked_attention, edge_aggregate,  # noqa: F401
                                         edge_attention, edge_scores, edge_softmax, full_attention_received,
                                         full_attention_rows, sorted_rows)
from core.attention.edge_structure import (add_self_loops, adjacency, k_hop_edges, k_hop_pair_bound,  # noqa: F401
                                           sort_edges, symmetrise)
