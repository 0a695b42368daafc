"""A bracket's record (its spec and children), its validation and how it is saved.

Bracket state is kept in the journal's key-value table so it survives a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from app.engine.domain.errors import ValidationError
from app.engine.domain.instruments import Instrument
from app.engine.domain.orders import (
    BracketSpec,
    Order,
    OrderRequest,
    OrderSide,
    OrderType,
    TimeInForce,
)
from app.engine.domain.values import to_decimal
from app.engine.journal_port import JournalPort

KV_KEY = "brackets"
STOP_LOSS = "stop_loss"
TAKE_PROFIT = "take_profit"


@dataclass(slots=True)
class Bracket:
    entry_id: str
    spec: BracketSpec
    children: dict[str, str] = field(default_factory=dict)  # role -> client id
    done: bool = False
    symbol: str = ""
    source: str = ""
    #: its pair is being canceled to be sent again: the cancel is not a broken pair
    replacing: bool = False


def validate_bracket(spec: BracketSpec, side: OrderSide, reference: Decimal) -> BracketSpec:
    """Check a bracket against the entry side and an expected entry price."""
    for name in ("stop_loss_pct", "take_profit_pct", "trailing_pct"):
        value = getattr(spec, name)
        if value is not None:
            pct = to_decimal(value, name)
            if not 0 < pct < 100:
                raise ValidationError(name, "must be between 0 and 100 percent", value)
    long = side is OrderSide.BUY
    if spec.stop_loss is not None:
        sl = to_decimal(spec.stop_loss, "stop_loss")
        if (sl >= reference) if long else (sl <= reference):
            where = "below" if long else "above"
            raise ValidationError("stop_loss", f"must be {where} the entry price {reference}", sl)
    if spec.take_profit is not None:
        tp = to_decimal(spec.take_profit, "take_profit")
        if (tp <= reference) if long else (tp >= reference):
            where = "above" if long else "below"
            raise ValidationError("take_profit", f"must be {where} the entry price {reference}", tp)
    return spec


def child_prices(
    spec: BracketSpec, entry_side: OrderSide, avg: Decimal, inst: Instrument
) -> tuple[Decimal | None, Decimal | None]:
    """(stop-loss trigger, take-profit price) of a bracket for an entry filled at ``avg``:
    absolute prices win over percentages; a trailing stop starts ``trailing_pct`` away."""
    long = entry_side is OrderSide.BUY

    def pct_price(pct: Decimal, toward_profit: bool) -> Decimal:
        up = toward_profit == long
        return inst.make_price(avg * (1 + pct / 100) if up else avg * (1 - pct / 100))

    stop = spec.stop_loss
    if stop is None and spec.stop_loss_pct is not None:
        stop = pct_price(spec.stop_loss_pct, toward_profit=False)
    if stop is None and spec.trailing_pct is not None:
        stop = pct_price(spec.trailing_pct, toward_profit=False)
    target = spec.take_profit
    if target is None and spec.take_profit_pct is not None:
        target = pct_price(spec.take_profit_pct, toward_profit=True)
    return stop, target


def child_request(
    bracket: Bracket,
    entry: Order | None,
    role: str,
    side: OrderSide,
    qty: Decimal,
    price: Decimal,
) -> OrderRequest:
    """The reduce-only exit a bracket places: a stop-market (stop-loss) or a limit
    (take-profit) at ``price``, good till canceled, tagged with the entry's source."""
    is_stop = role == STOP_LOSS
    return OrderRequest(
        symbol=bracket.symbol or (entry.symbol if entry is not None else ""),
        side=side,
        type=OrderType.STOP_MARKET if is_stop else OrderType.LIMIT,
        quantity=qty,
        price=None if is_stop else price,
        trigger_price=price if is_stop else None,
        tif=TimeInForce.GTC,
        reduce_only=True,
        source=bracket.source or (entry.source if entry is not None else "manual"),
        parent_id=entry.client_id if entry is not None else None,
        role=role,
    )


def load_brackets(journal: JournalPort) -> list[tuple[Bracket, bool]]:
    """The brackets still open when the journal was last written, each with whether its
    stop-loss and take-profit were one order list at the venue."""
    saved: dict[str, Any] = journal.get_kv(KV_KEY, {}) or {}
    out = []
    for entry_id, data in saved.items():
        spec = BracketSpec(
            **{k: (Decimal(v) if v is not None else None) for k, v in data["spec"].items()}
        )
        bracket = Bracket(
            entry_id,
            spec,
            dict(data["children"]),
            bool(data["done"]),
            str(data.get("symbol", "")),
            str(data.get("source", "")),
        )
        if not bracket.done:
            out.append((bracket, bool(data.get("paired", False))))
    return out


def save_brackets(
    journal: JournalPort, brackets: list[Bracket], paired: Callable[[Bracket], bool]
) -> None:
    data = {
        b.entry_id: {
            "spec": {k: (str(v) if v is not None else None) for k, v in asdict(b.spec).items()},
            "children": b.children,
            "done": b.done,
            "symbol": b.symbol,
            "source": b.source,
            "paired": paired(b),
        }
        for b in brackets
        if not b.done
    }
    journal.set_kv(KV_KEY, data)
