"""Run the model and write its results: the one code path behind ``lithium-abm run``.

A run directory holds ``model.parquet``, ``agents.parquet``, ``run.json`` (everything needed
to reproduce and cite the run) and ``figures/*.png``. Every file is first written under a
temporary name in its final directory and only renamed into place (``os.replace``, atomic on
POSIX and Windows) once *all* files of the run are complete, so an interrupted or failed run
never leaves a truncated file behind and never replaces an earlier run's output with half of a
new one.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lithium_abm.experiments.parent_death import pid_alive
from lithium_abm.model.config import ModelConfig
from lithium_abm.model.lithium_model import LithiumModel

if TYPE_CHECKING:
    from lithium_abm.experiments.patterns import PatternCheck

MODEL_FILE = "model.parquet"
AGENTS_FILE = "agents.parquet"
RUN_FILE = "run.json"
FIGURES_DIR = "figures"
TMP_SUFFIX = ".tmp"

type ProgressFn = Callable[[int, list[PatternCheck]], None]


@dataclass(frozen=True)
class RunResult:
    """One finished run: its inputs, its monthly tables and how long it took."""

    config: ModelConfig
    seed: int
    model_df: pd.DataFrame
    agents_df: pd.DataFrame
    wall_time_s: float
    # Conservation checks of the finished run (both ~0 for a correct model).
    checks: dict[str, float] = field(default_factory=dict)


def simulate(config: ModelConfig, seed: int, record: str = "model") -> Any:
    """The one simulation path behind run, sweep, calibrate, validate and the dashboard.

    ``record="model"`` returns the monthly model frame without per-agent records (what a sweep
    stores, about a fifth cheaper); ``record="all"`` returns the whole :class:`RunResult`.
    """
    if record == "model":
        model = LithiumModel.from_config(config, int(seed), record_agents=False).run()
        return model.model_frame()
    if record == "all":
        return run_model(config, seed)
    raise ValueError(f"record: expected 'model' or 'all', got {record!r}")


def run_model(config: ModelConfig | str = "baseline", seed: int = 1) -> RunResult:
    """Build and run one model (a config or a scenario name); the wall time covers
    construction and all months."""
    if isinstance(config, str):
        from lithium_abm.experiments.scenario import load_scenario

        config = load_scenario(config)
    started = time.perf_counter()
    model = LithiumModel.from_config(config, seed).run()
    wall = time.perf_counter() - started
    checks = {
        "money_imbalance_usd": float(model.ledger.imbalance()),
        "lithium_balance_error_t": float(model.lithium_balance_error_t()),
    }
    return RunResult(
        config=config,
        seed=int(seed),
        model_df=model.model_frame(),
        agents_df=model.agents_frame(),
        wall_time_s=wall,
        checks=checks,
    )


# --- atomic files -------------------------------------------------------------------------


def _tmp_name(final: Path) -> Path:
    """A hidden, unique sibling of ``final``: same directory, so ``os.replace`` is atomic."""
    return final.with_name(f".{final.name}.{uuid.uuid4().hex[:12]}{TMP_SUFFIX}")


def _fsync_file(path: Path) -> None:
    """Flush a written file to disk so a rename never exposes an empty file after a crash."""
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    """Persist renames in ``path``; not possible (nor needed) on every platform."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class _Staging:
    """Files written under temporary names, renamed into place together by :meth:`commit`.

    Leaving the ``with`` block without committing (an exception, Ctrl-C) deletes every
    temporary file, so the directory is exactly as it was before.
    """

    def __init__(self) -> None:
        self.pending: list[tuple[Path, Path]] = []  # (temporary, final)
        self.scratch: list[Path] = []

    def stage(self, final: Path, writer: Callable[[Path], Any]) -> Path:
        """Call ``writer(tmp_path)`` and remember ``tmp_path`` for renaming to ``final``."""
        tmp = _tmp_name(final)
        self.pending.append((tmp, final))
        writer(tmp)
        _fsync_file(tmp)
        return final

    def scratch_dir(self, parent: Path, name: str) -> Path:
        """A temporary directory for writers that pick their own file names."""
        path = _tmp_name(parent / name)
        path.mkdir()
        self.scratch.append(path)
        return path

    def commit(self) -> list[Path]:
        """Rename every staged file into place, in staging order; returns the final paths."""
        done = []
        for tmp, final in self.pending:
            os.replace(tmp, final)
            done.append(final)
        for directory in {final.parent for _, final in self.pending}:
            _fsync_dir(directory)
        self.pending.clear()
        return done

    def discard(self) -> None:
        for tmp, _ in self.pending:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self.pending.clear()
        for path in self.scratch:
            shutil.rmtree(path, ignore_errors=True)
        self.scratch.clear()

    def __enter__(self) -> _Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write one text file atomically (used for run.json and the patterns CSV)."""
    final = Path(path)
    with _Staging() as staging:
        staging.stage(final, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        staging.commit()
    return final


# --- provenance ---------------------------------------------------------------------------


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def source_revision() -> dict[str, Any]:
    """Git commit (and whether the tree had uncommitted changes) of the model's source.

    Only trusted when the package sits at the top of its repository (an editable install);
    an installed copy inside some other repository (e.g. a venv in a checkout) reports null
    rather than that repository's unrelated commit.
    """
    import lithium_abm

    package_dir = Path(lithium_abm.__file__).resolve().parent
    unknown: dict[str, Any] = {"git_commit": None, "git_dirty": None}
    top = _git(["rev-parse", "--show-toplevel"], package_dir)
    if top is None or Path(top).resolve() != package_dir.parent:
        return unknown
    commit = _git(["rev-parse", "HEAD"], package_dir)
    if commit is None:
        return unknown
    status = _git(["status", "--porcelain", "--untracked-files=no"], package_dir)
    return {"git_commit": commit, "git_dirty": None if status is None else bool(status)}


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _jsonable(value: Any) -> Any:
    """Plain JSON values; NaN and infinities become null (strict JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool | str | int) or value is None:
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, np.integer):
        return int(value)
    return str(value)


def run_metadata(result: RunResult, files: list[str]) -> dict[str, Any]:
    """Everything run.json records: inputs, versions, source revision and timing."""
    from lithium_abm import __version__

    config = result.config
    return _jsonable(
        {
            "scenario": config.name,
            "description": config.description,
            "scenario_path": config.extra.get("path"),
            "overrides": config.extra.get("overrides", {}),
            "start": config.start,
            "end": config.end,
            "seed": result.seed,
            "params": dict(sorted(config.params.items())),
            "versions": {
                "lithium_abm": __version__,
                "mesa": _version("mesa"),
                "numpy": np.__version__,
                "pandas": pd.__version__,
                "python": platform.python_version(),
            },
            **source_revision(),
            "wall_time_s": round(result.wall_time_s, 4),
            "checks": result.checks,
            "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "files": files,
        }
    )


# --- writing a run ------------------------------------------------------------------------


RUN_ENTRIES = frozenset({MODEL_FILE, AGENTS_FILE, RUN_FILE, FIGURES_DIR})
RENAME_EXCHANGE = 2  # renameat2 flag: swap two paths atomically (Linux >= 3.15)


class RunDirError(ValueError):
    """``--out`` holds files that are not a run's: replacing it whole would delete them."""


def check_run_dir(out: str | Path) -> None:
    """Refuse a directory that holds anything but an earlier run's files (checked up front)."""
    out = Path(out)
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if p.name not in RUN_ENTRIES)
        if foreign:
            raise RunDirError(
                f"--out {str(out)!r} holds files that are not a run's ({', '.join(foreign[:3])}"
                f"{', ...' if len(foreign) > 3 else ''}); give an empty or new directory, or an "
                "earlier run's"
            )


def _stage_dir_name(out: Path) -> Path:
    return out.parent / f".{out.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{TMP_SUFFIX}"


def _remove_stale_stages(out: Path) -> None:
    """Delete the staging directories that runs killed while writing ``out`` left behind."""
    for stale in out.parent.glob(f".{out.name}.*{TMP_SUFFIX}"):
        parts = stale.name[len(out.name) + 2 :].split(".")
        if not stale.is_dir() or len(parts) != 3 or not parts[0].isdigit():
            continue
        pid = int(parts[0])
        if pid != os.getpid() and not pid_alive(pid):
            shutil.rmtree(stale, ignore_errors=True)

    return True


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one atomic step (Linux renameat2); False if not available."""
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        at_fdcwd = -100
        done = libc.renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), RENAME_EXCHANGE)
    except (OSError, AttributeError):
        return False
    return done == 0


def _swap_into_place(stage: Path, out: Path) -> None:
    """Put the finished ``stage`` directory at ``out``; an earlier ``out`` goes as a whole."""
    if not out.exists():
        os.rename(stage, out)
    elif _exchange(stage, out):
        shutil.rmtree(stage)  # now the earlier run
    else:  # two renames: a crash between them leaves the earlier run in a hidden sibling
        old = _stage_dir_name(out)
        os.rename(out, old)
        os.rename(stage, out)
        shutil.rmtree(old, ignore_errors=True)
    _fsync_dir(out.parent)


def write_run(result: RunResult, out_dir: str | Path, figures: bool = True) -> list[Path]:
    """Write a run's tables, metadata and (optionally) figures as the directory ``out_dir``.

    The run is written into a hidden staging directory next to ``out_dir`` (every file fsynced)
    and renamed into place whole, replacing an earlier run in one step (an atomic exchange on
    Linux): ``out_dir`` never mixes files of two runs, and on any error it stays as it was.
    Staging directories of killed runs are removed on the next write. Returns the paths
    written, ``run.json`` last.
    """
    out = Path(out_dir)
    check_run_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_stages(out)
    stage = _stage_dir_name(out)
    stage.mkdir()
    try:
        with _Staging() as staging:
            written = [
                staging.stage(
                    stage / MODEL_FILE, lambda p: result.model_df.to_parquet(p, index=False)
                ),
                staging.stage(
                    stage / AGENTS_FILE, lambda p: result.agents_df.to_parquet(p, index=False)
                ),
            ]
            if figures:
                written += _stage_figures(staging, result, stage / FIGURES_DIR)
            relative = [p.relative_to(stage).as_posix() for p in written] + [RUN_FILE]
            text = json.dumps(run_metadata(result, relative), indent=2, allow_nan=False) + "\n"
            written.append(
                staging.stage(stage / RUN_FILE, lambda p: p.write_text(text, encoding="utf-8"))
            )
            staging.commit()
        _swap_into_place(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return [out / p.relative_to(stage) for p in written]


def _stage_figures(staging: _Staging, result: RunResult, fig_dir: Path) -> list[Path]:
    """Render figures into a scratch directory, then stage each PNG for ``fig_dir``."""
    from lithium_abm.experiments.figures import write_all_figures

    fig_dir.mkdir(exist_ok=True)
    scratch = staging.scratch_dir(fig_dir, "render")
    rendered = write_all_figures(result.model_df, result.agents_df, scratch)
    return [
        staging.stage(fig_dir / png.name, lambda tmp, src=png: os.replace(src, tmp))
        for png in rendered
    ]


# --- patterns over seeds ------------------------------------------------------------------


def run_patterns(
    seeds: int,
    first_seed: int = 1,
    progress: ProgressFn | None = None,
    baseline: str = "baseline",
    counterfactual: str = "no_support",
) -> tuple[pd.DataFrame, list[list[PatternCheck]]]:
    """Run ``baseline`` and ``counterfactual`` for each seed and judge the patterns over seeds.

    Only the current seed's frames are held, so memory stays that of two runs whatever the
    number of seeds. ``progress(seed, checks)`` is called after each seed.
    """
    from lithium_abm.experiments.patterns import evaluate_run_patterns, pattern_table
    from lithium_abm.experiments.scenario import load_scenario

    if seeds < 1 or first_seed < 0:
        raise ValueError(f"need seeds >= 1 and first_seed >= 0, got {seeds} and {first_seed}")
    base_cfg = load_scenario(baseline)
    nosup_cfg = load_scenario(counterfactual)
    per_seed: list[list[PatternCheck]] = []
    for seed in range(first_seed, first_seed + seeds):
        base = run_model(base_cfg, seed)
        nosup = run_model(nosup_cfg, seed)
        checks = evaluate_run_patterns(
            base.model_df, base.agents_df, nosup.model_df, nosup.agents_df
        )
        del base, nosup
        per_seed.append(checks)
        if progress is not None:
            progress(seed, checks)
    return pattern_table(per_seed), per_seed
