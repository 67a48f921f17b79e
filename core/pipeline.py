"""The whole computation, one function: model -> graph -> FBA per condition -> attention -> analysis.

Used by the headless CLI and by the GUI worker alike. Long stages take plain hooks:
``progress(fraction, message)`` with fraction in [0, 1] over the whole run, and ``should_stop()``,
checked often; when it returns True the run raises :class:`core.errors.Cancelled`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

from core import cache
from core.attention.result import AttentionConfig, AttentionResult
from core.conditions import (DEFAULT_PRESETS, Condition, ConditionResult, medium_notes, resolve_conditions,
                             resolve_presets, structure_only_result, unsolvable_reason)
from core.errors import InputError, check_stop
from core.graph import MetabolicGraph
from core.models import LoadedModel

Progress = Callable[[float, str], None]
ShouldStop = Callable[[], bool]

# Share of the whole run given to each stage, for one progress bar.
STAGES = (("load", 0.15), ("graph", 0.05), ("fba", 0.15), ("attention", 0.35), ("analysis", 0.30))


@dataclass(frozen=True)
class RunSettings:
    """Everything a run needs; the GUI and CLI both fill one of these."""

    model: str  # a path or a bundled model name
    conditions: tuple[str, ...] = DEFAULT_PRESETS  # presets and/or files
    # True: presets the model cannot take (no exchange for the carbon source) are left out with a
    # note instead of failing the run; the CLI sets it when the user names no conditions.
    only_available_presets: bool = False
    carbon_normalised: bool = False
    # Parsimonious FBA by default: one degenerate FBA solution's loops (e.g. an Fe2+/Fe3+ exchange
    # cycle) never reach the user; growth is the same.
    pfba: bool = True
    filter_currency: bool = True
    currency_ids: tuple[str, ...] | None = None  # None: resources/currency_metabolites.txt
    attention: AttentionConfig = field(default_factory=AttentionConfig)
    top_k: int = 20
    use_cache: bool = True
    # "auto": the shipped trained weights for this model's graph when there are any (else untrained);
    # "none": the untrained, structure-only read-out; otherwise a weights file (core.training.weights).
    weights: str = "auto"

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "conditions": list(self.conditions),
            "carbon_normalised": self.carbon_normalised,
            "pfba": self.pfba,
            "filter_currency": self.filter_currency,
            "currency_ids": list(self.currency_ids) if self.currency_ids is not None else None,
            "attention": self.attention.to_dict(),
            "top_k": self.top_k,
            "weights": self.weights,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "RunSettings":
        """Inverse of :meth:`to_dict` (projects, reports); keys left out take their defaults."""
        return cls(
            model=str(data["model"]),
            conditions=tuple(data.get("conditions", ())),
            carbon_normalised=bool(data.get("carbon_normalised", False)),
            pfba=bool(data.get("pfba", False)),  # files from before pFBA became the default used FBA
            filter_currency=bool(data.get("filter_currency", True)),
            currency_ids=tuple(data["currency_ids"]) if data.get("currency_ids") is not None else None,
            attention=AttentionConfig.from_dict(data.get("attention", {})),
            top_k=int(data.get("top_k", 20)),
            weights=str(data.get("weights", "none")),  # files from before trained weights ran untrained
        )


@dataclass(frozen=True, eq=False)
class RunResult:
    settings: RunSettings
    loaded: LoadedModel
    graph: MetabolicGraph  # the graph attention ran on (currency filtered if asked)
    full_graph_counts: dict
    conditions: tuple[ConditionResult, ...]
    attention: AttentionResult | None
    analysis: object | None  # core.analysis.AnalysisReport
    timings: dict[str, float]
    notes: tuple[str, ...] = ()

    @property
    def usable_conditions(self) -> tuple[ConditionResult, ...]:
        return tuple(c for c in self.conditions if c.grows or c.structure_only)

    @property
    def structure_only(self) -> bool:
        """True when the model could not be solved (no exchanges or no objective) and attention ran on
        the graph's structure alone, without FBA features."""
        return any(c.structure_only for c in self.conditions)


class _StageProgress:
    def __init__(self, progress: Progress | None):
        self.progress = progress
        self.start = 0.0
        self.width = 0.0

    def enter(self, stage: str, message: str) -> None:
        offset = 0.0
        for name, width in STAGES:
            if name == stage:
                self.start, self.width = offset, width
                break
            offset += width
        self(0.0, message)

    def __call__(self, fraction: float, message: str) -> None:
        if self.progress is not None:
            self.progress(min(1.0, self.start + self.width * max(0.0, min(1.0, fraction))), message)


def prepare(settings: RunSettings, progress: Progress | None = None, should_stop: ShouldStop | None = None,
            conditions: Sequence[Condition] | None = None):
    """Load the model, build the graph and solve FBA: the part every run shares.

    Returns ``(loaded, graph, full_counts, condition_results, timings, notes)``; ``notes`` says which
    presets were left out (only with ``settings.only_available_presets``).
    """
    stage = _StageProgress(progress)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    stage.enter("load", f"Loading {settings.model}")
    loaded = cache.load_model(settings.model, use_cache=settings.use_cache)
    timings["load"] = time.perf_counter() - t0
    check_stop(should_stop)

    t0 = time.perf_counter()
    stage.enter("graph", "Building the metabolic graph")
    full, graph = cache.graphs(loaded, settings.filter_currency, settings.currency_ids)
    timings["graph"] = time.perf_counter() - t0
    check_stop(should_stop)

    t0 = time.perf_counter()
    stage.enter("fba", "Solving FBA")
    notes: list[str] = []
    problem = unsolvable_reason(loaded.model)
    if problem:  # said at once, then the run goes on with the structure alone
        stage(0.0, problem)
        notes.append(problem)
        timings["fba"] = time.perf_counter() - t0
        return loaded, graph, full.counts(), (structure_only_result(loaded.model, problem),), timings, notes
    if conditions is not None:
        conds = list(conditions)
    elif settings.only_available_presets:
        conds, notes = _available_presets(loaded, settings)
    else:
        conds = resolve_conditions(loaded.model, settings.conditions, settings.carbon_normalised)
    results = cache.solve_conditions(loaded, conds, settings.pfba, stage, should_stop, settings.use_cache)
    notes += medium_notes(results)
    timings["fba"] = time.perf_counter() - t0
    return loaded, graph, full.counts(), tuple(results), timings, notes


def _available_presets(loaded: LoadedModel, settings: RunSettings) -> tuple[list[Condition], list[str]]:
    found = resolve_presets(loaded.model, settings.carbon_normalised, settings.conditions)
    conds = [c for c in found.values() if isinstance(c, Condition)]
    reasons = {name: why for name, why in found.items() if isinstance(why, str)}
    if not conds:
        raise InputError(f"{loaded.model.id or 'the model'} can take none of the presets "
                         f"{', '.join(settings.conditions)}: " + "; ".join(reasons.values()))
    return conds, [f"Preset '{name}' left out: {why.removeprefix(f'preset {name}: ')}." for name, why in reasons.items()]


def run_pipeline(settings: RunSettings, progress: Progress | None = None, should_stop: ShouldStop | None = None,
                 conditions: Sequence[Condition] | None = None, with_analysis: bool = True,
                 attention_ready: Callable[[RunResult], None] | None = None) -> RunResult:
    """Run everything; raises InputError for bad input and Cancelled when stopped.

    ``attention_ready(partial)``, if given, is called once attention is done with the run as it stands
    then (``analysis`` None), before the analysis starts: the command line starts writing the files
    that need no analysis meanwhile (:class:`core.export_workers.EarlyOutputs`)."""
    from core.attention import run_attention

    prepared = prepare(settings, progress, should_stop, conditions)
    results = prepared[3]
    usable = [r for r in results if r.grows or r.structure_only]
    if not usable:
        raise InputError("no condition supports growth, so there is nothing to compare: "
                         + "; ".join(f"{r.name}: {r.status_text()}" for r in results))
    check_stop(should_stop)

    stage = _StageProgress(progress)
    t0 = time.perf_counter()
    stage.enter("attention", "Running attention")
    trained = load_weights_for(settings, prepared[1])
    if trained is None:
        attention = run_attention(prepared[1], usable, settings.attention, progress=stage, should_stop=should_stop)
        prepared[5].append("Attention is untrained (structure only): no trained weights for this model's graph, "
                           "so importance reflects the network's structure and fluxes, not a learned prediction.")
    else:
        from core.training.inference import trained_attention

        attention = trained_attention(prepared[1], usable, *trained)
        prepared[5].append(trained_note(trained[1]))
    prepared[4]["attention"] = time.perf_counter() - t0
    check_stop(should_stop)
    return _finish(settings, prepared, tuple(usable), attention, progress, should_stop, with_analysis,
                   attention_ready=attention_ready)


def load_weights_for(settings: RunSettings, graph: MetabolicGraph):
    """``(model, card)`` of the trained weights ``settings.weights`` names for ``graph``, or None for the
    untrained read-out; InputError for a file that is not weights or was trained on another graph."""
    choice = (settings.weights or "none").strip()
    if choice.lower() == "none":
        return None
    if choice.lower() == "auto" and settings.attention.mode == "full":
        return None  # every-node-to-every-node attention is the structure-only read-out's; trained weights are sparse
    from core.training.weights import load_predictor, shipped_weights

    path = shipped_weights(graph.node_ids) if choice.lower() == "auto" else choice
    return None if path is None else load_predictor(path, graph.node_ids)


def trained_note(card: dict) -> str:
    """One line saying which trained weights ran and how well they predict held-out media."""
    held = card.get("metrics", {}).get("held_out", {})
    r2 = held.get("growth_r2")
    flux = held.get("flux_r2")
    data = card.get("data", {})
    return (f"Attention from weights trained on {data.get('media', '?')} simulated media of "
            f"{card.get('model_id', 'this model')}: held-out growth R² "
            f"{'n/a' if r2 is None else f'{r2:.3f}'}, flux R² {'n/a' if flux is None else f'{flux:.3f}'}.")


def resume_pipeline(settings: RunSettings, attention: AttentionResult, progress: Progress | None = None,
                    should_stop: ShouldStop | None = None, conditions: Sequence[Condition] | None = None,
                    with_analysis: bool = True) -> RunResult:
    """A run rebuilt around saved ``attention`` (e.g. from a project file) without running attention again.

    Re-runs the cheap stages (load, graph, FBA), checks that ``attention`` belongs to that graph and
    that its conditions still grow, then analyses it as :func:`run_pipeline` does. Raises InputError
    when the attention does not fit (the model file changed, a condition no longer grows).
    """
    prepared = prepare(settings, progress, should_stop, conditions)
    graph, results = prepared[1], prepared[3]
    if tuple(attention.node_ids) != tuple(graph.node_ids):
        raise InputError("the saved attention does not match the model's graph (was the model file changed?)")
    by_name = {r.name: r for r in results}
    missing = [n for n in attention.condition_names
               if n not in by_name or not (by_name[n].grows or by_name[n].structure_only)]
    if missing:
        raise InputError(f"the saved attention has conditions that no longer grow: {', '.join(missing)}")
    check_stop(should_stop)
    usable = tuple(by_name[n] for n in attention.condition_names)
    trained = load_weights_for(settings, graph)
    if trained is not None:
        # The saved arrays do not carry the predictions; one forward pass of the same weights gives both.
        from core.training.inference import trained_attention

        attention = trained_attention(graph, usable, *trained)
        return _finish(settings, prepared, usable, attention, progress, should_stop, with_analysis,
                       (trained_note(trained[1]), "Trained attention recomputed from its weights for the project."))
    return _finish(settings, prepared, usable, attention, progress, should_stop, with_analysis,
                   ("Attention restored from the project file.",))


def _finish(settings: RunSettings, prepared, usable: tuple[ConditionResult, ...], attention: AttentionResult,
            progress: Progress | None, should_stop: ShouldStop | None, with_analysis: bool,
            extra_notes: tuple[str, ...] = (), attention_ready: Callable[[RunResult], None] | None = None) -> RunResult:
    """The end both runs share: notes for conditions left out, the analysis, the RunResult."""
    loaded, graph, full_counts, results, timings, notes = prepared
    if settings.only_available_presets:  # record what actually ran
        settings = replace(settings, conditions=tuple(r.name for r in results), only_available_presets=False)
    notes = list(notes) + [f"Condition '{r.name}' left out of attention: {r.status_text()}."
                           for r in results if not (r.grows or r.structure_only)]
    notes = tuple(notes) + tuple(extra_notes)
    if attention_ready is not None:
        attention_ready(RunResult(settings, loaded, graph, full_counts, results, attention, None, timings, notes))
    analysis = None
    if with_analysis:
        from core.analysis import analyse

        stage = _StageProgress(progress)
        t0 = time.perf_counter()
        stage.enter("analysis", "Analysing attention")
        analysis = analyse(graph, usable, attention, top_k=settings.top_k, progress=stage, should_stop=should_stop)
        timings["analysis"] = time.perf_counter() - t0
    if progress:
        progress(1.0, "Done")
    return RunResult(settings, loaded, graph, full_counts, results, attention, analysis, timings, notes)


def with_attention_config(settings: RunSettings, **changes) -> RunSettings:
    return replace(settings, attention=replace(settings.attention, **changes))
