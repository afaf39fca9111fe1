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
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lithium_abm.experiments.scenario import MONTH, MONTH_RULE, ScenarioError
from lithium_abm.model.parameters import PARAMETERS, Param

DESIGNS = ("grid", "lhs", "sobol", "morris")
SECTIONS = ("experiment", "parameters", "fixed")
EXPERIMENT_KEYS = (
    "name",
    "description",
    "scenario",
    "start",
    "end",
    "design",
    "samples",
    "seeds",
    "first_seed",
    "design_seed",
    "second_order",
    "morris_levels",
    "metrics",
    "monthly_columns",
    "batch_size",
    "metric_modules",
)
AXIS_KEYS = ("levels", "range", "steps")


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
    """Validate spec TOML text; relative scenario paths resolve against ``base_dir``."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"spec is not valid TOML: {exc}") from None
    _only(doc, SECTIONS, "section", "")
    for section in SECTIONS:
        if section in doc and not isinstance(doc[section], dict):
            raise SpecError(f"[{section}] must be a table")
    exp = doc.get("experiment")
    if exp is None:
        raise SpecError("missing section [experiment] (needs at least scenario and design)")
    _only(exp, EXPERIMENT_KEYS, "key", "experiment.")

    design = _choice(exp, "design", DESIGNS)
    scenario = _text(exp, "scenario", required=True)
    if scenario.endswith(".toml") and base_dir is not None and not Path(scenario).is_absolute():
        scenario = str((base_dir / scenario).resolve())
    start = _month(exp, "start")
    end = _month(exp, "end")
    if start and end and end < start:
        raise SpecError(f"experiment.end ({end}) must not be before experiment.start ({start})")

    axes = _axes(doc.get("parameters"), design)
    fixed = _fixed(doc.get("fixed", {}), {a.name for a in axes})
    samples = _int(exp, "samples", 0 if design == "grid" else None, minimum=1)
    if design == "grid" and "samples" in exp:
        raise SpecError("experiment.samples: not used by design = 'grid' (remove it)")
    morris_levels = _int(exp, "morris_levels", 4, minimum=2)
    if morris_levels % 2:
        raise SpecError(f"experiment.morris_levels: expected an even number, got {morris_levels}")

    seeds, first_seed = _int(exp, "seeds", 1, minimum=1), _int(exp, "first_seed", 1, minimum=0)
    if first_seed + seeds - 1 > MAX_SEED:
        raise SpecError(
            f"experiment.first_seed: first_seed + seeds - 1 must be <= {MAX_SEED}, "
            f"got {first_seed} + {seeds} - 1"
        )
    metrics = _names(exp, "metrics")
    monthly = _names(exp, "monthly_columns")
    return ExperimentSpec(
        name=_text(exp, "name", default=Path(path).stem if path else "experiment"),
        description=_text(exp, "description", default=""),
        scenario=scenario,
        design=design,
        axes=axes,
        seeds=seeds,
        first_seed=first_seed,
        samples=samples,
        design_seed=_int(exp, "design_seed", 1, minimum=0),
        second_order=_bool(exp, "second_order", False),
        morris_levels=morris_levels,
        start=start,
        end=end,
        fixed=fixed,
        metrics=metrics,
        monthly_columns=monthly,
        batch_size=_int(exp, "batch_size", 0, minimum=1),
        metric_modules=_names(exp, "metric_modules"),
        text=text,
        path=path,
    )


def check_metrics(spec: ExperimentSpec) -> tuple[str, ...]:
    """The spec's metric names (all registered ones if it lists none), each checked to exist."""
    import importlib

    from lithium_abm.experiments.metrics import METRICS

    for module in spec.metric_modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise SpecError(f"experiment.metric_modules: cannot import {module!r}: {exc}") from None
    if not spec.metrics:
        return tuple(METRICS)
    for name in spec.metrics:
        if name not in METRICS:
            raise SpecError(
                f"experiment.metrics: unknown metric {name!r}; allowed: {', '.join(METRICS)}"
            )
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


def _only(table: dict, allowed: tuple[str, ...], what: str, prefix: str) -> None:
    for key in table:
        if key not in allowed:
            label = f"[{key}]" if what == "section" else f"{prefix}{key}"
            raise SpecError(f"unknown {what} {label}; allowed: {', '.join(allowed)}")


def _choice(table: dict, key: str, allowed: tuple[str, ...]) -> str:
    value = table.get(key)
    if value not in allowed:
        got = "nothing" if value is None else repr(value)
        raise SpecError(f"experiment.{key}: expected one of {', '.join(allowed)}, got {got}")
    return value


def _text(table: dict, key: str, required: bool = False, default: str = "") -> str:
    if key not in table:
        if required:
            raise SpecError(f"experiment.{key} is required (a string)")
        return default
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise SpecError(f"experiment.{key}: expected a non-empty string, got {value!r}")
    return value.strip()


def _month(table: dict, key: str) -> str | None:
    if key not in table:
        return None
    value = table[key]
    if not isinstance(value, str) or not MONTH.match(value):
        raise SpecError(f"experiment.{key}: expected {MONTH_RULE}, got {value!r}")
    return value


MAX_SEED = 2**63 - 1  # numpy and Mesa take seeds up to this
INT_MAX = {"seeds": 100_000, "samples": 1_000_000, "batch_size": 10_000, "morris_levels": 100}


def _int(table: dict, key: str, default: int | None, minimum: int) -> int:
    if key not in table:
        if default is None:
            raise SpecError(f"experiment.{key} is required for this design (a whole number)")
        return default
    value = table[key]
    maximum = INT_MAX.get(key, MAX_SEED)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise SpecError(
            f"experiment.{key}: expected a whole number in {minimum}-{maximum}, got {value!r}"
        )
    return value


def _bool(table: dict, key: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise SpecError(f"experiment.{key}: expected true or false, got {value!r}")
    return value


def _names(table: dict, key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SpecError(f"experiment.{key}: expected a list of names, got {value!r}")
    if len(set(value)) != len(value):
        raise SpecError(f"experiment.{key}: lists a name twice")
    return tuple(value)


def _param(name: str, where: str) -> Param:
    if name not in PARAMETERS:
        raise SpecError(f"{where}: unknown parameter {name!r}; see `lithium-abm params`")
    return PARAMETERS[name]


def _coerce(param: Param, value: Any, where: str) -> Any:
    try:
        return param.coerce(value)
    except ValueError:
        raise SpecError(f"{where}: expected {param.allowed()}, got {value!r}") from None


def _axes(table: Any, design: str) -> tuple[Axis, ...]:
    if not table:
        raise SpecError("[parameters] must vary at least one parameter, e.g. x = { levels = [..] }")
    axes = []
    for name, entry in table.items():
        where = f"parameters.{name}"
        param = _param(name, where)
        if not isinstance(entry, dict):
            raise SpecError(
                f"{where}: expected a table {{ levels = [...] }} or {{ range = [a, b] }}"
            )
        _only(entry, AXIS_KEYS, "key", f"{where}.")
        if ("levels" in entry) == ("range" in entry):
            raise SpecError(f"{where}: give exactly one of levels = [...] or range = [low, high]")
        if "levels" in entry:
            axes.append(_levels_axis(param, entry, design, where))
        else:
            axes.append(_range_axis(param, entry, design, where))
    return tuple(axes)


def _levels_axis(param: Param, entry: dict, design: str, where: str) -> Axis:
    if design != "grid":
        raise SpecError(f"{where}.levels: design {design!r} samples a range = [low, high]")
    if "steps" in entry:
        raise SpecError(f"{where}.steps: only with range = [low, high]")
    levels = entry["levels"]
    if not isinstance(levels, list) or not levels:
        raise SpecError(f"{where}.levels: expected a non-empty list, got {levels!r}")
    values = tuple(_coerce(param, v, f"{where}.levels") for v in levels)
    if len(set(values)) != len(values):
        raise SpecError(f"{where}.levels: lists a value twice")
    return Axis(param, levels=values)


def _range_axis(param: Param, entry: dict, design: str, where: str) -> Axis:
    if param.kind is bool:
        raise SpecError(f"{where}: a true/false switch takes levels = [true, false] (grid)")
    bounds = entry["range"]
    if (
        not isinstance(bounds, list)
        or len(bounds) != 2
        or not all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds)
    ):
        raise SpecError(f"{where}.range: expected [low, high] (two numbers), got {bounds!r}")
    low, high = (_coerce(param, float(b), f"{where}.range") for b in bounds)
    if not low < high:
        raise SpecError(f"{where}.range: low must be below high, got {bounds!r}")
    steps = 0
    if design == "grid":
        steps = entry.get("steps")
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
            raise SpecError(f"{where}.steps: a grid range needs steps >= 2, got {steps!r}")
    elif "steps" in entry:
        raise SpecError(f"{where}.steps: only for design = 'grid'")
    return Axis(param, low=float(low), high=float(high), steps=steps)


def _fixed(table: Any, varied: set[str]) -> dict[str, Any]:
    out = {}
    for name, value in table.items():
        where = f"fixed.{name}"
        if name in varied:
            raise SpecError(f"{where}: also varied in [parameters]; keep it in one place")
        out[name] = _coerce(_param(name, where), value, where)
    return out
