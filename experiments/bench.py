"""``lithium-abm bench``: how fast the model runs here, how it scales with agents and workers.

The scaled populations are synthetic: every mine, converter, battery maker and deposit of the
baseline is copied ``k`` times, each copy's group renamed (``CATL#2``), so the world holds ``k``
independent copies of every integrated group, and every capacity and demand share is divided by
``k``. Demand, prices, budgets and the cost curve are therefore those of the baseline, and only
the number of agents changes: the time per month measures the cost of agents, not of a bigger
or tighter market (scaling demand up instead would change every absolute threshold in the model,
for instance the state support budget in USD per year).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from lithium_abm.model.config import ModelConfig, month_index


def scaled_config(config: ModelConfig, factor: int) -> ModelConfig:
    """``factor`` copies of the population, each with 1/factor of the capacity (see module doc)."""
    if factor == 1:
        return config

    def copies(specs: tuple, **scaled: str) -> tuple:
        out = []
        for i in range(1, factor + 1):
            for spec in specs:
                changes: dict[str, Any] = {f: getattr(spec, f) / factor for f in scaled}
                if hasattr(spec, "name"):
                    changes["name"] = f"{spec.name}#{i}"
                if getattr(spec, "group", ""):
                    changes["group"] = f"{spec.group}#{i}"
                out.append(replace(spec, **changes))
        return tuple(out)

    return replace(
        config,
        name=f"{config.name}x{factor}",
        mines=copies(config.mines, capacity_tpa="x"),
        refiners=copies(config.refiners, capacity_tpa="x"),
        battery_makers=copies(config.battery_makers, demand_share="x"),
        resource_base=copies(config.resource_base, capacity_tpa="x"),
    )


def time_model(config: ModelConfig, seed: int = 1) -> dict[str, float]:
    """Build and run one model: wall and CPU seconds, months, agent-months, mines at the end.

    CPU time is reported beside wall time because a shared machine stretches wall time.
    """
    from lithium_abm.model.lithium_model import LithiumModel

    t0, c0 = time.perf_counter(), time.process_time()
    model = LithiumModel.from_config(config, seed)
    t1, c1 = time.perf_counter(), time.process_time()
    model.run()
    t2, c2 = time.perf_counter(), time.process_time()
    months = month_index(config.start, config.end) + 1
    return {
        "build_s": t1 - t0,
        "run_s": t2 - t1,
        "run_cpu_s": c2 - c1,
        "total_s": t2 - t0,
        "total_cpu_s": c2 - c0,
        "months": months,
        "agent_months": len(model.recorder.agent_rows),
        "mines_end": len(model.mines),
    }


class _BareAgent:
    """Mixed into a Mesa agent by ``bare_mesa_loop_s``: a step that does nothing."""

    def step(self) -> None:
        pass


def bare_mesa_loop_s(agent_months: int, months: int) -> float:
    """CPU seconds of the reference loop: a bare Mesa model stepping ``agent_months /
    months`` do-nothing agents with ``shuffle_do`` for ``months`` steps (the same agent-months
    as the run it is compared with, so the ratio is the cost of the model's behaviour)."""
    import mesa

    class BareAgent(_BareAgent, mesa.Agent):
        pass

    class BareModel(mesa.Model):
        def __init__(self, n: int) -> None:
            super().__init__(rng=1)
            BareAgent.create_agents(self, n)

        def step(self) -> None:
            self.agents.shuffle_do("step")

    c0 = time.process_time()
    model = BareModel(max(1, round(agent_months / months)))
    for _ in range(months):
        model.step()
    return time.process_time() - c0


def bench_baseline(repeats: int) -> dict[str, float]:
    """Baseline runs (with agent records) interleaved with the bare Mesa loop over the same
    agent-months, so both see the same machine load; the ratio is of CPU-time medians."""
    from lithium_abm.experiments.scenario import load_scenario

    config = load_scenario("baseline")
    runs, bare = [], []
    for seed in range(1, repeats + 1):
        runs.append(time_model(config, seed))
        bare.append(bare_mesa_loop_s(int(runs[-1]["agent_months"]), int(runs[-1]["months"])))
    median = statistics.median(r["total_s"] for r in runs)
    median_cpu = statistics.median(r["total_cpu_s"] for r in runs)
    bare_cpu = statistics.median(bare)
    return {
        "repeats": repeats,
        "median_s": median,
        "median_cpu_s": median_cpu,
        "min_s": min(r["total_s"] for r in runs),
        "months": runs[0]["months"],
        "ms_per_month": 1e3 * median / runs[0]["months"],
        "agent_months": statistics.median(r["agent_months"] for r in runs),
        "bare_mesa_cpu_s": bare_cpu,
        "ratio_to_bare_mesa": median_cpu / bare_cpu if bare_cpu > 0 else float("nan"),
    }


def bench_scaling(factors: tuple[int, ...], months: int) -> list[dict[str, float]]:
    """Time per month and per agent-month of the first ``months`` months at each scale."""
    from lithium_abm.experiments.scenario import load_scenario

    base = load_scenario("baseline")
    y, m = (int(x) for x in base.start.split("-"))
    end_index = y * 12 + m - 1 + months - 1
    base = replace(base, end=f"{end_index // 12:04d}-{end_index % 12 + 1:02d}")
    rows = []
    for factor in factors:
        t = time_model(scaled_config(base, factor))
        rows.append(
            {
                "factor": factor,
                "mines_start": len(base.mines) * factor,
                "mines_end": t["mines_end"],
                "build_s": t["build_s"],
                "agent_months": t["agent_months"],
                "ms_per_month": 1e3 * t["run_s"] / t["months"],
                "cpu_ms_per_month": 1e3 * t["run_cpu_s"] / t["months"],
                "us_per_agent_month": 1e6 * t["run_cpu_s"] / t["agent_months"],
            }
        )
    for row in rows:
        row["time_ratio_vs_1x"] = row["cpu_ms_per_month"] / rows[0]["cpu_ms_per_month"]
        row["agent_ratio_vs_1x"] = row["agent_months"] / rows[0]["agent_months"]
    return rows


def bench_throughput(workers: int, runs_per_worker: int, end: str | None) -> list[dict]:
    """Runs per second of a sweep of baseline seeds with one worker and with ``workers``."""
    from lithium_abm.experiments.spec import Axis, ExperimentSpec
    from lithium_abm.experiments.sweep import run_sweep
    from lithium_abm.model.parameters import PARAMETERS

    n_runs = runs_per_worker * workers
    spec = ExperimentSpec(
        name="bench",
        scenario="baseline",
        design="grid",
        axes=(Axis(PARAMETERS["hurdle_rate"], levels=(PARAMETERS["hurdle_rate"].default,)),),
        seeds=n_runs,
        end=end,
        metrics=("peak_price_usd_t",),
    )
    rows = []
    if workers > 1:  # start the worker pool's forkserver once, outside the timing
        warm = replace(spec, seeds=workers, end=spec.start or "2015-01")
        with tempfile.TemporaryDirectory(prefix="lithium-bench-") as tmp:
            run_sweep(warm, tmp, workers=workers, quiet=True)
    for n in sorted({1, workers}):
        with tempfile.TemporaryDirectory(prefix="lithium-bench-") as tmp:
            started = time.perf_counter()
            summary = run_sweep(spec, tmp, workers=n, quiet=True)
            wall = time.perf_counter() - started
        rows.append({"workers": n, "runs": summary.ok, "wall_s": wall, "runs_per_s": n_runs / wall})
    for row in rows:
        row["speedup"] = row["runs_per_s"] / rows[0]["runs_per_s"]
    return rows


def run_bench(quick: bool = False, workers: int | None = None, out: Path | None = None) -> str:
    """Run every measurement and return the table; ``out`` also gets them as JSON."""
    import os
    import platform

    from lithium_abm.experiments.executors import default_workers
    from lithium_abm.experiments.runner import write_text_atomic

    workers = workers or default_workers()
    results = {
        "machine": {
            "cores": default_workers(),
            "python": platform.python_version(),
            "load_avg_1m": os.getloadavg()[0],
            "quick": quick,
        },
        "baseline": bench_baseline(3 if quick else 7),
        "scaling": bench_scaling((1, 10) if quick else (1, 10, 100), 12 if quick else 60),
        "throughput": bench_throughput(workers, 2 if quick else 8, "2016-12" if quick else None),
    }
    if out is not None:
        write_text_atomic(out, json.dumps(results, indent=2) + "\n")
    return format_bench(results)


def format_bench(results: dict) -> str:
    base, machine = results["baseline"], results["machine"]
    lines = [
        f"Machine: {machine['cores']} cores, Python {machine['python']}, "
        f"load {machine['load_avg_1m']:.2f} at start" + (" (quick)" if machine["quick"] else ""),
        "",
        f"Baseline run ({base['months']} months): median {base['median_s']:.3f} s wall, "
        f"{base['median_cpu_s']:.3f} s CPU, of {base['repeats']} (min {base['min_s']:.3f} s); "
        f"{base['ms_per_month']:.2f} ms/month",
        f"Bare Mesa shuffle_do loop over the same {base['agent_months']:,.0f} agent-months: "
        f"{base['bare_mesa_cpu_s']:.3f} s CPU; the model costs "
        f"{base['ratio_to_bare_mesa']:.1f}x that",
        "",
        "Scaled    mines start/end  agent-months  build s  ms/month  CPU ms/month  "
        "CPU us/agent-month  time vs 1x  agents vs 1x",
    ]
    for r in results["scaling"]:
        lines.append(
            f"{r['factor']:>5}x  {r['mines_start']:>7}/{r['mines_end']:<7}  "
            f"{r['agent_months']:>12}  {r['build_s']:>7.2f}  {r['ms_per_month']:>8.2f}  "
            f"{r['cpu_ms_per_month']:>12.2f}  {r['us_per_agent_month']:>18.2f}  "
            f"{r['time_ratio_vs_1x']:>9.1f}x  {r['agent_ratio_vs_1x']:>11.1f}x"
        )
    lines += ["", "Sweep throughput  runs  wall s  runs/s  speedup"]
    for r in results["throughput"]:
        lines.append(
            f"{r['workers']:>3} worker(s)     {r['runs']:>5}  {r['wall_s']:>6.2f}  "
            f"{r['runs_per_s']:>6.2f}  {r['speedup']:>6.2f}x"
        )
    return "\n".join(lines)
