"""Brackets: stop-loss and take-profit children attached to an entry order.

When the entry fills (also partially), the children are placed for the filled quantity.
Where the venue holds one-cancels-the-other lists (``Capabilities.native_oco``, e.g. Binance
spot), a stop-loss and a take-profit go out as one list: the venue reserves the coins once
and cancels one leg when the other executes, even while the app is closed. A list cannot be
amended, so a new price or size cancels the pair and sends a new one (protection is absent
for that round trip). A trailing stop, a lone stop or a venue without lists keeps the
stop-loss engine-side (the emulator) and the take-profit as a reduce-only LIMIT at the venue,
because on a spot account two resting sells would both reserve the same coins; the engine
then does the one-cancels-the-other. When the venue expires a listed stop because the
take-profit partly filled, the rest is protected by an engine-side stop. When the position
is closed by anything else, both go. A trailing stop follows the best price since entry by
``trailing_pct``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from app.engine.bracket_state import (
    STOP_LOSS,
    TAKE_PROFIT,
    Bracket,
    child_prices,
    child_request,
    load_brackets,
    save_brackets,
    validate_bracket,
)
from app.engine.domain.errors import ValidationError
from app.engine.domain.events import FillRecorded, OrderUpdated, PositionChanged, TradingState
from app.engine.domain.orders import (
    BracketSpec,
    Order,
    OrderSide,
    OrderStatus,
)
from app.engine.journal_port import JournalPort
from app.engine.oms import OrderManager
from app.engine.order_pairs import holds_pairs, submit_pair
from app.engine.order_waits import OrderEndings

__all__ = ["BracketManager", "validate_bracket"]

log = logging.getLogger(__name__)
_ENDED = frozenset(s for s in OrderStatus if s.is_terminal)
_EXPIRED = OrderStatus.EXPIRED  # a module constant: Enum attribute lookups are slow on 3.11


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
        self.brackets: dict[str, Bracket] = {}
        self._child_to_entry: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._endings = OrderEndings(oms)

    # --- persistence ----------------------------------------------------------------------
    def restore(self) -> None:
        for bracket, paired in load_brackets(self.journal):
            self.brackets[bracket.entry_id] = bracket
            for child in bracket.children.values():
                self._child_to_entry[child] = bracket.entry_id
            stop, target = self._pair_of(bracket)
            if paired and stop is not None and target is not None:
                self.oms.link_pair(stop, target)

    def _save(self) -> None:
        save_brackets(self.journal, list(self.brackets.values()), self._paired)

    def _paired(self, bracket: Bracket) -> bool:
        """Its stop-loss and take-profit are one order list at the venue (the order manager
        links the two; a child placed since, on its own, breaks that)."""
        stop = bracket.children.get(STOP_LOSS)
        return stop is not None and self.oms.partners.get(stop) == bracket.children.get(TAKE_PROFIT)

    # --- API ------------------------------------------------------------------------------
    def attach(self, entry: Order, spec: BracketSpec) -> None:
        self.brackets[entry.client_id] = Bracket(
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
        current = {
            role: next(
                (o for o in self.oms.working(symbol) if o.role == role and o.reduce_only), None
            )
            for role in (STOP_LOSS, TAKE_PROFIT)
        }
        placed = await self._protect_as_pair(
            symbol, now_ns, entry_side, abs(qty), stop, target, current
        )
        if placed is not None:
            self._save()
            return placed
        placed = []
        for role, price in ((STOP_LOSS, stop), (TAKE_PROFIT, target)):
            if price is None:
                continue
            existing = current[role]
            if existing is not None:
                if role == STOP_LOSS:
                    await self.oms.modify(existing.client_id, trigger_price=price)
                else:
                    await self.oms.modify(existing.client_id, price=price)
                placed.append(existing)
                continue
            bracket = self._position_bracket(symbol, now_ns)
            child = await self._place(bracket, role, entry_side.opposite, abs(qty), price)
            if child is not None:
                placed.append(child)
        self._save()
        return placed

    def _position_bracket(self, symbol: str, now_ns: int) -> Bracket:
        """The bracket of an open position's own protection (one per position: its
        stop-loss and take-profit are one-cancels-the-other)."""
        for key, bracket in self.brackets.items():
            if key.startswith(f"pos-{symbol}-"):
                return bracket
        key = f"pos-{symbol}-{now_ns}"
        bracket = self.brackets[key] = Bracket(key, BracketSpec(), symbol=symbol, source="manual")
        return bracket

    async def _protect_as_pair(
        self,
        symbol: str,
        now_ns: int,
        entry_side: OrderSide,
        qty: Decimal,
        stop: Decimal | None,
        target: Decimal | None,
        current: dict[str, Order | None],
    ) -> list[Order] | None:
        """protect() on a venue with order lists: a position with both a stop-loss and a
        take-profit gets them as one list. None when this does not apply."""
        old_stop, old_target = current[STOP_LOSS], current[TAKE_PROFIT]
        new_stop = stop if stop is not None else old_stop.trigger_price if old_stop else None
        new_target = target if target is not None else old_target.price if old_target else None
        if not holds_pairs(self.oms) or new_stop is None or new_target is None:
            return None
        owner = (
            self._bracket_of(old_stop)
            or self._bracket_of(old_target)
            or self._position_bracket(symbol, now_ns)
        )
        async with self._lock(owner.entry_id):
            if self._paired(owner) and old_stop is not None and old_target is not None:
                await self._replace_pair(owner, stop=new_stop, target=new_target)
            else:  # lone orders (or none): replaced by one list
                olds = [o for o in (old_stop, old_target) if o is not None]
                if olds:
                    self._check_replaceable()
                for old in olds:
                    await self.oms.cancel(old.client_id, "replaced by a one-cancels-the-other pair")
                await self._endings.wait(olds)
                await self._place_pair(owner, entry_side.opposite, qty, new_stop, new_target)
        return [o for o in self._pair_of(owner) if o is not None]

    async def modify_pair(
        self,
        order: Order,
        price: Decimal | None,
        trigger_price: Decimal | None,
        quantity: Decimal | None,
    ) -> None:
        """A new price, trigger or size for one order of a venue-held pair: the pair cannot
        be amended, so it is canceled and sent again with the change."""
        bracket = self._bracket_of(order)
        if bracket is None or not self._paired(bracket):
            raise ValidationError("order", "is one of a pair this session did not place")
        async with self._lock(bracket.entry_id):
            await self._replace_pair(
                bracket,
                stop=trigger_price if order.role == STOP_LOSS else None,
                target=price if order.role == TAKE_PROFIT else None,
                quantity=quantity,
            )
        self._save()

    async def cancel_one(self, order: Order, why: str) -> bool:
        """Cancel one order of a venue-held pair and keep the other: the venue cancels the
        whole list, so the other order is placed again on its own. False when ``order`` is
        not one of a working pair (then nothing was done)."""
        bracket = self._bracket_of(order)
        partner = self.oms.working_partner(order.client_id)
        if bracket is None or partner is None or not self._paired(bracket):
            return False
        async with self._lock(bracket.entry_id):
            bracket.replacing = True
            try:
                await self.oms.cancel(order.client_id, why)
                await self._endings.wait((order, partner))
            finally:
                bracket.replacing = False
            held = abs(self.oms.portfolio.position_qty(partner.symbol))
            price = partner.trigger_price if partner.role == STOP_LOSS else partner.price
            if partner.filled_qty == 0 and held and price is not None and partner.role:
                await self._place(
                    bracket, partner.role, partner.side, min(held, partner.quantity), price
                )
            self._save()
        return True

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
        status = order.status
        if status not in _ENDED:  # every order update passes here: the common case first
            return
        self._endings.notify(order)
        bracket = self.brackets.get(order.client_id)
        if bracket is not None and order.filled_qty == 0:
            bracket.done = True  # entry never filled: nothing to protect
            del self.brackets[order.client_id]
            self._save()
            return
        if status is _EXPIRED and order.role == STOP_LOSS:
            owner = self._bracket_of(order)
            if owner is not None and self._paired(owner) and not owner.replacing and not owner.done:
                self.spawn(self._reprotect(owner, order), f"reprotect-{owner.entry_id}")

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
            if other.role == TAKE_PROFIT and other.side is OrderSide.SELL:
                try:
                    # a listed take-profit keeps its own stop-loss, re-placed engine-side
                    if not await self.cancel_one(other, "stop-loss triggered"):
                        await self.oms.cancel(other.client_id, "stop-loss triggered")
                except Exception as exc:
                    log.error("could not free %s for the stop: %s", other.client_id, exc)

    # --- work -----------------------------------------------------------------------------
    def _lock(self, entry_id: str) -> asyncio.Lock:
        return self._locks.setdefault(entry_id, asyncio.Lock())

    def _bracket_of(self, order: Order | None) -> Bracket | None:
        entry_id = self._child_to_entry.get(order.client_id) if order is not None else None
        return self.brackets.get(entry_id) if entry_id else None

    def _pair_of(self, bracket: Bracket) -> tuple[Order | None, Order | None]:
        get = self.oms.orders.get
        return get(bracket.children.get(STOP_LOSS, "")), get(bracket.children.get(TAKE_PROFIT, ""))

    def _wants_pair(self, bracket: Bracket, stop: Decimal | None, target: Decimal | None) -> bool:
        """A trailing stop moves with every tick: a list would be replaced each time, so it
        stays engine-side."""
        return (
            stop is not None
            and target is not None
            and bracket.spec.trailing_pct is None
            and holds_pairs(self.oms)
        )

    async def _ensure_children(self, entry_id: str) -> None:
        async with self._lock(entry_id):
            bracket = self.brackets.get(entry_id)
            entry = self.oms.orders.get(entry_id)
            if bracket is None or entry is None or bracket.done or entry.avg_fill_price is None:
                return
            stop, target = child_prices(
                bracket.spec,
                entry.side,
                entry.avg_fill_price,
                self.oms.risk.instruments[entry.symbol],
            )
            qty = entry.filled_qty
            exit_side = entry.side.opposite

            if self._wants_pair(bracket, stop, target) and stop is not None and target is not None:
                old_stop, old_target = self._pair_of(bracket)
                if old_stop is None and old_target is None:
                    await self._place_pair(bracket, exit_side, qty, stop, target)
                    self._save()
                    return
                if (
                    self._paired(bracket)
                    and old_stop is not None
                    and old_stop.is_working
                    and self.oms.working_partner(old_stop.client_id) is not None
                ):
                    if old_stop.quantity != qty:
                        await self._replace_pair(bracket, quantity=qty)
                        self._save()
                    return
            for role, price in ((STOP_LOSS, stop), (TAKE_PROFIT, target)):
                if price is None:
                    continue
                existing = self.oms.orders.get(bracket.children.get(role, ""))
                if existing is not None:
                    if existing.is_working and existing.quantity != qty:
                        await self._resize(bracket, existing, qty)
                    continue
                await self._place(bracket, role, exit_side, qty, price)
            self._save()

    async def _place_pair(
        self, bracket: Bracket, side: OrderSide, qty: Decimal, stop: Decimal, target: Decimal
    ) -> None:
        """Send the stop-loss and take-profit as one venue list; if the venue refuses the
        list (a take-profit the market has already passed cannot rest), place them the
        engine-side way instead, so the position is never left bare."""
        entry = self.oms.orders.get(bracket.entry_id)
        try:
            sl, tp = await submit_pair(
                self.oms,
                child_request(bracket, entry, STOP_LOSS, side, qty, stop),
                child_request(bracket, entry, TAKE_PROFIT, side, qty, target),
            )
        except ValidationError as exc:
            log.error("could not place the bracket of %s: %s", bracket.entry_id, exc)
            if entry is None:
                raise  # a trader's own request: the refusal must reach the screen
            return
        for child in (sl, tp):
            bracket.children[child.role or ""] = child.client_id
            self._child_to_entry[child.client_id] = bracket.entry_id
        if sl.status is OrderStatus.REJECTED:
            log.warning(
                "%s refused the stop-loss/take-profit list of %s (%s): placing them separately",
                self.oms.client.venue,
                bracket.entry_id,
                sl.reason,
            )
            await self._place(bracket, STOP_LOSS, side, qty, stop)
            await self._place(bracket, TAKE_PROFIT, side, qty, target)

    async def _replace_pair(
        self,
        bracket: Bracket,
        *,
        stop: Decimal | None = None,
        target: Decimal | None = None,
        quantity: Decimal | None = None,
    ) -> None:
        """Cancel the bracket's venue list and send a new one with the changes (the caller
        holds the bracket's lock)."""
        old_stop, old_target = self._pair_of(bracket)
        if old_stop is None or old_target is None or old_stop.trigger_price is None:
            raise ValidationError("order", "the bracket has no complete pair to change")
        if old_target.price is None:
            raise ValidationError("take_profit", "the take-profit has no price")
        self._check_replaceable()
        new_stop = stop if stop is not None else old_stop.trigger_price
        new_target = target if target is not None else old_target.price
        qty = quantity if quantity is not None else old_stop.quantity
        bracket.replacing = True
        try:
            await self.oms.cancel(old_stop.client_id, "replaced with new bracket prices or size")
            await self._endings.wait((old_stop, old_target))
        finally:
            bracket.replacing = False
        if bracket.done or old_stop.filled_qty or old_target.filled_qty:
            return  # the market got there first: the fill's handlers finish the bracket
        await self._place_pair(bracket, old_stop.side, qty, new_stop, new_target)

    def _check_replaceable(self) -> None:
        if self.oms.risk.state is TradingState.HALTED:
            # the new orders would be refused: canceling the old ones would leave nothing
            raise ValidationError("trading", "trading is HALTED: protection cannot be replaced")

    async def _reprotect(self, bracket: Bracket, expired_stop: Order) -> None:
        """The venue expired the listed stop-loss because the take-profit (partly) filled:
        what is left of the position gets an engine-side stop at the same trigger."""
        async with self._lock(bracket.entry_id):
            _, target = self._pair_of(bracket)
            if bracket.done or target is None or not target.is_working:
                return
            try:  # the venue reports the expiry before the fill that caused it: get the fill
                await self.oms.settle(target)
            except Exception as exc:
                log.warning("could not look up %s: %s", target.client_id, exc)
            if not target.is_working:
                return  # filled whole: the position is gone, nothing to protect
            held = abs(self.oms.portfolio.position_qty(expired_stop.symbol))
            trigger = expired_stop.trigger_price
            if held == 0 or trigger is None:
                return
            log.info(
                "%s: the venue expired the stop-loss of the list when the take-profit traded; "
                "the remaining %s is protected by an engine-side stop at %s",
                expired_stop.symbol,
                min(held, target.remaining),
                trigger,
            )
            await self._place(
                bracket, STOP_LOSS, expired_stop.side, min(held, target.remaining), trigger
            )
            self._save()

    async def _place(
        self,
        bracket: Bracket,
        role: str,
        side: OrderSide,
        qty: Decimal,
        price: Decimal,
    ) -> Order | None:
        """Place one child. A lone stop-loss is held engine-side: resting at a spot venue it
        would reserve the coins a take-profit needs (a pair is sent by ``_place_pair``)."""
        is_stop = role == STOP_LOSS
        entry = self.oms.orders.get(bracket.entry_id)
        req = child_request(bracket, entry, role, side, qty, price)
        try:
            child = await self.oms.submit(
                req, emulate=is_stop, trail_pct=bracket.spec.trailing_pct if is_stop else None
            )
        except ValidationError as exc:
            log.error("could not place %s for %s: %s", role, bracket.entry_id, exc)
            if entry is None:
                raise  # a trader's own request: the refusal must reach the screen
            return None
        bracket.children[role] = child.client_id
        self._child_to_entry[child.client_id] = bracket.entry_id
        return child

    async def _resize(self, bracket: Bracket, child: Order, qty: Decimal) -> None:
        try:
            if child.client_id in self.oms.partners:
                # a leg left over from a venue list cannot be amended: send a new one
                await self.oms.cancel(child.client_id, f"resized to {qty}")
                await self._endings.wait((child,))
                price = child.trigger_price if child.role == STOP_LOSS else child.price
                if not child.filled_qty and price is not None and child.role:
                    await self._place(bracket, child.role, child.side, qty, price)
                return
            await self.oms.modify(child.client_id, quantity=qty)
        except Exception as exc:
            log.error("could not resize %s to %s: %s", child.client_id, qty, exc)

    async def _one_cancels_other(self, child_id: str) -> None:
        bracket = self._bracket_of(self.oms.orders.get(child_id))
        child = self.oms.orders.get(child_id)
        if bracket is None or child is None:
            return
        async with self._lock(bracket.entry_id):
            if child.status.is_terminal:
                await self._finish(bracket, f"{child.role} filled", keep=child_id)
                return
            # partial exit: the sibling protects only what is left (a listed sibling is
            # expired by the venue instead)
            left = abs(self.oms.portfolio.position_qty(child.symbol))
            listed = self.oms.partners.get(child_id)
            for cid in bracket.children.values():
                sibling = self.oms.orders.get(cid)
                if (
                    cid != child_id
                    and cid != listed
                    and sibling is not None
                    and sibling.is_working
                    and 0 < left < sibling.remaining
                ):
                    await self._resize(bracket, sibling, sibling.filled_qty + left)

    async def _finish(self, bracket: Bracket, why: str, keep: str | None = None) -> None:
        """Cancel the bracket's other children. The venue ends a listed sibling itself (the
        other leg of a filled or canceled list): it is waited for, and canceled only if the
        venue does not end it."""
        asked: set[str] = set()
        if keep is not None and keep in self.oms.partners:
            asked.add(self.oms.partners[keep])
        for cid in bracket.children.values():
            sibling = self.oms.orders.get(cid)
            if cid == keep or cid in asked or sibling is None or not sibling.is_working:
                continue
            await self._cancel_quietly(cid, f"OCO: {why}")
            asked.add(cid)
            if cid in self.oms.partners:
                asked.add(self.oms.partners[cid])
        listed = [self.oms.orders[c] for c in asked if c in self.oms.partners]
        try:
            await self._endings.wait(listed)
        except ValidationError:
            for order in listed:
                if order.is_working:
                    await self._cancel_quietly(order.client_id, f"OCO: {why}")
        bracket.done = True
        self.brackets.pop(bracket.entry_id, None)
        self._save()

    async def _cancel_quietly(self, client_id: str, why: str) -> None:
        try:
            await self.oms.cancel(client_id, why)
        except Exception as exc:
            log.error("OCO cancel of %s failed: %s", client_id, exc)
