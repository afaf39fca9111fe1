"""Pattern-oriented validation: the stylised facts a credible run must reproduce.

Each ``check_*`` function takes the DataFrames of one run (schema: one ``model_df`` row per
month, one ``agents_df`` row per agent per month) and returns a :class:`PatternCheck`.
A single run may pass or fail by chance, so :func:`pattern_table` judges a pattern over
seeds: it is reproduced if at least ``min_pass_share`` of the seeds pass it.

Shared conventions, chosen so that every statistic is defined on every run:

* Windows are calendar months selected by date, not row positions, so two runs can be
  compared over the same months and a window cut off by the end of the run simply holds
  fewer months.
* The bust window hangs off the peak of the chemical price *inside the peak search window*
  (2021-07..2023-06), so a run whose global maximum falls elsewhere still has a bust to
  inspect (P1 then fails on its own account).
* A statistic that cannot be computed (no bust window, no output, an empty window) is NaN
  and its pattern fails: missing evidence never counts as a pass.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

PEAK_SEARCH_START = pd.Timestamp("2021-07-01")
PEAK_SEARCH_END = pd.Timestamp("2023-06-01")
BUST_WINDOW_MONTHS = 24
LOOK_MONTHS = 36  # months before/after the peak that P1 compares against

PRICE = "price_chemical_usd_t"


@dataclass(frozen=True)
class PatternCheck:
    """Outcome of one pattern on one run; ``headline`` is the number aggregated over seeds."""

    name: str
    description: str
    target: str
    headline: float
    measured: str
    passed: bool


class Window(NamedTuple):
    """Inclusive range of month-start dates."""

    start: pd.Timestamp
    end: pd.Timestamp


def _months(n: int) -> pd.DateOffset:
    return pd.DateOffset(months=n)


def _prepare(model_df: pd.DataFrame) -> pd.DataFrame:
    """Return a date-sorted copy with a datetime ``date`` column (the run may come from parquet)."""
    df = model_df.copy()
    df["date"] = pd.to_datetime(df["date"])
    return df.sort_values("date", kind="stable").reset_index(drop=True)


def _between(df: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    return df[(df["date"] >= start) & (df["date"] <= end)]


def _fmt_date(ts: pd.Timestamp | None) -> str:
    return "none" if ts is None or pd.isna(ts) else ts.strftime("%Y-%m")


def _ratio(num: float, den: float) -> float:
    """num/den, NaN when undefined, inf when only the denominator is zero."""
    if math.isnan(num) or math.isnan(den):
        return math.nan
    if den == 0:
        return math.nan if num == 0 else math.inf
    return num / den


def _argmax_date(df: pd.DataFrame) -> pd.Timestamp | None:
    prices = df[PRICE]
    if prices.notna().sum() == 0:
        return None
    return pd.Timestamp(df.loc[prices.idxmax(), "date"])


def peak_month(model_df: pd.DataFrame) -> pd.Timestamp | None:
    """Month of the highest chemical price within the peak search window (first if tied)."""
    df = _prepare(model_df)
    return _argmax_date(_between(df, PEAK_SEARCH_START, PEAK_SEARCH_END))


def bust_window(model_df: pd.DataFrame) -> Window | None:
    """The 24 months from the first month after the peak with price <= half the peak.

    The end is nominal (start + 23 months) even if the run stops earlier; None if the price
    never halves after the peak or the run does not cover the peak search window.
    """
    df = _prepare(model_df)
    peak = peak_month(df)
    if peak is None:
        return None
    peak_price = float(df.loc[df["date"] == peak, PRICE].iloc[0])
    after = df[(df["date"] > peak) & (df[PRICE] <= 0.5 * peak_price)]
    if after.empty:
        return None
    start = pd.Timestamp(after["date"].iloc[0])
    return Window(start, start + _months(BUST_WINDOW_MONTHS - 1))


def bust_trough_month(model_df: pd.DataFrame) -> pd.Timestamp | None:
    """Month of the lowest chemical price in the 36 months after the peak ("the trough").

    Uses the search-window peak like the bust window, falling back to the global peak when
    the run does not cover the search window.
    """
    df = _prepare(model_df)
    peak = peak_month(df)
    if peak is None:
        peak = _argmax_date(df)
    if peak is None:
        return None
    post = _between(df, peak + _months(1), peak + _months(LOOK_MONTHS))
    post = post[post[PRICE].notna()]
    if post.empty:
        return None
    return pd.Timestamp(post.loc[post[PRICE].idxmin(), "date"])


def longest_run(mask: Sequence[bool] | pd.Series) -> int:
    """Length of the longest stretch of consecutive True values."""
    best = current = 0
    for value in mask:
        current = current + 1 if bool(value) else 0
        best = max(best, current)
    return best


def _window_mean(df: pd.DataFrame, window: Window | None, column: str) -> float:
    if window is None:
        return math.nan
    values = _between(df, window.start, window.end)[column]
    return float(values.mean()) if values.notna().any() else math.nan


def annual_sum(model_df: pd.DataFrame, column: str) -> pd.Series:
    """Sum of a monthly flow per calendar year, indexed by year; only complete years appear."""
    df = _prepare(model_df)
    years = df["date"].dt.year
    counts = years.value_counts()
    full = counts[counts == 12].index
    return df[years.isin(full)].groupby(years)[column].sum()


HARD_ROCK = ("spodumene", "lepidolite")


def row_independent_hard_rock_t(agents_df: pd.DataFrame) -> pd.Series:
    """Monthly output (t LCE) of independent hard-rock mines outside China, by month.

    Hard rock is spodumene and lepidolite; every month of the run appears (0 when none
    produce), so a fall to nothing is a fall and not missing data.
    """
    dates = pd.to_datetime(agents_df["date"])
    mines = agents_df[agents_df["agent_type"] == "mine"]
    months = pd.DatetimeIndex(sorted(dates[mines.index].unique()))
    keep = (
        mines["resource"].isin(HARD_ROCK)
        & (mines["region"] != "CN")
        & (mines["owner_kind"] == "independent")
    )
    series = mines[keep].groupby(dates[mines[keep].index])["output_t"].sum()
    return series.reindex(months, fill_value=0.0).astype(float)


# --- P1 -----------------------------------------------------------------------------------

P1_TARGET = (
    "peak in 2021-07..2023-06, peak >= 3x pre-36m min, post-36m min <= 0.25x peak"
    " [headline: post-min/peak]"
)


def check_boom_bust(model_df: pd.DataFrame) -> PatternCheck:
    """P1: the chemical price booms to a peak in 2021-07..2023-06 and then busts."""
    df = _prepare(model_df)
    peak = _argmax_date(df)
    up = down = math.nan
    if peak is not None:
        peak_price = float(df.loc[df["date"] == peak, PRICE].iloc[0])
        pre = _between(df, peak - _months(LOOK_MONTHS), peak - _months(1))[PRICE]
        post = _between(df, peak + _months(1), peak + _months(LOOK_MONTHS))[PRICE]
        up = _ratio(peak_price, float(pre.min())) if pre.notna().any() else math.nan
        down = _ratio(float(post.min()), peak_price) if post.notna().any() else math.nan
    in_window = peak is not None and PEAK_SEARCH_START <= peak <= PEAK_SEARCH_END
    passed = bool(in_window and up >= 3.0 and down <= 0.25)
    return PatternCheck(
        name="P1 boom-bust",
        description="Chemical price peaks in 2021-07..2023-06, triples before it, collapses after",
        target=P1_TARGET,
        headline=down,
        measured=f"peak {_fmt_date(peak)}, peak/pre-min {up:.2f}, post-min/peak {down:.3f}",
        passed=passed,
    )


# --- P2 -----------------------------------------------------------------------------------

P2_TARGET = (
    "in bust window: lepidolite loss share >= 0.4 for >= 12 consecutive months, independents'"
    " loss share <= 0.5x supported [headline: longest run, months]"
)


def check_sustained_losses(model_df: pd.DataFrame) -> PatternCheck:
    """P2: lepidolite keeps producing at a loss through the bust, mostly on supported owners."""
    df = _prepare(model_df)
    window = bust_window(df)
    run = 0
    share_ind = share_sup = math.nan
    if window is not None:
        w = _between(df, window.start, window.end)
        # NaN (no lepidolite output) compares False, so it breaks a run.
        run = longest_run(w["loss_making_share_lepidolite"] >= 0.4)
        share_ind = _ratio(
            float(w["loss_output_t_independent"].sum()), float(w["output_t_independent"].sum())
        )
        share_sup = _ratio(
            float(w["loss_output_t_supported"].sum()), float(w["output_t_supported"].sum())
        )
    passed = bool(window is not None and run >= 12 and share_ind <= 0.5 * share_sup)
    return PatternCheck(
        name="P2 sustained losses",
        description="Lepidolite output stays loss-making through the bust, carried by support",
        target=P2_TARGET,
        headline=float(run) if window is not None else math.nan,
        measured=(
            f"window {_fmt_date(window.start if window else None)}, longest run {run} mo,"
            f" loss share independent {share_ind:.3f} vs supported {share_sup:.3f}"
        ),
        passed=passed,
    )


# --- P3 -----------------------------------------------------------------------------------

P3_TARGET = (
    "no_support mean lepidolite loss share in its bust window <= 0.5x baseline's"
    " [headline: no_support/baseline]"
)


def check_attribution(base_model: pd.DataFrame, nosup_model: pd.DataFrame) -> PatternCheck:
    """P3: removing state support at least halves lepidolite loss-making in the bust.

    If the no_support run has no bust of its own, it is judged over the baseline's calendar
    months, so a run in which support removal prevents the bust is still compared.
    The baseline must show some loss-making: there is nothing to attribute otherwise.
    """
    base = _prepare(base_model)
    nosup = _prepare(nosup_model)
    base_window = bust_window(base)
    own_window = bust_window(nosup)
    nosup_window = own_window if own_window is not None else base_window
    col = "loss_making_share_lepidolite"
    base_mean = _window_mean(base, base_window, col)
    nosup_mean = _window_mean(nosup, nosup_window, col)
    ratio = _ratio(nosup_mean, base_mean)
    passed = bool(base_mean > 0 and nosup_mean <= 0.5 * base_mean)
    source = "own" if own_window is not None else "baseline's"
    return PatternCheck(
        name="P3 attribution",
        description="Without state support lepidolite loss-making in the bust at least halves",
        target=P3_TARGET,
        headline=ratio,
        measured=(
            f"baseline {base_mean:.3f}, no_support {nosup_mean:.3f} ({source} window),"
            f" ratio {ratio:.3f}"
        ),
        passed=passed,
    )


# --- P4 -----------------------------------------------------------------------------------

P4_TARGET = "lepidolite output in bust window >= 24 months before it [headline: ratio]"


def check_growth_despite_losses(model_df: pd.DataFrame) -> PatternCheck:
    """P4: lepidolite output does not shrink in the bust even though it is loss-making."""
    df = _prepare(model_df)
    window = bust_window(df)
    during = before = ratio = math.nan
    if window is not None:
        col = "production_t_lepidolite"
        during = float(_between(df, window.start, window.end)[col].sum())
        pre_start = window.start - _months(BUST_WINDOW_MONTHS)
        before = float(_between(df, pre_start, window.start - _months(1))[col].sum())
        ratio = _ratio(during, before)
    passed = bool(window is not None and during >= before)
    return PatternCheck(
        name="P4 growth despite losses",
        description="Lepidolite production in the bust is not below the 24 months before it",
        target=P4_TARGET,
        headline=ratio,
        measured=f"bust {during:,.0f} t vs before {before:,.0f} t, ratio {ratio:.3f}",
        passed=passed,
    )


# --- P5 -----------------------------------------------------------------------------------

P5_TARGET = (
    "China refining share >= 0.5 every year 2018-2030; 2024 median chem-equiv cost"
    " lepidolite > spodumene > brine [headline: min annual China share]"
)
P5_YEARS = range(2018, 2031)
P5_COST_YEAR = 2024
RESOURCES = ("brine", "spodumene", "lepidolite")


def cost_medians(agents_df: pd.DataFrame, year: int = P5_COST_YEAR) -> dict[str, float]:
    """Median chemical-equivalent cash cost by resource of operating/ramping mines in a year."""
    dates = pd.to_datetime(agents_df["date"])
    mines = agents_df[
        (agents_df["agent_type"] == "mine")
        & agents_df["state"].isin(["operating", "ramp_up"])
        & (dates.dt.year == year)
    ]
    medians = mines.groupby("resource")["cost_chem_equiv_usd_t"].median()
    return {r: float(medians.get(r, math.nan)) for r in RESOURCES}


def check_structure(model_df: pd.DataFrame, agents_df: pd.DataFrame) -> PatternCheck:
    """P5: China dominates refining throughout, and lepidolite is the high-cost resource."""
    df = _prepare(model_df)
    annual = df.groupby(df["date"].dt.year)["china_refining_share"].mean()
    annual = annual.reindex(list(P5_YEARS))  # a year missing from the run becomes NaN
    min_share = float(annual.min()) if annual.notna().any() else math.nan
    china_ok = bool(annual.notna().all() and (annual >= 0.5).all())
    med = cost_medians(agents_df)
    order_ok = bool(med["lepidolite"] > med["spodumene"] > med["brine"])
    return PatternCheck(
        name="P5 structure",
        description="China refines most lithium; lepidolite costs more than spodumene than brine",
        target=P5_TARGET,
        headline=min_share,
        measured=(
            f"min annual China share {min_share:.3f}; 2024 medians lep {med['lepidolite']:,.0f},"
            f" spod {med['spodumene']:,.0f}, brine {med['brine']:,.0f} USD/t"
        ),
        passed=china_ok and order_ok,
    )


# --- P6 -----------------------------------------------------------------------------------

P6_TARGET = (
    "in bust window: RoW independent hard-rock output (mean per month) < the 12 months"
    " before it [headline: ratio]"
)
P6_BEFORE_MONTHS = 12


def check_curtailment(model_df: pd.DataFrame, agents_df: pd.DataFrame) -> PatternCheck:
    """P6: outside China, independent hard-rock mines cut output in the bust.

    The comparison is of monthly means (the window has 24 months, the reference 12), so a
    mine that cuts back for only part of the bust still lowers the level. The real bust saw
    Finniss, Bald Hill and Ngungaju go into care and maintenance in 2024 (Mt Cattlin in 2025),
    docs/sources/supply_history/australia_operations.csv.
    """
    window = bust_window(model_df)
    during = before = ratio = math.nan
    if window is not None:
        series = row_independent_hard_rock_t(agents_df)
        in_window = series[(series.index >= window.start) & (series.index <= window.end)]
        pre_start = window.start - _months(P6_BEFORE_MONTHS)
        pre = series[(series.index >= pre_start) & (series.index < window.start)]
        during = float(in_window.mean()) if len(in_window) else math.nan
        before = float(pre.mean()) if len(pre) == P6_BEFORE_MONTHS else math.nan
        ratio = _ratio(during, before)
    passed = bool(window is not None and during < before)
    return PatternCheck(
        name="P6 curtailment",
        description="Independent hard-rock output outside China falls in the bust",
        target=P6_TARGET,
        headline=ratio,
        measured=(
            f"window {_fmt_date(window.start if window else None)}, {during:,.0f} t/mo vs"
            f" {before:,.0f} t/mo before, ratio {ratio:.3f}"
        ),
        passed=passed,
    )


# --- P7 -----------------------------------------------------------------------------------

P7_TARGET = (
    "world mined output never falls > 15% y/y in 2015-2035; unmet demand <= 2% of demand"
    " every year 2015-2025 [headline: largest y/y fall]"
)
P7_OUTPUT_YEARS = range(2015, 2036)
P7_UNMET_YEARS = range(2015, 2026)
P7_MAX_FALL = 0.15
P7_MAX_UNMET_SHARE = 0.02


def output_falls(model_df: pd.DataFrame) -> pd.Series:
    """World mined output's fall into each year 2016-2035 as a fraction of the year before
    (negative for a rise; NaN where a year is not covered in full)."""
    output = annual_sum(model_df, "production_t").reindex(list(P7_OUTPUT_YEARS))
    return -(output / output.shift(1) - 1.0).iloc[1:]


def unmet_shares(model_df: pd.DataFrame) -> pd.Series:
    """Unmet demand over demand in each year 2015-2025 (NaN where a year is not covered)."""
    unmet = annual_sum(model_df, "unmet_demand_t").reindex(list(P7_UNMET_YEARS))
    demand = annual_sum(model_df, "demand_t").reindex(list(P7_UNMET_YEARS))
    return unmet / demand.where(demand > 0)


def check_no_collapse(model_df: pd.DataFrame) -> PatternCheck:
    """P7: world output does not collapse and demand is served (in reality world output fell
    about 4% in 2020 and demand was met from stocks and by price).

    A year the run does not cover in full is NaN and fails, like a missing year in P5.
    """
    output = annual_sum(model_df, "production_t").reindex(list(P7_OUTPUT_YEARS))
    falls = output_falls(model_df)
    largest = float(falls.max()) if falls.notna().any() else math.nan
    fall_year = int(falls.idxmax()) if falls.notna().any() else None
    share = unmet_shares(model_df)
    worst = float(share.max()) if share.notna().any() else math.nan
    worst_year = int(share.idxmax()) if share.notna().any() else None
    output_ok = bool(output.notna().all() and (falls <= P7_MAX_FALL).all())
    unmet_ok = bool(share.notna().all() and (share <= P7_MAX_UNMET_SHARE).all())
    return PatternCheck(
        name="P7 no collapse",
        description="World output never falls >15% in a year; demand is met (2015-2025)",
        target=P7_TARGET,
        headline=max(largest, 0.0) if math.isfinite(largest) else largest,
        measured=(
            f"largest fall {largest:.3f} into {fall_year}, worst unmet share {worst:.3f}"
            f" in {worst_year}"
        ),
        passed=output_ok and unmet_ok,
    )


# --- aggregation ---------------------------------------------------------------------------


def evaluate_run_patterns(
    base_model: pd.DataFrame,
    base_agents: pd.DataFrame,
    nosup_model: pd.DataFrame,
    nosup_agents: pd.DataFrame,
) -> list[PatternCheck]:
    """All patterns for one seed: a baseline run and its paired no_support run.

    ``nosup_agents`` is accepted for symmetry; no pattern currently needs it.
    """
    del nosup_agents
    return [
        check_boom_bust(base_model),
        check_sustained_losses(base_model),
        check_attribution(base_model, nosup_model),
        check_growth_despite_losses(base_model),
        check_structure(base_model, base_agents),
        check_curtailment(base_model, base_agents),
        check_no_collapse(base_model),
    ]


def pattern_table(per_seed: list[list[PatternCheck]], min_pass_share: float = 0.8) -> pd.DataFrame:
    """Aggregate checks over seeds: median headline and share of seeds passing.

    A seed that lacks a pattern counts as failing it, so the denominator is always the
    number of seeds.
    """
    n_seeds = len(per_seed)
    order: list[str] = []
    by_name: dict[str, list[PatternCheck]] = {}
    for checks in per_seed:
        for check in checks:
            if check.name not in by_name:
                order.append(check.name)
                by_name[check.name] = []
            by_name[check.name].append(check)
    rows = []
    for name in order:
        checks = by_name[name]
        headlines = np.array([c.headline for c in checks], dtype=float)
        finite = headlines[~np.isnan(headlines)]
        n_pass = sum(c.passed for c in checks)
        rows.append(
            {
                "pattern": name,
                "target": checks[0].target,
                "median": float(np.median(finite)) if finite.size else math.nan,
                "seeds_passing": f"{n_pass}/{n_seeds}",
                "passed": bool(n_seeds > 0 and n_pass / n_seeds >= min_pass_share - 1e-12),
            }
        )
    columns = ["pattern", "target", "median", "seeds_passing", "passed"]
    return pd.DataFrame(rows, columns=columns)


def format_table(df: pd.DataFrame) -> str:
    """Render a :func:`pattern_table` as fixed-width text for a terminal."""
    cells: list[list[str]] = []
    for row in df.itertuples(index=False):
        cells.append(
            [
                str(row.pattern),
                f"{row.median:.3g}",
                str(row.seeds_passing),
                "PASS" if row.passed else "FAIL",
                str(row.target),
            ]
        )
    header = ["pattern", "median", "seeds", "result", "target"]
    right = [False, True, True, False, False]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(header)]

    def line(values: list[str]) -> str:
        parts = [
            v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out.extend(line(c) for c in cells)
    return "\n".join(out)
