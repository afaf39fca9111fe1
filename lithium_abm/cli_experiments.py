"""Sub-commands ``sweep``, ``sensitivity`` and ``bench`` of ``lithium-abm``.

Only the standard library is imported here so that ``--help`` answers at once; each command
imports what it needs. Spec mistakes raise ``SpecError`` (a ``ScenarioError``), which the main
CLI reports as one line with exit code 2.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAIL, EXIT_INTERRUPTED = 0, 1, 130

SWEEP_HELP = """\
Run an experiment spec (TOML): every design point times every seed, with the outcome metrics
of each run written as a parquet dataset:

  DIR/runs/part-*.parquet     one row per run: run_id, point, seed, the varied parameters,
                              the metrics, status (ok/failed), error, wall_time_s
  DIR/monthly/part-*.parquet  the spec's monthly_columns per run and month (if any)
  DIR/sweep.json              spec, package version, git commit, counts

Finished batches are written at once, so Ctrl-C or a crash loses only the runs in progress:
run the same command again to resume (runs already on disk are skipped). A run that raises is
recorded as failed with its error; the others go on. Results do not depend on the executor or
the number of workers. Progress (runs done, failures, rate, ETA) goes to stderr."""

SWEEP_EPILOG = """\
examples:
  lithium-abm sweep experiments/specs/small.toml --out results/small
  lithium-abm sweep my_study.toml --out results/study --workers 8
  lithium-abm sweep my_study.toml --out results/study --dask-local 4
  lithium-abm sweep my_study.toml --out results/study --dask-scheduler tcp://10.0.0.5:8786

read the results:
  from lithium_abm.experiments.sweep import load_results
  df = load_results("results/small")"""

SENSITIVITY_HELP = """\
Global sensitivity analysis of a spec with design = "sobol" or "morris": samples the
parameter ranges with SALib, runs every point (averaging its seeds) through the same machinery
as `sweep` (resumable, in DIR/runs), analyses each metric with SALib and writes

  DIR/sobol_indices.csv   S1, S1_conf, ST, ST_conf per metric and parameter   (sobol)
  DIR/morris_indices.csv  mu, mu_star, mu_star_conf, sigma per metric and parameter (morris)
  DIR/figures/*.png       one bar chart per metric

A metric that is undefined (NaN) at some point cannot be analysed and is reported and
skipped."""

BENCH_HELP = """\
Measure the model's speed on this machine: the baseline run time (median of several runs), time
per month and per agent-month for a synthetic population of 1x, 10x and 100x the baseline's
mines (copies of every group with capacities scaled down, so the market is the same size), and
sweep throughput in runs per second with one worker and with all workers.

With --dashboard it measures the classroom dashboard instead: it starts the dashboard server
on a free 127.0.0.1 port and drives it from headless Chromium (one context per student):
idle server memory, N sessions stepping M months at once (time from each click to all four
charts redrawn, peak server memory), memory 30 s after they close, then one session's median
step and the time from 2015 to the 2024 bust with Play and with run-to, each beside its goal.
The server never outlives the command."""


def _workers(text: str | None) -> int | None:
    from lithium_abm.cli import _workers_number

    return None if text is None else _workers_number(text, "--workers")


def _out_dir(text: str) -> Path:
    from lithium_abm.cli import _check_output

    out = Path(text)
    _check_output(out, "--out", want_dir=True)
    return out


def _interrupted(out: Path) -> None:
    from lithium_abm.experiments.sweep import RUNS_DIR

    parts = len(list((out / RUNS_DIR).glob("part-*.parquet")))
    print(
        f"\nlithium-abm: interrupted; the {parts} finished batches in {out / RUNS_DIR} stay. "
        "Run the same command again to resume.",
        file=sys.stderr,
    )


def _backend_options(args: argparse.Namespace) -> dict:
    from lithium_abm.cli import CliError, _workers_number

    chosen = [
        o
        for o, v in (
            ("--workers", args.workers),
            ("--dask-scheduler", args.dask_scheduler),
            ("--dask-local", args.dask_local),
        )
        if v is not None
    ]
    if len(chosen) > 1:
        raise CliError(f"{chosen[0]} and {chosen[1]}: choose one way to run")
    address = args.dask_scheduler
    if address is not None and (not address.strip() or any(c.isspace() for c in address)):
        # Refused at once: Dask would wait for its connect timeout or take '' as "no Dask".
        raise CliError(
            f"--dask-scheduler: expected a scheduler address such as tcp://host:8786, "
            f"got {address!r}"
        )
    return {
        "workers": _workers(args.workers),
        "dask_scheduler": args.dask_scheduler,
        "dask_local": 0
        if args.dask_local is None
        else _workers_number(args.dask_local, "--dask-local"),
    }


def _study(args: argparse.Namespace, run: Callable[..., Any]) -> Any:
    """Validate the spec, options and output, then run; None if Ctrl-C stopped it."""
    from lithium_abm.experiments.spec import load_spec

    spec = load_spec(args.spec)
    options = _backend_options(args)
    out = _out_dir(args.out)
    # `kill` and batch schedulers (SLURM, Kubernetes) send SIGTERM: stop as cleanly as Ctrl-C.
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return run(spec, out, quiet=args.quiet, **options)
    except KeyboardInterrupt:
        _interrupted(out)
        return None
    finally:
        signal.signal(signal.SIGTERM, previous)


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def cmd_sweep(args: argparse.Namespace) -> int:
    from lithium_abm.experiments.sweep import run_sweep

    summary = _study(args, run_sweep)
    if summary is None:
        return EXIT_INTERRUPTED
    print(summary.text())
    return EXIT_OK if summary.complete and not (summary.failed or summary.lost) else EXIT_FAIL


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from lithium_abm.experiments.sensitivity import run_sensitivity

    report = _study(args, run_sensitivity)
    if report is None:
        return EXIT_INTERRUPTED
    print(report)
    return EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    from lithium_abm.cli import CliError, _check_output
    from lithium_abm.experiments.bench import run_bench

    out = Path(args.out) if args.out else None
    if args.dashboard:
        return _bench_dashboard(args, out)
    dashboard_only = (
        ("--sessions", args.sessions),
        ("--months", args.months),
        ("--settle", args.settle),
        ("--to", args.to),
    )
    for option, value in dashboard_only:
        if value is not None:
            raise CliError(f"{option}: only with --dashboard")
    if out is not None:
        _check_output(out, "--out", want_dir=False)
    print(run_bench(quick=args.quick, workers=_workers(args.workers), out=out))
    return EXIT_OK


def _whole(text: str | None, option: str, default: int, low: int, high: int) -> int:
    from lithium_abm.cli import CliError

    if text is None:
        return default
    value = text.strip()
    if not value.isdigit() or not low <= int(value) <= high:
        raise CliError(f"{option}: expected a whole number {low}-{high}, got {text!r}")
    return int(value)


def _bench_dashboard(args: argparse.Namespace, out: Path | None) -> int:
    """``bench --dashboard``: a class of browser sessions against one dashboard server."""
    from lithium_abm.cli import CliError, _check_output

    if args.quick or args.workers is not None:
        raise CliError("--quick and --workers: not with --dashboard (use --sessions, --months)")
    sessions = _whole(args.sessions, "--sessions", 30, 1, 200)
    months = _whole(args.months, "--months", 10, 1, 120)
    settle_s = _whole(args.settle, "--settle", 30, 0, 600)
    to_month = _bench_month(args.to or "2024-06")
    if out is not None:
        _check_output(out, "--out", want_dir=False)
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        raise CliError(
            "--dashboard: needs playwright and Chromium (pip install 'lithium-abm[dev]')"
        ) from None
    from lithium_abm.experiments.bench_dashboard import find_chromium, run_dashboard_bench

    if find_chromium() is None:
        raise CliError(
            "--dashboard: no Chromium found (set LITHIUM_ABM_CHROMIUM, or "
            "apt-get install chromium-headless-shell)"
        )
    # A service manager stops us with SIGTERM: the server goes down with us, as on Ctrl-C.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    table, _ = run_dashboard_bench(sessions, months, settle_s, to_month, out)
    print(table)
    return EXIT_OK


def _bench_month(text: str) -> str:
    """``--to``: a month of the dashboard's default scenario after its first."""
    import re

    from lithium_abm.cli import CliError
    from lithium_abm.experiments.dashboard import DEFAULT_SCENARIO
    from lithium_abm.experiments.scenario import load_scenario

    config = load_scenario(DEFAULT_SCENARIO)
    month = text.strip()
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month) or not (
        config.start < month <= config.end
    ):
        raise CliError(
            f"--to: expected YYYY-MM after {config.start} and up to {config.end}, got {text!r}"
        )
    return month


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _add_study_arguments(parser: argparse.ArgumentParser, spec_help: str, func: Any) -> None:
    """SPEC, --out and the choice of executor, shared by sweep and sensitivity."""
    parser.add_argument("spec", metavar="SPEC", help=spec_help)
    parser.add_argument("--out", required=True, metavar="DIR", help="results directory")
    parser.add_argument(
        "--workers",
        metavar="N",
        help="local worker processes (default: all cores; 1 runs in this process)",
    )
    parser.add_argument(
        "--dask-scheduler",
        metavar="tcp://HOST:PORT",
        help="run on an existing Dask cluster (needs pip install 'lithium-abm[cluster]')",
    )
    parser.add_argument(
        "--dask-local", metavar="N", help="start a local Dask cluster of N worker processes"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    parser.set_defaults(func=func)


def register(sub: argparse._SubParsersAction, formatter: type[argparse.HelpFormatter]) -> None:
    """Add this module's sub-commands to the ``lithium-abm`` parser."""
    sweep = sub.add_parser(
        "sweep",
        help="run an experiment spec (many runs) into a parquet dataset",
        description=SWEEP_HELP,
        epilog=SWEEP_EPILOG,
        formatter_class=formatter,
    )
    _add_study_arguments(sweep, "experiment spec: a .toml file (or 'small')", cmd_sweep)

    sens = sub.add_parser(
        "sensitivity",
        help="Sobol or Morris sensitivity analysis of a spec",
        description=SENSITIVITY_HELP,
        epilog="example:\n  lithium-abm sensitivity experiments/specs/morris_screen.toml "
        "--out results/morris",
        formatter_class=formatter,
    )
    _add_study_arguments(sens, "spec with design = 'sobol' or 'morris'", cmd_sensitivity)

    bench = sub.add_parser(
        "bench",
        help="measure run time, scaling with agents and sweep throughput",
        description=BENCH_HELP,
        formatter_class=formatter,
    )
    bench.add_argument("--quick", action="store_true", help="a few seconds: fewer, shorter runs")
    bench.add_argument("--workers", metavar="N", help="workers for 'all' (default: all cores)")
    bench.add_argument("--out", metavar="FILE.json", help="also write the figures as JSON")
    bench.add_argument(
        "--dashboard",
        action="store_true",
        help="instead: a class of browser sessions stepping one dashboard server "
        "(needs playwright and Chromium)",
    )
    bench.add_argument(
        "--sessions", metavar="N", help="with --dashboard: concurrent sessions (default: 30)"
    )
    bench.add_argument(
        "--months", metavar="M", help="with --dashboard: steps per session (default: 10)"
    )
    bench.add_argument(
        "--settle",
        metavar="S",
        help="with --dashboard: seconds after the sessions close before memory is measured "
        "again (default: 30)",
    )
    bench.add_argument(
        "--to",
        metavar="YYYY-MM",
        help="with --dashboard: month to play and run to from 2015 (default: 2024-06, the bust)",
    )
    bench.set_defaults(func=cmd_bench)
