"""Outcome metrics of one run: named functions of its monthly ``model_df``, registered in one place.

A sweep stores one number per metric per run, so a study's outcomes are declared by name in the
spec and computed inside the worker (the monthly frame never has to cross a process boundary).
Add your own with the decorator::

    @register_metric("mean_price_usd_t", unit="USD/t LCE")
    def mean_price(model_df):
        "Mean chemical price over the run."
        return float(model_df["price_chemical_usd_t"].mean())

A metric that cannot be computed on a run (the run ends before 2030, the price never halves)
returns NaN rather than raising: a missing value is an outcome, a raise marks the run as failed.
Worker processes (the local pool starts them from a forkserver; Dask) only know metrics defined in
modules they import: list such modules under ``metric_modules`` in the spec. ``--workers 1`` runs
in the calling process and sees every registered metric.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from lithium_abm.experiments.patterns import (
    PRICE,
    bust_trough_month,
    bust_window,
    peak_month,
)

type MetricFn = Callable[[pd.DataFrame], float]


@dataclass(frozen=True)
class Metric:
    """A named outcome: the function, its unit and a one-line meaning."""

    name: str
    func: MetricFn
    unit: str
    doc: str

    def __call__(self, model_df: pd.DataFrame) -> float:
        return float(self.func(model_df))


METRICS: dict[str, Metric] = {}


def register_metric(
    name: str, unit: str, doc: str | None = None, replace: bool = False
) -> Callable[[MetricFn], MetricFn]:
    """Decorator adding ``func`` to :data:`METRICS`; ``doc`` defaults to its docstring's first line.

    Registering a taken name raises unless ``replace`` is true, so two plug-ins cannot silently
    shadow each other.
    """

    def decorate(func: MetricFn) -> MetricFn:
        if name in METRICS and not replace:
            raise ValueError(f"metric {name!r} is already registered")
        text = doc if doc is not None else (func.__doc__ or "").strip().split("\n")[0]
        METRICS[name] = Metric(name, func, unit, text)
        return func

    return decorate


def unregister_metric(name: str) -> None:
    """Remove a metric (tests and interactive sessions that redefine one)."""
    METRICS.pop(name, None)


def compute_metrics(model_df: pd.DataFrame, names: tuple[str, ...] | list[str]) -> dict[str, float]:
    """Every named metric of one run; raises whatever a metric raises (the run then fails)."""
    df = _dated(model_df)
    return {name: METRICS[name](df) for name in names}


# --- helpers ------------------------------------------------------------------------------


def _dated(model_df: pd.DataFrame) -> pd.DataFrame:
    """The frame with a datetime ``date`` column, sorted; untouched when it already is."""
    dates = model_df["date"]
    if pd.api.types.is_datetime64_any_dtype(dates) and dates.is_monotonic_increasing:
        return model_df
    df = model_df.copy()
    df["date"] = pd.to_datetime(df["date"])
    return df.sort_values("date", kind="stable").reset_index(drop=True)


def _peak(df: pd.DataFrame) -> pd.Timestamp | None:
    """The boom's peak: highest price in the patterns' peak window, else the run's maximum."""
    peak = peak_month(df)
    if peak is None and df[PRICE].notna().any():
        peak = pd.Timestamp(df.loc[df[PRICE].idxmax(), "date"])
    return peak


def _price_at(df: pd.DataFrame, when: pd.Timestamp | None) -> float:
    if when is None:
        return math.nan
    return float(df.loc[df["date"] == when, PRICE].iloc[0])


def _year(df: pd.DataFrame, year: int, column: str) -> pd.Series | None:
    """The column's 12 values of ``year``, or None if the run does not cover the whole year."""
    values = df.loc[df["date"].dt.year == year, column]
    return values if len(values) == 12 else None


# --- the built-in metrics -----------------------------------------------------------------


@register_metric("peak_price_usd_t", unit="USD/t LCE")
def peak_price(df: pd.DataFrame) -> float:
    """Chemical price at the boom's peak (highest in 2021-07..2023-06, else run maximum)."""
    return _price_at(df, _peak(df))


@register_metric("trough_price_usd_t", unit="USD/t LCE")
def trough_price(df: pd.DataFrame) -> float:
    """Lowest chemical price in the 36 months after the peak."""
    return _price_at(df, bust_trough_month(df))


@register_metric("peak_to_trough_fall", unit="share")
def peak_to_trough_fall(df: pd.DataFrame) -> float:
    """Fall of the chemical price from peak to trough, 1 - trough/peak (0.9 = a 90% bust)."""
    peak = peak_price(df)
    trough = trough_price(df)
    return 1.0 - trough / peak if peak > 0 else math.nan


@register_metric("months_peak_to_trough", unit="months")
def months_peak_to_trough(df: pd.DataFrame) -> float:
    """Months from the peak to the trough of the bust."""
    peak, trough = _peak(df), bust_trough_month(df)
    if peak is None or trough is None:
        return math.nan
    return float((trough.year - peak.year) * 12 + trough.month - peak.month)


def _bust_rows(df: pd.DataFrame) -> pd.DataFrame | None:
    """The months of the 24-month bust window (None without a bust)."""
    window = bust_window(df)
    if window is None:
        return None
    return df[(df["date"] >= window.start) & (df["date"] <= window.end)]


@register_metric("lepidolite_loss_share_bust", unit="share of lepidolite output")
def lepidolite_loss_share_bust(df: pd.DataFrame) -> float:
    """Mean share of lepidolite output made at a loss in the 24-month bust window."""
    rows = _bust_rows(df)
    if rows is None:
        return math.nan
    values = rows["loss_making_share_lepidolite"]
    return float(values.mean()) if values.notna().any() else math.nan


@register_metric("cumulative_support_usd_bn", unit="USD bn")
def cumulative_support(df: pd.DataFrame) -> float:
    """Government subsidies plus state equity stakes paid over the whole run."""
    return float(df["subsidy_usd"].sum() + df["equity_stakes_usd"].sum()) / 1e9


@register_metric("china_self_sufficiency_2030", unit="share")
def china_self_sufficiency_2030(df: pd.DataFrame) -> float:
    """China's lithium self-sufficiency, mean of 2030 (NaN if the run misses part of 2030)."""
    values = _year(df, 2030, "china_self_sufficiency")
    return math.nan if values is None else float(values.mean())


@register_metric("lepidolite_output_2030_t", unit="t LCE/yr")
def lepidolite_output_2030(df: pd.DataFrame) -> float:
    """Lepidolite output in 2030 (NaN if the run misses part of 2030)."""
    values = _year(df, 2030, "production_t_lepidolite")
    return math.nan if values is None else float(values.sum())


@register_metric("lepidolite_output_bust_t", unit="t LCE")
def lepidolite_output_bust(df: pd.DataFrame) -> float:
    """Lepidolite output summed over the 24-month bust window (NaN without a bust)."""
    rows = _bust_rows(df)
    return math.nan if rows is None else float(rows["production_t_lepidolite"].sum())
