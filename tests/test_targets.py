"""Target statistics on a synthetic monthly frame whose answers are known by construction."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lithium_abm.experiments import quantities
from lithium_abm.experiments.targets import (
    HISTORY_TARGETS,
    NAN_RESIDUAL,
    QUANTITY_TARGETS,
    TARGETS,
    TARGETS_BY_NAME,
    compute_statistics,
    largest_output_fall,
    pattern_p1,
    select_targets,
    summarise,
    worst_unmet_share,
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


def test_the_patterns_on_mines_need_the_agents_frame():
    targets = [TARGETS_BY_NAME["pattern_p5"], TARGETS_BY_NAME["pattern_p6"]]
    stats = compute_statistics(synthetic_frame(), None, targets)
    assert math.isnan(stats["pattern_p5"]) and math.isnan(stats["pattern_p6"])


def test_the_halves_of_p7_as_numbers():
    months = pd.date_range("2015-01-01", "2035-12-01", freq="MS")
    years = months.year
    frame = pd.DataFrame(
        {
            "date": months,
            "production_t": 10.0 * (1.0 - 0.3 * (years == 2020)),  # 30% down in 2020
            "demand_t": 10.0,
            "unmet_demand_t": 0.5 * (years == 2021),  # 5% unmet in 2021
        }
    )
    assert largest_output_fall(frame) == pytest.approx(0.3)
    assert worst_unmet_share(frame) == pytest.approx(0.05)
    short = frame[frame["date"] < "2030-01-01"]
    assert math.isnan(largest_output_fall(short))


def test_every_target_is_documented_and_sane():
    for t in TARGETS:
        assert t.low <= t.high and t.scale > 0 and t.weight > 0
        assert t.unit and t.citation and t.description


def test_select_targets_drops_zero_weights_and_rejects_unknown_names():
    kept = select_targets({"peak_offset_months": 0.0})
    assert "peak_offset_months" not in {t.name for t in kept}
    assert len(kept) == sum(t.in_sample for t in TARGETS) - 1
    with pytest.raises(ValueError, match="peak_ofset"):
        select_targets({"peak_ofset": 1.0})


# --- the supply history by year (issue 10) --------------------------------------------------

H = {t.name: t for t in HISTORY_TARGETS}


def test_history_targets_cover_world_countries_and_refining_by_year():
    assert {t.group for t in HISTORY_TARGETS} == {
        "world output",
        "output AU",
        "output CL",
        "output CN",
        "output AR",
        "China refining share",
    }
    world = [t.year for t in HISTORY_TARGETS if t.group == "world output"]
    assert world == list(range(2015, 2026))
    for t in HISTORY_TARGETS:
        assert t.in_sample is (2015 <= t.year <= 2021), t.name
        assert t.name in TARGETS_BY_NAME and t.citation.startswith("docs/sources/supply_history/")


def test_history_targets_match_the_source_files():
    """Each output target is centred on its USGS row (latest edition), x 5.323 t LCE per t Li."""
    usgs = quantities.load_usgs()
    for t in HISTORY_TARGETS:
        if t.group == "China refining share":
            share = quantities.load_refining_share()
            assert (t.low + t.high) / 2 == pytest.approx(share[t.year]), t.name
            continue
        code = t.group.split()[-1] if t.group != "world output" else "world"
        country = quantities.USGS_WORLD if code == "world" else quantities.COUNTRIES[code]
        row = usgs[(usgs["country"] == country) & (usgs["year"] == t.year)].iloc[0]
        assert math.sqrt(t.low * t.high) == pytest.approx(row["t_li"] * 5.323), t.name
        assert row["status"] in t.citation and f"{int(row['t_li']):,} t Li" in t.citation
        assert t.citation.rsplit("source ", 1)[1].rstrip(")") in row["source"], t.name


def test_output_ranges_are_ten_percent_for_latest_figures_and_twenty_for_estimates():
    world_2024 = H["output_tpa_world_2024"]  # MCS 2026: 222,000 t Li
    assert world_2024.low == pytest.approx(222_000 * 5.323 / 1.1)
    assert world_2024.high == pytest.approx(222_000 * 5.323 * 1.1)
    world_2025 = H["output_tpa_world_2025"]  # a first estimate (2025e)
    assert world_2025.high == pytest.approx(290_000 * 5.323 * 1.2)
    # 1.21x the USGS figure is one scale unit beyond the range: the edge of tolerance.
    assert world_2024.residual(222_000 * 5.323 * 1.21) == pytest.approx(1.0)
    refining = H["refining_share_cn_2019"]
    assert (refining.low, refining.high) == (0.53, 0.63)
    assert refining.residual(0.73) == pytest.approx(2.0)  # 0.10 above, scale 0.05


def test_each_series_weighs_one_target_in_sample():
    for group in {t.group for t in HISTORY_TARGETS}:
        fitted = [t.weight for t in HISTORY_TARGETS if t.group == group and t.in_sample]
        assert sum(fitted) == pytest.approx(1.0), group
    assert H["output_tpa_cn_2019"].weight == pytest.approx(1 / 3)  # 2019, 2020, 2021


def _supply_run() -> tuple[pd.DataFrame, pd.DataFrame]:
    """2015-2025: an AU mine at 20,000 t/month, a CL mine at 10,000 t/month, a refiner."""
    dates = pd.date_range("2015-01-01", "2025-12-01", freq="MS")
    model = pd.DataFrame({"date": dates, "production_t": 30_000.0, "china_refining_share": 0.6})
    model.loc[model["date"].dt.year == 2019, "china_refining_share"] = 0.58
    rows = []
    for date in dates:
        for aid, (region, out) in enumerate((("AU", 20_000.0), ("CL", 10_000.0))):
            rows.append(
                {
                    "date": date,
                    "agent_id": aid,
                    "agent_type": "mine",
                    "region": region,
                    "resource": "spodumene",
                    "output_t": out,
                }
            )
        rows.append(
            {
                "date": date,
                "agent_id": 2,
                "agent_type": "refiner",
                "region": "CN",
                "resource": "",
                "output_t": 99_000.0,
            }
        )
    return model, pd.DataFrame(rows)


def test_history_statistics_on_a_synthetic_run():
    model, agents = _supply_run()
    stats = compute_statistics(model, agents, HISTORY_TARGETS)
    assert stats["output_tpa_world_2020"] == pytest.approx(360_000.0)
    assert stats["output_tpa_au_2020"] == pytest.approx(240_000.0)
    assert stats["output_tpa_cl_2021"] == pytest.approx(120_000.0)
    assert stats["output_tpa_cn_2021"] == 0.0  # no Chinese mine: nothing mined, not missing
    assert stats["refining_share_cn_2019"] == pytest.approx(0.58)
    # 240 kt is above the range of 2020 Australia (39,700 t Li = 211 kt; 192-232 kt).
    assert H["output_tpa_au_2020"].residual(240_000.0) == pytest.approx(
        math.log(240_000.0 / (39_700 * 5.323 * 1.1)) / math.log(1.1)
    )
    assert H["refining_share_cn_2019"].residual(stats["refining_share_cn_2019"]) == 0.0
    # A run that ends before a year cannot produce it: NaN, penalised, never fitted.
    short = compute_statistics(
        model[model["date"] < "2024-01-01"],
        agents[agents["date"] < "2024-01-01"],
        HISTORY_TARGETS,
    )
    assert math.isnan(short["output_tpa_world_2024"]) and math.isnan(short["output_tpa_au_2024"])
    assert H["output_tpa_au_2024"].residual(short["output_tpa_au_2024"]) == NAN_RESIDUAL


def test_calibrate_fits_only_in_sample_targets():
    fitted = {t.name for t in select_targets()}
    assert "output_tpa_world_2021" in fitted and "refining_share_cn_2019" in fitted
    assert "output_tpa_world_2022" not in fitted and "refining_share_cn_2024" not in fitted
    assert not any(t.group and t.year >= 2022 for t in select_targets())
    assert "output_tpa_world_2022" not in {
        t.name for t in select_targets({"output_tpa_world_2022": 0.0})
    }
    with pytest.raises(ValueError, match="'output_tpa_au_2023' is out of sample"):
        select_targets({"output_tpa_au_2023": 1.0})
