"""Whole-model tests: conservation, determinism, invariants, switches, the Mesa calendar, edges.

Most tests read the session's shared runs (see conftest.py); tests that need to step, patch or
reconfigure a model build their own, usually a short one.
"""

from __future__ import annotations

import dataclasses
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from lithium_abm.agents.government import Government
from lithium_abm.agents.refiner import Refiner
from lithium_abm.experiments.scenario import load_scenario
from lithium_abm.model.ledger import Ledger
from lithium_abm.model.lithium_model import LithiumModel
from lithium_abm.model.parameters import CHEMICAL_RESOURCES, PARAMETERS, RESOURCES
from lithium_abm.model.population import Population

PRICE_COLUMNS = ("price_chemical_usd_t", "price_concentrate_usd_t", "price_chemical_cny_t")
MINE_INVENTORY_PARTS = (
    "inventory_t_mines",
    "inventory_t_refiners",
    "inventory_t_battery_makers",
    "inventory_t_recyclers",
    "stockpile_t",
)


def short_config(config, end: str = "2016-12", **params):
    """The same scenario over a shorter span, with some parameters replaced."""
    return dataclasses.replace(config, end=end, params={**config.params, **params})


def lithium_residuals(model: LithiumModel, frame: pd.DataFrame) -> np.ndarray:
    """Per month: mined + collected for recycling - consumed - lost in recycling - change in
    inventory (opening stock first)."""
    inventory = frame["inventory_t"].to_numpy()
    change = np.diff(inventory, prepend=model.population.opening_stock_t)
    inflow = frame["production_t"].to_numpy() + frame["collected_t"].to_numpy()
    outflow = frame["consumption_t"].to_numpy() + frame["recycling_loss_t"].to_numpy()
    return inflow - outflow - change


def assert_lithium_conserved(model: LithiumModel, frame: pd.DataFrame) -> None:
    residual = lithium_residuals(model, frame)
    scale = frame[["production_t", "consumption_t", "inventory_t"]].abs().max(axis=1).to_numpy()
    bad = np.abs(residual) > 1e-6 * np.maximum(scale, 1.0)
    assert not bad.any(), (
        f"lithium not conserved in {bad.sum()} months, first {frame['date'][bad.argmax()]}: "
        f"residual {residual[bad.argmax()]:.6g} t"
    )


def mine_market_price(run, mines: pd.DataFrame) -> np.ndarray:
    """Each mine row's product price in its month, as Mine.market_price_usd_t computes it."""
    prices = run.model_frame.set_index("date")
    chemical = mines["date"].map(prices["price_chemical_usd_t"]).to_numpy()
    concentrate = mines["date"].map(prices["price_concentrate_usd_t"]).to_numpy()
    discount = run.model.world.quality_discount("lepidolite")
    resource = mines["resource"].astype(str).to_numpy()
    return np.where(
        np.isin(resource, CHEMICAL_RESOURCES),
        chemical,
        np.where(resource == "lepidolite", np.maximum(0.0, concentrate - discount), concentrate),
    )


def night_shift_saving(run, mines: pd.DataFrame) -> np.ndarray:
    """Largest change of a mine's unit cash cost that switching night shifts can make."""
    by_id = {m.unique_id: m for m in run.model.mines}
    share = run.model.p["night_power_discount"]
    return np.array(
        [by_id[i].variable_cost_usd_t * by_id[i].energy_share * share for i in mines["agent_id"]]
    )


# --- conservation of lithium -------------------------------------------------------------------


def test_lithium_balance_holds_every_month_of_a_baseline_run(baseline_run):
    model, frame = baseline_run.model, baseline_run.model_frame
    assert len(frame) == 252
    assert model.population.opening_stock_t > 0.0
    assert_lithium_conserved(model, frame)
    # The first month is balanced against the opening stock, not against zero.
    first = frame.iloc[0]
    assert first["inventory_t"] - model.population.opening_stock_t == pytest.approx(
        first["production_t"]
        + first["collected_t"]
        - first["consumption_t"]
        - first["recycling_loss_t"],
        rel=1e-9,
        abs=1e-6,
    )
    # Recycling is a real flow in the baseline: lithium comes back, some of it is lost.
    assert frame["collected_t"].sum() > 0.0
    assert frame["recycling_loss_t"].sum() > 0.0


def test_cumulative_production_counts_the_opening_stock(baseline_run):
    model, frame = baseline_run.model, baseline_run.model_frame
    total = model.population.opening_stock_t + math.fsum(frame["production_t"])
    assert model.recorder.cum_production_t == pytest.approx(total, rel=1e-9)
    assert model.recorder.cum_consumption_t == pytest.approx(
        math.fsum(frame["consumption_t"]), rel=1e-9
    )
    assert abs(model.lithium_balance_error_t()) <= 1e-6 * model.recorder.cum_production_t


def test_inventory_parts_add_up(any_run):
    frame = any_run.model_frame
    parts = frame[list(MINE_INVENTORY_PARTS)].sum(axis=1)
    np.testing.assert_allclose(parts, frame["inventory_t"], rtol=1e-9, atol=1e-6)
    assert (frame[list(MINE_INVENTORY_PARTS)] >= -1e-6).all().all()


def test_lithium_balance_error_is_zero_after_every_step(baseline_run):
    trace = baseline_run.trace
    assert len(trace) == 252
    relative = trace["lithium_error_t"].abs() / trace["cum_production_t"]
    assert relative.max() < 1e-9, trace.loc[relative.idxmax()]


def test_lithium_conservation_catches_a_leak(baseline_config):
    """The balance check is not vacuous: lithium taken out of a stock shows up as an error."""
    model = LithiumModel(short_config(baseline_config, end="2015-06"), seed=1)
    for _ in range(3):
        model.step()
    assert abs(model.lithium_balance_error_t()) < 1e-6
    model.battery_makers[0].inventory_t -= 100.0
    assert model.lithium_balance_error_t() == pytest.approx(100.0)


# --- conservation of money ---------------------------------------------------------------------


def test_money_is_conserved_after_every_step(baseline_run):
    trace = baseline_run.trace
    assert (trace["total_flows_usd"] > 0).all()
    relative = trace["imbalance_usd"].abs() / trace["total_flows_usd"]
    assert relative.max() < 1e-9, trace.loc[relative.idxmax()]


def test_exchange_account_nets_to_zero_every_month(baseline_run):
    trace = baseline_run.trace
    # Markets traded: the exchange handled real money, and passed it all on.
    assert trace["market_flows_usd"].iloc[-1] > 1e9
    limit = 1e-9 * trace["market_flows_usd"] + 1e-3
    assert (trace["exchange_usd"].abs() <= limit).all(), trace["exchange_usd"].abs().max()


def test_every_payment_is_valid_and_balances_rebuild_from_payments(baseline_run):
    model, payments = baseline_run.model, baseline_run.payments
    ledger = model.ledger
    made = [p for p in payments if p[2] != 0.0]
    assert len(made) == ledger.transfers > 10_000
    for payer, payee, amount, kind in made:
        assert payer != payee, (payer, kind)
        assert amount > 0.0 and math.isfinite(amount), (amount, kind)
    # Re-derive every balance and each kind's total from the payments alone.
    balances = np.zeros(len(ledger.balances))
    by_kind: dict[str, float] = {}
    for payer, payee, amount, kind in made:
        balances[payer] -= amount
        balances[payee] += amount
        by_kind[kind] = by_kind.get(kind, 0.0) + amount
    scale = max(abs(b) for b in ledger.balances)
    np.testing.assert_allclose(balances, ledger.balances, rtol=1e-9, atol=1e-9 * scale)
    assert set(by_kind) == set(ledger.total_flows)
    for kind, total in by_kind.items():
        assert ledger.total_flows[kind] == pytest.approx(total, rel=1e-9), kind


@pytest.mark.parametrize("amount", [-1.0, math.nan, math.inf, -math.inf])
def test_ledger_rejects_invalid_amounts(amount):
    ledger = Ledger()
    a, b = ledger.open("a"), ledger.open("b")
    with pytest.raises(ValueError, match=r"invalid payment .* of kind 'fee' from a to b"):
        ledger.pay(a, b, amount, "fee")
    assert ledger.balances == [0.0, 0.0]
    assert ledger.transfers == 0
    assert dict(ledger.total_flows) == {}


def test_ledger_rejects_a_payment_to_oneself():
    ledger = Ledger()
    a = ledger.open("a")
    with pytest.raises(ValueError, match="from a to a"):
        ledger.pay(a, a, 10.0, "fee")
    assert ledger.balances == [0.0]


def test_ledger_moves_money_skips_zero_and_tallies_by_month():
    ledger = Ledger()
    a, b, c = ledger.open("a"), ledger.open("b"), ledger.open("c")
    ledger.pay(a, b, 30.0, "fee")
    ledger.pay(b, c, 12.5, "tax")
    ledger.pay(a, c, 0.0, "fee")
    assert ledger.balances == [-30.0, 17.5, 12.5]
    assert ledger.transfers == 2
    assert ledger.imbalance() == 0.0
    ledger.start_month()
    ledger.pay(c, a, 2.0, "fee")
    assert dict(ledger.month_flows) == {"fee": 2.0}
    assert dict(ledger.total_flows) == {"fee": 32.0, "tax": 12.5}


# --- determinism -------------------------------------------------------------------------------


def test_same_seed_gives_identical_frames(baseline_config, baseline_run):
    again = LithiumModel(baseline_config, seed=1).run()
    pd.testing.assert_frame_equal(again.model_frame(), baseline_run.model_frame, check_exact=True)
    pd.testing.assert_frame_equal(again.agents_frame(), baseline_run.agents_frame, check_exact=True)


def test_different_seeds_give_different_runs(baseline_run, baseline_run_seed2):
    with pytest.raises(AssertionError):
        pd.testing.assert_frame_equal(baseline_run.model_frame, baseline_run_seed2.model_frame)
    with pytest.raises(AssertionError):
        pd.testing.assert_frame_equal(baseline_run.agents_frame, baseline_run_seed2.agents_frame)
    price_1 = baseline_run.model_frame["price_chemical_usd_t"].to_numpy()
    price_2 = baseline_run_seed2.model_frame["price_chemical_usd_t"].to_numpy()
    assert not np.allclose(price_1, price_2, rtol=1e-3)
    # Same calendar and demand path: seeds change behaviour, not the scenario.
    pd.testing.assert_series_equal(
        baseline_run.model_frame["date"], baseline_run_seed2.model_frame["date"]
    )


RUN_AND_DIGEST = textwrap.dedent(
    """
    import dataclasses, hashlib
    import pandas as pd
    from lithium_abm.experiments.scenario import load_scenario
    from lithium_abm.model.lithium_model import LithiumModel
    config = dataclasses.replace(load_scenario("baseline"), end="2018-12")
    model = LithiumModel(config, seed=3).run()
    digest = hashlib.sha256()
    for frame in (model.model_frame(), model.agents_frame()):
        digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    print(digest.hexdigest())
    """
)


def test_runs_do_not_depend_on_the_hash_seed():
    """Reproducible across processes: no iteration over sets or str-keyed hashing order."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RUN_AND_DIGEST],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for hash_seed in ("1", "2")
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    digests = [out.strip() for out, _ in outputs]
    assert len(digests[0]) == 64
    assert digests[0] == digests[1]


# --- sanity invariants over whole runs ---------------------------------------------------------


def test_prices_are_finite_and_positive(any_run):
    prices = any_run.model_frame[list(PRICE_COLUMNS)].to_numpy()
    assert np.isfinite(prices).all()
    assert (prices > 0.0).all()


def test_shares_are_in_unit_interval_or_nan(any_run):
    frame = any_run.model_frame
    columns = [c for c in frame.columns if c.endswith("_share") or "_share_" in c]
    assert "china_refining_share" in columns and "loss_making_share" in columns
    values = frame[columns].to_numpy(dtype=float)
    inside = (values >= 0.0) & (values <= 1.0)
    assert (inside | np.isnan(values)).all()
    # NaN only where there is nothing to share out.
    for resource in RESOURCES:
        nan = frame[f"loss_making_share_{resource}"].isna()
        assert (frame.loc[nan, f"production_t_{resource}"] == 0.0).all()
    assert frame["china_refining_share"].notna().all()


def test_production_by_resource_sums_to_production(any_run):
    frame = any_run.model_frame
    total = frame[[f"production_t_{r}" for r in RESOURCES]].sum(axis=1)
    np.testing.assert_allclose(total, frame["production_t"], rtol=1e-12, atol=1e-9)
    assert (frame["production_t"] > 0.0).all()


def test_production_by_resource_matches_the_agents_frame(any_run):
    mines = any_run.agents_frame[any_run.agents_frame["agent_type"] == "mine"]
    by_resource = mines.pivot_table(
        index="date", columns="resource", values="output_t", aggfunc="sum", observed=True
    )
    frame = any_run.model_frame.set_index("date")
    for resource in RESOURCES:
        got = by_resource.get(resource, pd.Series(dtype=float))
        np.testing.assert_allclose(
            got.reindex(frame.index).fillna(0.0),  # months before a resource's first mine
            frame[f"production_t_{resource}"],
            rtol=1e-9,
            atol=1e-9,
        )


def test_consumption_never_exceeds_demand(any_run):
    frame = any_run.model_frame
    assert (frame["consumption_t"] <= frame["demand_t"] * (1 + 1e-12)).all()
    np.testing.assert_allclose(
        frame["unmet_demand_t"], frame["demand_t"] - frame["consumption_t"], atol=1e-6
    )


def test_mine_output_never_exceeds_monthly_capacity(any_run):
    mines = any_run.agents_frame[any_run.agents_frame["agent_type"] == "mine"]
    assert (mines["output_t"] >= 0.0).all()
    ratio = mines["output_t"] / (mines["capacity_tpa"] / 12.0)
    assert ratio.max() <= 1.0 + 1e-12
    assert ratio.max() > 0.99  # some mine did run at nameplate


def test_mines_in_construction_or_closed_produce_nothing(any_run):
    mines = any_run.agents_frame[any_run.agents_frame["agent_type"] == "mine"]
    mines = mines.sort_values(["agent_id", "date"])
    assert (mines.loc[mines["state"] == "construction", "output_t"] == 0.0).all()
    # A row shows the state at the end of the month: a mine closed by bankruptcy in the month
    # it last produced shows that output once; every later closed month shows none.
    closed = mines["state"] == "closed"
    first_closed = closed & ~closed.groupby(mines["agent_id"]).shift(fill_value=False)
    assert (mines.loc[closed & ~first_closed, "output_t"] == 0.0).all()
    assert closed.any()


def test_loss_making_mines_sell_below_unit_cash_cost(any_run):
    """loss_making = output > 0 and market price < unit cash cost (Mine.settle_month).

    The unit cost in the frame is read after the month's night-shift decision, which can move it
    by at most the night-shift energy saving; within that margin the flag must agree with the
    prices in both directions.
    """
    mines = any_run.agents_frame[any_run.agents_frame["agent_type"] == "mine"]
    producing = mines[mines["output_t"] > 0.0]
    loss = producing["loss_making"].astype(bool).to_numpy()
    price = mine_market_price(any_run, producing)
    cost = producing["unit_cash_cost_usd_t"].to_numpy()
    slack = night_shift_saving(any_run, producing) + 1e-9
    assert loss.sum() > 50
    assert (price[loss] < cost[loss] + slack[loss]).all()
    assert (price[~loss] >= cost[~loss] - slack[~loss]).all()


def test_loss_flag_agrees_with_recorded_unit_cost_exactly(baseline_run):
    mines = baseline_run.agents_frame[baseline_run.agents_frame["agent_type"] == "mine"]
    loss = mines[mines["loss_making"].astype(bool) & (mines["output_t"] > 0.0)]
    price = mine_market_price(baseline_run, loss)
    assert (price < loss["unit_cash_cost_usd_t"].to_numpy()).all()


def test_only_producing_mines_are_flagged_loss_making(baseline_run):
    mines = baseline_run.agents_frame[baseline_run.agents_frame["agent_type"] == "mine"]
    flagged = mines[mines["loss_making"].astype(bool)]
    assert (flagged["output_t"] > 0.0).all()


def test_china_refining_share_is_a_share_and_china_dominates(any_run):
    share = any_run.model_frame["china_refining_share"]
    assert share.between(0.0, 1.0).all()
    assert share.mean() > 0.4  # the 2015 population refines mostly in China


# --- switches ----------------------------------------------------------------------------------


def test_no_support_pays_no_subsidy_and_has_no_captive_flows(no_support_run):
    frame = no_support_run.model_frame
    for column in (
        "subsidy_usd",
        "equity_stakes_usd",
        "captive_t_concentrate",
        "captive_t_chemical",
        "china_subsidy_rate_usd_t",
        "china_pressure",
    ):
        assert (frame[column] == 0.0).all(), column
    flows = no_support_run.model.ledger.total_flows
    assert flows.get("subsidy", 0.0) == 0.0
    assert flows.get("state_takeovers", 0.0) == 0.0
    # The markets still work: every tonne goes through them.
    assert frame["volume_t_concentrate"].sum() > 0.0
    assert frame["volume_t_chemical"].sum() > 0.0


def test_baseline_pays_subsidies_and_moves_captive_flows(baseline_run):
    frame = baseline_run.model_frame
    assert frame["subsidy_usd"].sum() > 0.0
    assert (frame["subsidy_usd"] >= 0.0).all()
    assert frame["captive_t_concentrate"].sum() > 0.0
    assert frame["captive_t_chemical"].sum() > 0.0
    assert (frame["captive_t_concentrate"] >= 0.0).all()
    assert baseline_run.model.ledger.total_flows["subsidy"] == pytest.approx(
        frame["subsidy_usd"].sum(), rel=1e-9
    )


def test_subsidies_stay_within_the_yearly_budget(baseline_run):
    frame = baseline_run.model_frame
    budget = baseline_run.model.p["cn_support_budget_usd_yr"]
    spent = (frame["subsidy_usd"] + frame["equity_stakes_usd"]).groupby(frame["date"].dt.year)
    # Takeovers also draw on the budget, so this is an upper bound on what is reported here.
    assert (spent.sum() <= budget * (1 + 1e-9)).all()


# --- Mesa idioms: time and events --------------------------------------------------------------


def test_time_advances_by_one_per_step(baseline_run):
    trace = baseline_run.trace
    n = len(trace)
    np.testing.assert_array_equal(trace["time"], np.arange(1, n + 1, dtype=float))
    np.testing.assert_array_equal(trace["steps"], np.arange(1, n + 1))
    np.testing.assert_array_equal(trace["month"], np.arange(n))
    model = baseline_run.model
    assert model.running is False
    expected = pd.date_range("2015-01-01", "2035-12-01", freq="MS")
    np.testing.assert_array_equal(baseline_run.model_frame["date"], expected)


def test_a_step_after_the_end_records_nothing(write_scenario):
    model = LithiumModel(load_scenario(write_scenario()), seed=1).run()
    rows = len(model.model_frame())
    assert rows == 24 and model.running is False
    model.step()
    assert len(model.model_frame()) == rows
    assert model.running is False


@pytest.mark.parametrize("interval", [1, 3, 5])
def test_government_review_is_a_recurring_event(baseline_config, monkeypatch, interval):
    calls: list[tuple[float, int, str]] = []
    original = Government.review

    def counted_review(self):
        calls.append((self.model.time, self.model.month, self.region))
        original(self)

    monkeypatch.setattr(Government, "review", counted_review)
    model = LithiumModel(short_config(baseline_config, policy_review_months=interval), seed=1)
    model.run()
    regions = sorted(model.governments)
    n_reviews = (24 - 1) // interval  # reviews at interval*k + 0.5, between months
    assert len(calls) == n_reviews * len(regions)
    for k in range(1, n_reviews + 1):
        batch = calls[(k - 1) * len(regions) : k * len(regions)]
        assert sorted(region for *_, region in batch) == regions
        # After month index interval*k - 1, i.e. once interval*k whole months are recorded.
        assert {(time, month) for time, month, _ in batch} == {
            (interval * k + 0.5, interval * k - 1)
        }


def test_reviews_show_in_the_record_only_at_quarter_ends(baseline_run):
    """China's self-sufficiency is updated at reviews only: piecewise constant between them."""
    interval = int(baseline_run.model.p["policy_review_months"])
    values = baseline_run.model_frame["china_self_sufficiency"].to_numpy()
    changed = np.flatnonzero(np.diff(values) != 0.0) + 1
    assert len(changed) > 10
    assert (changed % interval == 0).all(), changed[changed % interval != 0]
    assert (values[:interval] == 0.0).all()


def test_budget_year_starts_before_every_january(baseline_config, monkeypatch):
    starts: list[pd.Timestamp] = []
    original = Government.new_year

    def counted_new_year(self):
        if self.region == "CN":
            starts.append(self.model.dates[self.model.month + 1])
        original(self)

    monkeypatch.setattr(Government, "new_year", counted_new_year)
    config = dataclasses.replace(baseline_config, start="2015-07", end="2018-03")
    LithiumModel(config, seed=1).run()
    assert starts == [pd.Timestamp(f"{y}-01-01") for y in (2016, 2017, 2018)]


# --- edge cases --------------------------------------------------------------------------------


@pytest.mark.parametrize("bound", ["low", "high"])
def test_extreme_demand_scale_runs_without_nan_prices(bound):
    value = getattr(PARAMETERS["demand_scale"], bound)
    run = LithiumModel(load_scenario("baseline", {"demand_scale": value}), seed=1).run()
    frame = run.model_frame()
    assert len(frame) == 252
    prices = frame[list(PRICE_COLUMNS)].to_numpy()
    assert np.isfinite(prices).all() and (prices > 0.0).all()
    assert_lithium_conserved(run, frame)
    assert abs(run.ledger.imbalance()) < 1e-9 * math.fsum(run.ledger.total_flows.values())


def test_tiny_population_runs_and_conserves(write_scenario):
    config = load_scenario(write_scenario())
    assert config.end == "2016-12" and config.start == "2015-01"
    assert [m.resource for m in config.mines] == ["brine", "spodumene"]
    assert len(config.refiners) == len(config.battery_makers) == 1
    assert len(config.resource_base) == 2
    model = LithiumModel(config, seed=1)
    steps = 0
    while model.month < model.n_months - 1:
        model.step()
        steps += 1
        assert abs(model.lithium_balance_error_t()) < 1e-9 * model.recorder.cum_production_t
        assert abs(model.ledger.imbalance()) < 1e-9 * math.fsum(model.ledger.total_flows.values())
    assert steps == 24
    frame, agents = model.model_frame(), model.agents_frame()
    assert_lithium_conserved(model, frame)
    prices = frame[list(PRICE_COLUMNS)].to_numpy()
    assert np.isfinite(prices).all() and (prices > 0.0).all()
    assert frame["production_t"].sum() > 0.0 and frame["consumption_t"].sum() > 0.0
    first = agents[agents["date"] == agents["date"].min()]
    counts = first["agent_type"].value_counts()
    assert (counts["mine"], counts["refiner"], counts["battery_maker"]) == (2, 1, 1)
    # The integrated maker takes its own converter's chemical without the market.
    assert frame["captive_t_chemical"].sum() > 0.0


def first_month(agents: pd.DataFrame, name: str, condition: str) -> pd.Timestamp:
    rows = agents[agents["name"] == name]
    return rows.loc[rows.eval(condition), "date"].min()


def test_a_mine_in_the_data_starts_in_its_start_month(write_scenario):
    def add_project(text: str) -> str:
        return text + "New Pit,spodumene,AU,12000,1500,independent,,construction,2015-06,\n"

    agents = LithiumModel(load_scenario(write_scenario(mines=add_project)), seed=1).run()
    agents = agents.agents_frame()
    assert first_month(agents, "New Pit", "state != 'construction'") == pd.Timestamp("2015-06")
    assert first_month(agents, "New Pit", "output_t > 0") == pd.Timestamp("2015-06")


def test_a_converter_in_the_data_starts_in_its_start_month(write_scenario):
    def add_project(text: str) -> str:
        return text + "Converter Two,CN,6000,independent,,2015-04,\n"

    agents = LithiumModel(load_scenario(write_scenario(refiners=add_project)), seed=1).run()
    agents = agents.agents_frame()
    assert first_month(agents, "Converter Two", "capacity_tpa > 0") == pd.Timestamp("2015-04")


def test_projects_started_in_the_run_take_their_lead_time(baseline_config, monkeypatch):
    """A mine decided in month d with lead L is under construction until month d + L."""
    started: list[tuple[int, str, int]] = []
    original = Population.add_mine

    def recording_add_mine(self, name, *args, **kwargs):
        mine = original(self, name, *args, **kwargs)
        if self.world.month >= 0 and mine.state == "construction":
            lead = kwargs.get("months_to_output", args[7] if len(args) > 7 else 0)
            started.append((self.world.month, name, int(lead)))
        return mine

    monkeypatch.setattr(Population, "add_mine", recording_add_mine)
    model = LithiumModel(short_config(baseline_config, end="2024-12"), seed=1).run()
    agents = model.agents_frame()
    month_of = {date: i for i, date in enumerate(model.dates)}
    checked = 0
    for decided, name, lead in started:
        if decided + lead >= model.n_months:
            continue
        assert lead >= 1
        came = first_month(agents, name, "state != 'construction'")
        assert month_of[came] == decided + lead, (name, decided, lead, came)
        checked += 1
    assert checked > 5


def test_converter_capacity_grows_by_the_blocks_due_each_month(baseline_config, monkeypatch):
    due: dict[tuple[str, int], float] = {}
    original = LithiumModel.schedule_event

    def recording_schedule(self, function, *, at=None, after=None, **kwargs):
        if getattr(function, "__func__", None) is Refiner.complete_expansion:
            key = (function.__self__.name, round(at - 0.5))
            due[key] = due.get(key, 0.0) + function.__self__._blocks[-1][1]
        return original(self, function, at=at, after=after, **kwargs)

    monkeypatch.setattr(LithiumModel, "schedule_event", recording_schedule)
    model = LithiumModel(short_config(baseline_config, end="2025-12"), seed=1).run()
    refiners = model.agents_frame().query("agent_type == 'refiner'")
    month_of = {date: i for i, date in enumerate(model.dates)}
    assert len(due) > 5
    for name, rows in refiners.groupby("name", observed=True):
        capacity = rows["capacity_tpa"].to_numpy()
        months = [month_of[d] for d in rows["date"]]
        for k in range(1, len(months)):
            added = capacity[k] - capacity[k - 1]
            assert added == pytest.approx(due.get((name, months[k]), 0.0), abs=1e-6), (
                name,
                model.dates[months[k]],
            )
