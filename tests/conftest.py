"""Shared model runs and scenario-file builders for the model, scenario and behaviour tests.

A full baseline run (2015-2035, 252 months) takes about half a second, so the runs every test
module reads are made once per session and shared. Tests must treat them as read-only: step or
mutate a fresh model instead.
"""

from __future__ import annotations

# First, before numpy loads: lithium_abm fixes numpy's BLAS kernels (see lithium_abm/__init__.py).
import lithium_abm  # noqa: F401

# isort: split
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from lithium_abm.experiments.scenario import load_scenario
from lithium_abm.model.config import ModelConfig
from lithium_abm.model.ledger import Ledger
from lithium_abm.model.lithium_model import LithiumModel

MARKET_KINDS = ("purchases_feed", "purchases_chemical")


@dataclass
class Run:
    """One finished run: the model, its frames and what was observed after every step."""

    model: LithiumModel
    model_frame: pd.DataFrame
    agents_frame: pd.DataFrame
    trace: pd.DataFrame  # one row per step: time, balances and conservation errors
    payments: list[tuple[int, int, float, str]] = field(default_factory=list)


def simulate(config: ModelConfig, seed: int, audit_payments: bool = False) -> Run:
    """Step a model month by month, recording its invariants after every step.

    With ``audit_payments`` every call to ``Ledger.pay`` (from construction on) is recorded as
    (payer, payee, amount, kind), so tests can re-derive the balances independently.
    """
    payments: list[tuple[int, int, float, str]] = []
    with pytest.MonkeyPatch.context() as mp:
        if audit_payments:
            original = Ledger.pay

            def recording_pay(self, payer, payee, amount_usd, kind):
                payments.append((payer, payee, amount_usd, kind))
                return original(self, payer, payee, amount_usd, kind)

            mp.setattr(Ledger, "pay", recording_pay)
        model = LithiumModel(config, seed=seed)
        rows = []
        while model.month < model.n_months - 1:
            model.step()
            ledger = model.ledger
            rows.append(
                {
                    "time": model.time,
                    "steps": model.steps,
                    "month": model.month,
                    "lithium_error_t": model.lithium_balance_error_t(),
                    "cum_production_t": model.recorder.cum_production_t,
                    "imbalance_usd": ledger.imbalance(),
                    "total_flows_usd": math.fsum(ledger.total_flows.values()),
                    "exchange_usd": ledger.balance(model.world.exchange_account),
                    "market_flows_usd": sum(ledger.total_flows.get(k, 0.0) for k in MARKET_KINDS),
                }
            )
    return Run(model, model.model_frame(), model.agents_frame(), pd.DataFrame(rows), payments)


@pytest.fixture(scope="session")
def baseline_config() -> ModelConfig:
    return load_scenario("baseline")


@pytest.fixture(scope="session")
def no_support_config() -> ModelConfig:
    return load_scenario("no_support")


@pytest.fixture(scope="session")
def baseline_run(baseline_config) -> Run:
    """Baseline, seed 1, stepped by hand with every ledger payment recorded."""
    return simulate(baseline_config, seed=1, audit_payments=True)


@pytest.fixture(scope="session")
def baseline_run_seed2(baseline_config) -> Run:
    return simulate(baseline_config, seed=2)


@pytest.fixture(scope="session")
def no_support_run(no_support_config) -> Run:
    return simulate(no_support_config, seed=1)


@pytest.fixture(scope="session", params=["baseline_run", "baseline_run_seed2", "no_support_run"])
def any_run(request) -> Run:
    """Each shared run in turn, for invariants that must hold in every run."""
    return request.getfixturevalue(request.param)


# --- scenario files ----------------------------------------------------------------------------

TINY_MINES = """\
name,resource,region,capacity_tpa,cost_usd_t,owner_kind,group,state,start,source
Salar Uno,brine,CL,10000,3500,independent,,operating,,test brine mine
Hard Rock One,spodumene,AU,15000,2500,independent,,operating,,test spodumene mine
"""
TINY_REFINERS = """\
name,region,capacity_tpa,owner_kind,group,start,source
Converter One,CN,20000,integrated,G,,test converter
"""
TINY_MAKERS = """\
name,region,demand_share,owner_kind,group,source
Cells One,CN,1.0,integrated,G,test battery maker
"""
TINY_RESOURCES = """\
region,resource,deposits,capacity_tpa,cost_min_usd_t,cost_max_usd_t,source
AU,spodumene,3,10000,3500,6000,test deposits
CN,lepidolite,2,5000,5500,9000,test deposits
"""
TINY_TOML = """\
[scenario]
name = "tiny"
extends = "baseline"
end = "2016-12"

[data]
mines = "mines.csv"
refiners = "refiners.csv"
battery_makers = "battery_makers.csv"
resource_base = "resource_base.csv"

[demand_path]
2015 = 24000
2016 = 26000
"""


TINY_FILES = {
    "toml": TINY_TOML,
    "mines": TINY_MINES,
    "refiners": TINY_REFINERS,
    "battery_makers": TINY_MAKERS,
    "resource_base": TINY_RESOURCES,
}
Edit = str | tuple[str, str] | list[tuple[str, str]] | Callable[[str], str]


def _edited(text: str, edit: Edit) -> str:
    if isinstance(edit, str):
        return edit
    if callable(edit):
        return edit(text)
    for old, new in [edit] if isinstance(edit, tuple) else edit:
        assert old in text, f"test setup: {old!r} is not in the file"
        text = text.replace(old, new)
    return text


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[..., Path]:
    """Builder of a small scenario in tmp_path: two mines, a converter, a maker, two deposits.

    ``write_scenario(name="scenario.toml", toml=..., mines=..., refiners=..., battery_makers=...,
    resource_base=...)`` writes the TOML and the four CSV files and returns the TOML's path. Each
    file keyword takes the whole new text, an ``(old, new)`` replacement (or a list of them; the
    old text must occur) or a function of the default text.
    """

    def build(name: str = "scenario.toml", **edits: Edit) -> Path:
        unknown = set(edits) - set(TINY_FILES)
        assert not unknown, f"test setup: no file called {unknown}"
        texts = {key: _edited(text, edits.get(key, text)) for key, text in TINY_FILES.items()}
        for key in ("mines", "refiners", "battery_makers", "resource_base"):
            (tmp_path / f"{key}.csv").write_text(texts[key], encoding="utf-8")
        path = tmp_path / name
        path.write_text(texts["toml"], encoding="utf-8")
        return path

    return build
