"""Issue 13: a sweep never loses or hides a result (coinciding points, corrupt parts, a second
writer), and its folders are datasets every tool reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from lithium_abm.experiments.spec import parse_spec
from lithium_abm.experiments.sweep import load_results, run_sweep

# An integer parameter on a 5-step grid over [1, 3]: 1, 1.5, 2, 2.5, 3 round to 1, 2, 2, 2, 3.
COINCIDING = """\
[experiment]
name = "coinciding"
scenario = "baseline"
end = "2015-06"
design = "grid"
seeds = 1
metrics = ["peak_price_usd_t"]
monthly_columns = ["price_chemical_usd_t"]

[parameters]
restart_delay_months = { range = [1, 3], steps = 5 }
"""


def test_coinciding_design_points_are_kept_as_replicates(tmp_path):
    spec = parse_spec(COINCIDING)
    summary = run_sweep(spec, tmp_path / "out", workers=1, quiet=True)
    df = load_results(tmp_path / "out")
    assert len(df) == 5 and df["run_id"].is_unique
    assert df["point"].tolist() == [0, 1, 2, 3, 4]
    assert df["restart_delay_months"].tolist() == [1, 2, 2, 2, 3]
    assert summary.complete and summary.rows_on_disk == 5
    # replicates of one parameter set give the same numbers (a run is a function of its inputs)
    assert df.loc[1:3, "peak_price_usd_t"].nunique() == 1


def test_row_count_check_reports_missing_rows(tmp_path):
    spec = parse_spec(COINCIDING)
    out = tmp_path / "out"
    run_sweep(spec, out, workers=1, quiet=True)
    from lithium_abm.experiments.sweep import ResultStore, _count_rows, prepare_sweep

    _, runs, store, _ = prepare_sweep(spec, out)
    assert isinstance(store, ResultStore)
    summary = run_sweep(spec, out, workers=1, quiet=True)
    _count_rows(summary, runs[:3], store)  # a design of 3 runs against 5 rows on disk
    assert not summary.complete and summary.duplicated == 2
    assert "ERROR: the design has" in summary.text()


def _session_processes(sid: int) -> list[int]:
    """Pids (other than zombies) whose session id is ``sid`` (psutil if installed, else /proc)."""
    import os

    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        pids = []
        for proc in psutil.process_iter(["status"]):
            try:
                if proc.info["status"] != psutil.STATUS_ZOMBIE and os.getsid(proc.pid) == sid:
                    pids.append(proc.pid)
            except (OSError, psutil.Error):  # gone meanwhile
                continue
        return pids
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            pids.append(int(entry))
    return pids


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _start_killable_sweep(tmp_path: Path, backend: list[str], env: dict | None = None):
    """A 20-run sweep in its own session (so its processes can be listed), and its output."""
    import subprocess
    import sys

    spec = tmp_path / "spec.toml"
    spec.write_text(COINCIDING.replace("seeds = 1", "seeds = 20").replace("2015-06", "2016-12"))
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "lithium_abm", "sweep", str(spec), "--out", str(out), *backend],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=env,
    )
    return proc, out


def test_sigkilled_sweep_leaves_no_process_and_no_open_pipe(tmp_path):
    """SIGKILL of the command: forkserver, resource tracker and workers are gone within 5 s,
    and a caller reading its stderr is not left hanging."""
    import os
    import signal
    import sys
    import time

    import pytest

    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc")
    proc, out = _start_killable_sweep(tmp_path, ["--workers", "2"])
    deadline = time.monotonic() + 120
    while not list((out / "runs").glob("part-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(_session_processes(proc.pid)) >= 3  # the sweep, its forkserver and workers
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)  # hangs if an orphan still holds the pipes
    deadline = time.monotonic() + 5
    while _session_processes(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _session_processes(proc.pid) == []


# Dask's own guard: a worker process exits when the pipe from its parent closes. Disabled in
# the third case (a sitecustomize in the sweep and its workers), so only ours remains.
NO_DASK_PIPE_GUARD = """\
import distributed.process
distributed.process.AsyncProcess._immediate_exit_when_closed = classmethod(lambda cls, pipe: None)
"""


@pytest.mark.parametrize(
    "signame, dask_guard",
    [("SIGKILL", True), ("SIGTERM", True), ("SIGKILL", False)],
    ids=["sigkill", "sigterm", "sigkill-without-dasks-own-guard"],
)
def test_killed_dask_local_sweep_leaves_no_worker(tmp_path, signame, dask_guard):
    """--dask-local: the nannies live in the sweep, each worker is a spawned process; when
    the sweep dies (SIGKILL, or SIGTERM, its clean stop) no worker outlives it by 5 s."""
    import contextlib
    import os
    import signal
    import sys
    import time

    pytest.importorskip("dask.distributed")
    if not sys.platform.startswith("linux"):
        pytest.skip("session ids and /proc")
    env = dict(os.environ)
    if not dask_guard:
        site = tmp_path / "site"
        site.mkdir()
        (site / "sitecustomize.py").write_text(NO_DASK_PIPE_GUARD)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    proc, out = _start_killable_sweep(tmp_path, ["--dask-local", "2"], env)
    try:
        deadline = time.monotonic() + 120
        while not list((out / "runs").glob("part-*.parquet")) and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
            time.sleep(0.05)
        workers = [p for p in _session_processes(proc.pid) if "spawn_main" in _cmdline(p)]
        assert len(workers) == 2  # the two Dask worker processes, running batches
        os.kill(proc.pid, getattr(signal, signame))
        _, err = proc.communicate(timeout=10)  # hangs if an orphan still holds the pipes
        deadline = time.monotonic() + 5
        while _session_processes(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = {p: _cmdline(p) for p in _session_processes(proc.pid)}
        assert left == {}
        if signame == "SIGTERM":  # a clean stop: finished batches kept, the resume hint shown
            assert proc.returncode == 130 and b"Run the same command again" in err
    finally:
        for pid in _session_processes(proc.pid):  # leave nothing behind if the test failed
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_truncated_part_is_quarantined_and_redone(tmp_path, capsys):
    out = tmp_path / "out"
    spec = parse_spec(
        COINCIDING.replace("seeds = 1", "seeds = 2").replace("metrics", "batch_size = 2\nmetrics")
    )
    run_sweep(spec, out, workers=1, quiet=True)
    reference = load_results(out).drop(columns=["wall_time_s"])
    part = sorted((out / "runs").glob("part-*.parquet"))[1]
    part.write_bytes(part.read_bytes()[:100])  # a torn write: no footer
    (out / ".tmp" / "runs-part-stale.parquet.1234.tmp").write_bytes(b"killed mid-write")
    summary = run_sweep(spec, out, workers=1, quiet=True)
    err = capsys.readouterr().err
    name = part.name
    assert f"warning: runs/{name} is unreadable (" in err
    assert f"moved runs/{name} and monthly/{name} to _quarantine/; {REDONE}" in err
    assert summary.ok == 2 and summary.complete
    again = load_results(out).drop(columns=["wall_time_s"])
    assert again.equals(reference)
    assert len(list((out / "_quarantine").iterdir())) == 2  # the runs part and its monthly part
    assert not list((out / "runs").glob(".*")) and not list((out / ".tmp").iterdir())


REDONE = (
    "this sweep now runs every run of its design that has no row left in runs/ "
    "(rows of other designs are not rerun)"
)


def test_foreign_part_is_quarantined_and_nothing_is_rerun_for_it(tmp_path, capsys):
    """A part file that is not a sweep's (no run_id column) is moved aside; the warning says
    what happens next, and here nothing reruns: every run of the design is still on disk."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = tmp_path / "out"
    spec = parse_spec(COINCIDING.replace("monthly_columns", "# monthly_columns"))
    run_sweep(spec, out, workers=1, quiet=True)
    pq.write_table(pa.table({"x": [1.0, 2.0]}), out / "runs" / "part-foreign.parquet")
    summary = run_sweep(spec, out, workers=1, quiet=True)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(
        "lithium-abm: warning: runs/part-foreign.parquet is unreadable ("
    )
    assert err[0].endswith(f"; moved runs/part-foreign.parquet to _quarantine/; {REDONE}")
    assert (summary.skipped, summary.ok, summary.rows_on_disk) == (5, 0, 5) and summary.complete
    assert [p.name.split("-", 1)[0] for p in (out / "_quarantine").iterdir()] == ["runs"]


def test_second_sweep_into_a_locked_directory_exits_2(tmp_path, capsys):
    import fcntl
    import os

    from lithium_abm.cli import main

    out = tmp_path / "out"
    out.mkdir()
    spec = tmp_path / "spec.toml"
    spec.write_text(COINCIDING)
    fd = os.open(out / ".lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, b"4242")
    try:
        code = main(["sweep", str(spec), "--out", str(out), "--workers", "1", "-q"])
    finally:
        os.close(fd)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "in use by another sweep (pid 4242)" in err[0]
    assert not (out / "runs").exists()
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "-q"]) == 0


def test_sweep_json_is_strict_json(tmp_path):
    import json

    out = tmp_path / "out"
    run_sweep(
        parse_spec(COINCIDING.replace("range = [1, 3], steps = 5", "levels = [1, 2]")),
        out,
        workers=1,
        quiet=True,
    )

    def refuse(constant):
        raise ValueError(constant)

    info = json.loads((out / "sweep.json").read_text(), parse_constant=refuse)
    assert info["summary"]["runs_on_disk"] == 2


@pytest.fixture(scope="module")
def dataset_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("ds") / "out"
    spec = parse_spec(
        COINCIDING.replace("seeds = 1", "seeds = 2").replace("metrics", "batch_size = 3\nmetrics")
    )
    run_sweep(spec, out, workers=1, quiet=True)
    (out / ".tmp" / "runs-part-x.parquet.1.tmp").write_bytes(b"a killed write")  # not in runs/
    return out


@pytest.mark.parametrize("folder, rows", [("runs", 10), ("monthly", 60)])
def test_runs_and_monthly_folders_read_whole_in_every_tool(dataset_sweep, folder, rows):
    import duckdb
    import polars as pl
    import pyarrow.dataset as ds

    path = dataset_sweep / folder
    table = ds.dataset(path, format="parquet").to_table()
    assert table.num_rows == rows
    frame = pl.scan_parquet(path).collect()  # the folder itself
    assert frame.height == rows
    count = duckdb.sql(f"select count(*) from read_parquet('{path}/*.parquet')").fetchall()[0][0]
    assert count == rows
    assert {"run_id", "point", "seed", "restart_delay_months"} <= set(frame.columns)


def test_monthly_rows_carry_point_seed_and_parameters(dataset_sweep):
    monthly = load_results(dataset_sweep, monthly=True)
    runs = load_results(dataset_sweep)
    merged = monthly.merge(runs, on="run_id", suffixes=("", "_run"))
    assert len(merged) == 60
    for column in ("point", "seed", "restart_delay_months"):
        assert (merged[column] == merged[f"{column}_run"]).all()


def test_units_table_in_the_parquet_metadata(dataset_sweep):
    import json

    import pyarrow.parquet as pq

    part = sorted((dataset_sweep / "monthly").glob("part-*.parquet"))[0]
    units = json.loads(pq.read_schema(part).metadata[b"lithium_abm.units"])
    by_column = {row["column"]: (row["unit"], row["period"]) for row in units}
    assert by_column["price_chemical_usd_t"] == ("USD/t LCE", "per month")
    part = sorted((dataset_sweep / "runs").glob("part-*.parquet"))[0]
    units = json.loads(pq.read_schema(part).metadata[b"lithium_abm.units"])
    assert {"column": "peak_price_usd_t", "unit": "USD/t LCE", "period": "run"} in units


def test_a_full_disk_is_one_line_exit_1_and_the_runs_written_before_are_kept(
    tmp_path, monkeypatch, capsys
):
    import errno

    from lithium_abm.cli import main
    from lithium_abm.experiments import sweep

    out = tmp_path / "sweep"
    real_write = sweep.ResultStore._write
    writes = {"n": 0}

    def write_until_full(self, table, final):
        writes["n"] += 1
        if writes["n"] > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(self, table, final)

    monkeypatch.setattr(sweep.ResultStore, "_write", write_until_full)
    assert main(["sweep", "small", "--workers", "1", "--out", str(out), "-q"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("lithium-abm: error: the disk is full (No space left on device)")
    assert "Traceback" not in "\n".join(err)
    kept = list((out / "runs").glob("*.parquet"))
    assert kept  # what was written before the disk filled is still there
    monkeypatch.setattr(sweep.ResultStore, "_write", real_write)
    assert main(["sweep", "small", "--workers", "1", "--out", str(out), "-q"]) == 0
    assert len(load_results(out)) == 8
