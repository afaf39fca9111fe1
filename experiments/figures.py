"""Standard figures of one model run, written as PNG files.

Figures are built on ``matplotlib.figure.Figure`` with the Agg canvas rather than pyplot, so
they need no display, touch no global pyplot state and are safe to call from worker
processes during seed sweeps.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import StrMethodFormatter

from lithium_abm.experiments.patterns import bust_trough_month, bust_window
from lithium_abm.model.parameters import RESOURCES

DPI = 120
FIGSIZE = (9.0, 5.0)
RESOURCE_COLOURS = {
    "brine": "#1f77b4",
    "spodumene": "#2ca02c",
    "lepidolite": "#d62728",
    "clay": "#9467bd",
}


def _new_figure() -> tuple[Figure, Axes]:
    fig = Figure(figsize=FIGSIZE)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel("Date")
    ax.grid(True, alpha=0.3)


def _thousands(axis: Axis) -> None:
    axis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def _save(fig: Figure, path: str | Path) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, dpi=DPI)
    return out


def _dated(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["date"] = pd.to_datetime(out["date"])
    return out.sort_values("date", kind="stable")


def plot_prices(model_df: pd.DataFrame, path: str | Path) -> Path:
    """Chemical and concentrate prices over time."""
    df = _dated(model_df)
    fig, ax = _new_figure()
    ax.plot(df["date"], df["price_chemical_usd_t"], label="Battery-grade chemical", lw=1.8)
    ax.plot(df["date"], df["price_concentrate_usd_t"], label="Concentrate", lw=1.4)
    ax.set_title("Lithium prices")
    ax.set_ylabel("Price (USD/t LCE)")
    _thousands(ax.yaxis)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left")
    _date_axis(ax)
    return _save(fig, path)


def draw_production(ax, df: pd.DataFrame, demand_lw: float = 1.4) -> None:
    """Mine output stacked by resource with the demand line (shared with the dashboard)."""
    none = pd.Series(0.0, index=df.index)  # a resource older runs did not record
    ax.stackplot(
        df["date"],
        *[df.get(f"production_t_{r}", none).fillna(0.0) for r in RESOURCES],
        labels=[r.capitalize() for r in RESOURCES],
        colors=[RESOURCE_COLOURS[r] for r in RESOURCES],
        alpha=0.75,
    )
    ax.plot(df["date"], df["demand_t"], color="black", lw=demand_lw, label="Demand")


def plot_production(model_df: pd.DataFrame, path: str | Path) -> Path:
    """Monthly production stacked by resource, against demand."""
    df = _dated(model_df)
    fig, ax = _new_figure()
    draw_production(ax, df, demand_lw=1.6)
    ax.set_title("Lithium production by resource and demand")
    ax.set_ylabel("Production and demand (t LCE per month)")
    _thousands(ax.yaxis)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left")
    _date_axis(ax)
    return _save(fig, path)


def plot_loss_making(model_df: pd.DataFrame, path: str | Path) -> Path:
    """Share of mine output made at a loss, with the bust window shaded."""
    df = _dated(model_df)
    fig, ax = _new_figure()
    window = bust_window(df)
    if window is not None:
        end = window.end + pd.DateOffset(months=1)  # shade through the last month
        ax.axvspan(window.start, end, color="grey", alpha=0.2, label="Bust window (24 months)")
    ax.plot(df["date"], df["loss_making_share"], label="All mines", lw=1.6)
    ax.plot(
        df["date"],
        df["loss_making_share_lepidolite"],
        label="Lepidolite mines",
        lw=1.6,
        color=RESOURCE_COLOURS["lepidolite"],
    )
    ax.set_title("Share of mine output produced at a negative cash margin")
    ax.set_ylabel("Share of monthly output (0-1)")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="upper left")
    _date_axis(ax)
    return _save(fig, path)


def plot_cost_curve(
    agents_df: pd.DataFrame,
    model_df: pd.DataFrame,
    path: str | Path,
    date: str | pd.Timestamp | None = None,
) -> Path:
    """Supply cost curve of producing mines in one month, against that month's price.

    The default month is the bust's trough, where the curve shows who produces at a loss.
    """
    model = _dated(model_df)
    if date is None:
        month = bust_trough_month(model)
        if month is None:  # no price data at all: show the last month
            month = pd.Timestamp(model["date"].iloc[-1])
    else:
        month = pd.Timestamp(date).to_period("M").to_timestamp()

    agents = agents_df.copy()
    agents["date"] = pd.to_datetime(agents["date"])
    mines = agents[
        (agents["date"] == month) & (agents["agent_type"] == "mine") & (agents["output_t"] > 0)
    ].sort_values("cost_chem_equiv_usd_t", kind="stable")

    fig, ax = _new_figure()
    left = mines["output_t"].cumsum() - mines["output_t"]
    for resource, colour in RESOURCE_COLOURS.items():
        for loss in (False, True):
            sel = (mines["resource"] == resource) & (mines["loss_making"].astype(bool) == loss)
            if not sel.any():
                continue
            ax.bar(
                left[sel],
                mines.loc[sel, "cost_chem_equiv_usd_t"],
                width=mines.loc[sel, "output_t"],
                align="edge",
                color=colour,
                edgecolor="black" if loss else colour,
                linewidth=0.8 if loss else 0.3,
                hatch="///" if loss else None,
            )
    handles: list = [Patch(color=RESOURCE_COLOURS[r], label=r.capitalize()) for r in RESOURCES]
    handles.append(Patch(facecolor="white", edgecolor="black", hatch="///", label="Loss-making"))
    price = model.loc[model["date"] == month, "price_chemical_usd_t"]
    if not price.empty and pd.notna(price.iloc[0]):
        line = ax.axhline(
            float(price.iloc[0]),
            color="black",
            ls="--",
            lw=1.4,
            label=f"Chemical price {price.iloc[0]:,.0f} USD/t",
        )
        handles.append(line)
    if mines.empty:
        ax.text(0.5, 0.5, "No mine output this month", transform=ax.transAxes, ha="center")
    ax.set_title(f"Mine supply cost curve, {month:%Y-%m}")
    ax.set_xlabel("Cumulative mine output (t LCE per month)")
    ax.set_ylabel("Cash cost (USD/t LCE, chemical equivalent)")
    _thousands(ax.xaxis)
    _thousands(ax.yaxis)
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(handles=handles, loc="upper left")
    return _save(fig, path)


def write_all_figures(
    model_df: pd.DataFrame, agents_df: pd.DataFrame, outdir: str | Path
) -> list[Path]:
    """Write the standard figures of a run into ``outdir`` (created if missing)."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    return [
        plot_prices(model_df, out / "prices.png"),
        plot_production(model_df, out / "production.png"),
        plot_loss_making(model_df, out / "loss_making.png"),
        plot_cost_curve(agents_df, model_df, out / "cost_curve.png"),
    ]
