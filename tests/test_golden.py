"""The restructured model reproduces the stored runs bit for bit (same draws, same order).

The golden files were written by ``tests/golden/regenerate.py`` before the restructuring; a
behaviour change regenerates them in a commit of its own.
"""

from __future__ import annotations

import pandas as pd
import pytest
from golden.regenerate import SCENARIOS, SEEDS, frames, golden_path


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("seed", SEEDS)
def test_run_reproduces_golden_files_bit_for_bit(scenario: str, seed: int) -> None:
    model_df, agents_df = frames(scenario, seed)
    for table, got in (("model", model_df), ("agents", agents_df)):
        want = pd.read_parquet(golden_path(scenario, seed, table))
        pd.testing.assert_frame_equal(
            got.reset_index(drop=True), want, check_exact=True, check_dtype=True
        )
