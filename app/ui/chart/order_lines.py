"""Horizontal lines for the shown symbol's working orders and position entry.

Working-order lines (stop-loss and take-profit included) can be dragged: on release the new
price, rounded to the instrument's tick, goes to ``engine.modify`` (the limit price of limit
orders, the trigger of stops). The outcome is shown on the chart; a refusal (risk gate,
validation, venue) puts the line back where the order really is.

The position's average-entry line can be dragged too: dropped on the losing side of the
market it puts (or moves) a stop-loss there, on the winning side a take-profit, through
``engine.protect_position``; the entry line itself goes back to the average price.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from decimal import Decimal

import pyqtgraph as pg

from app.engine.domain.errors import ValidationError
from app.engine.domain.orders import Order
from app.engine.domain.positions import Position
from app.engine.ports import VenueError
from app.ui.chart.palette import ChartPalette
from app.ui.context import UiContext

ROLE_NAMES = {"stop_loss": "stop-loss", "take_profit": "take-profit"}
#: where the order lives (TradingEngine.where_held): a trader must know which orders keep
#: working when the app is closed
HELD_NOTES = {"app": "  · held in the app", "oco": "  · OCO at the venue"}
Notify = Callable[[str, bool], None]  # (message, is_error)


def line_price(order: Order) -> Decimal | None:
    """The price a line shows: the trigger of a stop, else the limit price."""
    return order.trigger_price if order.type.has_trigger else order.price


def describe(order: Order) -> str:
    role = ROLE_NAMES.get(order.role or "", "")
    parts = [order.side.value.upper(), f"{order.remaining.normalize():f}", order.type.value]
    return " ".join([*parts, role] if role else parts)


class OrderLines:
    def __init__(
        self, ctx: UiContext, plot: pg.PlotItem, palette: ChartPalette, notify: Notify
    ) -> None:
        self.ctx = ctx
        self.plot = plot
        self.palette = palette
        self.notify = notify
        self.symbol = ""
        self.lines: dict[str, pg.InfiniteLine] = {}
        self.orders: dict[str, Order] = {}
        self.entry: pg.InfiniteLine | None = None
        self._entry_price = 0.0
        self._pending: set[str] = set()  # modifies in flight: updates must not move the line

    # --- state in -------------------------------------------------------------------------
    def set_symbol(self, symbol: str) -> None:
        for cid in list(self.lines):
            self._remove(cid)
        self._remove_entry()
        self.symbol = symbol
        self.update_orders(self.ctx.engine.oms.working(symbol))
        self.update_positions(self.ctx.engine.portfolio.positions.values())

    def update_orders(self, orders: Iterable[Order]) -> None:
        for order in orders:
            if order.symbol != self.symbol:
                continue
            price = line_price(order)
            if not order.is_working or price is None:
                self._remove(order.client_id)
                continue
            self.orders[order.client_id] = order
            line = self.lines.get(order.client_id)
            if line is None:
                line = self._add(order)
            held = HELD_NOTES.get(self.ctx.engine.where_held(order.client_id), "")
            line.label.setFormat(f"{describe(order)} @ {price:,}{held}")
            if order.client_id not in self._pending and not line.moving:
                line.setValue(float(price))

    def update_positions(self, positions: Iterable[Position]) -> None:
        for pos in positions:
            if pos.symbol != self.symbol:
                continue
            if pos.is_flat:
                self._remove_entry()
                continue
            if self.entry is None:
                self.entry = pg.InfiniteLine(angle=0, movable=True, label="")
                self.entry.setZValue(9)
                self.entry.sigPositionChangeFinished.connect(self._entry_dropped)
                self.plot.addItem(self.entry, ignoreBounds=True)
                self._style_entry()
            avg = pos.avg_price
            inst = self.ctx.engine.instruments.get(self.symbol)
            shown = inst.make_price(avg) if inst is not None else avg
            self.entry.label.setFormat(f"{pos.side.upper()} {abs(pos.quantity):f} avg {shown:,}")
            self._entry_price = float(avg)
            if not self.entry.moving:
                self.entry.setValue(self._entry_price)

    def prices_shown(self) -> list[float]:
        """Prices the chart's y range should include: every line not being dragged (a line
        under the mouse must not rescale the view it is dragged in)."""
        lines = [*self.lines.values(), *([self.entry] if self.entry is not None else [])]
        return [float(line.value()) for line in lines if not line.moving]

    # --- dragging -------------------------------------------------------------------------
    def drag_to(self, client_id: str, price: float) -> asyncio.Task[None]:
        """Move a line as a drag would and send the modification; the task is returned so a
        caller (a test) can await the outcome."""
        line = self.lines[client_id]
        line.setValue(price)
        return self._commit(client_id, price)

    def _drag_finished(self, line: pg.InfiniteLine) -> None:
        client_id = line.client_id
        if client_id in self.orders:
            self._commit(client_id, float(line.value()))

    def _commit(self, client_id: str, price: float) -> asyncio.Task[None]:
        self._pending.add(client_id)
        return self.ctx.spawn(self._modify(client_id, price), f"chart-modify {client_id}")

    async def _modify(self, client_id: str, raw: float) -> None:
        order = self.orders.get(client_id)
        if order is None:  # filled or canceled while the line was being dragged
            self._pending.discard(client_id)
            self.notify("The order is no longer working; nothing to move", True)
            return
        what = describe_short(order)
        try:
            # repr keeps every digit of the float the mouse gave; the tick rounding decides
            price = self.ctx.engine.instruments[order.symbol].make_price(repr(raw))
            if order.type.has_trigger:
                await self.ctx.engine.modify(client_id, trigger_price=price)
            else:
                await self.ctx.engine.modify(client_id, price=price)
        except ValidationError as exc:  # RiskDenied is one
            self._refused(client_id, f"{what} not moved — {exc.field}: {exc.rule}")
        except (VenueError, TimeoutError) as exc:
            self._refused(client_id, f"{what} not moved — the venue said: {exc or type(exc)}")
        except Exception:
            self._refused(client_id, f"{what} not moved — unexpected error (see the log)")
            raise
        else:
            self._pending.discard(client_id)
            line = self.lines.get(client_id)
            if line is not None:
                line.setValue(float(price))
            self.notify(f"Modified {what} to {price:,}", False)

    # --- protecting the position by dragging its entry line --------------------------------
    def drag_entry_to(self, price: float) -> asyncio.Task[None]:
        """Drop the position's entry line at ``price``: a stop-loss or take-profit there."""
        if self.entry is None:
            raise ValidationError("position", f"no open position in {self.symbol} to protect")
        self.entry.setValue(price)
        return self._protect(price)

    def _entry_dropped(self, line: pg.InfiniteLine) -> None:
        self._protect(float(line.value()))

    def _protect(self, price: float) -> asyncio.Task[None]:
        return self.ctx.spawn(self._place_protection(price), f"chart-protect {self.symbol}")

    async def _place_protection(self, raw: float) -> None:
        engine, symbol = self.ctx.engine, self.symbol
        if self.entry is not None:
            self.entry.setValue(self._entry_price)  # the entry is where it is; a new line comes
        qty = engine.portfolio.position_qty(symbol)
        reference = engine.portfolio.last_prices.get(symbol) or Decimal(repr(self._entry_price))
        price = engine.instruments[symbol].make_price(repr(raw))
        # a long loses below the market, a short above it
        is_stop = (price < reference) if qty > 0 else (price > reference)
        role = "stop-loss" if is_stop else "take-profit"
        try:
            if is_stop:
                await engine.protect_position(symbol, stop_loss=price)
            else:
                await engine.protect_position(symbol, take_profit=price)
        except ValidationError as exc:
            self.notify(f"No {role} placed — {exc.field}: {exc.rule}", True)
        except (VenueError, TimeoutError) as exc:
            self.notify(f"No {role} placed — the venue said: {exc or type(exc)}", True)
        else:
            self.notify(f"{role.capitalize()} set at {price:,}", False)

    def _refused(self, client_id: str, message: str) -> None:
        self._pending.discard(client_id)
        self.snap_back(client_id)
        self.notify(message, True)

    def snap_back(self, client_id: str) -> None:
        """Put the line where the order actually is."""
        order = self.ctx.engine.oms.orders.get(client_id) or self.orders.get(client_id)
        line = self.lines.get(client_id)
        price = line_price(order) if order is not None else None
        if line is not None and price is not None:
            line.setValue(float(price))

    # --- drawing --------------------------------------------------------------------------
    def _add(self, order: Order) -> pg.InfiniteLine:
        line = pg.InfiniteLine(
            angle=0,
            movable=True,
            label="",
            labelOpts={"position": 0.05, "anchors": [(0, 1), (0, 1)]},
        )
        line.client_id = order.client_id
        line.setZValue(10)
        line.sigPositionChangeFinished.connect(self._drag_finished)
        self.plot.addItem(line, ignoreBounds=True)
        self.lines[order.client_id] = line
        self._style(order, line)
        return line

    def _remove(self, client_id: str) -> None:
        line = self.lines.pop(client_id, None)
        self.orders.pop(client_id, None)
        self._pending.discard(client_id)
        if line is not None:
            self.plot.removeItem(line)

    def _remove_entry(self) -> None:
        if self.entry is not None:
            self.plot.removeItem(self.entry)
            self.entry = None

    def colour_of(self, order: Order) -> str:
        p = self.palette
        if order.role == "stop_loss":
            return p.stop_loss
        if order.role == "take_profit":
            return p.take_profit
        return p.order_buy if order.side.sign > 0 else p.order_sell

    def _style(self, order: Order, line: pg.InfiniteLine) -> None:
        colour = self.colour_of(order)
        dashed = pg.QtCore.Qt.PenStyle.DashLine
        line.setPen(pg.mkPen(colour, width=1.5, style=dashed))
        line.setHoverPen(pg.mkPen(colour, width=3))
        line.label.setColor(colour)

    def _style_entry(self) -> None:
        if self.entry is not None:
            self.entry.setPen(pg.mkPen(self.palette.entry, width=1))
            self.entry.setHoverPen(pg.mkPen(self.palette.entry, width=3))
            self.entry.label.setColor(self.palette.entry)

    def set_palette(self, palette: ChartPalette) -> None:
        self.palette = palette
        for cid, line in self.lines.items():
            self._style(self.orders[cid], line)
        self._style_entry()


def describe_short(order: Order) -> str:
    """How a confirmation names the order: its role if it has one, else side and type."""
    role = ROLE_NAMES.get(order.role or "")
    return role or f"{order.type.value} {order.side.value}"
