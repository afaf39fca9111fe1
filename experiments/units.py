"""Units of the monthly columns and run metrics: one table (column, unit, period) for every
output a data tool reads.

Stored as JSON in the parquet schema metadata of the sweep's ``runs/`` and ``monthly/`` parts
(key ``lithium_abm.units``) and documented in docs/units.md (``units_markdown``). Names follow
suffix rules: ``_usd_t`` USD per t LCE, ``_usd`` USD in the month, ``_t`` t LCE in the month
(flows) or held at the month's end (stocks), ``_tpa`` capacities in t LCE per year, shares as
fractions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

UNITS_KEY = b"lithium_abm.units"

# Columns whose rule is not their suffix.
EXPLICIT: dict[str, tuple[str, str]] = {
    "date": ("month (first day)", "month"),
    "run_id": ("id", "run"),
    "point": ("design point index", "run"),
    "seed": ("random seed", "run"),
    "status": ("ok | failed", "run"),
    "error": ("text", "run"),
    "wall_time_s": ("s", "run"),
    "demand_gwh": ("GWh", "per month"),
    "china_pressure": ("index 0-1", "at month end"),
    "china_enforcement": ("index 0-1", "at month end"),
    "china_self_sufficiency": ("share", "per month"),
    "china_refining_share": ("share", "per month"),
    "env_incidents": ("count", "per month"),
    "bankruptcies": ("count", "per month"),
    "asset_sales": ("count", "per month"),
    "demand_factor_ev_subsidy": ("factor", "per month"),
    "demand_factor_chemistry": ("factor", "per month"),
    "refining_capacity_tpa": ("t LCE/yr", "per year"),
    "recycling_capacity_tpa": ("t LCE/yr", "per year"),
}
STOCK_PREFIXES = ("inventory_t", "stockpile_t")


def column_unit(name: str) -> tuple[str, str]:
    """(unit, period) of a monthly column, run column or metric name."""
    if name in EXPLICIT:
        return EXPLICIT[name]
    if name.startswith("capacity_tpa_") or name.endswith("_tpa") or "_tpa_" in name:
        return "t LCE/yr", "per year"
    if name.startswith("mines_"):
        return "count", "at month end"
    if name.endswith("_usd_t") or "_usd_t_" in name:  # a zone's price: price_chemical_usd_t_cn
        return "USD/t LCE", "per month"
    if name.endswith("_cny_t"):
        return "CNY/t LCE", "per month"
    if name.endswith("_usd"):
        return "USD", "per month"
    if "share" in name:
        return "share", "per month"
    if name.startswith(STOCK_PREFIXES):
        return "t LCE", "at month end"
    if name.endswith("_t") or "_t_" in name:
        return "t LCE", "per month"
    return "-", "per month"


def units_table(columns: Iterable[str], metric_units: dict[str, str] | None = None) -> list[dict]:
    """Rows {column, unit, period}; metrics take their registered unit, period 'run'."""
    metric_units = metric_units or {}
    rows = []
    for column in columns:
        if column in metric_units:
            rows.append({"column": column, "unit": metric_units[column], "period": "run"})
        else:
            unit, period = column_unit(column)
            rows.append({"column": column, "unit": unit, "period": period})
    return rows


def units_metadata(columns: Iterable[str], metric_units: dict[str, str] | None = None) -> bytes:
    return json.dumps(units_table(columns, metric_units), allow_nan=False).encode()


def units_markdown(columns: Iterable[str], regional: Iterable[str] = ()) -> str:
    """docs/units.md: the table of ``columns``, then that of the ``regional`` columns."""
    lines = [
        "# Units of the output columns",
        "",
        "Generated from `experiments/units.py`; the same table is stored in the parquet schema",
        "metadata of a sweep's `runs/` and `monthly/` parts under the key `lithium_abm.units`",
        "(read it with `json.loads(pq.read_schema(f).metadata[b'lithium_abm.units'])`).",
        "'per month' is a flow in that month (or a price or share observed in it), 'at month end'",
        "a stock, 'per year' a rate (capacities), 'run' one value per run.",
        "",
        "| Column | Unit | Period |",
        "|---|---|---|",
    ]
    for row in units_table(columns):
        lines.append(f"| `{row['column']}` | {row['unit']} | {row['period']} |")
    regional = list(regional)
    if regional:
        lines += [
            "",
            "With `regional_markets_enabled`, `model.parquet` has these columns as well",
            "(`price_chemical_usd_t` stays China's zone price, the benchmark researchers quote):",
            "",
            "| Column | Unit | Period |",
            "|---|---|---|",
        ]
        for row in units_table(regional):
            lines.append(f"| `{row['column']}` | {row['unit']} | {row['period']} |")
    return "\n".join(lines) + "\n"
