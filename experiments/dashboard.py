"""The classroom dashboard: a Solara page on which a class steers a small lithium market.

Start it with ``lithium-abm dashboard`` (``solara run lithium_abm.experiments.dashboard`` also
serves it, but without the server settings of ``lithium_abm.dashboard_server``).
Design choices, and why:

- Our own page, not Mesa's SolaraViz: SolaraViz shows its internals (play interval, render
  interval, threads, a "Page 0" tab), lays charts out in a draggable grid below the fold, and its
  parameter panel cannot be re-synced when the scenario changes (the sidebar keeps the old
  slider values). Here the scenario menu re-syncs every lever, "run to" jumps to a month, and
  a counterfactual run can be overlaid.
- Each browser session builds its own ``Session`` (``solara.use_memo``), so two students never
  step each other's market; a module-level model would be shared.
- The levers are the parameters whose registry role is ``lever``, ``mechanism`` or
  ``uncertainty`` (model/parameters.py), with the registry's range, unit and type; a new
  parameter with such a role appears on the page by itself.
- The model is a plain ``LithiumModel``: the charts read its Mesa DataCollector and its mines,
  nothing is recorded twice. Charts are Vega-Lite, drawn in the browser: ``dashboard_charts``
  builds each chart's fixed specification and its monthly datasets, ``vega_widget`` swaps the
  datasets in place with the Vega files that ``solara-assets`` installs, so a step costs the
  server a few rows of JSON, not four pictures. Text is plain, not ``solara.Markdown``, which
  loads KaTeX from the CDN path. ``install_offline_guard`` makes the server's CDN proxy serve
  only what is installed.
- Sessions: the server frees a closed browser's kernel after ``CULL_TIMEOUT`` (set by the CLI)
  and then returns the freed memory to the system (``return_freed_memory``),
  at most ``MAX_SESSIONS`` markets run at once (others see a "class is full" message), and with
  an access code (``--code``) a session sees nothing until the code is typed.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import math
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import solara

from lithium_abm.cli_dashboard import CODE_ENV, MAX_SESSIONS_ENV, SCENARIO_ENV
from lithium_abm.experiments.dashboard_charts import CHARTS, ChartSet, Overlay, series
from lithium_abm.experiments.scenario import available_scenarios, load_scenario
from lithium_abm.experiments.vega_widget import VegaChart, vega_libs
from lithium_abm.model.lithium_model import LithiumModel
from lithium_abm.model.parameters import PARAMETERS, with_role

DEFAULT_SCENARIO = "classroom"
DEFAULT_SEED = 1
MAX_SEED = 99
DEFAULT_MAX_SESSIONS = 40
TITLE = "Lithium market: why mines dig at a loss"
# Play shows one month per frame: the wait is what is left of the frame after the step and the
# redraw, so 2015 to the 2024 bust (114 months) plays in about 20 s.
PLAY_FRAME_S = 0.18
# After a session's kernel closes, Python has freed its market, but glibc keeps the pages in its
# arenas; returning them a moment later brings the server back to its idle memory.
TRIM_DELAY_S = 1.0
# AnyIO ends a pool thread idle this long when the pool is next used (WorkerThread.MAX_IDLE_TIME
# is 10 s), plus a margin.
IDLE_THREAD_S = 11.0
WAKE_PATH = "sun.svg"  # a small file Solara serves from its static folder
# "Run to" targets: the real price peak (China carbonate, 2022-11) and the depth of the bust.
RUN_TO = (("2022 peak", "2022-11"), ("2024 bust", "2024-06"))
# Solara shows an animated bar while the server is busy for more than 0.3 s. Under a full class
# every page shows it through most of each step, and animating it (its bars move by left and
# right, so every frame is laid out again) cost the browsers about a third of their CPU per
# step on one machine. Only the moving bars are hidden: the bar's light track still marks
# "busy".
PAGE_CSS = (
    ".v-application--wrap > .v-progress-linear .v-progress-linear__indeterminate {display: none}"
)
# Sidebar sections: registry role -> heading. The parameters come from the registry's roles.
ROLE_SECTIONS = (
    ("lever", "Policy levers"),
    ("mechanism", "Mechanisms (switch off to see what each does)"),
    ("uncertainty", "Uncertain inputs"),
)
NO_OVERLAY = "none"
NO_SUPPORT_OVERLAY = "without integration and state support"
NO_SUPPORT_SWITCHES = {"integration_enabled": False, "state_support_enabled": False}
COUNTRY_CODES = ("cn", "us", "au", "cl", "ar")
UNIT_SUFFIXES = ("_usd_t", "_usd_yr", "_usd_kwh", "_usd", "_tpa", "_t", "_enabled", "_per_yr")


def install_offline_guard() -> None:
    """Make Solara's CDN proxy (``/_solara/cdn/<package>``) serve installed files only.

    Solara fetches any file missing from its cache from a public CDN with ``requests`` (no
    timeout) and caches it; here a missing file is a 404 and the server never connects out.
    """
    from solara.server import cdn_helper, starlette

    def cached_path(base_cache_dir: Path, path: str) -> Path:
        parts = path.replace("\\", "/").split("/")
        store = Path(path) if len(parts) != 1 else Path(path) / "__main.js"
        full = (base_cache_dir / store).resolve()
        if not full.is_relative_to(Path(base_cache_dir).resolve()) or not full.is_file():
            raise FileNotFoundError(path)  # StaticCdn turns this into a 404
        return full

    def cached_data(base_cache_dir: Path, path: str) -> bytes:
        return cached_path(base_cache_dir, path).read_bytes()

    cdn_helper.get_path = cached_path
    cdn_helper.get_data = cached_data
    starlette.get_path = cached_path


def return_freed_memory() -> None:
    """Collect the closed sessions' objects and hand glibc's free pages back to the system."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


_trim_wanted = threading.Event()
_trim_lock = threading.Lock()
_trim_thread: threading.Thread | None = None


def wake_thread_pool() -> bool:
    """Have the server's event loop hand one small job to its thread pool, so that AnyIO
    ends the worker threads idle for 10 s or more; True if the server answered.

    Each browser session's websocket runs in an AnyIO worker thread. When the session ends the
    thread stays in the pool, idle, and AnyIO ends idle threads only when the loop next uses the
    pool, which after a class nothing does: the threads and the stacks they rendered on stayed
    resident (72 threads 30 s after a class of thirty closed, most of the ~45 MB it left).
    Asking the server for a static file (looked up in the pool, whether or not it exists) is
    that next use. The request goes to this server's own port, never through a proxy.
    """
    host = os.environ.get("SERVER_NAME", "127.0.0.1")
    port = os.environ.get("SERVER_PORT")
    if not port:
        return False
    if host in ("", "0.0.0.0", "::", "localhost"):
        host = "127.0.0.1"
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/static/{WAKE_PATH}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=5) as response:
            response.read()
    except urllib.error.HTTPError:
        return True  # answered (the lookup ran in the pool)
    except OSError:
        return False
    return True


def _trim_loop() -> None:
    while True:
        _trim_wanted.wait()
        time.sleep(TRIM_DELAY_S)  # sessions closing together are trimmed once
        _trim_wanted.clear()
        # A culled session's websocket closed a cull timeout ago (20 s in class), so its
        # thread is usually idle long enough to end now; after short cull timeouts it is
        # ended on a second try, once it has been idle long enough.
        for wait_s in (0.0, IDLE_THREAD_S):
            if _trim_wanted.wait(wait_s):
                break  # more sessions closed meanwhile: start again
            if wake_thread_pool():
                time.sleep(0.2)  # the ended threads exit
            return_freed_memory()


def request_trim() -> None:
    """Ask the trim thread to return freed memory in ``TRIM_DELAY_S``.

    The thread belongs to no session: Solara's threads carry the session (kernel context) they
    were started from and keep it alive while they run, so a timer started by the closing
    session would hold that very session through the collection it is meant to allow.
    """
    global _trim_thread
    with _trim_lock:
        if _trim_thread is None or not _trim_thread.is_alive():
            _trim_thread = threading.Thread(target=_trim_loop, name="trim", daemon=True)
            _trim_thread.current_context = None  # type: ignore[attr-defined]  # no session
            _trim_thread.start()
    _trim_wanted.set()


def _on_kernel_start() -> Callable[[], None]:
    """Solara calls this per session; the function it returns runs when the session closes."""
    return request_trim


def live_sessions() -> int:
    """Browser sessions (kernels) the server holds now."""
    from solara.server import kernel_context

    return len(kernel_context.contexts)


def max_sessions() -> int:
    text = os.environ.get(MAX_SESSIONS_ENV, "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else DEFAULT_MAX_SESSIONS


def default_scenario() -> str:
    """Scenario the app starts with: the CLI's ``--scenario`` arrives through the environment."""
    return os.environ.get(SCENARIO_ENV, "").strip() or DEFAULT_SCENARIO


# --- levers from the parameter registry -----------------------------------------------------


@dataclass(frozen=True)
class Lever:
    """A parameter the class can move, with what its slider or switch needs."""

    param: str
    label: str
    unit: str
    kind: type
    low: float
    high: float
    step: float


def _label(name: str) -> str:
    """``max_subsidy_usd_t`` -> ``Max subsidy``; country codes in capitals (``Tariff US``)."""
    for suffix in UNIT_SUFFIXES:
        if name.endswith(suffix):
            name = name.removesuffix(suffix)
            break
    words = [w.upper() if w in COUNTRY_CODES else w for w in name.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _step(low: float, high: float, kind: type) -> float:
    if kind is int:
        return 1
    span = high - low
    return 10.0 ** math.floor(math.log10(span / 100.0)) if span > 0 else 1.0


def slider_step(lever: Lever, value: float) -> float:
    """The lever's step, made finer until ``value`` lies on it: the browser's slider snaps to
    its steps, so a scenario value off the grid (7.874 on a 0.1 grid) would change by itself."""
    step = lever.step
    for _ in range(6):
        if lever.kind is int or math.isclose(
            round((value - lever.low) / step) * step + lever.low, value, rel_tol=1e-9, abs_tol=1e-12
        ):
            break
        step /= 10.0
    return step


def levers(role: str) -> tuple[Lever, ...]:
    """The parameters of one registry role, in registry order, as sliders or switches."""
    out = []
    for name in with_role(role):
        p = PARAMETERS[name]
        if p.kind is not bool and (p.low is None or p.high is None):
            continue  # an unbounded number has no slider
        low = float(p.low) if p.low is not None else 0.0
        high = float(p.high) if p.high is not None else 1.0
        out.append(Lever(name, _label(name), p.unit, p.kind, low, high, _step(low, high, p.kind)))
    return tuple(out)


ALL_LEVERS: dict[str, Lever] = {
    lever.param: lever for role, _ in ROLE_SECTIONS for lever in levers(role)
}


def scenario_values(scenario: str) -> dict[str, Any]:
    """What every lever is set to in ``scenario`` (the sliders start there)."""
    params = load_scenario(scenario).params
    return {name: params[name] for name in ALL_LEVERS}


def format_value(value: Any, unit: str) -> str:
    """A lever's value as the page shows it: ``3 bn USD/yr``, ``0.25 share of value``, ``on``."""
    if isinstance(value, bool):
        return "on" if value else "off"
    number = float(value)
    if abs(number) >= 1e9:
        text = f"{number / 1e9:,.3g} bn"
    elif abs(number) >= 1e6:
        text = f"{number / 1e6:,.3g} M"
    elif abs(number) >= 1000:
        text = f"{number:,.0f}"
    else:
        text = f"{number:.4g}"
    return f"{text} {unit}" if unit and unit != "switch" else text


# --- one student's market -------------------------------------------------------------------


def month_index(model: LithiumModel, month: str) -> int:
    """Index of ``YYYY-MM`` among the model's months, or ValueError naming the allowed range."""
    first, last = f"{model.dates[0]:%Y-%m}", f"{model.dates[-1]:%Y-%m}"
    try:
        stamp = pd.Timestamp(f"{month.strip()}-01")
    except (ValueError, TypeError):
        raise ValueError(f"month: expected YYYY-MM between {first} and {last}") from None
    matches = (model.dates == stamp).nonzero()[0]
    if len(str(month).strip()) != 7 or not len(matches):
        raise ValueError(f"month: expected YYYY-MM between {first} and {last}")
    return int(matches[0])


class Session:
    """One browser session's market: the scenario, seed and lever values the page shows, the
    model built from them at the last Reset, its charts and a cached counterfactual run."""

    def __init__(self, scenario: str = DEFAULT_SCENARIO, seed: int = DEFAULT_SEED) -> None:
        self.scenario = scenario
        self.seed = seed
        self.values = scenario_values(scenario)
        self.overlay_choice = NO_OVERLAY
        self._overlays: dict[tuple, Overlay] = {}
        self.new_market()

    def new_market(self) -> None:
        """Build a fresh model from the scenario, seed and lever values shown now."""
        self.model = LithiumModel(
            self.scenario, seed=int(self.seed), record_agents=False, **self.values
        )
        self.applied = (self.scenario, int(self.seed), dict(self.values))
        self.charts = ChartSet(self.model)

    def select_scenario(self, scenario: str) -> None:
        """A new scenario: every lever takes that scenario's value, and a new market starts."""
        self.scenario = scenario
        self.values = scenario_values(scenario)
        self.new_market()

    @property
    def pending(self) -> bool:
        """Seed or levers changed since the market was built (Reset applies them)."""
        return (self.scenario, int(self.seed), self.values) != self.applied

    @property
    def done(self) -> bool:
        return not self.model.running or self.model.month >= self.model.n_months - 1

    def step(self, months: int = 1) -> bool:
        """Run up to ``months`` months; False when the scenario has ended."""
        for _ in range(months):
            if self.done:
                return False
            self.model.step()
        return True

    def run_to(self, month: str) -> None:
        """Run until ``month`` (YYYY-MM) has been simulated; an earlier month starts again."""
        target = month_index(self.model, month)
        if target < self.model.month:
            self.new_market()
        while self.model.month < target and self.step():
            pass

    def overlay(self) -> Overlay | None:
        """The chosen counterfactual, run in full once with this market's seed."""
        choice = self.overlay_choice
        if choice == NO_OVERLAY:
            return None
        scenario, seed, values = self.applied
        key = (choice, scenario, seed, tuple(sorted(values.items())))
        if key not in self._overlays:
            if choice == NO_SUPPORT_OVERLAY:
                cf = LithiumModel(
                    scenario, seed=seed, record_agents=False, **(values | NO_SUPPORT_SWITCHES)
                )
                label = "no integration or state support"
            else:
                cf = LithiumModel(choice, seed=seed, record_agents=False)
                label = f"{cf.config.name} scenario"
            cf.run()

            def aligned(column: str) -> list[float]:
                values_ = pd.Series(series(cf, column), index=cf.dates[: len(series(cf, column))])
                return values_.reindex(self.model.dates).tolist()

            self._overlays.clear()  # keep one: memory per session stays flat
            self._overlays[key] = Overlay(
                label, aligned("price_chemical_usd_t"), aligned("loss_making_share_lepidolite")
            )
        return self._overlays[key]

    def status(self) -> str:
        model = self.model
        when = f"{model.dates[model.month]:%Y-%m}" if model.month >= 0 else "start"
        return f"{model.config.name}, seed {model.seed}: {when}"

    def headline(self) -> list[str]:
        """This month's numbers in words (empty before the first month)."""
        if self.model.month < 0:
            return []
        price = series(self.model, "price_chemical_usd_t")[-1]
        share = series(self.model, "loss_making_share_lepidolite")[-1]
        loss = f"{share:.0%}" if not math.isnan(share) else "none produced"
        return [f"Chemical price {price:,.0f} USD/t", f"Lepidolite output at a loss: {loss}"]


def overlay_choices() -> list[str]:
    return [NO_OVERLAY, NO_SUPPORT_OVERLAY, *available_scenarios()]


# --- the page -------------------------------------------------------------------------------


@solara.component
def Page() -> None:
    """One dashboard per browser session, each with its own market, behind the access code."""
    solara.Title(TITLE)
    code = os.environ.get(CODE_ENV, "").strip()
    entered, set_entered = solara.use_state("")
    full = solara.use_memo(lambda: live_sessions() > max_sessions(), [])
    if full:
        solara.Text(
            f"The class is full ({max_sessions()} markets are running). "
            "Close this tab and try again in a minute.",
            style={"font-size": "1.3em", "margin": "2em"},
        )
        return
    if code and entered != code:
        with solara.Column(style={"margin": "2em", "max-width": "28em"}):
            solara.Text(TITLE, style={"font-size": "1.4em"})
            solara.InputText("Access code (on the board)", value="", on_value=set_entered)
            if entered:
                solara.Text("Wrong code, try again.", style={"color": "#b00020"})
        return
    Dashboard()


@solara.component
def Layout(children: list) -> solara.Element:
    """No app bar: the whole 1280 x 720 screen is the dashboard (Solara uses this layout)."""
    return solara.Column(
        children=[solara.Style(PAGE_CSS), *children], style={"padding": "0", "margin": "0"}
    )


@solara.component
def Dashboard() -> None:
    """This session's market: controls and levers on the left, four charts on the right."""
    session = solara.use_memo(lambda: Session(default_scenario()), [])
    version, set_version = solara.use_state(0)
    playing = solara.use_reactive(False)
    message, set_message = solara.use_state("")

    # One function for the whole session, so components that get it as a prop are not
    # re-rendered just because the page was.
    changed = solara.use_memo(lambda: lambda: set_version(lambda v: v + 1), [])

    def play_loop(cancel: threading.Event) -> None:
        while playing.value and not cancel.is_set():
            started = time.monotonic()
            if not session.step():
                playing.set(False)
                break
            changed()
            cancel.wait(max(0.0, PLAY_FRAME_S - (time.monotonic() - started)))

    solara.use_thread(play_loop, dependencies=[playing.value], intrusive_cancel=False)

    def act_now(action) -> None:
        playing.set(False)
        try:
            action()
            set_message("")
        except ValueError as exc:
            set_message(str(exc))
        changed()

    # Also one function per session: a step then re-renders only what shows the month (the
    # status line, the step buttons, the charts), not the scenario, seed and run-to controls.
    act = solara.use_memo(lambda: act_now, [])

    with solara.Row(gap="0px", style={"height": "100vh", "overflow": "hidden"}):
        with solara.Column(
            gap="4px",
            style={
                "width": "300px",
                "min-width": "300px",
                "height": "100vh",
                "overflow-y": "auto",
                "padding": "6px 10px",
                "border-right": "1px solid #ddd",
            },
        ):
            Controls(session, session.scenario, session.seed, act)
            StepButtons(session, version, playing, act)
            RunTo(session, session.overlay_choice, act, message)
            LeverPanel(session, tuple(session.values.values()), changed)
        with solara.Column(gap="2px", style={"flex": "1", "padding": "4px", "min-width": "0"}):
            StatusLine(session, version)
            Charts(session, session.model.month, id(session.model), session.overlay_choice)


@solara.component
def Controls(session: Session, scenario: str, seed: int, act) -> None:
    """Scenario and seed (re-rendered when either changes, not every month)."""
    solara.Text(TITLE, style={"font-weight": "bold", "font-size": "1.05em"})
    choices = available_scenarios()
    if scenario not in choices:
        choices = [scenario, *choices]
    solara.Select(
        "Scenario",
        values=choices,
        value=scenario,
        on_value=lambda name: act(lambda: session.select_scenario(name)),
        dense=True,
    )

    def set_seed(value: int) -> None:
        if int(value) != session.seed:
            session.seed = int(value)
            act(lambda: None)

    solara.SliderInt(f"Seed {seed}", value=seed, min=0, max=MAX_SEED, on_value=set_seed)


@solara.component
def StepButtons(session: Session, version: int, playing, act) -> None:
    """Step, Play / Pause and Reset, whose states follow the market month by month."""
    with solara.Row(gap="4px"):
        solara.Button(
            "Step",
            color="primary",
            on_click=lambda: act(session.step),
            disabled=playing.value or session.done,
            dense=True,
        )
        solara.Button(
            "Pause" if playing.value else "Play",
            color="primary",
            on_click=lambda: playing.set(not playing.value),
            disabled=session.done and not playing.value,
            dense=True,
        )
        solara.Button(
            "Reset",
            color="warning" if session.pending else "primary",
            on_click=lambda: act(session.new_market),
            dense=True,
        )
    if session.pending:
        solara.Text(
            "Changed: press Reset to start a market with these values.",
            style={"color": "#b26a00", "font-size": "0.85em"},
        )


@solara.component
def RunTo(session: Session, overlay_choice: str, act, message: str) -> None:
    """Run to the real peak, the bust or any month; the counterfactual overlay."""
    run_to_text, set_run_to_text = solara.use_state("")
    with solara.Row(gap="4px", style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Text("Run to", style={"font-size": "0.9em"})
        for label, month in RUN_TO:
            solara.Button(
                label,
                on_click=lambda m=month: act(lambda: session.run_to(m)),
                dense=True,
                outlined=True,
            )
    with solara.Row(gap="4px", style={"align-items": "center"}):
        solara.InputText(
            "Any month (YYYY-MM)",
            value=run_to_text,
            on_value=set_run_to_text,
            continuous_update=True,
        )
        solara.Button(
            "Go",
            on_click=lambda: act(lambda: session.run_to(run_to_text)),
            dense=True,
            outlined=True,
        )
    if message:
        solara.Text(message, style={"color": "#b00020", "font-size": "0.85em"})

    def set_overlay(choice: str) -> None:
        session.overlay_choice = choice
        act(lambda: None)

    solara.Select(
        "Compare with (dashed)",
        values=overlay_choices(),
        value=overlay_choice,
        on_value=set_overlay,
        dense=True,
    )


@solara.component
def LeverPanel(session: Session, shown: tuple, changed) -> None:
    """Sliders and switches for every lever, each with its value and unit. ``shown`` (the
    values) changes with a slider or a new scenario, so every lever shows its current value."""
    open_role, set_open_role = solara.use_state("lever")
    for role, heading in ROLE_SECTIONS:
        is_open = role == open_role
        solara.Button(
            ("▾ " if is_open else "▸ ") + heading,
            text=True,
            dense=True,
            on_click=lambda r=role: set_open_role(r if r != open_role else ""),
            style={"justify-content": "start", "text-transform": "none", "padding": "0"},
        )
        if is_open:
            for lever in levers(role):
                LeverControl(session, lever, session.values[lever.param], changed)


@solara.component
def LeverControl(session: Session, lever: Lever, value: Any, changed) -> None:
    def set_value(new: Any) -> None:
        new = lever.kind(new)
        current = session.values[lever.param]
        if lever.kind is float:
            # The browser's slider reports its value in steps (0.45 comes back as
            # 0.45000000000000007, also on first display): not a change.
            new = float(f"{new:.10g}")
            if math.isclose(new, current, rel_tol=1e-9, abs_tol=1e-12):
                return
        if new != current:
            session.values[lever.param] = new
            changed()

    text = f"{lever.label}: {format_value(value, lever.unit)}"
    if lever.kind is bool:
        solara.Switch(label=text, value=bool(value), on_value=set_value, style={"margin": "0"})
        return
    solara.Text(text, style={"font-size": "0.85em"})
    slider = solara.SliderInt if lever.kind is int else solara.SliderFloat
    slider(
        "",
        value=value,
        min=lever.low,
        max=lever.high,
        step=slider_step(lever, value),
        on_value=set_value,
        thumb_label=False,
    )


@solara.component
def StatusLine(session: Session, version: int) -> None:
    parts = [session.status(), *session.headline()]
    solara.Text("   ·   ".join(parts), style={"font-size": "1.0em", "font-weight": "bold"})


@solara.component
def Charts(session: Session, month: int, model_id: int, overlay_choice: str) -> None:
    """The four charts, 2 x 2, so all fit a 1280 x 720 screen. Re-rendered only when the month,
    the market or the overlay changes; a chart gets new data only if what it shows changed."""
    overlay = session.overlay()
    views = {chart: session.charts.view(chart, overlay) for chart in CHARTS}
    libs = vega_libs()
    with solara.Column(gap="2px"):
        for row in (CHARTS[:2], CHARTS[2:]):
            with solara.Row(gap="2px"):
                for chart in row:
                    view = views[chart]
                    with solara.Column(style={"width": "50%"}, classes=[f"chart-{chart}"]):
                        VegaChart.element(spec=view.spec_json(), frame=view.frame_json(), libs=libs)


def warm_up() -> None:
    """Build, step and draw one market before the first student arrives.

    The first market a server builds loads code and fills caches that stay (Mesa's, pandas',
    the scenario files', the chart specifications' modules): about 20 MB and a slow first page.
    Paid once here, at start, so the first session is as quick as the others and the memory a
    class leaves behind is measured against a server that is ready.
    """
    session = Session(default_scenario())
    session.step()
    overlay = session.overlay()
    for chart in CHARTS:
        view = session.charts.view(chart, overlay)
        view.spec_json(), view.frame_json()
    vega_libs()
    del session, overlay
    return_freed_memory()


install_offline_guard()
solara.lab.on_kernel_start(_on_kernel_start)
if os.environ.get(SCENARIO_ENV):  # started by `lithium-abm dashboard`, not imported by a test
    warm_up()
