"""The installed package holds every module and data file of the source tree.

pyproject.toml lists the packages and the package-data globs by hand (the source folders are
mapped into the ``lithium_abm`` namespace), so a new sub-package or a data file of a new kind is
silently missing from a non-editable install unless it is added there; these tests catch that
without building a wheel.
"""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def _source_dir(package: str) -> Path:
    """The folder setuptools takes a package from, through [tool.setuptools.package-dir]."""
    mapping = SETUPTOOLS["package-dir"]
    parts = package.split(".")
    for i in range(len(parts), 0, -1):
        head = ".".join(parts[:i])
        if head in mapping:
            return ROOT / mapping[head] / Path(*parts[i:])
    return ROOT / Path(*parts)


def test_every_folder_with_python_modules_is_a_listed_package() -> None:
    listed = {_source_dir(p).resolve() for p in SETUPTOOLS["packages"]}
    for package in SETUPTOOLS["packages"]:
        assert _source_dir(package).is_dir(), package  # a module package or a data folder
    roots = {_source_dir(p) for p in SETUPTOOLS["package-dir"]}
    found = {
        init.parent.resolve()
        for root in roots
        for init in root.rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found - listed == set(), "add these to [tool.setuptools] packages"


def test_every_data_file_is_matched_by_package_data() -> None:
    """Every non-Python file in the packages' folders is shipped (no stray kinds of file)."""
    assert SETUPTOOLS["include-package-data"] is False  # only what package-data lists
    for package in SETUPTOOLS["packages"]:
        base = _source_dir(package)
        globs = SETUPTOOLS["package-data"].get(package, [])
        subpackages = {_source_dir(p) for p in SETUPTOOLS["packages"] if p != package}
        for path in base.rglob("*"):
            if (
                not path.is_file()
                or path.suffix in {".py", ".pyc"}
                or "__pycache__" in path.parts
                or any(sub in path.parents for sub in subpackages)
            ):
                continue
            rel = path.relative_to(base)
            shipped = any(rel.match(g) and len(rel.parts) == len(Path(g).parts) for g in globs)
            assert shipped, f"{package}: {rel} is not in [tool.setuptools.package-data]"


def test_scenario_data_resolves_through_the_package() -> None:
    data = files("lithium_abm.experiments")
    assert data.joinpath("scenarios", "baseline.toml").is_file()
    assert data.joinpath("scenarios", "governments.csv").read_text().startswith("region,")
    assert data.joinpath("specs", "small.toml").is_file()
    assert data.joinpath("calibration_specs", "baseline.toml").is_file()
    assert data.joinpath("data", "reference_prices.csv").is_file()
