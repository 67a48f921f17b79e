"""The window's background jobs: what runs on its worker threads and in its compute process.

Every job is a plain module-level function taking the core's hooks (``progress(fraction, message)``,
``should_stop()``) and returning plain objects; :class:`app.worker.TaskRunner` adapts the hooks to
signals. This module imports no Qt, so the compute process (see :class:`app.worker.ComputeProcess`)
can import the ``*_in_child`` functions by name.

Worker-thread jobs (the window starts them):
    load_model_job   the model (parsed in the compute process when not yet cached) and its presets
    pipeline_job     :func:`core.pipeline.run_pipeline` in the compute process
    resume_job       :func:`core.pipeline.resume_pipeline` in the compute process (a project's attention)
    export_job       :func:`core.export.write_outputs`, everything or one pane's files (``only``)
    save_project_job :func:`app.project.save_project` (the autosave)

The cobra model is left out of what crosses the process boundary (unpickling a genome-scale model
would hold the window's interpreter lock for ~0.4 s); the window attaches its own copy of the same
file (same SHA-256) with :func:`attach_model`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Sequence

from core.errors import Cancelled

# File-name prefixes of the standard outputs that belong to each pane ("current pane" export).
PANE_OUTPUTS = {
    "heatmap": ("heatmap_", "pathway_heatmap_", "attention_heatmap.html"),
    "network": ("network_", "network.html"),
    "comparison": ("growth.png", "top_nodes.png", "shifts.png", "cross_condition.png", "conditions.html"),
    "tables": ("node_importance.csv", "pathway_scores.csv", "report.json", "weights_per_head.png",
               "entropy_per_head.png", "layers.png", "importance_vs_features_"),
}
OTHER_PANE_OUTPUTS = ("report.json", "summary.md")


# --------------------------------------------------------------------------- worker-thread jobs


def load_model_job(source: str, carbon_normalised: bool, progress=None, should_stop=None):
    """Load a model and resolve the presets for it: ``(LoadedModel, {preset: Condition or reason})``.

    A file not yet in the model cache is parsed in the compute process first: parsing SBML in the
    window's process froze it for 1.2 s on iJO1366, reading the cache for at most 77 ms.
    """
    from app.worker import compute_process
    from core.conditions import resolve_presets
    from core.models import is_cached, load_model

    if progress:
        progress(0.1, f"Opening {source}")
    if not is_cached(source):
        compute_process().call(cache_model, source, should_stop=should_stop)
    else:
        # The compute process reads the same cache meanwhile and keeps the model for the first Run.
        warm_compute_model(source)
    loaded = load_model(source)
    if should_stop and should_stop():
        raise Cancelled()
    return loaded, resolve_presets(loaded.model, carbon_normalised)


def warm_compute_model(source: str) -> None:
    """Have the compute process load ``source`` into its kept models (:func:`core.cache.keep_in_process`)
    on a thread of its own, so the first Run after opening does not load the model again. A Run pressed
    meanwhile waits for it (one call at a time) and then finds the model there; a failure is left for
    that Run to report."""
    import threading

    from app.worker import compute_process

    def warm() -> None:
        try:
            compute_process().call(cache_model, source)
        except Exception as exc:  # noqa: BLE001 - the Run reports it with its own message
            import logging

            logging.getLogger(__name__).info("compute process did not preload %s: %s", source, exc)

    threading.Thread(target=warm, name="metattn-warm-model", daemon=True).start()


def pipeline_job(settings, conditions, progress=None, should_stop=None):
    """Run the pipeline in the compute process; this thread only waits, relays and receives."""
    from app.worker import compute_process

    return compute_process().call(run_in_child, settings, conditions, progress=progress, should_stop=should_stop)


def resume_job(settings, conditions, attention, progress=None, should_stop=None):
    """Rebuild a run around a project's saved attention, in the compute process."""
    from app.worker import compute_process

    return compute_process().call(resume_in_child, settings, conditions, attention, progress=progress,
                                  should_stop=should_stop)


def pane_outputs(result, pane: str) -> tuple[str, ...]:
    """File names of the standard outputs that belong to one pane."""
    from core.export import plan_outputs

    prefixes = PANE_OUTPUTS.get(pane, OTHER_PANE_OUTPUTS)
    return tuple(p.name for p in plan_outputs(result) if p.name.startswith(prefixes))


def export_job(result, out_dir: str, names: Sequence[str] | None, force: bool, progress=None, should_stop=None):
    """Write all outputs (``names`` None) or the planned files whose names are in ``names``.

    Through :func:`core.export.write_outputs`, so a cancelled or failed export rolls back whatever
    it had written, for one pane as for everything.
    """
    from core.export import write_outputs

    return write_outputs(result, Path(out_dir), force=force, progress=progress, should_stop=should_stop,
                         only=None if names is None else tuple(names))


def save_project_job(path: str, settings, conditions, checked, attention, sha256: str, view: dict, result=None,
                     progress=None, should_stop=None) -> Path:
    from app.project import save_project

    return save_project(path, settings, conditions, checked, attention, sha256, view, result)


# --------------------------------------------------------------------------- compute-process jobs


def preload() -> None:
    """Import the heavy libraries once, in the child, before the first job arrives."""
    import torch

    # With the GUI busy on the other core, two torch threads were not faster than one (PERFORMANCE.md).
    torch.set_num_threads(1)
    import cobra  # noqa: F401

    import core.analysis
    import core.attention  # noqa: F401
    import core.pipeline  # noqa: F401
    from core.cache import keep_in_process

    # The model and its graph stay here between Runs (keyed on the file's SHA-256): Run, the project's
    # resume and opening a model (cache_model) share them.
    keep_in_process(True)

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
    from core.cache import load_model

    load_model(source)


def cache_counts_in_child(progress=None, should_stop=None) -> dict:
    """:func:`core.cache.counts` of the compute process (how often Runs reused its model)."""
    from core.cache import counts

    return counts()


def run_in_child(settings, conditions: Sequence | None = None, progress=None, should_stop=None):
    """The whole pipeline (:func:`core.pipeline.run_pipeline`), model stripped from the result."""
    from core.pipeline import run_pipeline

    return strip_model(run_pipeline(settings, progress, should_stop, conditions=conditions))


def resume_in_child(settings, conditions: Sequence, attention, progress=None, should_stop=None):
    """:func:`core.pipeline.resume_pipeline`, model stripped from the result."""
    from core.pipeline import resume_pipeline

    return strip_model(resume_pipeline(settings, attention, progress, should_stop, conditions=conditions))


# --------------------------------------------------------------------------- training (Run > Train model)


def preload_training() -> None:
    """Imports for a training process (:class:`app.train_dialog.TrainDialog` starts its own)."""
    import torch

    torch.set_num_threads(1)
    import cobra  # noqa: F401

    import core.training.command  # noqa: F401


def train_job(process, model: str, media: int, seed: int, max_minutes: float, out_path: str, finish_early,
              options: dict | None = None, on_epoch=None, progress=None, should_stop=None) -> dict:
    """Train in ``process`` (a ComputeProcess of its own: a training run takes minutes and must not hold
    up the window's runs); ``finish_early`` (a threading.Event) stops training keeping the best weights so
    far, as Ctrl-C does in ``main.py train``. ``on_epoch(history rows)`` is called on this thread."""

    def stop() -> bool:
        return finish_early.is_set() or bool(should_stop and should_stop())

    return process.call(train_in_child, model, media, seed, max_minutes, out_path, options or {},
                        progress=progress, should_stop=stop, on_data=on_epoch)


def train_in_child(model: str, media: int, seed: int, max_minutes: float, out_path: str, options: dict,
                   progress=None, should_stop=None) -> dict:
    """:func:`core.training.command.train_and_evaluate` and :func:`core.training.weights.save_predictor`
    to ``out_path`` (a temporary file: the window copies it where the user saves it); returns the card
    without its node list. ``options``: ``deletions`` (bool) and TrainConfig fields (epochs, d_model...)."""
    import logging

    from core.training.cli import replace_card_source
    from core.training.command import train_and_evaluate
    from core.training.train import TrainConfig
    from core.training.weights import card_summary, save_predictor

    options = dict(options)
    deletions = bool(options.pop("deletions", False))
    config = TrainConfig(**{**options, "seed": seed, "max_seconds": max_minutes * 60.0})
    send = getattr(progress, "data", None)
    model_out, card = train_and_evaluate(model, media, seed, config, processes=1, deletions=deletions,
                                         progress=progress, should_stop=should_stop,
                                         log=logging.getLogger("metattn.train").info, on_epoch=send)
    card = replace_card_source(card)
    save_predictor(out_path, model_out, card)
    return card_summary(card)
