"""Mechanism switches do only what they say, and ``lithium-abm attribute`` end to end."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from lithium_abm.agents import base as base_module
from lithium_abm.agents.mine import CARE, CLOSED, OPERATING
from lithium_abm.cli import main
from lithium_abm.experiments.mechanisms import MECHANISM_PARAMS
from lithium_abm.experiments.scenario import load_scenario
from lithium_abm.model.lithium_model import LithiumModel


@pytest.fixture(scope="module")
def baseline_config():
    return load_scenario("baseline")


def configured(config, end: str = "2019-12", **params):
    return dataclasses.replace(config, end=end, params={**config.params, **params})


def run(config, **params):
    return LithiumModel(configured(config, **params), seed=1).run()


@pytest.fixture(scope="module")
def all_on(baseline_config):
    return run(baseline_config)


def flow(model, kind):
    return model.ledger.total_flows.get(kind, 0.0)


def test_every_switch_is_a_mechanism_parameter_on_by_default():
    from lithium_abm.model.parameters import PARAMETERS, with_role

    for name in MECHANISM_PARAMS.values():
        assert name in with_role("mechanism")
        assert PARAMETERS[name].default is True


def test_all_switches_on_reproduce_the_scenario(baseline_config, all_on):
    explicit = run(baseline_config, **{p: True for p in MECHANISM_PARAMS.values()})
    pd.testing.assert_frame_equal(explicit.model_frame(), all_on.model_frame())


def test_integration_off_stops_captive_flows_and_group_purchases(baseline_config, all_on):
    frame = all_on.model_frame()
    assert frame["captive_t_concentrate"].sum() + frame["captive_t_chemical"].sum() > 0.0
    off = run(baseline_config, integration_enabled=False)
    frame = off.model_frame()
    assert frame["captive_t_concentrate"].sum() == 0.0
    assert frame["captive_t_chemical"].sum() == 0.0
    assert flow(off, "asset_purchases") == 0.0


def test_state_subsidy_off_stops_subsidy_and_cheap_power_only(baseline_config, all_on):
    assert flow(all_on, "cheap_power") > 0.0
    off = run(baseline_config, state_subsidy_enabled=False)
    assert flow(off, "subsidy") == 0.0
    assert flow(off, "cheap_power") == 0.0
    state_mines = [m for m in off.population.mines if m.owner_kind == "state"]
    assert state_mines and all(m.support_usd_t() == 0.0 for m in state_mines)


def test_closure_pressure_off_leaves_the_private_loss_threshold(baseline_config, all_on):
    state_on = [m for m in all_on.population.mines if m.owner_kind == "state" and m.supported]
    assert max(m.loss_tolerance() for m in state_on) > 1.0
    off = run(baseline_config, closure_pressure_enabled=False)
    assert all(m.loss_tolerance() == 1.0 for m in off.population.mines)


def test_equity_stakes_off_means_no_state_investment_or_takeover(baseline_config, all_on):
    assert flow(all_on, "equity_stakes") > 0.0
    off = run(baseline_config, equity_stakes_enabled=False)
    assert flow(off, "equity_stakes") == 0.0
    assert flow(off, "state_takeovers") == 0.0


def test_hysteresis_off_follows_the_sign_of_the_monthly_margin(baseline_config):
    model = LithiumModel(configured(baseline_config, hysteresis_enabled=False), seed=1)
    for _ in range(3):
        model.step()
    mine = next(m for m in model.population.mines if m.state == OPERATING)

    def decide(price_usd_t):
        mine.decision_price_usd_t = lambda price: price_usd_t
        mine._decide(0.0)  # royalty on a zero price is zero: the owner's price is price_usd_t

    mine.decision_price_usd_t = lambda price: 0.0
    assert mine.monthly_margin_usd(0.0) < 0.0  # at a zero price a mine loses its costs
    decide(-1.0)
    assert mine.state == CARE
    decide(1.0e6)  # far above any cost: a positive margin
    assert mine.state == OPERATING  # at once: no delay, no restart cost
    decide(-1.0)
    mine.care_months = mine.p.max_care_months
    decide(1.0e6)
    assert mine.state == CLOSED  # still closes after the longest care spell
    done = run(baseline_config, hysteresis_enabled=False)
    assert flow(done, "restart_cost") == 0.0


def test_hysteresis_off_idles_every_mine_with_a_negative_margin(baseline_config, monkeypatch):
    model = LithiumModel(configured(baseline_config, hysteresis_enabled=False), seed=1)
    seen = []
    cls = type(model.population.mines[0])
    original = cls._decide

    def spy(self, price, *costs):
        before, margin = self.state, self.monthly_margin_usd(price)
        original(self, price, *costs)
        seen.append((before, margin, self.state))

    monkeypatch.setattr(cls, "_decide", spy)
    for _ in range(36):
        model.step()
    producing = [(m, s) for b, m, s in seen if b == OPERATING]
    idle = [(m, s) for b, m, s in seen if b == CARE]
    assert any(s == CARE for _, s in producing)
    assert all((s == CARE) == (m < 0.0) for m, s in producing)
    assert all((s == OPERATING) == (m > 0.0) for m, s in idle if s != CLOSED)


def test_growth_expectations_off_ignore_the_price_trend(baseline_config, monkeypatch):
    on = LithiumModel(configured(baseline_config), seed=1)
    off = LithiumModel(configured(baseline_config, growth_expectations_enabled=False), seed=1)
    values = {}
    for label, model in (("on", on), ("off", off)):
        dev = next(d for d in model.population.developers.values() if d.deposits)
        deposit = dev.deposits[0]
        monkeypatch.setattr(base_module, "expected_growth", lambda *a: 0.0)
        flat = dev.expected_margin_usd_t(deposit, 1.0)
        monkeypatch.setattr(base_module, "expected_growth", lambda *a: 1.0)
        values[label] = (flat, dev.expected_margin_usd_t(deposit, 1.0))
    assert values["on"][1] != values["on"][0]
    assert values["off"][1] == values["off"][0]


# --- the command ------------------------------------------------------------------------------

TINY = [
    "attribute",
    "--scenario",
    "baseline",
    "--seeds",
    "1",
    "--mechanisms",
    "state_subsidy,equity_stakes",
    "--metrics",
    "cumulative_support_usd_bn,peak_price_usd_t",
    "--end",
    "2018-12",
    "--workers",
    "1",
    "-q",
]


def test_attribute_command_on_a_tiny_factorial(tmp_path, capsys):
    out = tmp_path / "attr"
    assert main([*TINY, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "cumulative_support_usd_bn" in printed and "4 runs" in printed
    table = pd.read_parquet(out / "factorial.parquet")
    assert len(table) == 4
    assert table["state_subsidy"].dtype == bool and table["equity_stakes"].dtype == bool
    attribution = pd.read_csv(out / "attribution.csv")
    assert list(attribution.columns) == [
        "mechanism",
        "metric",
        "shapley",
        "ci_low",
        "ci_high",
        "share_of_total",
    ]
    for metric in ("cumulative_support_usd_bn", "peak_price_usd_t"):
        on = table.loc[table["state_subsidy"] & table["equity_stakes"], metric].item()
        off = table.loc[~table["state_subsidy"] & ~table["equity_stakes"], metric].item()
        values = attribution.loc[attribution["metric"] == metric, "shapley"]
        assert values.sum() == pytest.approx(on - off)
    # all support off: no state money at all
    assert (
        table.loc[
            ~table["state_subsidy"] & ~table["equity_stakes"], "cumulative_support_usd_bn"
        ].item()
        == 0.0
    )
    assert table["cumulative_support_usd_bn"].max() > 0.0
    inter = pd.read_csv(out / "interactions.csv")
    assert len(inter) == 2
    assert (out / "waterfall_cumulative_support_usd_bn.png").stat().st_size > 1000
    # resume: nothing reruns, same answer
    assert main([*TINY, "--out", str(out)]) == 0
    assert "(4 on disk already)" in capsys.readouterr().out
    pd.testing.assert_frame_equal(pd.read_csv(out / "attribution.csv"), attribution)


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (("--mechanisms", "integration,telepathy"), "unknown mechanism 'telepathy'"),
        (("--seeds", "0"), "--seeds"),
        (("--metrics", "no_such_metric"), "no_such_metric"),
    ],
)
def test_attribute_bad_input_is_one_line_exit_2(tmp_path, capsys, change, needle):
    args = list(TINY)
    i = args.index(change[0])
    args[i + 1] = change[1]
    assert main([*args, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and needle in err and "Traceback" not in err
    assert not (tmp_path / "x" / "factorial.parquet").exists()
