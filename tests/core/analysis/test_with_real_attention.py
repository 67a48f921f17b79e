"""The analysis on attention from the real model (core.attention.run_attention) on textbook."""

from __future__ import annotations

import json

import numpy as np
import pytest


def _run_attention():
    try:
        from core.attention import run_attention
    except ImportError:
        return None
    return run_attention


@pytest.mark.skipif(_run_attention() is None, reason="core.attention.run_attention is not in this tree yet")
def test_analysis_of_real_attention_on_textbook(textbook_case):
    import torch

    from core.analysis import analyse, most_similar
    from core.attention.result import AttentionConfig
    from core.summary import summary_markdown

    torch.set_num_threads(1)
    graph, conds, _ = textbook_case
    attention = _run_attention()(graph, list(conds), AttentionConfig(layers=2, heads=4, seed=0))
    report = analyse(graph, conds, attention, top_k=10)
    assert report.entropy.entropy.shape == (2, len(conds), 4, graph.n_nodes)
    finite = report.entropy.entropy[np.isfinite(report.entropy.entropy)]
    assert finite.min() >= 0 and finite.max() <= 1
    np.testing.assert_allclose(report.pathways.importance.sum(axis=1), 1.0, rtol=1e-4)
    json.loads(json.dumps(report.to_dict(), allow_nan=False))
    top = int(np.argmax(report.importance[0]))
    assert top not in most_similar(report, top, k=5).indices
    assert graph.node_names[top] in summary_markdown(graph, conds, attention, report, "textbook")
