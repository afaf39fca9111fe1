"""Citations point inside the repository: docs/sources/ holds what the targets, parameters and docs
cite, and every cited file, seed passage and brief section exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lithium_abm.experiments.targets import TARGETS
from lithium_abm.model.parameters import PARAMETERS

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "docs" / "sources"
BRIEF = SOURCES / "MODEL_BRIEF.md"
# Repository text that may cite sources. docs/sources/ holds copies of the source documents, whose
# own relative paths (the brief's "seeds/ beside this file") are checked only for outside paths.
TEXT_SUFFIXES = {".py", ".md", ".toml", ".ipynb", ".csv"}
SKIPPED_DIRS = {".venv", ".git", "__pycache__", ".pytest_cache", ".ruff_cache", "results"}
# This file names the forbidden patterns to test for them.
THIS_FILE = Path(__file__).resolve()

# A path to a folder outside the repository, or a notes file that lives there.
OUTSIDE = re.compile(r"\bshared/|ECOSYSTEM_NOTES|/work/")
# The brief or a seed folder named without the docs/sources/ prefix (relative links from docs/,
# "sources/seeds/...", are fine).
BARE = re.compile(r"(?<!sources/)\bMODEL_BRIEF\.md|(?<!sources/)\bseeds?/")
# A repository path in a citation: docs/... or experiments/... ending in a file name.
REPO_PATH = re.compile(r"\b(?:docs|experiments)/[\w./-]*\w")
SEED_ID = re.compile(r"docs/sources/seeds/(\d{3})\b(?!_)")
SEED_LINES = re.compile(r"docs/sources/seeds/(\d{3}) lines? (\d+)(?:-(\d+))?")
BRIEF_SECTION = re.compile(r"MODEL_BRIEF\.md §([A-Z][a-z]+(?: [a-z]+)?)(?: (\d+))?")
LATER_SECTION = re.compile(r"(?<!MODEL_BRIEF\.md )§([A-Z][a-z]+(?: [a-z]+)?)(?: (\d+))?")


def _repository_text_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if path.suffix in TEXT_SUFFIXES and not SKIPPED_DIRS & set(rel.parts) and path.is_file():
            files.append(path)
    return sorted(files)


def _cited_seed_files(text: str) -> set[str]:
    """'docs/sources/seeds/000, 001' -> {'000', '001'}."""
    found = set()
    for match in re.finditer(r"docs/sources/seeds/(\d{3}(?:(?:, | and )\d{3})*)", text):
        found |= set(re.findall(r"\d{3}", match.group(1)))
    return found


def _seed_file(seed: str) -> Path:
    matches = list((SOURCES / "seeds").glob(f"{seed}_*.md"))
    assert len(matches) == 1, f"docs/sources/seeds/{seed}: {len(matches)} files"
    return matches[0]


def _brief_sections() -> tuple[list[str], set[int]]:
    """The brief's section headings and the numbers of its mechanisms."""
    text = BRIEF.read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, re.M)
    mechanisms = text.split("## Mechanisms", 1)[1].split("\n## ", 1)[0]
    return headings, {int(n) for n in re.findall(r"^(\d+)\. ", mechanisms, re.M)}


def citation_problems(label: str) -> list[str]:
    """Why a source label does not point precisely into the repository (empty if it does)."""
    problems = []
    if not label.strip():
        return ["empty source"]
    if OUTSIDE.search(label):
        problems.append(f"points outside the repository: {OUTSIDE.search(label).group(0)!r}")
    if BARE.search(label):
        problems.append(f"names {BARE.search(label).group(0)!r} without docs/sources/")
    if re.search(r"\bbrief\b", label, re.I) and "docs/sources/MODEL_BRIEF.md" not in label:
        problems.append("cites 'the brief' without docs/sources/MODEL_BRIEF.md")
    if re.search(r"\bseeds?\b", label, re.I) and "docs/sources/seeds/" not in label:
        problems.append("cites 'the seeds' without docs/sources/seeds/NNN")
    for path in REPO_PATH.findall(label):
        seed = SEED_ID.fullmatch(path)
        if seed:
            _seed_file(seed.group(1))
        elif not (ROOT / path).is_file():
            problems.append(f"{path} is not a file of the repository")
    for seed, first, last in SEED_LINES.findall(label):
        text = _seed_file(seed).read_text(encoding="utf-8")
        for line in {first, last or first}:
            if f"\n> line {line}: " not in text:
                problems.append(f"docs/sources/seeds/{seed} has no passage at line {line}")
    headings, mechanisms = _brief_sections()
    if "§" in label and "docs/sources/MODEL_BRIEF.md §" not in label:
        problems.append("a § section without docs/sources/MODEL_BRIEF.md")
    for section, number in BRIEF_SECTION.findall(label) + LATER_SECTION.findall(label):
        if not any(h.startswith(section) for h in headings):
            problems.append(f"the brief has no section {section!r}")
        if number and (section != "Mechanisms" or int(number) not in mechanisms):
            problems.append(f"the brief has no {section} {number}")
    return problems


def test_every_parameter_has_a_source() -> None:
    for param in PARAMETERS.values():
        assert param.source.strip(), param.name


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_parameter_source_points_at_files_of_the_repository(name: str) -> None:
    assert citation_problems(PARAMETERS[name].source) == []


@pytest.mark.parametrize(
    ("label", "problem"),
    [
        ("seed documents (" + "shared/seeds)", "outside"),
        ("MODEL_BRIEF" + ".md calibration inputs", "without docs/sources/"),
        ("seeds" + "/brief: Chile's lithium strategy", "without docs/sources/"),
        ("seeds: night shifts on cheaper electricity", "'the seeds'"),
        ("brief mechanism 6", "'the brief'"),
        ("see " + "ECOSYSTEM_NOTES", "outside"),
        ("docs/sources/seeds/007 line 1: a seed that is not there", "0 files"),
        ("docs/sources/seeds/001 line 99: a passage not kept", "no passage at line 99"),
        ("docs/sources/seeds/002 lines 298-301: a range past the excerpt", "line 301"),
        ("docs/sources/supply_history/nowhere.csv: a file that is not there", "not a file"),
        ("docs/sources/MODEL_BRIEF.md §Mechanisms 9: no such mechanism", "no Mechanisms 9"),
        ("docs/sources/MODEL_BRIEF.md §Appendix: no such section", "no section 'Appendix'"),
        ("docs/sources/MODEL_BRIEF.md §Entities; §Mechanisms 7", "no Mechanisms 7"),
        ("  ", "empty"),
    ],
)
def test_a_bad_citation_is_caught(label: str, problem: str) -> None:
    try:
        found = citation_problems(label)
    except AssertionError as missing:  # a seed id that names no file
        found = [str(missing)]
    assert any(problem in p for p in found), found


def test_a_precise_citation_passes() -> None:
    label = (
        "Benchmark Mineral Intelligence via docs/sources/seeds/001 line 16; "
        "docs/sources/seeds/002 lines 298-299; docs/sources/MODEL_BRIEF.md §Calibration inputs, "
        "§Mechanisms 4; docs/sources/supply_history/australia_operations.csv"
    )
    assert citation_problems(label) == []


def test_every_target_cites_a_copy_in_the_repository() -> None:
    seeds = {p.name[:3] for p in (SOURCES / "seeds").glob("*.md")}
    for target in TARGETS:
        if "MODEL_BRIEF" in target.citation:
            assert "docs/sources/MODEL_BRIEF.md" in target.citation
            assert BRIEF.is_file()
        assert not BARE.search(target.citation), target.name
        assert not OUTSIDE.search(target.citation), target.name
        assert _cited_seed_files(target.citation) <= seeds, target.name


def test_repository_text_does_not_point_outside_the_repository() -> None:
    files = _repository_text_files()
    assert ROOT / "model" / "parameters.py" in files and ROOT / "docs" / "parameters.md" in files
    for path in files:
        if path == THIS_FILE:
            continue
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT).as_posix()
        outside = [m.group(0) for m in OUTSIDE.finditer(text)]
        assert outside == [], rel
        if not rel.startswith("docs/sources/"):
            bare = [m.group(0) for m in BARE.finditer(text)]
            assert bare == [], rel


def test_sources_md_lists_every_copied_document() -> None:
    text = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    for path in sorted((SOURCES / "seeds").glob("*.md")) + [BRIEF]:
        assert f"(sources/{path.relative_to(SOURCES).as_posix()})" in text, path.name
    assert (SOURCES / "supply_history" / "README.md").is_file()
    assert "(sources/supply_history/README.md)" in text
