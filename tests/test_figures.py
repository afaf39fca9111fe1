"""Figures render to PNG files from synthetic run output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lithium_abm.experiments.figures import plot_cost_curve, write_all_figures

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
RESOURCES = ("brine", "spodumene", "lepidolite")


def make_run() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A boom-bust run 2015-2035 with three mines per resource."""
    dates = pd.date_range("2015-01-01", "2035-12-01", freq="MS")
    n = len(dates)
    t = np.arange(n)
    peak = dates.get_loc(pd.Timestamp("2022-11-01"))
    price = 10_000.0 + 70_000.0 * np.exp(-(((t - peak) / 10.0) ** 2))
    lep_share = np.where(price < 20_000.0, 0.6, 0.1)
    model = pd.DataFrame(
        {
            "date": dates,
            "price_chemical_usd_t": price,
            "price_concentrate_usd_t": price * 0.12,
            "demand_t": np.linspace(20_000.0, 150_000.0, n),
            "production_t": np.linspace(20_000.0, 140_000.0, n),
            "production_t_brine": np.linspace(8_000.0, 40_000.0, n),
            "production_t_spodumene": np.linspace(10_000.0, 70_000.0, n),
            "production_t_lepidolite": np.linspace(2_000.0, 30_000.0, n),
            "capacity_tpa_brine": 500_000.0,
            "capacity_tpa_spodumene": 900_000.0,
            "capacity_tpa_lepidolite": 400_000.0,
            "loss_making_share": lep_share / 2,
            "loss_making_share_lepidolite": lep_share,
            "output_t_independent": 1_000.0,
            "loss_output_t_independent": 100.0,
            "output_t_supported": 1_000.0,
            "loss_output_t_supported": 500.0,
            "china_refining_share": 0.7,
            "subsidy_usd": 0.0,
            "inventory_t": 1_000.0,
        }
    )
    rng = np.random.default_rng(0)
    base_cost = {"brine": 5_000.0, "spodumene": 9_000.0, "lepidolite": 13_000.0}
    rows = []
    for date, p in zip(dates, price, strict=True):
        for i, resource in enumerate(RESOURCES):
            for k in range(3):
                cost = base_cost[resource] * (0.8 + 0.2 * k)
                rows.append(
                    {
                        "date": date,
                        "agent_id": 3 * i + k,
                        "name": f"{resource}-{k}",
                        "agent_type": "mine",
                        "resource": resource,
                        "region": "CN" if resource == "lepidolite" else "CL",
                        "owner_kind": "independent",
                        "state": "operating",
                        "capacity_tpa": 24_000.0,
                        "output_t": float(rng.uniform(500.0, 2_000.0)),
                        "unit_cash_cost_usd_t": cost,
                        "cost_chem_equiv_usd_t": cost,
                        "realized_price_usd_t": p,
                        "loss_making": bool(cost > p),
                    }
                )
    return model, pd.DataFrame(rows)


def test_write_all_figures_writes_four_pngs(tmp_path: Path) -> None:
    model, agents = make_run()
    outdir = tmp_path / "figs" / "baseline"
    paths = write_all_figures(model, agents, outdir)
    names = sorted(p.name for p in paths)
    assert names == ["cost_curve.png", "loss_making.png", "prices.png", "production.png"]
    for path in paths:
        assert path.parent == outdir
        data = path.read_bytes()
        assert len(data) > 1_000
        assert data.startswith(PNG_MAGIC)


def test_cost_curve_at_explicit_month_without_output(tmp_path: Path) -> None:
    model, agents = make_run()
    path = plot_cost_curve(agents, model, tmp_path / "empty.png", date="2040-01-15")
    assert path.read_bytes().startswith(PNG_MAGIC)
