"""Every notebook runs top to bottom on a fresh checkout, within the promised three minutes.

Each runs in its own temporary folder (notebooks write their results to ``results/`` under the
working directory), with the same kernel the project is installed in. The stored notebooks
carry no outputs, which is also checked so that git stays small.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lithium_abm.experiments.readme_figures import notebook_paths, run_notebook

TIME_LIMIT_S = 180.0  # the budget per notebook
NOTEBOOKS = notebook_paths(Path(__file__).resolve().parent.parent / "notebooks")


def test_notebooks_exist() -> None:
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code), (
        f"strip the outputs of {path.name} before committing"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("nbclient", reason="nbclient comes with the dev extra (nbmake)")
    pytest.importorskip("ipykernel", reason="ipykernel is a dev dependency")
    monkeypatch.delenv("LITHIUM_ABM_README_FIGURES", raising=False)
    seconds = run_notebook(path, tmp_path, timeout_s=TIME_LIMIT_S)
    print(f"{path.name}: {seconds:.1f} s")
    assert seconds < TIME_LIMIT_S
