"""``lithium-abm bench --dashboard``: can one server on this machine hold a class?

It starts the dashboard's Solara server (the same command line as ``lithium-abm dashboard``) on a
free loopback port in its own process group, and drives it from one headless Chromium, one
browser context per student:

1. idle: the server's memory (RSS of its process tree) once it answers, before any session;
2. a class: ``sessions`` pages open at once and each presses Step ``months`` times, as fast as
   its charts come back; every step is timed in the page, from the click to the moment all four
   charts have drawn the new month, and the server's memory is sampled throughout (peak);
3. after class: every page is closed, and ``settle_s`` seconds later the memory is measured
   again (the server frees a closed tab's market after its cull timeout);
4. one student alone: the median step, then the time from 2015 to ``to_month`` (the 2024 bust)
   with Play and with "run to".

The figures are printed beside the goals of issue 14. The server never outlives the command:
its process group is killed in ``finally`` (also on Ctrl-C or SIGTERM), and it dies with us even
on SIGKILL (``parent_death``). A benchmark, not a test: missed goals are reported, not failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM_ENV = "LITHIUM_ABM_CHROMIUM"
KNOWN_CHROMIUM = (
    "/usr/lib/chromium/chromium-headless-shell",
    "/usr/lib/chromium/chromium",
    "/usr/bin/chromium-headless-shell",
    "/usr/bin/chromium",
)
CHROMIUM_NAMES = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")
SERVER_START_TIMEOUT_S = 120.0
# A step that takes longer than this under a full class is a failure, not a slow step.
STEP_TIMEOUT_MS = 120_000
OPEN_TIMEOUT_MS = 300_000
MEMORY_POLL_S = 0.25
MB = 1024 * 1024


@dataclass(frozen=True)
class Goal:
    """One target of issue 14: ``value <= limit``."""

    key: str
    label: str
    limit: float
    text: str


GOALS = (
    Goal("class_step_median_s", "class: median step", 1.0, "<= 1 s"),
    Goal("peak_mb", "server memory: peak", 1536.0, "<= 1.5 GB"),
    Goal("after_close_vs_idle", "memory after close vs idle", 1.2, "<= +20%"),
    Goal("single_step_median_s", "one session: median step", 0.2, "<= 0.2 s"),
    Goal("play_to_s", "2015 -> bust with Play", 25.0, "<= 25 s"),
)

# In-page timing of one Step: click, then wait until every chart has drawn its new data (each
# chart's element carries the stamp of the data it drew last, ``data-rendered``).
STEP_JS = """async (timeoutMs) => {
  const stamps = () => Array.from(document.querySelectorAll("[class*=chart-] [data-rendered]"))
    .map(el => el.dataset.rendered);
  const before = stamps();
  const button = Array.from(document.querySelectorAll("button"))
    .find(b => b.textContent.trim() === "Step");
  if (!button || button.disabled) return -1;
  const t0 = performance.now();
  return await new Promise(resolve => {
    const done = () => {
      const now = stamps();
      return now.length === before.length && now.every((s, i) => s !== before[i]);
    };
    const observer = new MutationObserver(() => {
      if (done()) { observer.disconnect(); clearTimeout(timer); resolve(performance.now() - t0); }
    });
    const timer = setTimeout(() => { observer.disconnect(); resolve(-1); }, timeoutMs);
    observer.observe(document.body, {subtree: true, childList: true, attributes: true,
                                     attributeFilter: ["data-rendered"]});
    button.click();
  });
}"""

# The month the status line shows ("classroom, seed 1: 2024-06"), "" before the first step.
STATUS_MONTH_JS = """() => {
  const m = document.body.textContent.match(/seed \\d+: (\\d{4}-\\d{2})/);
  return m ? m[1] : "";
}"""


def find_chromium() -> str | None:
    """The browser to drive: ``LITHIUM_ABM_CHROMIUM``, then Debian's paths, then the PATH."""
    override = os.environ.get(CHROMIUM_ENV, "").strip()
    if override:
        return override
    for path in KNOWN_CHROMIUM:
        if os.access(path, os.X_OK):
            return path
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tree_sum(pid: int, measure) -> float:
    """``measure(process)`` summed over a process and all its descendants (0 if it is gone)."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += measure(proc)
    return total


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB (0 if it is gone)."""
    return _tree_sum(pid, lambda proc: proc.memory_info().rss) / MB


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process and its descendants have used (0 if gone)."""
    return _tree_sum(pid, lambda proc: sum(proc.cpu_times()[:2]))


def browser_cpu_s() -> float:
    """CPU seconds used so far by this user's Chromium processes (the benchmark's browser)."""
    import psutil

    total = 0.0
    for proc in psutil.process_iter(["name", "cpu_times"]):
        name = proc.info.get("name") or ""
        if name.startswith(("chromium", "headless_shell", "chrome")) and proc.info["cpu_times"]:
            total += proc.info["cpu_times"].user + proc.info["cpu_times"].system
    return total


class PeakMemory:
    """Samples a process tree's RSS in a thread until stopped; keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_mb = tree_rss_mb(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(MEMORY_POLL_S):
            self.peak_mb = max(self.peak_mb, tree_rss_mb(self.pid))

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, tree_rss_mb(self.pid))


# --- the server -----------------------------------------------------------------------------


def start_server(port: int, max_sessions: int, log: Path) -> subprocess.Popen:
    """The dashboard's server, as ``lithium-abm dashboard`` runs it, in its own process group."""
    from lithium_abm.cli_dashboard import server_command, server_env
    from lithium_abm.experiments.dashboard import DEFAULT_SCENARIO
    from lithium_abm.experiments.parent_death import preexec

    env = server_env(DEFAULT_SCENARIO, "", max_sessions)
    with log.open("w") as out:
        return subprocess.Popen(
            server_command("127.0.0.1", port, open_browser=False),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own group: stop_server ends every process in it
            preexec_fn=preexec,  # and it dies with us, even on SIGKILL
        )


def wait_ready(proc: subprocess.Popen, url: str, log: Path) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.perf_counter() + SERVER_START_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the dashboard server exited with {proc.returncode}:\n{tail}")
        if time.perf_counter() > deadline:
            raise RuntimeError(f"the dashboard server did not answer in {SERVER_START_TIMEOUT_S} s")
        try:
            with opener.open(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)


def stop_server(proc: subprocess.Popen) -> bool:
    """End the server's whole process group; True when nothing of it is left."""
    for sig, wait_s in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            continue
        if not group_alive(proc.pid):
            return True
    return not group_alive(proc.pid)


def group_alive(pgid: int) -> bool:
    """Whether any process of the group ``pgid`` still runs (zombies do not count)."""
    import psutil

    for proc in psutil.process_iter(["pid"]):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                return True
    return False


# --- the browser side -----------------------------------------------------------------------


async def open_session(browser: Any, url: str) -> tuple[Any, Any]:
    """A new browser context (a new student) on the dashboard, once its charts are there."""
    context = await browser.new_context(viewport={"width": 1280, "height": 720})
    page = await context.new_page()
    await page.goto(url, timeout=OPEN_TIMEOUT_MS)
    await page.wait_for_function(
        "() => document.querySelectorAll('[class*=chart-] [data-rendered]').length === 4 && "
        "document.body.textContent.includes('seed 1: start')",
        timeout=OPEN_TIMEOUT_MS,
        polling=200,
    )
    return context, page


async def step_times(page: Any, months: int) -> list[float]:
    """Press Step ``months`` times; seconds from each click to all four charts replaced
    (a step that failed or timed out is ``nan``)."""
    times = []
    for _ in range(months):
        ms = await page.evaluate(STEP_JS, STEP_TIMEOUT_MS)
        times.append(ms / 1000.0 if ms >= 0 else float("nan"))
    return times


async def wait_month(page: Any, month: str) -> None:
    """Until the status line shows ``month`` or later."""
    await page.wait_for_function(
        f"() => ({STATUS_MONTH_JS})() >= {month!r}", timeout=OPEN_TIMEOUT_MS, polling=50
    )


async def reset(page: Any) -> None:
    await page.get_by_role("button", name="Reset", exact=True).click()
    await page.wait_for_function(
        "() => document.body.textContent.includes('seed 1: start')", timeout=OPEN_TIMEOUT_MS
    )


async def play_to(page: Any, month: str) -> float:
    """Seconds from pressing Play at the start to the status line reaching ``month``."""
    await reset(page)
    started = time.perf_counter()
    await page.get_by_role("button", name="Play", exact=True).click()
    await wait_month(page, month)
    elapsed = time.perf_counter() - started
    await page.get_by_role("button", name="Pause", exact=True).click()
    return elapsed


async def run_to(page: Any, month: str) -> float:
    """Seconds from "Go" (run to ``month``) at the start to the status line reaching it."""
    await reset(page)
    await page.get_by_label("Any month (YYYY-MM)").fill(month)
    started = time.perf_counter()
    await page.get_by_role("button", name="Go", exact=True).click()
    await wait_month(page, month)
    return time.perf_counter() - started


async def drive(
    url: str, chromium: str, pid: int, sessions: int, months: int, settle_s: float, to_month: str
) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    results: dict[str, Any] = {}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            results["load_avg_1m_class"] = os.getloadavg()[0]
            with PeakMemory(pid) as peak:
                opened = await asyncio.gather(
                    *(open_session(browser, url) for _ in range(sessions))
                )
                results["class_open_mb"] = tree_rss_mb(pid)
                server_cpu, browser_cpu = tree_cpu_s(pid), browser_cpu_s()
                steps = await asyncio.gather(*(step_times(page, months) for _, page in opened))
                results["class_server_cpu_s"] = tree_cpu_s(pid) - server_cpu
                results["class_browser_cpu_s"] = browser_cpu_s() - browser_cpu
            results["peak_mb"] = peak.peak_mb
            for context, _ in opened:
                await context.close()
            await asyncio.sleep(settle_s)
            results["after_close_mb"] = tree_rss_mb(pid)
            results["class_steps_s"] = [s for session in steps for s in session]

            results["load_avg_1m_single"] = os.getloadavg()[0]
            context, page = await open_session(browser, url)
            results["single_steps_s"] = await step_times(page, months)
            results["play_to_s"] = await play_to(page, to_month)
            results["run_to_s"] = await run_to(page, to_month)
            await context.close()
        finally:
            await browser.close()
    return results


# --- the benchmark --------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    finite = [v for v in values if v == v]
    return statistics.median(finite) if finite else float("nan")


def _quantile(values: list[float], q: float) -> float:
    finite = sorted(v for v in values if v == v)
    if not finite:
        return float("nan")
    return finite[min(len(finite) - 1, int(q * len(finite)))]


def run_dashboard_bench(
    sessions: int = 30,
    months: int = 10,
    settle_s: float = 30.0,
    to_month: str = "2024-06",
    out: Path | None = None,
) -> tuple[str, dict[str, Any]]:
    """Run the benchmark (see module doc); returns the table and the figures (also to ``out``)."""
    import json
    import platform

    from lithium_abm.experiments.runner import write_text_atomic

    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError(
            f"bench --dashboard needs Chromium: set {CHROMIUM_ENV} or "
            "`apt-get install chromium-headless-shell`"
        )
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="lithium-bench-dashboard-") as tmp:
        log = Path(tmp) / "server.log"
        proc = start_server(port, max_sessions=sessions + 2, log=log)
        try:
            wait_ready(proc, url, log)
            time.sleep(1.0)
            idle_mb = tree_rss_mb(proc.pid)
            measured = asyncio.run(
                drive(url, chromium, proc.pid, sessions, months, settle_s, to_month)
            )
        finally:
            server_left = not stop_server(proc)
    class_steps = measured.pop("class_steps_s")
    single_steps = measured.pop("single_steps_s")
    results: dict[str, Any] = {
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_1m_start": load_start,
            "load_avg_1m_class": measured.pop("load_avg_1m_class"),
            "load_avg_1m_single": measured.pop("load_avg_1m_single"),
            "load_avg_1m_end": os.getloadavg()[0],
        },
        "sessions": sessions,
        "months": months,
        "settle_s": settle_s,
        "to_month": to_month,
        "idle_mb": idle_mb,
        **measured,
        "after_close_vs_idle": measured["after_close_mb"] / idle_mb if idle_mb else float("nan"),
        "class_steps": len(class_steps),
        "class_steps_failed": sum(1 for s in class_steps if s != s),
        "class_step_median_s": _median(class_steps),
        "class_step_p90_s": _quantile(class_steps, 0.9),
        "class_step_max_s": max((s for s in class_steps if s == s), default=float("nan")),
        "single_step_median_s": _median(single_steps),
        "single_step_max_s": max((s for s in single_steps if s == s), default=float("nan")),
        "server_pid": proc.pid,
        "port": port,
        "server_left": server_left,
    }
    results["goals"] = {
        g.key: {"limit": g.limit, "met": bool(results[g.key] <= g.limit)} for g in GOALS
    }
    if out is not None:
        write_text_atomic(out, json.dumps(results, indent=2) + "\n")
    return format_dashboard_bench(results), results


def format_dashboard_bench(r: dict[str, Any]) -> str:
    """The figures as a short table, each goal beside its figure."""
    m = r["machine"]
    idle = r["idle_mb"]
    shown = {
        "class_step_median_s": f"{r['class_step_median_s']:.2f} s",
        "peak_mb": f"{r['peak_mb']:,.0f} MB",
        "after_close_vs_idle": f"{r['after_close_mb']:,.0f} MB "
        f"({r['after_close_vs_idle'] - 1:+.0%})",
        "single_step_median_s": f"{r['single_step_median_s']:.3f} s",
        "play_to_s": f"{r['play_to_s']:.1f} s",
    }
    lines = [
        f"Dashboard: {r['sessions']} sessions x {r['months']} steps; {m['cores']} cores, "
        f"load {m['load_avg_1m_start']:.2f} at start, {m['load_avg_1m_class']:.2f} before the "
        f"class, {m['load_avg_1m_single']:.2f} before the single session, "
        f"{m['load_avg_1m_end']:.2f} at end",
        "",
        f"{'figure':<34}{'measured':>18}  {'goal':<10} met",
        f"{'server memory: idle':<34}{idle:>15,.0f} MB",
    ]
    for goal in GOALS:
        met = "yes" if r["goals"][goal.key]["met"] else "NO"
        label = goal.label.replace("class", f"{r['sessions']} sessions")
        if goal.key == "after_close_vs_idle":
            label = f"memory {r['settle_s']:g} s after close"
        if goal.key == "play_to_s":
            label = f"2015 -> {r['to_month']} with Play"
        lines.append(f"{label:<34}{shown[goal.key]:>18}  {goal.text:<10} {met}")
        if goal.key == "class_step_median_s":
            lines.append(
                f"{'  p90 / max step':<34}"
                f"{r['class_step_p90_s']:>9.2f} / {r['class_step_max_s']:.2f} s"
                + (f"  ({r['class_steps_failed']} failed)" if r["class_steps_failed"] else "")
            )
    steps = max(1, r["class_steps"])
    lines.append(
        f"{'  CPU per class step: server':<34}{1000 * r['class_server_cpu_s'] / steps:>15.0f} ms"
    )
    lines.append(
        f"{'  CPU per class step: browsers':<34}{1000 * r['class_browser_cpu_s'] / steps:>15.0f} ms"
    )
    lines.append(f"{'2015 -> ' + r['to_month'] + ' with run to':<34}{r['run_to_s']:>16.1f} s")
    lines.append(
        "server process left after the command: " + ("YES (a bug)" if r["server_left"] else "none")
    )
    return "\n".join(lines)
