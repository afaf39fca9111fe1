"""``lithium-abm attribute``: Shapley attribution of metrics to mechanism switches.

Runs the full factorial of the chosen mechanisms (2^k combinations x seeds) on the sweep engine
and writes factorial.parquet, attribution.csv, interactions.csv and a waterfall PNG per metric
(``lithium_abm.experiments.attribution``). Only the standard library at module level.
"""

from __future__ import annotations

import argparse
import signal
import sys

from lithium_abm.cli import EXIT_FAIL, EXIT_INTERRUPTED, EXIT_OK, CliError, _whole_number

ATTRIBUTE_HELP = """\
How much of a metric does each mechanism explain? Every combination of the mechanism switches
(on/off) is run for every seed; the Shapley value of a mechanism is its average marginal effect
over all orders of switching mechanisms on, so the values add up to metric(all on) - metric(all
off). The interval is a 90% bootstrap over seeds. Rerunning the same command resumes."""

ATTRIBUTE_EPILOG = """\
mechanisms: integration, state_subsidy, closure_pressure, hysteresis, growth_expectations
  (default) and equity_stakes. Each one's "off" is defined in docs/attribution.md.
examples:
  lithium-abm attribute --scenario baseline --seeds 10 --out results/attribution
  lithium-abm attribute --scenario baseline --seeds 2 --mechanisms integration,hysteresis \\
      --metrics lepidolite_loss_share_bust --end 2026-12 --out /tmp/attr"""


def register(sub: argparse._SubParsersAction, formatter: type[argparse.HelpFormatter]) -> None:
    """Add the ``attribute`` sub-command to the ``lithium-abm`` parser."""
    parser = sub.add_parser(
        "attribute",
        help="Shapley attribution of metrics to mechanism switches (full factorial)",
        description=ATTRIBUTE_HELP,
        epilog=ATTRIBUTE_EPILOG,
        formatter_class=formatter,
    )
    parser.add_argument("--scenario", default="baseline", metavar="NAME|FILE")
    parser.add_argument("--seeds", default="10", metavar="N", help="seeds per combination")
    parser.add_argument("--mechanisms", metavar="a,b,...", help="comma-separated mechanisms")
    parser.add_argument("--metrics", metavar="m1,m2,...", help="comma-separated metric names")
    parser.add_argument("--start", metavar="YYYY-MM", help="first month (default: scenario's)")
    parser.add_argument("--end", metavar="YYYY-MM", help="last month (default: scenario's)")
    parser.add_argument("--out", required=True, metavar="DIR", help="results directory")
    parser.add_argument("--workers", metavar="N", help="local worker processes")
    parser.add_argument("--dask-scheduler", metavar="tcp://HOST:PORT")
    parser.add_argument("--dask-local", metavar="N")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    parser.set_defaults(func=cmd_attribute)


def cmd_attribute(args: argparse.Namespace) -> int:
    from lithium_abm.cli_experiments import _backend_options, _interrupted, _out_dir, _terminate
    from lithium_abm.experiments.attribution import SWEEP_SUBDIR, parse_mechanisms, run_attribution
    from lithium_abm.experiments.mechanisms import DEFAULT_MECHANISMS, DEFAULT_METRICS

    seeds = _whole_number(args.seeds, "--seeds", 1)
    try:
        mechanisms = parse_mechanisms(args.mechanisms, DEFAULT_MECHANISMS)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    metrics = DEFAULT_METRICS
    if args.metrics is not None:
        metrics = tuple(m.strip() for m in args.metrics.split(",") if m.strip())
        if not metrics:
            raise CliError("--metrics: give at least one metric name")
    options = _backend_options(args)
    out = _out_dir(args.out)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        result = run_attribution(
            args.scenario,
            seeds,
            mechanisms,
            out,
            metrics=metrics,
            start=args.start,
            end=args.end,
            quiet=args.quiet,
            **options,
        )
    except KeyboardInterrupt:
        _interrupted(out / SWEEP_SUBDIR)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(result.table())
    if result.summary.failed or result.summary.lost:
        print("lithium-abm: some runs failed; see the sweep's runs table", file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK
