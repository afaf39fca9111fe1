"""The metric registry: built-in metrics on a price path with known answers, and plug-ins."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lithium_abm.experiments.metrics import (
    METRICS,
    compute_metrics,
    register_metric,
    unregister_metric,
)

REQUIRED = (
    "peak_price_usd_t",
    "trough_price_usd_t",
    "peak_to_trough_fall",
    "months_peak_to_trough",
    "lepidolite_loss_share_bust",
    "cumulative_support_usd_bn",
    "china_self_sufficiency_2030",
    "lepidolite_output_2030_t",
)


def boom_bust_frame(end: str = "2031-12") -> pd.DataFrame:
    """Price 10k, peak 60k in 2022-03, trough 6k in 2024-03 (24 months later), then 8k."""
    dates = pd.date_range("2019-01-01", end, freq="MS")
    price = np.full(len(dates), 10_000.0)
    loss = np.full(len(dates), 0.1)
    for i, d in enumerate(dates):
        months = (d.year - 2022) * 12 + d.month - 3
        if -12 <= months <= 0:
            price[i] = 60_000.0 + 4_000.0 * months  # rises to the peak
        elif 0 < months <= 24:
            price[i] = 60_000.0 - 2_250.0 * months  # 6,000 at +24
        elif months > 24:
            price[i] = 8_000.0
        if months >= 10:  # first month <= 30k: +14 (28,500); bust window +14..+37
            loss[i] = 0.5
    df = pd.DataFrame(
        {
            "date": dates,
            "price_chemical_usd_t": price,
            "loss_making_share_lepidolite": loss,
            "subsidy_usd": 1e8,
            "equity_stakes_usd": 5e7,
            "china_self_sufficiency": np.where(dates.year == 2030, 0.4, 0.2),
            "production_t_lepidolite": np.where(dates.year == 2030, 20_000.0, 1_000.0),
        }
    )
    df.loc[(df["date"] >= "2026-01-01"), "loss_making_share_lepidolite"] = 0.1
    return df


def test_required_metrics_are_registered_with_unit_and_doc():
    for name in REQUIRED:
        assert name in METRICS
        assert METRICS[name].unit and METRICS[name].doc


def test_metrics_on_a_known_boom_and_bust():
    df = boom_bust_frame()
    got = compute_metrics(df, REQUIRED)
    assert got["peak_price_usd_t"] == 60_000.0
    assert got["trough_price_usd_t"] == 6_000.0
    assert got["peak_to_trough_fall"] == pytest.approx(0.9)
    assert got["months_peak_to_trough"] == 24.0
    # Bust window 2023-05..2025-04: loss share 0.5 throughout.
    assert got["lepidolite_loss_share_bust"] == pytest.approx(0.5)
    assert got["cumulative_support_usd_bn"] == pytest.approx(len(df) * 0.15)
    assert got["china_self_sufficiency_2030"] == pytest.approx(0.4)
    assert got["lepidolite_output_2030_t"] == pytest.approx(240_000.0)


def test_metrics_are_nan_when_the_run_misses_the_year_and_shuffled_input_is_fine():
    df = boom_bust_frame(end="2030-06").sample(frac=1.0, random_state=3)
    df["date"] = df["date"].dt.strftime("%Y-%m-%d")  # as read back from a CSV
    got = compute_metrics(df, REQUIRED)
    assert math.isnan(got["china_self_sufficiency_2030"])
    assert math.isnan(got["lepidolite_output_2030_t"])
    assert got["peak_price_usd_t"] == 60_000.0


def test_no_bust_gives_nan_not_an_error():
    df = boom_bust_frame()
    df["price_chemical_usd_t"] = 10_000.0
    got = compute_metrics(df, ["lepidolite_loss_share_bust", "peak_to_trough_fall"])
    assert math.isnan(got["lepidolite_loss_share_bust"])
    assert got["peak_to_trough_fall"] == 0.0


def test_register_a_metric_and_refuse_a_duplicate_name():
    @register_metric("test_mean_price_usd_t", unit="USD/t LCE")
    def mean_price(df: pd.DataFrame) -> float:
        """Mean chemical price of the run."""
        return float(df["price_chemical_usd_t"].mean())

    try:
        assert METRICS["test_mean_price_usd_t"].doc == "Mean chemical price of the run."
        value = compute_metrics(boom_bust_frame(), ["test_mean_price_usd_t"])
        assert value["test_mean_price_usd_t"] == pytest.approx(
            boom_bust_frame()["price_chemical_usd_t"].mean()
        )
        with pytest.raises(ValueError, match="already registered"):
            register_metric("test_mean_price_usd_t", unit="USD/t")(mean_price)
    finally:
        unregister_metric("test_mean_price_usd_t")
    assert "test_mean_price_usd_t" not in METRICS
