"""Quantity figures on small synthetic runs whose answers are known by construction."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lithium_abm.experiments import quantities as q

DATES = pd.date_range("2015-01-01", "2035-12-01", freq="MS")
T = pd.Timestamp
BUST_START, BUST_END = T("2023-02-01"), T("2025-01-01")


def make_model(production: np.ndarray | None = None) -> pd.DataFrame:
    """Price 10k; 80k from the peak 2022-11 to 2023-01; 30k after (bust 2023-02..2025-01)."""
    n = len(DATES)
    price = np.full(n, 10_000.0)
    price[(T("2022-11-01") <= DATES) & (DATES < BUST_START)] = 80_000.0
    price[DATES >= BUST_START] = 30_000.0
    demand = np.full(n, 1_000.0)
    unmet = np.where(DATES.year == 2021, 20.0, 0.0)
    cm = np.where(DATES.year == 2020, 3, 1)
    cm[T("2020-06-01") == DATES] = 7
    return pd.DataFrame(
        {
            "date": DATES,
            "price_chemical_usd_t": price,
            "production_t": 3_400.0 if production is None else production,
            "demand_t": demand,
            "unmet_demand_t": unmet,
            "china_refining_share": np.where(DATES.year == 2019, 0.6, 0.7),
            "mines_ramp_up": 1,
            "mines_operating": 8,
            "mines_care_maintenance": cm,
            # Graded in the bust (0.5), all-or-nothing before it.
            "loss_making_share_lepidolite": np.where(DATES >= BUST_START, 0.5, 0.0),
        }
    )


MINES = (
    # name, resource, region, owner_kind, output_t per month
    ("Brine CL", "brine", "CL", "independent", 1_000.0),
    ("Spod AU", "spodumene", "AU", "independent", 2_000.0),
    ("Lep CN A", "lepidolite", "CN", "state", 300.0),
    ("Lep CN B", "lepidolite", "CN", "independent", 100.0),
)


def make_agents(bust_spodumene_t: float = 500.0) -> pd.DataFrame:
    """Four mines and a refiner; the AU mine produces ``bust_spodumene_t`` in the bust window.

    Lepidolite A (300 t) is loss-making in 2023, both in 2024, neither otherwise.
    """
    rows = []
    for date in DATES:
        in_bust = BUST_START <= date <= BUST_END
        for aid, (name, resource, region, owner, out) in enumerate(MINES):
            if name == "Spod AU" and in_bust:
                out = bust_spodumene_t
            loss = (name == "Lep CN A" and date.year == 2023) or (
                resource == "lepidolite" and date.year == 2024
            )
            rows.append(
                {
                    "date": date,
                    "agent_id": aid,
                    "agent_type": "mine",
                    "resource": resource,
                    "region": region,
                    "owner_kind": owner,
                    "output_t": out,
                    "loss_making": loss,
                }
            )
        rows.append(
            {
                "date": date,
                "agent_id": 9,
                "agent_type": "refiner",
                "resource": "",
                "region": "CN",
                "owner_kind": "state",
                "output_t": 50_000.0,  # not a mine: must not count as mined output
                "loss_making": False,
            }
        )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def agents() -> pd.DataFrame:
    return make_agents()


def test_annual_output_sums_mines_only_over_complete_years(agents: pd.DataFrame) -> None:
    world = q.annual_mine_output_t(agents)
    assert world[2016] == pytest.approx(12 * 3_400.0)
    # 2023: 11 months at 500 t for the AU mine (from February) and January at 2,000 t.
    assert world[2023] == pytest.approx(12 * 1_400.0 + 11 * 500.0 + 2_000.0)
    partial = agents[pd.to_datetime(agents["date"]) < T("2035-12-01")]
    assert 2035 not in q.annual_mine_output_t(partial).index
    by_region = q.annual_mine_output_t(agents, by="region")
    assert by_region[("AU", 2016)] == pytest.approx(24_000.0)
    assert by_region[("CN", 2016)] == pytest.approx(4_800.0)


def test_year_on_year_and_largest_fall() -> None:
    annual = pd.Series({2015: 100.0, 2016: 50.0, 2017: 60.0, 2040: 1.0})
    yoy = q.year_on_year(annual)
    assert yoy[2016] == pytest.approx(-0.5) and yoy[2017] == pytest.approx(0.2)
    assert q.largest_fall(annual) == pytest.approx(0.5)  # 2040 lies outside 2015-2035
    assert q.largest_fall(pd.Series({2015: 1.0, 2016: 2.0})) == 0.0


def test_unmet_share_by_year() -> None:
    share = q.unmet_share_by_year(make_model())
    assert share[2021] == pytest.approx(0.02)
    assert share[2020] == 0.0


def test_lepidolite_loss_share_weights_by_output(agents: pd.DataFrame) -> None:
    share = q.lepidolite_loss_share(agents)
    assert share[T("2022-06-01")] == 0.0
    assert share[T("2023-06-01")] == pytest.approx(0.75)  # 300 of 400 t
    assert share[T("2024-06-01")] == pytest.approx(1.0)
    # Bust 2023-02..2025-01: the 11 months of 2023 lie in [0.1, 0.9], the 13 others do not.
    assert q.share_in_band(share, make_model()) == pytest.approx(11 / 24)
    # Months with lepidolite output: all 252; 0 or 1 in all but the 12 of 2023.
    assert q.extreme_share(share) == pytest.approx(240 / 252)


def test_share_in_band_nan_without_bust(agents: pd.DataFrame) -> None:
    flat = make_model().assign(price_chemical_usd_t=10_000.0)
    assert math.isnan(q.share_in_band(q.lepidolite_loss_share(agents), flat))


def test_swing_amplitude() -> None:
    assert q.swing_amplitude(make_model()) == pytest.approx(1.0)
    doubled = np.where(T("2031-01-01") <= DATES, 200.0, 100.0)
    # 12-month totals go from 1,200 (to 2030-12) to 2,400 (from 2031-12), within 24 months.
    assert q.swing_amplitude(make_model(doubled)) == pytest.approx(2.0)


def test_load_usgs_keeps_latest_edition() -> None:
    usgs = q.load_usgs()
    world = q.usgs_series(usgs, q.USGS_WORLD)
    assert world[2024] == pytest.approx(222_000 * 5.323)  # MCS 2026, not 240,000 of MCS 2025
    assert world[2017] == pytest.approx(69_000 * 5.323)
    argentina = q.usgs_series(usgs, "Argentina")
    assert argentina[2024] == pytest.approx(13_800 * 5.323)  # the rejected 513,800 is dropped
    # 2016 Australia exists only as an earlier estimate: kept, and its status says so.
    au2016 = usgs[(usgs["country"] == "Australia") & (usgs["year"] == 2016)].iloc[0]
    assert au2016["t_li"] == 14_300 and au2016["status"].startswith("superseded")
    assert not (usgs["country"] == "United States").any()  # withheld


def test_load_refining_share_and_lepidolite() -> None:
    share = q.load_refining_share()
    assert share[2019] == pytest.approx(0.58)  # not Benchmark's all-chemicals 80%
    assert share[2024] == pytest.approx(0.70)
    assert 2030 not in share.index  # a forecast
    lep = q.load_lepidolite()
    assert lep.loc[lep["year"] == 2022, "value"].tolist() == [85_000.0]


def test_run_figures_and_summary(agents: pd.DataFrame) -> None:
    usgs = q.load_usgs()
    one = q.run_figures(make_model(), agents, usgs)
    fig = one.set_index(["figure", "year"])["value"]
    assert fig[("world output kt", 2016)] == pytest.approx(40.8)
    assert fig[("world output / USGS", 2016)] == pytest.approx(40_800 / (38_000 * 5.323))
    assert fig[("output AU kt", 2016)] == pytest.approx(24.0)
    assert fig[("mines in care & maintenance, max in year", 2020)] == 7
    assert fig[("China refining share", 2019)] == pytest.approx(0.6)
    # The model's tranche share lies in the band in every bust month; the mine flags do not.
    band = fig[("lepidolite loss share in [0.1, 0.9], share of bust months", pd.NA)]
    assert band == pytest.approx(1.0)
    flags = fig[("lepidolite loss share (mine flags) in [0.1, 0.9], share of bust months", pd.NA)]
    assert flags != pytest.approx(1.0)
    other = make_agents(bust_spodumene_t=2_000.0)
    two = q.run_figures(make_model(), other, usgs)
    three = q.run_figures(make_model(), agents, usgs)
    summary = q.summarise([one, two, three], q.source_values())
    row = summary.set_index(["figure", "year"])
    ratio = row.loc[("RoW independent hard rock, bust / 12 months before", pd.NA)]
    assert ratio["median"] == pytest.approx(0.25) and ratio["high"] == pytest.approx(1.0)
    # A 0/1 figure is the share of seeds: two of three fall.
    falls = row.loc[("RoW independent hard rock falls in bust (share of seeds)", pd.NA)]
    assert falls["median"] == pytest.approx(2 / 3)
    # 2024 lies in the bust: 1,900 t/month in two seeds, 3,400 in one; the median is 22.8 kt.
    world = row.loc[("world output kt", 2024)]
    assert world["median"] == pytest.approx(22.8) and world["low"] == pytest.approx(22.8)
    assert world["source"] == pytest.approx(222 * 5.323)
    assert world["ratio"] == pytest.approx(22.8 / (222 * 5.323))
    text = q.format_summary(summary)
    assert "world output / USGS" in text and "2016" in text


@pytest.mark.parametrize("bad", [["--seeds", "0"], ["--seeds", "ten"], ["--first-seed", "-1"]])
def test_cli_bad_input_one_line(bad: list[str], capsys: pytest.CaptureFixture) -> None:
    assert q.main(bad) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and ("--seeds" in err[0] or "--first-seed" in err[0])
