"""The two monthly spot markets and the captive flows that bypass them.

Each market is a uniform-price call auction (``clearing.clear_call_auction``) over the agents'
own asks and bids. Settlement runs through an exchange account, so every payment has a payer
and a payee and the exchange nets to zero. Captive flows inside an integrated group move first,
at transfer value (the last market price).

Concentrate is priced per t LCE on a spodumene-equivalent basis: lepidolite concentrate costs
more to convert, so its seller receives the price less a quality discount, and buyers receive
their share of that discount with their share of the lepidolite they take.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lithium_abm.model.clearing import clear_call_auction

if TYPE_CHECKING:
    from lithium_abm.model.lithium_model import LithiumModel


@dataclass
class MarketOutcome:
    """What one market did this month."""

    price_usd_t: float
    volume_t: float
    captive_t: float
    traded: bool


def _next_price(last: float, result) -> tuple[float, bool]:
    """Clearing price, or the mid of best bid and offer when nothing trades, or last price."""
    if result.volume > 0.0 and math.isfinite(result.price):
        return float(result.price), True
    if math.isfinite(result.best_bid) and math.isfinite(result.best_offer):
        return 0.5 * (result.best_bid + result.best_offer), False
    return last, False


def concentrate_market(model: LithiumModel) -> MarketOutcome:
    """Hard-rock mines sell concentrate to refiners."""
    last = model.last_price["concentrate"]
    discount = model.quality_discount("lepidolite")
    wanted = {r: r.feed_wanted_t() for r in model.refiners}
    captive = 0.0
    if model.p["integration_enabled"]:
        for group in model.groups.values():
            if not group.refiners:
                continue
            for mine in group.mines:
                if mine.product != "concentrate" or mine.inventory_t <= 0.0:
                    continue
                for refiner in group.refiners:
                    take = min(mine.inventory_t, wanted[refiner])
                    if take <= 0.0:
                        continue
                    lep = take if mine.resource == "lepidolite" else 0.0
                    price = max(1.0, last - (discount if lep else 0.0))
                    mine.deliver(take, price, refiner.account)
                    refiner.receive_feed(take, price, lep)
                    wanted[refiner] -= take
                    captive += take
    sellers = [m for m in model.hard_rock_mines if m.inventory_t > 1e-9]
    buyers = [r for r in model.refiners if wanted[r] > 1e-9]
    offer_p = np.array([m.ask_usd_t(last) for m in sellers])
    offer_q = np.array([m.inventory_t for m in sellers])
    bid_p = np.array([r.feed_bid_usd_t() for r in buyers])
    bid_q = np.array([wanted[r] for r in buyers])
    result = clear_call_auction(bid_p, bid_q, offer_p, offer_q)
    price, traded = _next_price(last, result)
    if traded:
        exchange = model.exchange_account
        lep_sold = 0.0
        for mine, fill in zip(sellers, result.offer_fills, strict=True):
            if fill > 0.0:
                lep = mine.resource == "lepidolite"
                mine.deliver(float(fill), price - (discount if lep else 0.0), exchange)
                lep_sold += float(fill) if lep else 0.0
        lep_share = lep_sold / result.volume
        for refiner, fill in zip(buyers, result.bid_fills, strict=True):
            if fill > 0.0:
                unit = price - discount * lep_share
                model.ledger.pay(refiner.account, exchange, float(fill) * unit, "purchases_feed")
                refiner.receive_feed(float(fill), unit, float(fill) * lep_share)
    return MarketOutcome(price, float(result.volume), captive, traded)


def chemical_market(model: LithiumModel) -> MarketOutcome:
    """Refiners, brine producers and recyclers sell chemical to battery makers.

    Importers pay tariffs on the imported share of what they buy; China's sellers pay any export
    duty on the share bought abroad. The state reserve, when there is one, bids when the price is
    low and offers its stock when it is high.
    """
    last = model.last_price["chemical"]
    reserve = model.stockpiler
    buyers = model.battery_makers + ([reserve] if reserve is not None else [])
    plans = {b: b.purchase_plan() for b in buyers}
    wanted = {b: sum(q for _, q in plan) for b, plan in plans.items()}
    captive = 0.0
    if model.p["integration_enabled"]:
        for group in model.groups.values():
            if not group.battery_makers:
                continue
            suppliers = [r for r in group.refiners] + [
                m for m in group.mines if m.product == "chemical"
            ]
            for supplier in suppliers:
                for maker in group.battery_makers:
                    take = min(supplier.chemical_stock_t, wanted[maker])
                    if take <= 0.0:
                        continue
                    supplier.deliver(take, last, maker.account)
                    maker.receive(take, last)
                    wanted[maker] -= take
                    captive += take
    sellers = [r for r in model.refiners if r.chemical_t > 1e-9]
    sellers += [m for m in model.chemical_mines if m.inventory_t > 1e-9]
    sellers += [r for r in model.recyclers if r.chemical_t > 1e-9]
    if reserve is not None and reserve.chemical_stock_t > 1e-9:
        sellers.append(reserve)
    offer_p = np.array([s.ask_usd_t(last) for s in sellers])
    offer_q = np.array([s.chemical_stock_t for s in sellers])
    bid_owner: list = []
    bid_p_list: list[float] = []
    bid_q_list: list[float] = []
    for maker, plan in plans.items():
        # Captive supply covers the most urgent part of the plan first.
        remaining = wanted[maker]
        for price, quantity in reversed(plan):
            take = min(quantity, remaining)
            if take > 1e-9:
                bid_owner.append(maker)
                bid_p_list.append(price)
                bid_q_list.append(take)
            remaining -= take
    result = clear_call_auction(np.array(bid_p_list), np.array(bid_q_list), offer_p, offer_q)
    price, traded = _next_price(last, result)
    if traded:
        exchange = model.exchange_account
        by_region: dict[str, float] = {}
        for seller, fill in zip(sellers, result.offer_fills, strict=True):
            if fill > 0.0:
                seller.deliver(float(fill), price, exchange)
                by_region[seller.region] = by_region.get(seller.region, 0.0) + float(fill)
        for maker, fill in zip(bid_owner, result.bid_fills, strict=True):
            if fill <= 0.0:
                continue
            fill = float(fill)
            model.ledger.pay(maker.account, exchange, fill * price, "purchases_chemical")
            maker.receive(fill, price)
            gov = model.government_of(maker.region)
            if gov is not None and gov.tariff > 0.0:
                imported = 1.0 - by_region.get(maker.region, 0.0) / result.volume
                duty = gov.tariff * price * fill * imported
                if duty > 0.0:
                    maker.pay(gov.account, duty, "tariffs")
                    maker.inventory_cost_usd += duty
        _export_duties(model, sellers, result.offer_fills, bid_owner, result.bid_fills, price)
    return MarketOutcome(price, float(result.volume), captive, traded)


def _export_duties(model, sellers, offer_fills, buyers, bid_fills, price: float) -> None:
    """China's chemical sellers pay the export duty on the share of the volume bought abroad."""
    rate = model.p["export_duty_cn_chemical"]
    gov = model.government_of("CN")
    if rate <= 0.0 or gov is None:
        return
    volume = float(np.sum(bid_fills))
    abroad = sum(float(f) for b, f in zip(buyers, bid_fills, strict=True) if b.region != "CN")
    if volume <= 0.0 or abroad <= 0.0:
        return
    for seller, fill in zip(sellers, offer_fills, strict=True):
        if fill > 0.0 and seller.region == "CN":
            seller.pay(gov.account, rate * price * float(fill) * abroad / volume, "export_duties")
