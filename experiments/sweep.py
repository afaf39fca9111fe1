"""Run an experiment spec: every design point times every seed, streamed to a parquet dataset.

Layout of the output directory::

    sweep.json           spec, versions, git commit, run counts (rewritten at the end)
    runs/part-*.parquet  one row per run: run_id, point, seed, varied parameters, metrics,
                         status ("ok" / "failed"), error, wall_time_s
    monthly/part-*.parquet  (if the spec keeps monthly columns) run_id, point, seed, varied
                         parameters, date, the columns
    _quarantine/         unreadable part files found on resume, moved aside (the runs of the
                         design left without a row in runs/ then run again)
    .lock                held while a sweep writes here

``runs/`` and ``monthly/`` are each a dataset for pyarrow.dataset, polars and DuckDB (only part
files inside; temporaries are hidden); the schema metadata carries the provenance and a units
table (``lithium_abm.units``, docs/units.md).

Why it is built this way:

* A run id is a content hash of the scenario data, the resolved parameters, the seed and the
  package version, so it is the same in every process and on every machine; rerunning the same
  command skips the ids already on disk (resume).
* Runs go to workers in batches (a task of tens of runs, not one), and each finished batch is
  written at once as its own file: under a hidden temporary name, then ``os.replace``d into
  place. Ctrl-C, a killed worker or a crash loses at most the batches still running; parquet
  readers ignore the hidden names. The parent holds one batch at a time, so memory is flat.
* A run that raises is recorded with status "failed" and its error; the others go on. A batch
  lost to a dead worker is retried (split into single runs) on a fresh pool, never recorded as
  failed, since the run itself did nothing wrong.
* Each run depends only on its config and seed, so results are the same whatever the executor
  and the number of workers.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import os
import sys
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Future, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lithium_abm.experiments.executors import Backend, default_workers, open_dask, open_local
from lithium_abm.experiments.runner import _fsync_dir, _fsync_file, _jsonable
from lithium_abm.experiments.spec import ExperimentSpec, SpecError, check_metrics, design_points
from lithium_abm.model.config import ModelConfig
from lithium_abm.model.parameters import PARAMETERS

RUNS_DIR = "runs"
MONTHLY_DIR = "monthly"
SWEEP_FILE = "sweep.json"
LOCK_FILE = ".lock"
TMP_DIR = ".tmp"  # part files being written, renamed into runs/ or monthly/ when complete
QUARANTINE_DIR = "_quarantine"  # corrupt part files moved aside on resume
META_KEY = b"lithium_abm.sweep"
MAX_BATCH_RUNS = 20  # bounds the work a killed worker can lose and keeps progress moving
MAX_ATTEMPTS = 3  # tries of a run whose worker died before it is left for the next resume
MAX_POOL_RESTARTS = 10


# --- planning -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSpec:
    """One run of the sweep: which design point, which seed, and its varied parameter values."""

    run_id: str
    point: int
    seed: int
    values: dict[str, Any]


def base_config(spec: ExperimentSpec) -> ModelConfig:
    """The scenario with the spec's fixed values and time span; read once, in the parent."""
    from lithium_abm.experiments.scenario import load_scenario, warn_horizon

    config = load_scenario(spec.scenario, spec.fixed)
    start, end = spec.start or config.start, spec.end or config.end
    if end < start:
        raise SpecError(f"experiment.end ({end}) is before the scenario's start ({start})")
    config = replace(config, start=start, end=end)
    warn_horizon(config)
    return config


def scenario_digest(config: ModelConfig) -> str:
    """Hash of the scenario's population and demand data (dataclass reprs are deterministic)."""
    data = repr(
        (config.mines, config.refiners, config.battery_makers, config.resource_base)
    ) + repr(config.demand_path_t)
    return hashlib.sha256(data.encode()).hexdigest()


def run_id(
    config: ModelConfig, digest: str, values: dict[str, Any], seed: int, point: int | None = None
) -> str:
    """Content hash of everything that determines a run's output, and of its design point.

    Two design points may coincide (an integer parameter on a grid, rounded Sobol samples): the
    point index in the key keeps them apart as replicates, so neither overwrites the other.
    """
    from lithium_abm import __version__

    params = {**config.params, **values}
    key = {
        "scenario": config.name,
        "data": digest,
        "start": config.start,
        "end": config.end,
        "params": {k: params[k] for k in sorted(params)},
        "seed": int(seed),
        "version": __version__,
    }
    if point is not None:
        key["point"] = int(point)
    text = json.dumps(key, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def plan_runs(
    spec: ExperimentSpec, config: ModelConfig, points: list[dict[str, Any]]
) -> list[RunSpec]:
    """Every (point, seed) pair in design order, seeds innermost, with its run id."""
    digest = scenario_digest(config)
    seeds = range(spec.first_seed, spec.first_seed + spec.seeds)
    return [
        RunSpec(run_id(config, digest, values, seed, point=p), p, seed, values)
        for p, values in enumerate(points)
        for seed in seeds
    ]


# --- the work of one batch (runs in a worker) ---------------------------------------------


@dataclass(frozen=True)
class BatchJob:
    """What a worker needs: the base config (no file reads there) and the runs to make."""

    config: ModelConfig
    metrics: tuple[str, ...]
    monthly_columns: tuple[str, ...]
    metric_modules: tuple[str, ...]
    runs: tuple[RunSpec, ...]


@dataclass
class BatchOutput:
    rows: list[dict[str, Any]]
    monthly: pd.DataFrame | None


def simulate(config: ModelConfig, seed: int) -> pd.DataFrame:
    """One run's monthly frame, without the per-agent records a sweep never stores.

    ``runner.run_model`` also records one row per agent per month and builds the agents
    table: about a fifth of a baseline run's CPU time (docs/PERFORMANCE.md).
    """
    from lithium_abm.experiments.runner import simulate as simulate_config

    return simulate_config(config, seed, record="model")


def _error_text(exc: Exception) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {Path(frame[0].filename).name}:{frame[0].lineno} in {frame[0].name})"
    text = f"{type(exc).__name__}: {exc}" + (where if frame else "")
    return text[:2000]


def run_batch(job: BatchJob) -> BatchOutput:
    """Run and measure every run of the batch; a run that raises is recorded, not fatal."""
    from lithium_abm.experiments.metrics import compute_metrics

    for module in job.metric_modules:
        importlib.import_module(module)
    rows, frames = [], []
    for run in job.runs:
        started = time.perf_counter()
        row: dict[str, Any] = {"run_id": run.run_id, "point": run.point, "seed": run.seed}
        row.update(run.values)
        try:
            config = replace(job.config, params={**job.config.params, **run.values})
            model_df = simulate(config, run.seed)
            row.update(compute_metrics(model_df, job.metrics))
            row.update(status="ok", error=None)
            if job.monthly_columns:
                monthly = model_df[["date", *job.monthly_columns]].copy()
                # Every monthly row says which run, point, seed and parameter values it is of,
                # so the monthly dataset is usable without a join against runs/.
                keys = {"run_id": run.run_id, "point": run.point, "seed": run.seed}
                for i, (name, value) in enumerate({**keys, **run.values}.items()):
                    monthly.insert(i, name, value)
                frames.append(monthly)
        except Exception as exc:
            row.update(dict.fromkeys(job.metrics, math.nan))
            row.update(status="failed", error=_error_text(exc))
        row["wall_time_s"] = time.perf_counter() - started
        rows.append(row)
    return BatchOutput(rows, pd.concat(frames, ignore_index=True) if frames else None)


# --- the dataset on disk ------------------------------------------------------------------


def _arrow_type(name: str) -> pa.DataType:
    kind = PARAMETERS[name].kind
    return pa.bool_() if kind is bool else pa.int64() if kind is int else pa.float64()


class ResultStore:
    """The output directory: atomic part files, resume bookkeeping and provenance."""

    def __init__(
        self, out: Path, spec: ExperimentSpec, metrics: tuple[str, ...], provenance: dict
    ) -> None:
        self.out = out
        self.runs_dir = out / RUNS_DIR
        self.monthly_dir = out / MONTHLY_DIR
        self.keep_monthly = bool(spec.monthly_columns)
        self.provenance = provenance
        from lithium_abm.experiments.metrics import METRICS
        from lithium_abm.experiments.units import UNITS_KEY, units_metadata

        metric_units = {m: METRICS[m].unit for m in metrics if m in METRICS}
        run_columns = ["run_id", "point", "seed", *spec.param_names, *metrics, "status"]
        run_columns += ["error", "wall_time_s"]
        monthly_columns = ["run_id", "point", "seed", *spec.param_names, "date"]
        monthly_columns += list(spec.monthly_columns)
        meta = {
            META_KEY: json.dumps(_jsonable(provenance), allow_nan=False).encode(),
            UNITS_KEY: units_metadata(run_columns, metric_units),
        }
        self.monthly_meta = {**meta, UNITS_KEY: units_metadata(monthly_columns)}
        fields = [("run_id", pa.string()), ("point", pa.int64()), ("seed", pa.int64())]
        fields += [(name, _arrow_type(name)) for name in spec.param_names]
        fields += [(name, pa.float64()) for name in metrics]
        fields += [("status", pa.string()), ("error", pa.string()), ("wall_time_s", pa.float64())]
        self.schema = pa.schema(fields, metadata=meta)

    def lock(self) -> None:
        """Hold an exclusive lock on the output directory until this process ends or
        :meth:`unlock`: a second sweep into the same directory stops with one line."""
        import fcntl

        self.out.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.out / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise SpecError(
                f"--out {str(self.out)!r} is in use by another sweep (pid {holder}); wait for "
                "it to finish or give another directory"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def unlock(self) -> None:
        fd = getattr(self, "_lock_fd", None)
        if fd is not None:
            os.close(fd)  # closing the descriptor releases the flock
            self._lock_fd = None

    def _quarantine(self, part: Path, why: str) -> None:
        """Move an unreadable part (and its runs/monthly sibling) aside, with a one-line report.

        Which runs it held cannot be read, so nothing is redone for the file as such: the sweep
        then runs every run of its design with no row left in runs/ (a file of another sweep
        gives none)."""
        folder = self.out / QUARANTINE_DIR
        folder.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        moved = []
        for sibling in (self.runs_dir / part.name, self.monthly_dir / part.name):
            if sibling.exists():
                target = folder / f"{sibling.parent.name}-{stamp}-{sibling.name}"
                os.replace(sibling, target)
                moved.append(f"{sibling.parent.name}/{sibling.name}")
        _fsync_dir(folder)
        print(
            f"lithium-abm: warning: {part.parent.name}/{part.name} is unreadable ({why}); moved "
            f"{' and '.join(moved)} to {QUARANTINE_DIR}/; this sweep now runs every run of its "
            f"design that has no row left in {RUNS_DIR}/ (rows of other designs are not rerun)",
            file=sys.stderr,
        )

    def validate_parts(self) -> int:
        """Check every part file (footer readable, row count, run ids); quarantine the bad."""
        bad = 0
        for folder in (self.runs_dir, self.monthly_dir):
            for part in sorted(folder.glob("part-*.parquet")):
                try:
                    rows = pq.read_metadata(part).num_rows
                    ids = pq.read_table(part, columns=["run_id"], use_threads=False)
                    if ids.num_rows != rows or ids.column("run_id").null_count:
                        raise ValueError(f"{ids.num_rows} of {rows} rows readable")
                except Exception as exc:  # ArrowInvalid, OSError, a wrong schema
                    if part.exists():
                        self._quarantine(part, " ".join(str(exc).split())[:120])
                        bad += 1
        return bad

    def prepare(self) -> set[str]:
        """Create the folders, drop leftovers of a killed sweep, quarantine corrupt parts;
        return the run ids already done."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        if self.keep_monthly:
            self.monthly_dir.mkdir(exist_ok=True)
        for folder in (self.runs_dir, self.monthly_dir):
            for tmp in folder.glob(".part-*"):  # temporaries of older versions
                tmp.unlink(missing_ok=True)
        for tmp in (self.out / TMP_DIR).glob("*.tmp"):  # writes a killed sweep left (we hold
            tmp.unlink(missing_ok=True)  # the lock, so no other sweep is writing them)
        self.validate_parts()
        committed = {p.name for p in self.runs_dir.glob("part-*.parquet")}
        for orphan in self.monthly_dir.glob("part-*.parquet"):
            if orphan.name not in committed:  # its runs file never landed: those runs rerun
                orphan.unlink()
        return set(self.done_ids())

    def done_ids(self) -> Iterator[str]:
        for part in sorted(self.runs_dir.glob("part-*.parquet")):
            yield from (
                pq.read_table(part, columns=["run_id"], use_threads=False)
                .column("run_id")
                .to_pylist()
            )

    def write(self, output: BatchOutput) -> None:
        """Monthly file first, runs file last: a runs file is the mark that a batch is done."""
        ids = "".join(row["run_id"] for row in output.rows)
        name = f"part-{hashlib.sha256(ids.encode()).hexdigest()[:16]}.parquet"
        if self.keep_monthly and output.monthly is not None:
            table = pa.Table.from_pandas(output.monthly, preserve_index=False)
            meta = {**(table.schema.metadata or {}), **self.monthly_meta}
            self._write(table.replace_schema_metadata(meta), self.monthly_dir / name)
        self._write(pa.Table.from_pylist(output.rows, schema=self.schema), self.runs_dir / name)

    def _write(self, table: pa.Table, final: Path) -> None:
        # Temporaries live in DIR/.tmp/, not beside the parts, so runs/ and monthly/ hold only
        # finished parts even while a sweep writes (polars refuses a folder of mixed files).
        staging = self.out / TMP_DIR
        staging.mkdir(exist_ok=True)
        tmp = staging / f"{final.parent.name}-{final.name}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            pq.write_table(table, tmp)
            _fsync_file(tmp)  # the data is on disk before the name points at it
            os.replace(tmp, final)
            _fsync_dir(final.parent)  # and the rename itself survives a crash
        finally:
            tmp.unlink(missing_ok=True)


def load_results(out: str | Path, monthly: bool = False) -> pd.DataFrame:
    """A sweep's runs (or monthly) table, sorted by point and seed (or run id and date)."""
    folder = Path(out) / (MONTHLY_DIR if monthly else RUNS_DIR)
    if not any(folder.glob("part-*.parquet")):
        return pd.DataFrame()
    df = pd.read_parquet(folder)
    keys = ["run_id", "date"] if monthly else ["point", "seed"]
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


def read_provenance(out: str | Path) -> dict[str, Any]:
    """The provenance stored in a sweep's parquet schema metadata."""
    part = next(iter(sorted((Path(out) / RUNS_DIR).glob("part-*.parquet"))), None)
    if part is None:
        return {}
    meta = pq.read_schema(part).metadata or {}
    return json.loads(meta.get(META_KEY, b"{}"))


# --- progress -----------------------------------------------------------------------------


class Progress:
    """One status line on stderr: runs done, failures, rate and time left."""

    def __init__(self, total: int, stream: TextIO | None = None, every_s: float = 5.0) -> None:
        self.total, self.done, self.failed = total, 0, 0
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty()
        self.every_s = every_s
        self.started = time.monotonic()
        self.last = -math.inf  # the first finished batch is shown at once

    def add(self, rows: list[dict[str, Any]]) -> None:
        self.done += len(rows)
        self.failed += sum(row["status"] != "ok" for row in rows)
        now = time.monotonic()
        if self.tty or now - self.last >= self.every_s or self.done == self.total:
            self.last = now
            self.show()

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate > 0 else math.inf
        pct = 100.0 * self.done / self.total if self.total else 100.0
        return (
            f"sweep: {self.done}/{self.total} runs ({pct:.0f}%), {self.failed} failed, "
            f"{rate:.2f} runs/s, ETA {_duration(left)}"
        )

    def show(self) -> None:
        end = "" if self.tty and self.done < self.total else "\n"
        print(("\r" if self.tty else "") + self.line(), end=end, file=self.stream, flush=True)


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


# --- running ------------------------------------------------------------------------------


@dataclass
class SweepSummary:
    """What a sweep did; ``lost`` runs were not recorded (their worker kept dying)."""

    out: Path
    total: int
    skipped: int
    ok: int = 0
    failed: int = 0
    lost: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    backend: str = ""
    first_errors: list[str] = field(default_factory=list)
    rows_on_disk: int = -1  # counted at the end, from the part files
    missing: int = 0  # runs of the design with no row on disk
    duplicated: int = 0  # rows on disk beyond one per run of the design

    @property
    def complete(self) -> bool:
        """Exactly one row on disk for every run of the design."""
        return self.rows_on_disk == self.total and not self.missing and not self.duplicated

    def text(self) -> str:
        ran = self.ok + self.failed
        rate = ran / self.wall_s if self.wall_s > 0 else 0.0
        where = f" ({rate:.2f} runs/s on {self.backend})" if ran else ""
        lines = [
            f"Sweep finished: {self.total} runs in the design; {self.skipped} already on disk, "
            f"{ran} run now ({self.ok} ok, {self.failed} failed) in {_duration(self.wall_s)}"
            f"{where}.",
            f"Results: {self.out / RUNS_DIR}/ (read with "
            f"lithium_abm.experiments.sweep.load_results({str(self.out)!r}))",
        ]
        if self.failed:
            lines.append(
                f"Failed runs keep their error in the 'error' column; first: {self.first_errors[0]}"
            )
        if self.lost:
            lines.append(
                f"{len(self.lost)} runs were not completed (their worker died {MAX_ATTEMPTS} "
                f"times); rerun the same command to retry them."
            )
        if self.rows_on_disk >= 0 and not self.complete:
            lines.append(
                f"ERROR: the design has {self.total} runs but {self.rows_on_disk} rows are on "
                f"disk ({self.missing} runs missing, {self.duplicated} rows duplicated)."
            )
        return "\n".join(lines)


def _batches(runs: list[RunSpec], size: int) -> deque[tuple[RunSpec, ...]]:
    return deque(tuple(runs[i : i + size]) for i in range(0, len(runs), size))


def auto_batch_size(n_runs: int, slots: int) -> int:
    """About four tasks per worker slot, at most MAX_BATCH_RUNS runs each."""
    return max(1, min(MAX_BATCH_RUNS, math.ceil(n_runs / (4 * slots))))


def _fingerprint(spec: ExperimentSpec, config: ModelConfig, metrics: tuple[str, ...]) -> dict:
    """What must match for a rerun into the same directory to be a resume."""
    from lithium_abm import __version__

    return {
        "scenario": config.name,
        "scenario_data": scenario_digest(config),
        "start": config.start,
        "end": config.end,
        "fixed": spec.fixed,
        "design": spec.design,
        "parameters": {a.name: [list(a.levels), a.low, a.high, a.steps] for a in spec.axes},
        "samples": spec.samples,
        "design_seed": spec.design_seed,
        "second_order": spec.second_order,
        "morris_levels": spec.morris_levels,
        "seeds": [spec.first_seed, spec.seeds],
        "metrics": list(metrics),
        "monthly_columns": list(spec.monthly_columns),
        "lithium_abm": __version__,
    }


def _check_resume(out: Path, fingerprint: dict) -> None:
    path = out / SWEEP_FILE
    if not path.is_file():
        return
    try:
        old = json.loads(path.read_text(encoding="utf-8")).get("fingerprint", {})
    except (OSError, ValueError):
        return
    differ = [
        k
        for k in fingerprint
        if json.dumps(_jsonable(old.get(k))) != json.dumps(_jsonable(fingerprint[k]))
    ]
    if differ and any((out / RUNS_DIR).glob("part-*.parquet")):
        raise SpecError(
            f"--out {str(out)!r} holds results of a different sweep (differs in: "
            f"{', '.join(differ)}); use another directory, or the spec that made them to resume"
        )


def _check_columns(config: ModelConfig, columns: tuple[str, ...]) -> None:
    """Monthly columns must exist: a one-month run gives the frame's columns in milliseconds."""
    if not columns:
        return
    known = list(simulate(replace(config, end=config.start), 1).columns)
    for column in columns:
        if column not in known or column == "date":
            raise SpecError(
                f"experiment.monthly_columns: unknown column {column!r}; allowed: "
                f"{', '.join(c for c in known if c != 'date')}"
            )


def prepare_sweep(
    spec: ExperimentSpec, out: Path, points: list[dict[str, Any]] | None = None
) -> tuple[BatchJob, list[RunSpec], ResultStore, dict]:
    """Validate everything that can fail before a run starts; returns the work and the store."""
    from lithium_abm import __version__
    from lithium_abm.experiments.runner import source_revision

    metrics = check_metrics(spec)
    clash = set(metrics) & (
        {"run_id", "point", "seed", "status", "error", "wall_time_s"} | set(spec.param_names)
    )
    if clash:
        raise SpecError(f"experiment.metrics: {sorted(clash)[0]!r} clashes with a column name")
    config = base_config(spec)
    _check_columns(config, spec.monthly_columns)
    runs = plan_runs(spec, config, design_points(spec) if points is None else points)
    fingerprint = _fingerprint(spec, config, metrics)
    _check_resume(out, fingerprint)
    provenance = {
        "spec": spec.text,
        "spec_path": spec.path,
        "experiment": spec.name,
        "lithium_abm": __version__,
        **source_revision(),
    }
    store = ResultStore(out, spec, metrics, provenance)
    job = BatchJob(config, metrics, spec.monthly_columns, spec.metric_modules, ())
    info = {"fingerprint": fingerprint, **provenance, "runs_in_design": len(runs)}
    return job, runs, store, info


def run_sweep(
    spec: ExperimentSpec,
    out: str | Path,
    workers: int | None = None,
    dask_scheduler: str | None = None,
    dask_local: int = 0,
    points: list[dict[str, Any]] | None = None,
    progress: TextIO | None = None,
    quiet: bool = False,
) -> SweepSummary:
    """Run (or resume) the sweep into ``out``; Ctrl-C keeps finished batches and re-raises."""
    out = Path(out)
    job, runs, store, info = prepare_sweep(spec, out, points)
    store.lock()
    try:
        return _run_locked(
            spec, out, job, runs, store, info, workers, dask_scheduler, dask_local, progress, quiet
        )
    finally:
        store.unlock()


def _run_locked(
    spec: ExperimentSpec,
    out: Path,
    job: BatchJob,
    runs: list[RunSpec],
    store: ResultStore,
    info: dict,
    workers: int | None,
    dask_scheduler: str | None,
    dask_local: int,
    progress: TextIO | None,
    quiet: bool,
) -> SweepSummary:
    from lithium_abm.experiments.runner import write_text_atomic

    done = store.prepare()
    write_text_atomic(out / SWEEP_FILE, strict_json(info))
    pending = [r for r in runs if r.run_id not in done]
    summary = SweepSummary(out, total=len(runs), skipped=len(runs) - len(pending))
    started = time.perf_counter()
    if pending:
        if dask_scheduler or dask_local:
            opener: Callable[[], Backend] = lambda: open_dask(dask_scheduler, dask_local)  # noqa: E731
        else:
            n = workers or default_workers()
            opener = lambda: open_local(min(n, len(pending)))  # noqa: E731
        _drive(job, pending, store, opener, spec.batch_size, summary, progress, quiet)
    summary.wall_s = time.perf_counter() - started
    _count_rows(summary, runs, store)
    info["summary"] = {
        "runs_in_design": summary.total,
        "runs_on_disk": summary.rows_on_disk,
        "runs_missing": summary.missing,
        "rows_duplicated": summary.duplicated,
        "last_session": {
            "ran": summary.ok + summary.failed,
            "failed": summary.failed,
            "not_completed": len(summary.lost),
            "wall_s": round(summary.wall_s, 2),
            "backend": summary.backend,
        },
        "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_text_atomic(out / SWEEP_FILE, strict_json(info))
    return summary


def strict_json(value: Any) -> str:
    """JSON every parser takes: NaN and infinities become null (``json.dumps`` writes NaN)."""
    return json.dumps(_jsonable(value), indent=2, allow_nan=False) + "\n"


def _count_rows(summary: SweepSummary, runs: list[RunSpec], store: ResultStore) -> None:
    """Count the rows on disk against the design: one per run, none missing, none twice."""
    on_disk = list(store.done_ids())
    planned = {r.run_id for r in runs}
    present = set(on_disk)
    summary.rows_on_disk = len(on_disk)
    summary.missing = len(planned - present)
    summary.duplicated = len(on_disk) - len(present) + len(present - planned)


def _drive(
    job: BatchJob,
    pending: list[RunSpec],
    store: ResultStore,
    opener: Callable[[], Backend],
    batch_size: int,
    summary: SweepSummary,
    stream: TextIO | None,
    quiet: bool,
) -> None:
    """Submit batches (a bounded number in flight), write each as it finishes, retry the lost."""
    backend = opener()
    summary.backend = backend.label
    queue = _batches(pending, batch_size or auto_batch_size(len(pending), backend.slots))
    progress = None if quiet else Progress(len(pending), stream)
    attempts: dict[str, int] = {}
    inflight: dict[Future, tuple[RunSpec, ...]] = {}
    restarts = 0
    try:
        while queue or inflight:
            broken = False
            while queue and len(inflight) < 2 * backend.slots and not broken:
                batch = queue.popleft()
                try:
                    inflight[backend.executor.submit(run_batch, replace(job, runs=batch))] = batch
                except BrokenExecutor:  # the pool broke since the last wait
                    queue.appendleft(batch)
                    broken = True
            finished, _ = (
                wait(list(inflight), return_when=FIRST_COMPLETED) if inflight else ((), ())
            )
            for future in finished:
                batch = inflight.pop(future)
                try:
                    output = future.result()
                except Exception as exc:  # the worker, not the run, failed
                    broken |= isinstance(exc, BrokenExecutor)
                    for run in batch:
                        attempts[run.run_id] = attempts.get(run.run_id, 0) + 1
                        if attempts[run.run_id] < MAX_ATTEMPTS:
                            queue.append((run,))
                        else:
                            summary.lost.append(run.run_id)
                    continue
                store.write(output)
                for row in output.rows:
                    if row["status"] == "ok":
                        summary.ok += 1
                    else:
                        summary.failed += 1
                        if len(summary.first_errors) < 3:
                            summary.first_errors.append(f"run {row['run_id']}: {row['error']}")
                if progress is not None:
                    progress.add(output.rows)
            if broken and backend.restartable:
                restarts += 1
                for batch in inflight.values():  # every task of a broken pool is lost
                    queue.extend((run,) for run in batch)
                inflight.clear()
                backend.close(cancel=True)
                if restarts > MAX_POOL_RESTARTS:
                    summary.lost.extend(r.run_id for batch in queue for r in batch)
                    queue.clear()
                    break
                backend = opener()
    except BaseException:
        backend.close(cancel=True)
        raise
    backend.close()
