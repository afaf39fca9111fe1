"""Validation report: every target statistic and pattern, model against target, over seeds.

``lithium-abm validate`` runs a scenario and its no-support counterfactual (the same scenario
with integration and state support switched off, which P3 needs) for N seeds and writes
``validation.md`` with figures under ``img/``: each target's per-seed values against its cited
range, the supply history by year (in sample 2015-2021 beside out of sample 2022-2025) with mined
output by resource and by country against the USGS points, the simulated price band against
reference price points, and the pattern table of
:mod:`lithium_abm.experiments.patterns` (reused as is, so the report and ``lithium-abm
patterns`` always agree).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from lithium_abm.experiments.scenario import counterfactual_overrides
from lithium_abm.experiments.targets import (
    PRICE_CNY,
    TARGETS,
    TARGETS_BY_NAME,
    TOLERANCE_SCALES,
    compute_statistics,
    summarise,
)

# The counterfactual P3 needs, read from its scenario data (no_support.toml), defined once.
COUNTERFACTUAL = counterfactual_overrides()
REFERENCE_PRICES = Path(__file__).resolve().parent / "data" / "reference_prices.csv"
IMAGE_DIR = "img"
REPORT_FILE = "validation.md"
TARGETS_FIGURE = "validation_targets.png"
PRICE_FIGURE = "validation_price.png"
PRODUCTION_FIGURE = "validation_production.png"
PRODUCTION_YEARS = range(2015, 2031)  # the figure's span: the supply history and five years on


@dataclass
class ValidationResult:
    """Everything the report shows; frames are small (one row per seed or per month)."""

    scenario: str
    seeds: list[int]
    per_seed: pd.DataFrame  # one row per seed, one column per target
    summary: pd.DataFrame  # targets.summarise
    patterns: pd.DataFrame  # patterns.pattern_table
    pattern_checks: list  # per seed, list of PatternCheck
    prices_cny_t: pd.DataFrame  # one column per seed, indexed by month
    wall_time_s: float
    # Mined output per calendar year, t LCE: columns seed, by ("resource" | "region"), key,
    # year, output_t (quantities.annual_mine_output_t of each seed's agent records).
    production: pd.DataFrame = field(default_factory=pd.DataFrame)


def production_rows(seed: int, agents_df: pd.DataFrame) -> pd.DataFrame:
    """One seed's mined output by resource and by region and calendar year (long table)."""
    from lithium_abm.experiments.quantities import annual_mine_output_t

    parts = []
    for by in ("resource", "region"):
        annual = annual_mine_output_t(agents_df, by=by).rename("output_t").reset_index()
        parts.append(annual.rename(columns={by: "key"}).assign(seed=seed, by=by))
    return pd.concat(parts, ignore_index=True)[["seed", "by", "key", "year", "output_t"]]


def load_reference_prices(path: str | Path = REFERENCE_PRICES) -> pd.DataFrame:
    """Reference China spot prices with their source; ``quality`` is cited or approximate."""
    df = pd.read_csv(path)
    df["date"] = pd.to_datetime(df["date"])
    return df


def run_validation(
    scenario: str,
    seeds: int,
    first_seed: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> ValidationResult:
    """Run ``scenario`` and its counterfactual for each seed; keep statistics, not frames."""
    from lithium_abm.experiments.patterns import evaluate_run_patterns, pattern_table
    from lithium_abm.experiments.runner import run_model
    from lithium_abm.experiments.scenario import load_scenario

    started = time.perf_counter()
    base_cfg = load_scenario(scenario)
    cf_cfg = load_scenario(scenario, COUNTERFACTUAL)
    seed_list = list(range(first_seed, first_seed + seeds))
    stats, checks, prices, production = [], [], {}, []
    for i, seed in enumerate(seed_list, start=1):
        base = run_model(base_cfg, seed)
        cf = run_model(cf_cfg, seed)
        stats.append(
            compute_statistics(base.model_df, base.agents_df, counterfactual_df=cf.model_df)
        )
        checks.append(
            evaluate_run_patterns(base.model_df, base.agents_df, cf.model_df, cf.agents_df)
        )
        df = base.model_df
        prices[seed] = pd.Series(df[PRICE_CNY].to_numpy(), index=pd.to_datetime(df["date"]))
        production.append(production_rows(seed, base.agents_df))
        del base, cf
        if progress is not None:
            progress(seed, i)
    per_seed = pd.DataFrame(stats, index=seed_list)
    return ValidationResult(
        scenario=base_cfg.name,
        seeds=seed_list,
        per_seed=per_seed,
        summary=summarise(per_seed),
        patterns=pattern_table(checks),
        pattern_checks=checks,
        prices_cny_t=pd.DataFrame(prices),
        wall_time_s=time.perf_counter() - started,
        production=pd.concat(production, ignore_index=True),
    )


# --- figures ----------------------------------------------------------------------------------


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def plot_targets(result: ValidationResult, path: Path) -> Path:
    """One panel per target: each seed's value, the moment, and the target range shaded."""
    from matplotlib.ticker import StrMethodFormatter

    single = [t for t in TARGETS if not t.group]  # by-year series: in their own section
    n = len(single)
    cols = 5
    rows = math.ceil(n / cols)
    fig = _figure(3.0 * cols, 2.6 * rows)
    for i, target in enumerate(single):
        ax = fig.add_subplot(rows, cols, i + 1)
        values = result.per_seed[target.name].to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        ax.axhspan(target.low, target.high, color="tab:green", alpha=0.25, lw=0)
        if target.low == target.high:
            ax.axhline(target.low, color="tab:green", lw=1.5)
        jitter = np.linspace(-0.15, 0.15, num=max(len(finite), 1))[: len(finite)]
        ax.scatter(jitter, finite, s=14, color="tab:blue", alpha=0.7, label="seeds")
        moment = result.summary.set_index("target").loc[target.name, "moment"]
        if math.isfinite(moment):
            ax.hlines(moment, -0.3, 0.3, color="black", lw=2, label="moment")
        if target.aggregate == "mean":  # a pattern: each seed passes (1) or fails (0)
            ax.set_ylim(-0.05, 1.05)
        if target.high >= 1000:
            ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        ax.set_xlim(-0.5, 0.5)
        ax.set_xticks([])
        ax.set_title(target.name, fontsize=8)
        ax.set_ylabel(target.unit, fontsize=7)
        ax.tick_params(labelsize=7)
        ax.grid(True, axis="y", alpha=0.3)
    fig.suptitle(
        f"{result.scenario}: model (dots = seeds; bar = median, for patterns share passing) "
        "vs target range (green)",
        fontsize=10,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


def plot_price_band(result: ValidationResult, reference: pd.DataFrame, path: Path) -> Path:
    """Simulated chemical price (median, 10-90% and min-max over seeds) vs reference points."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import StrMethodFormatter

    prices = result.prices_cny_t / 1000.0
    fig = _figure(10.0, 5.0)
    ax = fig.add_subplot()
    ax.fill_between(
        prices.index,
        prices.min(axis=1),
        prices.max(axis=1),
        color="tab:blue",
        alpha=0.12,
        lw=0,
        label="model min-max over seeds",
    )
    ax.fill_between(
        prices.index,
        prices.quantile(0.1, axis=1),
        prices.quantile(0.9, axis=1),
        color="tab:blue",
        alpha=0.3,
        lw=0,
        label="model 10-90%",
    )
    ax.plot(prices.index, prices.median(axis=1), color="tab:blue", lw=1.6, label="model median")
    for quality, marker, face in (("cited", "o", "black"), ("approximate", "o", "white")):
        ref = reference[reference["quality"] == quality]
        if ref.empty:
            continue
        ax.errorbar(
            ref["date"],
            ref["price_cny_t"] / 1000.0,
            yerr=[
                (ref["price_cny_t"] - ref["low_cny_t"]) / 1000.0,
                (ref["high_cny_t"] - ref["price_cny_t"]) / 1000.0,
            ],
            fmt=marker,
            mfc=face,
            mec="black",
            ecolor="black",
            capsize=3,
            zorder=5,
            label=f"reference ({quality})",
        )
    ax.set_title(f"{result.scenario}: China battery-grade chemical price, model vs reference")
    ax.set_ylabel("Price (thousand CNY/t LCE)")
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_ylim(bottom=0)
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


RESOURCE_COLOURS = {
    "brine": "tab:blue",
    "spodumene": "tab:orange",
    "lepidolite": "tab:red",
    "clay": "tab:brown",
}
COUNTRY_COLOURS = {"AU": "tab:orange", "CL": "tab:blue", "CN": "tab:red", "AR": "tab:green"}


def _output_kt(production: pd.DataFrame, by: str) -> pd.DataFrame:
    """Each key's annual output (kt LCE) in the figure's years, rows (seed, year), keys as
    columns; a seed without a key's mine in a year counts as zero output."""
    part = production[(production["by"] == by) & production["year"].isin(PRODUCTION_YEARS)]
    wide = part.pivot_table(
        index=["seed", "year"], columns="key", values="output_t", aggfunc="sum", fill_value=0.0
    )
    return wide / 1000.0


def plot_production(result: ValidationResult, path: Path) -> Path:
    """Mined output by resource (median over seeds, stacked) with the USGS world total, and by
    country (median and 10-90% over seeds) with USGS's figure for each country."""
    from lithium_abm.experiments.quantities import COUNTRIES, USGS_WORLD, load_usgs, usgs_series

    usgs = load_usgs()
    fig = _figure(13.0, 4.8)
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    by_resource = _output_kt(result.production, "resource").groupby(level="year").median()
    years = by_resource.index.to_numpy()
    bottom = np.zeros(len(years))
    for resource, colour in RESOURCE_COLOURS.items():
        if resource in by_resource:
            values = by_resource[resource].to_numpy()
            left.bar(years, values, bottom=bottom, color=colour, width=0.8, label=resource)
            bottom = bottom + values
    world = usgs_series(usgs, USGS_WORLD) / 1000.0
    world = world[world.index.isin(PRODUCTION_YEARS)]
    left.plot(world.index, world.to_numpy(), "ko", ms=5, label="USGS world (excl. US)")
    left.set_title("Mined output by resource, median of seeds (kt LCE/yr)", fontsize=10)
    by_region = _output_kt(result.production, "region")
    for code, country in COUNTRIES.items():
        colour = COUNTRY_COLOURS[code]
        if code in by_region:
            grouped = by_region[code].groupby(level="year")
            median = grouped.median()
            low, high = grouped.quantile(0.1), grouped.quantile(0.9)
            right.fill_between(median.index, low, high, color=colour, alpha=0.15, lw=0)
            right.plot(median.index, median, color=colour, lw=1.6, label=code)
        ref = usgs_series(usgs, country) / 1000.0
        ref = ref[ref.index.isin(PRODUCTION_YEARS)]
        right.plot(ref.index, ref.to_numpy(), "o", color=colour, mec="black", ms=5)
    right.set_title(
        "By country: model median and 10-90% (lines), USGS (dots), kt LCE/yr", fontsize=10
    )
    for ax in (left, right):
        ax.set_xlim(PRODUCTION_YEARS[0] - 0.6, PRODUCTION_YEARS[-1] + 0.6)
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
    fig.suptitle(f"{result.scenario}: mined output against USGS mine production", fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


# --- report -----------------------------------------------------------------------------------


def _num(value: float) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def report_markdown(result: ValidationResult, reference: pd.DataFrame, command: str) -> str:
    seeds = result.seeds
    n = len(seeds)
    fitted = result.summary["target"].map(lambda name: TARGETS_BY_NAME[name].in_sample)
    total = float(result.summary.loc[fitted, "contribution"].sum())
    lines = [
        "# Validation report",
        "",
        f"Generated by `{command}` on {datetime.now(UTC):%Y-%m-%d} "
        f"(scenario `{result.scenario}`, seeds {seeds[0]}..{seeds[-1]}, "
        f"{result.wall_time_s:.0f} s). Regenerate it after any change to the model.",
        "",
        "Targets and their sources are defined in `experiments/targets.py` and explained in",
        "`docs/calibration.md`. A seed reproduces a target when its value lies within "
        f"{TOLERANCE_SCALES:g} scale",
        "unit of the target range (for patterns: passes). The moment is the median over seeds, or",
        "for patterns the share of seeds passing; the sum of weight x misfit^2 of the moments of",
        f"the in-sample targets is the calibration objective (here {total:.3g}).",
        "",
        "## Target statistics",
        "",
        "| target | what | unit | target | model moment | 10-90% over seeds | seeds within "
        "tolerance | weight x misfit^2 | source |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in result.summary.itertuples(index=False):
        target = TARGETS_BY_NAME[row.target]
        if target.group:
            continue  # by-year quantities: their own section below
        lines.append(
            f"| `{row.target}` | {row.description} | {row.unit} | {target.target_text} | "
            f"{_num(row.moment)} | {_num(row.p10)} .. {_num(row.p90)} | "
            f"{row.seeds_within}/{row.seeds} | {row.contribution:.3g} | {row.citation} |"
        )
    lines += ["", f"![Model vs target per statistic]({IMAGE_DIR}/{TARGETS_FIGURE})"]
    lines += quantities_section(result.summary)
    lines += [
        "",
        "## Price path",
        "",
        "The simulated China chemical price (CNY, at the scenario's `usd_cny`) over seeds,",
        "against reference points. Filled markers are cited by the brief or the parameter",
        "registry; hollow markers are approximate public spot levels, not from the seeds, shown",
        "for orientation only (see `experiments/data/reference_prices.csv`).",
        "",
        f"![Price band vs reference prices]({IMAGE_DIR}/{PRICE_FIGURE})",
        "",
        "| month | reference (CNY/t) | model median | model 10-90% | quality | source |",
        "|---|---|---|---|---|---|",
    ]
    prices = result.prices_cny_t
    for ref in reference.itertuples(index=False):
        month = ref.date
        if month in prices.index:
            row = prices.loc[month]
            model = _num(float(row.median()))
            band = f"{_num(float(row.quantile(0.1)))} .. {_num(float(row.quantile(0.9)))}"
        else:
            model, band = "n/a", "outside the run"
        lines.append(
            f"| {month:%Y-%m} | {_num(ref.price_cny_t)} ({_num(ref.low_cny_t)} .. "
            f"{_num(ref.high_cny_t)}) | {model} | {band} | {ref.quality} | {ref.source} |"
        )
    lines += [
        "",
        "## Patterns",
        "",
        f"The patterns of the brief (`experiments/patterns.py`), over the same {n} seeds; the",
        "counterfactual for P3 is the same scenario with `integration_enabled` and",
        "`state_support_enabled` off. A pattern holds when at least 80% of the seeds pass.",
        "",
        "| pattern | target | median | seeds passing | result |",
        "|---|---|---|---|---|",
    ]
    for row in result.patterns.itertuples(index=False):
        lines.append(
            f"| {row.pattern} | {row.target} | {_num(row.median)} | {row.seeds_passing} | "
            f"{'PASS' if row.passed else 'FAIL'} |"
        )
    lines += [
        "",
        "## How to reproduce",
        "",
        "```bash",
        command,
        "```",
    ]
    return "\n".join(lines) + "\n"


QUANTITIES_HEADING = "## Quantities: in sample 2015-2021, out of sample 2022-2025"


def quantities_section(summary: pd.DataFrame) -> list[str]:
    """Markdown of the by-year supply-history targets: per series, in-sample years (fitted by
    calibrate) and out-of-sample years (held out) side by side, and a count of each."""
    rows = summary.set_index("target")
    groups: dict[str, list] = {}
    for name in summary["target"]:
        target = TARGETS_BY_NAME[name]
        if target.group:
            groups.setdefault(target.group, []).append(target)
    if not groups:
        return []
    lines = [
        "",
        QUANTITIES_HEADING,
        "",
        "Mined output against USGS mine production (t Li x 5.323 = t LCE; the world total",
        "excludes the United States) and China's share of refining, by calendar year, from",
        "`docs/sources/supply_history/`. Calibration fits only the in-sample years; the",
        "out-of-sample years test what the fit predicts. Their misfit is shown but not part of",
        "the objective.",
        "",
        f"![Mined output by resource and by country against USGS]({IMAGE_DIR}/{PRODUCTION_FIGURE})",
        "",
        "| series | in sample: seeds within tolerance | out of sample: seeds within tolerance |",
        "|---|---|---|",
    ]
    for group, targets in groups.items():
        counts = []
        for sample in (True, False):
            part = [t for t in targets if t.in_sample is sample]
            within = sum(int(rows.loc[t.name, "seeds_within"]) for t in part)
            total = sum(int(rows.loc[t.name, "seeds"]) for t in part)
            years = f"{min(t.year for t in part)}-{max(t.year for t in part)}" if part else ""
            counts.append(f"{within}/{total} seed-years ({years})" if part else "none")
        lines.append(f"| {group} | {counts[0]} | {counts[1]} |")
    lines += [
        "",
        "| target | year | sample | unit | target | model moment | 10-90% over seeds | seeds "
        "within tolerance | weight x misfit^2 | source |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for targets in groups.values():
        for t in targets:
            row = rows.loc[t.name]
            sample = "in" if t.in_sample else "**out**"
            lines.append(
                f"| `{t.name}` | {t.year} | {sample} | {t.unit} | {t.target_text} | "
                f"{_num(row['moment'])} | {_num(row['p10'])} .. {_num(row['p90'])} | "
                f"{row['seeds_within']}/{row['seeds']} | {row['contribution']:.3g} | "
                f"{t.citation} |"
            )
    return lines


def write_validation(result: ValidationResult, out_dir: Path, command: str) -> list[Path]:
    """Write ``validation.md`` and ``img/validation_*.png`` into ``out_dir``."""
    from lithium_abm.experiments.runner import write_text_atomic

    reference = load_reference_prices()
    images = out_dir / IMAGE_DIR
    written = [
        plot_targets(result, images / TARGETS_FIGURE),
        plot_price_band(result, reference, images / PRICE_FIGURE),
    ]
    if not result.production.empty:
        written.append(plot_production(result, images / PRODUCTION_FIGURE))
    text = report_markdown(result, reference, command)
    written.append(write_text_atomic(out_dir / REPORT_FILE, text))
    return written
