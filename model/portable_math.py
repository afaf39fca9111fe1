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

import numpy as np


def log(values: np.ndarray) -> np.ndarray:
    """Natural logarithm, element by element, by the C library (positive inputs)."""
    flat = np.asarray(values, dtype=float)
    return np.fromiter(map(math.log, flat.ravel()), dtype=float, count=flat.size).reshape(
        flat.shape
    )


def exp(values: np.ndarray) -> np.ndarray:
    """Exponential, element by element, by the C library."""
    flat = np.asarray(values, dtype=float)
    return np.fromiter(map(math.exp, flat.ravel()), dtype=float, count=flat.size).reshape(
        flat.shape
    )
