"""Write the golden outputs that the restructured model must reproduce bit for bit.

Run ``python tests/golden/regenerate.py`` only in a commit that changes behaviour on purpose,
and put the pattern tables before and after in that commit's message.
"""

from __future__ import annotations

from pathlib import Path

from lithium_abm.experiments.scenario import load_scenario
from lithium_abm.model.lithium_model import LithiumModel

GOLDEN_DIR = Path(__file__).resolve().parent
SCENARIOS = ("baseline", "no_support", "trade_war", "stockpile", "classroom")
SEEDS = (1, 2)


def golden_path(scenario: str, seed: int, table: str) -> Path:
    return GOLDEN_DIR / f"{scenario}_s{seed}_{table}.parquet"


def frames(scenario: str, seed: int):
    """The model and agent tables of one run, exactly as the run command records them."""
    model = LithiumModel(load_scenario(scenario), seed=seed).run()
    return model.model_frame(), model.agents_frame()


def main() -> None:
    for scenario in SCENARIOS:
        for seed in SEEDS:
            model_df, agents_df = frames(scenario, seed)
            model_df.to_parquet(golden_path(scenario, seed, "model"), index=False)
            agents_df.to_parquet(golden_path(scenario, seed, "agents"), index=False)
            print(scenario, seed, len(model_df), len(agents_df))


if __name__ == "__main__":
    main()
