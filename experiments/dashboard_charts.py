"""The dashboard's four charts, drawn fast enough to redraw every month while the market plays.

Why it is built this way (measured with ``cProfile`` on the old dashboard, which built four new
figures every step): most of a step's time went into creating axes and their ticks and laying
out text, not into drawing. Here each chart keeps one figure for the whole session and only
moves its data: lines get ``set_data``, the stacked areas and the cost-curve bars are replaced,
the axes stay. A chart is re-encoded only when what it shows changed (``ChartSet.png`` caches
by key), so moving a slider or changing the overlay redraws nothing or two charts, not four.

Data come from the model's own Mesa DataCollector (one list per monthly column) and, for the
cost curve, from the live mines; nothing is recorded twice.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import DateFormatter, YearLocator, date2num
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator
from PIL import Image

from lithium_abm.experiments.figures import RESOURCE_COLOURS
from lithium_abm.model.lithium_model import LithiumModel
from lithium_abm.model.parameters import RESOURCES

# 2 x 2 charts beside a 300 px sidebar on a 1280 x 720 screen.
FIGSIZE = (4.8, 3.0)
DPI = 100
# Real reference marks (China spot battery-grade carbonate, experiments/data/reference_prices.csv).
REAL_MARKS_CNY_T = (("2022-11", 590_000.0, "real peak 2022-11"), ("2025-06", 60_000.0, "2025-06"))
MARK_COLOUR = "#2ca02c"
EMPTY_PRICE_TOP_USD_T = 80_000.0
EMPTY_OUTPUT_TOP_T = 10_000.0
HINT = "Press Step, Play or a Run-to button"
CHARTS = ("price", "cost_curve", "loss_share", "production")


@dataclass(frozen=True)
class Overlay:
    """A counterfactual run's monthly series, drawn dashed over the price and loss charts."""

    label: str
    price_chemical_usd_t: Sequence[float]
    loss_share_lepidolite: Sequence[float]


def series(model: LithiumModel, column: str) -> list[float]:
    """One monthly column so far, from the model's Mesa DataCollector (no copy)."""
    return model.datacollector.model_vars.get(column, [])


def months_run(model: LithiumModel) -> int:
    return len(series(model, "price_chemical_usd_t"))


def _kilo(value: float, _pos: object = None) -> str:
    """Axis labels as 0, 20k, 40k: readable, and never '1 1 1 0 0 0' on an empty axis."""
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value / 1000:,.0f}k"
    return f"{value:,.0f}"


def _percent(value: float, _pos: object = None) -> str:
    return f"{value:.0%}"


def _new(title: str) -> tuple[Figure, Axes]:
    # Fixed margins: a layout engine would double the drawing time of every step.
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.11, right=0.98, top=0.90, bottom=0.12)
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=10)
    ax.tick_params(labelsize=8)
    ax.grid(True, alpha=0.3)
    return fig, ax


def nice_ceiling(value: float) -> float:
    """The next round number above ``value`` (1, 1.5, 2, 3, 4, 5, 6, 8 x a power of ten), so an
    axis limit, and with it the chart's background, changes only now and then."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for mantissa in (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if mantissa * power >= value:
            return mantissa * power
    return 10.0 * power


def _top(values: Sequence[float], floor: float) -> float:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return nice_ceiling(max(floor, max(finite, default=0.0)) * 1.05)


class _Chart:
    """A figure drawn in two layers: a background (axes, ticks, grid, titles), drawn again only
    when ``_static`` changes, and the data artists, blitted onto a copy of it every update."""

    def __init__(self, title: str) -> None:
        self.fig, self.ax = _new(title)
        self._background = None
        self._background_key: object = None

    def _artists(self) -> list:
        raise NotImplementedError

    def _static(self) -> object:
        return (self.ax.get_xlim(), self.ax.get_ylim(), self.ax.get_title())

    def render(self) -> bytes:
        canvas = self.fig.canvas
        artists = [a for a in self._artists() if a is not None]
        key = self._static()
        if self._background is None or key != self._background_key:
            for artist in artists:
                artist.set_visible(False)
            canvas.draw()
            self._background = canvas.copy_from_bbox(self.fig.bbox)
            self._background_key = key
            for artist in artists:
                artist.set_visible(True)
        canvas.restore_region(self._background)
        for artist in artists:
            self.fig.draw_artist(artist)
        buffer = io.BytesIO()
        Image.fromarray(np.asarray(canvas.buffer_rgba())).save(
            buffer, format="png", compress_level=1
        )
        return buffer.getvalue()


class _TimeChart(_Chart):
    """A chart over the scenario's months whose x axis is fixed, so lines grow in a still frame."""

    def __init__(self, model: LithiumModel, title: str) -> None:
        super().__init__(title)
        self.x = date2num(model.dates.to_pydatetime())
        self.ax.set_xlim(self.x[0], self.x[-1])
        self.ax.xaxis.set_major_locator(YearLocator(2))
        self.ax.xaxis.set_major_formatter(DateFormatter("%Y"))
        self.hint = self.ax.text(
            0.5, 0.5, HINT, transform=self.ax.transAxes, ha="center", color="0.4"
        )

    def _static(self) -> object:
        return (self.ax.get_ylim(), self.hint.get_visible())

    overlay: Any
    legend: Any
    overlay_label: str | None = None

    def _draw_overlay(self, overlay: Overlay | None, name: str, values: Sequence[float]) -> None:
        """The dashed counterfactual line, and a legend rebuilt only when the overlay's label
        changes (a legend costs a full text layout)."""
        if overlay is not None:
            self.overlay.set_data(self.x[: len(values)], values)
            self.overlay.set_label(f"{name}, {overlay.label}")
        else:
            self.overlay.set_data([], [])
            self.overlay.set_label("_overlay")
        if self.legend is None or self.overlay.get_label() != self.overlay_label:
            self.legend = self.ax.legend(loc="upper left", fontsize=7)
            self.overlay_label = self.overlay.get_label()


class PriceChart(_TimeChart):
    def __init__(self, model: LithiumModel) -> None:
        super().__init__(model, "Chemical and concentrate price (USD per t LCE)")
        ax = self.ax
        ax.yaxis.set_major_formatter(FuncFormatter(_kilo))
        (self.chemical,) = ax.plot([], [], lw=1.8, label="Chemical", color="#1f77b4")
        (self.concentrate,) = ax.plot([], [], lw=1.3, label="Concentrate", color="#ff7f0e")
        (self.overlay,) = ax.plot([], [], lw=1.5, ls="--", color="black", label="_overlay")
        usd_cny = float(model.p["usd_cny"])
        self.marks_usd_t = []
        for month, cny_t, label in REAL_MARKS_CNY_T:
            x = date2num(np.datetime64(f"{month}-01"))
            if self.x[0] <= x <= self.x[-1]:
                ax.plot([x], [cny_t / usd_cny], marker="v", ms=7, color=MARK_COLOUR, ls="none")
                ax.annotate(
                    label,
                    (x, cny_t / usd_cny),
                    xytext=(4, 4),
                    textcoords="offset points",
                    fontsize=7,
                    color=MARK_COLOUR,
                )
                self.marks_usd_t.append(cny_t / usd_cny)
        ax.plot([], [], marker="v", ls="none", color=MARK_COLOUR, label="Real price (China)")
        self.legend = None

    def _artists(self) -> list:
        return [self.chemical, self.concentrate, self.overlay, self.legend]

    def update(self, model: LithiumModel, overlay: Overlay | None) -> None:
        n = months_run(model)
        chem = series(model, "price_chemical_usd_t")
        self.chemical.set_data(self.x[:n], chem)
        self.concentrate.set_data(self.x[:n], series(model, "price_concentrate_usd_t"))
        shown: list[float] = list(chem) + self.marks_usd_t
        cf = overlay.price_chemical_usd_t[:n] if overlay is not None else []
        shown += list(cf)
        self._draw_overlay(overlay, "Chemical", cf)
        self.ax.set_ylim(0, _top(shown, EMPTY_PRICE_TOP_USD_T if n == 0 else 0.0))
        self.hint.set_visible(n == 0)


class LossShareChart(_TimeChart):
    def __init__(self, model: LithiumModel) -> None:
        super().__init__(model, "Share of mine output made at a loss")
        ax = self.ax
        ax.set_ylim(-0.02, 1.02)
        ax.yaxis.set_major_formatter(FuncFormatter(_percent))
        colour = RESOURCE_COLOURS["lepidolite"]
        (self.lepidolite,) = ax.plot([], [], lw=1.8, color=colour, label="Lepidolite mines")
        (self.all,) = ax.plot([], [], lw=1.3, color="0.35", label="All mines")
        (self.overlay,) = ax.plot([], [], lw=1.5, ls="--", color=colour, label="_overlay")
        self.legend = None

    def _artists(self) -> list:
        return [self.lepidolite, self.all, self.overlay, self.legend]

    def update(self, model: LithiumModel, overlay: Overlay | None) -> None:
        n = months_run(model)
        self.lepidolite.set_data(self.x[:n], series(model, "loss_making_share_lepidolite"))
        self.all.set_data(self.x[:n], series(model, "loss_making_share"))
        cf = overlay.loss_share_lepidolite[:n] if overlay is not None else []
        self._draw_overlay(overlay, "Lepidolite", cf)
        self.hint.set_visible(n == 0)


class ProductionChart(_TimeChart):
    def __init__(self, model: LithiumModel) -> None:
        super().__init__(model, "Mine output by resource and demand (t LCE per month)")
        ax = self.ax
        ax.yaxis.set_major_formatter(FuncFormatter(_kilo))
        (self.demand,) = ax.plot([], [], lw=1.4, color="black", label="Demand", zorder=3)
        handles = [Patch(color=RESOURCE_COLOURS[r], label=r.capitalize()) for r in RESOURCES]
        self.legend = ax.legend(
            handles=[*handles, self.demand], loc="upper left", fontsize=7, ncol=2
        )
        self.stack: list = []

    def _artists(self) -> list:
        return [*self.stack, self.demand]

    def update(self, model: LithiumModel) -> None:
        n = months_run(model)
        for collection in self.stack:
            collection.remove()
        self.stack = []
        layers = [np.nan_to_num(series(model, f"production_t_{r}"), nan=0.0) for r in RESOURCES]
        demand = series(model, "demand_t")
        if n:
            self.stack = self.ax.stackplot(
                self.x[:n], *layers, colors=[RESOURCE_COLOURS[r] for r in RESOURCES], alpha=0.75
            )
        self.demand.set_data(self.x[:n], demand)
        total = list(np.sum(layers, axis=0)) if n else []
        self.ax.set_ylim(0, _top([*total, *demand], EMPTY_OUTPUT_TOP_T if n == 0 else 0.0))
        self.hint.set_visible(n == 0)


class CostCurveChart(_Chart):
    """This month's supply curve: producing mines by cash cost, coloured by resource, loss-makers
    hatched, against the chemical price."""

    def __init__(self, model: LithiumModel) -> None:
        super().__init__("Cost curve by resource (USD per t LCE)")
        ax = self.ax
        ax.grid(False, axis="x")
        ax.yaxis.set_major_formatter(FuncFormatter(_kilo))
        ax.xaxis.set_major_formatter(FuncFormatter(_kilo))
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.set_xlabel("Cumulative mine output this month (t LCE)", fontsize=8, labelpad=1)
        self.price = ax.axhline(math.nan, color="black", ls="--", lw=1.4, label="Chemical price")
        handles: list = [Patch(color=RESOURCE_COLOURS[r], label=r.capitalize()) for r in RESOURCES]
        handles.append(Patch(facecolor="white", edgecolor="black", hatch="///", label="At a loss"))
        handles.append(self.price)
        self.legend = ax.legend(handles=handles, loc="upper left", fontsize=7, ncol=2)
        self.bars: list = []
        self.when = ax.text(0.99, 0.97, "", transform=ax.transAxes, ha="right", va="top")
        self.hint = ax.text(0.5, 0.5, HINT, transform=ax.transAxes, ha="center", color="0.4")

    def _artists(self) -> list:
        return [*(bar for bars in self.bars for bar in bars), self.price, self.when]

    def _static(self) -> object:
        return (self.ax.get_xlim(), self.ax.get_ylim(), self.hint.get_visible())

    def update(self, model: LithiumModel) -> None:
        for bars in self.bars:
            bars.remove()
        self.bars = []
        ax = self.ax
        started = months_run(model) > 0
        producing = [m for m in model.mines if m.output_t > 0.0] if started else []
        mines = sorted(producing, key=lambda m: m.cost_chem_equiv_usd_t())
        costs = np.array([m.cost_chem_equiv_usd_t() for m in mines])
        widths = np.array([m.output_t for m in mines])
        lefts = np.cumsum(widths) - widths
        for resource in RESOURCES:
            colour = RESOURCE_COLOURS[resource]
            for loss in (False, True):
                sel = [
                    i
                    for i, m in enumerate(mines)
                    if (m.resource, m.loss_making) == (resource, loss)
                ]
                if sel:
                    self.bars.append(
                        ax.bar(
                            lefts[sel],
                            costs[sel],
                            width=widths[sel],
                            align="edge",
                            color=colour,
                            edgecolor="black" if loss else colour,
                            linewidth=0.6 if loss else 0.3,
                            hatch="///" if loss else None,
                        )
                    )
        price = float(model.last_price["chemical"]) if started else math.nan
        self.price.set_ydata([price, price])
        top = max([*costs, price if started else 0.0, 0.0])
        ax.set_ylim(0, _top([top * 1.3], EMPTY_PRICE_TOP_USD_T if not started else 0.0))
        ax.set_xlim(0, _top([float(widths.sum())], EMPTY_OUTPUT_TOP_T if not started else 0.0))
        self.when.set_text(f"{model.dates[model.month]:%Y-%m}" if started else "")
        self.hint.set_visible(not started)


class ChartSet:
    """One session's four charts; ``png`` redraws a chart only when its key changed."""

    def __init__(self, model: LithiumModel) -> None:
        self.model = model
        self.price = PriceChart(model)
        self.cost_curve = CostCurveChart(model)
        self.loss_share = LossShareChart(model)
        self.production = ProductionChart(model)
        self._cache: dict[str, tuple[object, bytes]] = {}
        self.draws = 0  # charts encoded so far (read by the tests: nothing redrawn needlessly)

    def png(self, chart: str, overlay: Overlay | None = None) -> bytes:
        model = self.model
        uses_overlay = chart in ("price", "loss_share")
        key = (model.month, months_run(model), overlay if uses_overlay else None)
        cached = self._cache.get(chart)
        if cached is not None and cached[0] == key:
            return cached[1]
        view = getattr(self, chart)
        if uses_overlay:
            view.update(model, overlay)
        else:
            view.update(model)
        data = view.render()
        self.draws += 1
        self._cache[chart] = (key, data)
        return data
