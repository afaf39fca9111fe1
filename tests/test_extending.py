"""The three worked examples of docs/ARCHITECTURE.md, each added from this test file: a policy
instrument, a clearing rule and an agent type join a run without editing the model's code."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import pytest

from lithium_abm.agents.base import WorldAgent
from lithium_abm.experiments.scenario import SCENARIO_DIR, ScenarioError, load_scenario
from lithium_abm.model.clearing import ClearingResult, clear_call_auction
from lithium_abm.model.lithium_model import LithiumModel
from lithium_abm.model.markets import rules
from lithium_abm.model.policy.instrument import INSTRUMENTS, Instrument, register

SHORT_END = "2016-12"


# --- 1. a policy instrument: one class, one column of the governments table -------------------
class SalesLevy(Instrument):
    """A toy levy on the sales value of the region's sellers (level: share of value)."""

    name = "toy_sales_levy"

    def __init__(self, level: Any) -> None:
        super().__init__(level)
        self.sales_seen_usd = 0.0

    def at_sale(self, gov: Any, seller: Any, value_usd: float) -> None:
        self.sales_seen_usd += value_usd
        if self.level > 0.0:
            seller.pay(gov.account, value_usd * self.level, "toy_sales_levy")


@pytest.fixture
def levy_registered():
    register(SalesLevy)
    yield SalesLevy
    del INSTRUMENTS[SalesLevy.name]


def _scenario_with_levy(tmp_path: Path, au_level: str) -> Path:
    """The default governments table with one more column; Australia holds the levy."""
    with (SCENARIO_DIR / "governments.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    columns = [*rows[0].keys(), SalesLevy.name]
    for row in rows:
        row[SalesLevy.name] = au_level if row["region"] == "AU" else ""
    table = tmp_path / "governments.csv"
    with table.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    scenario = tmp_path / "levy.toml"
    scenario.write_text(
        f'[scenario]\nname = "levy"\nextends = "baseline"\nend = "{SHORT_END}"\n\n'
        f'[data]\ngovernments = "{table}"\n'
    )
    return scenario


def test_a_new_instrument_is_one_class_and_one_table_column(tmp_path, levy_registered):
    model = LithiumModel(str(_scenario_with_levy(tmp_path, "0.05")), seed=1).run()
    australia = model.governments["AU"]
    levy = australia.instrument(SalesLevy.name)
    assert isinstance(levy, SalesLevy)
    assert levy.sales_seen_usd > 1e8  # Australian mines sell concentrate every month
    collected = model.ledger.total_flows[SalesLevy.name]
    assert collected == pytest.approx(0.05 * levy.sales_seen_usd, rel=1e-12)
    assert all(
        g.instrument(SalesLevy.name) is None for r, g in model.governments.items() if r != "AU"
    )
    assert abs(model.ledger.imbalance()) < 1e-3  # money is still conserved


def test_a_new_instrument_at_level_zero_changes_nothing(tmp_path, levy_registered):
    with_levy = LithiumModel(str(_scenario_with_levy(tmp_path, "0")), seed=1).run()
    without = LithiumModel("baseline", seed=1, end=SHORT_END).run()
    assert with_levy.model_frame().equals(without.model_frame())


def test_an_unregistered_instrument_column_is_refused_with_the_allowed_names(tmp_path):
    with pytest.raises(ScenarioError, match="unknown column 'toy_sales_levy'; allowed: region"):
        load_scenario(_scenario_with_levy(tmp_path, "0.05"))


# --- 2. a clearing rule: one function registered by name ----------------------------------------
CALLS = {"buyers_price": 0}


def buyers_price(bid_p, bid_q, offer_p, offer_q) -> ClearingResult:
    """The call auction at the lowest market-clearing price (k = 0: buyers keep the surplus)."""
    CALLS["buyers_price"] += 1
    return clear_call_auction(bid_p, bid_q, offer_p, offer_q, k=0.0)


@pytest.fixture
def rule_registered():
    rules.register("toy_buyers_price")(buyers_price)
    yield
    del rules.CLEARING_RULES["toy_buyers_price"]


def _scenario_with_rule(tmp_path: Path, rule: str) -> Path:
    path = tmp_path / "rule.toml"
    path.write_text(
        f'[scenario]\nname = "rule"\nextends = "baseline"\nend = "{SHORT_END}"\n'
        f'clearing_rule = "{rule}"\n'
    )
    return path


def test_a_scenario_chooses_a_new_clearing_rule_by_name(tmp_path, rule_registered):
    CALLS["buyers_price"] = 0
    model = LithiumModel(str(_scenario_with_rule(tmp_path, "toy_buyers_price")), seed=1).run()
    assert CALLS["buyers_price"] == 2 * model.n_months  # both markets, every month
    low = model.model_frame()["price_chemical_usd_t"].to_numpy()
    mid = LithiumModel("baseline", seed=1, end=SHORT_END).run().model_frame()
    # The first month's book is the same in both runs, so its price can only be lower or equal.
    assert low[0] <= mid["price_chemical_usd_t"].iloc[0]
    assert not (low == mid["price_chemical_usd_t"].to_numpy()).all()


def test_an_unknown_clearing_rule_is_refused_with_the_allowed_names(tmp_path):
    with pytest.raises(
        ScenarioError, match="scenario.clearing_rule: expected one of uniform_price"
    ):
        load_scenario(_scenario_with_rule(tmp_path, "sealed_envelope"))


# --- 3. an agent type: a class that sees the World, and a stage of its own ----------------------
class PriceWatcher(WorldAgent):
    """A toy agent that only observes: it keeps the chemical price it sees after the market."""

    def __init__(self, world: Any) -> None:
        super().__init__(world)
        self.seen_usd_t: list[float] = []

    def step(self) -> None:
        self.seen_usd_t.append(self.world.last_price["chemical"])


def test_a_new_agent_type_joins_the_month_through_its_own_stage():
    model = LithiumModel("baseline", seed=1, end=SHORT_END)
    watchers = [PriceWatcher(model.world) for _ in range(3)]
    model.insert_stage(
        "watchers", lambda: model.agents_by_type[PriceWatcher].do("step"), after="chemical"
    )
    assert model.stage_names()[4:6] == ["chemical", "watchers"]
    model.run()
    prices = model.model_frame()["price_chemical_usd_t"].tolist()
    for watcher in watchers:
        assert watcher.seen_usd_t == prices
    assert not any(math.isnan(p) for p in prices)


def test_insert_stage_refuses_unknown_and_duplicate_names():
    model = LithiumModel("baseline", seed=1, end="2015-03")
    with pytest.raises(ValueError, match="unknown stage 'market'; stages: demand, mines"):
        model.insert_stage("x", lambda: None, after="market")
    with pytest.raises(ValueError, match="stage 'mines' exists already"):
        model.insert_stage("mines", lambda: None, after="demand")
