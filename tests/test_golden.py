"""The restructured model reproduces the stored runs bit for bit (same draws, same order).

The golden files were written by ``tests/golden/regenerate.py`` before the restructuring; a
behaviour change regenerates them in a commit of its own.
"""

from __future__ import annotations

import pandas as pd
import pytest
from golden.regenerate import SCENARIOS, SEEDS, frames, golden_path


def blas_kernels() -> set[str]:
    """The OpenBLAS kernel families numpy runs here (empty if threadpoolctl cannot tell)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return set()
    infos = threadpool_info()
    return {str(i.get("architecture")) for i in infos if i["internal_api"] == "openblas"}


def test_blas_kernels_are_the_fixed_ones() -> None:
    """The golden files were written with OpenBLAS's Haswell (AVX2) kernels; on a CPU where
    OpenBLAS would pick others (AVX-512), a few sums differ in the last bit. Importing
    lithium_abm before numpy fixes the kernels (``OPENBLAS_CORETYPE``)."""
    import platform

    from lithium_abm import BLAS_CORETYPE

    if platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip("the golden files were written on x86-64")
    kernels = blas_kernels()
    if not kernels:
        pytest.skip("threadpoolctl cannot report the OpenBLAS kernels")
    assert kernels == {BLAS_CORETYPE}, (
        f"numpy runs OpenBLAS {kernels}, not {BLAS_CORETYPE}: set OPENBLAS_CORETYPE={BLAS_CORETYPE}"
        " (make test does) or import lithium_abm before numpy"
    )


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("seed", SEEDS)
def test_run_reproduces_golden_files_bit_for_bit(scenario: str, seed: int) -> None:
    model_df, agents_df = frames(scenario, seed)
    for table, got in (("model", model_df), ("agents", agents_df)):
        want = pd.read_parquet(golden_path(scenario, seed, table))
        pd.testing.assert_frame_equal(
            got.reset_index(drop=True), want, check_exact=True, check_dtype=True
        )
