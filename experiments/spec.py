"""Experiment specs: a study as a TOML file, validated before any run starts.

A spec names the scenario, the parameters to vary (levels or a range, checked against the
parameter registry), the design (``grid``, ``lhs``, ``sobol``, ``morris``), the seeds per point
and the metrics. Every mistake raises :class:`SpecError` with one message naming the field and
the allowed values, so ``lithium-abm sweep`` fails in a second rather than after an hour.

Example (``experiments/specs/small.toml`` has a commented one)::

    [experiment]
    name = "hurdle-demand"
    scenario = "baseline"
    design = "lhs"            # grid | lhs | sobol | morris
    samples = 64              # lhs points; sobol base N; morris trajectories
    seeds = 2

    [parameters]
    hurdle_rate = { range = [0.06, 0.18] }
    demand_scale = { range = [0.8, 1.2] }
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from lithium_abm.experiments.scenario import ScenarioError
from lithium_abm.experiments.toml_fields import MAX_SEED, Fields, is_number, read_toml
from lithium_abm.model.parameters import PARAMETERS, Param

DESIGNS = ("grid", "lhs", "sobol", "morris")
SECTIONS = ("experiment", "parameters", "fixed")
AXIS_KEYS = ("levels", "range", "steps")
INT_MAX = {"seeds": 100_000, "samples": 1_000_000, "batch_size": 10_000, "morris_levels": 100}


class SpecError(ScenarioError):
    """An experiment spec is invalid; the message names the field and the allowed values."""


@dataclass(frozen=True)
class Axis:
    """One varied parameter: explicit levels, or a [low, high] range (with steps for grids)."""

    param: Param
    levels: tuple[Any, ...] = ()
    low: float = math.nan
    high: float = math.nan
    steps: int = 0

    @property
    def name(self) -> str:
        return self.param.name

    def grid_values(self) -> tuple[Any, ...]:
        if self.levels:
            return self.levels
        return tuple(self.coerce(x) for x in np.linspace(self.low, self.high, self.steps))

    def coerce(self, value: float) -> float | int | bool:
        """A sampled number as the model wants it: integers rounded, floats as plain float."""
        if self.param.kind is int:
            return int(min(max(round(float(value)), self.low), self.high))
        return float(value)


@dataclass(frozen=True)
class ExperimentSpec:
    """A validated experiment; ``text`` is the file as written (kept for provenance)."""

    name: str
    scenario: str
    design: str
    axes: tuple[Axis, ...]
    seeds: int = 1
    first_seed: int = 1
    samples: int = 0
    design_seed: int = 1
    second_order: bool = False
    morris_levels: int = 4
    start: str | None = None
    end: str | None = None
    fixed: dict[str, Any] = field(default_factory=dict)
    metrics: tuple[str, ...] = ()
    monthly_columns: tuple[str, ...] = ()
    batch_size: int = 0  # 0: chosen from the number of runs and workers
    metric_modules: tuple[str, ...] = ()
    description: str = ""
    text: str = ""
    path: str | None = None

    @property
    def param_names(self) -> list[str]:
        return [a.name for a in self.axes]

    def salib_problem(self) -> dict[str, Any]:
        """The ``problem`` dict SALib's samplers and analysers take."""
        return {
            "num_vars": len(self.axes),
            "names": self.param_names,
            "bounds": [[a.low, a.high] for a in self.axes],
        }


# The keys of [experiment]: the spec's own fields (the others come from other sections).
EXPERIMENT_KEYS = tuple(
    f.name for f in fields(ExperimentSpec) if f.name not in ("axes", "fixed", "text", "path")
)


# --- reading ------------------------------------------------------------------------------


def load_spec(path: str | Path) -> ExperimentSpec:
    """Read and validate a spec file (a shipped name such as ``small`` also works)."""
    file = Path(path)
    if not file.is_file() and file.suffix != ".toml":
        shipped = Path(__file__).resolve().parent / "specs" / f"{path}.toml"
        if shipped.is_file():
            file = shipped
    if not file.is_file():
        raise SpecError(f"spec file {str(path)!r} does not exist")
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"spec file {str(path)!r}: cannot read it: {exc}") from None
    return parse_spec(text, base_dir=file.parent, path=str(file))


def parse_spec(text: str, base_dir: Path | None = None, path: str | None = None) -> ExperimentSpec:
    """Validate spec TOML text; relative scenario paths resolve against ``base_dir``.

    Errors name ``path`` (when given) and the field."""
    doc = read_toml(text, SECTIONS, SpecError, path, what="spec")
    if "experiment" not in doc:
        Fields(doc, "", SpecError, path).fail(
            "missing section [experiment] (needs at least scenario and design)"
        )
    exp = Fields(doc["experiment"], "experiment", SpecError, path)
    exp.only(EXPERIMENT_KEYS)

    design = exp.choice("design", DESIGNS)
    scenario = exp.text("scenario")
    if scenario.endswith(".toml") and base_dir is not None and not Path(scenario).is_absolute():
        scenario = str((base_dir / scenario).resolve())
    start, end = exp.month("start"), exp.month("end")
    if start and end and end < start:
        exp.fail(f"experiment.end ({end}) must not be before experiment.start ({start})")

    axes = _axes(Fields(doc.get("parameters", {}), "parameters", SpecError, path), design)
    fixed = _fixed(Fields(doc.get("fixed", {}), "fixed", SpecError, path), {a.name for a in axes})
    samples = _int(exp, "samples", 0 if design == "grid" else None, minimum=1)
    if design == "grid" and "samples" in exp.table:
        exp.fail("experiment.samples: not used by design = 'grid' (remove it)")
    morris_levels = _int(exp, "morris_levels", 4, minimum=2)
    if morris_levels % 2:
        exp.wrong("morris_levels", "an even number", morris_levels)

    seeds, first_seed = _int(exp, "seeds", 1, minimum=1), _int(exp, "first_seed", 1, minimum=0)
    if first_seed + seeds - 1 > MAX_SEED:
        exp.fail(
            f"experiment.first_seed: first_seed + seeds - 1 must be <= {MAX_SEED}, "
            f"got {first_seed} + {seeds} - 1"
        )
    return ExperimentSpec(
        name=exp.text("name", default=Path(path).stem if path else "experiment"),
        description=exp.text("description", default=""),
        scenario=scenario,
        design=design,
        axes=axes,
        seeds=seeds,
        first_seed=first_seed,
        samples=samples,
        design_seed=_int(exp, "design_seed", 1, minimum=0),
        second_order=exp.flag("second_order", False),
        morris_levels=morris_levels,
        start=start,
        end=end,
        fixed=fixed,
        metrics=exp.names("metrics"),
        monthly_columns=exp.names("monthly_columns"),
        batch_size=_int(exp, "batch_size", 0, minimum=1),
        metric_modules=exp.names("metric_modules"),
        text=text,
        path=path,
    )


def check_metrics(spec: ExperimentSpec) -> tuple[str, ...]:
    """The spec's metric names (all registered ones if it lists none), each checked to exist."""
    import importlib

    from lithium_abm.experiments.metrics import METRICS

    exp = Fields({}, "experiment", SpecError, spec.path)
    for module in spec.metric_modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            exp.fail(f"experiment.metric_modules: cannot import {module!r}: {exc}")
    if not spec.metrics:
        return tuple(METRICS)
    for name in spec.metrics:
        if name not in METRICS:
            exp.fail(f"experiment.metrics: unknown metric {name!r}; allowed: {', '.join(METRICS)}")
    return spec.metrics


# --- the design ---------------------------------------------------------------------------


def design_matrix(spec: ExperimentSpec) -> np.ndarray:
    """The sampled points as a float matrix (one row per point, one column per axis).

    Sobol and Morris matrices are SALib's own, unrounded, because their analysers need exactly
    what was sampled; :func:`design_points` rounds integer parameters for the model.
    """
    if spec.design == "grid":
        return np.array(list(itertools.product(*(a.grid_values() for a in spec.axes))), dtype=float)
    return sample(
        spec.design,
        spec.salib_problem(),
        spec.samples,
        seed=spec.design_seed,
        second_order=spec.second_order,
        morris_levels=spec.morris_levels,
    )


def sample(
    design: str,
    problem: dict[str, Any],
    samples: int,
    seed: int,
    second_order: bool = False,
    morris_levels: int = 4,
) -> np.ndarray:
    """Sample a SALib ``problem`` with the lhs, sobol or morris design (seeded)."""
    if design == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=problem["num_vars"], seed=seed).random(samples)
        bounds = np.array(problem["bounds"], dtype=float)
        return qmc.scale(unit, bounds[:, 0], bounds[:, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib nags about N not a power of two
        if design == "sobol":
            from SALib.sample import sobol

            return sobol.sample(problem, samples, calc_second_order=second_order, seed=seed)
        if design == "morris":
            from SALib.sample import morris

            return morris.sample(problem, samples, num_levels=morris_levels, seed=seed)
    raise ValueError(f"unknown design {design!r}; allowed: lhs, sobol, morris")


def design_points(spec: ExperimentSpec, matrix: np.ndarray | None = None) -> list[dict[str, Any]]:
    """Parameter values of every point, typed for the model (ints rounded, bools kept)."""
    if spec.design == "grid":
        return [
            dict(zip(spec.param_names, combo, strict=True))
            for combo in itertools.product(*(a.grid_values() for a in spec.axes))
        ]
    matrix = design_matrix(spec) if matrix is None else matrix
    return [{a.name: a.coerce(x) for a, x in zip(spec.axes, row, strict=True)} for row in matrix]


# --- validation helpers -------------------------------------------------------------------


def _int(exp: Fields, key: str, default: int | None, minimum: int) -> int:
    return exp.whole(key, default, minimum, INT_MAX.get(key, MAX_SEED), why="for this design")


def _param(table: Fields, name: str) -> Param:
    if name not in PARAMETERS:
        table.fail(f"{table.where(name)}: unknown parameter {name!r}; see `lithium-abm params`")
    return PARAMETERS[name]


def _coerce(table: Fields, key: str, param: Param, value: Any) -> Any:
    try:
        return param.coerce(value)
    except ValueError:
        table.wrong(key, param.allowed(), value)


def _axes(table: Fields, design: str) -> tuple[Axis, ...]:
    if not table.table:
        table.fail("[parameters] must vary at least one parameter, e.g. x = { levels = [..] }")
    axes = []
    for name, entry in table.table.items():
        param = _param(table, name)
        if not isinstance(entry, dict):
            table.fail(
                f"parameters.{name}: expected a table {{ levels = [...] }} or {{ range = [a, b] }}"
            )
        axis = Fields(entry, f"parameters.{name}", SpecError, table.file)
        axis.only(AXIS_KEYS)
        if ("levels" in entry) == ("range" in entry):
            axis.fail(f"{axis.name}: give exactly one of levels = [...] or range = [low, high]")
        if "levels" in entry:
            axes.append(_levels_axis(axis, param, design))
        else:
            axes.append(_range_axis(axis, param, design))
    return tuple(axes)


def _levels_axis(axis: Fields, param: Param, design: str) -> Axis:
    where = axis.name
    if design != "grid":
        axis.fail(f"{where}.levels: design {design!r} samples a range = [low, high]")
    if "steps" in axis.table:
        axis.fail(f"{where}.steps: only with range = [low, high]")
    levels = axis.table["levels"]
    if not isinstance(levels, list) or not levels:
        axis.wrong("levels", "a non-empty list", levels)
    values = tuple(_coerce(axis, "levels", param, v) for v in levels)
    if len(set(values)) != len(values):
        axis.fail(f"{where}.levels: lists a value twice")
    return Axis(param, levels=values)


def _range_axis(axis: Fields, param: Param, design: str) -> Axis:
    where = axis.name
    if param.kind is bool:
        axis.fail(f"{where}: a true/false switch takes levels = [true, false] (grid)")
    bounds = axis.table["range"]
    if not isinstance(bounds, list) or len(bounds) != 2 or not all(map(is_number, bounds)):
        axis.wrong("range", "[low, high] (two numbers)", bounds)
    low, high = (_coerce(axis, "range", param, float(b)) for b in bounds)
    if not low < high:
        axis.fail(f"{where}.range: low must be below high, got {bounds!r}")
    steps = 0
    if design == "grid":
        steps = axis.table.get("steps")
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
            axis.fail(f"{where}.steps: a grid range needs steps >= 2, got {steps!r}")
    elif "steps" in axis.table:
        axis.fail(f"{where}.steps: only for design = 'grid'")
    return Axis(param, low=float(low), high=float(high), steps=steps)


def _fixed(table: Fields, varied: set[str]) -> dict[str, Any]:
    out = {}
    for name, value in table.table.items():
        if name in varied:
            table.fail(f"fixed.{name}: also varied in [parameters]; keep it in one place")
        out[name] = _coerce(table, name, _param(table, name), value)
    return out
