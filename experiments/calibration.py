"""Calibration by simulated method of moments: fit behavioural parameters to target statistics.

The objective of a candidate is ``sum_i w_i * r_i**2`` where ``r_i`` is target *i*'s residual
(:meth:`Target.residual`) of its moment over seeds: the median of a quantity, the share of
seeds passing for a pattern. Every candidate runs the
same seeds (common random numbers), so differences between candidates are not seed noise.

The optimiser is a seeded Latin hypercube over the (optionally narrowed) documented ranges,
followed by bounded Nelder-Mead from the best point, all within a hard budget of model
evaluations (one evaluation = one candidate over all seeds). The scenario's own values are
evaluated first ("before"). Same inputs, same result: the design, the seeds and the order of
evaluation are fixed, and workers only change how fast the runs come back.

The fit is written as a scenario TOML that ``extends`` the base scenario and sets the fitted
``[parameters]``, plus a fit report (Markdown and CSV).
"""

from __future__ import annotations

import contextlib
import math
import os
import textwrap
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lithium_abm.experiments.executors import open_local
from lithium_abm.experiments.targets import (
    PATTERN_PASS_SHARE,
    TARGETS,
    TARGETS_BY_NAME,
    Target,
    compute_statistics,
    counterfactual_config,
    select_targets,
    summarise,
)
from lithium_abm.experiments.toml_fields import MAX_SEED, Fields, is_number, read_toml

if TYPE_CHECKING:
    from lithium_abm.model.config import ModelConfig

DEFAULT_PARAMS: tuple[str, ...] = (
    "hoarding_sensitivity",
    "bid_urgency",
    "anchor_weight",
    "care_loss_months",
    "demand_price_elasticity",
    "distress_floor_share",
)
DEFAULT_SEEDS = 5
DEFAULT_BUDGET = 60
DEFAULT_OPTIMISER_SEED = 20251
INIT_SHARE = 0.5  # share of the budget spent on the Latin hypercube before Nelder-Mead
SIGNIFICANT_DIGITS = 5  # candidates are rounded so the written file reproduces them exactly
SPEC_SECTIONS = {"calibration", "parameters", "weights", "start"}
SPEC_KEYS = {"scenario", "seeds", "first_seed", "budget", "optimiser_seed", "pattern_pass_share"}
SPEC_INT_MAX = {"seeds": 100_000, "budget": 1_000_000}


class CalibrationError(ValueError):
    """A calibration input (parameter name, range, spec file) is invalid; the message says why."""


@dataclass(frozen=True)
class FitParam:
    """A parameter to fit and the bounds the optimiser may use (within its documented range)."""

    name: str
    low: float
    high: float
    integer: bool = False

    def from_unit(self, u: float) -> float | int:
        """Map a point of [0, 1] to a value, rounded so it survives a round trip through TOML."""
        value = self.low + min(1.0, max(0.0, u)) * (self.high - self.low)
        if self.integer:
            return int(round(value))
        rounded = float(f"{value:.{SIGNIFICANT_DIGITS}g}")
        return min(self.high, max(self.low, rounded))

    def to_unit(self, value: float) -> float:
        span = self.high - self.low
        return 0.0 if span == 0 else min(1.0, max(0.0, (float(value) - self.low) / span))


@dataclass(frozen=True)
class CalibrationSpec:
    """What to fit, against what, and with which budget."""

    params: tuple[FitParam, ...]
    scenario: str = "baseline"
    seeds: int = DEFAULT_SEEDS
    first_seed: int = 1
    budget: int = DEFAULT_BUDGET
    optimiser_seed: int = DEFAULT_OPTIMISER_SEED
    weights: dict[str, float] = field(default_factory=dict)
    # Share of seeds a pattern must pass before it stops costing: the patterns' own criterion
    # (0.8) by default; a higher bar rewards candidates on which the patterns hold robustly.
    pattern_pass_share: float = PATTERN_PASS_SHARE
    # A warm start evaluated right after the scenario's own values (e.g. an earlier result).
    start: dict[str, float] = field(default_factory=dict)

    @property
    def seed_list(self) -> list[int]:
        return list(range(self.first_seed, self.first_seed + self.seeds))


def fit_params(
    names: list[str], narrowed: dict[str, tuple[float, float]] | None = None
) -> tuple[FitParam, ...]:
    """Look parameters up in the registry; bounds default to the documented range.

    Narrowed bounds must lie inside the documented range: calibration never leaves it.
    """
    from lithium_abm.model.parameters import PARAMETERS

    narrowed = narrowed or {}
    if not names:
        raise CalibrationError("no parameters to fit")
    out = []
    for name in names:
        param = PARAMETERS.get(name)
        if param is None:
            raise CalibrationError(
                f"unknown parameter {name!r}; see `lithium-abm params` for the list"
            )
        if param.kind is bool or param.low is None or param.high is None:
            raise CalibrationError(f"parameter {name!r} is a switch or unbounded; cannot fit it")
        low, high = narrowed.get(name, (param.low, param.high))
        if not (param.low <= low < high <= param.high):
            raise CalibrationError(
                f"range for {name!r} must satisfy {param.low} <= low < high <= {param.high} "
                f"(its documented range), got [{low}, {high}]"
            )
        out.append(FitParam(name, float(low), float(high), integer=param.kind is int))
    if len({p.name for p in out}) != len(out):
        raise CalibrationError("a parameter is listed twice")
    return tuple(out)


def load_spec(path: str | Path) -> CalibrationSpec:
    """Read a calibration spec TOML.

    ``[calibration]`` scenario, seeds, first_seed, budget, optimiser_seed;
    ``[parameters]`` name = true (documented range) or name = [low, high] (narrowed);
    ``[weights]`` target = weight (0 drops a target).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CalibrationError(f"cannot read calibration spec {str(path)!r}: {exc}") from None
    doc = read_toml(text, SPEC_SECTIONS, CalibrationError, path)
    meta = Fields(doc.get("calibration", {}), "calibration", CalibrationError, path)
    meta.only(SPEC_KEYS)
    names: list[str] = []
    narrowed: dict[str, tuple[float, float]] = {}
    table = Fields(doc.get("parameters", {}), "parameters", CalibrationError, path)
    for name, value in table.table.items():
        names.append(name)
        if value is True:
            continue
        if not isinstance(value, list) or len(value) != 2 or not all(map(is_number, value)):
            table.wrong(name, "true or [low, high]", value)
        narrowed[name] = (float(value[0]), float(value[1]))
    weights = {}
    table = Fields(doc.get("weights", {}), "weights", CalibrationError, path)
    for name, value in table.table.items():
        if not is_number(value) or not math.isfinite(value) or value < 0:
            table.wrong(name, "a finite number >= 0", value)
        weights[name] = float(value)
    try:
        select_targets(weights)
    except ValueError as exc:
        table.fail(f"weights: {exc}")
    spec = CalibrationSpec(
        params=fit_params(names or list(DEFAULT_PARAMS), narrowed),
        scenario=str(meta.table.get("scenario", "baseline")),
        weights=weights,
    )
    share = meta.number("pattern_pass_share", PATTERN_PASS_SHARE, 0, 1, low_open=True)
    start = Fields(doc.get("start", {}), "start", CalibrationError, path)
    fitted = {p.name: p for p in spec.params}
    for name in start.table:
        if name not in fitted:
            start.fail(f"start.{name} is not a fitted parameter; fitted: {', '.join(fitted)}")
        start.number(name, None, fitted[name].low, fitted[name].high)
    spec = replace(spec, pattern_pass_share=share, start=dict(start.table))
    for key in ("seeds", "first_seed", "budget", "optimiser_seed"):
        minimum = 0 if key in ("first_seed", "optimiser_seed") else 1
        maximum = SPEC_INT_MAX.get(key, MAX_SEED)
        spec = replace(spec, **{key: meta.whole(key, getattr(spec, key), minimum, maximum)})
    if spec.first_seed > MAX_SEED - spec.seeds + 1:
        meta.fail(
            f"calibration.first_seed + seeds - 1 must be <= {MAX_SEED}, "
            f"got {spec.first_seed} + {spec.seeds} - 1"
        )
    return spec


# --- evaluation -------------------------------------------------------------------------------


def with_values(base: ModelConfig, values: dict[str, float | int]) -> ModelConfig:
    """The base configuration with candidate values, checked against the registry.

    Built from the configuration loaded once at the start, so a scenario file edited while a
    calibration runs cannot change its later evaluations.
    """
    from lithium_abm.model.parameters import PARAMETERS

    params = dict(base.params)
    params.update({name: PARAMETERS[name].coerce(value) for name, value in values.items()})
    extra = {**base.extra, "overrides": {**base.extra.get("overrides", {}), **values}}
    return replace(base, params=params, extra=extra)


def run_statistics(job: tuple[ModelConfig, int, bool]) -> dict[str, float]:
    """Run one (configuration, seed) and return its target statistics (a worker task).

    With ``counterfactual`` the same seed also runs without integration and state support,
    for the targets that compare against it (P3).
    """
    from lithium_abm.experiments.runner import run_model

    config, seed, counterfactual = job
    result = run_model(config, seed)
    other = run_model(counterfactual_config(config), seed).model_df if counterfactual else None
    return compute_statistics(result.model_df, result.agents_df, counterfactual_df=other)


@dataclass
class Evaluation:
    """One candidate: its parameter values, per-seed statistics and objective."""

    index: int
    phase: str
    values: dict[str, float | int]
    per_seed: pd.DataFrame
    summary: pd.DataFrame
    objective: float


@dataclass
class CalibrationResult:
    spec: CalibrationSpec
    before: Evaluation
    best: Evaluation
    history: list[Evaluation]
    wall_time_s: float
    base_description: str = ""

    @property
    def improved(self) -> bool:
        return self.best.objective < self.before.objective


class _BudgetExhausted(Exception):
    pass


class _Evaluator:
    """Counts, caches and runs candidates; keeps the best one seen."""

    def __init__(
        self,
        spec: CalibrationSpec,
        targets: tuple[Target, ...],
        executor: Executor | None,
        progress: Callable[[Evaluation, Evaluation], None] | None,
        base: ModelConfig | None = None,
    ) -> None:
        from lithium_abm.experiments.scenario import load_scenario

        self.base = base if base is not None else load_scenario(spec.scenario)
        self.spec = spec
        self.targets = targets
        self.executor = executor
        self.progress = progress
        self.history: list[Evaluation] = []
        self.cache: dict[tuple, Evaluation] = {}
        self.best: Evaluation | None = None

    def values(self, unit: np.ndarray) -> dict[str, float | int]:
        return {p.name: p.from_unit(float(u)) for p, u in zip(self.spec.params, unit, strict=True)}

    def evaluate_many(self, points: list[dict[str, float | int]], phase: str) -> list[Evaluation]:
        """Evaluate candidates in order; all their runs go to the workers at once."""
        fresh = []
        for values in points:
            key = tuple(sorted(values.items()))
            if key not in self.cache and key not in [k for k, _ in fresh]:
                if len(self.history) + len(fresh) >= self.spec.budget:
                    break
                fresh.append((key, values))
        counterfactual = any(t.needs_counterfactual for t in self.targets)
        jobs = [
            (with_values(self.base, values), seed, counterfactual)
            for _, values in fresh
            for seed in self.spec.seed_list
        ]
        mapper = self.executor.map if self.executor is not None else map
        stats = iter(mapper(run_statistics, jobs))  # in job order, as they complete
        n = len(self.spec.seed_list)
        for key, values in fresh:
            rows = [next(stats) for _ in range(n)]
            per_seed = pd.DataFrame(rows, index=self.spec.seed_list)
            summary = summarise(per_seed, self.targets, self.spec.weights)
            ev = Evaluation(
                len(self.history),
                phase,
                values,
                per_seed,
                summary,
                float(summary["contribution"].sum()),
            )
            self.history.append(ev)
            self.cache[key] = ev
            if self.best is None or ev.objective < self.best.objective:
                self.best = ev
            if self.progress is not None:
                self.progress(ev, self.best)
        out = []
        for values in points:
            key = tuple(sorted(values.items()))
            if key not in self.cache:
                raise _BudgetExhausted
            out.append(self.cache[key])
        return out

    def objective(self, unit: np.ndarray) -> float:
        return self.evaluate_many([self.values(unit)], "nelder-mead")[0].objective


def calibrate(
    spec: CalibrationSpec,
    workers: int = 1,
    progress: Callable[[Evaluation, Evaluation], None] | None = None,
) -> CalibrationResult:
    """Fit ``spec.params`` to the targets; deterministic for the same spec."""
    # Import the whole model now, as the workers will: a later import (e.g. to write the
    # outputs) must not pick up different source files edited while the fit runs.
    import lithium_abm.experiments.runner  # noqa: F401
    from lithium_abm.experiments.scenario import load_scenario

    if spec.budget < 1 or spec.seeds < 1:
        raise CalibrationError("budget and seeds must be at least 1")
    targets = tuple(
        replace(t, low=spec.pattern_pass_share) if t.aggregate == "mean" else t
        for t in select_targets(spec.weights)
    )
    base = load_scenario(spec.scenario)  # fails early on a bad scenario
    started = time.perf_counter()
    # The sweeps' local pool: its workers die with this process, however it ends.
    backend = open_local(workers) if workers > 1 else None
    executor = backend.executor if backend is not None else None
    try:
        ev = _Evaluator(spec, targets, executor, progress, base)
        start_values = {p.name: base.params[p.name] for p in spec.params}
        before = ev.evaluate_many([start_values], "before")[0]
        if spec.start:
            ev.evaluate_many([{**start_values, **spec.start}], "start")
        with contextlib.suppress(_BudgetExhausted):
            _search(ev, spec)
    finally:
        if backend is not None:
            backend.close()
    assert ev.best is not None
    return CalibrationResult(
        spec, before, ev.best, ev.history, time.perf_counter() - started, base.description
    )


def _search(ev: _Evaluator, spec: CalibrationSpec) -> None:
    """Latin hypercube over the box, then bounded Nelder-Mead from the best point so far."""
    from scipy.optimize import minimize
    from scipy.stats import qmc

    n_init = max(0, min(spec.budget - len(ev.history), round(spec.budget * INIT_SHARE)))
    if n_init:
        sampler = qmc.LatinHypercube(d=len(spec.params), seed=spec.optimiser_seed)
        ev.evaluate_many([ev.values(u) for u in sampler.random(n_init)], "latin-hypercube")
    remaining = spec.budget - len(ev.history)
    if remaining <= 0 or ev.best is None:
        return
    x0 = np.array([p.to_unit(ev.best.values[p.name]) for p in spec.params])
    simplex = [x0]
    for i in range(len(x0)):
        step = np.zeros_like(x0)
        step[i] = 0.1 if x0[i] <= 0.9 else -0.1
        simplex.append(np.clip(x0 + step, 0.0, 1.0))
    minimize(
        ev.objective,
        x0,
        method="Nelder-Mead",
        bounds=[(0.0, 1.0)] * len(x0),
        options={
            # Cached points (x0 first) cost scipy a call but not our budget, which
            # _BudgetExhausted enforces; so scipy's own limit is only a backstop.
            "maxfev": 3 * remaining + len(x0) + 1,
            "initial_simplex": np.array(simplex),
            "xatol": 1e-3,
            "fatol": 1e-4,
        },
    )


# --- outputs ----------------------------------------------------------------------------------


def _toml_value(value: float | int) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


def scenario_text(result: CalibrationResult, out_path: Path, command: str) -> str:
    """The calibrated scenario: extends the base, sets the fitted parameters, says how."""
    spec = result.spec
    base = spec.scenario
    if base.endswith(".toml") or Path(base).exists():
        base_path = Path(base).resolve()
        try:
            base = os.path.relpath(base_path, out_path.resolve().parent)
        except ValueError:  # another drive on Windows
            base = str(base_path)
        base = Path(base).as_posix()
    seeds = spec.seed_list
    lines = [
        f"# Calibrated by `{command}`",
        f"# on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: simulated method of moments against the",
        "# targets of experiments/targets.py (see docs/calibration.md), objective = sum of",
        "# weight x squared residual of the moment over seeds (median; patterns: share",
        f"# passing); seeds {seeds[0]}..{seeds[-1]} (common random numbers),",
        f"# budget {spec.budget} evaluations ({len(result.history)} used), Latin hypercube "
        f"(seed {spec.optimiser_seed}) then bounded Nelder-Mead.",
        f"# Objective: {result.before.objective:.4g} with the base values, "
        f"{result.best.objective:.4g} fitted.",
        "",
        "[scenario]",
        f'name = "{out_path.stem}"',
        f'extends = "{base}"',
        'description = """',
        *textwrap.wrap(
            f"{' '.join(result.base_description.split())} Behavioural parameters fitted by "
            f"`lithium-abm calibrate` against the targets and patterns (from {spec.scenario}): "
            f'{", ".join(p.name for p in spec.params)}."""',
            width=96,
        ),
        "",
        "[parameters]",
    ]
    for p in spec.params:
        value = result.best.values[p.name]
        lines.append(
            f"{p.name} = {_toml_value(value)}  # fitted in [{p.low:g}, {p.high:g}], "
            f"base {result.before.values[p.name]}"
        )
    return "\n".join(lines) + "\n"


def report_table(result: CalibrationResult) -> pd.DataFrame:
    """Per target: model moment and spread, target, weight and contribution, before and after."""
    keep = ["moment", "p10", "p90", "residual", "contribution"]
    before = result.before.summary.set_index("target")
    after = result.best.summary.set_index("target")
    table = before[["unit", "low", "high", "weight"]].copy()
    for col in keep:
        table[f"before_{col}"] = before[col]
    for col in keep:
        table[f"after_{col}"] = after[col]
    table["citation"] = before["citation"]
    return table.reset_index()


def history_table(result: CalibrationResult) -> pd.DataFrame:
    rows = [
        {"evaluation": e.index, "phase": e.phase, **e.values, "objective": e.objective}
        for e in result.history
    ]
    return pd.DataFrame(rows)


def report_markdown(result: CalibrationResult, command: str) -> str:
    spec = result.spec
    seeds = spec.seed_list
    lines = [
        "# Calibration fit report",
        "",
        f"Command: `{command}`  ",
        f"Base scenario: `{spec.scenario}`; seeds {seeds[0]}..{seeds[-1]} (the same for every "
        f"candidate); budget {spec.budget} evaluations, {len(result.history)} used; "
        f"optimiser seed {spec.optimiser_seed}; wall time {result.wall_time_s:.0f} s.",
        "",
        "Objective (sum of weight x residual^2 of the moments over seeds): "
        f"**{result.before.objective:.4g}** before, **{result.best.objective:.4g}** after "
        f"(evaluation {result.best.index}, {result.best.phase}).",
        "",
        "## Parameters",
        "",
        "| parameter | range searched | before | after |",
        "|---|---|---|---|",
    ]
    for p in spec.params:
        lines.append(
            f"| `{p.name}` | [{p.low:g}, {p.high:g}] | {result.before.values[p.name]} | "
            f"{result.best.values[p.name]} |"
        )
    lines += [
        "",
        "## Targets",
        "",
        "Moment over seeds (the median; for patterns the share of seeds passing) with the",
        "10th-90th percentile in brackets; the residual is in scale units (0 inside the target",
        "range); contribution = weight x residual^2.",
        "",
        "| target | unit | target range | weight | before | contribution | after | contribution |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in report_table(result).itertuples(index=False):
        target = TARGETS_BY_NAME.get(row.target)
        rng = target.target_text if target else f"{row.low} .. {row.high}"
        lines.append(
            f"| `{row.target}` | {row.unit} | {rng} | {row.weight:g} | "
            f"{_cell(row.before_moment, row.before_p10, row.before_p90)} | "
            f"{row.before_contribution:.3g} | "
            f"{_cell(row.after_moment, row.after_p10, row.after_p90)} | "
            f"{row.after_contribution:.3g} |"
        )
    lines += ["", "## Sources of the targets", ""]
    for t in TARGETS:
        lines.append(f"- `{t.name}`: {t.citation}")
    return "\n".join(lines) + "\n"


def _num(value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _cell(moment: float, p10: float, p90: float) -> str:
    return f"{_num(moment)} [{_num(p10)}, {_num(p90)}]"


def write_outputs(
    result: CalibrationResult, out_path: Path, report_dir: Path | None, command: str
) -> list[Path]:
    """Write the scenario file and (optionally) the report; each file atomically."""
    from lithium_abm.experiments.runner import write_text_atomic

    out_path.parent.mkdir(parents=True, exist_ok=True)
    written = [write_text_atomic(out_path, scenario_text(result, out_path, command))]
    if report_dir is not None:
        report_dir.mkdir(parents=True, exist_ok=True)
        written.append(
            write_text_atomic(report_dir / "fit_report.md", report_markdown(result, command))
        )
        written.append(
            write_text_atomic(
                report_dir / "fit_report.csv", report_table(result).to_csv(index=False)
            )
        )
        written.append(
            write_text_atomic(
                report_dir / "evaluations.csv", history_table(result).to_csv(index=False)
            )
        )
    return written
