"""Pattern statistics on synthetic runs whose answers are known by construction."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lithium_abm.experiments.patterns import (
    PatternCheck,
    bust_trough_month,
    bust_window,
    check_attribution,
    check_boom_bust,
    check_curtailment,
    check_growth_despite_losses,
    check_no_collapse,
    check_structure,
    check_sustained_losses,
    evaluate_run_patterns,
    format_table,
    longest_run,
    pattern_table,
)

DATES = pd.date_range("2015-01-01", "2035-12-01", freq="MS")
T = pd.Timestamp

# Peak 80k in 2022-11 (pre-36m min 8k -> 10x); first month <= 40k is 2023-02; trough 10k.
BOOM_BUST = {
    "2015-01": 12_000.0,
    "2019-06": 8_000.0,
    "2020-12": 9_000.0,
    "2022-11": 80_000.0,
    "2022-12": 60_000.0,
    "2023-01": 45_000.0,
    "2023-02": 40_000.0,
    "2024-06": 10_000.0,
    "2025-06": 15_000.0,
    "2035-12": 18_000.0,
}
BUST_START = T("2023-02-01")
BUST_END = T("2025-01-01")


def price_path(anchors: dict[str, float]) -> np.ndarray:
    """Piecewise-linear monthly prices through the anchor months (exact at the anchors)."""
    idx = {d: i for i, d in enumerate(DATES)}
    points = sorted((idx[T(k + "-01")], v) for k, v in anchors.items())
    xs, ys = zip(*points, strict=True)
    return np.interp(np.arange(len(DATES)), xs, ys)


def months(start: str, end: str) -> np.ndarray:
    """Boolean mask of DATES from start to end inclusive ("YYYY-MM")."""
    lo, hi = T(start + "-01"), T(end + "-01")
    return np.asarray((lo <= DATES) & (hi >= DATES))


def make_model(
    anchors: dict[str, float] | None = None,
    lep_loss_months: tuple[str, str] | None = ("2023-03", "2024-08"),
    independent_loss: float = 100.0,
) -> pd.DataFrame:
    """A baseline-like run that passes every pattern unless told otherwise."""
    n = len(DATES)
    price = price_path(anchors or BOOM_BUST)
    lep_share = np.full(n, 0.1)
    if lep_loss_months is not None:
        lep_share[months(*lep_loss_months)] = 0.6
    lep_prod = np.linspace(1_000.0, 5_000.0, n)  # steady growth
    return pd.DataFrame(
        {
            "date": DATES,
            "price_chemical_usd_t": price,
            "price_concentrate_usd_t": price * 0.12,
            "demand_t": np.linspace(20_000.0, 150_000.0, n),
            "unmet_demand_t": 0.0,
            "production_t": 5_000.0 + 5_000.0 + lep_prod,
            "production_t_brine": 5_000.0,
            "production_t_spodumene": 5_000.0,
            "production_t_lepidolite": lep_prod,
            "capacity_tpa_brine": 70_000.0,
            "capacity_tpa_spodumene": 70_000.0,
            "capacity_tpa_lepidolite": lep_prod * 14,
            "loss_making_share": lep_share / 2,
            "loss_making_share_lepidolite": lep_share,
            "output_t_independent": 1_000.0,
            "loss_output_t_independent": independent_loss,
            "output_t_supported": 1_000.0,
            "loss_output_t_supported": 500.0,
            "china_refining_share": 0.7,
            "subsidy_usd": 0.0,
            "inventory_t": 1_000.0,
        }
    )


def make_agents(
    costs: dict[str, float] | None = None, year: int = 2024, price: float = 10_000.0
) -> pd.DataFrame:
    """Mines of each resource (two per resource) plus non-mines, for every month of a year."""
    costs = costs or {"brine": 5_000.0, "spodumene": 8_000.0, "lepidolite": 12_000.0}
    rows = []
    for date in pd.date_range(f"{year}-01-01", f"{year}-12-01", freq="MS"):
        aid = 0
        for resource, cost in costs.items():
            for k, state in enumerate(["operating", "ramp_up"]):
                c = cost * (0.9 + 0.2 * k)
                rows.append(
                    {
                        "date": date,
                        "agent_id": aid,
                        "name": f"{resource}-{k}",
                        "agent_type": "mine",
                        "resource": resource,
                        "region": "CN" if resource == "lepidolite" else "AU",
                        "owner_kind": "state" if resource == "lepidolite" else "independent",
                        "state": state,
                        "capacity_tpa": 1_200.0,
                        "output_t": 100.0,
                        "unit_cash_cost_usd_t": c,
                        "cost_chem_equiv_usd_t": c,
                        "realized_price_usd_t": price,
                        "loss_making": c > price,
                    }
                )
                aid += 1
        # A closed lepidolite mine with a silly cost must not enter the medians.
        rows.append({**rows[-1], "agent_id": aid, "state": "closed", "cost_chem_equiv_usd_t": 1.0})
        aid += 1
        for agent_type in ("refiner", "battery_maker", "government"):
            rows.append(
                {
                    "date": date,
                    "agent_id": aid,
                    "name": agent_type,
                    "agent_type": agent_type,
                    "resource": "",
                    "region": "CN",
                    "owner_kind": "state",
                    "state": "active",
                    "capacity_tpa": 0.0,
                    "output_t": 0.0,
                    "unit_cash_cost_usd_t": math.nan,
                    "cost_chem_equiv_usd_t": math.nan,
                    "realized_price_usd_t": math.nan,
                    "loss_making": False,
                }
            )
            aid += 1
    return pd.DataFrame(rows)


def make_nosup(lep_share: float = 0.2, anchors: dict[str, float] | None = None) -> pd.DataFrame:
    df = make_model(anchors=anchors, lep_loss_months=None)
    df["loss_making_share_lepidolite"] = lep_share
    return df


# --- bust window ---------------------------------------------------------------------------


def test_bust_window_starts_first_month_at_or_below_half_peak() -> None:
    window = bust_window(make_model())
    assert window is not None
    assert window.start == BUST_START
    assert window.end == BUST_END


def test_bust_window_peak_restricted_to_search_window() -> None:
    # A higher spike in 2019 is outside the search window; the bust hangs off the 2022 peak.
    anchors = {**BOOM_BUST, "2019-05": 7_000.0, "2019-06": 200_000.0, "2019-07": 7_000.0}
    window = bust_window(make_model(anchors))
    assert window is not None and window.start == BUST_START


def test_no_bust_window_when_price_never_halves() -> None:
    anchors = {"2015-01": 10_000.0, "2022-11": 80_000.0, "2035-12": 50_000.0}
    assert bust_window(make_model(anchors)) is None


def test_bust_trough_month() -> None:
    assert bust_trough_month(make_model()) == T("2024-06-01")


def test_window_uses_dates_not_row_order() -> None:
    shuffled = make_model().sample(frac=1.0, random_state=0)
    window = bust_window(shuffled)
    assert window is not None and window.start == BUST_START


def test_longest_run() -> None:
    assert longest_run([True, True, False, True, True, True, False]) == 3
    assert longest_run([]) == 0


# --- P1 ------------------------------------------------------------------------------------


def test_p1_passes_on_boom_and_bust() -> None:
    check = check_boom_bust(make_model())
    assert check.passed
    assert check.headline == pytest.approx(10_000 / 80_000)
    assert "2022-11" in check.measured


def test_p1_fails_when_peak_outside_window() -> None:
    anchors = {
        "2015-01": 8_000.0,
        "2020-06": 80_000.0,
        "2020-07": 40_000.0,
        "2021-06": 10_000.0,
        "2035-12": 12_000.0,
    }
    assert not check_boom_bust(make_model(anchors)).passed


def test_p1_fails_on_shallow_bust() -> None:
    anchors = {"2015-01": 12_000.0, "2019-06": 8_000.0, "2022-11": 80_000.0, "2035-12": 40_000.0}
    check = check_boom_bust(make_model(anchors))
    assert not check.passed
    assert check.headline > 0.25


def test_p1_fails_on_weak_boom() -> None:
    anchors = {**BOOM_BUST, "2019-06": 30_000.0, "2020-12": 30_000.0, "2015-01": 30_000.0}
    assert not check_boom_bust(make_model(anchors)).passed


# --- P2 ------------------------------------------------------------------------------------


def test_p2_passes_on_sustained_losses() -> None:
    check = check_sustained_losses(make_model())
    assert check.passed
    assert check.headline == 18  # 2023-03..2024-08


def test_p2_fails_on_short_loss_run() -> None:
    df = make_model(lep_loss_months=("2023-03", "2023-12"))
    df.loc[months("2024-02", "2024-11"), "loss_making_share_lepidolite"] = 0.6
    check = check_sustained_losses(df)
    assert not check.passed
    assert check.headline == 10


def test_p2_nan_breaks_run() -> None:
    df = make_model()
    df.loc[months("2023-10", "2023-10"), "loss_making_share_lepidolite"] = np.nan
    assert check_sustained_losses(df).headline == 10  # 2023-11..2024-08


def test_p2_fails_when_independents_lose_too_much() -> None:
    check = check_sustained_losses(make_model(independent_loss=300.0))
    assert not check.passed
    assert "0.300" in check.measured


def test_p2_fails_without_bust() -> None:
    anchors = {"2015-01": 10_000.0, "2022-11": 80_000.0, "2035-12": 50_000.0}
    check = check_sustained_losses(make_model(anchors))
    assert not check.passed
    assert math.isnan(check.headline)


# --- P3 ------------------------------------------------------------------------------------


def test_p3_passes_when_losses_halve() -> None:
    check = check_attribution(make_model(), make_nosup(0.2))
    base_mean = (18 * 0.6 + 6 * 0.1) / 24
    assert check.passed
    assert check.headline == pytest.approx(0.2 / base_mean)


def test_p3_fails_when_losses_not_halved() -> None:
    assert not check_attribution(make_model(), make_nosup(0.3)).passed


def test_p3_uses_baseline_window_when_no_support_has_no_bust() -> None:
    flat = {"2015-01": 10_000.0, "2035-12": 10_000.0}
    nosup = make_nosup(0.1, anchors=flat)
    nosup.loc[months("2027-01", "2028-12"), "loss_making_share_lepidolite"] = 0.9
    check = check_attribution(make_model(), nosup)
    assert check.passed  # the 0.9 months lie outside the baseline's window
    assert "baseline's window" in check.measured


def test_p3_uses_own_window_when_no_support_busts_later() -> None:
    later = {
        "2015-01": 12_000.0,
        "2022-11": 80_000.0,
        "2023-06": 60_000.0,
        "2025-02": 40_000.0,
        "2035-12": 10_000.0,
    }
    nosup = make_nosup(0.1, anchors=later)
    nosup.loc[months("2025-02", "2027-01"), "loss_making_share_lepidolite"] = 0.5
    check = check_attribution(make_model(), nosup)
    assert not check.passed
    assert "own window" in check.measured


# --- P4 ------------------------------------------------------------------------------------


def test_p4_passes_when_lepidolite_grows() -> None:
    check = check_growth_despite_losses(make_model())
    assert check.passed
    assert check.headline > 1.0


def test_p4_fails_when_lepidolite_shrinks() -> None:
    df = make_model()
    df["production_t_lepidolite"] = np.linspace(5_000.0, 1_000.0, len(df))
    check = check_growth_despite_losses(df)
    assert not check.passed
    assert check.headline < 1.0


# --- P5 ------------------------------------------------------------------------------------


def test_p5_passes_on_china_dominance_and_cost_order() -> None:
    check = check_structure(make_model(), make_agents())
    assert check.passed
    assert check.headline == pytest.approx(0.7)
    assert "lep 12,000" in check.measured  # median of 0.9x and 1.1x


def test_p5_fails_when_china_share_dips_in_one_year() -> None:
    df = make_model()
    df.loc[months("2026-01", "2026-12"), "china_refining_share"] = 0.4
    check = check_structure(df, make_agents())
    assert not check.passed
    assert check.headline == pytest.approx(0.4)


def test_p5_fails_on_wrong_cost_order() -> None:
    costs = {"brine": 5_000.0, "spodumene": 13_000.0, "lepidolite": 12_000.0}
    assert not check_structure(make_model(), make_agents(costs)).passed


def test_p5_fails_when_year_missing() -> None:
    df = make_model()
    df = df[df["date"] < T("2030-01-01")]
    assert not check_structure(df, make_agents()).passed


# --- P6 ------------------------------------------------------------------------------------

P6_MINES = (
    # name, resource, region, owner_kind: only the first counts for P6
    ("Spod AU", "spodumene", "AU", "independent"),
    ("Spod AU integrated", "spodumene", "AU", "integrated"),
    ("Lep CN", "lepidolite", "CN", "independent"),
    ("Brine CL", "brine", "CL", "independent"),
)


def make_p6_agents(
    bust_t: float = 500.0, others_bust_t: float = 4_000.0, start: str = "2021-01"
) -> pd.DataFrame:
    """Mines' monthly output from ``start`` to 2025-12: 2,000 t each before the bust window
    (2023-02..2025-01); in it the AU independent makes ``bust_t``, the others ``others_bust_t``.
    """
    rows = []
    for date in pd.date_range(start + "-01", "2025-12-01", freq="MS"):
        in_bust = BUST_START <= date <= BUST_END
        for aid, (name, resource, region, owner) in enumerate(P6_MINES):
            out = 2_000.0
            if in_bust:
                out = bust_t if aid == 0 else others_bust_t
            rows.append(
                {
                    "date": date,
                    "agent_id": aid,
                    "name": name,
                    "agent_type": "mine",
                    "resource": resource,
                    "region": region,
                    "owner_kind": owner,
                    "state": "operating",
                    "output_t": out,
                }
            )
    return pd.DataFrame(rows)


def test_p6_passes_when_row_independents_curtail() -> None:
    # The integrated, Chinese and brine mines double in the bust: they do not count.
    check = check_curtailment(make_model(), make_p6_agents(bust_t=500.0))
    assert check.passed
    assert check.headline == pytest.approx(0.25)
    assert "500 t/mo vs 2,000 t/mo" in check.measured


def test_p6_fails_when_row_independents_hold_output() -> None:
    check = check_curtailment(make_model(), make_p6_agents(bust_t=2_000.0, others_bust_t=0.0))
    assert not check.passed  # equal is not below; the others' fall to nothing does not count
    assert check.headline == pytest.approx(1.0)


def test_p6_compares_monthly_means_not_sums() -> None:
    # 24 bust months at 1,900 t sum to more than 12 months at 2,000 t, yet output fell.
    check = check_curtailment(make_model(), make_p6_agents(bust_t=1_900.0))
    assert check.passed
    assert check.headline == pytest.approx(0.95)


def test_p6_fails_without_twelve_months_before_the_window() -> None:
    agents = make_p6_agents(bust_t=500.0, start="2022-06")  # 8 months before 2023-02
    check = check_curtailment(make_model(), agents)
    assert not check.passed
    assert math.isnan(check.headline)


def test_p6_fails_without_bust() -> None:
    df = make_model(anchors={"2015-01": 10_000.0, "2035-12": 12_000.0})
    assert not check_curtailment(df, make_p6_agents()).passed


# --- P7 ------------------------------------------------------------------------------------


def test_p7_passes_on_steady_output_and_met_demand() -> None:
    check = check_no_collapse(make_model())
    assert check.passed
    assert check.headline == 0.0  # output only grows


def _scale_year(df: pd.DataFrame, column: str, year: int, factor: float) -> pd.DataFrame:
    df = df.copy()
    in_year = df["date"].dt.year == year
    df.loc[in_year, column] = df.loc[in_year, column] * factor
    return df


def test_p7_fails_on_a_fall_of_more_than_15_percent() -> None:
    base = make_model()
    df = _scale_year(base, "production_t", 2020, 0.8)
    check = check_no_collapse(df)
    prev = base.loc[base["date"].dt.year == 2019, "production_t"].sum()
    now = 0.8 * base.loc[base["date"].dt.year == 2020, "production_t"].sum()
    assert check.headline == pytest.approx(1.0 - now / prev)
    assert 0.15 < check.headline < 0.2
    assert not check.passed
    assert "into 2020" in check.measured


def test_p7_passes_on_a_fall_of_ten_percent_and_judges_through_2035() -> None:
    assert check_no_collapse(_scale_year(make_model(), "production_t", 2020, 0.9)).passed
    assert not check_no_collapse(_scale_year(make_model(), "production_t", 2034, 0.5)).passed


def test_p7_fails_when_unmet_demand_exceeds_two_percent_by_2025() -> None:
    df = make_model()
    df["unmet_demand_t"] = 0.03 * df["demand_t"].where(df["date"].dt.year == 2021, 0.0)
    check = check_no_collapse(df)
    assert not check.passed
    assert "worst unmet share 0.030 in 2021" in check.measured
    df["unmet_demand_t"] = 0.02 * df["demand_t"].where(df["date"].dt.year == 2021, 0.0)
    assert check_no_collapse(df).passed  # at most 2% is allowed


def test_p7_ignores_unmet_demand_after_2025() -> None:
    df = make_model()
    df["unmet_demand_t"] = 0.1 * df["demand_t"].where(df["date"].dt.year == 2030, 0.0)
    assert check_no_collapse(df).passed


def test_p7_fails_when_a_year_is_missing() -> None:
    df = make_model()
    df = df[df["date"] < T("2030-01-01")]
    check = check_no_collapse(df)
    assert not check.passed


# --- aggregation ---------------------------------------------------------------------------


def test_evaluate_run_patterns_all_pass() -> None:
    agents = pd.concat([make_agents(), make_p6_agents()], ignore_index=True)
    checks = evaluate_run_patterns(make_model(), agents, make_nosup(0.2), make_agents())
    assert [c.name.split()[0] for c in checks] == ["P1", "P2", "P3", "P4", "P5", "P6", "P7"]
    assert all(c.passed for c in checks), [c.measured for c in checks if not c.passed]


def _seeds(n_pass: int, n: int = 10) -> list[list[PatternCheck]]:
    def check(i: int) -> PatternCheck:
        return PatternCheck("PX demo", "demo", "target text", float(i), f"seed {i}", i < n_pass)

    return [[check(i)] for i in range(n)]


@pytest.mark.parametrize(("n_pass", "expected"), [(7, False), (8, True), (10, True)])
def test_pattern_table_pass_share(n_pass: int, expected: bool) -> None:
    table = pattern_table(_seeds(n_pass))
    assert list(table.columns) == ["pattern", "target", "median", "seeds_passing", "passed"]
    row = table.iloc[0]
    assert row["seeds_passing"] == f"{n_pass}/10"
    assert bool(row["passed"]) is expected
    assert row["median"] == pytest.approx(4.5)


def test_pattern_table_median_ignores_nan_and_format() -> None:
    per_seed = [
        [
            PatternCheck("P1 a", "d", "t1", 1.0, "", True),
            PatternCheck("P2 b", "d", "t2", 2.0, "", False),
        ],
        [PatternCheck("P1 a", "d", "t1", math.nan, "", False)],
        [PatternCheck("P1 a", "d", "t1", 3.0, "", True)],
    ]
    table = pattern_table(per_seed, min_pass_share=0.6)
    assert list(table["pattern"]) == ["P1 a", "P2 b"]
    assert table.iloc[0]["median"] == pytest.approx(2.0)
    assert table.iloc[0]["seeds_passing"] == "2/3" and bool(table.iloc[0]["passed"])
    assert table.iloc[1]["seeds_passing"] == "0/3" and not bool(table.iloc[1]["passed"])
    text = format_table(table)
    lines = text.splitlines()
    assert lines[0].split() == ["pattern", "median", "seeds", "result", "target"]
    assert "PASS" in lines[2] and "FAIL" in lines[3]
    assert lines[2].index("2/3") == lines[3].index("0/3")  # fixed-width columns
