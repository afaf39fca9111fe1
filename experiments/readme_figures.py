"""Refresh the README's images: one figure from each notebook and a dashboard screenshot.

    python -m lithium_abm.experiments.readme_figures            # all, into docs/img/
    python -m lithium_abm.experiments.readme_figures --no-dashboard

The notebooks save their README figure only when ``LITHIUM_ABM_README_FIGURES`` names a folder,
so running them normally (or in CI) writes nothing into the repository. The screenshot is taken
by the dashboard's browser test with ``LITHIUM_ABM_SCREENSHOT`` set. Notebooks are stored
without outputs; :func:`run_notebook` is also what the test suite uses to execute them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
IMAGES = ROOT / "docs" / "img"
FIGURES_ENV = "LITHIUM_ABM_README_FIGURES"
SCREENSHOT_ENV = "LITHIUM_ABM_SCREENSHOT"


def notebook_paths(folder: Path = NOTEBOOKS) -> list[Path]:
    """The numbered notebooks (01_..., 02_...) in ``folder``, in order."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def run_notebook(path: Path, workdir: Path, timeout_s: float = 300.0) -> float:
    """Execute a notebook top to bottom in ``workdir``; raises on the first failing cell.

    Returns the wall time. The executed copy is discarded: the stored notebook stays clean.
    """
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=int(timeout_s),
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
    )
    started = time.perf_counter()
    client.execute()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(IMAGES), help="folder for the images")
    parser.add_argument("--no-dashboard", action="store_true", help="skip the screenshot")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.environ[FIGURES_ENV] = str(out)  # inherited by the notebook kernels
    with tempfile.TemporaryDirectory() as tmp:
        for path in notebook_paths():
            seconds = run_notebook(path, Path(tmp))
            print(f"{path.name}: {seconds:.1f} s")
    if not args.no_dashboard:
        env = {**os.environ, SCREENSHOT_ENV: str(out / "dashboard.png")}
        test = ROOT / "tests" / "test_dashboard.py"
        subprocess.run([sys.executable, "-m", "pytest", "-q", str(test)], env=env, check=True)
    for image in sorted(out.glob("*.png")):
        print(image)
    return 0


if __name__ == "__main__":
    sys.exit(main())
