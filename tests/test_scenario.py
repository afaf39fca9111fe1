"""Scenario loading: the shipped scenarios, overrides, inheritance and every validation error."""

from __future__ import annotations

import csv
import dataclasses
import io
import re

import pytest

from lithium_abm.experiments.scenario import (
    ScenarioError,
    available_scenarios,
    load_scenario,
    parse_overrides,
)
from lithium_abm.model.parameters import PARAMETERS

SWITCHES = {"integration_enabled", "state_support_enabled"}


def raises_scenario_error(*fragments: str):
    """pytest.raises(ScenarioError) whose message contains every fragment, in order."""
    pattern = ".*".join(re.escape(f) for f in fragments)
    return pytest.raises(ScenarioError, match=re.compile(pattern, re.DOTALL))


def set_cell(row: str, column: str, value: str, key: str = "name"):
    """An edit that sets one cell of a CSV text: in the row whose ``key`` column is ``row``."""

    def edit(text: str) -> str:
        reader = csv.DictReader(io.StringIO(text))
        rows = list(reader)
        hits = [r for r in rows if r[key] == row]
        assert len(hits) == 1 and column in hits[0], f"test setup: no cell {row}/{column}"
        hits[0][column] = value
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()

    return edit


def replace_demand_path(toml: str, path_text: str) -> str:
    """Swap the [demand_path] table (the last one in the test scenario) for ``path_text``."""
    head, sep, _ = toml.partition("[demand_path]\n")
    assert sep, "test setup: no [demand_path] table"
    return head + sep + path_text


# --- the shipped scenarios ---------------------------------------------------------------------


def test_shipped_scenarios_are_listed():
    assert {"baseline", "no_support"} <= set(available_scenarios())


def test_baseline_loads(baseline_config):
    config = baseline_config
    assert config.name == "baseline"
    assert (config.start, config.end) == ("2015-01", "2035-12")
    assert config.params["integration_enabled"] is True
    assert config.params["state_support_enabled"] is True
    assert set(config.params) == set(PARAMETERS)
    assert len(config.mines) > 5 and len(config.refiners) > 3
    assert len(config.battery_makers) > 2 and len(config.resource_base) > 2
    assert sum(b.demand_share for b in config.battery_makers) == pytest.approx(1.0)
    years = [y for y, _ in config.demand_path_t]
    assert years == sorted(years) and years[0] <= 2015 and len(years) >= 2
    assert all(t > 0 for _, t in config.demand_path_t)
    assert config.description and "\n" not in config.description
    assert config.extra["overrides"] == {}


def test_no_support_differs_from_baseline_only_in_the_two_switches(
    baseline_config, no_support_config
):
    base, alt = baseline_config, no_support_config
    assert alt.name == "no_support"
    changed = {k for k in PARAMETERS if base.params[k] != alt.params[k]}
    assert changed == SWITCHES
    assert alt.params["integration_enabled"] is False
    assert alt.params["state_support_enabled"] is False
    for f in ("start", "end", "mines", "refiners", "battery_makers", "resource_base"):
        assert getattr(alt, f) == getattr(base, f), f
    assert alt.demand_path_t == base.demand_path_t
    # Its own story, not the baseline's.
    assert alt.description != base.description


def test_parameter_registry_defaults_are_valid():
    for name, param in PARAMETERS.items():
        value = param.coerce(param.default)
        assert value == param.default and type(value) is type(param.default), name
        if param.kind is not bool:
            assert param.low <= param.default <= param.high, name


# --- overrides ---------------------------------------------------------------------------------


def test_overrides_apply_and_are_coerced_to_the_parameter_type():
    config = load_scenario(
        "baseline",
        {
            "restart_delay_months": "8",
            "max_care_months": 48.0,
            "demand_scale": "1.5",
            "hurdle_rate": 0,
            "integration_enabled": "no",
            "state_support_enabled": "TRUE",
        },
    )
    p = config.params
    assert p["restart_delay_months"] == 8 and type(p["restart_delay_months"]) is int
    assert p["max_care_months"] == 48 and type(p["max_care_months"]) is int
    assert p["demand_scale"] == 1.5 and type(p["demand_scale"]) is float
    assert p["hurdle_rate"] == 0.0 and type(p["hurdle_rate"]) is float
    assert p["integration_enabled"] is False
    assert p["state_support_enabled"] is True
    assert config.extra["overrides"]["restart_delay_months"] == "8"
    # Everything not overridden keeps its scenario value.
    untouched = set(PARAMETERS) - set(config.extra["overrides"])
    baseline = load_scenario("baseline").params
    assert all(p[k] == baseline[k] for k in untouched)


def test_range_bounds_are_inclusive():
    low = PARAMETERS["demand_scale"].low
    high = PARAMETERS["demand_scale"].high
    assert load_scenario("baseline", {"demand_scale": low}).params["demand_scale"] == low
    assert load_scenario("baseline", {"demand_scale": high}).params["demand_scale"] == high


def test_parse_overrides_reads_key_value_pairs():
    got = parse_overrides(["restart_delay_months=8", " demand_scale = 1.2 "])
    assert got == {"restart_delay_months": "8", "demand_scale": "1.2"}
    assert load_scenario("baseline", got).params["restart_delay_months"] == 8


@pytest.mark.parametrize(
    ("item", "fragments"),
    [
        ("restart_delay_months", ("--set expects key=value", "'restart_delay_months'")),
        ("=3", ("--set expects key=value", "'=3'")),
        ("colour=red", ("unknown parameter 'colour'",)),
    ],
)
def test_parse_overrides_rejects_bad_items(item, fragments):
    with raises_scenario_error(*fragments):
        parse_overrides([item])


# --- parameter errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "fragments"),
    [
        ({"colour": 1}, ("unknown parameter 'colour'", "lithium-abm params")),
        ({"demand_scale": 10}, ("demand_scale", "float in [0.3, 3.0]", "got 10")),
        ({"demand_scale": 0.29}, ("demand_scale", "float in [0.3, 3.0]", "got 0.29")),
        ({"restart_delay_months": 0}, ("restart_delay_months", "int in [1, 36]", "got 0")),
        ({"restart_delay_months": "abc"}, ("restart_delay_months", "int in", "got 'abc'")),
        ({"restart_delay_months": 6.5}, ("restart_delay_months", "int in", "got 6.5")),
        ({"restart_delay_months": [6]}, ("restart_delay_months", "int in", "got [6]")),
        ({"demand_scale": "nan"}, ("demand_scale", "float in", "got 'nan'")),
        ({"demand_scale": True}, ("demand_scale", "float in [0.3, 3.0]", "got True")),
        ({"restart_delay_months": False}, ("restart_delay_months", "int in", "got False")),
        ({"integration_enabled": "maybe"}, ("integration_enabled", "true or false", "'maybe'")),
        ({"integration_enabled": 2}, ("integration_enabled", "true or false", "got 2")),
    ],
)
def test_bad_parameter_values_raise_naming_field_and_allowed_values(overrides, fragments):
    with raises_scenario_error(*fragments):
        load_scenario("baseline", overrides)


def test_bad_parameter_in_a_scenario_file_raises(write_scenario):
    path = write_scenario(toml=lambda text: text + "\n[parameters]\nhurdle_rate = 0.9\n")
    with raises_scenario_error("hurdle_rate", "float in [0.0, 0.5]", "got 0.9"):
        load_scenario(path)
    path = write_scenario(toml=lambda text: text + "\n[parameters]\nhurdle_rates = 0.1\n")
    with raises_scenario_error("unknown parameter 'hurdle_rates'"):
        load_scenario(path)


# --- scenario file errors ----------------------------------------------------------------------


def test_a_scenario_file_extending_baseline_loads(write_scenario):
    config = load_scenario(write_scenario())
    assert config.name == "tiny"
    assert config.start == "2015-01"  # inherited
    assert config.end == "2016-12"  # own
    assert [year for year, _ in config.demand_path_t] == [2015, 2016]  # replaced, not merged
    assert [m.name for m in config.mines] == ["Salar Uno", "Hard Rock One"]
    assert config.params == load_scenario("baseline").params


def test_unknown_scenario_name_lists_the_choices():
    with raises_scenario_error("unknown scenario 'nowhere'", "baseline", "no_support"):
        load_scenario("nowhere")


def test_unknown_section(write_scenario):
    path = write_scenario(toml=lambda text: text + "\n[params]\nhurdle_rate = 0.1\n")
    with raises_scenario_error(
        "unknown section [params]", "allowed sections: data, demand_path, parameters, scenario"
    ):
        load_scenario(path)


def test_unknown_scenario_key(write_scenario):
    path = write_scenario(toml=('name = "tiny"', 'name = "tiny"\ncolour = "red"'))
    with raises_scenario_error(
        "unknown key scenario.colour",
        "allowed: clearing_rule, description, end, extends, name, start",
    ):
        load_scenario(path)


def test_unknown_data_key(write_scenario):
    path = write_scenario(toml=("[data]", '[data]\ndeposits = "x.csv"'))
    with raises_scenario_error("unknown key data.deposits", "mines, refiners"):
        load_scenario(path)


@pytest.mark.parametrize("month", ["2016-13", "2016-00", "2016-1", "2016/12", "Dec 2016", 2016])
def test_bad_month_format(write_scenario, month):
    value = f'"{month}"' if isinstance(month, str) else str(month)
    path = write_scenario(toml=('end = "2016-12"', f"end = {value}"))
    with raises_scenario_error("scenario.end", "'YYYY-MM'", f"got {month!r}"):
        load_scenario(path)


def test_end_before_start(write_scenario):
    path = write_scenario(toml=('end = "2016-12"', 'end = "2014-12"'))
    with raises_scenario_error("scenario.end (2014-12)", "before scenario.start (2015-01)"):
        load_scenario(path)


def test_single_month_scenario_is_allowed(write_scenario):
    path = write_scenario(toml=('end = "2016-12"', 'end = "2015-01"'))
    config = load_scenario(path)
    assert config.start == config.end == "2015-01"


def test_missing_data_file(write_scenario):
    path = write_scenario(toml=('mines = "mines.csv"', 'mines = "nope.csv"'))
    with raises_scenario_error("data.mines", "nope.csv", "does not exist"):
        load_scenario(path)


def test_missing_scenario_file(tmp_path):
    with raises_scenario_error("missing.toml", "does not exist"):
        load_scenario(tmp_path / "missing.toml")


def drop_column(column: str):
    """An edit that removes one column from a CSV text."""

    def edit(text: str) -> str:
        lines = [line.split(",") for line in text.splitlines()]
        drop = lines[0].index(column)
        return "\n".join(",".join(c for i, c in enumerate(f) if i != drop) for f in lines) + "\n"

    return edit


@pytest.mark.parametrize(
    ("file", "column"),
    [("mines", "cost_usd_t"), ("refiners", "capacity_tpa"), ("battery_makers", "demand_share")],
)
def test_csv_missing_column(write_scenario, file, column):
    with raises_scenario_error(f"{file}.csv", f"missing column {column!r}", "required columns: "):
        load_scenario(write_scenario(**{file: drop_column(column)}))


@pytest.mark.parametrize(
    ("bad", "fragments"),
    [
        ("lots", ("mines.csv, line 3", "capacity_tpa must be a number", "got 'lots'")),
        ("", ("mines.csv, line 3", "capacity_tpa must be a number", "got ''")),
        (
            "-5",
            ("mines.csv, line 3", "capacity_tpa must be a finite number in (0, 2e+06]", "got '-5'"),
        ),
    ],
)
def test_csv_bad_number(write_scenario, bad, fragments):
    edit = set_cell("Hard Rock One", "capacity_tpa", bad)
    with raises_scenario_error(*fragments):
        load_scenario(write_scenario(mines=edit))


def test_csv_bad_whole_number(write_scenario):
    edit = set_cell("AU", "deposits", "2.5", key="region")
    with raises_scenario_error("resource_base.csv, line 2", "deposits", "whole number in 1-100000"):
        load_scenario(write_scenario(resource_base=edit))


@pytest.mark.parametrize(
    ("file", "edit", "fragments"),
    [
        (
            "mines",
            set_cell("Salar Uno", "resource", "geothermal"),
            (
                "mines.csv, line 2",
                "resource must be one of brine, spodumene, lepidolite, clay",
                "'geothermal'",
            ),
        ),
        (
            "resource_base",
            set_cell("CN", "resource", "geothermal", key="region"),
            ("resource_base.csv, line 3", "resource must be one of", "'geothermal'"),
        ),
        (
            "mines",
            set_cell("Hard Rock One", "owner_kind", "private"),
            ("mines.csv, line 3", "owner_kind must be one of independent, integrated, state"),
        ),
        (
            "mines",
            set_cell("Hard Rock One", "state", "idle"),
            ("mines.csv, line 3", "state must be one of construction, ramp_up, operating"),
        ),
        (
            "battery_makers",
            set_cell("Cells One", "owner_kind", "conglomerate"),
            ("battery_makers.csv, line 2", "owner_kind must be one of", "'conglomerate'"),
        ),
        (
            "mines",
            set_cell("Hard Rock One", "start", "2017"),
            ("mines.csv, line 3: start", "'YYYY-MM'", "'2017'"),
        ),
    ],
)
def test_csv_bad_choice(write_scenario, file, edit, fragments):
    with raises_scenario_error(*fragments):
        load_scenario(write_scenario(**{file: edit}))


def test_demand_shares_must_sum_to_one(write_scenario):
    def add_maker(text: str) -> str:
        return text + "Cells Two,KR,0.2,independent,,second maker\n"

    with raises_scenario_error("battery_makers", "demand_share must sum to 1", "got 1.2"):
        load_scenario(write_scenario(battery_makers=add_maker))


@pytest.mark.parametrize(
    ("path_text", "fragments"),
    [
        ("2015 = 20000\n2016 = -5\n", ("demand_path.2016", "in (0, 1e+08]", "got -5")),
        ("2015 = 20000\n2016 = 0\n", ("demand_path.2016", "in (0, 1e+08]", "got 0")),
        ('2015 = 20000\n2016 = "many"\n', ("demand_path.2016", "got 'many'")),
        ("2015 = 20000\n2016 = true\n", ("demand_path.2016", "got True")),
        ("2015 = 20000\n", ("demand_path: needs at least two years",)),
        ("2015 = 20000\nlater = 30000\n", ("demand_path: keys must be years 1900-2200", "'later'")),
        ("2015 = 20000\n2201 = 30000\n", ("keys must be years 1900-2200", "'2201'")),
    ],
)
def test_bad_demand_path(write_scenario, path_text, fragments):
    with raises_scenario_error(*fragments):
        load_scenario(write_scenario(toml=lambda text: replace_demand_path(text, path_text)))


def test_extends_cycle(tmp_path):
    first, second = tmp_path / "first.toml", tmp_path / "second.toml"
    first.write_text(f'[scenario]\nname = "first"\nextends = "{second}"\n', encoding="utf-8")
    second.write_text(f'[scenario]\nname = "second"\nextends = "{first}"\n', encoding="utf-8")
    with raises_scenario_error("'extends' forms a cycle"):
        load_scenario(first)


def test_extends_itself(tmp_path):
    path = tmp_path / "self.toml"
    path.write_text(f'[scenario]\nname = "self"\nextends = "{path}"\n', encoding="utf-8")
    with raises_scenario_error("'extends' forms a cycle"):
        load_scenario(path)


def test_extends_chain_inherits_through_two_levels(write_scenario, tmp_path):
    parent = write_scenario()
    child = tmp_path / "child.toml"
    child.write_text(
        f'[scenario]\nname = "child"\nextends = "{parent}"\n\n[parameters]\nhurdle_rate = 0.2\n',
        encoding="utf-8",
    )
    config = load_scenario(child)
    assert config.name == "child" and config.end == "2016-12"
    assert config.params["hurdle_rate"] == 0.2
    assert [m.name for m in config.mines] == ["Salar Uno", "Hard Rock One"]
    assert config.description == ""  # a description is not inherited


def test_relative_extends_is_resolved_next_to_the_file(write_scenario, tmp_path, monkeypatch):
    write_scenario(name="parent.toml")
    child = tmp_path / "child.toml"
    child.write_text('[scenario]\nname = "child"\nextends = "parent.toml"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path.parent)
    assert load_scenario(child).end == "2016-12"


@pytest.mark.parametrize(
    "text",
    [
        '[scenario]\nname = "broken\n',
        "[scenario\nname = 1\n",
        '[scenario]\nname = "a"\nname = "b"\n',
        "just some words\n",
    ],
)
def test_malformed_toml(tmp_path, text):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with raises_scenario_error("bad.toml", "not valid TOML"):
        load_scenario(path)


def test_section_that_is_not_a_table(tmp_path):
    path = tmp_path / "flat.toml"
    path.write_text('parameters = 3\n[scenario]\nname = "x"\n', encoding="utf-8")
    with raises_scenario_error("parameters must be a table"):
        load_scenario(path)


def test_required_scenario_keys(tmp_path):
    path = tmp_path / "bare.toml"
    path.write_text('[scenario]\nname = "bare"\nstart = "2015-01"\n', encoding="utf-8")
    with raises_scenario_error("scenario.end is required"):
        load_scenario(path)


def test_errors_are_value_errors():
    """Callers that catch ValueError (the CLI) also catch scenario errors."""
    assert issubclass(ScenarioError, ValueError)
    with pytest.raises(ValueError):
        load_scenario("baseline", {"demand_scale": -1})


def test_loaded_config_is_immutable(baseline_config):
    with pytest.raises(dataclasses.FrozenInstanceError):
        baseline_config.end = "2040-12"
