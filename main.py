"""Metabolic Attention Studio: ``python main.py`` opens the window; ``python main.py run ...`` is headless.

Run ``python main.py --help`` for the commands and ``python main.py run --help`` for the options.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from core.limits import ATTENTION_RANGES, MAX_MEMORY_BUDGET_GB, TOP_K_RANGE  # standard library only
from core.training import RECOMMENDED_WIRING  # standard library only

EXIT_OK, EXIT_INPUT, EXIT_INTERRUPTED = 0, 2, 130
# When a headless run has written and closed its files, the interpreter's teardown (freeing a genome-scale model's
# Python objects one by one) took another 1.3 s of the 11-12 s iJO1366 run (issue 17); the process then ends
# without it (logging and the standard streams flushed first).
_SKIP_TEARDOWN = False
# Accepted ranges of the numeric options (core.limits): beyond them a run is a typo or an attack.
RANGES = {**ATTENTION_RANGES, "top_k": TOP_K_RANGE}


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad option in one line (``metattn: error: ...``, exit 2), not usage + error."""

    def error(self, message):
        from core.cli_progress import terminal_safe

        print(f"metattn: error: {terminal_safe(message)} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(EXIT_INPUT)


def _folder(text: str) -> Path:
    """An output folder option: an empty name would silently mean the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty folder name is not accepted; name a folder, e.g. --out results")
    return Path(text)


def _add_run_options(p: argparse.ArgumentParser, gui: bool = False) -> None:
    """The model, conditions and attention options of ``run``; ``gui=True`` gives the subset the window
    takes, with no defaults, so that an option not given leaves the window's remembered setting alone."""
    from core.attention.result import AttentionConfig

    d = AttentionConfig()

    def default(value):
        return (None, "as in the window last time") if gui else (value, "%(default)s")

    g = p.add_argument_group("model and conditions")
    g.add_argument("--model", "-m", default=None if gui else "textbook",
                   help="model file (SBML .xml/.sbml/.xml.gz, COBRA .json, .mat, .yml) or a bundled model: "
                        "textbook (alias e_coli_core), iJO1366, salmonella"
                        + ("" if gui else " (default: %(default)s)"))
    g.add_argument("--conditions", "-c", default=None,
                   help="comma-separated presets and/or conditions files (.json/.csv); presets: glucose, acetate, "
                        "lactose, glycerol, succinate, glucose_anaerobic (default: glucose, acetate and lactose, "
                        "those the model has an exchange for)")
    g.add_argument("--carbon-normalised", action="store_true", default=None if gui else False,
                   help="give every carbon source the same carbon uptake (C-mol) as 10 mmol/gDW/h glucose")
    g.add_argument("--no-currency-filter", action="store_true", default=None if gui else False,
                   help="keep currency metabolites (h, h2o, atp, nad, ...) in the graph; by default they are removed "
                        "(list: resources/currency_metabolites.txt)")
    if not gui:
        g.add_argument("--pfba", action="store_true", help="parsimonious FBA fluxes (the default; kept for scripts)")
        g.add_argument("--fba", action="store_true",
                       help="plain FBA fluxes instead of parsimonious FBA (one of many optimal flux solutions)")
        g.add_argument("--weights", default="auto", metavar="FILE",
                       help="trained attention weights (.safetensors from 'metattn train'); 'auto' (default): the "
                            "weights shipped for this model if any; 'none': untrained, structure-only attention")
        g.add_argument("--currency-file", type=Path,
                       help="your own list of currency metabolite base ids, one per line")
    a = p.add_argument_group("attention")
    for flag, value, text in (("--heads", d.heads, "attention heads"), ("--d-model", d.d_model, "feature width per node"),
                              ("--layers", d.layers, "attention layers"),
                              ("--hops", d.hops, "neighbourhood each node attends to, in graph hops"),
                              ("--seed", d.seed, "random seed; same inputs and seed give the same numbers")):
        value, shown = default(value)
        a.add_argument(flag, type=int, default=value, help=f"{text} (default: {shown})")
    value, shown = default(d.mode)
    a.add_argument("--mode", choices=("sparse", "full"), default=value,
                   help="sparse: attention along the graph (scales to genome size); full: every node to every node "
                        f"(default: {shown})")
    value, shown = default(d.memory_budget_gb)
    a.add_argument("--memory-budget", type=float, default=value, metavar="GB",
                   help=f"refuse up front a run whose attention would need more memory than this, in GB "
                        f"(default: {shown})")
    if not gui:
        a.add_argument("--no-pathway-bias", action="store_true", help="do not favour attention within a pathway")
        a.add_argument("--no-flux-bias", action="store_true",
                       help="do not lean attention towards neighbours that carry flux in each condition (without "
                            "it, conditions differ only through the node features and barely change the attention)")
        a.add_argument("--top-k", type=int, default=20, help="rows in top-k tables (default: %(default)s)")
        a.add_argument("--threads", type=int, default=None,
                       help="CPU threads for torch, at most this machine's CPUs (default: torch's choice)")


def _settings_from_args(args):
    from core.attention.result import AttentionConfig
    from core.errors import InputError
    from core.pipeline import RunSettings

    import math

    for name, (low, high) in RANGES.items():
        value = getattr(args, name, None)
        if value is not None and not low <= value <= high:
            bound = f"at least {low}" if value < low else f"at most {high:,}"
            raise InputError(f"--{name.replace('_', '-')} must be {bound} (got {value})")
    if not (math.isfinite(args.memory_budget) and 0 < args.memory_budget <= MAX_MEMORY_BUDGET_GB):
        raise InputError(f"--memory-budget must be a positive number of GB, at most {MAX_MEMORY_BUDGET_GB:g} "
                         f"(got {args.memory_budget})")
    if args.d_model % args.heads:
        raise InputError(f"--d-model ({args.d_model}) must be a multiple of --heads ({args.heads})")
    currency = None
    if getattr(args, "currency_file", None):
        from core import limits

        lines = limits.read_text(args.currency_file, limits.CURRENCY_BYTES, "text").splitlines()
        for line in lines:
            limits.check_text(line, "a line", args.currency_file)
        currency = tuple(x.strip() for x in lines if x.strip() and not x.startswith("#"))
    from core.conditions import DEFAULT_PRESETS

    named = args.conditions is not None
    return RunSettings(
        model=args.model,
        conditions=tuple(s.strip() for s in args.conditions.split(",") if s.strip()) if named else DEFAULT_PRESETS,
        only_available_presets=not named,
        carbon_normalised=args.carbon_normalised,
        pfba=not getattr(args, "fba", False),
        filter_currency=not args.no_currency_filter,
        currency_ids=currency,
        attention=AttentionConfig(d_model=args.d_model, heads=args.heads, layers=args.layers, hops=args.hops,
                                  seed=args.seed, mode=args.mode, memory_budget_gb=args.memory_budget,
                                  pathway_bias=not args.no_pathway_bias,
                                  flux_bias=not getattr(args, "no_flux_bias", False)),
        top_k=args.top_k,
        weights=getattr(args, "weights", "auto"),
    )


def build_parser() -> argparse.ArgumentParser:
    from core.export import ALL_FORMATS

    parser = _Parser(
        prog="metattn",
        description="Metabolic Attention Studio: which parts of a metabolic network matter, and how that "
                    "changes between growth conditions. Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version="metattn 0.1.0")
    parser.add_argument("--self-test", action="store_true",
                        help="check this installation end to end (bundled model, FBA, attention, analysis, every "
                             "export, the window offscreen) and exit 0 only if all of it works")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="headless run: FBA, attention, analysis and exports into a folder",
                         description="Load a model, solve FBA for each condition, run attention over the metabolic "
                                     "graph, analyse it and write report.json, summary.md, figures and data to --out.")
    _add_run_options(run)
    run.add_argument("--out", "-o", type=_folder, required=True, help="output folder (created if missing)")
    run.add_argument("--formats", default=",".join(ALL_FORMATS),
                     help=f"comma-separated subset of {','.join(ALL_FORMATS)} (default: all)")
    run.add_argument("--force", action="store_true", help="replace files that already exist in --out")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    run.add_argument("--max-input-mb", type=float, default=None, metavar="MB",
                     help="largest model, conditions or currency file to read, on disk and after decompression "
                          "(default: 256 for models; see core/limits.py and its METATTN_MAX_* variables)")

    demo = sub.add_parser("demo", help="headless demo: iJO1366 on glucose, acetate and lactose into ./metattn-demo")
    demo.add_argument("--out", "-o", type=_folder, default=Path("metattn-demo"),
                      help="output folder (default: %(default)s)")
    demo.add_argument("--force", action="store_true", help="replace files of an earlier demo in --out")
    demo.add_argument("--model", default="iJO1366", help="model (default: %(default)s)")

    gui = sub.add_parser("gui", help="open the window (optionally load, run and save a screenshot)")
    _add_run_options(gui, gui=True)
    gui.add_argument("--run", action="store_true", help="start the run as soon as the window is open")
    gui.add_argument("--screenshot", type=Path, help="after the results show, save the whole window to this PNG and exit")
    gui.add_argument("--screenshot-view", choices=("window", "heatmap-pathways", "shifts", "shifts-volcano",
                                                   "network-top", "network-around", "network-pathway"), default=None,
                     help="with --screenshot: show this view and save only its pane (default: the whole window)")
    gui.add_argument("--select", default=None, help="select this node (id or name) when the results show")

    sub.add_parser("presets", help="list the growth-condition presets")

    train = sub.add_parser("train", help="train the attention model on media simulated from a model; write weights",
                           description="Sample random media around the model's minimal medium, solve FBA and "
                                       "parsimonious FBA for each, train the multi-task attention model (growth, grows "
                                       "or not, fluxes), score it on held-out media beside baselines and write the "
                                       "weights with a card (.safetensors) for 'metattn run --weights'.")
    train.add_argument("--model", "-m", required=True, help="model file or bundled model name")
    train.add_argument("--media", type=int, default=2000, help="random media to simulate (default: %(default)s)")
    train.add_argument("--out", "-o", type=Path, required=True, help="weights file to write (.safetensors)")
    train.add_argument("--seed", type=int, default=0, help="seed for media, split and training (default: 0)")
    train.add_argument("--epochs", type=int, default=60, help="at most this many epochs (default: %(default)s)")
    train.add_argument("--max-minutes", type=float, default=15.0,
                       help="stop training after this long, keeping the best weights (default: %(default)s)")
    train.add_argument("--processes", type=int, default=2, help="processes solving FBA (default: %(default)s)")
    train.add_argument("--data", type=Path, help="reuse training data saved by --save-data instead of solving again")
    train.add_argument("--save-data", type=Path, help="also save the simulated training data (.npz)")
    train.add_argument("--compare-uniform", action="store_true",
                       help="also train the same graph model without attention (uniform neighbour weights) as a baseline")
    train.add_argument("--leave-out", default="",
                       help="comma-separated carbon exchanges to hold out entirely, each in its own extra training run")
    train.add_argument("--no-deletions", action="store_true",
                       help="skip the single-reaction deletion check of faithfulness (minutes on genome-scale models)")
    train.add_argument("--init", type=Path,
                       help="fine-tune from these weights (trained on another model sharing its ids, e.g. iJO1366 -> "
                            "salmonella) instead of starting from random weights")
    train.add_argument("--compare-scratch", action="store_true",
                       help="with --init: also train from scratch on the same data and budget, and report both")
    train.add_argument("--bottleneck", action="store_true",
                       help="the heads read the medium only through the read-out attention, so the attention carries the "
                            "prediction; trains on textbook-sized data (3,000 media), not on 400 media or iJO1366 (README)")
    # Defaults: the shipped weights' wiring, whose read-out attention carries the prediction (README); --no-guided
    # trains the bare wiring, whose attention explains nothing on iJO1366 (core/training/model.py).
    train.add_argument("--guided", action=argparse.BooleanOptionalAction, default=None,
                       help="fluxes are predicted from the medium alone and the read-out attention starts from each "
                            "node's predicted flux; growth is read only through that attention (default: on, "
                            "unless --bottleneck; README)")
    train.add_argument("--medium-values", action=argparse.BooleanOptionalAction, default=None,
                       help="with --guided: each open exchange's medium token reaches the growth head only through "
                            "the read-out's weight on that exchange (default: on with --guided; README)")
    train.add_argument("--weight-decay", type=float, default=RECOMMENDED_WIRING["weight_decay"],
                       help="AdamW weight decay (default: %(default)s)")
    train.add_argument("--learned-bound", type=float, default=RECOMMENDED_WIRING["learned_bound"],
                       help="with --guided: the learned part of a read-out score stays within ±this; 0 leaves the "
                            "read-out to predicted activity alone (default: %(default)s)")
    train.add_argument("--flux-warmup", type=int, default=0,
                       help="with --guided: first train the flux path alone for this many epochs (cheap steps), "
                            "then everything for --epochs (default: %(default)s; the iJO1366 weights used 150)")
    train.add_argument("--hidden", type=int, default=128,
                       help="width of the medium tokens and the prediction heads (default: %(default)s)")
    train.add_argument("--batch", type=int, default=64, help="media per training step (default: %(default)s)")
    train.add_argument("--d-model", type=int, default=32, help="feature width (default: %(default)s)")
    train.add_argument("--heads", type=int, default=4, help="attention heads (default: %(default)s)")
    train.add_argument("--layers", type=int, default=2, help="attention layers (default: %(default)s)")
    train.add_argument("--force", action="store_true", help="replace --out if it exists")
    train.add_argument("--quiet", "-q", action="store_true", help="no progress bar")

    batch = sub.add_parser("batch", help="many models x many media on Dask: growth (and fluxes) per medium into a folder",
                           description="Solve FBA for every model and medium a SPEC lists, on a local Dask cluster or "
                                       "an existing one, streaming results to --out chunk by chunk (Parquet). Rerun the "
                                       "same command to finish an interrupted run. SPEC: CSV with columns model,media "
                                       "(media: a preset, a conditions .csv/.json, or random:K[:SEED]) or JSON; see "
                                       "README, 'Batch runs'.")
    batch.add_argument("spec", type=Path, metavar="SPEC", help="CSV or JSON file listing models and media")
    batch.add_argument("--out", "-o", type=Path, required=True, help="results folder (created if missing)")
    batch.add_argument("--scheduler", metavar="ADDRESS",
                       help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a local cluster)")
    batch.add_argument("--workers", type=int, default=None,
                       help="local worker processes, one thread each (default: one per core)")
    batch.add_argument("--pfba", action="store_true", default=None, help="fluxes from parsimonious FBA")
    batch.add_argument("--fluxes", default=None,
                       help="'all' or comma-separated reaction ids whose fluxes to store (default: growth only)")
    batch.add_argument("--chunk-size", type=int, default=None, help="media per task (default: 200)")
    batch.add_argument("--time-limit", type=float, default=None, metavar="S",
                       help="GLPK time limit per LP in seconds (default: 2)")
    batch.add_argument("--weights", metavar="FILE",
                       help="trained weights (or 'auto': the shipped ones for each model): also store each medium's "
                            "predicted growth and attention importances (default: the 20 most important nodes)")
    batch.add_argument("--importance", metavar="IDS",
                       help="with --weights: 'all' or comma-separated node ids whose importance to store")
    batch.add_argument("--top-nodes", type=int, default=None, metavar="N",
                       help="with --weights: store the N most important nodes of each medium")
    batch.add_argument("--pathway-importance", action="store_true", default=None,
                       help="with --weights: store importance summed per pathway")
    batch.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    return parser


def _cmd_batch(args) -> int:
    from core.batch.command import batch_command

    fluxes = args.fluxes
    if fluxes is not None and fluxes.strip().lower() != "all":
        fluxes = [x.strip() for x in fluxes.split(",") if x.strip()]
    overrides = {"pfba": args.pfba, "fluxes": "all" if fluxes is not None and not isinstance(fluxes, list) else fluxes,
                 "chunk_size": args.chunk_size, "time_limit": args.time_limit, "weights": args.weights,
                 "top_nodes": args.top_nodes, "pathway_importance": args.pathway_importance,
                 "importance": None if args.importance is None else "all" if args.importance.strip().lower() == "all"
                 else [x.strip() for x in args.importance.split(",") if x.strip()]}
    return batch_command(args.spec, args.out, args.scheduler, args.workers, overrides, quiet=args.quiet)


def _cmd_run(args) -> int:
    from core.cli_progress import StopOnInterrupt, TerminalProgress, terminal_safe
    from core.errors import Cancelled, InputError
    from core.export import ALL_FORMATS, check_output_folder, check_outputs_free, write_outputs
    from core.pipeline import run_pipeline

    formats = tuple(f.strip().lower() for f in args.formats.split(",") if f.strip())
    unknown = [f for f in formats if f not in ALL_FORMATS]
    if unknown or not formats:
        raise InputError(f"--formats: unknown format(s) {', '.join(unknown) or '(none given)'}; "
                         f"choose from {', '.join(ALL_FORMATS)}")
    if args.max_input_mb is not None:
        import math

        from core import limits

        if not (math.isfinite(args.max_input_mb) and 0 < args.max_input_mb < 1e7):
            raise InputError(f"--max-input-mb must be a positive number of MB (got {args.max_input_mb})")
        for limit in (limits.MODEL_BYTES, limits.CONDITIONS_BYTES, limits.CURRENCY_BYTES):
            os.environ[limit.env] = repr(args.max_input_mb)
    if args.threads is not None:
        cpus = os.cpu_count() or 1
        if args.threads < 1:
            raise InputError(f"--threads must be at least 1 (got {args.threads})")
        if args.threads > cpus:
            print(f"  note: --threads {args.threads} lowered to {cpus}, the CPUs of this machine", file=sys.stderr)
            args.threads = cpus
    settings = _settings_from_args(args)
    if args.conditions is not None:  # presets and conditions files checked before the model is parsed
        from core.conditions import check_conditions_spec

        check_conditions_spec(settings.conditions)
    check_output_folder(args.out)
    if not args.force:
        check_outputs_free(args.out, formats)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    from core.export_workers import EarlyOutputs

    bar = TerminalProgress(enabled=not args.quiet)
    with StopOnInterrupt() as stop:
        try:
            # The figures that need no analysis start in a forked worker while the analysis runs (issue 17).
            with EarlyOutputs(args.out, formats, force=args.force) as early:
                result = run_pipeline(settings, progress=lambda f, m: bar(f * 0.8, m), should_stop=stop,
                                      attention_ready=early.start)
                paths = write_outputs(result, args.out, formats, force=args.force, early=early,
                                      progress=lambda f, m: bar(0.8 + 0.2 * f, m), should_stop=stop)
        except Cancelled:
            bar.finish()
            print(f"metattn: stopped ({stop.signal_name}); the files of this run were removed, no partial files "
                  "were left", file=sys.stderr)
            return stop.exit_code
    bar.finish()
    for c in result.conditions:
        if c.structure_only:  # no growth rate was computed: a 0.0000 would read as "does not grow"
            print(f"  {terminal_safe(c.name):<20} no FBA ({c.status_text()})")
            continue
        measured = f", measured {c.condition.measured_growth:.3f}" if c.condition.measured_growth is not None else ""
        print(f"  {terminal_safe(c.name):<20} growth {c.growth_rate:.4f} 1/h ({c.status_text()}{measured})")
    for note in result.notes:
        print(f"  note: {terminal_safe(note)}")
    print(f"Wrote {len(paths)} files to {terminal_safe(args.out)}:")
    for p in paths:
        print(f"  {terminal_safe(p)}")
    global _SKIP_TEARDOWN
    _SKIP_TEARDOWN = True
    return EXIT_OK


def _cmd_train(args) -> int:
    from core.training.cli import train_cli

    return train_cli(args)


def _cmd_presets() -> int:
    from core.conditions import load_presets

    for name, spec in load_presets().items():
        carbon = ", ".join(f"{k} {v} mmol/gDW/h" for k, v in spec["carbon"].items())
        print(f"{name:<18} {spec['description']} ({carbon})")
    return EXIT_OK


def _cmd_gui(args) -> int:
    from app.launch import main as gui_main

    return gui_main(args)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from core.errors import InputError

    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.self_test:
            from app.selftest import self_test

            return self_test()
        if args.command == "run":
            return _cmd_run(args)
        if args.command == "demo":
            out = args.out
            demo_args = ["run", "--model", args.model, "--out", str(out)]
            if args.force:  # never implied: an existing folder may hold the user's own files
                demo_args.append("--force")
            return main(demo_args)
        if args.command == "presets":
            return _cmd_presets()
        if args.command == "batch":
            return _cmd_batch(args)
        if args.command == "train":
            return _cmd_train(args)
        if args.command == "gui":
            return _cmd_gui(args)
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY") and sys.platform.startswith("linux") \
                and os.environ.get("QT_QPA_PLATFORM") not in ("offscreen", "minimal", "xcb", "wayland"):
            print("metattn: no screen found (DISPLAY is not set). Use `python main.py demo` for the headless demo, "
                  "or `python main.py run --help`.", file=sys.stderr)
            return EXIT_INPUT
        return _cmd_gui(parser.parse_args(["gui"]))
    except InputError as exc:
        from core.cli_progress import terminal_safe

        print(f"metattn: error: {terminal_safe(exc)}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("metattn: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MemoryError:
        print("metattn: error: out of memory; try --mode sparse, fewer --hops or a smaller model", file=sys.stderr)
        return EXIT_INPUT


if __name__ == "__main__":
    import multiprocessing

    # In the packaged executable, a child the window starts (spawn) re-runs this program; this turns
    # it into that child instead of a second window.
    multiprocessing.freeze_support()
    code = main()
    if _SKIP_TEARDOWN:
        import logging

        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
