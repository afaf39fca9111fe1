"""The dashboard's four charts as Vega-Lite: the server sends numbers, the browser draws.

Why: drawing four matplotlib pictures per step cost the server about 66 ms, fifty times the
model's own step (about 1.3 ms), and one Python process serves the whole class. Here a chart is
a Vega-Lite specification, fixed for the session (axes, colours, titles, the real reference
marks), plus the month's data as small named datasets; the browser (``vega_chart.vue``) swaps
the datasets in place, so a step sends rows of numbers and redraws in the browser.

Everything here is a pure function of the model's state, testable without a browser: data come
from the model's Mesa DataCollector (one list per monthly column) and, for the cost curve, from
the live mines; nothing is recorded twice. ``ChartSet.view`` rebuilds a chart's data only when
what it shows changed, so moving a slider redraws nothing and an overlay redraws two charts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lithium_abm.experiments.figures import RESOURCE_COLOURS
from lithium_abm.model.lithium_model import LithiumModel
from lithium_abm.model.parameters import RESOURCES

# 2 x 2 charts beside a 300 px sidebar on a 1280 x 720 screen (whole chart, title and legend).
WIDTH_PX = 470
HEIGHT_PX = 320
# Real reference marks (China spot battery-grade carbonate, experiments/data/reference_prices.csv).
REAL_MARKS_CNY_T = (("2022-11", 590_000.0, "real peak 2022-11"), ("2025-06", 60_000.0, "2025-06"))
MARK_COLOUR = "#2ca02c"
EMPTY_PRICE_TOP_USD_T = 80_000.0
EMPTY_OUTPUT_TOP_T = 10_000.0
HINT = "Press Step, Play or a Run-to button"
CHARTS = ("price", "cost_curve", "loss_share", "production")
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
# Hatching of loss-making bars: lines about 45 degrees on screen, this many across the x axis.
HATCH_LINES_ACROSS = 45
PLOT_ASPECT = 2.2  # plot width / height in pixels, for the hatch angle
OVERLAY_COLOUR = "black"
ROW_COLOUR = "#9467bd"
ROW_CHEMICAL = "Chemical, rest of world"
ZERO_LABEL = "datum.value == 0 ? '0' : datum.label"  # SI labels 10k, 20k, but 0, not 0k


@dataclass(frozen=True)
class Overlay:
    """A counterfactual run's monthly series, drawn dashed over the price and loss charts."""

    label: str
    price_chemical_usd_t: Sequence[float]
    loss_share_lepidolite: Sequence[float]


@dataclass(frozen=True)
class ChartView:
    """What the browser needs for one chart: the fixed specification, this month's datasets
    and a stamp that names them (the page sets it on the chart once drawn)."""

    spec: dict[str, Any]
    data: dict[str, list[dict[str, Any]]]
    stamp: str
    # How each dataset differs from the view stamped ``after`` (same specification): "same",
    # {"from": i} (rows appended from row i on) or "all"; a browser that drew ``after`` redraws
    # only that much, any other browser takes every dataset whole.
    after: str = ""
    delta: dict[str, Any] = field(default_factory=dict)

    def spec_json(self) -> str:
        return _json(self.spec)

    def frame_json(self) -> str:
        frame = {"stamp": self.stamp, "sets": self.data, "after": self.after, "delta": self.delta}
        return _json(frame)


def dataset_delta(before: list[dict[str, Any]], now: list[dict[str, Any]]) -> Any:
    """``"same"``, ``{"from": len(before)}`` when ``now`` only appends rows, else ``"all"``."""
    if now == before:
        return "same"
    if len(now) > len(before) and now[: len(before)] == before:
        return {"from": len(before)}
    return "all"


def _json(value: Any) -> str:
    """Compact JSON; NaN is refused (the datasets carry null for a missing value)."""
    return json.dumps(value, allow_nan=False, separators=(",", ":"))


def series(model: LithiumModel, column: str) -> list[float]:
    """One monthly column so far, from the model's Mesa DataCollector (no copy)."""
    return model.datacollector.model_vars.get(column, [])


def months_run(model: LithiumModel) -> int:
    return len(series(model, "price_chemical_usd_t"))


def nice_ceiling(value: float) -> float:
    """The next round number above ``value`` (1, 1.5, 2, 3, 4, 5, 6, 8 x a power of ten), so an
    axis limit changes only now and then, not every month."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for mantissa in (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if mantissa * power >= value:
            return mantissa * power
    return 10.0 * power


def finite(value: Any) -> float | None:
    """JSON has no NaN: a missing value is null, which Vega leaves out (a gap in a line)."""
    value = float(value)
    return value if math.isfinite(value) else None


def _top(values: Sequence[float], floor: float) -> float:
    kept = [v for v in values if v is not None and math.isfinite(v)]
    return nice_ceiling(max(floor, max(kept, default=0.0)) * 1.05)


# --- specifications (fixed for a session) ------------------------------------------------


def _base(title: str, subtitle: str = "") -> dict[str, Any]:
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "width": WIDTH_PX,
        "height": HEIGHT_PX,
        "autosize": {"type": "fit", "contains": "padding", "resize": True},
        "title": {"text": title, "subtitle": subtitle, "fontSize": 13, "subtitleFontSize": 10},
        "config": {
            "axis": {"labelFontSize": 10, "titleFontSize": 10, "grid": True, "gridOpacity": 0.4},
            "legend": {"labelFontSize": 10, "symbolSize": 60, "padding": 2, "rowPadding": 1},
            "view": {"stroke": "#999"},
        },
    }


def _x_time(model: LithiumModel) -> dict[str, Any]:
    """A fixed x axis over the scenario's months, so lines grow in a still frame."""
    return {
        "field": "month",
        "type": "temporal",
        "title": None,
        "scale": {"domain": [_month(model, 0), _month(model, model.n_months - 1)]},
        "axis": {"format": "%Y", "tickCount": {"interval": "year", "step": 2}},
    }


def _month(model: LithiumModel, index: int) -> str:
    return f"{model.dates[index]:%Y-%m}-01"


def _y_extent(field: str, title: str | None = None) -> dict[str, Any]:
    """A y axis whose top is the data's ``extent`` row (a round number), not Vega's own nice."""
    return {
        "field": field,
        "type": "quantitative",
        "title": title,
        "scale": {"nice": False, "zero": True},
        "axis": {"format": "~s", "tickCount": 5, "labelExpr": ZERO_LABEL},
    }


def _hint_layer() -> dict[str, Any]:
    return {
        "data": {"name": "hint"},
        "mark": {
            "type": "text",
            "x": {"expr": "width / 2"},
            "y": {"expr": "height / 2"},
            "fontSize": 13,
            "color": "#666",
        },
        "encoding": {"text": {"field": "text"}},
    }


def _extent_layer(x: dict[str, Any], y_field: str) -> dict[str, Any]:
    """Invisible points at the axis tops: they fix the y domain to a round number."""
    return {
        "data": {"name": "extent"},
        "mark": {"type": "point", "opacity": 0},
        "encoding": {"x": x, "y": {"field": y_field, "type": "quantitative"}},
    }


def _lines(names: Sequence[str], colours: Sequence[str], dashed: Sequence[bool]) -> dict:
    return {
        "color": {
            "field": "series",
            "type": "nominal",
            "title": None,
            "scale": {"domain": list(names), "range": list(colours)},
            "legend": {"orient": "top-left", "fillColor": "rgba(255,255,255,0.8)"},
        },
        "strokeDash": {
            "field": "series",
            "type": "nominal",
            "scale": {"domain": list(names), "range": [[6, 3] if d else [1, 0] for d in dashed]},
            "legend": None,
        },
    }


def regional(model: LithiumModel) -> bool:
    """Whether the model clears China and the rest of the world apart (regional markets)."""
    return bool(model.p["regional_markets_enabled"])


def price_spec(model: LithiumModel, overlay_label: str | None) -> dict[str, Any]:
    names = ["Chemical", "Concentrate"]
    colours = ["#1f77b4", "#ff7f0e"]
    dashed = [False, False]
    subtitle = "triangles: real China price"
    if regional(model):
        # Tariffs and duties open the spread between the two chemical prices: the line a
        # lecturer moves with the trade levers.
        names = ["Chemical, China", "Concentrate, China", ROW_CHEMICAL]
        colours.append(ROW_COLOUR)
        dashed.append(False)
        subtitle += "; China's prices and the rest of the world's chemical"
    if overlay_label:
        names.append(f"Chemical, {overlay_label}")
        colours.append(OVERLAY_COLOUR)
        dashed.append(True)
    x = _x_time(model)
    usd_cny = float(model.p["usd_cny"])
    marks = [
        {"month": f"{month}-01", "usd_t": cny_t / usd_cny, "label": label}
        for month, cny_t, label in REAL_MARKS_CNY_T
        if _month(model, 0) <= f"{month}-01" <= _month(model, model.n_months - 1)
    ]
    spec = _base("Chemical and concentrate price (USD per t LCE)", subtitle)
    spec["layer"] = [
        _extent_layer(x, "usd_t"),
        {
            "data": {"name": "lines"},
            "transform": [{"fold": names, "as": ["series", "usd_t"]}],
            "mark": {"type": "line", "strokeWidth": 1.8},
            "encoding": {"x": x, "y": _y_extent("usd_t"), **_lines(names, colours, dashed)},
        },
        {
            "data": {"values": marks},
            "mark": {"type": "point", "shape": "triangle-down", "filled": True, "size": 70},
            "encoding": {
                "x": {"field": "month", "type": "temporal"},
                "y": {"field": "usd_t", "type": "quantitative"},
                "color": {"value": MARK_COLOUR},
            },
        },
        {
            "data": {"values": marks},
            "mark": {"type": "text", "align": "left", "dx": 6, "dy": -6, "fontSize": 10},
            "encoding": {
                "x": {"field": "month", "type": "temporal"},
                "y": {"field": "usd_t", "type": "quantitative"},
                "text": {"field": "label"},
                "color": {"value": MARK_COLOUR},
            },
        },
        _hint_layer(),
    ]
    return spec


def loss_share_spec(model: LithiumModel, overlay_label: str | None) -> dict[str, Any]:
    names = ["Lepidolite mines", "All mines"]
    colours = [RESOURCE_COLOURS["lepidolite"], "#595959"]
    if overlay_label:
        names.append(f"Lepidolite, {overlay_label}")
        colours.append(RESOURCE_COLOURS["lepidolite"])
    spec = _base("Share of mine output made at a loss")
    spec["layer"] = [
        {
            "data": {"name": "lines"},
            "transform": [{"fold": names, "as": ["series", "share"]}],
            "mark": {"type": "line", "strokeWidth": 1.8},
            "encoding": {
                "x": _x_time(model),
                "y": {
                    "field": "share",
                    "type": "quantitative",
                    "title": None,
                    "scale": {"domain": [0, 1]},
                    "axis": {"format": "%", "tickCount": 5},
                },
                **_lines(names, colours, [0, 0, 1]),
            },
        },
        _hint_layer(),
    ]
    return spec


def production_spec(model: LithiumModel) -> dict[str, Any]:
    resources = [r.capitalize() for r in RESOURCES]
    names = [*resources, "Demand"]
    colour = {
        "field": "series",
        "type": "nominal",
        "title": None,
        "scale": {"domain": names, "range": [*(RESOURCE_COLOURS[r] for r in RESOURCES), "black"]},
        "legend": {"orient": "top-left", "columns": 3, "fillColor": "rgba(255,255,255,0.8)"},
    }
    x = _x_time(model)
    spec = _base("Mine output by resource and demand (t LCE per month)")
    spec["layer"] = [
        _extent_layer(x, "t"),
        {
            "data": {"name": "lines"},
            "transform": [
                {"fold": resources, "as": ["series", "t"]},
                {"calculate": f"indexof({resources!r}, datum.series)", "as": "order"},
            ],
            "mark": {"type": "area", "opacity": 0.75},
            "encoding": {
                "x": x,
                "y": {**_y_extent("t"), "stack": "zero"},
                "color": colour,
                "order": {"field": "order", "type": "quantitative"},
            },
        },
        {
            "data": {"name": "lines"},
            "mark": {"type": "line", "strokeWidth": 1.5},
            "encoding": {
                "x": x,
                "y": {"field": "Demand", "type": "quantitative"},
                "color": {"datum": "Demand", "scale": colour["scale"]},
            },
        },
        _hint_layer(),
    ]
    return spec


def cost_curve_spec() -> dict[str, Any]:
    names = [r.capitalize() for r in RESOURCES]
    x = {
        "field": "x0",
        "type": "quantitative",
        "title": "Cumulative mine output this month (t LCE)",
        "scale": {"nice": False, "zero": True},
        "axis": {"format": "~s", "tickCount": 5, "grid": False, "labelExpr": ZERO_LABEL},
    }
    spec = _base("Cost curve by resource (USD per t LCE)", "hatched: made at a loss")
    spec["layer"] = [
        {
            "data": {"name": "extent"},
            "mark": {"type": "point", "opacity": 0},
            "encoding": {"x": {**x, "field": "x"}, "y": _y_extent("y")},
        },
        {
            "data": {"name": "mines"},
            "mark": {"type": "rect", "strokeWidth": 0.6},
            "encoding": {
                "x": x,
                "x2": {"field": "x1"},
                "y": {"field": "cost_usd_t", "type": "quantitative"},
                "y2": {"datum": 0},
                "color": {
                    "field": "resource",
                    "type": "nominal",
                    "title": None,
                    "scale": {
                        "domain": names,
                        "range": [RESOURCE_COLOURS[r] for r in RESOURCES],
                    },
                    "legend": {
                        "orient": "top-left",
                        "columns": 2,
                        "fillColor": "rgba(255,255,255,0.8)",
                    },
                },
                "stroke": {
                    "condition": {"test": "datum.loss", "value": "black"},
                    "value": None,
                },
            },
        },
        {
            "data": {"name": "hatch"},
            "mark": {"type": "rule", "color": "black", "strokeWidth": 0.8, "opacity": 0.8},
            "encoding": {
                "x": {"field": "x", "type": "quantitative"},
                "y": {"field": "y", "type": "quantitative"},
                "x2": {"field": "x2"},
                "y2": {"field": "y2"},
            },
        },
        {
            "data": {"name": "price"},
            "mark": {"type": "rule", "strokeDash": [6, 3], "strokeWidth": 1.6, "color": "black"},
            "encoding": {"y": {"field": "usd_t", "type": "quantitative"}},
        },
        {
            "data": {"name": "price"},
            "mark": {
                "type": "text",
                "align": "right",
                "x": {"expr": "width - 4"},
                "dy": -7,
                "fontSize": 10,
            },
            "encoding": {
                "y": {"field": "usd_t", "type": "quantitative"},
                "text": {"field": "label"},
            },
        },
        _hint_layer(),
    ]
    return spec


# --- data (rebuilt when what a chart shows changes) --------------------------------------


def _hint(started: bool) -> list[dict[str, Any]]:
    return [] if started else [{"text": HINT}]


def _time_rows(model: LithiumModel, columns: dict[str, Sequence[float]]) -> list[dict]:
    n = months_run(model)
    rows = []
    for i in range(n):
        row: dict[str, Any] = {"month": _month(model, i)}
        for name, values in columns.items():
            row[name] = finite(values[i]) if i < len(values) else None
        rows.append(row)
    return rows


def price_data(model: LithiumModel, overlay: Overlay | None) -> dict[str, list[dict]]:
    n = months_run(model)
    chemical = series(model, "price_chemical_usd_t")
    columns: dict[str, Sequence[float]] = {
        "Chemical": chemical,
        "Concentrate": series(model, "price_concentrate_usd_t"),
    }
    shown = [*chemical, *(cny_t / float(model.p["usd_cny"]) for _, cny_t, _ in REAL_MARKS_CNY_T)]
    if regional(model):
        row = series(model, "price_chemical_usd_t_row")
        columns = {
            "Chemical, China": chemical,
            "Concentrate, China": columns["Concentrate"],
            ROW_CHEMICAL: row,
        }
        shown += row
    if overlay is not None:
        columns[f"Chemical, {overlay.label}"] = overlay.price_chemical_usd_t[:n]
        shown += list(overlay.price_chemical_usd_t[:n])
    top = _top(shown, EMPTY_PRICE_TOP_USD_T if n == 0 else 0.0)
    return {
        "lines": _time_rows(model, columns),
        "extent": [{"month": _month(model, 0), "usd_t": top}],
        "hint": _hint(n > 0),
    }


def loss_share_data(model: LithiumModel, overlay: Overlay | None) -> dict[str, list[dict]]:
    n = months_run(model)
    columns: dict[str, Sequence[float]] = {
        "Lepidolite mines": series(model, "loss_making_share_lepidolite"),
        "All mines": series(model, "loss_making_share"),
    }
    if overlay is not None:
        columns[f"Lepidolite, {overlay.label}"] = overlay.loss_share_lepidolite[:n]
    return {"lines": _time_rows(model, columns), "hint": _hint(n > 0)}


def production_data(model: LithiumModel) -> dict[str, list[dict]]:
    n = months_run(model)
    columns = {r.capitalize(): series(model, f"production_t_{r}") for r in RESOURCES}
    columns["Demand"] = series(model, "demand_t")
    rows = _time_rows(model, columns)
    for row in rows:  # a resource with no mine yet is zero output, not a gap in the stack
        for r in RESOURCES:
            row[r.capitalize()] = row[r.capitalize()] or 0.0
    totals = [sum(row[r.capitalize()] for r in RESOURCES) for row in rows]
    demand = [row["Demand"] for row in rows if row["Demand"] is not None]
    top = _top([*totals, *demand], EMPTY_OUTPUT_TOP_T if n == 0 else 0.0)
    return {
        "lines": rows,
        "extent": [{"month": _month(model, 0), "t": top}],
        "hint": _hint(n > 0),
    }


def hatch_segments(
    x0: float, x1: float, top: float, x_max: float, y_max: float
) -> list[dict[str, float]]:
    """Diagonal lines filling the bar [x0, x1] x [0, top], spaced evenly along the whole x axis
    (so neighbouring bars' hatching lines up) and about 45 degrees on screen."""
    if not (x1 > x0 and top > 0 and x_max > 0 and y_max > 0):
        return []
    spacing = x_max / HATCH_LINES_ACROSS
    slope = (y_max / x_max) * PLOT_ASPECT  # data units of y per unit of x for 45 degrees
    run = top / slope  # the x distance a line needs to climb the bar
    segments = []
    first = math.floor((x0 - run) / spacing) + 1
    k = first
    while k * spacing < x1:
        start = k * spacing  # where the line meets y = 0
        lo, hi = max(x0, start), min(x1, start + run)
        if hi > lo:
            segments.append(
                {
                    "x": lo,
                    "y": (lo - start) * slope,
                    "x2": hi,
                    "y2": (hi - start) * slope,
                }
            )
        k += 1
    return segments


def cost_curve_data(model: LithiumModel) -> dict[str, list[dict]]:
    started = months_run(model) > 0
    producing = [m for m in model.mines if m.output_t > 0.0] if started else []
    ranked = sorted(((m.cost_chem_equiv_usd_t(), m) for m in producing), key=lambda cm: cm[0])
    price = float(model.last_price["chemical"]) if started else math.nan
    rows, left = [], 0.0
    for cost, mine in ranked:
        rows.append(
            {
                "x0": left,
                "x1": left + mine.output_t,
                "cost_usd_t": finite(cost),
                "resource": mine.resource.capitalize(),
                "loss": bool(mine.loss_making),
                "name": mine.name,
            }
        )
        left += mine.output_t
    costs = [cost for cost, _ in ranked]
    y_max = _top([max([*costs, price if started else 0.0, 0.0]) * 1.3], 0.0)
    if not started:
        y_max = _top([], EMPTY_PRICE_TOP_USD_T)
    x_max = _top([left], EMPTY_OUTPUT_TOP_T if not started else 0.0)
    hatch = [
        segment
        for row in rows
        if row["loss"] and row["cost_usd_t"] is not None
        for segment in hatch_segments(row["x0"], row["x1"], row["cost_usd_t"], x_max, y_max)
    ]
    when = f"{model.dates[model.month]:%Y-%m}" if started else ""
    return {
        "mines": rows,
        "hatch": hatch,
        "price": [{"usd_t": price, "label": f"Chemical price {when}"}] if started else [],
        "extent": [{"x": x_max, "y": y_max}],
        "hint": _hint(started),
    }


class ChartSet:
    """One session's four charts; ``view`` rebuilds a chart's data only when its key changed."""

    def __init__(self, model: LithiumModel) -> None:
        self.model = model
        self._cache: dict[str, tuple[object, ChartView]] = {}
        self._specs: dict[tuple[str, str | None], dict[str, Any]] = {}
        self.draws = 0  # datasets built so far (read by the tests: nothing redrawn needlessly)

    def _spec(self, chart: str, overlay_label: str | None) -> dict[str, Any]:
        key = (chart, overlay_label)
        if key not in self._specs:
            if chart == "price":
                self._specs[key] = price_spec(self.model, overlay_label)
            elif chart == "loss_share":
                self._specs[key] = loss_share_spec(self.model, overlay_label)
            elif chart == "production":
                self._specs[key] = production_spec(self.model)
            else:
                self._specs[key] = cost_curve_spec()
        return self._specs[key]

    def view(self, chart: str, overlay: Overlay | None = None) -> ChartView:
        if chart not in CHARTS:
            raise ValueError(f"chart: expected one of {', '.join(CHARTS)}, got {chart!r}")
        model = self.model
        uses_overlay = chart in ("price", "loss_share")
        shown = overlay if uses_overlay else None
        key = (model.month, months_run(model), shown)
        cached = self._cache.get(chart)
        if cached is not None and cached[0] == key:
            return cached[1]
        label = shown.label if shown is not None else None
        if chart == "price":
            data = price_data(model, shown)
        elif chart == "loss_share":
            data = loss_share_data(model, shown)
        elif chart == "production":
            data = production_data(model)
        else:
            data = cost_curve_data(model)
        self.draws += 1
        stamp = f"{id(model)}:{months_run(model)}:{label or ''}:{self.draws}"
        spec = self._spec(chart, label)
        before = cached[1] if cached is not None else None
        if before is not None and before.spec is spec:
            delta = {
                name: dataset_delta(before.data.get(name, []), rows) for name, rows in data.items()
            }
            view = ChartView(spec, data, stamp, after=before.stamp, delta=delta)
        else:
            view = ChartView(spec, data, stamp)
        self._cache[chart] = (key, view)
        return view
