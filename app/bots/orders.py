"""A strategy's intent as an engine OrderRequest: sizing, rounding, default stop-loss/take-
profit, and the bot's own limits. Pure functions of their inputs, so the rules are tested
without a running market.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from app.bots.config import BotConfig
from app.engine.domain.errors import ValidationError
from app.engine.domain.instruments import Instrument
from app.engine.domain.orders import BracketSpec, OrderRequest, OrderSide, OrderType
from app.engine.domain.values import ZERO
from app.strategies.base import OrderIntent

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Account:
    """What sizing and the limits read from the account at the moment of the intent."""

    position: Decimal  # the account's real position on the symbol (signed)
    last_price: Decimal | None
    equity: Decimal
    cash: Decimal
    realized: Decimal  # the bot's realized P&L net of fees (compounding)


def _dec(value: float, field: str) -> Decimal:
    """A strategy's float as a Decimal, through its shortest repr (0.1 stays 0.1)."""
    number = Decimal(repr(float(value)))
    if not number.is_finite():
        raise ValidationError(field, "must be a finite number", value)
    return number


def build_request(
    intent: OrderIntent, config: BotConfig, inst: Instrument, acct: Account
) -> OrderRequest:
    """The order the runtime sends for ``intent``; raises ValidationError (naming the field)
    when it cannot be built: no price yet, a size that rounds to zero, risk sizing without
    a stop, a flat position to close."""
    source = config.source
    if intent.close:
        if acct.position == 0:
            raise ValidationError("close", f"no position in {inst.symbol} to close")
        return OrderRequest(
            symbol=inst.symbol,
            side=OrderSide.SELL if acct.position > 0 else OrderSide.BUY,
            type=OrderType.MARKET,
            quantity=abs(acct.position),
            reduce_only=True,
            source=source,
            role="close",
        )
    limit = None if intent.limit is None else inst.make_price(_dec(intent.limit, "limit"), "limit")
    ref = limit if limit is not None else acct.last_price
    if ref is None or ref <= 0:
        raise ValidationError("price", f"no market price for {inst.symbol} yet")
    sl = None
    if intent.stop_loss is not None:
        sl = inst.make_price(_dec(intent.stop_loss, "stop_loss"), "stop_loss")
    tp = None
    if intent.take_profit is not None:
        tp = inst.make_price(_dec(intent.take_profit, "take_profit"), "take_profit")
    if intent.qty is not None:
        qty = inst.make_qty(_dec(intent.qty, "qty"), "qty")
    else:
        if sl is not None:
            distance: Decimal | None = abs(ref - sl)
        elif config.stop_loss_pct is not None:
            distance = ref * config.stop_loss_pct / HUNDRED
        else:
            distance = None
        qty = config.sizing.quantity(
            price=ref,
            equity=acct.equity,
            cash=acct.cash,
            lot=inst.lot_size,
            stop_distance=distance,
            realized=acct.realized,
            fee_rate=inst.taker_fee,
        )
    if qty <= 0:
        raise ValidationError("qty", f"the size rounds to 0 at lot {inst.lot_size}")
    signed = qty if intent.side is OrderSide.BUY else -qty
    opens = acct.position == 0 or (acct.position > 0) == (signed > 0)
    bracket = None
    if opens:
        spec = BracketSpec(
            stop_loss=sl,
            take_profit=tp,
            stop_loss_pct=config.stop_loss_pct if sl is None else None,
            take_profit_pct=config.take_profit_pct if tp is None else None,
        )
        bracket = None if spec.empty else spec
    return OrderRequest(
        symbol=inst.symbol,
        side=intent.side,
        type=OrderType.LIMIT if limit is not None else OrderType.MARKET,
        quantity=qty,
        price=limit,
        source=source,
        bracket=bracket,
        role="entry" if bracket is not None else None,
    )


def reduces(req: OrderRequest, position: Decimal) -> bool:
    signed = Decimal(str(req.quantity)) * req.side.sign
    return position != 0 and (position > 0) != (signed > 0) and abs(signed) <= abs(position)


def check_limits(
    req: OrderRequest,
    config: BotConfig,
    acct: Account,
    *,
    orders_last_hour: int,
    day_pnl: Callable[[], Decimal],
) -> None:
    """The bot's own limits; an exit (an order that reduces the position) always passes."""
    if req.reduce_only or reduces(req, acct.position):
        return
    lim = config.limits
    if lim.max_orders_per_hour is not None and orders_last_hour >= lim.max_orders_per_hour:
        raise ValidationError(
            "max_orders_per_hour", f"{orders_last_hour} orders sent in the last hour"
        )
    if lim.max_daily_loss is not None:
        today = day_pnl()
        if today <= -lim.max_daily_loss:
            raise ValidationError(
                "max_daily_loss",
                f"the bot has lost {-today:.2f} today (limit {lim.max_daily_loss})",
            )
    if lim.max_position_notional is not None:
        ref = Decimal(str(req.price)) if req.price is not None else (acct.last_price or ZERO)
        qty = Decimal(str(req.quantity)) * req.side.sign
        notional = abs(acct.position + qty) * ref
        if notional > lim.max_position_notional:
            raise ValidationError(
                "max_position_notional",
                f"the position would be worth {notional:.2f} (limit {lim.max_position_notional})",
            )
