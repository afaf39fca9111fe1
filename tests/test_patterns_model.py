"""Pattern-oriented validation of the model itself: P1-P7 over seeds (issues #2 and #10).

Each pattern must hold in at least 80% of seeds, the standard `lithium-abm patterns` applies
(8 of 10). Measured over 20 seeds, because 10 seeds are too few to tell a pattern that holds in
85% of seeds from one that holds in 70%: with the pinned dependencies the baseline meets P1-P7
in 19, 19, 18, 18, 20, 13 and 0 of seeds 1-20.
"""

from __future__ import annotations

import pytest

from lithium_abm.experiments.patterns import evaluate_run_patterns, pattern_table
from lithium_abm.experiments.scenario import load_scenario
from lithium_abm.model.lithium_model import LithiumModel

SEEDS = range(1, 21)


@pytest.fixture(scope="module")
def per_seed() -> list:
    baseline = load_scenario("baseline")
    no_support = load_scenario("no_support")
    checks = []
    for seed in SEEDS:
        base = LithiumModel(baseline, seed=seed).run()
        nosup = LithiumModel(no_support, seed=seed).run()
        checks.append(
            evaluate_run_patterns(
                base.model_frame(), base.agents_frame(), nosup.model_frame(), None
            )
        )
    return checks


def _passes(per_seed: list, code: str) -> int:
    return sum(c.passed for checks in per_seed for c in checks if c.name.startswith(code))


# P6 and P7 come with issue 10 and do not hold yet; their xfails are strict, so the day one
# holds the test fails and asks to be made a plain case.
# P6 (independent hard rock outside China curtails in the bust) holds in 13 of seeds 1-20; P7 (no
# collapse, unmet demand at most 2%) fails in every seed.
ISSUE_10 = "issue 10: needs continuous mine output and demand met by price"
P6_OPEN = (
    "issue 10: P6 holds in 7 of seeds 1-10, 13 of 1-20 (independents outside China ride out "
    "some busts)"
)


@pytest.mark.parametrize(
    "code",
    [
        "P1",
        "P2",
        "P3",
        "P4",
        "P5",
        pytest.param("P6", marks=pytest.mark.xfail(strict=True, reason=P6_OPEN)),
        pytest.param("P7", marks=pytest.mark.xfail(strict=True, reason=ISSUE_10)),
    ],
)
def test_pattern_holds_in_eight_of_ten_seeds(per_seed: list, code: str) -> None:
    assert _passes(per_seed, code) >= 0.8 * len(SEEDS)


def test_pattern_table_reports_every_pattern(per_seed: list) -> None:
    table = pattern_table(per_seed)
    codes = ["P1", "P2", "P3", "P4", "P5", "P6", "P7"]
    assert [p.split()[0] for p in table["pattern"]] == codes
    assert table.loc[table["pattern"].str.startswith("P5"), "passed"].item()
