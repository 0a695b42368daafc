"""Brackets: stop-loss and take-profit children attached to an entry order.

When the entry fills (also partially), the children are placed for the filled quantity:
the take-profit as a reduce-only LIMIT at the venue, the stop-loss as a reduce-only stop held
engine-side by the emulator (unless the venue offers native OCO), because on a spot account
two resting sells would both reserve the same coins. They are one-cancels-the-other: when
one fills, the other is canceled; when the position is closed by anything else, both go.
A trailing stop follows the best price since entry by ``trailing_pct``.

Bracket state is kept in the journal's key-value table so it survives a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from app.engine.domain.errors import ValidationError
from app.engine.domain.events import FillRecorded, OrderUpdated, PositionChanged
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
from app.engine.oms import OrderManager

log = logging.getLogger(__name__)
KV_KEY = "brackets"


@dataclass(slots=True)
class _Bracket:
    entry_id: str
    spec: BracketSpec
    children: dict[str, str] = field(default_factory=dict)  # role -> client id
    done: bool = False
    symbol: str = ""
    source: str = ""


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


class BracketManager:
    def __init__(
        self,
        oms: OrderManager,
        journal: JournalPort,
        spawn: Callable[[Coroutine[Any, Any, None], str], object],
    ) -> None:
        self.oms = oms
        self.journal = journal
        self.spawn = spawn
        self.brackets: dict[str, _Bracket] = {}
        self._child_to_entry: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    # --- persistence ----------------------------------------------------------------------
    def restore(self) -> None:
        saved = self.journal.get_kv(KV_KEY, {}) or {}
        for entry_id, data in saved.items():
            spec = BracketSpec(
                **{k: (Decimal(v) if v is not None else None) for k, v in data["spec"].items()}
            )
            bracket = _Bracket(
                entry_id,
                spec,
                dict(data["children"]),
                bool(data["done"]),
                str(data.get("symbol", "")),
                str(data.get("source", "")),
            )
            if not bracket.done:
                self.brackets[entry_id] = bracket
                for child in bracket.children.values():
                    self._child_to_entry[child] = entry_id

    def _save(self) -> None:
        data = {
            b.entry_id: {
                "spec": {k: (str(v) if v is not None else None) for k, v in asdict(b.spec).items()},
                "children": b.children,
                "done": b.done,
                "symbol": b.symbol,
                "source": b.source,
            }
            for b in self.brackets.values()
            if not b.done
        }
        self.journal.set_kv(KV_KEY, data)

    # --- API ------------------------------------------------------------------------------
    def attach(self, entry: Order, spec: BracketSpec) -> None:
        self.brackets[entry.client_id] = _Bracket(
            entry.client_id, spec, symbol=entry.symbol, source=entry.source
        )
        self._save()

    async def protect(
        self,
        symbol: str,
        *,
        stop_loss: Decimal | None = None,
        take_profit: Decimal | None = None,
        now_ns: int = 0,
    ) -> list[Order]:
        """Put a stop-loss and/or take-profit on an open position (e.g. dragged on the chart).

        A protective order of that kind already working on the symbol is moved instead of a
        second one being added. Both are one-cancels-the-other like an entry's bracket."""
        qty = self.oms.portfolio.position_qty(symbol)
        if qty == 0:
            raise ValidationError("symbol", f"no open position in {symbol} to protect")
        inst = self.oms.risk.instruments[symbol]
        last = self.oms.portfolio.last_prices.get(symbol)
        if last is None:
            raise ValidationError("symbol", f"no market price for {symbol} yet")
        entry_side = OrderSide.BUY if qty > 0 else OrderSide.SELL
        stop = inst.check_price(stop_loss, "stop_loss") if stop_loss is not None else None
        target = inst.check_price(take_profit, "take_profit") if take_profit is not None else None
        validate_bracket(BracketSpec(stop_loss=stop, take_profit=target), entry_side, last)
        placed: list[Order] = []
        for role, price in (("stop_loss", stop), ("take_profit", target)):
            if price is None:
                continue
            current = next(
                (o for o in self.oms.working(symbol) if o.role == role and o.reduce_only), None
            )
            if current is not None:
                if role == "stop_loss":
                    await self.oms.modify(current.client_id, trigger_price=price)
                else:
                    await self.oms.modify(current.client_id, price=price)
                placed.append(current)
                continue
            bracket = next(
                (b for k, b in self.brackets.items() if k.startswith(f"pos-{symbol}-")), None
            )
            if bracket is None:  # one bracket per position: its SL and TP are OCO
                key = f"pos-{symbol}-{now_ns}"
                bracket = self.brackets[key] = _Bracket(
                    key, BracketSpec(), symbol=symbol, source="manual"
                )
            child = await self._place(bracket, role, entry_side.opposite, abs(qty), price)
            if child is not None:
                placed.append(child)
        self._save()
        return placed

    def trail_of(self, stop_id: str) -> Decimal | None:
        entry_id = self._child_to_entry.get(stop_id)
        bracket = self.brackets.get(entry_id) if entry_id else None
        return bracket.spec.trailing_pct if bracket else None

    # --- bus handlers ---------------------------------------------------------------------
    def on_fill(self, event: FillRecorded) -> None:
        cid = event.fill.client_id
        if cid in self.brackets:
            self.spawn(self._ensure_children(cid), f"bracket-{cid}")
        elif cid in self._child_to_entry:
            self.spawn(self._one_cancels_other(cid), f"oco-{cid}")

    def on_order(self, event: OrderUpdated) -> None:
        order = event.order
        bracket = self.brackets.get(order.client_id)
        if bracket is not None and order.is_terminal and order.filled_qty == 0:
            bracket.done = True  # entry never filled: nothing to protect
            del self.brackets[order.client_id]
            self._save()

    def on_position(self, event: PositionChanged) -> None:
        if event.position.quantity != 0:
            return
        for bracket in list(self.brackets.values()):
            entry = self.oms.orders.get(bracket.entry_id)
            symbol = bracket.symbol or (entry.symbol if entry is not None else "")
            if symbol == event.position.symbol and bracket.children:
                self.spawn(self._finish(bracket, "position closed"), f"flat-{bracket.entry_id}")

    async def before_release(self, stop: Order) -> bool:
        """An emulated stop is about to go to the venue: cancel its take-profit first, so the
        coins the take-profit reserves are free for the stop (one-cancels-the-other).

        Returns False when the stop must not be sent because the position is already gone."""
        entry_id = self._child_to_entry.get(stop.client_id)
        bracket = self.brackets.get(entry_id) if entry_id else None
        if bracket is None:
            return True
        for cid in bracket.children.values():
            sibling = self.oms.orders.get(cid)
            if cid != stop.client_id and sibling is not None and sibling.is_working:
                try:
                    await self.oms.cancel(cid, "OCO: stop-loss triggered")
                except Exception as exc:
                    log.error("OCO cancel of %s before the stop failed: %s", cid, exc)
        await self._free_coins_for(stop)
        held = self.oms.portfolio.position_qty(stop.symbol)
        closing = held < 0 if stop.side is OrderSide.BUY else held > 0
        if not closing:
            await self.oms.cancel(stop.client_id, "OCO: position already closed")
            return False
        if abs(held) < stop.remaining:
            self.oms.shrink(stop, stop.filled_qty + abs(held))
        return True

    async def _free_coins_for(self, stop: Order) -> None:
        """Take-profits of other brackets on the symbol may hold what the stop must sell
        (a spot venue reserves it): cancel them until the stop's quantity is free."""
        if stop.side is not OrderSide.SELL or self.oms.reservations is None:
            return
        inst = self.oms.risk.instruments[stop.symbol]
        for other in self.oms.working(stop.symbol):
            held = self.oms.portfolio.position_qty(stop.symbol)
            free = held - self.oms.reservations.reserved(inst)[1]
            if free >= stop.remaining:
                return
            if other.role == "take_profit" and other.side is OrderSide.SELL:
                try:
                    await self.oms.cancel(other.client_id, "stop-loss triggered")
                except Exception as exc:
                    log.error("could not free %s for the stop: %s", other.client_id, exc)

    # --- work -----------------------------------------------------------------------------
    def _lock(self, entry_id: str) -> asyncio.Lock:
        return self._locks.setdefault(entry_id, asyncio.Lock())

    async def _ensure_children(self, entry_id: str) -> None:
        async with self._lock(entry_id):
            bracket = self.brackets.get(entry_id)
            entry = self.oms.orders.get(entry_id)
            if bracket is None or entry is None or bracket.done or entry.avg_fill_price is None:
                return
            inst = self.oms.risk.instruments[entry.symbol]
            long = entry.side is OrderSide.BUY
            avg = entry.avg_fill_price
            spec = bracket.spec
            qty = entry.filled_qty
            exit_side = entry.side.opposite

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

            for role, price in (("stop_loss", stop), ("take_profit", target)):
                if price is None:
                    continue
                existing = self.oms.orders.get(bracket.children.get(role, ""))
                if existing is not None:
                    if existing.is_working and existing.quantity != qty:
                        await self._resize(existing, qty)
                    continue
                await self._place(bracket, role, exit_side, qty, price)
            self._save()

    async def _place(
        self,
        bracket: _Bracket,
        role: str,
        side: OrderSide,
        qty: Decimal,
        price: Decimal,
    ) -> Order | None:
        is_stop = role == "stop_loss"
        entry = self.oms.orders.get(bracket.entry_id)
        req = OrderRequest(
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
        emulate = is_stop and not self.oms.client.capabilities.native_oco
        try:
            child = await self.oms.submit(
                req, emulate=emulate, trail_pct=bracket.spec.trailing_pct if is_stop else None
            )
        except ValidationError as exc:
            log.error("could not place %s for %s: %s", role, bracket.entry_id, exc)
            if entry is None:
                raise  # a trader's own request: the refusal must reach the screen
            return None
        bracket.children[role] = child.client_id
        self._child_to_entry[child.client_id] = bracket.entry_id
        return child

    async def _resize(self, child: Order, qty: Decimal) -> None:
        try:
            await self.oms.modify(child.client_id, quantity=qty)
        except Exception as exc:
            log.error("could not resize %s to %s: %s", child.client_id, qty, exc)

    async def _one_cancels_other(self, child_id: str) -> None:
        entry_id = self._child_to_entry.get(child_id)
        bracket = self.brackets.get(entry_id) if entry_id else None
        child = self.oms.orders.get(child_id)
        if bracket is None or child is None:
            return
        async with self._lock(bracket.entry_id):
            if child.status.is_terminal:
                await self._finish(bracket, f"{child.role} filled", keep=child_id)
                return
            # partial exit: the sibling protects only what is left
            left = abs(self.oms.portfolio.position_qty(child.symbol))
            for cid in bracket.children.values():
                sibling = self.oms.orders.get(cid)
                if (
                    cid != child_id
                    and sibling is not None
                    and sibling.is_working
                    and 0 < left < sibling.remaining
                ):
                    await self._resize(sibling, sibling.filled_qty + left)

    async def _finish(self, bracket: _Bracket, why: str, keep: str | None = None) -> None:
        for cid in bracket.children.values():
            sibling = self.oms.orders.get(cid)
            if cid != keep and sibling is not None and sibling.is_working:
                try:
                    await self.oms.cancel(cid, f"OCO: {why}")
                except Exception as exc:
                    log.error("OCO cancel of %s failed: %s", cid, exc)
        bracket.done = True
        self.brackets.pop(bracket.entry_id, None)
        self._save()
