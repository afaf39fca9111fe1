"""The benchmark: the scaled population keeps the market's size, and ``bench --quick`` prints."""

from __future__ import annotations

import json
import math

from lithium_abm.cli import main
from lithium_abm.experiments.bench import scaled_config
from lithium_abm.experiments.scenario import load_scenario


def test_scaled_population_has_k_copies_of_the_same_market():
    base = load_scenario("baseline")
    big = scaled_config(base, 3)
    assert len(big.mines) == 3 * len(base.mines)
    assert len({m.name for m in big.mines}) == len(big.mines)
    for field, specs in (("capacity_tpa", "mines"), ("capacity_tpa", "refiners")):
        before = sum(getattr(s, field) for s in getattr(base, specs))
        after = sum(getattr(s, field) for s in getattr(big, specs))
        assert math.isclose(before, after)
    assert math.isclose(sum(b.demand_share for b in big.battery_makers), 1.0)
    groups = {m.group for m in big.mines if m.group}
    assert groups == {f"{m.group}#{i}" for m in base.mines if m.group for i in (1, 2, 3)}
    assert big.demand_path_t == base.demand_path_t and big.params == base.params


def test_bench_quick_prints_its_table(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "--quick", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Baseline run (252 months): median" in text
    assert "   10x" in text and "Sweep throughput" in text
    data = json.loads(out.read_text())
    assert data["baseline"]["median_s"] > 0
    assert [r["factor"] for r in data["scaling"]] == [1, 10]
    assert data["scaling"][1]["mines_start"] == 10 * data["scaling"][0]["mines_start"]
    assert all(r["runs"] > 0 for r in data["throughput"])
