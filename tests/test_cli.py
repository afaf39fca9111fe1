"""The command line as a user runs it: ``python -m lithium_abm ...`` in a fresh process.

Error cases are started together in parallel (each process pays for importing Mesa and
pandas), then checked one by one.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from lithium_abm.cli import main
from lithium_abm.experiments.scenario import SCENARIO_DIR

TIMEOUT = 120
SHORT_TOML = """\
[scenario]
name = "short"
extends = "baseline"
end = "2017-12"
"""


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "lithium_abm", *args]


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(*args), cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


# --- bad input ------------------------------------------------------------------------------

# case -> (arguments, words the one-line message must contain); {d} is the work directory.
# These run in a real process, as a user would.
BAD_INPUT = {
    "unknown scenario": (["run", "--scenario", "nowhere"], ["nowhere", "baseline"]),
    "unknown --set key": (["run", "--set", "hurdel_rate=0.1"], ["hurdel_rate"]),
    "out of range": (["run", "--set", "hurdle_rate=7"], ["hurdle_rate", "0.5", "'7'"]),
    "wrong type": (["run", "--set", "restart_delay_months=abc"], ["restart_delay_months", "int"]),
    "malformed TOML": (["run", "--scenario", "{d}/broken.toml"], ["broken.toml", "TOML"]),
    "CSV bad value": (["run", "--scenario", "{d}/badcsv.toml"], ["capacity_tpa", "lots", "line"]),
    "bad seed": (["run", "--seed", "-3"], ["--seed", "-3"]),
    "out is a file": (["run", "--out", "{d}/earlier/run.json"], ["--out", "run.json"]),
}
# The same contract for more cases, checked in-process through main() to save process starts.
BAD_INPUT_IN_PROCESS = {
    "missing scenario file": (["run", "--scenario", "{d}/missing.toml"], ["missing.toml"]),
    "--set without =": (["run", "--set", "hurdle_rate"], ["key=value", "hurdle_rate"]),
    "not an int": (["run", "--set", "restart_delay_months=2.5"], ["restart_delay_months"]),
    "unknown TOML key": (["run", "--scenario", "{d}/typo.toml"], ["hurdle_rat"]),
    "non-numeric seed": (["run", "--seed", "one"], ["--seed", "one"]),
    "bad value, existing out": (
        ["run", "--out", "{d}/earlier", "--set", "hurdle_rate=-1"],
        ["hurdle_rate"],
    ),
    "out below a file": (["run", "--out", "{d}/earlier/run.json/x"], ["run.json"]),
    "zero seeds": (["patterns", "--seeds", "0"], ["--seeds"]),
    "bad first seed": (["patterns", "--first-seed", "-1"], ["--first-seed"]),
    "patterns out is a dir": (["patterns", "--seeds", "1", "--out", "{d}/earlier"], ["--out"]),
    "params, unknown scenario": (["params", "--scenario", "nowhere"], ["nowhere", "baseline"]),
    "params, bad scenario file": (["params", "--scenario", "{d}/typo.toml"], ["hurdle_rat"]),
}


def check_one_line_error(code: int, out: str, err: str, words: list[str]) -> None:
    assert "Traceback" not in err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("lithium-abm: error: ")
    for word in words:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"
    assert out == ""


def _write_inputs(d: Path) -> None:
    (d / "broken.toml").write_text('[scenario\nname = "broken"\n')
    (d / "typo.toml").write_text(SHORT_TOML + "\n[parameters]\nhurdle_rat = 0.1\n")
    mines = (SCENARIO_DIR / "mines_2015.csv").read_text(encoding="utf-8").splitlines()
    header = next(csv.reader([mines[0]]))
    row = next(csv.reader([mines[1]]))
    row[header.index("capacity_tpa")] = "lots"
    with (d / "mines_bad.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerow(row)
        writer.writerows(csv.reader(mines[2:]))
    (d / "badcsv.toml").write_text(SHORT_TOML + '\n[data]\nmines = "mines_bad.csv"\n')
    earlier = d / "earlier"
    (earlier / "figures").mkdir(parents=True)
    (earlier / "run.json").write_text('{"seed": 1}\n')
    (earlier / "model.parquet").write_bytes(b"an earlier good run")
    (earlier / "figures" / "prices.png").write_bytes(b"an earlier figure")


@pytest.fixture(scope="module")
def bad_input_runs(tmp_path_factory: pytest.TempPathFactory):
    d = tmp_path_factory.mktemp("bad")
    _write_inputs(d)
    before = snapshot(d)
    procs = {
        case: subprocess.Popen(
            command(*(a.format(d=d) for a in args)),
            cwd=d,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for case, (args, _) in BAD_INPUT.items()
    }
    results = {}
    for case, proc in procs.items():
        out, err = proc.communicate(timeout=TIMEOUT)
        results[case] = (proc.returncode, out, err)
    return d, before, results


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_gives_one_line_error_and_exit_2(bad_input_runs, case: str) -> None:
    _, _, results = bad_input_runs
    check_one_line_error(*results[case], BAD_INPUT[case][1])


@pytest.mark.parametrize("case", list(BAD_INPUT_IN_PROCESS))
def test_more_bad_input_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, case: str
) -> None:
    _write_inputs(tmp_path)
    before = snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    args, words = BAD_INPUT_IN_PROCESS[case]
    code = main([a.format(d=tmp_path) for a in args])
    captured = capsys.readouterr()
    check_one_line_error(code, captured.out, captured.err, words)
    assert snapshot(tmp_path) == before


def test_bad_input_writes_and_destroys_nothing(bad_input_runs) -> None:
    d, before, _ = bad_input_runs
    assert snapshot(d) == before
    assert not (d / "results").exists()


# --- run ------------------------------------------------------------------------------------


def test_run_writes_results_and_summary(tmp_path: Path) -> None:
    (tmp_path / "short.toml").write_text(SHORT_TOML)
    done = cli(
        "run", "--scenario", "short.toml", "--seed", "3", "--set", "hurdle_rate=0.1", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    out = tmp_path / "results" / "short-seed3"  # the default --out
    assert str(Path("results") / "short-seed3") in done.stdout
    assert "Chemical price peak" in done.stdout
    assert "Lepidolite output made at a loss" in done.stdout

    model = pd.read_parquet(out / "model.parquet")
    assert len(model) == 36
    # The quantities line states the run's own worst year of unmet demand.
    yearly = model.groupby(model["date"].dt.year)[["unmet_demand_t", "demand_t"]].sum()
    shares = yearly["unmet_demand_t"] / yearly["demand_t"]
    worst = int(shares.idxmax())
    assert f"worst year {worst}, {shares[worst]:.1%}" in done.stdout
    assert "World mined output: " in done.stdout
    assert model["date"].min() == pd.Timestamp("2015-01-01")
    assert model["price_chemical_usd_t"].gt(0).all()
    agents = pd.read_parquet(out / "agents.parquet")
    assert {"agent_id", "agent_type", "output_t"} <= set(agents.columns)
    assert len(list((out / "figures").glob("*.png"))) >= 4
    meta = json.loads((out / "run.json").read_text())
    assert meta["seed"] == 3
    assert meta["params"]["hurdle_rate"] == 0.1
    assert meta["overrides"] == {"hurdle_rate": "0.1"}
    # The summary's peak is the run's highest chemical price (the run misses the 2021-23
    # peak window) and is printed as in the data.
    peak = model.loc[model["price_chemical_usd_t"].idxmax()]
    assert f"{peak['price_chemical_usd_t']:,.0f} USD/t in {peak['date']:%Y-%m}" in done.stdout


# --- other commands -------------------------------------------------------------------------


@pytest.mark.parametrize("sub", [[], ["run"], ["patterns"], ["scenarios"], ["params"]])
def test_help(sub: list[str]) -> None:
    done = cli(*sub, "--help")
    assert done.returncode == 0
    assert done.stdout.startswith("usage: lithium-abm")
    assert len(done.stdout.splitlines()) > 5
    assert done.stderr == ""


def test_no_command_is_a_usage_error() -> None:
    done = cli()
    assert done.returncode == 2
    assert "usage: lithium-abm" in done.stderr


def test_scenarios_lists_shipped_scenarios_with_descriptions() -> None:
    done = cli("scenarios")
    assert done.returncode == 0, done.stderr
    names = {line.split()[0]: line for line in done.stdout.splitlines()}
    assert {"baseline", "no_support"} <= set(names)
    assert "Counterfactual" in names["no_support"]
    assert len(names["baseline"].split()) > 5  # a description follows the name


def test_params_markdown_has_a_row_per_parameter() -> None:
    from lithium_abm.model.parameters import PARAMETERS

    done = cli("params", "--markdown")
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| `")]
    assert len(rows) == len(PARAMETERS)
    hurdle = next(r for r in rows if r.startswith("| `hurdle_rate` |"))
    cells = [c.strip() for c in hurdle.strip("|").split(" | ")]
    assert cells[1:4] == ["0.12", "1/yr", "[0.0, 0.5]"]
    assert all(r.count(" | ") == 5 for r in rows)  # no unescaped '|' inside a cell


def test_params_plain_lists_default_range_and_unit() -> None:
    done = cli("params")
    assert done.returncode == 0
    line = next(x for x in done.stdout.splitlines() if x.startswith("hurdle_rate "))
    assert line.split() == ["hurdle_rate", "0.12", "[0.0,", "0.5]", "1/yr"]


def test_params_scenario_shows_its_values_beside_the_defaults() -> None:
    from lithium_abm.experiments.scenario import load_scenario
    from lithium_abm.model.parameters import PARAMETERS

    done = cli("params", "--scenario", "trade_war")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    values = load_scenario("trade_war").params
    changed = {k for k, v in values.items() if v != PARAMETERS[k].default}
    assert {"tariff_us", "tariff_cn"} <= changed  # trade_war.toml sets both
    assert lines[0] == (
        f"Scenario trade_war: {len(changed)} of {len(PARAMETERS)} parameters differ from the "
        "registry default (marked *)."
    )
    assert lines[1].split() == ["parameter", "trade_war", "default", "range", "unit"]
    rows = {line.split()[0]: line.split() for line in lines[2:] if not line.startswith(" ")}
    assert set(rows) == set(PARAMETERS)
    # trade_war.toml: tariff_us = 0.5 (default 0.25); the baseline it extends keeps usd_cny.
    assert rows["tariff_us"] == [
        "tariff_us",
        "0.5",
        "*",
        "0.25",
        "[0.0,",
        "2.0]",
        "share",
        "of",
        "value",
    ]
    assert rows["usd_cny"] == ["usd_cny", "7.0", "7.0", "[5.0,", "9.0]", "CNY", "per", "USD"]
    assert {name for name, row in rows.items() if row[2] == "*"} == changed


def test_params_scenario_markdown_has_a_scenario_column() -> None:
    done = cli("params", "--scenario", "trade_war", "--markdown")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# Parameters of the scenario `trade_war`")
    rows = [line for line in done.stdout.splitlines() if line.startswith("| `")]
    cells = {r.split(" | ")[0][2:]: [c.strip() for c in r.strip("|").split(" | ")] for r in rows}
    assert cells["`tariff_us`"][1:5] == ["**0.5**", "0.25", "share of value", "[0.0, 2.0]"]
    assert cells["`usd_cny`"][1:3] == ["7.0", "7.0"]
    assert all(r.count(" | ") == 6 for r in rows)


def test_patterns_one_seed(tmp_path: Path) -> None:
    out = tmp_path / "tables" / "patterns.csv"
    done = cli("patterns", "--seeds", "1", "--first-seed", "2", "--out", str(out))
    table = pd.read_csv(out)
    assert list(table["pattern"].str[:2]) == ["P1", "P2", "P3", "P4", "P5", "P6", "P7"]
    assert set(table["seeds_passing"]) <= {"0/1", "1/1"}
    assert done.returncode == (0 if table["passed"].all() else 1), done.stderr
    assert "P1 boom-bust" in done.stdout
    assert "seed 2 (1/1)" in done.stderr
    assert "Traceback" not in done.stderr


def test_ctrl_c_exits_130_and_leaves_no_partial_output(tmp_path: Path) -> None:
    out = tmp_path / "patterns.csv"
    proc = subprocess.Popen(
        command("patterns", "--seeds", "50", "--out", str(out)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A suite started in the background (`make test &`) passes SIGINT on ignored, and
        # Python then keeps ignoring it: give the command the default, as a terminal would.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        first = proc.stderr.readline()  # the first seed is done: we are inside the runs
        assert first.startswith("seed 1 "), first
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()  # progress lines of further seeds, then one message
    assert lines[-1].startswith("lithium-abm: interrupted")
    assert all(line.startswith("seed ") for line in lines[:-1])
    assert not out.exists()
    assert os.listdir(tmp_path) == []


def test_generated_docs_are_up_to_date() -> None:
    """docs/parameters.md and docs/scenarios.md are the commands' output, not hand edits."""
    docs = Path(__file__).resolve().parents[1] / "docs"
    for command, name in (("params", "parameters.md"), ("scenarios", "scenarios.md")):
        done = cli(command, "--markdown")
        assert done.returncode == 0, done.stderr
        assert (docs / name).read_text() == done.stdout, (
            f"docs/{name} is stale: run `lithium-abm {command} --markdown > docs/{name}`"
        )


def test_scenarios_markdown_states_each_scenarios_changes() -> None:
    done = cli("scenarios", "--markdown")
    assert done.returncode == 0, done.stderr
    section = done.stdout.split("## `environmental_crackdown`")[1].split("## ")[0]
    assert "`env_enforcement_cn = 3.0` (baseline 1.0)" in section
    assert "demand 2030: 1,900,000 t (baseline 2,600,000)" in done.stdout
