"""Monthly records of the model and its agents, kept in plain lists and built into DataFrames.

Recording into our own lists is far cheaper than Mesa's DataCollector for per-agent monthly
tables (its agent reporters cost about 0.65 us per agent per attribute and about 125 B per
record), and keeps the column set, names and units under our control.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING

import mesa
import pandas as pd

from lithium_abm.model.parameters import RESOURCES
from lithium_abm.model.zones import ZONES, routes, zone_of

if TYPE_CHECKING:
    from lithium_abm.model.lithium_model import LithiumModel

MINE_STATE_COUNTS = ("construction", "ramp_up", "operating", "care_maintenance", "closed")
FLOW_COLUMNS = {
    "subsidy_usd": "subsidy",
    "equity_stakes_usd": "equity_stakes",
    "fines_usd": "fines",
    "tariffs_usd": "tariffs",
    "royalties_usd": "royalties",
    "cheap_power_usd": "cheap_power",
    "export_duties_usd": "export_duties",
    "state_profit_share_usd": "state_profit_share",
    "capex_usd": ("capex_mining", "capex_refining", "capex_recycling"),
}
AGENT_COLUMNS = (
    "date",
    "agent_id",
    "name",
    "agent_type",
    "resource",
    "region",
    "owner_kind",
    "group",
    "state",
    "capacity_tpa",
    "output_t",
    "unit_cash_cost_usd_t",
    "cost_chem_equiv_usd_t",
    "realized_price_usd_t",
    "loss_making",
    "cash_usd",
    "inventory_t",
)


def model_columns() -> tuple[str, ...]:
    """The monthly model table's columns, in order (also the DataCollector's reporters)."""
    return (
        "date",
        "price_chemical_usd_t",
        "price_concentrate_usd_t",
        "price_chemical_cny_t",
        "demand_t",
        "demand_gwh",
        "consumption_t",
        "unmet_demand_t",
        "production_t",
        *(f"production_t_{r}" for r in RESOURCES),
        *(f"capacity_tpa_{r}" for r in RESOURCES),
        "loss_making_share",
        *(f"loss_making_share_{r}" for r in RESOURCES),
        "output_t_independent",
        "loss_output_t_independent",
        "output_t_supported",
        "loss_output_t_supported",
        "china_refining_share",
        "china_self_sufficiency",
        "china_subsidy_rate_usd_t",
        "china_pressure",
        "china_enforcement",
        *FLOW_COLUMNS,
        "inventory_t",
        "inventory_t_mines",
        "inventory_t_refiners",
        "inventory_t_battery_makers",
        "inventory_t_recyclers",
        "stockpile_t",
        "retired_t",
        "collected_t",
        "recycled_t",
        "recycling_loss_t",
        "recycling_capacity_tpa",
        "substitution_share",
        "demand_factor_ev_subsidy",
        "demand_factor_chemistry",
        "env_incidents",
        "night_shift_output_share",
        "volume_t_concentrate",
        "volume_t_chemical",
        "captive_t_concentrate",
        "captive_t_chemical",
        "refining_capacity_tpa",
        *(f"mines_{s}" for s in MINE_STATE_COUNTS),
        "bankruptcies",
        "asset_sales",
    )


def regional_columns() -> tuple[str, ...]:
    """The columns regional markets add: each zone's prices and volumes, each route's trade,
    each zone's converter capacity."""
    columns: list[str] = []
    for product in ("chemical", "concentrate"):
        columns += [f"price_{product}_usd_t_{zone}" for zone in ZONES]
        columns += [f"volume_t_{product}_{zone}" for zone in ZONES]
    for product in ("chemical", "concentrate"):
        columns += [f"trade_t_{product}_{a}_to_{b}" for a, b in routes()]
    columns += [f"refining_capacity_tpa_{zone}" for zone in ZONES]
    return (*columns, "inventory_t_traders")


class _Latest:
    """A DataCollector reporter: one column of the month just recorded (no copy, no lookup of
    the model). Called without arguments, as Mesa calls bound methods."""

    def __init__(self, rows: list[dict[str, float]], column: str) -> None:
        self.rows = rows
        self.column = column

    def __call__(self) -> float:
        return self.rows[-1][self.column]


class _RowCollector(mesa.DataCollector):
    """A DataCollector whose model reporters are all ``_Latest`` columns of the recorder's
    rows: after Mesa's first (validating) collection, each collection appends the month's
    values to ``model_vars`` directly. The values are numbers, which Mesa's deepcopy returns
    unchanged, so ``model_vars`` holds what Mesa's own loop would."""

    def __init__(self, rows: list[dict[str, float]], **kwargs) -> None:
        super().__init__(**kwargs)
        self._rows = rows
        self._columns = [(var, self.model_vars[var]) for var in self.model_reporters]

    def collect(self, model) -> None:
        if not self._validated:
            super().collect(model)
            return
        if hasattr(self, "_collection_steps"):
            self._collection_steps.append(model.time)
        row = self._rows[-1]
        for var, values in self._columns:
            values.append(row[var])


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0.0 else math.nan


class Recorder:
    """Collects one model row and one row per agent each month."""

    def __init__(self, model: LithiumModel, record_agents: bool = True) -> None:
        self.model = model
        self.record_agents = record_agents
        self.rows: list[dict[str, float]] = []
        self.agent_rows: list[tuple] = []
        self.cum_production_t = model.population.opening_stock_t
        self.cum_consumption_t = 0.0
        self._incidents_seen = 0

    def record(self) -> None:
        m = self.model
        date = m.dates[m.month]
        demand = m.demand
        recycling = m.recycling
        prod = defaultdict(float)
        cap = defaultdict(float)
        loss = defaultdict(float)
        owner_out = defaultdict(float)
        owner_loss = defaultdict(float)
        states = defaultdict(int)
        inv_mines = night_out = 0.0
        chem_cn = chem_all = 0.0
        for mine in m.mines:
            states[mine.state] += 1
            inv_mines += mine.inventory_t
            if mine.state not in ("construction", "closed"):
                cap[mine.resource] += mine.capacity_tpa
            out = mine.output_t
            if out > 0.0:
                prod[mine.resource] += out
                if mine.ran_night_shift:
                    night_out += out
                kind = "independent" if mine.owner_kind == "independent" else "supported"
                owner_out[kind] += out
                loss[mine.resource] += mine.loss_output_t
                owner_loss[kind] += mine.loss_output_t
                if mine.product == "chemical":
                    chem_all += out
                    if mine.region == "CN":
                        chem_cn += out
        inv_feed = inv_chem = 0.0
        for refiner in m.refiners:
            inv_feed += refiner.feed_t
            inv_chem += refiner.chemical_t
            chem_all += refiner.output_t
            if refiner.region == "CN":
                chem_cn += refiner.output_t
        inv_batt = sum(b.inventory_t for b in m.battery_makers)
        inv_recyclers = sum(r.feed_t + r.chemical_t for r in m.recyclers)
        inv_reserve = m.stockpiler.inventory_t if m.stockpiler is not None else 0.0
        recycled = 0.0
        for recycler in m.recyclers:
            recycled += recycler.output_t
            chem_all += recycler.output_t
            if recycler.region == "CN":
                chem_cn += recycler.output_t
        consumption = sum(b.consumed_t for b in m.battery_makers)
        production = sum(prod.values())
        self.cum_production_t += production
        self.cum_consumption_t += consumption
        flows = m.ledger.month_flows
        china = m.governments.get("CN")
        conc = m.outcomes["concentrate"]
        chem = m.outcomes["chemical"]
        row: dict[str, float] = {
            "date": date,
            "price_chemical_usd_t": chem.price_usd_t,
            "price_concentrate_usd_t": conc.price_usd_t,
            "price_chemical_cny_t": chem.price_usd_t * m.params.market.usd_cny,
            "demand_t": demand.demand_t,
            "demand_gwh": demand.demand_t / m.params.demand.li_intensity_kg_kwh / 1000.0,
            "consumption_t": consumption,
            "unmet_demand_t": max(0.0, demand.demand_t - consumption),
            "production_t": production,
        }
        for r in RESOURCES:
            row[f"production_t_{r}"] = prod[r]
        for r in RESOURCES:
            row[f"capacity_tpa_{r}"] = cap[r]
        row["loss_making_share"] = _share(sum(loss.values()), production)
        for r in RESOURCES:
            row[f"loss_making_share_{r}"] = _share(loss[r], prod[r])
        row.update(
            {
                "output_t_independent": owner_out["independent"],
                "loss_output_t_independent": owner_loss["independent"],
                "output_t_supported": owner_out["supported"],
                "loss_output_t_supported": owner_loss["supported"],
                "china_refining_share": _share(chem_cn, chem_all),
                "china_self_sufficiency": china.self_sufficiency if china else math.nan,
                "china_subsidy_rate_usd_t": china.subsidy_rate_usd_t if china else 0.0,
                "china_pressure": china.pressure if china else 0.0,
                "china_enforcement": china.enforcement if china else 0.0,
            }
        )
        for column, kinds in FLOW_COLUMNS.items():
            kinds = (kinds,) if isinstance(kinds, str) else kinds
            row[column] = sum(flows.get(k, 0.0) for k in kinds)
        row.update(
            {
                "inventory_t": inv_mines
                + inv_feed
                + inv_chem
                + inv_batt
                + inv_recyclers
                + inv_reserve,
                "inventory_t_mines": inv_mines,
                "inventory_t_refiners": inv_feed + inv_chem,
                "inventory_t_battery_makers": inv_batt,
                "inventory_t_recyclers": inv_recyclers,
                "stockpile_t": inv_reserve,
                "retired_t": recycling.retired_t,
                "collected_t": recycling.collected_t,
                "recycled_t": recycled,
                "recycling_loss_t": sum(r.lost_t for r in m.recyclers),
                "recycling_capacity_tpa": sum(r.capacity_tpa for r in m.recyclers),
                "substitution_share": demand.substitution_share,
                "demand_factor_ev_subsidy": demand.factors["ev_subsidy"],
                "demand_factor_chemistry": demand.factors["chemistry"],
                "env_incidents": self._monthly_incidents(),
                "night_shift_output_share": _share(night_out, production),
                "volume_t_concentrate": conc.volume_t,
                "volume_t_chemical": chem.volume_t,
                "captive_t_concentrate": conc.captive_t,
                "captive_t_chemical": chem.captive_t,
                "refining_capacity_tpa": sum(r.capacity_tpa for r in m.refiners),
            }
        )
        for s in MINE_STATE_COUNTS:
            row[f"mines_{s}"] = states[s]
        row["bankruptcies"] = m.court.bankruptcies
        row["asset_sales"] = m.court.asset_sales
        if m.traders:
            self._record_regions(row)
        self.rows.append(row)
        if self.record_agents:
            self._record_agents(date)

    def _record_regions(self, row: dict[str, float]) -> None:
        """Regional markets: each zone's prices and volumes, and each route's shipments."""
        m = self.model
        for product, market in (
            ("chemical", m.chemical_market),
            ("concentrate", m.concentrate_market),
        ):
            for zone in ZONES:
                price, volume, _ = market.zone_outcomes.get(zone, (math.nan, 0.0, False))
                row[f"price_{product}_usd_t_{zone}"] = price
                row[f"volume_t_{product}_{zone}"] = volume
        held = 0.0
        for trader in m.traders:
            row[f"trade_t_{trader.product}_{trader.source}_to_{trader.destination}"] = (
                trader.shipped_t
            )
            held += trader.held_t
        row["inventory_t_traders"] = held
        row["inventory_t"] += held
        for zone in ZONES:
            row[f"refining_capacity_tpa_{zone}"] = 0.0
        for refiner in m.refiners:
            row[f"refining_capacity_tpa_{zone_of(refiner.region)}"] += refiner.capacity_tpa

    def _monthly_incidents(self) -> int:
        """Pollution incidents and inspection violations this month, all jurisdictions."""
        total = sum(g.incidents for g in self.model.governments.values())
        month, self._incidents_seen = total - self._incidents_seen, total
        return month

    def _record_agents(self, date) -> None:
        m = self.model
        append = self.agent_rows.append
        for mine in m.mines:
            group = mine.group.name if mine.group is not None else ""
            unit_cost = mine.judged_unit_cost_usd_t
            if unit_cost != unit_cost:  # not yet settled (built this month)
                unit_cost = mine.unit_cash_cost_usd_t()
            append(
                (
                    date,
                    mine.unique_id,
                    mine.name,
                    "mine",
                    mine.resource,
                    mine.region,
                    mine.owner_kind,
                    group,
                    mine.state,
                    mine.capacity_tpa,
                    mine.output_t,
                    unit_cost,
                    unit_cost + mine.conversion_cost_usd_t,
                    mine.realized_price_usd_t,
                    mine.loss_making,
                    mine.cash_usd,
                    mine.inventory_t,
                )
            )
        price = m.last_price["chemical"]
        for r in m.refiners:
            group = r.group.name if r.group is not None else ""
            unit = r.conversion_cost_usd_t
            realized = r.revenue_usd / r.sold_t if r.sold_t > 0 else price
            append(
                (
                    date,
                    r.unique_id,
                    r.name,
                    "refiner",
                    "",
                    r.region,
                    r.owner_kind,
                    group,
                    r.state,
                    r.capacity_tpa,
                    r.output_t,
                    unit,
                    math.nan,
                    realized,
                    False,
                    r.cash_usd,
                    r.feed_t + r.chemical_t,
                )
            )
        for b in m.battery_makers:
            group = b.group.name if b.group is not None else ""
            append(
                (
                    date,
                    b.unique_id,
                    b.name,
                    "battery_maker",
                    "",
                    b.region,
                    b.owner_kind,
                    group,
                    b.state,
                    0.0,
                    b.consumed_t,
                    math.nan,
                    math.nan,
                    math.nan,
                    False,
                    b.cash_usd,
                    b.inventory_t,
                )
            )
        for r in m.recyclers:
            realized = r.revenue_usd / r.sold_t if r.sold_t > 0 else price
            append(
                (
                    date,
                    r.unique_id,
                    r.name,
                    "recycler",
                    "recycled",
                    r.region,
                    r.owner_kind,
                    "",
                    r.state,
                    r.capacity_tpa,
                    r.output_t,
                    r.unit_cost_usd_t(),
                    r.unit_cost_usd_t(),
                    realized,
                    False,
                    r.cash_usd,
                    r.feed_t + r.chemical_t,
                )
            )
        reserve = m.stockpiler
        if reserve is not None:
            append(
                (
                    date,
                    reserve.unique_id,
                    reserve.name,
                    "stockpiler",
                    "",
                    reserve.region,
                    "state",
                    "",
                    reserve.state,
                    m.params.stockpile.stockpile_capacity_t,
                    reserve.bought_t - reserve.sold_t,
                    math.nan,
                    math.nan,
                    math.nan,
                    False,
                    reserve.cash_usd,
                    reserve.inventory_t,
                )
            )
        for g in m.governments.values():
            append(
                (
                    date,
                    g.unique_id,
                    g.name,
                    "government",
                    "",
                    g.region,
                    "state",
                    "",
                    g.state,
                    0.0,
                    0.0,
                    math.nan,
                    math.nan,
                    math.nan,
                    False,
                    g.cash_usd,
                    0.0,
                )
            )

    def datacollector(self) -> mesa.DataCollector:
        """Mesa's DataCollector with one model reporter per monthly column (``mesa.batch_run``
        and Mesa users read it); per-agent records stay in this recorder, which is far cheaper."""
        columns = model_columns() + (regional_columns() if self.model.traders else ())
        reporters = {c: _Latest(self.rows, c) for c in columns if c != "date"}
        return _RowCollector(self.rows, model_reporters=reporters)

    def model_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def agents_frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.agent_rows, columns=list(AGENT_COLUMNS))
        for col in ("agent_type", "resource", "region", "owner_kind", "state", "group"):
            # '' (no resource, no group) is recorded as missing, which every data tool reads.
            df[col] = df[col].replace("", None).astype("category")
        return df
