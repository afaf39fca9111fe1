"""Quantities of one run against the supply history (issue 10): output, stocks, shares.

The prices of a run can look right while the tonnes behind them are wrong; these figures put
the tonnes beside the public record in ``docs/sources/supply_history/`` (USGS mine production,
China's refining share and lepidolite output). Every figure is a pure function of one run's
frames (``model_df``: the columns of ``model.parquet``; ``agents_df``: those of
``agents.parquet``); :func:`run_figures` gathers them in one long table (figure, year, value)
so that seeds can be stacked and reduced to a median per figure and year.

Conventions:

* Model flows are t LCE per month; a calendar year's output is the sum of its twelve months
  and is NaN for a year the run does not cover in full.
* USGS gives t of lithium content; one t Li is 5.323 t LCE. For each year and country the
  row of the latest MCS edition is used (``status`` starting with "latest"); where the file
  holds only an earlier estimate, that row is used and its status shown.
* The world total of USGS excludes the United States (withheld); the model's world output
  includes its one US mine, a few kt LCE a year.

Run ``python -m lithium_abm.experiments.quantities --scenario baseline --seeds 10`` for the
table over seeds.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

import pandas as pd

from lithium_abm.experiments.patterns import annual_sum, bust_window, check_curtailment

LCE_PER_LI = 5.323  # t Li2CO3 per t Li (molar masses 73.89 / 2 x 6.94)
SUPPLY_HISTORY = Path(__file__).resolve().parents[1] / "docs" / "sources" / "supply_history"
USGS_FILE = "usgs_mine_production_t_li.csv"
REFINING_FILE = "refining_share.csv"
LEPIDOLITE_FILE = "china_lepidolite.csv"
USGS_WORLD = "World total (excl. US)"
COUNTRIES = {"AU": "Australia", "CL": "Chile", "CN": "China", "AR": "Argentina"}
HISTORY_YEARS = range(2015, 2026)
RATIO_YEARS = range(2016, 2025)  # the years the goal judges (within 20% of USGS)
YOY_YEARS = range(2016, 2036)  # changes into these years, i.e. within 2015-2035
LOSS_BAND = (0.1, 0.9)
SWING_AFTER = pd.Timestamp("2025-12-01")  # swings counted in 12-month totals ending after it
SWING_WINDOW_MONTHS = 24


# --- the run's frames ----------------------------------------------------------------------


def mine_rows(agents_df: pd.DataFrame) -> pd.DataFrame:
    """The mines' monthly rows with a datetime ``date`` and a ``year`` column."""
    df = agents_df[agents_df["agent_type"] == "mine"].copy()
    df["date"] = pd.to_datetime(df["date"])
    df["year"] = df["date"].dt.year
    return df


def _complete_years(dates: pd.Series) -> set[int]:
    """Calendar years with all twelve months present."""
    months = pd.to_datetime(dates).drop_duplicates()
    counts = months.dt.year.value_counts()
    return {int(y) for y, n in counts.items() if n == 12}


def annual_mine_output_t(agents_df: pd.DataFrame, by: str | None = None) -> pd.Series:
    """Mines' output per calendar year (t LCE), optionally per ``by`` (region, resource).

    Indexed by year (or (by, year)); only complete years appear.
    """
    mines = mine_rows(agents_df)
    full = _complete_years(mines["date"])
    mines = mines[mines["year"].isin(full)]
    keys = ["year"] if by is None else [by, "year"]
    return mines.groupby(keys)["output_t"].sum()


def year_on_year(annual: pd.Series) -> pd.Series:
    """Relative change of an annual series from the year before (-0.48 is a 48% fall)."""
    annual = annual.sort_index()
    prev = annual.shift(1)
    change = (annual - prev) / prev.where(prev > 0)
    return change.dropna()


def largest_fall(annual: pd.Series, first: int = 2015, last: int = 2035) -> float:
    """The largest one-year fall within first..last as a positive fraction (0 if none)."""
    yoy = year_on_year(annual[(annual.index >= first) & (annual.index <= last)])
    if yoy.empty:
        return math.nan
    return float(max(0.0, -yoy.min()))


def unmet_share_by_year(model_df: pd.DataFrame) -> pd.Series:
    """Unmet demand over demand per calendar year (complete years only)."""
    unmet = annual_sum(model_df, "unmet_demand_t")
    demand = annual_sum(model_df, "demand_t")
    return (unmet / demand.where(demand > 0)).dropna()


def lepidolite_loss_share(agents_df: pd.DataFrame) -> pd.Series:
    """Share of lepidolite mines' *output* that is loss-making, per month (NaN: no output).

    Output, not capacity: a mine in care and maintenance has capacity but sells nothing, so
    it neither makes nor avoids a loss that month, and a mine that cuts back should weigh by
    what it still produces. This is also how ``loss_making_share_lepidolite`` and the CRU
    figure behind the loss target ("share of tracked output at a loss") are defined.
    """
    mines = mine_rows(agents_df)
    lep = mines[mines["resource"] == "lepidolite"]
    out = lep.groupby("date")["output_t"].sum()
    loss = lep[lep["loss_making"].astype(bool)].groupby("date")["output_t"].sum()
    loss = loss.reindex(out.index, fill_value=0.0)
    return (loss / out.where(out > 0)).sort_index()


def share_in_band(
    share: pd.Series, model_df: pd.DataFrame, band: tuple[float, float] = LOSS_BAND
) -> float:
    """Share of the bust window's months in which ``share`` lies in ``band`` (NaN: no bust).

    A month without lepidolite output counts as outside the band.
    """
    window = bust_window(model_df)
    if window is None:
        return math.nan
    months = pd.date_range(window.start, window.end, freq="MS")
    values = share.reindex(months)
    values = values[months <= share.index.max()]  # months the run covers
    if values.empty:
        return math.nan
    inside = (values >= band[0]) & (values <= band[1])
    return float(inside.mean())


def extreme_share(share: pd.Series) -> float:
    """Share of months with lepidolite output whose loss share is exactly 0 or 1."""
    values = share.dropna()
    if values.empty:
        return math.nan
    # Within 1e-9: a sum of the same mines' output over itself is 1 only up to rounding.
    return float(((values <= 1e-9) | (values >= 1.0 - 1e-9)).mean())


def annual_mean(model_df: pd.DataFrame, column: str) -> pd.Series:
    """Mean of a monthly column per calendar year (complete years only)."""
    df = model_df.copy()
    df["date"] = pd.to_datetime(df["date"])
    full = _complete_years(df["date"])
    df = df[df["date"].dt.year.isin(full)]
    return df.groupby(df["date"].dt.year)[column].mean()


def swing_amplitude(model_df: pd.DataFrame) -> float:
    """Largest max/min of 12-month world output within any 24 months after 2025.

    The 12-month totals are rolling sums ending in each month from 2026-12 on (so only
    post-2025 months count); each 24-month stretch of them gives max/min, and the largest is
    returned (1.0 is no swing). NaN if the run does not reach 24 such totals.
    """
    df = model_df.copy()
    df["date"] = pd.to_datetime(df["date"])
    df = df[df["date"] > SWING_AFTER].sort_values("date")
    totals = df.set_index("date")["production_t"].rolling(12).sum().dropna()
    if len(totals) < SWING_WINDOW_MONTHS:
        return math.nan
    hi = totals.rolling(SWING_WINDOW_MONTHS).max().dropna()
    lo = totals.rolling(SWING_WINDOW_MONTHS).min().dropna()
    ratios = hi / lo.where(lo > 0)
    return float(ratios.max()) if ratios.notna().any() else math.inf


# --- one run, all figures --------------------------------------------------------------------


def _rows(figure: str, series: pd.Series, years: range, scale: float = 1.0) -> list[dict]:
    return [
        {"figure": figure, "year": y, "value": float(series.get(y, math.nan)) * scale}
        for y in years
    ]


def _scalar(figure: str, value: float) -> dict:
    return {"figure": figure, "year": pd.NA, "value": float(value)}


def run_figures(
    model_df: pd.DataFrame,
    agents_df: pd.DataFrame,
    usgs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every quantity figure of one run as a long table: figure, year (NA for scalars), value.

    Output figures are in kt LCE per year; shares and ratios are plain numbers. ``usgs`` (from
    :func:`load_usgs`) is needed for the model/USGS ratios; without it they are left out.
    """
    rows: list[dict] = []
    world = annual_mine_output_t(agents_df)
    rows += _rows("world output kt", world, HISTORY_YEARS, 1e-3)
    if usgs is not None:
        ref = usgs_series(usgs, USGS_WORLD)
        ratio = world / ref
        rows += _rows("world output / USGS", ratio, RATIO_YEARS)
        rows.append(
            _scalar(
                "years within 20% of USGS 2016-2024",
                float(sum(abs(ratio.get(y, math.nan) - 1.0) <= 0.2 for y in RATIO_YEARS)),
            )
        )
    by_region = annual_mine_output_t(agents_df, by="region")
    for code in COUNTRIES:
        series = by_region.xs(code) if code in by_region.index.get_level_values(0) else pd.Series()
        rows += _rows(f"output {code} kt", series, HISTORY_YEARS, 1e-3)
    yoy = year_on_year(world)
    rows += _rows("world output change y/y", yoy, YOY_YEARS)
    rows.append(_scalar("largest y/y fall 2015-2035", largest_fall(world)))
    by_resource = annual_mine_output_t(agents_df, by="resource")
    for resource in ("brine", "lepidolite"):
        if resource in by_resource.index.get_level_values(0):
            series = by_resource.xs(resource)
        else:
            series = pd.Series(dtype=float)
        rows += _rows(f"{resource} output kt", series, HISTORY_YEARS, 1e-3)
    lep = by_resource.xs("lepidolite") if "lepidolite" in by_resource.index else pd.Series()
    rows.append(_scalar("lepidolite 2025 / 2022", _div(lep.get(2025), lep.get(2022))))
    grows = all(lep.get(y + 1, math.nan) > lep.get(y, math.nan) for y in range(2022, 2025))
    rows.append(_scalar("lepidolite grows each year 2022-2025 (share of seeds)", float(grows)))
    df = model_df.copy()
    df["date"] = pd.to_datetime(df["date"])
    cm = df.set_index("date")["mines_care_maintenance"]
    rows += _rows(
        "mines in care & maintenance, max in year", cm.groupby(cm.index.year).max(), HISTORY_YEARS
    )
    rows.append(_scalar("mines in care & maintenance, max month", float(cm.max())))
    standing = df[["mines_ramp_up", "mines_operating", "mines_care_maintenance"]].sum(axis=1)
    rows.append(_scalar("mines standing in that month", float(standing.iloc[int(cm.argmax())])))
    unmet = unmet_share_by_year(model_df)
    rows += _rows("unmet demand / demand", unmet, range(2015, 2036))
    rows.append(_scalar("unmet share, worst year 2015-2025", _max(unmet, 2015, 2025)))
    rows.append(_scalar("unmet share, worst year 2026-2035", _max(unmet, 2026, 2035)))
    # The model's own share counts the loss-making tranches of each mine's output (cost rises
    # across an operation's tranches); the mine-flag share counts a mine's whole output as
    # loss-making when its average cost at the share it ran exceeds the price.
    tranches = model_df.set_index("date")["loss_making_share_lepidolite"]
    tranches.index = pd.to_datetime(tranches.index)
    for label, share in (("", tranches), (" (mine flags)", lepidolite_loss_share(agents_df))):
        rows.append(
            _scalar(
                f"lepidolite loss share{label} in [0.1, 0.9], share of bust months",
                share_in_band(share, model_df),
            )
        )
        rows.append(
            _scalar(
                f"lepidolite loss share{label} exactly 0 or 1, share of months",
                extreme_share(share),
            )
        )
    rows += _rows(
        "China refining share", annual_mean(model_df, "china_refining_share"), HISTORY_YEARS
    )
    p6 = check_curtailment(model_df, agents_df)
    rows.append(_scalar("RoW independent hard rock, bust / 12 months before", p6.headline))
    rows.append(_scalar("RoW independent hard rock falls in bust (share of seeds)", p6.passed))
    rows.append(
        _scalar("post-2025 swing, max/min 12-month output in 24 months", swing_amplitude(model_df))
    )
    out = pd.DataFrame(rows, columns=["figure", "year", "value"])
    out["year"] = out["year"].astype("Int64")
    return out


def _div(num: float | None, den: float | None) -> float:
    if num is None or den is None or not (den > 0) or math.isnan(num):
        return math.nan
    return float(num / den)


def _max(series: pd.Series, first: int, last: int) -> float:
    part = series[(series.index >= first) & (series.index <= last)]
    return float(part.max()) if len(part) else math.nan


# --- the sources ---------------------------------------------------------------------------


def load_usgs(directory: Path = SUPPLY_HISTORY) -> pd.DataFrame:
    """USGS mine production, one row per (year, country): the latest edition's figure.

    Columns: year, country, t_li, t_lce, edition, status, source. Rows without a number,
    withheld (W) or rejected as parse errors are dropped; where no row has a "latest" status
    the most recent edition's row is kept (its status says so).
    """
    df = pd.read_csv(directory / USGS_FILE, dtype=str, keep_default_na=False)
    df = df[~df["status"].str.upper().str.startswith("REJECTED")]
    df = df[pd.to_numeric(df["t_li"], errors="coerce").notna()].copy()
    df["t_li"] = df["t_li"].astype(float)
    df["year"] = df["year"].astype(int)
    df["latest"] = df["status"].str.startswith("latest")
    df["edition_year"] = pd.to_numeric(
        df["edition"].str.extract(r"MCS (\d{4})")[0], errors="coerce"
    ).fillna(0)
    df = df.sort_values(["year", "country", "latest", "edition_year"], kind="stable")
    df = df.groupby(["year", "country"], as_index=False).tail(1)
    df["t_lce"] = df["t_li"] * LCE_PER_LI
    cols = ["year", "country", "t_li", "t_lce", "edition", "status", "source"]
    return df[cols].reset_index(drop=True)


def usgs_series(usgs: pd.DataFrame, country: str) -> pd.Series:
    """One country's (or the world's) USGS output in t LCE, indexed by year."""
    rows = usgs[usgs["country"] == country]
    return pd.Series(rows["t_lce"].to_numpy(), index=rows["year"].to_numpy(), dtype=float)


def load_refining_share(directory: Path = SUPPLY_HISTORY) -> pd.Series:
    """China's share of lithium refining by year (0-1), lithium-only rows, forecasts left out.

    The 2019 Benchmark row covers all battery chemicals, not lithium; the 2023 row is a weak
    secondary compilation, kept because it is the only figure for that year.
    """
    df = pd.read_csv(directory / REFINING_FILE, dtype=str, keep_default_na=False)
    kind = df["kind"]
    keep = ~kind.str.contains("NOT FOUND|forecast|aggregate", regex=True)
    df = df[keep & (kind != "")]
    df = df[pd.to_numeric(df["china_share_pct"], errors="coerce").notna()]
    return pd.Series(
        df["china_share_pct"].astype(float).to_numpy() / 100.0,
        index=df["year"].astype(int).to_numpy(),
    )


def load_lepidolite(directory: Path = SUPPLY_HISTORY) -> pd.DataFrame:
    """China's lepidolite-based output rows in tonnes (LCE or carbonate, ~equal), by year."""
    df = pd.read_csv(directory / LEPIDOLITE_FILE, dtype=str, keep_default_na=False)
    metric = df["metric"].str.lower()
    keep = (
        metric.str.startswith("china lepidolite")
        & ~metric.str.contains("share")
        & df["unit"].str.startswith("t")
        & pd.to_numeric(df["value"], errors="coerce").notna()
    )
    df = df[keep].copy()
    df["year"] = df["year"].astype(int)
    df["value"] = df["value"].astype(float)
    return df[["year", "value", "unit", "kind", "source_org"]].reset_index(drop=True)


def source_values(directory: Path = SUPPLY_HISTORY) -> pd.DataFrame:
    """The source value beside each (figure, year): numeric ``source`` and a ``note``."""
    usgs = load_usgs(directory)
    rows: list[dict] = []

    def add_usgs(figure: str, country: str, years: range, note_country: str = "") -> None:
        part = usgs[usgs["country"] == country].set_index("year")
        for y in years:
            if y in part.index:
                r = part.loc[y]
                note = "" if r["status"].startswith("latest") else f"({r['status']})"
                edition = re.search(r"MCS \d{4}", r["edition"])
                edition = edition.group(0) if edition else r["edition"]
                rows.append(
                    {
                        "figure": figure,
                        "year": y,
                        "source": r["t_lce"] / 1e3,
                        "note": f"USGS {edition}{note_country} {note}".strip(),
                    }
                )

    add_usgs("world output kt", USGS_WORLD, HISTORY_YEARS, " world excl. US")
    for code, country in COUNTRIES.items():
        add_usgs(f"output {code} kt", country, HISTORY_YEARS)
    for y in RATIO_YEARS:
        rows.append({"figure": "world output / USGS", "year": y, "source": 1.0, "note": ""})
    world = usgs_series(usgs, USGS_WORLD)
    for y, change in year_on_year(world).items():
        if y in YOY_YEARS:
            rows.append(
                {
                    "figure": "world output change y/y",
                    "year": int(y),
                    "source": float(change),
                    "note": "USGS world",
                }
            )
    brine = usgs_series(usgs, "Chile") + usgs_series(usgs, "Argentina")
    for y, value in brine.dropna().items():
        if y in HISTORY_YEARS:
            rows.append(
                {
                    "figure": "brine output kt",
                    "year": int(y),
                    "source": value / 1e3,
                    "note": "USGS Chile + Argentina (all brine)",
                }
            )
    for y, share in load_refining_share(directory).groupby(level=0).first().items():
        rows.append(
            {
                "figure": "China refining share",
                "year": int(y),
                "source": share,
                "note": "refining_share.csv",
            }
        )
    lep = load_lepidolite(directory)
    lep_first = lep.groupby("year")["value"].first()
    rows.append(
        {
            "figure": "lepidolite 2025 / 2022",
            "year": pd.NA,
            "source": _div(lep_first.get(2025), lep_first.get(2022)),
            "note": "2025 forecast (Traxys 193 kt) / 2022 (85 kt)",
        }
    )
    for y, group in lep.groupby("year"):
        values = " / ".join(f"{v / 1e3:.0f}" for v in group["value"])
        kinds = "; ".join(dict.fromkeys(group["kind"]))
        rows.append(
            {
                "figure": "lepidolite output kt",
                "year": int(y),
                "source": float(group["value"].iloc[0]) / 1e3,
                "note": f"{values} kt ({kinds})" + ("; goal 60-120 kt" if y == 2022 else ""),
            }
        )
    rows += [
        {
            "figure": "largest y/y fall 2015-2035",
            "year": pd.NA,
            "source": largest_fall(world, 2015, 2024),
            "note": "USGS world 2015-2024",
        },
        {
            "figure": "years within 20% of USGS 2016-2024",
            "year": pd.NA,
            "source": 8.0,
            "note": "issue 10 goal: at least 8",
        },
        {
            "figure": "unmet share, worst year 2015-2025",
            "year": pd.NA,
            "source": 0.02,
            "note": "P7: at most 0.02",
        },
        {
            "figure": "lepidolite loss share in [0.1, 0.9], share of bust months",
            "year": pd.NA,
            "source": 0.5,
            "note": "issue 10 goal: at least 0.5",
        },
        {
            "figure": "RoW independent hard rock, bust / 12 months before",
            "year": pd.NA,
            "source": math.nan,
            "note": "P6: below 1 (2024: Finniss, Bald Hill, Ngungaju C&M)",
        },
        {
            "figure": "RoW independent hard rock falls in bust (share of seeds)",
            "year": pd.NA,
            "source": 0.8,
            "note": "P6 holds in >= 0.8 of seeds",
        },
        {
            "figure": "lepidolite grows each year 2022-2025 (share of seeds)",
            "year": pd.NA,
            "source": 1.0,
            "note": "issue 10 goal",
        },
    ]
    out = pd.DataFrame(rows, columns=["figure", "year", "source", "note"])
    out["year"] = out["year"].astype("Int64")
    return out


# --- many seeds ---------------------------------------------------------------------------

MEAN_FIGURES = ("share of seeds",)
# Levels whose model/source ratio means something (not changes, counts or thresholds).
RATIO_FIGURES = (
    "China refining share",
    "lepidolite 2025 / 2022",
)  # 0/1 figures: the mean over seeds is the share passing


def summarise(per_seed: list[pd.DataFrame], sources: pd.DataFrame | None = None) -> pd.DataFrame:
    """Median (for 0/1 figures: mean) and range over seeds per figure and year, with sources.

    Rows keep the order of the first seed's table.
    """
    stacked = pd.concat(per_seed, keys=range(len(per_seed)), names=["seed", "row"])
    stacked = stacked.reset_index(level="row")
    grouped = stacked.groupby(["figure", "year"], dropna=False, sort=False)["value"]
    out = grouped.agg(median="median", low="min", high="max", mean="mean").reset_index()
    is_mean = out["figure"].str.contains("|".join(MEAN_FIGURES), regex=True)
    out.loc[is_mean, "median"] = out.loc[is_mean, "mean"]
    out = out.drop(columns="mean")
    out["seeds"] = len(per_seed)
    if sources is not None:
        out = out.merge(sources, on=["figure", "year"], how="left")
        levels = out["figure"].isin(RATIO_FIGURES) | out["figure"].str.endswith(" kt")
        out["ratio"] = (out["median"] / out["source"].where(out["source"] != 0)).where(levels)
    return out


def _cell(value: float) -> str:
    if value is None or pd.isna(value):
        return ""
    if math.isinf(value):
        return "inf"
    if abs(value) < 1e-9:  # sums of floats leave 1e-17 where nothing is unmet
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def format_summary(summary: pd.DataFrame) -> str:
    """Fixed-width text of :func:`summarise` for a terminal."""
    lines = []
    header = (
        f"{'figure':<58} {'year':>4} {'median':>8} {'min..max over seeds':>20} "
        f"{'source':>8} {'model/src':>9}  note"
    )
    lines.append(header)
    lines.append("-" * len(header))
    has_source = "source" in summary.columns
    for r in summary.itertuples(index=False):
        year = "" if pd.isna(r.year) else str(int(r.year))
        spread = f"{_cell(r.low)}..{_cell(r.high)}"
        src = _cell(r.source) if has_source else ""
        rel = _cell(r.ratio) if has_source else ""
        note = r.note if has_source and isinstance(r.note, str) else ""
        lines.append(
            f"{r.figure:<58} {year:>4} {_cell(r.median):>8} {spread:>20} {src:>8} {rel:>9}"
            f"  {note}".rstrip()
        )
    return "\n".join(lines)


def measure(scenario: str, seeds: int, first_seed: int = 1, progress=None) -> pd.DataFrame:
    """Run ``scenario`` for each seed and summarise its quantity figures against sources."""
    from lithium_abm.experiments.runner import run_model
    from lithium_abm.experiments.scenario import load_scenario

    config = load_scenario(scenario)
    usgs = load_usgs()
    per_seed = []
    for seed in range(first_seed, first_seed + seeds):
        result = run_model(config, seed)
        per_seed.append(run_figures(result.model_df, result.agents_df, usgs))
        del result
        if progress is not None:
            progress(seed)
    return summarise(per_seed, source_values())


def main(argv: list[str] | None = None) -> int:
    """``python -m lithium_abm.experiments.quantities``: print the table over seeds."""
    from lithium_abm.cli import CliError, _error, _first_seed, _whole_number
    from lithium_abm.experiments.scenario import ScenarioError

    parser = argparse.ArgumentParser(
        prog="python -m lithium_abm.experiments.quantities",
        description="Quantities of a scenario (median over seeds) against the supply history.",
    )
    parser.add_argument("--scenario", default="baseline", metavar="NAME|FILE")
    parser.add_argument("--seeds", default="10", metavar="N")
    parser.add_argument("--first-seed", default="1", metavar="SEED")
    args = parser.parse_args(argv)
    try:
        seeds = _whole_number(args.seeds, "--seeds", 1, 10_000)
        first = _first_seed(args.first_seed, "--first-seed", seeds)
        summary = measure(
            args.scenario,
            seeds,
            first,
            progress=lambda s: print(f"seed {s} done", file=sys.stderr, flush=True),
        )
    except (CliError, ScenarioError) as exc:
        _error(exc)
        return 2
    except OSError as exc:
        _error(f"could not read the supply history in {SUPPLY_HISTORY}: {exc}")
        return 1
    print(format_summary(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
