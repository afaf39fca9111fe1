"""The runner: reproducible runs, complete output files and writes that never corrupt a run."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from lithium_abm.experiments import runner
from lithium_abm.experiments.runner import RunResult, run_model, write_run
from lithium_abm.experiments.scenario import load_scenario

MODEL_COLUMNS = [
    "date",
    "price_chemical_usd_t",
    "price_concentrate_usd_t",
    "demand_t",
    "production_t",
    "production_t_brine",
    "production_t_spodumene",
    "production_t_lepidolite",
    "capacity_tpa_brine",
    "capacity_tpa_spodumene",
    "capacity_tpa_lepidolite",
    "loss_making_share",
    "loss_making_share_lepidolite",
    "china_refining_share",
    "subsidy_usd",
    "inventory_t",
]
AGENT_COLUMNS = [
    "date",
    "agent_id",
    "agent_type",
    "resource",
    "region",
    "owner_kind",
    "state",
    "output_t",
    "unit_cash_cost_usd_t",
    "realized_price_usd_t",
    "loss_making",
]
SHORT_TOML = """\
[scenario]
name = "short"
extends = "baseline"
end = "2017-12"
"""
SHORT_MONTHS = 36  # 2015-01..2017-12


@pytest.fixture(scope="module")
def short_config(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("scenario") / "short.toml"
    path.write_text(SHORT_TOML)
    return load_scenario(path, {"hurdle_rate": "0.1"})


@pytest.fixture(scope="module")
def short_run(short_config) -> RunResult:
    return run_model(short_config, seed=7)


def _snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` (hidden ones included) with its bytes."""
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


# --- determinism ----------------------------------------------------------------------------


def test_same_config_and_seed_give_identical_runs_and_other_seeds_differ() -> None:
    config = load_scenario("baseline")
    first = run_model(config, seed=11)
    second = run_model(config, seed=11)
    # Bit for bit, not to a tolerance (exact comparison is also far faster on categoricals).
    pd.testing.assert_frame_equal(first.model_df, second.model_df, check_exact=True)
    pd.testing.assert_frame_equal(first.agents_df, second.agents_df, check_exact=True)
    other = run_model(config, seed=12)
    assert len(other.model_df) == len(first.model_df) == 252
    with pytest.raises(AssertionError):
        pd.testing.assert_frame_equal(first.model_df, other.model_df)


def test_run_result_carries_inputs_timing_and_conservation(short_config, short_run) -> None:
    assert short_run.config is short_config
    assert short_run.seed == 7
    assert short_run.wall_time_s > 0
    assert len(short_run.model_df) == SHORT_MONTHS
    assert short_run.model_df["date"].iloc[-1] == pd.Timestamp("2017-12-01")
    assert abs(short_run.checks["lithium_balance_error_t"]) < 1e-3
    assert abs(short_run.checks["money_imbalance_usd"]) < 1.0


# --- writing --------------------------------------------------------------------------------


def test_write_run_writes_tables_metadata_and_figures(tmp_path: Path, short_run) -> None:
    out = tmp_path / "nested" / "run"  # parents are created
    paths = write_run(short_run, out)
    assert paths[-1] == out / "run.json"
    assert all(p.is_file() for p in paths)

    model = pd.read_parquet(out / "model.parquet")
    assert set(MODEL_COLUMNS) <= set(model.columns)
    pd.testing.assert_frame_equal(model, short_run.model_df, check_dtype=False)
    agents = pd.read_parquet(out / "agents.parquet")
    assert set(AGENT_COLUMNS) <= set(agents.columns)
    assert len(agents) == len(short_run.agents_df)
    assert set(agents["agent_type"]) >= {"mine", "refiner", "battery_maker", "government"}

    pngs = sorted((out / "figures").glob("*.png"))
    assert len(pngs) >= 4
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]

    meta = json.loads((out / "run.json").read_text())
    assert meta["seed"] == 7
    assert meta["scenario"] == "short"
    assert meta["scenario_path"].endswith("short.toml")
    assert meta["overrides"] == {"hurdle_rate": "0.1"}
    assert meta["params"]["hurdle_rate"] == 0.1
    assert meta["params"] == json.loads(json.dumps(short_run.config.params))
    assert (meta["start"], meta["end"]) == ("2015-01", "2017-12")
    assert set(meta["versions"]) == {"lithium_abm", "mesa", "numpy", "pandas", "python"}
    assert meta["versions"]["pandas"] == pd.__version__
    assert meta["git_commit"] is None or re.fullmatch(r"[0-9a-f]{40}", meta["git_commit"])
    assert meta["wall_time_s"] == pytest.approx(short_run.wall_time_s, abs=1e-3)
    assert datetime.fromisoformat(meta["created_utc"]).utcoffset().total_seconds() == 0
    assert sorted(meta["files"]) == sorted(p.relative_to(out).as_posix() for p in paths)


def test_run_json_is_strict_json_even_with_nan_checks(tmp_path: Path, short_run) -> None:
    nan_run = RunResult(
        short_run.config, 1, short_run.model_df, short_run.agents_df, 0.1, {"x": float("nan")}
    )
    write_run(nan_run, tmp_path, figures=False)

    def reject(constant: str) -> None:
        raise ValueError(f"non-standard JSON constant {constant}")

    meta = json.loads((tmp_path / "run.json").read_text(), parse_constant=reject)
    assert meta["checks"] == {"x": None}


def test_second_write_replaces_the_first(tmp_path: Path, short_config, short_run) -> None:
    write_run(short_run, tmp_path, figures=False)
    other = run_model(short_config, seed=8)
    write_run(other, tmp_path, figures=False)
    assert json.loads((tmp_path / "run.json").read_text())["seed"] == 8
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "model.parquet"), other.model_df, check_dtype=False
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "agents.parquet",
        "model.parquet",
        "run.json",
    ]


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_failed_write_leaves_the_earlier_run_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, short_config, short_run, error
) -> None:
    write_run(short_run, tmp_path, figures=False)
    before = _snapshot(tmp_path)
    real_to_parquet = pd.DataFrame.to_parquet
    calls = []

    def failing_to_parquet(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 2:  # agents.parquet: leave half a file, then fail
            Path(path).write_bytes(b"PAR1 half written")
            raise error
        return real_to_parquet(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", failing_to_parquet)
    other = run_model(short_config, seed=8)
    with pytest.raises(type(error)):
        write_run(other, tmp_path, figures=False)

    # model.parquet of the new run was complete but must not be committed without the rest.
    assert len(calls) == 2
    assert _snapshot(tmp_path) == before  # same files, same bytes, no temporary leftovers
    monkeypatch.undo()
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "model.parquet"), short_run.model_df, check_dtype=False
    )


def test_failed_figures_leave_earlier_figures_and_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, short_run
) -> None:
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "prices.png").write_bytes(b"earlier figure")
    write_run(short_run, tmp_path, figures=False)
    before = _snapshot(tmp_path)

    def broken_figures(model_df, agents_df, outdir):
        (Path(outdir) / "prices.png").write_bytes(b"half a png")
        raise RuntimeError("matplotlib failed")

    monkeypatch.setattr("lithium_abm.experiments.figures.write_all_figures", broken_figures)
    with pytest.raises(RuntimeError):
        write_run(short_run, tmp_path)
    assert _snapshot(tmp_path) == before


def test_temporary_names_are_hidden_siblings(tmp_path: Path) -> None:
    final = tmp_path / "model.parquet"
    tmp = runner._tmp_name(final)
    assert tmp.parent == final.parent
    assert tmp.name.startswith(".model.parquet.") and tmp.name.endswith(".tmp")
    assert runner._tmp_name(final) != tmp


def test_run_patterns_rejects_empty_seed_ranges() -> None:
    with pytest.raises(ValueError, match="seeds"):
        runner.run_patterns(0)
    with pytest.raises(ValueError, match="first_seed"):
        runner.run_patterns(1, first_seed=-1)
