"""Target statistics on a synthetic monthly frame whose answers are known by construction."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lithium_abm.experiments.targets import (
    NAN_RESIDUAL,
    PATTERN_TARGETS,
    QUANTITY_TARGETS,
    TARGETS,
    TARGETS_BY_NAME,
    compute_statistics,
    pattern_p1,
    select_targets,
    summarise,
)

Q = QUANTITY_TARGETS


def synthetic_frame(peak_month: str = "2022-11", end: str = "2026-12") -> pd.DataFrame:
    """A run that hits every target: 2015 at CNY 42k, peak 590k, 90% fall, 20x lepidolite."""
    dates = pd.date_range("2015-01-01", end, freq="MS")
    df = pd.DataFrame({"date": dates})
    price = pd.Series(100_000.0, index=dates)
    price[dates < "2015-07-01"] = 42_000.0
    price[dates == peak_month] = 590_000.0
    price[dates == "2024-06-01"] = 59_000.0  # the trough: 10% of the peak
    price[(dates >= "2025-04-01") & (dates <= "2025-09-01")] = 60_000.0
    df["price_chemical_cny_t"] = price.to_numpy()
    df["price_chemical_usd_t"] = price.to_numpy() / 7.0  # the patterns find the peak in USD
    share = np.full(len(dates), 0.9)
    share[dates.year == 2020] = 0.67
    share[(dates.year >= 2023) & (dates.year <= 2025)] = 0.7
    df["china_refining_share"] = share
    lep = np.full(len(dates), 50.0)
    lep[dates.year == 2020] = 100.0
    lep[dates.year == 2024] = 2000.0
    df["production_t_lepidolite"] = lep
    loss = np.zeros(len(dates))
    loss[(dates >= "2023-07-01") & (dates <= "2025-06-01")] = 0.6
    df["loss_making_share_lepidolite"] = loss
    # World output grows 20% a year: 1000 t/month in 2015, 1000 * 1.2**5 in 2020.
    df["production_t"] = 1000.0 * 1.2 ** (dates.year - 2015)
    return df


def test_known_answers_on_a_synthetic_run():
    stats = compute_statistics(synthetic_frame(), targets=Q)
    assert stats["price_2015h1_cny_t"] == pytest.approx(42_000.0)
    assert stats["peak_price_cny_t"] == pytest.approx(590_000.0)
    assert stats["peak_offset_months"] == 0.0
    assert stats["trough_to_peak"] == pytest.approx(0.1)
    assert stats["price_mid2025_cny_t"] == pytest.approx(60_000.0)
    assert stats["china_refining_share_2020"] == pytest.approx(0.67)
    assert stats["china_refining_share_2023_2025"] == pytest.approx(0.7)
    assert stats["lepidolite_growth_2020_2024"] == pytest.approx(20.0)
    assert stats["lepidolite_loss_share_bust"] == pytest.approx(0.6)
    assert stats["production_cagr_2015_2020"] == pytest.approx(0.2)
    assert set(stats) == {t.name for t in Q}


def test_a_run_that_hits_every_target_costs_nothing():
    per_seed = pd.DataFrame([compute_statistics(synthetic_frame(), targets=Q)] * 3)
    summary = summarise(per_seed, Q)
    assert summary["contribution"].sum() == 0.0
    assert (summary["seeds_within"] == 3).all()


def test_a_late_peak_is_charged_by_its_distance_to_the_range():
    stats = compute_statistics(synthetic_frame(peak_month="2023-05"), targets=Q)
    assert stats["peak_offset_months"] == 6.0
    target = TARGETS_BY_NAME["peak_offset_months"]
    # Range -3..3 months, scale 6 months: 3 months beyond the range is half a scale unit.
    assert target.residual(6.0) == pytest.approx(0.5)
    assert target.contribution(6.0) == pytest.approx(target.weight * 0.25)
    assert target.residual(-9.0) == pytest.approx(-1.0)


def test_log_targets_measure_misfit_as_a_factor():
    target = TARGETS_BY_NAME["lepidolite_growth_2020_2024"]  # range 15..25, scale log(2)
    assert target.residual(50.0) == pytest.approx(1.0)
    assert target.residual(7.5) == pytest.approx(-1.0)
    assert target.residual(20.0) == 0.0


def test_missing_statistics_are_penalised_never_fitted():
    stats = compute_statistics(synthetic_frame(end="2019-12"), targets=Q)
    for name in ("peak_price_cny_t", "trough_to_peak", "lepidolite_growth_2020_2024"):
        assert math.isnan(stats[name])
        assert TARGETS_BY_NAME[name].residual(stats[name]) == NAN_RESIDUAL
    # One seed without a statistic makes the median undefined, and so penalised.
    good = compute_statistics(synthetic_frame(), targets=Q)
    summary = summarise(pd.DataFrame([good, good, stats]), Q).set_index("target")
    assert summary.loc["peak_price_cny_t", "residual"] == NAN_RESIDUAL
    assert summary.loc["price_2015h1_cny_t", "residual"] == 0.0


def test_median_over_seeds_and_weights():
    base = compute_statistics(synthetic_frame(), targets=Q)
    rows = [dict(base, trough_to_peak=v) for v in (0.05, 0.3, 0.4)]
    summary = summarise(pd.DataFrame(rows), Q, weights={"trough_to_peak": 2.0})
    row = summary.set_index("target").loc["trough_to_peak"]
    assert row["moment"] == pytest.approx(0.3)
    assert row["residual"] == pytest.approx(1.0)  # 0.1 above the 0.20 bound, scale 0.1
    assert row["contribution"] == pytest.approx(2.0)


def test_patterns_are_judged_by_the_share_of_seeds_passing():
    booming = synthetic_frame()
    flat = booming.assign(price_chemical_usd_t=6000.0, price_chemical_cny_t=42000.0)
    assert pattern_p1(booming) == 1.0 and pattern_p1(flat) == 0.0
    p1 = TARGETS_BY_NAME["pattern_p1"]
    assert p1.aggregate == "mean"
    four_of_five = pd.DataFrame({"pattern_p1": [1.0, 1.0, 0.0, 1.0, 1.0]})
    three_of_five = pd.DataFrame({"pattern_p1": [1.0, 0.0, 0.0, 1.0, 1.0]})
    row = summarise(four_of_five, (p1,)).iloc[0]
    assert row["moment"] == pytest.approx(0.8) and row["contribution"] == 0.0
    assert row["seeds_within"] == 4
    row = summarise(three_of_five, (p1,)).iloc[0]
    assert row["residual"] == pytest.approx(-1.0)  # one seed short of 80%


def test_the_cost_ranking_pattern_needs_the_agents_frame():
    stats = compute_statistics(synthetic_frame(), None, PATTERN_TARGETS[-1:])
    assert math.isnan(stats["pattern_p5"])


def test_every_target_is_documented_and_sane():
    for t in TARGETS:
        assert t.low <= t.high and t.scale > 0 and t.weight > 0
        assert t.unit and t.citation and t.description


def test_select_targets_drops_zero_weights_and_rejects_unknown_names():
    kept = select_targets({"peak_offset_months": 0.0})
    assert "peak_offset_months" not in {t.name for t in kept}
    assert len(kept) == len(TARGETS) - 1
    with pytest.raises(ValueError, match="peak_ofset"):
        select_targets({"peak_ofset": 1.0})
