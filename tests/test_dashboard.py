"""The classroom dashboard, tested as a person uses it: a real server and a headless Chromium.

The server is started through ``lithium-abm dashboard`` on a free port. The browser is the
system Chromium (Debian's ``chromium-headless-shell``, installed by ``.ci/run``), because
Playwright cannot download its own browser here; ``LITHIUM_ABM_CHROMIUM`` overrides the path.
Every request the page makes is recorded and anything not bound for 127.0.0.1 is aborted, so
the test also proves the dashboard works without internet.

Set ``LITHIUM_ABM_SCREENSHOT=docs/img/dashboard.png`` to also save the README screenshot
(1280 x 720, the classroom market run to the 2024 bust).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
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
from lithium_abm.experiments.bench_dashboard import CHROMIUM_ENV, find_chromium, free_port
from lithium_abm.experiments.dashboard import levers

SCREENSHOT_ENV = "LITHIUM_ABM_SCREENSHOT"
SERVER_START_TIMEOUT_S = 90.0
UI_TIMEOUT_MS = 60_000
CHARTS = 4
CHART_NAMES = ("price", "cost_curve", "loss_share", "production")
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
LEVER_ORDER = [lever.param for lever in levers("lever") if lever.kind is not bool]  # sliders


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


@contextlib.contextmanager
def _server(log: Path, cwd: Path, env: dict[str, str], *extra: str) -> Iterator[str]:
    """``lithium-abm dashboard`` on a free port, until it answers; stopped (and checked gone)
    on exit, as a service manager stops it (SIGTERM)."""
    port = free_port()
    cmd = [sys.executable, "-m", "lithium_abm", "dashboard", "--no-open", "--port", str(port)]
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*cmd, *extra],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,  # its own process group, so nothing can outlive the test
            env=env,
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


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory: pytest.TempPathFactory, proxy_trap: ProxyTrap) -> Iterator[str]:
    """The dashboard for the browser tests, its proxy variables pointed at the trap."""
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    with _server(log, tmp_path_factory.getbasetemp(), proxy_trap.env()) as url:
        yield url


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


def _guarded(browser, external: list[str]):
    """A fresh browser context (a new session) whose requests beyond 127.0.0.1 are cut and
    recorded in ``external``."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})

    def guard(route) -> None:
        if _is_local(route.request.url):
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    return context


def _open(browser, url: str, external: list[str]):
    """A new session on the dashboard, once its four charts are drawn."""
    context = _guarded(browser, external)
    page = context.new_page()
    page.on("websocket", lambda ws: None if _is_local(ws.url) else external.append(ws.url))
    page.goto(url)
    page.get_by_text("seed 1: start").wait_for(timeout=UI_TIMEOUT_MS)
    page.wait_for_function(
        f"document.querySelectorAll('[class*=chart-] [data-rendered]').length === {CHARTS}",
        timeout=UI_TIMEOUT_MS,
    )
    return context, page


def _charts(page) -> dict[str, str]:
    """Each chart's drawn stamp (the browser sets it once it has drawn new data)."""
    return page.evaluate(
        """() => Object.fromEntries(Array.from(document.querySelectorAll("[class*=chart-]"))
            .map(el => [Array.from(el.classList).find(c => c.startsWith("chart-")),
                        el.querySelector("[data-rendered]") ?
                            el.querySelector("[data-rendered]").dataset.rendered : ""]))"""
    )


def _wait_for_charts(page, before: dict[str, str], changed: set[str]) -> dict[str, str]:
    """Poll until the ``changed`` charts are drawn anew (the others are then compared)."""
    deadline = time.perf_counter() + UI_TIMEOUT_MS / 1000
    while True:
        after = _charts(page)
        if all(after[c] != before[c] for c in changed) or time.perf_counter() > deadline:
            page.wait_for_timeout(500)  # a chart that should not change has time to (wrongly)
            return _charts(page)
        page.wait_for_timeout(100)


def _status(page, text: str) -> None:
    page.get_by_text(re.compile(re.escape(text))).first.wait_for(timeout=UI_TIMEOUT_MS)


def _step(page, times: int) -> None:
    for _ in range(times):
        button = page.get_by_role("button", name="Step", exact=True)
        before = _charts(page)["chart-price"]
        button.click()
        page.wait_for_function(
            "s => document.querySelector('.chart-price [data-rendered]').dataset.rendered !== s",
            arg=before,
            timeout=UI_TIMEOUT_MS,
        )


def _choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the Vuetify menu whose label is ``label``."""
    page.locator(".v-select").filter(has_text=label).locator(".v-select__slot").click()
    page.get_by_role("option", name=option, exact=True).click()


def test_dashboard_steps_and_keeps_sessions_apart(chromium: str, dashboard_url: str) -> None:
    """Step, watch every chart change, open a second session, step it: the first stays put."""
    from playwright.sync_api import sync_playwright

    external: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            first_ctx, first = _open(browser, dashboard_url, external)
            before = _charts(first)
            assert set(before) == {f"chart-{c}" for c in CHART_NAMES}
            _step(first, 3)
            _status(first, "classroom, seed 1: 2015-03")
            after = _wait_for_charts(first, before, set(before))
            assert all(after[c] != before[c] for c in before), "every chart changed"

            second_ctx, second = _open(browser, dashboard_url, external)
            _step(second, 1)
            _status(second, "classroom, seed 1: 2015-01")
            assert first.get_by_text(re.compile("seed 1: 2015-03")).is_visible()
            if os.environ.get(SCREENSHOT_ENV):
                _screenshot(first, Path(os.environ[SCREENSHOT_ENV]))
            second_ctx.close()
            first_ctx.close()
        finally:
            browser.close()
    assert external == [], f"the page tried to reach outside hosts: {external[:5]}"


def test_a_lecturer_screen(chromium: str, dashboard_url: str) -> None:
    """What a lecturer in front of a class meets, in the order they meet it: the tab title, a
    1280 x 720 screen with all four charts and the cost curve in the first row, no framework
    internals, sliders with values and units, a scenario menu that re-syncs every lever, run-to
    buttons and any month, and a counterfactual overlay that redraws only its two charts."""
    from playwright.sync_api import sync_playwright

    from lithium_abm.experiments.dashboard import TITLE

    external: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            context, page = _open(browser, dashboard_url, external)
            assert page.title() == TITLE

            # Fits 1280 x 720: every chart entirely on screen, price and cost curve on top.
            boxes = {c: page.locator(f".chart-{c} canvas").bounding_box() for c in CHART_NAMES}
            for chart, box in boxes.items():
                assert box is not None and box["width"] > 300, chart
                assert box["x"] >= 0 and box["x"] + box["width"] <= 1280, (chart, box)
                assert box["y"] >= 0 and box["y"] + box["height"] <= 720, (chart, box)
            assert boxes["price"]["y"] == boxes["cost_curve"]["y"] < boxes["loss_share"]["y"]

            # Solara's busy bar keeps its static track but not its moving bars (which, under
            # a class, the browsers spent about a third of their CPU animating). They exist only
            # while the server is busy, so one is put where Vuetify puts them.
            shown = page.evaluate(
                """() => Array.from(document.querySelectorAll(
                    ".v-application--wrap > .v-progress-linear")).map(bar => {
                        const track = bar.querySelector(".v-progress-linear__background");
                        const moving = document.createElement("div");
                        moving.className = "v-progress-linear__indeterminate";
                        bar.appendChild(moving);
                        const shown = [getComputedStyle(moving).display,
                                       getComputedStyle(track).display];
                        moving.remove();
                        return shown;
                    })"""
            )
            assert shown == [["none", "block"]], shown

            body = page.inner_text("body")
            for internal in ("Play Interval", "Render Interval", "Use Threads", "Page 0"):
                assert internal.lower() not in body.lower(), internal

            # Sliders show their values with units; moving one says Reset applies it.
            page.get_by_text("Max subsidy: 3,000 USD/t LCE").wait_for(timeout=UI_TIMEOUT_MS)
            assert "press Reset" not in body
            slider = page.locator(".v-slider").nth(
                1 + LEVER_ORDER.index("max_subsidy_usd_t")
            )  # after the seed
            slider.locator("[role=slider]").focus()
            page.keyboard.press("ArrowRight")
            page.get_by_text("Max subsidy: 3,100 USD/t LCE").wait_for(timeout=UI_TIMEOUT_MS)
            page.get_by_text(re.compile("press Reset")).wait_for(timeout=UI_TIMEOUT_MS)

            # The scenario menu re-syncs every lever (trade_war: US tariff 0.5, not 0.25) and
            # starts that scenario's market.
            page.get_by_text("Tariff US: 0.25 share of value").wait_for(timeout=UI_TIMEOUT_MS)
            _choose(page, "Scenario", "trade_war")
            _status(page, "trade_war, seed 1: start")
            page.get_by_text("Tariff US: 0.5 share of value").wait_for(timeout=UI_TIMEOUT_MS)
            page.get_by_text("Max subsidy: 3,000 USD/t LCE").wait_for(timeout=UI_TIMEOUT_MS)
            assert not page.get_by_text(re.compile("press Reset")).is_visible()
            _choose(page, "Scenario", "classroom")
            _status(page, "classroom, seed 1: start")

            # Run to the bust, to any month (also back in time), and a wrong month is one line.
            page.get_by_role("button", name="2024 bust").click()
            _status(page, "classroom, seed 1: 2024-06")
            page.get_by_label("Any month (YYYY-MM)").fill("2016-05")
            page.get_by_role("button", name="Go").click()
            _status(page, "classroom, seed 1: 2016-05")
            page.get_by_label("Any month (YYYY-MM)").fill("2031-01")
            page.get_by_role("button", name="Go").click()
            page.get_by_text("month: expected YYYY-MM between 2015-01 and 2027-12").wait_for(
                timeout=UI_TIMEOUT_MS
            )
            page.get_by_role("button", name="2022 peak").click()
            _status(page, "classroom, seed 1: 2022-11")

            # The counterfactual overlay: only the price and loss-share charts are redrawn.
            before = _charts(page)
            _choose(page, "Compare with", "without integration and state support")
            after = _wait_for_charts(page, before, {"chart-price", "chart-loss_share"})
            assert after["chart-price"] != before["chart-price"]
            assert after["chart-loss_share"] != before["chart-loss_share"]
            assert after["chart-cost_curve"] == before["chart-cost_curve"]
            assert after["chart-production"] == before["chart-production"]
            context.close()
        finally:
            browser.close()
    assert external == [], f"the page tried to reach outside hosts: {external[:5]}"


def _price_chart_at(page, scenario: str, month: str) -> bytes:
    """Run this session's market to ``month`` and return the price chart as drawn (PNG)."""
    before = _charts(page)
    page.get_by_label("Any month (YYYY-MM)").fill(month)
    page.get_by_role("button", name="Go").click()
    _status(page, f"{scenario}, seed 1: {month}")
    _wait_for_charts(page, before, {"chart-price"})
    return page.locator(".chart-price canvas").screenshot()


def test_the_tariff_lever_moves_the_regional_price_chart(chromium: str, dashboard_url: str) -> None:
    """In the regional markets a tariff enters the traders' costs and so the prices: raising
    the US tariff visibly moves the price chart (the rest of the world's chemical line),
    while the same market run again draws the same picture."""
    from playwright.sync_api import sync_playwright

    external: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            context, page = _open(browser, dashboard_url, external)
            _choose(page, "Scenario", "trade_war")
            _status(page, "trade_war, seed 1: start")
            drawn = _price_chart_at(page, "trade_war", "2023-06")

            page.get_by_role("button", name="Reset").click()
            _status(page, "trade_war, seed 1: start")
            assert _price_chart_at(page, "trade_war", "2023-06") == drawn  # same market

            slider = page.locator(".v-slider").nth(1 + LEVER_ORDER.index("tariff_us"))
            slider.locator("[role=slider]").focus()
            page.keyboard.press("End")
            page.get_by_text("Tariff US: 2 share of value").wait_for(timeout=UI_TIMEOUT_MS)
            page.get_by_role("button", name="Reset").click()
            _status(page, "trade_war, seed 1: start")
            assert _price_chart_at(page, "trade_war", "2023-06") != drawn
            context.close()
        finally:
            browser.close()
    assert external == [], f"the page tried to reach outside hosts: {external[:5]}"


def _screenshot(page, path: Path) -> None:
    """Run the market into the 2024 bust and save the README screenshot at 1280 x 720."""
    page.get_by_role("button", name="2024 bust").click()
    _status(page, "seed 1: 2024-06")
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
            _step(page, 2)
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


def test_access_code_class_limit_and_freed_sessions(
    chromium: str, tmp_path: Path, proxy_trap: ProxyTrap
) -> None:
    """With ``--code`` a browser sees nothing until the code is typed, and a wrong code is
    refused; with ``--max-sessions 1`` a second browser is told the class is full; once the
    first closes, its session is freed (here after a 2 s cull timeout) and a new one gets in."""
    from playwright.sync_api import sync_playwright

    env = proxy_trap.env() | {"SOLARA_KERNEL_CULL_TIMEOUT": "2s"}
    args = ("--code", "salar", "--max-sessions", "1")
    external: list[str] = []
    with _server(tmp_path / "server.log", tmp_path, env, *args) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            first = _guarded(browser, external)
            page = first.new_page()
            page.goto(url)
            code_box = page.get_by_label("Access code (on the board)")
            code_box.wait_for(timeout=UI_TIMEOUT_MS)
            assert page.locator("[class*=chart-]").count() == 0
            code_box.fill("salt")
            code_box.press("Enter")
            page.get_by_text("Wrong code, try again.").wait_for(timeout=UI_TIMEOUT_MS)
            assert page.locator("[class*=chart-]").count() == 0
            assert not page.get_by_role("button", name="Step", exact=True).is_visible()
            code_box.fill("salar")
            code_box.press("Enter")
            page.get_by_text("seed 1: start").wait_for(timeout=UI_TIMEOUT_MS)

            second = _guarded(browser, external)
            other = second.new_page()
            other.goto(url)
            other.get_by_text(re.compile("The class is full")).wait_for(timeout=UI_TIMEOUT_MS)
            second.close()
            first.close()

            deadline = time.perf_counter() + 60
            while True:  # the closed sessions are culled, then a new browser gets in
                third = _guarded(browser, external)
                late = third.new_page()
                late.goto(url)
                late.wait_for_timeout(1500)
                if late.get_by_label("Access code (on the board)").is_visible():
                    break
                third.close()
                assert time.perf_counter() < deadline, "closed sessions were never freed"
                time.sleep(2)
            third.close()
        finally:
            browser.close()
    assert external == [], f"the page tried to reach outside hosts: {external[:5]}"


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
    assert env["MALLOC_ARENA_MAX"] == "2"  # one arena per session thread would keep its pages
    assert env["PYTHONMALLOC"] == "malloc"  # so that malloc_trim can return a session's pages


def test_closing_a_session_returns_its_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hook Solara runs when a session's kernel closes has the trim thread, which belongs
    to no session, collect and return the memory; sessions closing together trim once."""
    from lithium_abm.experiments import dashboard

    calls: list[threading.Thread] = []
    trimmed = threading.Event()

    def record() -> None:
        calls.append(threading.current_thread())
        trimmed.set()

    woken: list[int] = []
    monkeypatch.setattr(dashboard, "TRIM_DELAY_S", 0.2)
    monkeypatch.setattr(dashboard, "IDLE_THREAD_S", 0.6)
    monkeypatch.setattr(dashboard, "return_freed_memory", record)
    monkeypatch.setattr(dashboard, "wake_thread_pool", lambda: woken.append(len(calls)) or True)
    on_close = dashboard._on_kernel_start()
    on_close()
    on_close()
    assert trimmed.wait(5.0), "closing a session did not trigger return_freed_memory"
    time.sleep(0.3)
    assert len(calls) == 1 and calls[0].name == "trim"
    assert woken == [0]  # the idle pool threads are ended before the trim
    time.sleep(1.2)
    assert len(calls) == 2 and woken == [0, 1]  # and once more, when the rest have idled
    assert getattr(calls[0], "current_context", None) is None  # holds no session alive
    monkeypatch.undo()
    dashboard.return_freed_memory()  # the real trim runs without error on this system


def test_waking_the_thread_pool_asks_this_server_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """``wake_thread_pool`` requests a static file from the server's own port on loopback, and
    says whether anything answered (a 404 is an answer: the lookup ran)."""
    import http.server

    from lithium_abm.experiments import dashboard

    paths: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            paths.append(self.path)
            self.send_error(404)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # would fail if used
        monkeypatch.setenv("SERVER_NAME", "0.0.0.0")
        monkeypatch.setenv("SERVER_PORT", str(server.server_address[1]))
        assert dashboard.wake_thread_pool() is True
        assert paths == [f"/static/{dashboard.WAKE_PATH}"]
    finally:
        server.shutdown()
        server.server_close()
    monkeypatch.setenv("SERVER_PORT", str(free_port()))  # nothing listens there
    assert dashboard.wake_thread_pool() is False
    monkeypatch.delenv("SERVER_PORT")
    assert dashboard.wake_thread_pool() is False


def test_warm_up_builds_steps_and_draws_a_market() -> None:
    """The server's warm-up at start runs the whole path of a first session."""
    from lithium_abm.experiments import dashboard

    dashboard.warm_up()


def test_server_command_is_offline_and_local() -> None:
    """The server never checks for updates and serves the installed app module."""
    cmd = server_command("127.0.0.1", 8765, open_browser=False)
    assert "--no-check-version" in cmd and "--no-open" in cmd and "--production" in cmd
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd[1:4] == ["-m", "lithium_abm.dashboard_server", "run"]


def test_server_launcher_sets_the_fast_renderer_and_no_compression(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``lithium_abm.dashboard_server`` hands its arguments to ``solara run`` after choosing
    reacton's fast renderer (unless the user chose) and switching off websocket compression
    (unless a caller asks for it)."""
    import solara.__main__
    import uvicorn

    from lithium_abm import dashboard_server

    seen: dict[str, object] = {}

    def fake_cli(argv: list[str]) -> None:
        seen["argv"] = argv
        seen["fast"] = os.environ.get("REACTON_FAST")
        seen["deflate"] = uvicorn.Config(app="x:app").ws_per_message_deflate
        asked = uvicorn.Config(app="x:app", ws_per_message_deflate=True)
        seen["asked"] = asked.ws_per_message_deflate

    monkeypatch.setattr(uvicorn.Config, "__init__", uvicorn.Config.__init__)  # undone after
    monkeypatch.setattr(solara.__main__, "cli", fake_cli)
    monkeypatch.delenv("REACTON_FAST", raising=False)
    dashboard_server.main(["run", "app", "--port", "1"])
    assert seen["argv"] == ["run", "app", "--port", "1"]
    assert seen["fast"] == "1" and seen["deflate"] is False and seen["asked"] is True

    monkeypatch.setenv("REACTON_FAST", "0")  # a user's own choice stands
    dashboard_server.main(["run", "app"])
    assert seen["fast"] == "0" and seen["deflate"] is False


def test_levers_come_from_the_registry_roles() -> None:
    """Every lever, mechanism and uncertainty of the registry is on the page, with the
    registry's range and the scenario's value; nothing else is."""
    from lithium_abm.experiments.dashboard import ALL_LEVERS, scenario_values
    from lithium_abm.experiments.scenario import load_scenario
    from lithium_abm.model.parameters import PARAMETERS, with_role

    wanted = {*with_role("lever"), *with_role("mechanism"), *with_role("uncertainty")}
    assert set(ALL_LEVERS) == wanted
    values = scenario_values("trade_war")
    params = load_scenario("trade_war").params
    for name, lever in ALL_LEVERS.items():
        p = PARAMETERS[name]
        assert lever.kind is p.kind and lever.unit == p.unit
        if p.kind is not bool:
            assert (lever.low, lever.high) == (p.low, p.high)
        assert values[name] == params[name]
    assert values["tariff_us"] == 0.5
    assert ALL_LEVERS["tariff_us"].label == "Tariff US"
    assert ALL_LEVERS["max_subsidy_usd_t"].label == "Max subsidy"


def test_session_is_a_plain_model_with_its_levers() -> None:
    """No subclass: the session runs a LithiumModel and reads its DataCollector."""
    from lithium_abm.experiments.dashboard import Session
    from lithium_abm.model.lithium_model import LithiumModel

    session = Session("classroom", seed=2)
    assert type(session.model) is LithiumModel
    session.values["demand_scale"] = 1.5
    assert session.pending
    session.new_market()
    assert session.model.p["demand_scale"] == 1.5 and not session.pending
    session.step(3)
    assert session.status() == "classroom, seed 2: 2015-03"
    collected = session.model.datacollector.get_model_vars_dataframe()
    assert len(collected) == 3
    assert list(collected["price_chemical_usd_t"]) == list(
        session.model.model_frame()["price_chemical_usd_t"]
    )


def test_scenario_change_resyncs_every_lever() -> None:
    from lithium_abm.experiments.dashboard import Session

    session = Session("classroom")
    session.values["tariff_us"] = 1.0
    session.select_scenario("environmental_crackdown")
    assert session.values["env_enforcement_cn"] == 3.0
    assert session.model.p["env_enforcement_cn"] == 3.0
    assert session.values["tariff_us"] == 0.25 and not session.pending


def test_run_to_a_month_and_back() -> None:
    from lithium_abm.experiments.dashboard import Session

    session = Session("classroom")
    session.run_to("2024-06")
    assert session.status() == "classroom, seed 1: 2024-06" and session.model.month == 113
    session.run_to("2016-05")
    assert session.model.month == 16
    for bad in ("2031-01", "2014-12", "May 2016", "2016-5"):
        with pytest.raises(ValueError, match="between 2015-01 and 2027-12"):
            session.run_to(bad)
    session.run_to("2027-12")
    assert session.done and not session.step()


def test_overlay_is_the_same_seed_without_support() -> None:
    """The counterfactual equals a run of the same scenario and seed with integration and state
    support switched off, aligned on the calendar (baseline runs to 2035)."""
    from lithium_abm.experiments.dashboard import NO_SUPPORT_OVERLAY, Session
    from lithium_abm.model.lithium_model import LithiumModel

    session = Session("classroom", seed=3)
    session.overlay_choice = NO_SUPPORT_OVERLAY
    overlay = session.overlay()
    expected = LithiumModel(
        "classroom", seed=3, integration_enabled=False, state_support_enabled=False
    ).run()
    assert list(overlay.price_chemical_usd_t) == list(
        expected.model_frame()["price_chemical_usd_t"]
    )
    assert overlay.price_chemical_usd_t != list(
        LithiumModel("classroom", seed=3).run().model_frame()["price_chemical_usd_t"]
    )
    session.overlay_choice = "baseline"
    other = session.overlay()
    assert len(other.price_chemical_usd_t) == session.model.n_months  # 2015-2027 of 2015-2035


def test_charts_redraw_only_what_changed() -> None:
    """A step gives four charts new data; a lever moved or the same step asked again, none; an
    overlay, only the price and loss-share charts."""
    from lithium_abm.experiments.dashboard import NO_SUPPORT_OVERLAY, Session
    from lithium_abm.experiments.dashboard_charts import CHARTS

    session = Session("classroom")
    charts = session.charts

    def draw() -> dict[str, str]:
        overlay = session.overlay()
        return {chart: charts.view(chart, overlay).stamp for chart in CHARTS}

    first = draw()
    assert charts.draws == 4
    session.step()
    stepped = draw()
    assert charts.draws == 8 and all(stepped[c] != first[c] for c in CHARTS)
    session.values["tariff_us"] = 1.0
    assert draw() == stepped and charts.draws == 8
    session.overlay_choice = NO_SUPPORT_OVERLAY
    overlaid = draw()
    assert charts.draws == 10
    assert {c for c in CHARTS if overlaid[c] != stepped[c]} == {"price", "loss_share"}
    assert charts.view("price", session.overlay()).spec is not charts.view("price").spec


def test_the_regional_price_chart_shows_both_zones() -> None:
    """With regional markets the price chart draws China's prices and the rest of the world's
    chemical price, which a higher US tariff lifts further above China's."""
    from lithium_abm.experiments.dashboard import Session
    from lithium_abm.experiments.dashboard_charts import ROW_CHEMICAL

    def last_row(tariff_us: float) -> dict:
        session = Session("trade_war")
        session.values["tariff_us"] = tariff_us
        session.new_market()
        session.run_to("2023-06")
        view = session.charts.view("price")
        assert ROW_CHEMICAL in json.dumps(view.spec)
        return view.data["lines"][-1]

    war, harder = last_row(0.5), last_row(2.0)
    assert war["month"] == "2023-06-01"
    assert war[ROW_CHEMICAL] > war["Chemical, China"]
    spread = [r[ROW_CHEMICAL] - r["Chemical, China"] for r in (war, harder)]
    assert spread[1] > spread[0] + 1000.0, spread
    one_market = Session("classroom").charts.view("price")
    assert ROW_CHEMICAL not in json.dumps(one_market.spec)


def _layer_data(view) -> set[str]:
    return {layer["data"]["name"] for layer in view.spec["layer"] if "name" in layer["data"]}


def test_empty_charts_show_a_hint_and_round_axes() -> None:
    """Before the first month: a hint on every chart and a round axis top (not '1 1 1 0 0 0');
    after a step, no hint. Every dataset the specification names is sent, and no other."""
    import json

    from lithium_abm.experiments.dashboard import Session
    from lithium_abm.experiments.dashboard_charts import (
        CHARTS,
        EMPTY_OUTPUT_TOP_T,
        EMPTY_PRICE_TOP_USD_T,
        nice_ceiling,
    )

    session = Session("classroom")
    charts = session.charts
    for name in CHARTS:
        view = charts.view(name)
        assert view.data["hint"] == [{"text": "Press Step, Play or a Run-to button"}], name
        assert _layer_data(view) == set(view.data), name
        json.dumps(view.spec, allow_nan=False)
    real_peak_usd_t = 590_000 / session.model.p["usd_cny"]  # the reference mark stays on screen
    top = max(EMPTY_PRICE_TOP_USD_T, real_peak_usd_t) * 1.05
    assert charts.view("price").data["extent"][0]["usd_t"] == nice_ceiling(top) == 100_000
    assert charts.view("production").data["extent"][0]["t"] == nice_ceiling(
        EMPTY_OUTPUT_TOP_T * 1.05
    )
    session.step()
    for name in CHARTS:
        view = charts.view(name)
        assert view.data["hint"] == [], name
        json.dumps(view.data, allow_nan=False)  # JSON has no NaN: gaps are null
    price = charts.view("price").data
    assert len(price["lines"]) == 1 and price["lines"][0]["month"] == "2015-01-01"
    top = price["extent"][0]["usd_t"]
    assert top >= price["lines"][0]["Chemical"] and top >= 590_000 / session.model.p["usd_cny"]


def test_cost_curve_data_is_the_supply_curve() -> None:
    """Producing mines by rising cash cost, bars side by side, coloured by resource, loss-makers
    (and only they) hatched inside their bars, the chemical price as the line."""
    from lithium_abm.experiments.dashboard import Session

    session = Session("classroom")
    session.run_to("2024-06")
    data = session.charts.view("cost_curve").data
    mines = data["mines"]
    producing = [m for m in session.model.mines if m.output_t > 0]
    assert len(mines) == len(producing) > 10
    costs = [m["cost_usd_t"] for m in mines]
    assert costs == sorted(costs)
    assert all(a["x1"] == b["x0"] for a, b in zip(mines, mines[1:], strict=False))
    assert mines[-1]["x1"] == pytest.approx(sum(m.output_t for m in producing))
    assert {m["resource"] for m in mines} <= {"Brine", "Spodumene", "Lepidolite", "Clay"}
    losing = [m for m in mines if m["loss"]]
    assert losing and any(m["resource"] == "Lepidolite" for m in losing)
    price = data["price"][0]["usd_t"]
    assert price == pytest.approx(session.model.last_price["chemical"])
    assert data["price"][0]["label"].endswith("2024-06")
    for seg in data["hatch"]:
        inside = [
            m
            for m in losing
            if m["x0"] - 1e-6 <= min(seg["x"], seg["x2"])
            and max(seg["x"], seg["x2"]) <= m["x1"] + 1e-6
            and max(seg["y"], seg["y2"]) <= m["cost_usd_t"] + 1e-6
        ]
        assert inside, seg
    assert len(data["hatch"]) >= len(losing)
    extent = data["extent"][0]
    assert extent["x"] >= mines[-1]["x1"] and extent["y"] >= max(costs[-1], price)


def test_hatch_segments_fill_a_bar_at_45_degrees() -> None:
    from lithium_abm.experiments.dashboard_charts import PLOT_ASPECT, hatch_segments

    segments = hatch_segments(100.0, 300.0, 5_000.0, x_max=1_000.0, y_max=10_000.0)
    slope = 10_000.0 / 1_000.0 * PLOT_ASPECT
    assert len(segments) >= 5
    for s in segments:
        assert 100.0 <= s["x"] < s["x2"] <= 300.0
        assert 0.0 <= s["y"] < s["y2"] <= 5_000.0 + 1e-9
        assert (s["y2"] - s["y"]) / (s["x2"] - s["x"]) == pytest.approx(slope)
    assert hatch_segments(5.0, 5.0, 1.0, 10.0, 10.0) == []  # an empty bar
    assert hatch_segments(0.0, 5.0, 0.0, 10.0, 10.0) == []


def test_vega_files_are_installed() -> None:
    """The widget loads Vega from the files solara-assets installs, at their real versions."""
    from lithium_abm.experiments.vega_widget import cdn_root, vega_libs

    libs = vega_libs()
    assert set(libs) == {"vega", "vega-lite", "vega-embed", "requirejs"}
    for path in libs.values():
        assert (cdn_root() / path).is_file(), path
    with pytest.raises(RuntimeError, match="vega: not installed"):
        vega_libs.__wrapped__(Path("/nonexistent"))


def test_nice_ceiling() -> None:
    from lithium_abm.experiments.dashboard_charts import nice_ceiling

    assert [nice_ceiling(v) for v in (0.9, 1.0, 1.2, 2.5, 7.1, 70_199.0, 84_000.0)] == [
        1.0,
        1.0,
        1.5,
        3.0,
        8.0,
        80_000.0,
        100_000.0,
    ]
    assert nice_ceiling(0.0) == 1.0 and nice_ceiling(math.nan) == 1.0


def test_default_market_shows_the_story() -> None:
    """The scenario and seed a class starts with show the bust the dashboard is about: most
    lepidolite output is made at a loss, over the 24-month bust window and at the "2024 bust"
    button's month, as the headline says."""
    from lithium_abm.experiments.dashboard import (
        DEFAULT_SCENARIO,
        DEFAULT_SEED,
        RUN_TO,
        Session,
    )
    from lithium_abm.experiments.metrics import lepidolite_loss_share_bust

    session = Session(DEFAULT_SCENARIO, seed=DEFAULT_SEED)
    session.run_to(dict(RUN_TO)["2024 bust"])
    share = session.model.datacollector.model_vars["loss_making_share_lepidolite"][-1]
    assert share >= 0.5
    assert f"Lepidolite output at a loss: {share:.0%}" in session.headline()
    session.run_to(f"{session.model.dates[-1]:%Y-%m}")
    assert lepidolite_loss_share_bust(session.model.model_frame()) >= 0.5
