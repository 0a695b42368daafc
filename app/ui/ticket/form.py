"""What the order ticket holds, turned into an OrderRequest without any Qt.

The ticket reads its widgets into a ``TicketForm`` (plain text, as typed) and this module
builds the request the engine will judge. It converts only what the engine cannot: a
notional amount into a quantity (rounded down to the lot, so the order never costs more than
asked) and the bracket's texts into a BracketSpec. Everything else — quantity, prices — is
passed through as typed, so the risk gate, the one judge, names the field and the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.engine.domain.errors import ValidationError
from app.engine.domain.instruments import Instrument
from app.engine.domain.orders import BracketSpec, OrderRequest, OrderSide, OrderType, TimeInForce
from app.engine.domain.values import to_decimal
from app.engine.risk import CheckedOrder, RiskDenied

#: the widget an error is shown under, by the field the engine names (anything else goes to
#: the general line above the buttons: trading state, rate limit, duplicate guard, tif...)
FIELD_SLOTS: dict[str, str] = {
    "symbol": "symbol",
    "quantity": "quantity",
    "price": "price",
    "trigger_price": "trigger_price",
    "stop_loss": "stop_loss",
    "stop_loss_pct": "stop_loss",
    "take_profit": "take_profit",
    "take_profit_pct": "take_profit",
    "trailing_pct": "trailing",
}
GENERAL = "general"
SLOTS: tuple[str, ...] = (*dict.fromkeys(FIELD_SLOTS.values()), GENERAL)


def slot_of(field: str) -> str:
    return FIELD_SLOTS.get(field, GENERAL)


@dataclass(frozen=True, slots=True)
class TicketForm:
    """The ticket's inputs as typed. Empty optional texts mean "not set"."""

    symbol: str
    type: OrderType
    size: str  # a quantity in the base asset, or a notional in the quote currency
    by_notional: bool
    price: str
    trigger_price: str
    tif: TimeInForce
    stop_loss: str = ""
    stop_loss_is_pct: bool = False
    take_profit: str = ""
    take_profit_is_pct: bool = False
    trailing_pct: str = ""


def reference_price(
    form: TicketForm,
    side: OrderSide,
    last: Decimal | None,
    bid: Decimal | None,
    ask: Decimal | None,
) -> Decimal | None:
    """The price an order would most likely trade at: its limit, else its trigger, else the
    side of the book a market order takes (ask to buy, bid to sell), else the last trade."""
    for text, wanted in (
        (form.price, form.type.has_price),
        (form.trigger_price, form.type.has_trigger),
    ):
        if wanted and text.strip():
            try:
                value = to_decimal(text, "price")
            except ValidationError:
                return None
            return value if value > 0 else None
    book = ask if side is OrderSide.BUY else bid
    return book if book is not None else last


def quantity_for(form: TicketForm, inst: Instrument, ref: Decimal | None) -> str | Decimal:
    """The quantity to send: as typed, or the notional converted at ``ref`` to whole lots."""
    if not form.by_notional:
        return form.size
    notional = to_decimal(form.size, "quantity")
    if notional <= 0:
        raise ValidationError("quantity", "the notional must be greater than 0", form.size)
    if ref is None:
        raise ValidationError("quantity", f"no price for {inst.symbol} yet to convert a notional")
    qty = inst.make_qty(notional / ref)
    if qty <= 0:
        raise ValidationError(
            "quantity",
            f"{notional} {inst.quote} is less than one lot ({inst.lot_size} {inst.base} at {ref})",
        )
    return qty


def bracket_of(form: TicketForm) -> BracketSpec | None:
    def value(text: str, field: str) -> Decimal | None:
        return to_decimal(text, field) if text.strip() else None

    sl_field = "stop_loss_pct" if form.stop_loss_is_pct else "stop_loss"
    tp_field = "take_profit_pct" if form.take_profit_is_pct else "take_profit"
    sl = value(form.stop_loss, sl_field)
    tp = value(form.take_profit, tp_field)
    for name, number in ((sl_field, sl), (tp_field, tp)):
        if number is not None and number <= 0:
            raise ValidationError(name, "must be greater than 0", number)
    spec = BracketSpec(
        stop_loss=None if form.stop_loss_is_pct else sl,
        take_profit=None if form.take_profit_is_pct else tp,
        stop_loss_pct=sl if form.stop_loss_is_pct else None,
        take_profit_pct=tp if form.take_profit_is_pct else None,
        trailing_pct=value(form.trailing_pct, "trailing_pct"),
    )
    return None if spec.empty else spec


def build_request(
    form: TicketForm, side: OrderSide, inst: Instrument | None, ref: Decimal | None
) -> OrderRequest:
    """The OrderRequest for ``side``; raises ValidationError naming the field for what only
    the ticket can judge (an unknown symbol, a notional, a bracket that is not a number)."""
    if inst is None:
        shown = form.symbol.strip() or "(none)"
        raise ValidationError("symbol", f"unknown symbol {shown}")
    return OrderRequest(
        symbol=inst.symbol,
        side=side,
        type=form.type,
        quantity=quantity_for(form, inst, ref),
        price=form.price.strip() if form.type.has_price and form.price.strip() else None,
        trigger_price=(
            form.trigger_price.strip()
            if form.type.has_trigger and form.trigger_price.strip()
            else None
        ),
        tif=form.tif,
        bracket=bracket_of(form),
    )


def estimate(qty: Decimal, price: Decimal, inst: Instrument) -> tuple[Decimal, Decimal]:
    """Cost and the taker fee (the worst case: a marketable order pays the taker rate)."""
    cost = qty * price
    return cost, cost * inst.taker_fee


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the gate says about one side: the request (None if it could not be built),
    the checked order when allowed, or the error naming the field."""

    request: OrderRequest | None
    checked: CheckedOrder | None
    error: ValidationError | None

    @property
    def needs_confirmation(self) -> bool:
        return isinstance(self.error, RiskDenied) and self.error.needs_confirmation

    @property
    def sendable(self) -> bool:
        return self.request is not None and (self.error is None or self.needs_confirmation)


def describe(req: OrderRequest) -> str:
    text = f"{req.side.value.upper()} {req.quantity} {req.symbol} {req.type.value}"
    if req.price is not None:
        text += f" @ {req.price}"
    if req.trigger_price is not None:
        text += f" trigger {req.trigger_price}"
    return text
