"""Target statistics for calibration and validation: observed facts a run should reproduce.

Each :class:`Target` is a named statistic of one run's monthly model frame (the columns of
``model.parquet``), an accepted range with a citation, a residual scale and a weight. The
patterns of the brief that one run can judge (P1, P2, P4, P5 of
:mod:`lithium_abm.experiments.patterns`, reused as they are) are targets too: each seed passes
(1) or fails (0) and the moment is the share of seeds passing, which must reach 0.8 as in
``lithium-abm patterns``. P3 needs a counterfactual run and is left to validation. The same
definitions serve ``lithium-abm calibrate`` (a weighted distance to minimise) and
``lithium-abm validate`` (model against target, with the spread over seeds), so the two can
never disagree about what a statistic means.

The supply history of ``docs/sources/supply_history`` adds targets by calendar year
(:data:`HISTORY_TARGETS`): world mined output, output of Australia, Chile, China and
Argentina (USGS, t Li x 5.323 = t LCE) and China's refining share. Those of 2015-2021 are in
sample; those of 2022-2025 are out of sample (``in_sample=False``): :func:`select_targets`,
which calibrate uses, never returns them, and validate reports them beside the fit.

Prices are compared in CNY because the sources quote China spot prices in CNY; the model's
``price_chemical_cny_t`` uses the run's own ``usd_cny``. Windows are calendar months, like the
patterns (:mod:`lithium_abm.experiments.patterns`), whose peak and trough helpers are reused.
A statistic that cannot be computed is NaN and costs a fixed penalty: missing evidence never
fits.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from lithium_abm.experiments.patterns import (
    P7_MAX_FALL,
    P7_MAX_UNMET_SHARE,
    bust_trough_month,
    check_attribution,
    check_boom_bust,
    check_curtailment,
    check_growth_despite_losses,
    check_no_collapse,
    check_structure,
    check_sustained_losses,
    output_falls,
    peak_month,
    unmet_shares,
)

PRICE_CNY = "price_chemical_cny_t"
# Residual (in scale units) charged for a statistic the run cannot produce.
NAN_RESIDUAL = 5.0
# A statistic within this many scale units of its range counts as reproduced in reports.
TOLERANCE_SCALES = 1.0
REAL_PEAK_MONTH = pd.Timestamp("2022-11-01")
PATTERN_PASS_SHARE = 0.8  # as pattern_table's min_pass_share

BRIEF = "docs/sources/MODEL_BRIEF.md"
SEED_FT = "docs/sources/seeds/000, 001 (news features on Yichun, 2025)"
SEED_REVIEW = "docs/sources/seeds/002 (review of China's lithium and power-battery chain)"
SEED_NOTES = "docs/sources/seeds/003 (note on China's strategic minerals, May 2025)"


@dataclass(frozen=True)
class Target:
    """One target: a statistic of a run, the range the sources allow, and its weight.

    ``scale`` is the distance (in the statistic's unit, or in natural-log units when ``log``)
    that counts as one unit of misfit; it makes targets in different units comparable.
    """

    name: str
    description: str
    statistic: Callable[..., float]  # (model_df) or, if needs_agents, (model_df, agents_df)
    low: float
    high: float
    scale: float
    weight: float
    unit: str
    citation: str
    log: bool = False
    # "median" over seeds for quantities; "mean" for pass/fail patterns (= share of seeds).
    aggregate: str = "median"
    needs_agents: bool = False  # the statistic also takes the agents frame
    # The statistic compares with the same seed's counterfactual run (integration and state
    # support off): it takes (model_df, counterfactual_model_df).
    needs_counterfactual: bool = False
    # Calibrate fits only in-sample targets (quantities: 2015-2021); validate reports the
    # out-of-sample ones (2022-2025) beside them.
    in_sample: bool = True
    group: str = ""  # a by-year series of the supply history ("" for a single statistic)
    year: int | None = None

    def residual(self, value: float) -> float:
        """Signed misfit in scale units: 0 inside [low, high], positive above, negative below."""
        if value is None or not math.isfinite(value) or (self.log and value <= 0.0):
            return NAN_RESIDUAL
        t = math.log if self.log else float
        if value < self.low:
            return (t(value) - t(self.low)) / self.scale
        if value > self.high:
            return (t(value) - t(self.high)) / self.scale
        return 0.0

    def contribution(self, value: float) -> float:
        """This target's share of the objective: weight times the squared residual."""
        return self.weight * self.residual(value) ** 2

    def within_tolerance(self, value: float) -> bool:
        return abs(self.residual(value)) <= TOLERANCE_SCALES and math.isfinite(value)

    @property
    def target_text(self) -> str:
        if self.low == self.high:
            return _fmt(self.low)
        return f"{_fmt(self.low)} .. {_fmt(self.high)}"


def _fmt(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


# --- helpers over a monthly frame ------------------------------------------------------------


def _dated(model_df: pd.DataFrame) -> pd.DataFrame:
    df = model_df.copy()
    df["date"] = pd.to_datetime(df["date"])
    return df.sort_values("date", kind="stable")


def window_mean(model_df: pd.DataFrame, column: str, start: str, end: str) -> float:
    """Mean of ``column`` over the months ``start``..``end`` (inclusive); NaN if none."""
    df = _dated(model_df)
    values = df.loc[(df["date"] >= start) & (df["date"] <= end), column].dropna()
    return float(values.mean()) if len(values) else math.nan


def year_total(model_df: pd.DataFrame, column: str, year: int) -> float:
    """Sum of a monthly flow over a calendar year; NaN unless all twelve months are present."""
    df = _dated(model_df)
    values = df.loc[df["date"].dt.year == year, column]
    return float(values.sum()) if values.notna().sum() == 12 else math.nan


def _ratio(num: float, den: float) -> float:
    if not (math.isfinite(num) and math.isfinite(den)) or den <= 0.0:
        return math.nan
    return num / den


# --- the statistics ----------------------------------------------------------------------------


def price_2015h1_cny_t(model_df: pd.DataFrame) -> float:
    """Mean chemical price in the first half of 2015: the pre-boom level."""
    return window_mean(model_df, PRICE_CNY, "2015-01-01", "2015-06-01")


def peak_price_cny_t(model_df: pd.DataFrame) -> float:
    """Highest chemical price in the peak search window (2021-07..2023-06) of the patterns."""
    peak = peak_month(model_df)
    if peak is None:
        return math.nan
    df = _dated(model_df)
    return float(df.loc[df["date"] == peak, PRICE_CNY].iloc[0])


def peak_offset_months(model_df: pd.DataFrame) -> float:
    """Months from the real peak (2022-11) to the model's peak in the search window."""
    peak = peak_month(model_df)
    if peak is None:
        return math.nan
    return float((peak.year - REAL_PEAK_MONTH.year) * 12 + peak.month - REAL_PEAK_MONTH.month)


def trough_to_peak(model_df: pd.DataFrame) -> float:
    """Lowest price within 36 months after the peak divided by the peak: 0.1 is a 90% fall."""
    peak = peak_price_cny_t(model_df)
    trough = bust_trough_month(model_df)
    if trough is None:
        return math.nan
    df = _dated(model_df)
    return _ratio(float(df.loc[df["date"] == trough, PRICE_CNY].iloc[0]), peak)


def price_mid2025_cny_t(model_df: pd.DataFrame) -> float:
    """Mean chemical price 2025-04..2025-09: where the bust stood in mid-2025."""
    return window_mean(model_df, PRICE_CNY, "2025-04-01", "2025-09-01")


def china_refining_share_2020(model_df: pd.DataFrame) -> float:
    """China's share of world chemical output, mean of 2020."""
    return window_mean(model_df, "china_refining_share", "2020-01-01", "2020-12-01")


def china_refining_share_2023_2025(model_df: pd.DataFrame) -> float:
    """China's share of world chemical output, mean of 2023-2025 (through the bust)."""
    return window_mean(model_df, "china_refining_share", "2023-01-01", "2025-12-01")


def lepidolite_growth_2020_2024(model_df: pd.DataFrame) -> float:
    """Lepidolite output in 2024 over 2020: the Yichun expansion."""
    return _ratio(
        year_total(model_df, "production_t_lepidolite", 2024),
        year_total(model_df, "production_t_lepidolite", 2020),
    )


def lepidolite_loss_share_bust(model_df: pd.DataFrame) -> float:
    """Mean share of lepidolite output made at a loss, 2023-07..2025-06 (the real bust)."""
    return window_mean(model_df, "loss_making_share_lepidolite", "2023-07-01", "2025-06-01")


def production_cagr_2015_2020(model_df: pd.DataFrame) -> float:
    """Compound annual growth of world mined output from 2015 to 2020."""
    ratio = _ratio(
        year_total(model_df, "production_t", 2020), year_total(model_df, "production_t", 2015)
    )
    return ratio ** (1 / 5) - 1.0 if math.isfinite(ratio) else math.nan


QUANTITY_TARGETS: tuple[Target, ...] = (
    Target(
        "price_2015h1_cny_t",
        "Chemical price, mean 2015-01..06",
        price_2015h1_cny_t,
        40_000.0,
        45_000.0,
        scale=0.25,
        weight=0.5,
        unit="CNY/t LCE",
        citation="China battery-grade carbonate early 2015, CNY 40-45k/t (source of "
        "initial_price_chemical_usd_t in the parameter registry)",
        log=True,
    ),
    Target(
        "peak_price_cny_t",
        "Chemical price peak in 2021-07..2023-06",
        peak_price_cny_t,
        580_000.0,
        600_000.0,
        scale=0.25,
        weight=1.0,
        unit="CNY/t LCE",
        citation=f"{BRIEF}: China spot battery-grade carbonate about CNY 580-600k/t in Nov 2022",
        log=True,
    ),
    Target(
        "peak_offset_months",
        "Model peak month minus 2022-11",
        peak_offset_months,
        -3.0,
        3.0,
        scale=6.0,
        weight=0.5,
        unit="months",
        citation=f"{BRIEF}: the late-2022 peak (November 2022)",
    ),
    Target(
        "trough_to_peak",
        "Lowest price within 36 months after the peak / peak",
        trough_to_peak,
        0.09,
        0.20,
        scale=0.10,
        weight=1.0,
        unit="ratio",
        citation=f"{SEED_FT}: prices down nearly 90% since 2022; {BRIEF} P1: a fall of 80-90%",
    ),
    Target(
        "price_mid2025_cny_t",
        "Chemical price, mean 2025-04..09",
        price_mid2025_cny_t,
        55_000.0,
        65_000.0,
        scale=0.25,
        weight=0.5,
        unit="CNY/t LCE",
        citation=f"{BRIEF}: about CNY 60k/t in mid-2025",
        log=True,
    ),
    Target(
        "china_refining_share_2020",
        "China's share of chemical output, 2020",
        china_refining_share_2020,
        0.62,
        0.72,
        scale=0.05,
        weight=1.0,
        unit="share",
        citation=f"{SEED_REVIEW}: China's lithium salts output 2020 about 67% of the world's",
    ),
    Target(
        "china_refining_share_2023_2025",
        "China's share of chemical output, 2023-2025",
        china_refining_share_2023_2025,
        0.50,
        1.00,
        scale=0.05,
        weight=0.5,
        unit="share",
        citation=f"{SEED_NOTES}: China controls over half of world lithium refining; {BRIEF} P5",
    ),
    Target(
        "lepidolite_growth_2020_2024",
        "Lepidolite output 2024 / 2020",
        lepidolite_growth_2020_2024,
        15.0,
        25.0,
        scale=math.log(2.0),
        weight=1.0,
        unit="ratio",
        citation=f"{SEED_FT}: China's lepidolite output up about 20x since 2020 (Benchmark)",
        log=True,
    ),
    Target(
        "lepidolite_loss_share_bust",
        "Share of lepidolite output at a loss, 2023-07..2025-06",
        lepidolite_loss_share_bust,
        0.50,
        1.00,
        scale=0.10,
        weight=1.0,
        unit="share",
        citation=f"{SEED_FT}: more than half of tracked lepidolite output at a loss (CRU)",
    ),
    Target(
        "production_cagr_2015_2020",
        "World mined output, annual growth 2015-2020",
        production_cagr_2015_2020,
        0.18,
        0.22,
        scale=0.05,
        # Low weight: the brief's exogenous demand path grows 13%/yr over these years, so
        # behavioural parameters can close only part of the gap.
        weight=0.25,
        unit="1/yr",
        citation=f"{SEED_REVIEW}: world lithium production grew 20%/yr on average 2015-2020",
    ),
)


def pattern_p1(model_df: pd.DataFrame) -> float:
    """1 if the run passes P1 (boom and bust in 2021-07..2023-06), else 0."""
    return float(check_boom_bust(model_df).passed)


def pattern_p2(model_df: pd.DataFrame) -> float:
    """1 if the run passes P2 (sustained loss-making lepidolite output in the bust), else 0."""
    return float(check_sustained_losses(model_df).passed)


def pattern_p3(model_df: pd.DataFrame, counterfactual_df: pd.DataFrame) -> float:
    """1 if the run passes P3 against its counterfactual (support off halves the losses)."""
    return float(check_attribution(model_df, counterfactual_df).passed)


def pattern_p4(model_df: pd.DataFrame) -> float:
    """1 if the run passes P4 (lepidolite output does not shrink in the bust), else 0."""
    return float(check_growth_despite_losses(model_df).passed)


def pattern_p5(model_df: pd.DataFrame, agents_df: pd.DataFrame) -> float:
    """1 if the run passes P5 (China refines most; lepidolite the costliest), else 0."""
    return float(check_structure(model_df, agents_df).passed)


def pattern_p6(model_df: pd.DataFrame, agents_df: pd.DataFrame) -> float:
    """1 if the run passes P6 (independent hard rock outside China curtails in the bust)."""
    return float(check_curtailment(model_df, agents_df).passed)


def pattern_p7(model_df: pd.DataFrame) -> float:
    """1 if the run passes P7 (no collapse of world output, demand served), else 0."""
    return float(check_no_collapse(model_df).passed)


def largest_output_fall(model_df: pd.DataFrame) -> float:
    """P7's first half as a number: the largest one-year fall of world mined output, 2015-2035
    (NaN if the run does not cover those years)."""
    falls = output_falls(model_df)
    return math.nan if falls.isna().any() else float(max(0.0, falls.max()))


def worst_unmet_share(model_df: pd.DataFrame) -> float:
    """P7's second half as a number: the largest yearly share of demand unmet, 2015-2025."""
    share = unmet_shares(model_df)
    return math.nan if share.isna().any() else float(share.max())


def _pattern_target(name: str, description: str, statistic: Callable, **kwargs) -> Target:
    return Target(
        name,
        description,
        statistic,
        PATTERN_PASS_SHARE,
        1.0,
        scale=0.2,  # one seed in five
        weight=1.0,
        unit="share of seeds",
        citation=f"{BRIEF}, patterns (experiments/patterns.py; holds in >= 80% of seeds)",
        aggregate="mean",
        **kwargs,
    )


PATTERN_TARGETS: tuple[Target, ...] = (
    _pattern_target("pattern_p1", "P1 boom and bust, share of seeds passing", pattern_p1),
    _pattern_target("pattern_p2", "P2 sustained losses, share of seeds passing", pattern_p2),
    _pattern_target(
        "pattern_p3",
        "P3 attribution (against the same seed without support), share of seeds passing",
        pattern_p3,
        needs_counterfactual=True,
    ),
    _pattern_target("pattern_p4", "P4 growth despite losses, share of seeds passing", pattern_p4),
    _pattern_target(
        "pattern_p5", "P5 structure, share of seeds passing", pattern_p5, needs_agents=True
    ),
    _pattern_target(
        "pattern_p6", "P6 curtailment, share of seeds passing", pattern_p6, needs_agents=True
    ),
    _pattern_target("pattern_p7", "P7 no collapse, share of seeds passing", pattern_p7),
    Target(
        "largest_output_fall",
        "Largest one-year fall of world mined output, 2015-2035",
        largest_output_fall,
        0.0,
        P7_MAX_FALL,
        scale=0.10,
        weight=1.0,
        unit="share",
        citation=(
            "docs/sources/supply_history/usgs_mine_production_t_li.csv: world output fell at "
            "most ~9% in a year 2015-2025 (2019; 2020 about 4%); P7 allows 15%"
        ),
    ),
    Target(
        "worst_unmet_share",
        "Largest yearly share of demand unmet, 2015-2025",
        worst_unmet_share,
        0.0,
        P7_MAX_UNMET_SHARE,
        scale=0.05,
        weight=1.0,
        unit="share",
        citation=f"{BRIEF}: demand was served from stocks and by price (P7 allows 2%)",
    ),
)

# --- the supply history by year (issue 10) ------------------------------------------------------

SUPPLY = "docs/sources/supply_history"
USGS_FILE = f"{SUPPLY}/usgs_mine_production_t_li.csv"
REFINING_FILE = f"{SUPPLY}/refining_share.csv"
LCE_PER_LI = 5.323  # t LCE per t Li, as the file's README says
IN_SAMPLE_YEARS = range(2015, 2022)  # fitted; 2022-2025 are reported out of sample
OUTPUT_SCALE = math.log(1.1)  # one unit of misfit: 10% beyond the range
# Half-widths (as factors) of the range around a USGS figure: USGS revises its latest
# figures by up to ~10% (2024: 240,000 -> 222,000 t; 2023: 180,000 -> 204,000 t), more for a
# first estimate or a figure of unknown edition. Range plus one scale unit is about +-20%,
# the goal ("within 20% of USGS").
USGS_SPREAD = {"latest": 0.10, "other": 0.20}
USGS_COUNTRIES = {
    "world": "World total (excl. US)",
    "AU": "Australia",
    "CL": "Chile",
    "CN": "China",
    "AR": "Argentina",
}
# Where a row's figure was found (its `source` column), by a short name used in USGS_POINTS.
USGS_VIA = {
    "crparedes": "github:Crparedes/master-data-treatment",
    "cmm-data": "github:Redliana/cmm-data",
    "mineral-chain-navigator": "github:esomin/mineral-chain-navigator",
    "pranava0x0": "github:pranava0x0/usgs-mineral-commodity-summaries",
}
# Rows of USGS_FILE used as targets: (year, country, t Li, MCS edition, status, row source).
# The latest edition's row; 2015 world (edition unknown) and 2025 (first estimate) get the
# wider range. Years whose only row is an earlier estimate are left out.
USGS_POINTS: tuple[tuple[int, str, int, str, str, str], ...] = (
    (2015, "AU", 14100, "MCS 2017", "latest (derived)", "investingnews.com"),
    (2015, "world", 35000, "unclear", "secondary, edition unknown", "crparedes"),
    (2016, "AR", 5800, "MCS 2018", "latest (derived 5,500+300)", "centaurresources.com"),
    (2016, "CL", 14300, "MCS 2018", "latest (secondary)", "centaurresources.com"),
    (2016, "world", 38000, "MCS 2018", "latest (secondary)", "crparedes"),
    (2017, "AU", 40000, "MCS 2019", "latest (secondary)", "nsenergybusiness.com"),
    (2017, "world", 69000, "MCS 2019", "latest (secondary)", "nsenergybusiness.com"),
    (2018, "world", 95000, "MCS 2020", "latest (secondary)", "pdf4pro.com"),
    (2019, "AR", 6300, "MCS 2021", "latest (secondary)", "wikimili.com"),
    (2019, "AU", 45000, "MCS 2021", "latest (secondary)", "wikimili.com"),
    (2019, "CL", 19300, "MCS 2021", "latest (secondary)", "wikimili.com"),
    (2019, "CN", 10800, "MCS 2021", "latest (secondary)", "wikimili.com"),
    (2019, "world", 86000, "MCS 2021", "latest (secondary)", "pdf4pro.com"),
    (2020, "AR", 5900, "MCS 2022", "latest", "cmm-data"),
    (2020, "AU", 39700, "MCS 2022", "latest", "cmm-data"),
    (2020, "CL", 21500, "MCS 2022", "latest", "cmm-data"),
    (2020, "CN", 13300, "MCS 2022", "latest", "cmm-data"),
    (2020, "world", 82500, "MCS 2022", "latest", "cmm-data"),
    (2021, "AR", 5970, "MCS 2023", "latest", "cmm-data"),
    (2021, "AU", 55300, "MCS 2023", "latest", "cmm-data"),
    (2021, "CL", 28300, "MCS 2023", "latest", "cmm-data"),
    (2021, "CN", 14000, "MCS 2023", "latest", "cmm-data"),
    (2021, "world", 107000, "MCS 2023", "latest", "cmm-data"),
    (2022, "AR", 6590, "MCS 2024", "latest", "cmm-data"),
    (2022, "AU", 74700, "MCS 2024", "latest", "cmm-data"),
    (2022, "CL", 38000, "MCS 2024", "latest", "cmm-data"),
    (2022, "CN", 22600, "MCS 2024", "latest", "cmm-data"),
    (2022, "world", 146000, "MCS 2024", "latest", "cmm-data"),
    (2023, "AR", 8630, "MCS 2025", "latest", "mineral-chain-navigator"),
    (2023, "AU", 91700, "MCS 2025", "latest", "mineral-chain-navigator"),
    (2023, "CL", 41400, "MCS 2025", "latest", "mineral-chain-navigator"),
    (2023, "CN", 35700, "MCS 2025", "latest", "mineral-chain-navigator"),
    (2023, "world", 204000, "MCS 2025", "latest", "mineral-chain-navigator"),
    (2024, "AR", 13800, "MCS 2026", "latest", "pranava0x0"),
    (2024, "AU", 82700, "MCS 2026", "latest", "pranava0x0"),
    (2024, "CL", 48900, "MCS 2026", "latest", "pranava0x0"),
    (2024, "CN", 41400, "MCS 2026", "latest", "pranava0x0"),
    (2024, "world", 222000, "MCS 2026", "latest", "pranava0x0"),
    (2025, "AR", 23000, "MCS 2026", "estimate (2025e)", "pranava0x0"),
    (2025, "AU", 92000, "MCS 2026", "estimate (2025e)", "pranava0x0"),
    (2025, "CL", 56000, "MCS 2026", "estimate (2025e)", "pranava0x0"),
    (2025, "CN", 62000, "MCS 2026", "estimate (2025e)", "pranava0x0"),
    (2025, "world", 290000, "MCS 2026", "estimate (2025e)", "pranava0x0"),
)
# Rows of REFINING_FILE: (year, China's share, half-width, row source). Lithium-only figures;
# +-0.05 for a reported IEA figure, +-0.08 where the year is approximate or the compilation
# weak. Benchmark's 2019 80% covers all battery chemicals and is left out, as are forecasts.
REFINING_POINTS: tuple[tuple[int, float, float, str], ...] = (
    (2019, 0.58, 0.05, "IEA Role of Critical Minerals 2021 (reported)"),
    (2021, 0.60, 0.08, "IEA WEO 2022 via tdd-global.com (year approximate)"),
    (2023, 0.65, 0.08, "secondary compilation (weak)"),
    (2024, 0.70, 0.05, "IEA Global Critical Minerals Outlook 2025 via Argus (reported)"),
    (2025, 0.70, 0.05, "Fastmarkets via Reuters, Jun-2025 (reported)"),
)

_region_cache: list = [None, None]  # (agents frame, its annual output by region)


def _annual_output_by_region(agents_df: pd.DataFrame) -> pd.Series:
    """Mines' output per (region, year), computed once per agents frame (many targets ask)."""
    from lithium_abm.experiments.quantities import annual_mine_output_t

    if _region_cache[0] is not agents_df:
        _region_cache[:] = [agents_df, annual_mine_output_t(agents_df, by="region")]
    return _region_cache[1]


def world_output_tpa(model_df: pd.DataFrame, year: int) -> float:
    """World mined output in a calendar year (t LCE), the sum of its monthly output."""
    return year_total(model_df, "production_t", year)


def country_output_tpa(
    model_df: pd.DataFrame, agents_df: pd.DataFrame, region: str, year: int
) -> float:
    """Mined output of one country's mines in a calendar year (t LCE); NaN if not covered."""
    del model_df
    annual = _annual_output_by_region(agents_df)
    if year not in annual.index.get_level_values("year"):
        return math.nan
    return float(annual.get((region, year), 0.0))


def refining_share_year(model_df: pd.DataFrame, year: int) -> float:
    """China's share of chemical output, mean of a calendar year (as P5 and the 2020 target)."""
    return window_mean(model_df, "china_refining_share", f"{year}-01-01", f"{year}-12-01")


def _weights(groups: list[tuple[str, int]]) -> dict[str, float]:
    """Per target in a group: 1 / (its in-sample years), so a group weighs one target."""
    counts: dict[str, int] = {}
    for group, year in groups:
        counts[group] = counts.get(group, 0) + (year in IN_SAMPLE_YEARS)
    return {g: 1.0 / max(n, 1) for g, n in counts.items()}


def _history_targets() -> tuple[Target, ...]:
    out = []
    weight = _weights([(code, year) for year, code, *_ in USGS_POINTS])
    for year, code, t_li, edition, status, via in USGS_POINTS:
        spread = USGS_SPREAD["latest" if status.startswith("latest") else "other"]
        value = t_li * LCE_PER_LI
        country = USGS_COUNTRIES[code]
        where = "world" if code == "world" else code.lower()
        if code == "world":
            statistic: Callable[..., float] = partial(world_output_tpa, year=year)
        else:
            statistic = partial(country_output_tpa, region=code, year=year)
        out.append(
            Target(
                f"output_tpa_{where}_{year}",
                f"Mined output {year}, {'world' if code == 'world' else country}",
                statistic,
                value / (1.0 + spread),
                value * (1.0 + spread),
                scale=OUTPUT_SCALE,
                weight=weight[code],
                unit="t LCE/yr",
                citation=(
                    f"{USGS_FILE} row {year},{country}: {t_li:,} t Li x {LCE_PER_LI} "
                    f"(USGS {edition}, {status}; source {USGS_VIA.get(via, via)})"
                ),
                log=True,
                needs_agents=code != "world",
                in_sample=year in IN_SAMPLE_YEARS,
                group="world output" if code == "world" else f"output {code}",
                year=year,
            )
        )
    weight = _weights([("refining", year) for year, *_ in REFINING_POINTS])
    for year, share, spread, source in REFINING_POINTS:
        out.append(
            Target(
                f"refining_share_cn_{year}",
                f"China's share of chemical output, {year}",
                partial(refining_share_year, year=year),
                round(share - spread, 4),
                round(share + spread, 4),
                scale=0.05,
                weight=weight["refining"],
                unit="share",
                citation=f"{REFINING_FILE} row {year}: {share:.0%} ({source})",
                in_sample=year in IN_SAMPLE_YEARS,
                group="China refining share",
                year=year,
            )
        )
    return tuple(sorted(out, key=lambda t: (t.group != "world output", t.group, t.year)))


HISTORY_TARGETS: tuple[Target, ...] = _history_targets()
TARGETS: tuple[Target, ...] = QUANTITY_TARGETS + HISTORY_TARGETS + PATTERN_TARGETS
TARGETS_BY_NAME: dict[str, Target] = {t.name: t for t in TARGETS}


def compute_statistics(
    model_df: pd.DataFrame,
    agents_df: pd.DataFrame | None = None,
    targets: tuple[Target, ...] = TARGETS,
    counterfactual_df: pd.DataFrame | None = None,
) -> dict[str, float]:
    """Every target's statistic for one run, by target name.

    Targets that need the agents frame (P5's cost ranking) or the counterfactual run (P3) are
    NaN without it.
    """
    out = {}
    for t in targets:
        if t.needs_agents:
            out[t.name] = math.nan if agents_df is None else float(t.statistic(model_df, agents_df))
        elif t.needs_counterfactual:
            out[t.name] = (
                math.nan
                if counterfactual_df is None
                else float(t.statistic(model_df, counterfactual_df))
            )
        else:
            out[t.name] = float(t.statistic(model_df))
    return out


def counterfactual_config(config):
    """The same configuration with the counterfactual's changes (no_support.toml's parameters:
    integration and state support off), defined once, as scenario data."""
    from dataclasses import replace

    from lithium_abm.experiments.scenario import counterfactual_overrides

    params = {**config.params, **counterfactual_overrides()}
    return replace(config, params=params)


def summarise(
    per_seed: pd.DataFrame,
    targets: tuple[Target, ...] = TARGETS,
    weights: dict[str, float] | None = None,
) -> pd.DataFrame:
    """One row per target: the moment over seeds and its spread, range, weight, contribution.

    ``per_seed`` has one row per seed and one column per target. The objective is the sum of
    ``contribution``: weight x squared residual of the *moment*, the median over seeds
    (robust to the odd seed whose boom lands elsewhere) or, for patterns, the mean (the
    share of seeds passing).
    """
    weights = weights or {}
    rows = []
    for t in targets:
        values = per_seed[t.name].to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        # Any seed without the statistic makes the moment undefined: penalise it.
        if finite.size != values.size or not values.size:
            moment = math.nan
        elif t.aggregate == "mean":
            moment = float(np.mean(values))
        else:
            moment = float(np.median(values))
        weight = float(weights.get(t.name, t.weight))
        residual = t.residual(moment)
        rows.append(
            {
                "target": t.name,
                "description": t.description,
                "unit": t.unit,
                "low": t.low,
                "high": t.high,
                "aggregate": t.aggregate,
                "moment": moment,
                "p10": float(np.percentile(finite, 10)) if finite.size else math.nan,
                "p90": float(np.percentile(finite, 90)) if finite.size else math.nan,
                "seeds_within": int(sum(t.within_tolerance(v) for v in values)),
                "seeds": int(values.size),
                "weight": weight,
                "residual": residual,
                "contribution": weight * residual**2,
                "citation": t.citation,
            }
        )
    return pd.DataFrame(rows)


def select_targets(weights: dict[str, float] | None = None) -> tuple[Target, ...]:
    """The targets calibrate fits: in sample, with non-zero weight after ``weights`` overrides.

    Unknown names raise, and so does a non-zero weight on an out-of-sample target: those are
    held out for validation, never fitted.
    """
    weights = weights or {}
    unknown = sorted(set(weights) - set(TARGETS_BY_NAME))
    if unknown:
        raise ValueError(f"unknown target {unknown[0]!r}; targets: {', '.join(TARGETS_BY_NAME)}")
    held_out = sorted(n for n, w in weights.items() if w > 0 and not TARGETS_BY_NAME[n].in_sample)
    if held_out:
        raise ValueError(
            f"target {held_out[0]!r} is out of sample (2022-2025); calibrate fits only in-sample"
            " targets: give it weight 0 or leave it out"
        )
    return tuple(t for t in TARGETS if t.in_sample and weights.get(t.name, t.weight) > 0.0)
