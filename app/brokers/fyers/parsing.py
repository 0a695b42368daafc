"""Fyers REST bodies and socket events -> domain objects. Pure functions, no I/O.

Shapes: /work/shared/data/exchange/fyers (rest/, ws/: the dicts the SDK hands to callbacks).
Numbers arrive as JSON floats; they become Decimal through their shortest text form
(``Decimal(str(x))``: 7.95 -> Decimal("7.95"), never the binary expansion), and cash is
rounded to paise. Fyers times are epoch SECONDS or IST wall-clock text; both become UTC
epoch nanoseconds here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation

from app.brokers.fyers.market_hours import IST
from app.brokers.fyers.order_tags import client_id_from_tag
from app.engine.domain.errors import ValidationError
from app.engine.domain.fills import Fill, Liquidity
from app.engine.domain.instruments import AssetClass, Instrument
from app.engine.domain.market import Bar, QuoteTick, Timeframe, TradeTick
from app.engine.domain.orders import OrderSide, OrderStatus, OrderType
from app.engine.domain.values import ZERO
from app.engine.ports import VenueOrderState

VENUE = "fyers"
INR = "INR"
PAISA = Decimal("0.01")
# NSE's cash-market tick was 0.05 for every equity for years (and Fyers' depth sample says
# "tick_Size": 0.05); since 2025 NSE sets it per price band, so the adapter asks the depth
# endpoint for each symbol's own tick and uses this only when Fyers does not say.
DEFAULT_TICK = Decimal("0.05")
ONE = Decimal(1)  # equities trade in whole shares: lot 1, minimum 1
_NS = 1_000_000_000
_RESOLUTIONS = {
    Timeframe.M1: "1",
    Timeframe.M5: "5",
    Timeframe.M15: "15",
    Timeframe.H1: "60",
    Timeframe.H4: "240",
    Timeframe.D1: "1D",
}
# Fyers order "type": 1 limit, 2 market, 3 stop (SL-M), 4 stop-limit (SL-L)
FYERS_TYPE = {
    OrderType.LIMIT: 1,
    OrderType.MARKET: 2,
    OrderType.STOP_MARKET: 3,
    OrderType.STOP_LIMIT: 4,
}
_TYPE_OF = {code: kind for kind, code in FYERS_TYPE.items()}
# Fyers order "status": 1 canceled, 2 traded (filled), 4 transit, 5 rejected, 6 pending,
# 7 expired. Transit means Fyers took it and is routing it to the exchange: it exists.
_STATUS = {
    1: OrderStatus.CANCELED,
    2: OrderStatus.FILLED,
    4: OrderStatus.ACCEPTED,
    5: OrderStatus.REJECTED,
    6: OrderStatus.ACCEPTED,
    7: OrderStatus.EXPIRED,
}
OPEN_STATUS_CODES = frozenset({4, 6})


# --- values ---------------------------------------------------------------------------
def dec(value: object, field: str) -> Decimal:
    if isinstance(value, bool) or value is None or value == "":
        raise ValidationError(field, "must be a number", value)
    try:
        out = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError(field, "must be a number", value) from None
    if not out.is_finite():
        raise ValidationError(field, "must be a finite number", value)
    return out


def seconds_to_ns(value: object, field: str = "time") -> int:
    return int(dec(value, field) * _NS)


def fyers_time_to_ns(text: object, field: str = "orderDateTime") -> int:
    """Fyers' IST wall-clock times: "09-Mar-2023 09:34:38" or "04-08-2023 10:12:58"."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return seconds_to_ns(text, field)
    for fmt in ("%d-%b-%Y %H:%M:%S", "%d-%m-%Y %H:%M:%S"):
        try:
            local = datetime.strptime(str(text), fmt).replace(tzinfo=IST)
        except ValueError:
            continue
        return int(local.timestamp()) * _NS
    raise ValidationError(field, "must be a Fyers time like 09-Mar-2023 09:34:38", text)


def side_of(value: object) -> OrderSide:
    if value in (1, "1"):
        return OrderSide.BUY
    if value in (-1, "-1"):
        return OrderSide.SELL
    raise ValidationError("side", "must be 1 (buy) or -1 (sell)", value)


def whole_shares(qty: Decimal) -> int:
    if qty != qty.to_integral_value() or qty <= 0:
        raise ValidationError("quantity", "must be a whole number of shares (> 0)", qty)
    return int(qty)


# --- instruments and market data ------------------------------------------------------
def instrument(symbol: str, tick_size: Decimal | None = None) -> Instrument:
    """An NSE/BSE equity: whole shares, INR, the given tick (or DEFAULT_TICK). Fees are 0:
    Fyers charges no brokerage on delivery, and statutory charges are not modelled here."""
    base = symbol.split(":", 1)[1].rsplit("-", 1)[0]
    return Instrument(
        symbol=symbol,
        venue=VENUE,
        base=base,
        quote=INR,
        tick_size=tick_size or DEFAULT_TICK,
        lot_size=ONE,
        min_qty=ONE,
        asset_class=AssetClass.EQUITY,
        maker_fee=ZERO,
        taker_fee=ZERO,
    )


def tick_size_from_depth(body: Mapping[str, object], symbol: str) -> Decimal | None:
    entry = _depth_entry(body, symbol)
    tick = entry.get("tick_Size")
    if tick in (None, "", 0):
        return None
    value = dec(tick, "tick_Size")
    return value if value > 0 else None


def quote_from_depth(body: Mapping[str, object], symbol: str) -> QuoteTick:
    entry = _depth_entry(body, symbol)
    bids, asks = _levels(entry.get("bids")), _levels(entry.get("ask"))
    bid_price, bid_size = bids[0] if bids else (ZERO, ZERO)
    ask_price, ask_size = asks[0] if asks else (ZERO, ZERO)
    return QuoteTick(
        symbol, bid_price, ask_price, bid_size, ask_size, seconds_to_ns(entry.get("ltt", 0))
    )


def quotes_from_rest(body: Mapping[str, object]) -> list[QuoteTick]:
    out = []
    for item in _list(body.get("d")):
        if not isinstance(item, Mapping) or item.get("s") != "ok":
            continue
        v = item.get("v")
        if not isinstance(v, Mapping):
            continue
        symbol = str(item.get("n") or v.get("symbol"))
        out.append(
            QuoteTick(
                symbol,
                dec(v.get("bid"), "bid"),
                dec(v.get("ask"), "ask"),
                ZERO,  # the quotes endpoint gives prices only; sizes come from depth
                ZERO,
                seconds_to_ns(v.get("tt", 0), "tt"),
            )
        )
    return out


def resolution_of(timeframe: Timeframe) -> str:
    return _RESOLUTIONS[timeframe]


def bars_from_history(
    body: Mapping[str, object], symbol: str, timeframe: Timeframe, now_ns: int
) -> list[Bar]:
    """Candles ``[epoch seconds, o, h, l, c, v]`` -> bars; the one still forming (open time
    + timeframe after ``now_ns``) is marked ``closed=False``."""
    bars = []
    for row in _list(body.get("candles")):
        if not isinstance(row, Sequence) or len(row) < 6:
            raise ValidationError("candles", "rows must be [time, o, h, l, c, v]", row)
        ts = seconds_to_ns(row[0], "candles.time")
        bars.append(
            Bar(
                symbol,
                timeframe,
                dec(row[1], "open"),
                dec(row[2], "high"),
                dec(row[3], "low"),
                dec(row[4], "close"),
                dec(row[5], "volume"),
                ts,
                closed=ts + timeframe.nanos <= now_ns,
            )
        )
    return bars


def market_events(message: Mapping[str, object]) -> list[QuoteTick | TradeTick]:
    """A data-socket message -> ticks. "sf" (symbol update) gives a quote when it carries
    the touch and a trade when it carries the last trade's size and time; "dp" (depth) gives
    the touch; "if" (index) and lite-mode updates give a trade print of size 0 (a level, not
    a trade); control messages ("cn", "sub", "error"...) give nothing."""
    kind = message.get("type")
    symbol = message.get("symbol")
    if not isinstance(symbol, str):
        return []
    out: list[QuoteTick | TradeTick] = []
    if kind == "sf":
        ts = seconds_to_ns(message.get("exch_feed_time") or message.get("last_traded_time") or 0)
        if "bid_price" in message and "ask_price" in message:
            out.append(
                QuoteTick(
                    symbol,
                    dec(message["bid_price"], "bid_price"),
                    dec(message["ask_price"], "ask_price"),
                    dec(message.get("bid_size", 0), "bid_size"),
                    dec(message.get("ask_size", 0), "ask_size"),
                    ts,
                )
            )
        if "ltp" in message:
            size = dec(message.get("last_traded_qty", 0), "last_traded_qty")
            traded = message.get("last_traded_time")
            out.append(
                TradeTick(
                    symbol,
                    dec(message["ltp"], "ltp"),
                    size,
                    seconds_to_ns(traded, "last_traded_time") if traded else ts,
                )
            )
    elif kind == "dp":
        out.append(
            QuoteTick(
                symbol,
                dec(message.get("bid_price1"), "bid_price1"),
                dec(message.get("ask_price1"), "ask_price1"),
                dec(message.get("bid_size1", 0), "bid_size1"),
                dec(message.get("ask_size1", 0), "ask_size1"),
                seconds_to_ns(message.get("exch_feed_time") or 0),
            )
        )
    elif kind == "if" and "ltp" in message:
        ts = seconds_to_ns(message.get("exch_feed_time") or 0)
        out.append(TradeTick(symbol, dec(message["ltp"], "ltp"), ZERO, ts))
    return out


# --- orders, fills, funds --------------------------------------------------------------
def status_of(entry: Mapping[str, object]) -> OrderStatus:
    """Fyers' status code, or, for a code it did not document (the order socket's sample
    carries 90), what the quantities say."""
    code = entry.get("status")
    qty = dec(entry.get("qty", 0), "qty")
    filled = dec(entry.get("filledQty", 0), "filledQty")
    status = _STATUS.get(code) if isinstance(code, int) else None
    if status is None:
        if qty > 0 and filled >= qty:
            return OrderStatus.FILLED
        return OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.ACCEPTED
    if status is OrderStatus.ACCEPTED and filled > 0:
        return OrderStatus.PARTIALLY_FILLED
    return status


def order_type_of(entry: Mapping[str, object]) -> OrderType:
    code = entry.get("type")
    kind = _TYPE_OF.get(code) if isinstance(code, int) else None
    if kind is None:
        raise ValidationError("type", "must be a Fyers order type 1-4", entry.get("type"))
    return kind


def order_state(entry: Mapping[str, object], fills: Sequence[Fill] = ()) -> VenueOrderState:
    status = status_of(entry)
    reason = str(entry.get("message") or "") if status is OrderStatus.REJECTED else ""
    return VenueOrderState(
        client_id=client_id_from_tag(entry.get("orderTag")),
        venue_order_id=str(entry["id"]) if entry.get("id") else None,
        status=status,
        filled_qty=dec(entry.get("filledQty", 0), "filledQty"),
        fills=tuple(fills),
        reason=reason,
        symbol=str(entry.get("symbol") or ""),
        side=side_of(entry.get("side")) if entry.get("side") is not None else None,
        type=_TYPE_OF.get(code) if isinstance(code := entry.get("type"), int) else None,
        quantity=dec(entry["qty"], "qty") if entry.get("qty") is not None else None,
        price=_positive_price(entry.get("limitPrice"), "limitPrice"),
        trigger_price=_positive_price(entry.get("stopPrice"), "stopPrice"),
    )


def _positive_price(value: object, field: str) -> Decimal | None:
    """Fyers sends 0 for "no such price" (a market order's limit price)."""
    if value is None:
        return None
    price = dec(value, field)
    return price if price > 0 else None


def orders_from_book(body: Mapping[str, object]) -> list[Mapping[str, object]]:
    return [o for o in _list(body.get("orderBook")) if isinstance(o, Mapping)]


def fill_from_trade(entry: Mapping[str, object], client_id: str | None = None) -> Fill:
    """A tradebook row or an order-socket trade. Fyers reports no fee per trade (brokerage
    and taxes come on the contract note) and not whether we made or took liquidity."""
    order_id = entry.get("orderNumber")
    return Fill(
        venue=VENUE,
        trade_id=str(entry["tradeNumber"]),
        client_id=client_id if client_id is not None else client_id_from_tag(entry.get("orderTag")),
        venue_order_id=str(order_id) if order_id else None,
        symbol=str(entry["symbol"]),
        side=side_of(entry.get("side")),
        quantity=dec(entry.get("tradedQty"), "tradedQty"),
        price=dec(entry.get("tradePrice"), "tradePrice"),
        fee=ZERO,
        fee_currency=INR,
        liquidity=Liquidity.TAKER,
        ts=fyers_time_to_ns(entry.get("orderDateTime")),
    )


def fills_from_tradebook(body: Mapping[str, object]) -> list[Fill]:
    return [fill_from_trade(t) for t in _list(body.get("tradeBook")) if isinstance(t, Mapping)]


def balances_from_funds(body: Mapping[str, object]) -> dict[str, Decimal]:
    """INR: the "Total Balance" line of the equity segment (holds included, like the other
    venues' totals)."""
    for line in _list(body.get("fund_limit")):
        if isinstance(line, Mapping) and (
            line.get("id") == 1 or line.get("title") == "Total Balance"
        ):
            return {INR: dec(line.get("equityAmount", 0), "equityAmount").quantize(PAISA)}
    raise ValidationError("fund_limit", "has no 'Total Balance' line", body.get("fund_limit"))


def net_positions(body: Mapping[str, object]) -> dict[str, Decimal]:
    """Net shares per ticker (e.g. "SBIN") from the day's positions, non-zero only."""
    return _shares(body.get("netPositions"), "netQty")


def holdings(body: Mapping[str, object]) -> dict[str, Decimal]:
    """Delivery shares held from past days per ticker, as the day started (``quantity``;
    today's buys and sells of them are in the positions, so the two add up)."""
    return _shares(body.get("holdings"), "quantity")


def shares_held(
    holdings_body: Mapping[str, object], positions_body: Mapping[str, object]
) -> dict[str, Decimal]:
    """Shares per ticker now: past days' holdings plus today's net positions."""
    total = holdings(holdings_body)
    for base, qty in net_positions(positions_body).items():
        total[base] = total.get(base, ZERO) + qty
    return {base: qty for base, qty in total.items() if qty}


def _shares(rows: object, field: str) -> dict[str, Decimal]:
    """``field`` summed per ticker ("NSE:SBIN-EQ" -> "SBIN") over rows naming a symbol."""
    out: dict[str, Decimal] = {}
    for row in _list(rows):
        if not isinstance(row, Mapping):
            continue
        symbol = str(row.get("symbol", ""))
        if ":" not in symbol:
            continue
        qty = dec(row.get(field, 0), field)
        if qty:
            base = symbol.split(":", 1)[1].rsplit("-", 1)[0]
            out[base] = out.get(base, ZERO) + qty
    return out


# --- helpers ----------------------------------------------------------------------------
def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _depth_entry(body: Mapping[str, object], symbol: str) -> Mapping[str, object]:
    d = body.get("d")
    entry = d.get(symbol) if isinstance(d, Mapping) else None
    if not isinstance(entry, Mapping):
        raise ValidationError("d", f"has no depth for {symbol}", symbol)
    return entry


def _levels(value: object) -> list[tuple[Decimal, Decimal]]:
    out = []
    for level in _list(value):
        if isinstance(level, Mapping):
            out.append((dec(level.get("price"), "price"), dec(level.get("volume", 0), "volume")))
    return out
