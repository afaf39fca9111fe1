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

import numpy as np
import pandas as pd

from lithium_abm.experiments.patterns import (
    bust_trough_month,
    check_attribution,
    check_boom_bust,
    check_growth_despite_losses,
    check_structure,
    check_sustained_losses,
    peak_month,
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
)
TARGETS: tuple[Target, ...] = QUANTITY_TARGETS + PATTERN_TARGETS
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
    """The targets with non-zero weight after ``weights`` overrides; unknown names raise."""
    weights = weights or {}
    unknown = sorted(set(weights) - set(TARGETS_BY_NAME))
    if unknown:
        raise ValueError(f"unknown target {unknown[0]!r}; targets: {', '.join(TARGETS_BY_NAME)}")
    return tuple(t for t in TARGETS if weights.get(t.name, t.weight) > 0.0)
