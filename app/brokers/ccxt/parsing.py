"""ccxt's dicts -> domain objects. Pure functions: no I/O, no clock.

ccxt hands numbers as floats: they are read through ``str()`` (``Decimal(str(0.1))`` is
exactly 0.1) and rounded to the instrument's tick or lot, never ``Decimal(float)``. Where the
venue's raw strings are at hand (Binance filters) they are used as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from ccxt.base.decimal_to_precision import DECIMAL_PLACES, SIGNIFICANT_DIGITS, TICK_SIZE

from app.engine.domain.errors import ValidationError
from app.engine.domain.fills import Fill, Liquidity
from app.engine.domain.instruments import Instrument
from app.engine.domain.market import Bar, QuoteTick, Timeframe, TradeTick
from app.engine.domain.orders import OrderSide, OrderStatus, OrderType
from app.engine.domain.values import ZERO, round_to_step
from app.engine.ports import VenueOrderState

NS_PER_MS = 1_000_000
_DEFAULT_FEE = Decimal("0.001")

_TYPES = {
    "market": OrderType.MARKET,
    "limit": OrderType.LIMIT,
    "limit_maker": OrderType.LIMIT,
    "stop": OrderType.STOP_MARKET,
    "stop_market": OrderType.STOP_MARKET,
    "stop_loss": OrderType.STOP_MARKET,
    "take_profit": OrderType.STOP_MARKET,
    "take_profit_market": OrderType.STOP_MARKET,
    "stop_limit": OrderType.STOP_LIMIT,
    "stop_loss_limit": OrderType.STOP_LIMIT,
    "take_profit_limit": OrderType.STOP_LIMIT,
}

# ccxt unified order status -> ours (an "open" order with fills is PARTIALLY_FILLED)
_STATUS = {
    "open": OrderStatus.ACCEPTED,
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "cancelled": OrderStatus.CANCELED,
    "canceling": OrderStatus.ACCEPTED,  # a cancel is pending: still working
    "expired": OrderStatus.EXPIRED,
    "rejected": OrderStatus.REJECTED,
}


# --- numbers ------------------------------------------------------------------------------
def dec(value: object, field: str) -> Decimal:
    """A finite Decimal from what ccxt gives (float, int, numeric string)."""
    if value is None or isinstance(value, bool):
        raise ValidationError(field, "is missing", value)
    try:
        number = Decimal(value if isinstance(value, str | int | Decimal) else str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError(field, "must be a number", value) from None
    if not number.is_finite():
        raise ValidationError(field, "must be a finite number", value)
    return number


def opt_dec(value: object, field: str) -> Decimal | None:
    return None if value is None or value == "" else dec(value, field)


def clean(value: Decimal) -> Decimal:
    """Without trailing zeros, and never in exponent form ("10.00" -> 10, not 1E+1)."""
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    return normal.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else normal


def _step(value: Decimal | None, step: Decimal, *, down: bool = False) -> Decimal:
    if value is None:
        return ZERO
    return round_to_step(value, step, down=down) if step > 0 else clean(value)


def _price(value: object, inst: Instrument | None, field: str) -> Decimal:
    number = dec(value, field)
    return _step(number, inst.tick_size) if inst is not None else clean(number)


def _qty(value: object, inst: Instrument | None, field: str) -> Decimal:
    number = dec(value, field)
    return _step(number, inst.lot_size) if inst is not None else clean(number)


def ms_to_ns(value: object, field: str = "timestamp") -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(field, "must be epoch milliseconds", value)
    return int(value) * NS_PER_MS


# --- instruments ----------------------------------------------------------------------------
def _filters(market: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    info = market.get("info") or {}
    raw = info.get("filters") if isinstance(info, Mapping) else None
    out: dict[str, Mapping[str, Any]] = {}
    for item in raw or ():
        if isinstance(item, Mapping) and isinstance(item.get("filterType"), str):
            out[item["filterType"]] = item
    return out


def precision_step(value: object, precision_mode: int, field: str) -> Decimal:
    """A ccxt precision as a step: TICK_SIZE gives the step, DECIMAL_PLACES a digit count."""
    if precision_mode == DECIMAL_PLACES:
        places = dec(value, field)
        if places != places.to_integral_value():
            raise ValidationError(field, "decimal places must be a whole number", value)
        return Decimal(1).scaleb(-int(places))
    if precision_mode == SIGNIFICANT_DIGITS:
        raise ValidationError(field, "significant-digit precision has no fixed step", value)
    if precision_mode != TICK_SIZE:
        raise ValidationError(field, "unknown ccxt precision mode", precision_mode)
    return clean(dec(value, field))


def _positive(value: Decimal | None) -> Decimal | None:
    return clean(value) if value is not None and value > 0 else None


def instrument_from_market(
    market: Mapping[str, Any], venue: str, precision_mode: int
) -> Instrument:
    """A ccxt market as an Instrument: tick from PRICE_FILTER or precision.price, lot from
    LOT_SIZE or precision.amount, minimum quantity and notional, maker/taker fees."""
    symbol = market.get("symbol")
    if not isinstance(symbol, str) or not symbol:
        raise ValidationError("market.symbol", "is missing", symbol)
    filters = _filters(market)
    precision = market.get("precision") or {}
    limits = market.get("limits") or {}
    amount_limits = limits.get("amount") or {}
    cost_limits = limits.get("cost") or {}

    tick = _positive(opt_dec(filters.get("PRICE_FILTER", {}).get("tickSize"), "tickSize"))
    if tick is None:
        tick = precision_step(precision.get("price"), precision_mode, f"{symbol}.precision.price")
    lot = _positive(opt_dec(filters.get("LOT_SIZE", {}).get("stepSize"), "stepSize"))
    if lot is None:
        lot = precision_step(precision.get("amount"), precision_mode, f"{symbol}.precision.amount")
    min_qty = _positive(opt_dec(filters.get("LOT_SIZE", {}).get("minQty"), "minQty"))
    if min_qty is None:
        min_qty = _positive(opt_dec(amount_limits.get("min"), f"{symbol}.limits.amount.min"))
    max_qty = _positive(opt_dec(filters.get("LOT_SIZE", {}).get("maxQty"), "maxQty"))
    if max_qty is None:
        max_qty = _positive(opt_dec(amount_limits.get("max"), f"{symbol}.limits.amount.max"))
    notional_filter = filters.get("NOTIONAL") or filters.get("MIN_NOTIONAL") or {}
    min_notional = _positive(opt_dec(notional_filter.get("minNotional"), "minNotional"))
    if min_notional is None:
        min_notional = _positive(opt_dec(cost_limits.get("min"), f"{symbol}.limits.cost.min"))
    maker = opt_dec(market.get("maker"), f"{symbol}.maker")
    taker = opt_dec(market.get("taker"), f"{symbol}.taker")
    return Instrument(
        symbol=symbol,
        venue=venue,
        base=str(market.get("base") or symbol.split("/")[0]),
        quote=str(market.get("quote") or symbol.split("/")[1].split(":")[0]),
        tick_size=tick,
        lot_size=lot,
        min_qty=min_qty if min_qty is not None else lot,
        min_notional=min_notional if min_notional is not None else ZERO,
        max_qty=max_qty,
        maker_fee=clean(maker if maker is not None else _DEFAULT_FEE),
        taker_fee=clean(taker if taker is not None else _DEFAULT_FEE),
    )


# --- orders and fills -----------------------------------------------------------------------
def order_status(order: Mapping[str, Any]) -> OrderStatus:
    """Our status for a ccxt order; an open order with fills is PARTIALLY_FILLED."""
    raw = order.get("status")
    if raw is None and order.get("id"):
        raw = "open"  # an acknowledgement without a state (Binance ACK): it exists, working
    status = _STATUS.get(str(raw).lower()) if raw is not None else None
    if status is None:
        raise ValidationError("order.status", "unknown ccxt order status", raw)
    filled = opt_dec(order.get("filled"), "order.filled") or ZERO
    if status is OrderStatus.ACCEPTED and filled > 0:
        return OrderStatus.PARTIALLY_FILLED
    return status


def client_id_of(order: Mapping[str, Any]) -> str:
    value = order.get("clientOrderId")
    return value if isinstance(value, str) else ""


def order_type(order: Mapping[str, Any]) -> OrderType | None:
    """Our order type for a ccxt order (None for kinds we do not trade: trailing, OCO legs)."""
    raw = str(order.get("type") or "").lower()
    kind = _TYPES.get(raw)
    trigger = order.get("triggerPrice") or order.get("stopPrice")
    if kind is OrderType.MARKET and trigger:
        return OrderType.STOP_MARKET
    if kind is OrderType.LIMIT and trigger:
        return OrderType.STOP_LIMIT
    return kind


def order_state(
    order: Mapping[str, Any],
    instrument: Instrument | None,
    fills: Sequence[Fill] = (),
    *,
    client_id: str | None = None,
) -> VenueOrderState:
    """The venue's view of an order (for reconciliation and for adopting an order placed
    elsewhere: symbol, side, type, quantity, prices), with the fills we found for it."""
    filled = opt_dec(order.get("filled"), "order.filled")
    venue_id = order.get("id")
    status = order_status(order)
    reason = ""
    if status is OrderStatus.REJECTED:
        info = order.get("info") or {}
        reason = str(info.get("rejectReason") or info.get("r") or "rejected by the venue")
    kind = order_type(order)
    side = order.get("side")
    amount = opt_dec(order.get("amount"), "order.amount")
    price = opt_dec(order.get("price"), "order.price")
    trigger = opt_dec(order.get("triggerPrice") or order.get("stopPrice"), "order.triggerPrice")
    symbol = order.get("symbol")
    return VenueOrderState(
        client_id=client_id if client_id is not None else client_id_of(order),
        venue_order_id=str(venue_id) if venue_id not in (None, "") else None,
        status=status,
        filled_qty=_step(filled, instrument.lot_size) if instrument is not None else filled or ZERO,
        fills=tuple(fills),
        reason=reason,
        symbol=symbol if isinstance(symbol, str) else "",
        side=side_of(side, "order.side") if side else None,
        type=kind,
        quantity=_qty(amount, instrument, "order.amount") if amount else None,
        price=_price(price, instrument, "order.price")
        if price and kind is not None and kind.has_price
        else None,
        trigger_price=_price(trigger, instrument, "order.triggerPrice") if trigger else None,
    )


def side_of(value: object, field: str = "side") -> OrderSide:
    try:
        return OrderSide(str(value).lower())
    except ValueError:
        raise ValidationError(field, "must be buy or sell", value) from None


def trade_client_id(trade: Mapping[str, Any], keys: Sequence[str]) -> str:
    """The client order id a trade carries (user-stream trades do, REST trades do not)."""
    info = trade.get("info") or {}
    for key in keys:
        value = info.get(key) if isinstance(info, Mapping) else None
        if isinstance(value, str) and value:
            return value
    value = trade.get("clientOrderId")
    return value if isinstance(value, str) else ""


def fill_from_trade(
    trade: Mapping[str, Any],
    venue: str,
    instrument: Instrument | None,
    client_id: str,
) -> Fill:
    """One of our account's trades as a Fill (trade id, order id, fee, maker/taker)."""
    trade_id = trade.get("id")
    if trade_id in (None, ""):
        raise ValidationError("trade.id", "is missing (fills are de-duplicated by it)", trade_id)
    symbol = trade.get("symbol")
    if not isinstance(symbol, str):
        raise ValidationError("trade.symbol", "is missing", symbol)
    fee = trade.get("fee") or {}
    fee_cost = opt_dec(fee.get("cost"), "trade.fee.cost")
    fee_currency = fee.get("currency")
    liquidity = Liquidity.MAKER if trade.get("takerOrMaker") == "maker" else Liquidity.TAKER
    order_id = trade.get("order")
    return Fill(
        venue=venue,
        trade_id=str(trade_id),
        client_id=client_id,
        venue_order_id=str(order_id) if order_id not in (None, "") else None,
        symbol=symbol,
        side=side_of(trade.get("side"), "trade.side"),
        quantity=_qty(trade.get("amount"), instrument, "trade.amount"),
        price=_price(trade.get("price"), instrument, "trade.price"),
        fee=clean(abs(fee_cost)) if fee_cost is not None else ZERO,
        fee_currency=str(fee_currency) if fee_currency else "",
        liquidity=liquidity,
        ts=ms_to_ns(trade.get("timestamp"), "trade.timestamp"),
    )


# --- market data --------------------------------------------------------------------------
def quote_from_ticker(ticker: Mapping[str, Any], instrument: Instrument | None) -> QuoteTick | None:
    """Best bid/ask from a ccxt ticker (or a bids-asks entry); None when one side is missing."""
    bid, ask = ticker.get("bid"), ticker.get("ask")
    if bid is None or ask is None:
        return None
    symbol = ticker.get("symbol")
    if not isinstance(symbol, str):
        raise ValidationError("ticker.symbol", "is missing", symbol)
    ts = ticker.get("timestamp")
    return QuoteTick(
        symbol=symbol,
        bid=_price(bid, instrument, "ticker.bid"),
        ask=_price(ask, instrument, "ticker.ask"),
        bid_size=_qty(ticker.get("bidVolume") or 0, instrument, "ticker.bidVolume"),
        ask_size=_qty(ticker.get("askVolume") or 0, instrument, "ticker.askVolume"),
        ts=ms_to_ns(ts) if isinstance(ts, int | float) and not isinstance(ts, bool) else 0,
    )


def trade_tick(trade: Mapping[str, Any], instrument: Instrument | None) -> TradeTick:
    symbol = trade.get("symbol")
    if not isinstance(symbol, str):
        raise ValidationError("trade.symbol", "is missing", symbol)
    return TradeTick(
        symbol=symbol,
        price=_price(trade.get("price"), instrument, "trade.price"),
        size=_qty(trade.get("amount"), instrument, "trade.amount"),
        ts=ms_to_ns(trade.get("timestamp"), "trade.timestamp"),
    )


def bar_from_ohlcv(
    row: Sequence[Any],
    symbol: str,
    timeframe: Timeframe,
    instrument: Instrument | None,
    *,
    closed: bool = True,
) -> Bar:
    """A ccxt OHLCV row ``[open time ms, open, high, low, close, volume]`` as a Bar."""
    if len(row) < 6:
        raise ValidationError("ohlcv", "needs [timestamp, open, high, low, close, volume]", row)
    volume = row[5] if row[5] is not None else 0
    return Bar(
        symbol=symbol,
        timeframe=timeframe,
        open=_price(row[1], instrument, "ohlcv.open"),
        high=_price(row[2], instrument, "ohlcv.high"),
        low=_price(row[3], instrument, "ohlcv.low"),
        close=_price(row[4], instrument, "ohlcv.close"),
        volume=_qty(volume, instrument, "ohlcv.volume"),
        ts=ms_to_ns(row[0], "ohlcv.timestamp"),
        closed=closed,
    )


def balances_from(balance: Mapping[str, Any]) -> dict[str, Decimal]:
    """Non-zero totals per asset from a ccxt balance structure."""
    totals = balance.get("total") or {}
    out: dict[str, Decimal] = {}
    for asset, amount in totals.items():
        if amount is None:
            continue
        value = dec(amount, f"balance.{asset}")
        if value != 0:
            out[str(asset)] = clean(value)
    return out
