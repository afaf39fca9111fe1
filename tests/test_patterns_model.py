"""Pattern-oriented validation of the model itself: P1-P5 over ten seeds (issue #2).

Each pattern must hold in at least 8 of 10 seeds. Patterns the current calibration does not
yet meet are marked ``xfail(strict=True)``: the test fails loudly the day they start passing,
so the mark cannot hide a change. A floor test guards against regressions below today's level.
"""

from __future__ import annotations

import pytest

from lithium_abm.experiments.patterns import evaluate_run_patterns, pattern_table
from lithium_abm.experiments.scenario import load_scenario
from lithium_abm.model.lithium_model import LithiumModel

SEEDS = range(1, 11)
OPEN_CALIBRATION = {
    "P1": "7/10 seeds: in some seeds the boom peaks a few months after 2023-06 or in 2018",
}
FLOOR = {"P1": 7, "P2": 9, "P3": 8, "P4": 8, "P5": 10}


@pytest.fixture(scope="module")
def per_seed() -> list:
    baseline = load_scenario("baseline")
    no_support = load_scenario("no_support")
    checks = []
    for seed in SEEDS:
        base = LithiumModel(baseline, seed).run()
        nosup = LithiumModel(no_support, seed).run()
        checks.append(
            evaluate_run_patterns(
                base.model_frame(), base.agents_frame(), nosup.model_frame(), None
            )
        )
    return checks


def _passes(per_seed: list, code: str) -> int:
    return sum(c.passed for checks in per_seed for c in checks if c.name.startswith(code))


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(code, marks=pytest.mark.xfail(strict=True, reason=OPEN_CALIBRATION[code]))
        if code in OPEN_CALIBRATION
        else code
        for code in ("P1", "P2", "P3", "P4", "P5")
    ],
)
def test_pattern_holds_in_eight_of_ten_seeds(per_seed: list, code: str) -> None:
    assert _passes(per_seed, code) >= 8


@pytest.mark.parametrize("code", sorted(FLOOR))
def test_pattern_does_not_regress_below_current_calibration(per_seed: list, code: str) -> None:
    assert _passes(per_seed, code) >= FLOOR[code]


def test_pattern_table_reports_every_pattern(per_seed: list) -> None:
    table = pattern_table(per_seed)
    assert [p.split()[0] for p in table["pattern"]] == ["P1", "P2", "P3", "P4", "P5"]
    assert table.loc[table["pattern"].str.startswith("P5"), "passed"].item()
