"""Sub-commands ``calibrate`` and ``validate`` of ``lithium-abm``.

Only the standard library is imported at module level so that ``--help`` stays quick; the model,
pandas and scipy are imported inside the commands.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

CALIBRATE_HELP = """\
Fit behavioural parameters to target statistics (the brief's figures: the 2022 price peak and
the ~90% fall, China's refining share, lepidolite's growth and losses, ...) by simulated method
of moments. Every candidate runs the same seeds; the objective is the weighted squared misfit of
the median over seeds (for the patterns P1, P2, P4, P5: the share of seeds passing, which
should reach 0.8). A seeded Latin hypercube over the parameters' documented ranges is
followed by bounded Nelder-Mead, within a fixed budget of evaluations (one evaluation = one
candidate run over all seeds, about 0.6 s per seed). The same inputs give the same result.

Writes a scenario file that extends the base scenario and sets the fitted [parameters] (use it
with `lithium-abm run --scenario FILE`), and a fit report (fit_report.md, fit_report.csv,
evaluations.csv). Targets and method: docs/calibration.md."""

CALIBRATE_EPILOG = """\
calibration spec (--params FILE.toml):
  [calibration]           scenario = "baseline", seeds = 5, first_seed = 1, budget = 60,
                          optimiser_seed = 20251, pattern_pass_share = 0.8
                          (all optional; command-line options win)
  [parameters]            hoarding_sensitivity = true        # its documented range
                          bid_urgency = [0.0, 0.5]           # narrowed, inside the range
  [weights]               peak_offset_months = 0.0           # drop or reweight a target
  [start]                 bid_urgency = 0.2                  # warm start (fitted parameters)

examples:
  lithium-abm calibrate --params experiments/calibration_specs/baseline.toml --workers 2 \
      --out experiments/scenarios/baseline.toml --report docs/calibration_fit   # the baseline
  lithium-abm calibrate --seeds 5 --budget 60 --out my_fit.toml
  lithium-abm calibrate --params bid_urgency,anchor_weight --seeds 2 --budget 8 --out fit.toml
  lithium-abm calibrate --params my_spec.toml --workers 2"""

VALIDATE_HELP = """\
Run a scenario (and, for pattern P3, the same scenario with integration and state support off)
over several seeds and write a validation report: every target statistic, model against target
with the spread over seeds, the simulated price band against reference prices, and the pattern
table. Writes OUT/validation.md and OUT/img/validation_*.png; `--out docs` refreshes the
shipped docs/validation.md. About 1.3 s per seed."""


def register(sub: argparse._SubParsersAction, formatter: type[argparse.HelpFormatter]) -> None:
    """Add ``calibrate`` and ``validate`` to the ``lithium-abm`` parser."""
    cal = sub.add_parser(
        "calibrate",
        help="fit behavioural parameters to target statistics",
        description=CALIBRATE_HELP,
        epilog=CALIBRATE_EPILOG,
        formatter_class=formatter,
    )
    cal.add_argument(
        "--scenario",
        metavar="NAME|FILE",
        help="base scenario to start from and extend (default: baseline, or the spec's)",
    )
    cal.add_argument(
        "--params",
        metavar="a,b,c|FILE.toml",
        help="comma-separated parameter names, or a calibration spec file (default: "
        "hoarding_sensitivity, bid_urgency, anchor_weight, care_loss_months, "
        "demand_price_elasticity, distress_floor_share)",
    )
    cal.add_argument("--seeds", metavar="N", help="seeds per evaluation (default: 5)")
    cal.add_argument("--first-seed", metavar="S", help="first seed; seeds S..S+N-1 (default: 1)")
    cal.add_argument("--budget", metavar="N", help="number of evaluations (default: 60)")
    cal.add_argument(
        "--optimiser-seed", metavar="N", help="seed of the Latin hypercube (default: 20251)"
    )
    cal.add_argument(
        "--out",
        default="results/calibration/calibrated.toml",
        metavar="FILE.toml",
        help="scenario file to write (default: results/calibration/calibrated.toml)",
    )
    cal.add_argument(
        "--report",
        metavar="DIR",
        help="directory for the fit report (default: <out without .toml>_report/)",
    )
    cal.add_argument(
        "--workers", default="1", metavar="N", help="processes for the runs (default: 1)"
    )
    cal.set_defaults(func=cmd_calibrate)

    val = sub.add_parser(
        "validate",
        help="report every target statistic and pattern, model against target",
        description=VALIDATE_HELP,
        formatter_class=formatter,
    )
    val.add_argument(
        "--scenario", default="baseline", metavar="NAME|FILE", help="scenario (default: baseline)"
    )
    val.add_argument("--seeds", default="10", metavar="N", help="number of seeds (default: 10)")
    val.add_argument(
        "--first-seed", default="1", metavar="S", help="first seed; seeds S..S+N-1 (default: 1)"
    )
    val.add_argument(
        "--out",
        default="results/validation",
        metavar="DIR",
        help="output directory (default: results/validation; `docs` for the shipped report)",
    )
    val.set_defaults(func=cmd_validate)


def _spec_from_args(args: argparse.Namespace):
    """Build the calibration spec: defaults, then the spec file, then explicit options."""
    from dataclasses import replace

    from lithium_abm.cli import MAX_WHOLE, CliError, _whole_number
    from lithium_abm.experiments.calibration import (
        DEFAULT_PARAMS,
        CalibrationError,
        CalibrationSpec,
        fit_params,
        load_spec,
    )

    try:
        if args.params and (args.params.endswith(".toml") or Path(args.params).is_file()):
            spec = load_spec(args.params)
        else:
            names = [n.strip() for n in (args.params or "").split(",") if n.strip()]
            spec = CalibrationSpec(params=fit_params(names or list(DEFAULT_PARAMS)))
    except CalibrationError as exc:
        raise CliError(f"--params: {exc}") from None
    if args.scenario:
        spec = replace(spec, scenario=args.scenario)
    for option, key, minimum in (
        ("--seeds", "seeds", 1),
        ("--first-seed", "first_seed", 0),
        ("--budget", "budget", 1),
        ("--optimiser-seed", "optimiser_seed", 0),
    ):
        text = getattr(args, key)
        if text is not None:
            spec = replace(spec, **{key: _whole_number(text, option, minimum)})
    if spec.first_seed > MAX_WHOLE - spec.seeds + 1:  # the last seed must still be a seed
        raise CliError(
            f"--first-seed: expected a whole number in 0-{MAX_WHOLE - spec.seeds + 1} with "
            f"{spec.seeds} seeds (the last seed, first + seeds - 1, at most {MAX_WHOLE}), "
            f"got {spec.first_seed}"
        )
    return spec


def cmd_calibrate(args: argparse.Namespace) -> int:
    from lithium_abm.cli import EXIT_OK, _check_output, _workers_number
    from lithium_abm.experiments.calibration import calibrate, write_outputs
    from lithium_abm.experiments.scenario import load_scenario

    spec = _spec_from_args(args)
    workers = _workers_number(args.workers, "--workers")
    out = Path(args.out)
    if out.suffix != ".toml":
        from lithium_abm.cli import CliError

        raise CliError(f"--out: expected a .toml file name, got {args.out!r}")
    _check_output(out, "--out", want_dir=False)
    report = Path(args.report) if args.report else out.with_name(f"{out.stem}_report")
    _check_output(report, "--report", want_dir=True)
    load_scenario(spec.scenario)  # a bad base scenario stops here, before any run

    command = shlex.join(
        [
            "lithium-abm",
            "calibrate",
            "--scenario",
            spec.scenario,
            "--params",
            args.params
            if args.params and args.params.endswith(".toml")
            else ",".join(p.name for p in spec.params),
            "--seeds",
            str(spec.seeds),
            "--first-seed",
            str(spec.first_seed),
            "--budget",
            str(spec.budget),
            "--optimiser-seed",
            str(spec.optimiser_seed),
            "--out",
            out.as_posix(),
        ]
    )
    started = time.perf_counter()

    def progress(ev, best) -> None:
        print(
            f"evaluation {ev.index + 1}/{spec.budget} ({ev.phase}): objective "
            f"{ev.objective:.4g}, best {best.objective:.4g} "
            f"[{time.perf_counter() - started:.0f} s]",
            file=sys.stderr,
            flush=True,
        )

    result = calibrate(spec, workers=workers, progress=progress)
    paths = write_outputs(result, out, report, command)
    print(
        f"Calibrated {', '.join(p.name for p in spec.params)} on {spec.scenario} with "
        f"{spec.seeds} seeds and {len(result.history)} evaluations in {result.wall_time_s:.0f} s."
    )
    print(f"Objective: {result.before.objective:.4g} before, {result.best.objective:.4g} after.")
    for p in spec.params:
        print(f"  {p.name} = {result.best.values[p.name]}  (was {result.before.values[p.name]})")
    print("Wrote " + ", ".join(str(p) for p in paths))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from lithium_abm.cli import EXIT_OK, _check_output, _first_seed, _whole_number
    from lithium_abm.experiments.scenario import load_scenario
    from lithium_abm.experiments.targets import TOLERANCE_SCALES
    from lithium_abm.experiments.validation import run_validation, write_validation

    seeds = _whole_number(args.seeds, "--seeds", 1)
    first = _first_seed(args.first_seed, "--first-seed", seeds)
    out = Path(args.out)
    _check_output(out, "--out", want_dir=True)
    load_scenario(args.scenario)  # a bad scenario stops here, before any run
    started = time.perf_counter()

    def progress(seed: int, done: int) -> None:
        print(
            f"seed {seed} ({done}/{seeds}) [{time.perf_counter() - started:.1f} s]",
            file=sys.stderr,
            flush=True,
        )

    result = run_validation(args.scenario, seeds, first, progress)
    command = shlex.join(
        [
            "lithium-abm",
            "validate",
            "--scenario",
            args.scenario,
            "--seeds",
            str(seeds),
            "--first-seed",
            str(first),
            "--out",
            out.as_posix(),
        ]
    )
    out.mkdir(parents=True, exist_ok=True)
    paths = write_validation(result, out, command)
    within = int((result.summary["residual"].abs() <= TOLERANCE_SCALES).sum())
    held = int(result.patterns["passed"].sum())
    print(
        f"Validated {result.scenario} over {seeds} seeds in {result.wall_time_s:.0f} s: "
        f"{within}/{len(result.summary)} targets within tolerance, "
        f"{held}/{len(result.patterns)} patterns hold."
    )
    print("Wrote " + ", ".join(str(p) for p in paths))
    return EXIT_OK
