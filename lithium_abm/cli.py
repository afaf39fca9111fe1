"""The ``lithium-abm`` command line: run scenarios, check patterns, list scenarios and parameters.

Bad input (an unknown scenario or parameter, a value out of range, an unusable output path) is
reported as one line ``lithium-abm: error: ...`` with exit code 2 and no traceback, and is
detected before anything is written. Heavy libraries are imported inside the commands so that
``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import re
import sys
import tempfile
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from lithium_abm.experiments.runner import RunResult
    from lithium_abm.model.config import ModelConfig
    from lithium_abm.model.parameters import Param

PROG = "lithium-abm"

# Further commands live in modules of their own, each with
# ``register(subparsers, formatter_class)`` that adds its sub-parser and sets ``func``.
# They must import only the standard library at module level so that ``--help`` stays quick.
COMMAND_MODULES: tuple[str, ...] = (
    "lithium_abm.cli_experiments",  # sweep, sensitivity, bench
    "lithium_abm.cli_dashboard",  # dashboard
    "lithium_abm.cli_calibration",  # calibrate, validate
    "lithium_abm.cli_attribution",  # attribute
)
EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class CliError(Exception):
    """Input the user can fix; reported as one line with exit code 2."""


# --- helpers ------------------------------------------------------------------------------


def _error(message: object) -> None:
    """Print a one-line error, whatever line breaks the message carries."""
    text = " ".join(str(message).split())
    print(f"{PROG}: error: {text}", file=sys.stderr)


MAX_WHOLE = 2**63 - 1  # the largest seed numpy and Mesa take


def _whole_number(text: str, option: str, minimum: int, maximum: int = MAX_WHOLE) -> int:
    """Parse a count or seed ourselves so a bad value gets the one-line error, not usage."""
    value = text.strip()
    if not re.fullmatch(r"[+-]?\d{1,30}", value) or not minimum <= int(value) <= maximum:
        raise CliError(f"{option}: expected a whole number in {minimum}-{maximum}, got {text!r}")
    return int(value)


MAX_WORKERS = 1024  # processes; more than any machine this runs on has cores


def _workers_number(text: str, option: str) -> int:
    """A count of processes, 1-MAX_WORKERS (a huge one would overflow or spawn without end)."""
    return _whole_number(text, option, 1, MAX_WORKERS)


def _first_seed(text: str, option: str, seeds: int) -> int:
    """The first of ``seeds`` seeds: the last one, first + seeds - 1, must still be a seed."""
    return _whole_number(text, option, 0, MAX_WHOLE - seeds + 1)


def _check_output(path: Path, option: str, want_dir: bool) -> None:
    """Refuse an output path that cannot work before spending time on runs."""
    if path.exists():
        if want_dir and not path.is_dir():
            raise CliError(f"{option}: {str(path)!r} is an existing file; give a directory")
        if not want_dir and path.is_dir():
            raise CliError(f"{option}: {str(path)!r} is a directory; give a file name")
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise CliError(f"{option}: {str(parent)!r} is a file, not a directory")
            break
    # Try to write before any computation: a read-only place fails now, not after an hour.
    probe_in = (
        path
        if (want_dir and path.is_dir())
        else next(p for p in path.absolute().parents if p.exists())
    )
    try:
        fd, probe = tempfile.mkstemp(prefix=".lithium-abm-probe-", dir=probe_in)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise CliError(
            f"{option}: cannot write in {str(probe_in)!r} ({exc.strerror or exc}); "
            "give a writable location"
        ) from None


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "scenario"


def _fmt_value(value: float | int | bool | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and abs(value) >= 1e7:
        return f"{value:g}"
    return repr(value)


def _fmt_range(param: Param) -> str:
    if param.kind is bool:
        return "true/false"
    return f"[{_fmt_value(param.low)}, {_fmt_value(param.high)}]"


# --- run ----------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from lithium_abm.experiments.runner import check_run_dir, run_model, write_run

    seed = _whole_number(args.seed, "--seed", 0)
    config = _load(args.scenario, args.set or [])
    out = Path(args.out) if args.out else Path("results") / f"{_safe_name(config.name)}-seed{seed}"
    _check_output(out, "--out", want_dir=True)
    try:
        check_run_dir(out)
    except ValueError as exc:
        raise CliError(str(exc)) from None

    result = run_model(config, seed)
    started = time.perf_counter()
    try:
        paths = write_run(result, out, figures=not args.no_figures)
    except OSError as exc:
        _error(f"could not write the results to {str(out)!r}: {exc}")
        return EXIT_FAIL
    write_s = time.perf_counter() - started
    print(_run_summary(result, out, paths, write_s))
    if args.no_figures and any((out / "figures").glob("*.png")):
        print(f"note: {out / 'figures'} still holds figures of an earlier run")
    return EXIT_OK


def _load(scenario: str, settings: list[str]) -> ModelConfig:
    """Read and validate the scenario; unreadable files are input errors, not crashes."""
    from lithium_abm.experiments.scenario import load_scenario, parse_overrides

    overrides = parse_overrides(settings)
    try:
        return load_scenario(scenario, overrides)
    except UnicodeDecodeError as exc:
        raise CliError(f"scenario {scenario!r}: a file is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise CliError(f"scenario {scenario!r}: cannot read a file: {exc}") from None


def _quantity_lines(df: pd.DataFrame) -> list[str]:
    """The run's quantities at a glance: the worst year of unmet demand and of output's fall
    (pattern P7 allows 2% and 15%), so a user sees when prices rest on missing tonnes."""
    from lithium_abm.experiments.patterns import annual_sum
    from lithium_abm.experiments.quantities import unmet_share_by_year, year_on_year

    lines = []
    unmet = unmet_share_by_year(df)
    if not unmet.empty:
        total = df["unmet_demand_t"].sum() / df["demand_t"].sum()
        worst = int(unmet.idxmax())
        lines.append(
            f"Unmet demand: {total:.1%} of all demand; worst year {worst}, "
            f"{unmet[worst]:.1%} (P7 allows 2% a year to 2025)"
        )
    change = year_on_year(annual_sum(df, "production_t"))
    if not change.empty:
        year = int(change.idxmin())
        if change[year] < 0.0:
            lines.append(
                f"World mined output: largest yearly fall {-change[year]:.0%} in {year} "
                "(P7 allows 15%)"
            )
        else:
            lines.append("World mined output: no yearly fall")
    return lines


def _run_summary(result: RunResult, out: Path, paths: list[Path], write_s: float) -> str:
    from lithium_abm.experiments.patterns import (
        PEAK_SEARCH_END,
        PEAK_SEARCH_START,
        bust_trough_month,
        peak_month,
    )

    cfg = result.config
    df = result.model_df
    price = df.set_index("date")["price_chemical_usd_t"]
    figures = [p for p in paths if p.parent == out / "figures"]
    files = ", ".join(p.name for p in paths if p not in figures)
    n_fig = len(figures)
    lines = [
        f"Ran {cfg.name} (seed {result.seed}), {cfg.start}..{cfg.end}: {len(df)} months "
        f"in {result.wall_time_s:.2f} s (writing {write_s:.2f} s).",
        f"Results in {out}/: {files}" + (f", figures/ ({n_fig} PNG)" if n_fig else ""),
    ]
    window = f"{PEAK_SEARCH_START:%Y-%m}..{PEAK_SEARCH_END:%Y-%m}"
    peak = peak_month(df)
    note = f" (highest in the {window} peak window)"
    if peak is None:
        peak, note = price.idxmax(), " (run maximum; the run misses the peak window)"
    peak_price = float(price[peak])
    top = price.idxmax()
    if top != peak:
        note += f"; run maximum {price[top]:,.0f} USD/t in {top:%Y-%m}"
    lines.append(f"Chemical price peak: {peak_price:,.0f} USD/t in {peak:%Y-%m}{note}")
    trough = bust_trough_month(df)
    if trough is None:
        lines.append("Trough after the peak: none (the run ends at the peak)")
    else:
        low = float(price[trough])
        lines.append(
            f"Trough after the peak: {low:,.0f} USD/t in {trough:%Y-%m} "
            f"({low / peak_price - 1:+.0%} from the peak, lowest within 36 months)"
        )
    lep = df["loss_making_share_lepidolite"]
    if lep.notna().any():
        lines.append(
            f"Lepidolite output made at a loss: {lep.mean():.1%} on average "
            f"({int(lep.notna().sum())} months with lepidolite output)"
        )
    else:
        lines.append("Lepidolite output made at a loss: no lepidolite output in this run")
    lines += _quantity_lines(df)
    checks = result.checks
    if checks:
        lines.append(
            f"Conservation: money {checks['money_imbalance_usd']:.3g} USD, "
            f"lithium {checks['lithium_balance_error_t']:.3g} t (both should be ~0)"
        )
    return "\n".join(lines)


# --- patterns -----------------------------------------------------------------------------


def cmd_patterns(args: argparse.Namespace) -> int:
    from lithium_abm.experiments.patterns import PatternCheck, format_table
    from lithium_abm.experiments.runner import run_patterns, write_text_atomic

    seeds = _whole_number(args.seeds, "--seeds", 1)
    first = _first_seed(args.first_seed, "--first-seed", seeds)
    out = Path(args.out) if args.out else None
    if out is not None:
        _check_output(out, "--out", want_dir=False)

    started = time.perf_counter()

    def progress(seed: int, checks: list[PatternCheck]) -> None:
        done = seed - first + 1
        passed = sum(c.passed for c in checks)
        print(
            f"seed {seed} ({done}/{seeds}): {passed}/{len(checks)} patterns pass "
            f"[{time.perf_counter() - started:.1f} s]",
            file=sys.stderr,
            flush=True,
        )

    table, per_seed = run_patterns(seeds, first_seed=first, progress=progress)
    print(format_table(table))
    if args.verbose:
        print()
        for seed, checks in enumerate(per_seed, start=first):
            for check in checks:
                flag = "pass" if check.passed else "FAIL"
                print(f"seed {seed}  {check.name:<26} {flag}  {check.measured}")
    if out is not None:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(out, table.to_csv(index=False))
        except OSError as exc:
            _error(f"could not write {str(out)!r}: {exc}")
            return EXIT_FAIL
        print(f"Table written to {out}")
    return EXIT_OK if bool(table["passed"].all()) else EXIT_FAIL


# --- scenarios and params -----------------------------------------------------------------


def cmd_scenarios(args: argparse.Namespace) -> int:
    from lithium_abm.experiments.scenario import (
        ScenarioError,
        available_scenarios,
        load_scenario,
    )

    names = available_scenarios()
    if args.markdown:
        print(_scenarios_markdown(names, load_scenario))
        return EXIT_OK
    width = max((len(n) for n in names), default=0)
    status = EXIT_OK
    for name in names:
        try:
            description = load_scenario(name).description or "(no description)"
        except ScenarioError as exc:
            description = f"INVALID: {' '.join(str(exc).split())}"
            status = EXIT_FAIL
        print(f"{name:<{width}}  {description}")
    return status


def _scenarios_markdown(names: list[str], load) -> str:
    """docs/scenarios.md: each scenario's story and what it changes against the baseline."""
    base = load("baseline")
    lines = [
        "# The scenario library",
        "",
        "Generated by `lithium-abm scenarios --markdown > docs/scenarios.md` from the scenario",
        "files in `experiments/scenarios/`; each story is the file's own description, and the",
        "changes are computed against `baseline`. The direction each story claims is tested over",
        "five seeds in `tests/test_scenario_directions.py`.",
    ]
    for name in names:
        config = load(name)
        lines += ["", f"## `{name}`", "", " ".join(config.description.split()), ""]
        changed = [
            f"`{key} = {_fmt_value(value)}` (baseline {_fmt_value(base.params[key])})"
            for key, value in sorted(config.params.items())
            if value != base.params[key]
        ]
        if config.demand_path_t != base.demand_path_t:
            years = dict(base.demand_path_t)
            changed += [
                f"demand {year}: {tonnes:,.0f} t (baseline {years.get(year, float('nan')):,.0f})"
                for year, tonnes in config.demand_path_t
                if years.get(year) != tonnes
            ]
        if config.mines != base.mines or config.refiners != base.refiners:
            changed.append(
                f"own population: {len(config.mines)} mines, "
                f"{len(config.refiners)} converters, {config.start} to {config.end}"
            )
        if name != "baseline":
            lines.append("Changes: " + ("; ".join(changed) if changed else "none") + ".")
    return "\n".join(lines + _data_bounds_markdown())


def _data_bounds_markdown() -> list[str]:
    """The plausible bounds a scenario's data must keep (a value outside is refused, exit 2)."""
    from lithium_abm.experiments.scenario import (
        CSV_BOUNDS,
        CSV_COUNT_MAX,
        DEMAND_MAX_T,
        MONTH_RULE,
    )

    units = {
        "capacity_tpa": "t LCE per year",
        "cost_usd_t": "USD per t LCE",
        "cost_min_usd_t": "USD per t LCE",
        "cost_max_usd_t": "USD per t LCE",
        "demand_share": "share of world demand",
    }
    lines = [
        "",
        "## Bounds on scenario data",
        "",
        "A scenario file or CSV with a value outside these bounds (or NaN, or infinite) is",
        "refused with one line naming the file, line and column, and exit code 2.",
        "",
        "| field | allowed | unit |",
        "|---|---|---|",
    ]
    for column, (low, high) in CSV_BOUNDS.items():
        lines.append(f"| `{column}` (CSV) | ({low:g}, {high:g}] | {units.get(column, '')} |")
    lines += [
        "| other numeric CSV columns | (0, 1e+12] | |",
        f"| `deposits` (CSV) | whole number 1-{CSV_COUNT_MAX} | deposits |",
        f"| `[demand_path]` values | (0, {DEMAND_MAX_T:g}] | t LCE per year |",
        "| `[demand_path]` keys | years 1900-2200 | |",
        f"| `start`, `end` (scenario, spec, CSV) | {MONTH_RULE} | |",
    ]
    return lines


def cmd_params(args: argparse.Namespace) -> int:
    from lithium_abm.model.parameters import PARAMETERS

    params = list(PARAMETERS.values())
    scenario: tuple[str, dict] | None = None
    if args.scenario is not None:
        from lithium_abm.experiments.scenario import load_scenario

        config = load_scenario(args.scenario)  # an unknown name is a ScenarioError: exit 2
        scenario = (config.name, config.params)
    if args.markdown:
        print(_params_markdown(params, scenario))
        return EXIT_OK
    if scenario is None:
        rows = [[p.name, _fmt_value(p.default), _fmt_range(p), p.unit] for p in params]
        align = "<><<"
    else:
        name, values = scenario
        rows = [["parameter", name, "", "default", "range", "unit"]]
        rows += [
            [
                p.name,
                _fmt_value(values[p.name]),
                "*" if values[p.name] != p.default else "",
                _fmt_value(p.default),
                _fmt_range(p),
                p.unit,
            ]
            for p in params
        ]
        changed = sum(values[p.name] != p.default for p in params)
        print(
            f"Scenario {name}: {changed} of {len(params)} parameters differ from the "
            "registry default (marked *)."
        )
        align = "<><><<"
    widths = [max(len(row[i]) for row in rows) for i in range(len(align))]
    if scenario is not None:
        print(_columns(rows[0], widths, align))
        rows = rows[1:]
    for p, row in zip(params, rows, strict=True):
        print(_columns(row, widths, align))
        body = f"{p.doc} Source: {p.source}."
        print(textwrap.fill(body, width=100, initial_indent="    ", subsequent_indent="    "))
    return EXIT_OK


def _columns(cells: list[str], widths: list[int], align: str) -> str:
    line = "  ".join(f"{c:{a}{w}}" for c, w, a in zip(cells, widths, align, strict=True))
    return line.rstrip()


def _params_markdown(params: list[Param], scenario: tuple[str, dict] | None = None) -> str:
    def cell(text: str) -> str:
        return " ".join(str(text).split()).replace("|", "\\|")

    if scenario is None:
        lines = [
            "# Model parameters",
            "",
            "Generated by `lithium-abm params --markdown`; edit `model/parameters.py`, not this "
            "file.",
        ]
        header = ["Parameter", "Default", "Unit", "Range", "Meaning", "Source"]
    else:
        name, values = scenario
        lines = [
            f"# Parameters of the scenario `{name}`",
            "",
            f"Generated by `lithium-abm params --scenario {name} --markdown`; values that differ",
            "from the registry default are in bold.",
        ]
        header = ["Parameter", f"`{name}`", "Default", "Unit", "Range", "Meaning", "Source"]
    lines += [
        "Any parameter can be set in a scenario's `[parameters]` table or on the command line",
        "with `lithium-abm run --set name=value`; values outside the range are rejected.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for p in params:
        cells = [f"`{p.name}`", _fmt_value(p.default), p.unit, _fmt_range(p), p.doc, p.source]
        if scenario is not None:
            value = _fmt_value(scenario[1][p.name])
            cells.insert(1, f"**{value}**" if scenario[1][p.name] != p.default else value)
        lines.append("| " + " | ".join(cell(c) for c in cells) + " |")
    return "\n".join(lines)


# --- parser -------------------------------------------------------------------------------

DESCRIPTION = """\
An agent-based model of the lithium supply chain 2015-2035: mines, refiners, battery makers and
governments trading concentrate and chemical month by month.

Start with `lithium-abm run` (the baseline scenario), then look at the files it writes.
`lithium-abm <command> --help` explains each command."""

RUN_HELP = """\
Run one scenario with one random seed and write its results to a directory:

  model.parquet   one row per month (prices, demand, production by resource, capacity,
                  loss-making shares, China's refining share, subsidies, inventories)
  agents.parquet  one row per agent per month (mines, refiners, battery makers, governments)
  run.json        scenario, every parameter value, seed, software versions, git commit
  figures/*.png   prices, production, loss-making and the cost curve at the bust trough

The same scenario, parameters and seed always give the same results. Existing results in the
directory are replaced only once the new ones are completely written."""

RUN_EPILOG = """\
examples:
  lithium-abm run                                   baseline, seed 1 -> results/baseline-seed1
  lithium-abm run --scenario no_support --seed 3
  lithium-abm run --set hurdle_rate=0.08 --set demand_scale=1.2 --out results/cheap-money
  lithium-abm run --scenario my_world.toml --no-figures"""

PATTERNS_HELP = """\
Check that the model reproduces the stylised facts of the lithium market (boom and bust,
lepidolite producing at a loss, the role of state support, China's refining dominance).
Each seed runs the baseline and the no_support counterfactual; a pattern passes if at least
80% of the seeds reproduce it. Exit code 0 if every pattern passes, 1 otherwise. Each seed
takes one to two seconds; progress goes to stderr."""

SCENARIOS_HELP = """\
List the scenarios shipped with the model, with their description. Use a name with
`lithium-abm run --scenario NAME`, or write your own .toml file (it may start from a shipped
one with `extends = "baseline"` in its [scenario] table) and pass its path instead."""

PARAMS_HELP = """\
List every model parameter with its default, allowed range, unit, meaning and source. Scenario
files set parameters in their [parameters] table; `lithium-abm run --set NAME=VALUE` overrides
them for one run. With --scenario NAME the value that scenario uses stands beside the default
(the shipped baseline itself sets the calibrated values)."""

PARAMS_EPILOG = """\
examples:
  lithium-abm params                                every parameter with its default
  lithium-abm params --scenario trade_war           trade_war's values beside the defaults
  lithium-abm params --scenario my_world.toml       a scenario file of your own"""


def build_parser() -> argparse.ArgumentParser:
    from lithium_abm import __version__

    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog=PROG, description=DESCRIPTION, formatter_class=formatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser(
        "run",
        help="run a scenario and write its results",
        description=RUN_HELP,
        epilog=RUN_EPILOG,
        formatter_class=formatter,
    )
    run.add_argument(
        "--scenario",
        default="baseline",
        metavar="NAME|FILE",
        help="a shipped scenario (see `lithium-abm scenarios`) or a path to a .toml file "
        "(default: baseline)",
    )
    run.add_argument(
        "--seed",
        default="1",
        metavar="N",
        help="random seed, a whole number >= 0 (default: 1)",
    )
    run.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override one parameter for this run, e.g. --set hurdle_rate=0.08; repeatable "
        "(see `lithium-abm params` for names and ranges)",
    )
    run.add_argument(
        "--out",
        metavar="DIR",
        help="directory for the results (default: results/<scenario>-seed<N>)",
    )
    run.add_argument(
        "--no-figures",
        action="store_true",
        help="skip the PNG figures (saves about a second)",
    )
    run.set_defaults(func=cmd_run)

    patterns = sub.add_parser(
        "patterns",
        help="check the stylised facts over several seeds",
        description=PATTERNS_HELP,
        formatter_class=formatter,
    )
    patterns.add_argument(
        "--seeds", default="10", metavar="N", help="number of seeds to run (default: 10)"
    )
    patterns.add_argument(
        "--first-seed", default="1", metavar="S", help="first seed; seeds S..S+N-1 (default: 1)"
    )
    patterns.add_argument("--out", metavar="FILE.csv", help="also write the table as CSV")
    patterns.add_argument(
        "-v", "--verbose", action="store_true", help="also print every seed's measurements"
    )
    patterns.set_defaults(func=cmd_patterns)

    scenarios = sub.add_parser(
        "scenarios",
        help="list the shipped scenarios",
        description=SCENARIOS_HELP,
        formatter_class=formatter,
    )
    scenarios.add_argument(
        "--markdown",
        action="store_true",
        help="print the library as Markdown with each scenario's changes "
        "(lithium-abm scenarios --markdown > docs/scenarios.md)",
    )
    scenarios.set_defaults(func=cmd_scenarios)

    params = sub.add_parser(
        "params",
        help="list the model parameters with defaults, ranges and sources",
        description=PARAMS_HELP,
        epilog=PARAMS_EPILOG,
        formatter_class=formatter,
    )
    params.add_argument(
        "--scenario",
        metavar="NAME|FILE",
        help="also show the value each parameter takes in this scenario (a shipped name, see "
        "`lithium-abm scenarios`, or a path to a .toml file); * marks values that differ from "
        "the default",
    )
    params.add_argument(
        "--markdown",
        action="store_true",
        help="print a Markdown table instead (lithium-abm params --markdown > docs/parameters.md)",
    )
    params.set_defaults(func=cmd_params)

    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(sub, formatter)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``lithium-abm`` and ``python -m lithium_abm``; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        return _dispatch(args)
    except KeyboardInterrupt:
        print(f"\n{PROG}: interrupted; files written before stay as they were", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`lithium-abm params | head`): stop quietly like other tools.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAIL


def _dispatch(args: argparse.Namespace) -> int:
    try:
        return args.func(args)
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        print(
            f"{PROG}: error: the disk is full ({os.strerror(exc.errno)}); "
            "results written before are kept: free space and run the same command again",
            file=sys.stderr,
        )
        return EXIT_FAIL
    except Exception as exc:
        if not _is_input_error(exc):
            raise  # a bug: keep the traceback
        _error(exc)
        return EXIT_USAGE


def _is_input_error(exc: Exception) -> bool:
    """CliError or ScenarioError, without importing the scenario module (and Mesa) for it."""
    scenario = sys.modules.get("lithium_abm.experiments.scenario")
    return isinstance(exc, CliError) or (
        scenario is not None and isinstance(exc, scenario.ScenarioError)
    )
