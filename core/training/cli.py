"""The terminal side of ``main.py train``: checks, a progress bar, Ctrl-C keeping the best weights so far."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from core.errors import Cancelled, InputError
from core.training import LEARNED_BOUND

EXIT_OK = 0


def _wiring(args) -> None:
    """Fill the wiring options left unset: the recommended (shipped) wiring, unless --bottleneck or --no-guided
    asks for another, whose options then stay off unless given."""
    from core.training import RECOMMENDED_WIRING

    if getattr(args, "guided", None) is None:
        args.guided = RECOMMENDED_WIRING["guided"] and not getattr(args, "bottleneck", False)
    if getattr(args, "medium_values", None) is None:
        args.medium_values = args.guided and RECOMMENDED_WIRING["medium_values"]


def _check(args) -> None:
    _wiring(args)
    if getattr(args, "bottleneck", False) and args.guided:
        raise InputError("--bottleneck and --guided are two different wirings: give one of them")
    if not 1 <= args.media <= 1_000_000:
        raise InputError(f"--media must be between 1 and 1,000,000 (got {args.media})")
    if not 1 <= args.epochs <= 10_000:
        raise InputError(f"--epochs must be between 1 and 10,000 (got {args.epochs})")
    if not (math.isfinite(args.max_minutes) and args.max_minutes > 0):
        raise InputError(f"--max-minutes must be a positive number (got {args.max_minutes})")
    if not 8 <= getattr(args, "hidden", 128) <= 4096:
        raise InputError(f"--hidden must be between 8 and 4,096 (got {args.hidden})")
    if not 1 <= getattr(args, "batch", 64) <= 4096:
        raise InputError(f"--batch must be between 1 and 4,096 (got {args.batch})")
    if not (math.isfinite(getattr(args, "weight_decay", 0.0)) and 0 <= getattr(args, "weight_decay", 0.0) <= 1):
        raise InputError(f"--weight-decay must be between 0 and 1 (got {args.weight_decay})")
    bound = getattr(args, "learned_bound", LEARNED_BOUND)
    if not (math.isfinite(bound) and 0 <= bound <= 20):
        raise InputError(f"--learned-bound must be between 0 and 20 (got {args.learned_bound})")
    if not 0 <= getattr(args, "flux_warmup", 0) <= 10_000:
        raise InputError(f"--flux-warmup must be between 0 and 10,000 (got {args.flux_warmup})")
    if getattr(args, "flux_warmup", 0) and not getattr(args, "guided", False):
        raise InputError("--flux-warmup needs --guided (only there is the flux path trained by itself)")
    if getattr(args, "medium_values", False) and not getattr(args, "guided", False):
        raise InputError("--medium-values needs --guided (it changes how the guided read-out feeds the heads)")
    if not 1 <= args.processes <= 256:
        raise InputError(f"--processes must be between 1 and 256 (got {args.processes})")
    if not 0 <= args.seed < 2**32:
        raise InputError(f"--seed must be between 0 and 2**32 - 1 (got {args.seed})")
    for name in ("d_model", "heads", "layers"):
        if not 1 <= getattr(args, name) <= 1024:
            raise InputError(f"--{name.replace('_', '-')} must be between 1 and 1024 (got {getattr(args, name)})")
    if args.d_model % args.heads:
        raise InputError(f"--d-model ({args.d_model}) must be a multiple of --heads ({args.heads})")
    out = Path(args.out)
    if out.exists() and not args.force:
        raise InputError("exists already; not overwritten (use --force to replace it)", out)
    init = getattr(args, "init", None)
    if init is not None and not Path(init).is_file():
        raise InputError("no such weights file to fine-tune from", init)
    if out.suffix != ".safetensors":
        raise InputError("the weights file must end in .safetensors", out)


def train_cli(args) -> int:
    from core.cli_progress import StopOnInterrupt, TerminalProgress, terminal_safe
    from core.training.command import train_and_evaluate
    from core.training.train import TrainConfig
    from core.training.weights import save_predictor

    _check(args)
    config = TrainConfig(d_model=args.d_model, heads=args.heads, layers=args.layers, epochs=args.epochs,
                         batch=getattr(args, "batch", 64), hidden=getattr(args, "hidden", 128),
                         bottleneck=getattr(args, "bottleneck", False), guided=getattr(args, "guided", False),
                         medium_values=getattr(args, "medium_values", False),
                         learned_bound=getattr(args, "learned_bound", TrainConfig.learned_bound),
                         weight_decay=getattr(args, "weight_decay", TrainConfig.weight_decay),
                         flux_warmup=getattr(args, "flux_warmup", 0),
                         seed=args.seed, max_seconds=args.max_minutes * 60.0)
    leave_out = tuple(x.strip() for x in args.leave_out.split(",") if x.strip())
    bar = TerminalProgress(enabled=not args.quiet)

    def log(line: str) -> None:
        bar.finish()
        print(f"  {terminal_safe(line)}")

    if not args.quiet:
        print(f"  wiring: {describe_wiring(config)}")
    with StopOnInterrupt() as stop:
        try:
            model, card = train_and_evaluate(args.model, args.media, args.seed, config, args.data, args.save_data,
                                             args.compare_uniform, leave_out, args.processes,
                                             deletions=not getattr(args, "no_deletions", False),
                                             init=getattr(args, "init", None),
                                             compare_scratch=getattr(args, "compare_scratch", False),
                                             progress=bar, should_stop=stop, log=log)
        except Cancelled:
            bar.finish()
            print(f"metattn: stopped ({stop.signal_name}) before training began; nothing was written",
                  file=sys.stderr)
            return stop.exit_code
    bar.finish()
    save_predictor(args.out, model, replace_card_source(card), overwrite=args.force)
    metrics = card["metrics"]
    if card["train"]["interrupted"]:
        print(f"metattn: stopped ({stop.signal_name}); the best weights so far were kept", file=sys.stderr)
    print(f"Wrote {terminal_safe(args.out)}")
    summary = {k: v for k, v in metrics.items() if k not in ("faithfulness", "held_out_points")}
    print(json.dumps(summary, indent=1, default=str))
    return EXIT_OK if not card["train"]["interrupted"] else stop.exit_code


def describe_wiring(config) -> str:
    """One line on what will be trained, e.g. for the terminal before a long run."""
    if config.guided:
        parts = ["guided read-out", f"learned part within ±{config.learned_bound:g}"]
        if config.medium_values:
            parts.append("medium values")
        if config.flux_warmup:
            parts.append(f"{config.flux_warmup} flux warm-up epochs")
    else:
        parts = ["bottleneck read-out" if config.bottleneck else
                 "bare read-out (the heads also read the medium directly: the attention may explain nothing)"]
    parts.append(f"weight decay {config.weight_decay:g}")
    return ", ".join(parts)


def replace_card_source(card: dict) -> dict:
    """The card as stored: a bundled model keeps its name; a path keeps only its file name (no home folders
    in a file that may be shared)."""
    source = card.get("model_source", "")
    if source and (Path(source).exists() or "/" in source):
        return dict(card, model_source=Path(source).name)
    return card
