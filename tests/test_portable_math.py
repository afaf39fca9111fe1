"""The model's exponentials and logarithms come from the C library, so a run is the same on
every x86 CPU (numpy's AVX-512 float64 exp/log round differently in the last bit)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from lithium_abm.model import portable_math
from lithium_abm.model.demand import monthly_demand_path_t
from lithium_abm.model.recycling import lifetime_pmf

ROOT = Path(__file__).resolve().parents[1]
# numpy ufuncs whose float64 results depend on the CPU's instruction set.
CPU_DEPENDENT = re.compile(r"\bnp\.(exp|exp2|expm1|log|log2|log10|log1p|power|float_power)\(")


def test_log_and_exp_are_the_c_librarys_element_by_element() -> None:
    x = np.random.default_rng(7).uniform(1e-6, 1e7, size=(40, 25))
    y = np.random.default_rng(8).uniform(-40.0, 40.0, size=1000)
    got_log = portable_math.log(x)
    got_exp = portable_math.exp(y)
    assert got_log.shape == (40, 25) and got_exp.shape == (1000,)
    assert all(got_log.flat[i] == math.log(x.flat[i]) for i in range(x.size))
    assert all(got_exp[i] == math.exp(y[i]) for i in range(y.size))
    assert portable_math.log(np.array([math.e]))[0] == 1.0
    assert portable_math.exp(np.zeros(0)).shape == (0,)


def test_the_demand_path_and_battery_lives_use_them() -> None:
    path = ((2015, 180_000.0), (2020, 300_000.0), (2025, 1_200_000.0))
    monthly = monthly_demand_path_t(2015, 1, 132, path)
    # Mid-2020 sits on the 2020 point: 300 kt a year, 25 kt a month.
    assert math.isclose(monthly[66] * 12.0, 300_000.0, rel_tol=0.02)
    pmf = lifetime_pmf(12.0, 4.0)
    assert 0.99 < pmf.sum() <= 1.0 and pmf.argmax() in range(120, 145)


def test_no_cpu_dependent_numpy_ufunc_in_the_simulation() -> None:
    offenders = []
    for folder in ("agents", "model"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name == "portable_math.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if CPU_DEPENDENT.search(line.split("#")[0]):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "use lithium_abm.model.portable_math instead:\n" + "\n".join(offenders)
