"""Exponentials and logarithms that give the same bits on every x86-64 machine.

numpy computes ``np.exp`` and ``np.log`` of float64 arrays with its own AVX-512 code where the
CPU has it and with the C library's functions where it has not; the two differ in the last bit
for some inputs, and the model's feedbacks grow such a bit into a different run. The C library's
functions (Python's ``math``) are the same on every machine with the same libc, so the model
uses these wherever an array goes through an exponential or a logarithm (``tests/test_golden.py``
then holds on any x86 CPU; docs/ARCHITECTURE.md, "Rules the code keeps").
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def _elementwise(function: Callable[[float], float], values: np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    flat = np.fromiter(map(function, array.ravel()), dtype=float, count=array.size)
    return flat.reshape(array.shape)


def log(values: np.ndarray) -> np.ndarray:
    """Natural logarithm, element by element, by the C library (positive inputs)."""
    return _elementwise(math.log, values)


def exp(values: np.ndarray) -> np.ndarray:
    """Exponential, element by element, by the C library."""
    return _elementwise(math.exp, values)
