"""The classroom dashboard, tested as a person uses it: a real server and a headless Chromium.

The server is started through ``lithium-abm dashboard`` on a free port. The browser is the
system Chromium (Debian's ``chromium-headless-shell``, installed by ``.ci/run``), because
Playwright cannot download its own browser here; ``LITHIUM_ABM_CHROMIUM`` overrides the path.
Every request the page makes is recorded and anything not bound for 127.0.0.1 is aborted, so
the test also proves the dashboard works without internet.

Set ``LITHIUM_ABM_SCREENSHOT=docs/img/dashboard.png`` to also save the README screenshot (it
plays the market into the bust first, which takes about a minute).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from lithium_abm.cli_dashboard import server_command

CHROMIUM_ENV = "LITHIUM_ABM_CHROMIUM"
SCREENSHOT_ENV = "LITHIUM_ABM_SCREENSHOT"
KNOWN_CHROMIUM = (
    "/usr/lib/chromium/chromium-headless-shell",
    "/usr/lib/chromium/chromium",
    "/usr/bin/chromium-headless-shell",
    "/usr/bin/chromium",
)
CHROMIUM_NAMES = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")
SERVER_START_TIMEOUT_S = 90.0
UI_TIMEOUT_MS = 60_000
CHARTS = 4  # prices, production, loss-making share, cost curve
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def find_chromium() -> str | None:
    """The browser to drive: the env override, then Debian's paths, then the PATH."""
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def chromium() -> str:
    pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    path = find_chromium()
    if path is None:
        pytest.skip(
            f"no Chromium found (set {CHROMIUM_ENV}, or `apt-get install chromium-headless-shell`)"
        )
    return path


class ProxyTrap:
    """A local socket the server's proxy variables point at: every connection is an attempt
    to reach outside (requests sends even HTTPS through HTTPS_PROXY with CONNECT)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.attempts: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(1.0)
                with contextlib.suppress(OSError):
                    self.attempts.append(conn.recv(200))

    def env(self) -> dict[str, str]:
        url = f"http://127.0.0.1:{self.port}"
        names = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")
        env = {k: v for k, v in os.environ.items() if k.lower() != "no_proxy"}
        return env | dict.fromkeys(names, url)


@pytest.fixture(scope="module")
def proxy_trap() -> Iterator[ProxyTrap]:
    trap = ProxyTrap()
    yield trap
    trap.sock.close()


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory: pytest.TempPathFactory, proxy_trap: ProxyTrap) -> Iterator[str]:
    """Start ``lithium-abm dashboard`` on a free port, its proxy variables pointed at the trap,
    and wait until it answers."""
    port = _free_port()
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    cmd = [sys.executable, "-m", "lithium_abm", "dashboard", "--no-open", "--port", str(port)]
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path_factory.getbasetemp(),
            start_new_session=True,  # its own process group, so nothing can outlive the test
            env=proxy_trap.env(),
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"dashboard exited with {proc.returncode}:\n{log.read_text()}")
            if time.perf_counter() - started > SERVER_START_TIMEOUT_S:
                pytest.fail(f"dashboard did not answer in {SERVER_START_TIMEOUT_S} s")
            try:
                with _local_get(url) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        print(f"dashboard answered after {time.perf_counter() - started:.1f} s")
        assert f"at {url.rstrip('/')}" in log.read_text(), "the command prints the URL"
        yield url
    finally:
        proc.terminate()  # as a service manager would; the command must stop its server
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        server_gone = _wait_closed(port)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of this test's server
    assert server_gone, "the Solara server outlived `lithium-abm dashboard` after SIGTERM"


def _local_get(url: str):
    """GET without any proxy (the test process's own environment may name one)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return opener.open(url, timeout=5)


def _wait_closed(port: int, timeout_s: float = 15.0) -> bool:
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return True
        time.sleep(0.3)
    return False


def _is_local(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in ("data", "blob", "about"):
        return True
    return parsed.hostname in LOCAL_HOSTS


def _open(browser, url: str, external: list[str]):
    """A fresh browser context (a new session) on the dashboard; outside requests are cut."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})

    def guard(route) -> None:
        if _is_local(route.request.url):
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.on("websocket", lambda ws: None if _is_local(ws.url) else external.append(ws.url))
    page.goto(url)
    page.get_by_text("Time: 0.0").wait_for(timeout=UI_TIMEOUT_MS)
    page.locator("img").nth(CHARTS - 1).wait_for(timeout=UI_TIMEOUT_MS)
    return context, page


def _charts(page) -> list[bytes]:
    """The pixels of each chart as shown (image URLs are fresh blobs after every update).

    A chart replaced while it is being captured detaches its element; capture again then.
    """
    from playwright.sync_api import Error as PlaywrightError

    for attempt in range(10):
        images = page.locator("img")
        try:
            return [images.nth(i).screenshot(animations="disabled") for i in range(images.count())]
        except PlaywrightError:
            if attempt == 9:
                raise
            page.wait_for_timeout(300)
    raise AssertionError("unreachable")


def _wait_for_new_charts(page, before: list[bytes]) -> list[bytes]:
    """Charts arrive a moment after the step counter; poll until all differ or time runs out."""
    deadline = time.perf_counter() + UI_TIMEOUT_MS / 1000
    while True:
        after = _charts(page)
        changed = len(after) == len(before) and all(map(bytes.__ne__, after, before))
        if changed or time.perf_counter() > deadline:
            return after
        page.wait_for_timeout(300)


def _step(page, times: int, start: int) -> None:
    for n in range(start + 1, start + times + 1):
        page.get_by_role("button", name="Step").click()
        page.get_by_text(f"Time: {n}.0").wait_for(timeout=UI_TIMEOUT_MS)


def test_dashboard_steps_resets_and_keeps_sessions_apart(chromium: str, dashboard_url: str) -> None:
    """Step, watch every chart change, open a second session, reset it to another scenario."""
    from playwright.sync_api import sync_playwright

    external: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            first_ctx, first = _open(browser, dashboard_url, external)
            before = _charts(first)
            assert len(before) == CHARTS
            first.get_by_text("classroom, seed 1: start").wait_for(timeout=UI_TIMEOUT_MS)

            _step(first, 3, start=0)
            first.get_by_text("classroom, seed 1: 2015-03").wait_for(timeout=UI_TIMEOUT_MS)
            after = _wait_for_new_charts(first, before)
            assert all(a != b for a, b in zip(after, before, strict=True)), "every chart changed"

            # A second session starts its own market at time zero, and stepping it leaves the
            # first one alone.
            second_ctx, second = _open(browser, dashboard_url, external)
            second.get_by_text("classroom, seed 1: start").wait_for(timeout=UI_TIMEOUT_MS)
            _step(second, 1, start=0)
            assert first.get_by_text("Time: 3.0").is_visible()
            assert first.get_by_text(re.compile(r"seed 1: 2015-03")).is_visible()

            # Reset in the second session with another scenario: a new market from time zero.
            second.get_by_text("classroom", exact=True).click()
            second.get_by_role("option", name="baseline").click()
            second.get_by_role("button", name="Reset").click()
            second.get_by_text("baseline, seed 1: start").wait_for(timeout=UI_TIMEOUT_MS)
            second.get_by_text("Time: 0.0").wait_for(timeout=UI_TIMEOUT_MS)
            _step(second, 1, start=0)
            second.get_by_text("baseline, seed 1: 2015-01").wait_for(timeout=UI_TIMEOUT_MS)

            if os.environ.get(SCREENSHOT_ENV):
                _screenshot(first, Path(os.environ[SCREENSHOT_ENV]))
            second_ctx.close()
            first_ctx.close()
        finally:
            browser.close()
    assert external == [], f"the page tried to reach outside hosts: {external[:5]}"


def _screenshot(page, path: Path) -> None:
    """Play the market into the 2024 bust and save the README screenshot."""
    page.get_by_role("button", name="▶").click()
    page.get_by_text(re.compile(r"seed 1: 2024-0[6-9]")).wait_for(timeout=600_000)
    page.get_by_role("button", name="❚❚").click()
    page.set_viewport_size({"width": 1400, "height": 1250})
    page.get_by_text("Page 0").scroll_into_view_if_needed()
    page.wait_for_timeout(1500)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))


def test_server_never_fetches_from_the_internet(
    chromium: str, dashboard_url: str, proxy_trap: ProxyTrap
) -> None:
    """Load the page and ask the CDN proxy for a file Solara would fetch from a public CDN:
    a 404, and not one connection reaches the proxy trap."""
    import urllib.error

    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            context, page = _open(browser, dashboard_url, [])
            _step(page, 2, start=0)
            context.close()
        finally:
            browser.close()
    for path in ("katex@0.16.9/dist/katex.min.js", "left-pad@1.3.0/index.js", "lodash"):
        with pytest.raises(urllib.error.HTTPError) as err:
            _local_get(f"{dashboard_url}_solara/cdn/{path}")
        assert err.value.code == 404
    with _local_get(f"{dashboard_url}_solara/cdn/requirejs@2.3.6/require.js") as installed:
        assert installed.status == 200  # what solara-assets installs is still served
    time.sleep(1.0)
    assert proxy_trap.attempts == [], f"the server tried to connect out: {proxy_trap.attempts}"


def test_access_code_is_generated_off_localhost() -> None:
    from lithium_abm.cli import CliError
    from lithium_abm.cli_dashboard import _code, server_env

    assert _code(None, public=False) == ""
    generated = _code(None, public=True)
    assert len(generated) >= 6 and generated[-2:].isdigit()
    assert _code("salar", public=True) == "salar"
    with pytest.raises(CliError, match="--code"):
        _code("two words", public=True)
    env = server_env("classroom", "salar", 30)
    assert env["LITHIUM_ABM_DASHBOARD_CODE"] == "salar"
    assert env["SOLARA_KERNEL_CULL_TIMEOUT"] == "20s"  # not Solara's 24 hours


def test_server_command_is_offline_and_local() -> None:
    """The server never checks for updates and serves the installed app module."""
    cmd = server_command("127.0.0.1", 8765, open_browser=False)
    assert "--no-check-version" in cmd and "--no-open" in cmd and "--production" in cmd
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"


def test_levers_follow_the_parameter_registry() -> None:
    """Sliders span each parameter's documented range and start at the scenario's value."""
    from lithium_abm.experiments.dashboard import LEVERS, model_params
    from lithium_abm.experiments.scenario import load_scenario
    from lithium_abm.model.parameters import PARAMETERS

    params = model_params("classroom")
    values = load_scenario("classroom").params
    for lever in LEVERS:
        slider, param = params[lever.param], PARAMETERS[lever.param]
        assert (slider["min"], slider["max"]) == (param.low, param.high)
        assert slider["value"] == values[lever.param]
    assert params["scenario_name"]["value"] == "classroom"


def test_dashboard_model_takes_levers_and_tracks_owner_losses() -> None:
    from lithium_abm.experiments.dashboard import DashboardModel

    model = DashboardModel("classroom", seed=2, demand_scale=1.5, scenario=object())
    assert model.p["demand_scale"] == 1.5 and model.time == 0.0
    for _ in range(3):
        model.step()
    assert model.time == 3.0 and model.date_label == "2015-03"
    assert len(model.loss_share_by_owner) == 3
    assert set(model.loss_share_by_owner[0]) == {"independent", "integrated", "state"}
    with pytest.raises(TypeError, match="unknown lever"):
        DashboardModel("classroom", hurdle_rate=0.1)
