"""Jobs the window runs in its compute process (see :class:`app.worker.ComputeProcess`).

Qt-free module-level functions, so the child process can import them by name. Each takes the core's
``progress`` / ``should_stop`` hooks and returns plain result objects. The cobra model is left out
of what crosses the process boundary (unpickling a genome-scale model would hold the window's
interpreter lock for ~0.4 s); the window attaches its own copy of the same file (same SHA-256)
with :func:`attach_model`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from core.errors import InputError


def preload() -> None:
    """Import the heavy libraries once, in the child, before the first job arrives."""
    import torch

    # With the GUI busy on the other core, two torch threads were not faster than one (PERFORMANCE.md).
    torch.set_num_threads(1)
    import cobra  # noqa: F401

    import core.analysis
    import core.attention  # noqa: F401
    import core.pipeline  # noqa: F401

    core.analysis.warm_up()


def strip_model(result):
    """The RunResult without its cobra model (``loaded.model`` set to None)."""
    return replace(result, loaded=replace(result.loaded, model=None))


def attach_model(result, loaded):
    """Give a stripped RunResult the window's own LoadedModel of the same file, or load it again."""
    if loaded is not None and loaded.sha256 == result.loaded.sha256:
        return replace(result, loaded=loaded)
    from core.models import load_model

    return replace(result, loaded=load_model(result.settings.model, use_cache=result.settings.use_cache))


def cache_model(source: str, progress=None, should_stop=None) -> None:
    """Parse the model file ``source`` and write it to the model cache (:func:`core.models.load_model`).

    Parsing SBML holds the interpreter lock for over a second on a genome-scale file; done here, it
    leaves the window's own load a cache read.
    """
    from core.models import load_model

    load_model(source)


def run_job(settings, conditions: Sequence | None = None, progress=None, should_stop=None):
    """The whole pipeline (:func:`core.pipeline.run_pipeline`), model stripped from the result."""
    from core.pipeline import run_pipeline

    return strip_model(run_pipeline(settings, progress, should_stop, conditions=conditions))


def restore_job(settings, conditions: Sequence, attention, progress=None, should_stop=None):
    """Rebuild a run from a project file without re-running attention.

    Re-runs the cheap stages (load, graph, FBA), checks the saved ``attention`` (an AttentionResult)
    belongs to that graph, and re-runs the analysis.
    """
    import time

    from core.analysis import analyse
    from core.pipeline import RunResult, prepare

    loaded, graph, counts, results, timings, notes = prepare(settings, progress, should_stop, conditions)
    if tuple(attention.node_ids) != tuple(graph.node_ids):
        raise InputError("the saved attention does not match the model's graph (was the model file changed?)")
    by_name = {r.name: r for r in results}
    missing = [n for n in attention.condition_names if n not in by_name or not by_name[n].grows]
    if missing:
        raise InputError(f"the saved attention has conditions that no longer grow: {', '.join(missing)}")
    usable = tuple(by_name[n] for n in attention.condition_names)
    notes = tuple(notes) + tuple(f"Condition '{r.name}' left out of attention: {r.status_text()}."
                                 for r in results if not r.grows)
    if progress:
        progress(0.7, "Analysing attention")
    t0 = time.perf_counter()
    analysis = analyse(graph, usable, attention, top_k=settings.top_k, should_stop=should_stop)
    timings["analysis"] = time.perf_counter() - t0
    if progress:
        progress(1.0, "Done")
    result = RunResult(settings, loaded, graph, counts, results, attention, analysis, timings,
                       notes + ("Attention restored from the project file.",))
    return strip_model(result)
