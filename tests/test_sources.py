"""Citations point inside the repository: docs/sources/ holds what the targets and docs cite."""

from __future__ import annotations

import re
from pathlib import Path

from lithium_abm.experiments.targets import TARGETS

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "docs" / "sources"
# docs/parameters.md is generated from model/parameters.py, which carries its own source labels.
CHECKED = [p for p in (ROOT / "docs").glob("*.md") if p.name != "parameters.md"] + [
    ROOT / "docs" / "calibration_fit" / "fit_report.md",
    ROOT / "experiments" / "data" / "reference_prices.csv",
    ROOT / "README.md",
]


def _cited_seed_files(text: str) -> set[str]:
    """'docs/sources/seeds/000, 001' -> {'000', '001'}."""
    found = set()
    for match in re.finditer(r"docs/sources/seeds/(\d{3}(?:(?:, | and )\d{3})*)", text):
        found |= set(re.findall(r"\d{3}", match.group(1)))
    return found


def test_every_target_cites_a_copy_in_the_repository() -> None:
    seeds = {p.name[:3] for p in (SOURCES / "seeds").glob("*.md")}
    for target in TARGETS:
        if "MODEL_BRIEF" in target.citation:
            assert "docs/sources/MODEL_BRIEF.md" in target.citation
            assert (SOURCES / "MODEL_BRIEF.md").is_file()
        assert "seeds/" not in target.citation.replace("docs/sources/seeds/", ""), target.name
        assert _cited_seed_files(target.citation) <= seeds, target.name


def test_docs_do_not_point_outside_the_repository() -> None:
    for path in CHECKED:
        text = path.read_text(encoding="utf-8")
        assert "shared/" not in text, path.name
        bare = re.findall(r"(?<!sources/)MODEL_BRIEF\.md", text)
        assert bare == [], path.name
        assert re.findall(r"(?<!sources/)\bseeds?/\d", text) == [], path.name


def test_sources_md_lists_every_copied_document() -> None:
    text = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    for path in sorted((SOURCES / "seeds").glob("*.md")) + [SOURCES / "MODEL_BRIEF.md"]:
        assert f"(sources/{path.relative_to(SOURCES).as_posix()})" in text, path.name
    assert (SOURCES / "supply_history" / "README.md").is_file()
    assert "(sources/supply_history/README.md)" in text
