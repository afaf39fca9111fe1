"""``lithium-abm validate``: the report, its figures and reference prices.

One validation of a scenario cut at 2025-12 with two seeds (four runs, a few seconds) is shared
by the tests of the report.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lithium_abm.cli import main
from lithium_abm.experiments.quantities import annual_mine_output_t
from lithium_abm.experiments.runner import run_model
from lithium_abm.experiments.targets import TARGETS
from lithium_abm.experiments.validation import (
    COUNTERFACTUAL,
    REFERENCE_PRICES,
    load_reference_prices,
    production_rows,
)

SHORT = """\
[scenario]
name = "short"
extends = "baseline"
end = "2025-12"
"""


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("validate")
    scenario = root / "short.toml"
    scenario.write_text(SHORT, encoding="utf-8")
    out = root / "report"
    code = main(["validate", "--scenario", str(scenario), "--seeds", "2", "--out", str(out)])
    assert code == 0
    return out


def test_validate_writes_the_report_and_its_figures(report_dir):
    text = (report_dir / "validation.md").read_text(encoding="utf-8")
    sections = [
        "# Validation report",
        "## Target statistics",
        "## Price path",
        "## Patterns",
        "## How to reproduce",
    ]
    positions = [text.index(s) for s in sections]
    assert positions == sorted(positions)
    for image in ("img/validation_targets.png", "img/validation_price.png"):
        assert f"]({image})" in text
        assert (report_dir / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_target_and_pattern_is_reported(report_dir):
    text = (report_dir / "validation.md").read_text(encoding="utf-8")
    for target in TARGETS:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{target.name}`"))
        assert target.citation in row
        assert "/2 |" in row  # seeds within tolerance, out of two
    for pattern in ("P1", "P2", "P3", "P4", "P5", "P6", "P7"):
        assert f"| {pattern} " in text
    assert "seeds 1..2" in text
    assert "lithium-abm validate --scenario" in text


def test_quantities_are_reported_in_and_out_of_sample_side_by_side(report_dir):
    text = (report_dir / "validation.md").read_text(encoding="utf-8")
    heading = "## Quantities: in sample 2015-2021, out of sample 2022-2025"
    assert text.index("## Target statistics") < text.index(heading) < text.index("## Price path")
    section = text[text.index(heading) : text.index("## Price path")]
    summary = next(line for line in section.splitlines() if line.startswith("| world output |"))
    assert "(2015-2021)" in summary and "(2022-2025)" in summary
    rows = {line.split(" | ")[0][3:-1]: line for line in section.splitlines() if "| `" in line}
    assert " | 2021 | in | " in rows["output_tpa_world_2021"]
    assert " | 2022 | **out** | " in rows["output_tpa_au_2022"]
    # The by-year series are not repeated in the table of single statistics.
    single = text[text.index("## Target statistics") : text.index(heading)]
    assert "`output_tpa_world_2021`" not in single


def test_output_by_resource_and_by_country_is_drawn_against_usgs(report_dir):
    text = (report_dir / "validation.md").read_text(encoding="utf-8")
    heading = "## Quantities: in sample 2015-2021, out of sample 2022-2025"
    section = text[text.index(heading) : text.index("## Price path")]
    assert "](img/validation_production.png)" in section
    image = report_dir / "img" / "validation_production.png"
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_production_rows_count_each_tonne_once_by_resource_and_by_region():
    run = run_model("baseline", 1)
    rows = production_rows(1, run.agents_df)
    assert set(rows["by"]) == {"resource", "region"}
    assert {"brine", "spodumene", "lepidolite"} <= set(rows.loc[rows["by"] == "resource", "key"])
    assert {"AU", "CL", "CN", "AR"} <= set(rows.loc[rows["by"] == "region", "key"])
    totals = rows.groupby(["by", "year"])["output_t"].sum().unstack("by")
    world = annual_mine_output_t(run.agents_df)
    assert (world > 0).all() and list(world.index) == list(range(2015, 2036))
    for by in ("resource", "region"):
        assert totals[by].to_numpy() == pytest.approx(world.to_numpy(), rel=1e-12)


def test_reference_prices_are_sourced_and_consistent():
    ref = load_reference_prices(REFERENCE_PRICES)
    assert len(ref) >= 3
    assert ref["source"].str.len().gt(10).all()
    assert set(ref["quality"]) <= {"cited", "approximate"}
    assert (ref["low_cny_t"] <= ref["price_cny_t"]).all()
    assert (ref["price_cny_t"] <= ref["high_cny_t"]).all()
    # The brief's two price facts are there: the Nov 2022 peak and mid-2025.
    cited = ref[ref["quality"] == "cited"].set_index("date")["price_cny_t"]
    assert cited["2022-11-01"] == 590_000 and cited["2025-06-01"] == 60_000


def test_the_counterfactual_switches_off_integration_and_state_support():
    assert COUNTERFACTUAL == {"integration_enabled": False, "state_support_enabled": False}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--seeds", "0"], ["--seeds"]),
        (["--scenario", "nowhere"], ["nowhere"]),
    ],
)
def test_bad_input_is_one_line_with_exit_2(tmp_path, capsys, args, words):
    code = main(["validate", "--out", str(tmp_path / "out"), *args])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1
    for word in words:
        assert word in lines[0]
    assert not (tmp_path / "out").exists()


def test_an_output_path_that_is_a_file_is_refused(tmp_path, capsys):
    out = tmp_path / "taken"
    out.write_text("x", encoding="utf-8")
    assert main(["validate", "--out", str(out)]) == 2
    assert "--out" in capsys.readouterr().err
