"""Sweeps: same results on every executor, resume after an interruption or a killed worker with
every run exactly once, failing runs recorded while the rest finish, provenance on disk."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from lithium_abm.cli import main
from lithium_abm.experiments.metrics import register_metric, unregister_metric
from lithium_abm.experiments.spec import SpecError, parse_spec
from lithium_abm.experiments.sweep import (
    load_results,
    read_provenance,
    run_sweep,
)

# 24-month runs (about 0.05 s each): 3 hurdle rates x 2 seeds = 6 runs.
TINY = """\
[experiment]
name = "tiny"
scenario = "baseline"
end = "2016-12"
design = "grid"
seeds = 2
batch_size = {batch}
metrics = [{metrics}]
monthly_columns = ["price_chemical_usd_t", "capex_usd"]

[parameters]
hurdle_rate = {{ levels = [0.08, 0.12, 0.16] }}
"""
BASE_METRICS = '"peak_price_usd_t", "cumulative_support_usd_bn"'


def tiny(batch: int = 1, extra_metric: str | None = None):
    metrics = BASE_METRICS + (f', "{extra_metric}"' if extra_metric else "")
    return parse_spec(TINY.format(batch=batch, metrics=metrics))


@pytest.fixture
def test_metric():
    """Register a metric for one test; only runs in this process (--workers 1) see it."""
    names = []

    def add(name, func):
        register_metric(name, unit="-", doc="test metric")(func)
        names.append(name)

    yield add
    for name in names:
        unregister_metric(name)


def outcomes(out: Path) -> pd.DataFrame:
    return load_results(out).drop(columns=["wall_time_s"])


def test_same_results_inline_pool_and_dask(tmp_path):
    spec = tiny(batch=2)
    inline = run_sweep(spec, tmp_path / "inline", workers=1, quiet=True)
    run_sweep(spec, tmp_path / "pool", workers=2, quiet=True)
    pytest.importorskip("dask.distributed")
    run_sweep(spec, tmp_path / "dask", dask_local=1, quiet=True)
    assert inline.ok == 6 and inline.failed == 0
    ref = outcomes(tmp_path / "inline")
    assert len(ref) == 6 and ref["run_id"].is_unique
    assert ref["peak_price_usd_t"].between(1_000, 200_000).all()
    monthly = load_results(tmp_path / "inline", monthly=True)
    # The seed reaches the model: some point's two seeds invest differently.
    per_run = monthly.groupby("run_id")["capex_usd"].sum()
    seeds_differ = ref.assign(capex=ref["run_id"].map(per_run)).groupby("point")["capex"]
    assert seeds_differ.nunique().max() == 2
    for other in ("pool", "dask"):
        pd.testing.assert_frame_equal(outcomes(tmp_path / other), ref)
    assert len(monthly) == 6 * 24 and set(monthly["run_id"]) == set(ref["run_id"])


def test_interrupted_sweep_resumes_with_every_run_once(tmp_path, test_metric):
    def interrupt_at_third_point(df):
        if float(os.environ.get("LITHIUM_TEST_INTERRUPT", "0")) and len(calls) == 4:
            raise KeyboardInterrupt
        calls.append(1)
        return 0.0

    calls: list[int] = []
    test_metric("test_interrupt", interrupt_at_third_point)
    spec = tiny(batch=1, extra_metric="test_interrupt")
    out = tmp_path / "out"
    os.environ["LITHIUM_TEST_INTERRUPT"] = "1"
    try:
        with pytest.raises(KeyboardInterrupt):
            run_sweep(spec, out, workers=1, quiet=True)
    finally:
        del os.environ["LITHIUM_TEST_INTERRUPT"]
    assert len(load_results(out)) == 4  # the four finished batches are on disk
    (out / "runs" / ".part-left-behind.parquet.tmp").write_bytes(b"half a file")
    resumed = run_sweep(spec, out, workers=1, quiet=True)
    assert (resumed.skipped, resumed.ok) == (4, 2)
    df = load_results(out)
    assert len(df) == 6 and df["run_id"].is_unique and (df["status"] == "ok").all()
    assert not list((out / "runs").glob(".*"))
    again = run_sweep(spec, out, workers=1, quiet=True)
    assert (again.skipped, again.ok) == (6, 0)


def first_call(marker: Path) -> bool:
    """True exactly once across all processes: whoever creates the marker file first."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return False
    return True


# Workers start from a forkserver, so a metric they run must live in a module they can import
# (this one, named in the spec's metric_modules). Its state is a folder in the environment,
# set when pytest imports this module, before any worker exists, so every process agrees.
KILL_DIR = Path(os.environ.setdefault("LITHIUM_ABM_TEST_KILL_DIR", tempfile.mkdtemp()))


@register_metric("test_kill_first_run", unit="-", doc="test only: armed, kills its worker once")
def kill_first_run(df: pd.DataFrame) -> float:
    if (KILL_DIR / "armed").exists() and first_call(KILL_DIR / "killed"):
        os._exit(3)  # the worker dies without a word, as under the OOM killer
    return 0.0


def test_killed_worker_loses_no_finished_batch(tmp_path):
    reference = tmp_path / "ref"
    run_sweep(tiny(batch=1), reference, workers=1, quiet=True)
    text = TINY.format(batch=1, metrics=BASE_METRICS + ', "test_kill_first_run"')
    spec = parse_spec(
        text.replace("[parameters]", 'metric_modules = ["test_sweep"]\n\n[parameters]')
    )
    for name in ("armed", "killed"):
        (KILL_DIR / name).unlink(missing_ok=True)
    (KILL_DIR / "armed").touch()
    try:
        summary = run_sweep(spec, tmp_path / "out", workers=2, quiet=True)
    finally:
        (KILL_DIR / "armed").unlink()
    assert (KILL_DIR / "killed").exists()  # a worker did die
    assert summary.lost == [] and summary.ok == 6
    df = outcomes(tmp_path / "out")
    assert df["run_id"].is_unique and len(df) == 6
    pd.testing.assert_frame_equal(df.drop(columns=["test_kill_first_run"]), outcomes(reference))


def test_failing_run_is_recorded_and_the_rest_finish(tmp_path, test_metric):
    def fail_first_run(df):
        if first_call(tmp_path / "failed-once"):
            raise ValueError("the test's first run fails")
        return 1.0

    test_metric("test_fail", fail_first_run)
    spec = tiny(batch=3, extra_metric="test_fail")
    args = ["sweep", "-q", "--workers", "1", "--out", str(tmp_path / "out")]
    assert main([*args, str(_write(tmp_path, spec.text))]) == 1  # finished, not all ok
    df = load_results(tmp_path / "out")
    failed = df[df["status"] == "failed"]
    assert len(df) == 6 and len(failed) == 1
    assert (failed["point"].item(), failed["seed"].item()) == (0, 1)  # inline: design order
    assert failed["error"].item().startswith("ValueError: the test's first run fails")
    assert failed[["peak_price_usd_t", "test_fail"]].isna().all(axis=None)
    assert (df.loc[df["status"] == "ok", "test_fail"] == 1.0).all()
    # Resuming does not rerun the failed run: it is an outcome, not a gap.
    assert run_sweep(spec, tmp_path / "out", workers=1, quiet=True).ok == 0


def _write(folder: Path, text: str) -> Path:
    path = folder / "spec.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_provenance_and_refusal_to_mix_sweeps(tmp_path, capsys):
    out = tmp_path / "out"
    assert (
        main(["sweep", "--workers", "1", "--out", str(out), str(_write(tmp_path, tiny().text))])
        == 0
    )
    assert "6 run now (6 ok, 0 failed)" in capsys.readouterr().out
    prov = read_provenance(out)
    assert prov["spec"] == tiny().text and "git_commit" in prov and prov["lithium_abm"]
    assert (out / "sweep.json").is_file()
    other = parse_spec(tiny().text.replace("seeds = 2", "seeds = 3"))
    with pytest.raises(SpecError, match="differs in: seeds"):
        run_sweep(other, out, workers=1, quiet=True)


def test_sweep_simulation_matches_the_runner(tmp_path):
    """The sweep skips per-agent records; the monthly frame must not change because of it."""
    from dataclasses import replace

    from lithium_abm.experiments.runner import run_model
    from lithium_abm.experiments.scenario import load_scenario
    from lithium_abm.experiments.sweep import simulate

    config = replace(load_scenario("baseline"), end="2017-12")
    pd.testing.assert_frame_equal(simulate(config, 4), run_model(config, 4).model_df)


@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])
def test_ctrl_c_or_kill_on_the_command_line_keeps_batches_and_resumes(tmp_path, signame):
    """A real signal to the process group (Ctrl-C in a terminal, `kill` or a batch scheduler),
    then the same sweep again."""
    import signal
    import subprocess
    import sys
    import time

    spec = _write(
        tmp_path, TINY.format(batch=1, metrics=BASE_METRICS).replace("seeds = 2", "seeds = 10")
    )
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "lithium_abm",
        "sweep",
        str(spec),
        "--out",
        str(out),
        "--workers",
        "2",
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while len(list((out / "runs").glob("part-*.parquet"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, getattr(signal, signame))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err and "Run the same command again to resume" in err
    kept = len(load_results(out))
    assert 2 <= kept < 30
    resumed = run_sweep(parse_spec(spec.read_text()), out, workers=2, quiet=True)
    assert resumed.skipped == kept and resumed.ok == 30 - kept
    df = load_results(out)
    assert len(df) == 30 and df["run_id"].is_unique
