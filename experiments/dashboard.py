"""The classroom dashboard: a Mesa SolaraViz app that lets a class steer a small lithium market.

Start it with ``lithium-abm dashboard`` (or ``solara run lithium_abm.experiments.dashboard``).
Design choices, and why:

- Each browser session builds its own model inside the ``Page`` component (``solara.use_memo``),
  so two students never step each other's market; a module-level model would be shared.
- The levers live in one table, ``LEVERS``; a new lever is one line there. Slider bounds are the
  parameter's documented range, so the dashboard cannot build an invalid scenario.
- Charts are static matplotlib images (no pyplot, no JavaScript chart library), so the page needs
  nothing beyond the front-end files that ``solara-assets`` installs: it works offline. Text is
  plain HTML, not ``solara.Markdown``, which loads KaTeX and Mermaid from the CDN path (KaTeX is
  not in ``solara-assets``). ``install_offline_guard`` makes the server's CDN proxy serve only
  what is installed, so no client can make the server fetch from the internet.
- Sessions: the server frees a closed browser's kernel after ``CULL_TIMEOUT`` (set by the CLI),
  at most ``MAX_SESSIONS`` markets run at once (others see a "class is full" message), and with
  an access code (``--code``) a session sees nothing until the code is typed.
- Mesa rebuilds the model on *Reset* with the sidebar's values as keyword arguments, so the
  dashboard's model class takes the scenario name, the seed and the levers as keywords.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solara
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import StrMethodFormatter
from mesa.visualization import SolaraViz

from lithium_abm.agents.base import OWNER_KINDS
from lithium_abm.cli_dashboard import CODE_ENV, MAX_SESSIONS_ENV, SCENARIO_ENV
from lithium_abm.experiments.figures import draw_production
from lithium_abm.experiments.scenario import available_scenarios, load_scenario
from lithium_abm.model.lithium_model import LithiumModel
from lithium_abm.model.parameters import PARAMETERS

DEFAULT_SCENARIO = "classroom"
DEFAULT_SEED = 1
MAX_SEED = 99
OWNER_COLOURS = {"independent": "#7f7f7f", "integrated": "#9467bd", "state": "#ff7f0e"}
FIGSIZE = (6.4, 3.6)


@dataclass(frozen=True)
class Lever:
    """A model parameter the class can move; bounds come from the parameter registry."""

    param: str
    label: str
    step: float


# The levers on the sidebar, in order. Add a lever by adding one line.
# Labels stay short: Mesa's sidebar gives the label and the slider one line together.
LEVERS: tuple[Lever, ...] = (
    Lever("demand_scale", "Demand growth", 0.05),
    Lever("max_subsidy_usd_t", "Subsidy cap CN", 250.0),
    Lever("integrated_feed_target", "Own-feed target", 0.05),
    Lever("env_enforcement_cn", "Enforcement CN", 0.25),
    Lever("env_inspection_rate", "Inspections", 0.01),
    Lever("tariff_cn", "Tariff CN", 0.05),
    Lever("tariff_us", "Tariff US", 0.05),
)


DEFAULT_MAX_SESSIONS = 40


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


class DashboardModel(LithiumModel):
    """A LithiumModel built from a scenario name, a seed and the levers' values.

    It also keeps, month by month, the share of each owner kind's mine output made at a loss,
    which the model's own monthly record only splits into independent and supported.
    """

    def __init__(
        self, scenario_name: str = DEFAULT_SCENARIO, seed: int = DEFAULT_SEED, **levers: Any
    ) -> None:
        # Mesa's Reset also passes its own ``scenario`` object when the model takes **kwargs.
        levers.pop("scenario", None)
        unknown = set(levers) - {lever.param for lever in LEVERS}
        if unknown:
            raise TypeError(f"unknown lever {sorted(unknown)[0]!r}")
        config = load_scenario(scenario_name, {k: v for k, v in levers.items() if v is not None})
        super().__init__(config, seed=int(seed))
        self.scenario_name = scenario_name
        self.loss_share_by_owner: list[dict[str, float]] = []

    def step(self) -> None:
        super().step()
        if 0 <= self.month < self.n_months:
            self.loss_share_by_owner.append(loss_share_by_owner(self))

    @property
    def date_label(self) -> str:
        """The month just simulated as YYYY-MM, or 'start' before the first step."""
        return f"{self.dates[self.month]:%Y-%m}" if self.month >= 0 else "start"


def loss_share_by_owner(model: LithiumModel) -> dict[str, float]:
    """Share of this month's mine output made at a loss, for each owner kind (NaN if none)."""
    output: dict[str, float] = defaultdict(float)
    loss: dict[str, float] = defaultdict(float)
    for mine in model.mines:
        if mine.output_t > 0.0:
            output[mine.owner_kind] += mine.output_t
            if mine.loss_making:
                loss[mine.owner_kind] += mine.output_t
    return {k: loss[k] / output[k] if output[k] > 0 else math.nan for k in OWNER_KINDS}


def model_params(scenario: str | None = None) -> dict[str, dict[str, Any]]:
    """Sidebar inputs for Mesa's ModelCreator: scenario, seed and one slider per lever."""
    scenario = scenario or default_scenario()
    values = load_scenario(scenario).params
    choices = available_scenarios()
    if scenario not in choices:
        choices = [scenario, *choices]
    params: dict[str, dict[str, Any]] = {
        "scenario_name": {
            "type": "Select",
            "label": "Scenario",
            "value": scenario,
            "values": choices,
        },
        "seed": {
            "type": "SliderInt",
            "label": "Random seed",
            "value": DEFAULT_SEED,
            "min": 0,
            "max": MAX_SEED,
            "step": 1,
        },
    }
    for lever in LEVERS:
        p = PARAMETERS[lever.param]
        params[lever.param] = {
            "type": "SliderFloat",
            "label": lever.label,
            "value": float(values[lever.param]),
            "min": float(p.low),
            "max": float(p.high),
            "step": lever.step,
        }
    return params


# --- charts ---------------------------------------------------------------------------------


def _figure() -> tuple[Figure, Axes]:
    # Fixed margins: a layout engine would double the drawing time of every step.
    fig = Figure(figsize=FIGSIZE)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.12, right=0.97, top=0.91, bottom=0.14)
    return fig, fig.add_subplot()


def _finish_time_chart(ax: Axes, model: LithiumModel, title: str) -> None:
    """Title, zero-based y axis and an x axis fixed to the whole scenario (the lines grow
    across a stable frame instead of the axis rescaling every month)."""
    ax.set_title(title)
    ax.set_xlim(model.dates[0], model.dates[-1])
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left")


def _thousands(ax: Axes) -> None:
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_ylim(bottom=0)


def prices_figure(model: LithiumModel) -> Figure:
    """Chemical and concentrate prices so far."""
    fig, ax = _figure()
    df = model.model_frame()
    if not df.empty:
        ax.plot(df["date"], df["price_chemical_usd_t"], label="Chemical", lw=1.8)
        ax.plot(df["date"], df["price_concentrate_usd_t"], label="Concentrate", lw=1.4)
    _thousands(ax)
    _finish_time_chart(ax, model, "Prices (USD per t LCE)")
    return fig


def production_figure(model: LithiumModel) -> Figure:
    """Monthly mine output stacked by resource, with demand."""
    fig, ax = _figure()
    df = model.model_frame()
    if not df.empty:
        draw_production(ax, df)
    _thousands(ax)
    _finish_time_chart(ax, model, "Production by resource (t LCE per month)")
    return fig


def loss_share_figure(model: DashboardModel) -> Figure:
    """Share of each owner kind's output made at a loss, month by month."""
    fig, ax = _figure()
    history = model.loss_share_by_owner
    if history:
        dates = model.dates[: len(history)]
        for kind in OWNER_KINDS:
            ax.plot(
                dates,
                [row[kind] for row in history],
                label=kind.capitalize(),
                color=OWNER_COLOURS[kind],
                lw=1.6,
            )
    ax.set_ylim(-0.02, 1.02)
    _finish_time_chart(ax, model, "Share of output made at a loss, by owner")
    return fig


def cost_curve_figure(model: LithiumModel) -> Figure:
    """This month's supply curve: producing mines by cash cost, against the chemical price.

    Bars are coloured by owner kind; hatched bars lose money at this month's price.
    """
    fig, ax = _figure()
    mines = sorted(
        (m for m in model.mines if m.output_t > 0.0), key=lambda m: m.cost_chem_equiv_usd_t()
    )
    left = 0.0
    for mine in mines:
        ax.bar(
            left,
            mine.cost_chem_equiv_usd_t(),
            width=mine.output_t,
            align="edge",
            color=OWNER_COLOURS[mine.owner_kind],
            edgecolor="black",
            linewidth=0.5,
            hatch="///" if mine.loss_making else None,
        )
        left += mine.output_t
    handles: list[Any] = [Patch(color=OWNER_COLOURS[k], label=k.capitalize()) for k in OWNER_KINDS]
    handles.append(Patch(facecolor="white", edgecolor="black", hatch="///", label="At a loss"))
    if model.month >= 0:
        price = model.last_price["chemical"]
        handles.append(ax.axhline(price, color="black", ls="--", lw=1.4, label="Chemical price"))
    else:
        ax.text(0.5, 0.5, "Press Step to run the first month", transform=ax.transAxes, ha="center")
    label = f"{model.dates[model.month]:%Y-%m}" if model.month >= 0 else "before the start"
    ax.set_title(f"Cost curve, {label} (USD per t LCE)")
    ax.set_xlabel("Cumulative mine output this month (t LCE)")
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    _thousands(ax)
    ax.set_xlim(left=0)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(handles=handles, loc="upper left", fontsize="small")
    return fig


@solara.component
def Chart(
    model: DashboardModel, build: Callable[[DashboardModel], Figure], month: int
) -> solara.Element:
    """A figure redrawn only when the month (or the model, after Reset) changes.

    ``month`` is passed as a prop because the model object stays the same between steps, and
    a component whose props are unchanged is not rendered again.
    """
    figure = solara.use_memo(lambda: build(model), [model, month, build])
    return solara.FigureMatplotlib(figure, dependencies=[model, month, build], format="png")


@solara.component
def Summary(model: DashboardModel, month: int) -> solara.Element:
    """The month, the headline numbers and this market's lever values (``month``: see Chart)."""
    df = model.model_frame()
    lines = [f"### {model.config.name}, seed {model.seed}: {model.date_label}"]
    if not df.empty:
        last = df.iloc[-1]
        share = last["loss_making_share"]
        loss = f"{share:.0%}" if not math.isnan(share) else "no output"
        lines += [
            f"- Chemical price: **{last['price_chemical_usd_t']:,.0f} USD/t**",
            f"- Concentrate price: **{last['price_concentrate_usd_t']:,.0f} USD/t**",
            f"- Mine output made at a loss: **{loss}**",
        ]
    lines += [
        "",
        "Press **Step** to run one month, **▶** to play. Move a lever or the seed, then press "
        "**Reset** to start a new market with it. Levers in this market:",
        "",
    ]
    for lever in LEVERS:
        param = PARAMETERS[lever.param]
        lines.append(f"- {lever.label}: {model.p[lever.param]:g} ({param.unit})")
    return solara.Column(children=[_text_line(line) for line in lines if line], gap="2px")


def _text_line(line: str) -> solara.Element:
    """One line of the summary as plain text (``**bold**`` and ``### title`` only), so the page
    never loads ``solara.Markdown``'s KaTeX and Mermaid."""
    if line.startswith("### "):
        return solara.Text(line[4:], style={"font-size": "1.15em", "font-weight": "bold"})
    parts = line.removeprefix("- ").split("**")
    bullet = "• " if line.startswith("- ") else ""
    spans = [
        solara.Text(
            bullet + part if i == 0 else part, style={"font-weight": "bold"} if i % 2 else {}
        )
        for i, part in enumerate(parts)
        if part or i == 0
    ]
    return solara.Row(children=spans, gap="0px", style={"flex-wrap": "wrap"})


def _view(build: Callable[[DashboardModel], Figure]) -> Callable[[DashboardModel], Any]:
    """A plain function for SolaraViz: it calls plain functions again after every step
    (components it renders once), and the function hands the new month to the component."""

    def view(model: DashboardModel) -> solara.Element:
        return Chart(model, build, model.month)

    view.__name__ = build.__name__
    return view


def summary_view(model: DashboardModel) -> solara.Element:
    return Summary(model, model.month)


COMPONENTS: list[tuple[Callable[[DashboardModel], Any], int]] = [
    (summary_view, 0),
    (_view(prices_figure), 0),
    (_view(production_figure), 0),
    (_view(loss_share_figure), 0),
    (_view(cost_curve_figure), 0),
]


@solara.component
def Page() -> None:
    """One dashboard per browser session, each with its own model, behind the access code."""
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
            solara.Text("Lithium market dashboard", style={"font-size": "1.4em"})
            solara.InputText("Access code (on the board)", value="", on_value=set_entered)
            if entered:
                solara.Text("Wrong code, try again.", style={"color": "#b00020"})
        return
    Dashboard()


@solara.component
def Dashboard() -> None:
    """The SolaraViz page with this session's own model."""
    scenario = default_scenario()
    params = solara.use_memo(lambda: model_params(scenario), [scenario])
    model = solara.use_memo(lambda: DashboardModel(scenario, DEFAULT_SEED), [scenario])
    SolaraViz(
        model,
        components=COMPONENTS,
        model_params=params,
        name="Lithium market: why mines dig at a loss",
        play_interval=150,
    )


install_offline_guard()
