"""lithium-abm: an agent-based model of the lithium supply chain.

The public API is deliberately small: load a scenario, build or run a model, write a run.
Names are imported on first use, so ``import lithium_abm`` (and the CLI's ``--help``) stays
fast instead of pulling in Mesa, pandas and matplotlib.
"""

from __future__ import annotations

import os
import platform
from importlib import import_module, metadata
from typing import TYPE_CHECKING, Any

# Bit-for-bit runs on every x86 machine: OpenBLAS picks its kernels by CPU, and its AVX-512
# kernels round a few sums differently in the last bit (then a seed's run differs between a
# laptop and a server). Fixing the AVX2 kernels, which every x86-64 machine of the last decade
# runs, makes (scenario, seed) give the same numbers everywhere. numpy's own AVX-512 loops are
# switched off for the same reason (the simulation's exp and log already avoid them:
# model/portable_math.py). Both take effect only when this package is imported before numpy
# (the CLI and `make` ensure it; see docs/ARCHITECTURE.md).
BLAS_CORETYPE = "Haswell"
NUMPY_CPU_FEATURES_OFF = "X86_V4 AVX512_ICL AVX512_SPR"
if platform.machine().lower() in ("x86_64", "amd64"):  # the names mean nothing elsewhere
    os.environ.setdefault("OPENBLAS_CORETYPE", BLAS_CORETYPE)
    os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", NUMPY_CPU_FEATURES_OFF)

try:
    __version__ = metadata.version("lithium-abm")
except metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"

_LAZY = {
    "load_scenario": "lithium_abm.experiments.scenario",
    "LithiumModel": "lithium_abm.model.lithium_model",
    "run_model": "lithium_abm.experiments.runner",
    "write_run": "lithium_abm.experiments.runner",
    "simulate": "lithium_abm.experiments.outside",
    "ema_model": "lithium_abm.experiments.ema_adapter",
}

__all__ = [
    "LithiumModel",
    "__version__",
    "ema_model",
    "load_scenario",
    "run_model",
    "simulate",
    "write_run",
]

if TYPE_CHECKING:
    from lithium_abm.experiments.ema_adapter import ema_model
    from lithium_abm.experiments.outside import simulate
    from lithium_abm.experiments.runner import run_model, write_run
    from lithium_abm.experiments.scenario import load_scenario
    from lithium_abm.model.lithium_model import LithiumModel


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'lithium_abm' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
