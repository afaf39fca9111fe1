"""Scenarios as validated data files: TOML for parameters and story, CSV for the population.

A scenario names its time span, its data files, its demand path and parameter values; it may
extend another scenario. Everything is checked before a model is built: unknown keys, wrong
types and out-of-range values raise ``ScenarioError`` with one message that names the field and
the allowed values.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

from lithium_abm.agents.base import OWNER_KINDS
from lithium_abm.agents.mine import MINE_STATES
from lithium_abm.experiments.governments_table import GovernmentsTableError, read_governments
from lithium_abm.experiments.toml_fields import MONTH_RULE as MONTH_RULE  # the CLI's table
from lithium_abm.experiments.toml_fields import Fields, check_month, is_number, read_toml
from lithium_abm.model.config import (
    BatteryMakerSpec,
    MineSpec,
    ModelConfig,
    RefinerSpec,
    ResourceSpec,
)
from lithium_abm.model.markets.rules import CLEARING_RULES
from lithium_abm.model.parameters import PARAMETERS, RESOURCES, resolve

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
# Plausible bounds of the population's numbers (docs/scenarios.md): the largest lithium
# operation today makes about 0.2 Mt LCE a year, the costliest about 20,000 USD/t.
CSV_BOUNDS: dict[str, tuple[float, float]] = {
    "capacity_tpa": (0.0, 2.0e6),  # t LCE per year
    "cost_usd_t": (0.0, 1.0e5),  # USD per t LCE
    "cost_min_usd_t": (0.0, 1.0e5),
    "cost_max_usd_t": (0.0, 1.0e5),
    "demand_share": (0.0, 1.0),
}
CSV_COUNT_MAX = 100_000  # whole-number CSV columns (deposits of a region and resource)
DEMAND_MAX_T = 1.0e8  # t LCE per year; world demand was about 1e6 t in 2024
_HORIZON_WARNED: set[tuple[str, str, int]] = set()
SECTIONS = {"scenario", "data", "demand_path", "parameters"}
SCENARIO_KEYS = {"name", "description", "start", "end", "extends", "clearing_rule"}
DATA_KEYS = ("mines", "refiners", "battery_makers", "resource_base")
OPTIONAL_DATA_KEYS = ("governments",)  # default: scenarios/governments.csv


class ScenarioError(ValueError):
    """A scenario, data file or override is invalid; the message names the field."""


def available_scenarios() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def _find(name_or_path: str | Path) -> Path:
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ScenarioError(f"scenario file {str(path)!r} does not exist")
        return path
    candidate = SCENARIO_DIR / f"{name_or_path}.toml"
    if not candidate.is_file():
        raise ScenarioError(
            f"unknown scenario {str(name_or_path)!r}; choose one of "
            f"{', '.join(available_scenarios())} or give a path to a .toml file"
        )
    return candidate


def _read_toml(path: Path) -> dict[str, Any]:
    return read_toml(path.read_text(encoding="utf-8"), SECTIONS, ScenarioError, path)


def _merge_raw(path: Path, seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], dict[str, Path]]:
    """Read a scenario and the chain it extends; returns merged sections and data file paths."""
    if path.resolve() in seen:
        raise ScenarioError(f"{path}: scenario 'extends' forms a cycle")
    doc = _read_toml(path)
    meta = doc.get("scenario", {})
    Fields(meta, "scenario", ScenarioError, path).only(SCENARIO_KEYS)
    merged: dict[str, Any] = {"scenario": {}, "demand_path": {}, "parameters": {}}
    data_paths: dict[str, Path] = {}
    if "extends" in meta:
        parent = str(meta["extends"])
        if parent.endswith(".toml") and not Path(parent).is_absolute():
            parent = str(path.parent / parent)  # relative to the extending file
        merged, data_paths = _merge_raw(_find(parent), (*seen, path.resolve()))
        merged = {k: dict(v) for k, v in merged.items()}
        merged["scenario"].pop("description", None)
    merged["scenario"].update({k: v for k, v in meta.items() if k != "extends"})
    if "demand_path" in doc:
        merged["demand_path"] = dict(doc["demand_path"])
    merged["parameters"].update(doc.get("parameters", {}))
    data = Fields(doc.get("data", {}), "data", ScenarioError, path)
    data.only(DATA_KEYS + OPTIONAL_DATA_KEYS)
    for key, value in data.table.items():
        if not isinstance(value, str):
            data.wrong(key, "a file name (a string)", value)
        data_paths[key] = (path.parent / value).resolve()
    return merged, data_paths


def _read_csv(path: Path, required: dict[str, type], label: str) -> list[dict[str, Any]]:
    if not path.is_file():
        raise ScenarioError(f"data.{label}: file {str(path)!r} does not exist")
    rows = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            raise ScenarioError(
                f"{path.name}: missing column {missing[0]!r}; required columns: "
                f"{', '.join(required)}"
            )
        for line, raw in enumerate(reader, start=2):
            row: dict[str, Any] = {}
            for column, kind in required.items():
                text = (raw.get(column) or "").strip()
                if kind is float:
                    try:
                        row[column] = float(text)
                    except ValueError:
                        raise ScenarioError(
                            f"{path.name}, line {line}: {column} must be a number, got {text!r}"
                        ) from None
                    low, high = CSV_BOUNDS.get(column, (0.0, 1.0e12))
                    if not low < row[column] <= high:  # also refuses nan and inf
                        raise ScenarioError(
                            f"{path.name}, line {line}: {column} must be a finite number in "
                            f"({low:g}, {high:g}], got {text!r}"
                        )
                elif kind is int:
                    if not text.isdigit() or not 1 <= int(text) <= CSV_COUNT_MAX:
                        raise ScenarioError(
                            f"{path.name}, line {line}: {column} must be a whole number in "
                            f"1-{CSV_COUNT_MAX}, got {text!r}"
                        )
                    row[column] = int(text)
                else:
                    row[column] = text
            _check_choice(row, "resource", RESOURCES, path.name, line)
            _check_choice(row, "owner_kind", OWNER_KINDS, path.name, line)
            _check_choice(row, "state", MINE_STATES, path.name, line)
            if row.get("start"):
                check_month(row["start"], f"{path.name}, line {line}: start", ScenarioError)
            rows.append(row)
    return rows


def _check_choice(row: dict, column: str, allowed: tuple, file: str, line: int) -> None:
    if column in row and row[column] not in allowed:
        raise ScenarioError(
            f"{file}, line {line}: {column} must be one of {', '.join(allowed)}, "
            f"got {row[column]!r}"
        )


def load_scenario(
    name_or_path: str | Path,
    overrides: dict[str, Any] | None = None,
    *,
    start: str | None = None,
    end: str | None = None,
) -> ModelConfig:
    """Read, merge and validate a scenario (by name or path) with optional overrides and an
    optional other time span (``YYYY-MM``)."""
    path = _find(name_or_path)
    merged, data_paths = _merge_raw(path)
    meta = dict(merged["scenario"])
    if start is not None:
        meta["start"] = start
    if end is not None:
        meta["end"] = end
    fields = Fields(meta, "scenario", ScenarioError, path)
    for key in ("name", "start", "end"):
        fields.require(key)
    start = check_month(meta["start"], "scenario.start", ScenarioError)
    end = check_month(meta["end"], "scenario.end", ScenarioError)
    if end < start:
        raise ScenarioError(f"scenario.end ({end}) must not be before scenario.start ({start})")
    params_raw = dict(merged["parameters"])
    params_raw.update(overrides or {})
    try:
        params = resolve(params_raw)
    except ValueError as exc:
        raise ScenarioError(f"parameter {exc}") from None
    demand = []
    path_t = Fields(merged["demand_path"], "demand_path", ScenarioError)  # maybe inherited
    for year, tonnes in path_t.table.items():
        if not str(year).isdigit() or not 1900 <= int(year) <= 2200:
            path_t.fail(f"demand_path: keys must be years 1900-2200, got {year!r}")
        if not is_number(tonnes) or not 0 < tonnes <= DEMAND_MAX_T:  # also refuses nan, inf
            path_t.wrong(year, f"t LCE/yr in (0, {DEMAND_MAX_T:g}]", tonnes)
        demand.append((int(year), float(tonnes)))
    if len(demand) < 2:
        raise ScenarioError("demand_path: needs at least two years")
    for key in DATA_KEYS:
        if key not in data_paths:
            raise ScenarioError(f"{path}: data.{key} is required (a CSV file name)")
    mines = _read_csv(
        data_paths["mines"],
        {
            "name": str,
            "resource": str,
            "region": str,
            "capacity_tpa": float,
            "cost_usd_t": float,
            "owner_kind": str,
            "group": str,
            "state": str,
            "start": str,
        },
        "mines",
    )
    refiners = _read_csv(
        data_paths["refiners"],
        {
            "name": str,
            "region": str,
            "capacity_tpa": float,
            "owner_kind": str,
            "group": str,
            "start": str,
        },
        "refiners",
    )
    makers = _read_csv(
        data_paths["battery_makers"],
        {
            "name": str,
            "region": str,
            "demand_share": float,
            "owner_kind": str,
            "group": str,
        },
        "battery_makers",
    )
    total_share = sum(r["demand_share"] for r in makers)
    if abs(total_share - 1.0) > 1e-6:
        raise ScenarioError(f"battery_makers: demand_share must sum to 1, got {total_share:.6g}")
    resources = _read_csv(
        data_paths["resource_base"],
        {
            "region": str,
            "resource": str,
            "deposits": int,
            "capacity_tpa": float,
            "cost_min_usd_t": float,
            "cost_max_usd_t": float,
        },
        "resource_base",
    )
    for line, row in enumerate(resources, start=2):
        if row["cost_min_usd_t"] > row["cost_max_usd_t"]:  # the deposits' costs are drawn between
            raise ScenarioError(
                f"{data_paths['resource_base'].name}, line {line}: cost_min_usd_t must be <= "
                f"cost_max_usd_t, got {row['cost_min_usd_t']:g} > {row['cost_max_usd_t']:g}"
            )
    try:
        governments = read_governments(
            Path(data_paths.get("governments", SCENARIO_DIR / "governments.csv"))
        )
    except GovernmentsTableError as exc:
        raise ScenarioError(str(exc)) from None
    rule = fields.choice("clearing_rule", sorted(CLEARING_RULES), "uniform_price")
    config = ModelConfig(
        name=str(meta["name"]),
        description=" ".join(str(meta.get("description", "")).split()),
        start=start,
        end=end,
        params=params,
        mines=tuple(MineSpec(**r) for r in mines),
        refiners=tuple(RefinerSpec(**r) for r in refiners),
        battery_makers=tuple(BatteryMakerSpec(**r) for r in makers),
        resource_base=tuple(ResourceSpec(**r) for r in resources),
        demand_path_t=tuple(sorted(demand)),
        extra={"path": str(path), "overrides": dict(overrides or {})},
        governments=governments,
        clearing_rule=rule,
    )
    warn_horizon(config)
    return config


def warn_horizon(config: ModelConfig) -> None:
    """Warn once (on stderr) when a run goes beyond the demand path's last year of data."""
    last = max(year for year, _ in config.demand_path_t)
    end_year = int(config.end[:4])
    key = (config.name, config.end, last)
    if end_year > last and key not in _HORIZON_WARNED:
        _HORIZON_WARNED.add(key)
        print(
            f"lithium-abm: warning: scenario {config.name!r} runs to {config.end}, beyond its "
            f"demand path's data (last year {last}); demand is extrapolated from the last years",
            file=sys.stderr,
        )


COUNTERFACTUAL_SCENARIO = "no_support"


def counterfactual_overrides() -> dict[str, Any]:
    """The counterfactual's parameter changes, read from its scenario file (no_support.toml's
    own [parameters]): the one definition that patterns, calibration and validation use."""
    doc = _read_toml(SCENARIO_DIR / f"{COUNTERFACTUAL_SCENARIO}.toml")
    return resolve_subset(dict(doc.get("parameters", {})))


def resolve_subset(raw: dict[str, Any]) -> dict[str, Any]:
    """Validate some parameters against the registry; returns only those, typed."""
    try:
        return {k: v for k, v in resolve(raw).items() if k in raw}
    except ValueError as exc:
        raise ScenarioError(f"parameter {exc}") from None


def parse_overrides(items: list[str]) -> dict[str, str]:
    """Turn ``key=value`` strings from the command line into a dict (validated later)."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ScenarioError(f"--set expects key=value, got {item!r}")
        if key not in PARAMETERS:
            raise ScenarioError(
                f"--set: unknown parameter {key!r}; see `lithium-abm params` for the list"
            )
        out[key] = value.strip()
    return out
