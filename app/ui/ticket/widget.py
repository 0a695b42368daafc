"""The order ticket: one-click BUY and SELL with the risk gate's verdict shown before sending.

On every edit (debounced) the ticket asks ``engine.preview_order`` about both sides and shows
each refusal under the field at fault, disabling the side that would be refused. A click
judges the form once more, synchronously, so a click that beats the debounce still sends
nothing the gate refuses. Questions to the trader (confirm every order, confirm a duplicate)
go through ``self.confirm``, which tests replace to answer without a modal dialog.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.engine.domain.errors import ValidationError
from app.engine.domain.instruments import Instrument
from app.engine.domain.orders import (
    Order,
    OrderRequest,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from app.engine.domain.values import to_decimal
from app.engine.risk import RiskDenied
from app.ui.bridge import MarketSnapshot
from app.ui.context import UiContext
from app.ui.ticket.form import (
    GENERAL,
    SLOTS,
    TicketForm,
    Verdict,
    build_request,
    describe,
    estimate,
    reference_price,
    slot_of,
)

log = logging.getLogger(__name__)
DEBOUNCE_MS = 150
TYPES: tuple[tuple[str, OrderType], ...] = (
    ("Market", OrderType.MARKET),
    ("Limit", OrderType.LIMIT),
    ("Stop", OrderType.STOP_MARKET),
    ("Stop-limit", OrderType.STOP_LIMIT),
)
TIFS: tuple[tuple[str, TimeInForce], ...] = (
    ("GTC", TimeInForce.GTC),
    ("IOC", TimeInForce.IOC),
    ("FOK", TimeInForce.FOK),
)


class OrderTicket(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        #: asks the trader (title, text) -> yes?; tests replace it to answer without a dialog
        self.confirm: Callable[[str, str], bool] = self._ask
        self.verdicts: dict[OrderSide, Verdict] = {}
        #: the order the status line follows (the last one sent from this ticket)
        self.last_order_id: str | None = None
        self._priced_symbol = ""  # the symbol whose market the price fields were filled from
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.evaluate)
        self._build()
        ctx.bridge.quotes.connect(self._on_quotes)
        ctx.bridge.orders.connect(self._on_orders)
        # balances, positions and trading state change the verdict without any edit
        ctx.bridge.positions.connect(self._soon)
        ctx.bridge.trading_state.connect(self._soon)
        self._on_type_changed()
        self._show_quote()
        self.evaluate()

    # --- building -------------------------------------------------------------------------
    def _build(self) -> None:
        self.symbol = QComboBox(self)
        self.symbol.setEditable(True)
        self.symbol.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.symbol.addItems(sorted(self.ctx.engine.instruments))
        completer = QCompleter(sorted(self.ctx.engine.instruments), self.symbol)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.symbol.setCompleter(completer)
        self.quote = QLabel("", self)
        self.quote.setProperty("role", "muted")
        self.type = QComboBox(self)
        for label, otype in TYPES:
            self.type.addItem(label, otype)
        self.by_notional = QCheckBox("by notional", self)
        self.by_notional.setToolTip("Enter an amount of the quote currency instead of units")
        self.quantity = QLineEdit(self)
        self.quantity.setPlaceholderText("quantity")
        self.quantity_label = QLabel("Quantity", self)
        self.converted = QLabel("", self)
        self.converted.setProperty("role", "muted")
        self.price = QLineEdit(self)
        self.price.setPlaceholderText("limit price")
        self.trigger_price = QLineEdit(self)
        self.trigger_price.setPlaceholderText("trigger price")
        self.tif = QComboBox(self)
        for label, tif in TIFS:
            self.tif.addItem(label, tif)
        self.stop_loss, self.stop_loss_unit = self._bracket_input("stop-loss")
        self.take_profit, self.take_profit_unit = self._bracket_input("take-profit")
        self.trailing = QLineEdit(self)
        self.trailing.setPlaceholderText("trailing % (optional)")
        self.estimate = QLabel("", self)
        self.confirm_box = QCheckBox("Confirm before sending", self)
        self.confirm_box.setChecked(self.ctx.settings.confirm_orders)
        self.buy_button = QPushButton("BUY", self)
        self.buy_button.setObjectName("buyButton")
        self.sell_button = QPushButton("SELL", self)
        self.sell_button.setObjectName("sellButton")
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        self.errors: dict[str, QLabel] = {}
        for slot in SLOTS:
            error = QLabel("", self)
            error.setProperty("role", "error")
            error.setWordWrap(True)
            error.setVisible(False)
            error.setObjectName(f"error_{slot}")
            self.errors[slot] = error

        form = QFormLayout()
        form.addRow("Symbol", self.symbol)
        form.addRow(self.errors["symbol"])
        form.addRow("", self.quote)
        form.addRow("Type", self.type)
        size = QHBoxLayout()
        size.addWidget(self.quantity, 1)
        size.addWidget(self.by_notional)
        form.addRow(self.quantity_label, size)
        form.addRow("", self.converted)
        form.addRow(self.errors["quantity"])
        form.addRow("Limit price", self.price)
        form.addRow(self.errors["price"])
        form.addRow("Trigger", self.trigger_price)
        form.addRow(self.errors["trigger_price"])
        form.addRow("Time in force", self.tif)
        form.addRow("Stop-loss", _pair(self.stop_loss, self.stop_loss_unit))
        form.addRow(self.errors["stop_loss"])
        form.addRow("Take-profit", _pair(self.take_profit, self.take_profit_unit))
        form.addRow(self.errors["take_profit"])
        form.addRow("Trailing %", self.trailing)
        form.addRow(self.errors["trailing"])
        buttons = QHBoxLayout()
        buttons.addWidget(self.buy_button)
        buttons.addWidget(self.sell_button)
        root = QVBoxLayout(self)
        root.addLayout(form)
        root.addWidget(self.estimate)
        root.addWidget(self.confirm_box)
        root.addWidget(self.errors[GENERAL])
        root.addLayout(buttons)
        root.addWidget(self.status)
        root.addStretch(1)

        self.symbol.currentTextChanged.connect(self._on_symbol_changed)
        self.type.currentIndexChanged.connect(self._on_type_changed)
        self.by_notional.toggled.connect(self._on_size_mode)
        self.tif.currentIndexChanged.connect(self._restart)
        for edit in (self.quantity, self.price, self.trigger_price, self.stop_loss,
                     self.take_profit, self.trailing):  # fmt: skip
            edit.textEdited.connect(self._restart)
        self.stop_loss_unit.currentIndexChanged.connect(self._restart)
        self.take_profit_unit.currentIndexChanged.connect(self._restart)
        self.buy_button.clicked.connect(self.buy)
        self.sell_button.clicked.connect(self.sell)

    def _bracket_input(self, name: str) -> tuple[QLineEdit, QComboBox]:
        edit = QLineEdit(self)
        edit.setPlaceholderText(f"{name} (optional)")
        unit = QComboBox(self)
        unit.addItem("price", False)
        unit.addItem("%", True)
        return edit, unit

    # --- public API -----------------------------------------------------------------------
    def set_symbol(self, symbol: str) -> None:
        """Follow the watchlist's selection."""
        if symbol != self.symbol.currentText():
            self.symbol.setCurrentText(symbol)

    def buy(self) -> None:
        self._submit(OrderSide.BUY)

    def sell(self) -> None:
        self._submit(OrderSide.SELL)

    def focus_quantity(self) -> None:
        self.quantity.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.quantity.selectAll()

    def form(self) -> TicketForm:
        return TicketForm(
            symbol=self.symbol.currentText().strip(),
            type=self._type(),
            size=self.quantity.text(),
            by_notional=self.by_notional.isChecked(),
            price=self.price.text(),
            trigger_price=self.trigger_price.text(),
            tif=TimeInForce(self.tif.currentData()),
            stop_loss=self.stop_loss.text(),
            stop_loss_is_pct=bool(self.stop_loss_unit.currentData()),
            take_profit=self.take_profit.text(),
            take_profit_is_pct=bool(self.take_profit_unit.currentData()),
            trailing_pct=self.trailing.text(),
        )

    def _type(self) -> OrderType:
        # Qt stores a StrEnum item's data as its plain string
        return OrderType(self.type.currentData())

    def instrument(self) -> Instrument | None:
        return self.ctx.engine.instruments.get(self.symbol.currentText().strip())

    def error_text(self, slot: str) -> str:
        """The inline message under ``slot`` (a field name or "general"), "" if none."""
        label = self.errors[slot]
        return label.text() if not label.isHidden() else ""

    # --- judging --------------------------------------------------------------------------
    def _restart(self) -> None:
        self._timer.start()  # an edit restarts the debounce

    def _soon(self, *_: object) -> None:
        # market updates arrive at 20 Hz: restarting would starve the timer, so only start
        if not self._timer.isActive():
            self._timer.start()

    def _snapshot(self) -> MarketSnapshot | None:
        return self.ctx.bridge.snapshots.get(self.symbol.currentText().strip())

    def _judge(self, side: OrderSide, form: TicketForm) -> Verdict:
        inst = self.instrument()
        snap = self._snapshot()
        last = snap.last if snap and snap.last is not None else None
        if last is None and inst is not None:
            last = self.ctx.engine.portfolio.last_prices.get(inst.symbol)
        ref = reference_price(
            form, side, last, snap.bid if snap else None, snap.ask if snap else None
        )
        req: OrderRequest | None = None
        try:
            req = build_request(form, side, inst, ref)
            return Verdict(req, self.ctx.engine.preview_order(req), None)
        except ValidationError as exc:
            return Verdict(req, None, exc)

    def evaluate(self) -> dict[OrderSide, Verdict]:
        """Judge both sides now and show the verdicts (the debounce timer calls this)."""
        self._timer.stop()
        form = self.form()
        self.verdicts = {side: self._judge(side, form) for side in OrderSide}
        self._show_verdicts(form)
        return self.verdicts

    def _show_verdicts(self, form: TicketForm) -> None:
        blank = not form.size.strip()  # nothing typed yet: no scolding, nothing to send
        messages: dict[str, dict[str, list[OrderSide]]] = {slot: {} for slot in SLOTS}
        for side, verdict in self.verdicts.items():
            err = verdict.error
            if err is None or (blank and err.field == "quantity"):
                continue
            messages[slot_of(err.field)].setdefault(err.rule, []).append(side)
        for slot, rules in messages.items():
            lines = [
                rule if len(sides) == len(OrderSide) else f"{sides[0].value.upper()}: {rule}"
                for rule, sides in rules.items()
            ]
            self.errors[slot].setText("\n".join(lines))
            self.errors[slot].setVisible(bool(lines))
        buy, sell = self.verdicts[OrderSide.BUY], self.verdicts[OrderSide.SELL]
        self.buy_button.setEnabled(buy.sendable and not blank)
        self.sell_button.setEnabled(sell.sendable and not blank)
        self._show_estimate(form)

    def _show_estimate(self, form: TicketForm) -> None:
        """Cost and fee of what the form asks for, also when the gate refuses it (seeing
        the cost is how a trader understands a notional limit)."""
        self.converted.setText("")
        self.converted.setVisible(False)
        self.estimate.setText("")
        inst = self.instrument()
        req = next((v.request for v in self.verdicts.values() if v.request is not None), None)
        if inst is None or req is None:
            return
        try:
            qty = to_decimal(req.quantity, "quantity")
        except ValidationError:
            return
        snap = self._snapshot()
        last = snap.last if snap else self.ctx.engine.portfolio.last_prices.get(inst.symbol)
        price = reference_price(
            form, req.side, last, snap.bid if snap else None, snap.ask if snap else None
        )
        if qty <= 0 or price is None:
            return
        cost, fee = estimate(qty, price, inst)
        if form.by_notional:
            self.converted.setText(f"= {qty} {inst.base}")
        self.converted.setVisible(bool(self.converted.text()))
        self.estimate.setText(
            f"Est. cost ≈ {cost:,.2f} {inst.quote} · fee ≈ {fee:,.2f} {inst.quote} "
            f"(taker {(inst.taker_fee * 100).normalize():f}%)"
        )

    # --- sending --------------------------------------------------------------------------
    def _submit(self, side: OrderSide) -> None:
        verdict = self.evaluate()[side]
        req, err = verdict.request, verdict.error
        name = side.value.upper()
        if req is None or (err is not None and not verdict.needs_confirmation):
            why = f"{err.field}: {err.rule}" if err is not None else "nothing to send"
            self._set_status(f"{name} not sent — {why}", error=True)
            return
        if verdict.needs_confirmation and err is not None:
            if not self.confirm("Send the same order again?", err.rule):
                self._set_status(f"{name} not sent — duplicate not confirmed", error=True)
                return
            req = replace(req, confirmed=True)
        elif self.confirm_box.isChecked() and not self.confirm("Send order?", describe(req)):
            self._set_status(f"{name} not sent — not confirmed", error=True)
            return
        self._set_status(f"sending {describe(req)}…")
        self.ctx.spawn(self._send(req), f"ticket-{side.value}")

    async def _send(self, req: OrderRequest) -> None:
        try:
            order = await self.ctx.engine.place_order(req)
        except ValidationError as exc:
            if not shiboken6.isValid(self):
                return
            if isinstance(exc, RiskDenied) and exc.needs_confirmation and not req.confirmed:
                # the same order went out between the preview and this send; ask outside
                # this task, because a modal dialog must not run inside a coroutine step
                rule = exc.rule
                QTimer.singleShot(0, self, lambda: self._ask_duplicate(req, rule))
                return
            self._show_refusal(req, exc)
            return
        if shiboken6.isValid(self):
            self.last_order_id = order.client_id
            self._show_order(order)
            self._soon()

    def _ask_duplicate(self, req: OrderRequest, rule: str) -> None:
        if self.confirm("Send the same order again?", rule):
            self.ctx.spawn(self._send(replace(req, confirmed=True)), "ticket-confirmed")
        else:
            self._set_status(f"{req.side.value.upper()} not sent — duplicate not confirmed")

    def _show_refusal(self, req: OrderRequest, exc: ValidationError) -> None:
        slot = self.errors[slot_of(exc.field)]
        slot.setText(exc.rule)
        slot.setVisible(True)
        self._set_status(f"{req.side.value.upper()} refused — {exc.field}: {exc.rule}", error=True)

    def _on_orders(self, orders: list[Order]) -> None:
        for order in orders:
            if order.client_id == self.last_order_id:
                self._show_order(order)

    def _show_order(self, order: Order) -> None:
        text = (
            f"{order.side.value.upper()} {order.quantity} {order.symbol}: order "
            f"{order.client_id} {order.status.value}"
        )
        if order.filled_qty > 0 and order.avg_fill_price is not None:
            text += f", filled {order.filled_qty} @ {order.avg_fill_price}"
        if order.reason:
            text += f" ({order.reason})"
        self._set_status(text, error=order.status is OrderStatus.REJECTED)

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setProperty("role", "error" if error else "")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)

    def _ask(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    # --- reacting to the form and the market ----------------------------------------------
    def _on_symbol_changed(self, _: str) -> None:
        inst = self.instrument()
        if inst is not None and inst.symbol != self._priced_symbol:
            # another symbol's prices would only trip its price band: start from this market
            self.price.clear()
            self.trigger_price.clear()
            self._prefill_prices()
        self._on_size_mode()
        self._show_quote()
        self._restart()

    def _on_type_changed(self, *_: object) -> None:
        otype = self._type()
        self.price.setEnabled(otype.has_price)
        self.trigger_price.setEnabled(otype.has_trigger)
        self._prefill_prices()
        self._restart()

    def _prefill_prices(self) -> None:
        otype = self._type()
        snap = self._snapshot()
        inst = self.instrument()
        if snap is not None and snap.last is not None and inst is not None:
            # start from the market so the trader adjusts a price rather than types one
            for edit, wanted in ((self.price, otype.has_price),
                                 (self.trigger_price, otype.has_trigger)):  # fmt: skip
                if wanted and not edit.text().strip():
                    edit.setText(str(inst.make_price(snap.last)))
                    self._priced_symbol = inst.symbol

    def _on_size_mode(self, *_: object) -> None:
        inst = self.instrument()
        if self.by_notional.isChecked():
            unit = inst.quote if inst else ""
            self.quantity_label.setText(f"Notional ({unit})" if unit else "Notional")
            self.quantity.setPlaceholderText(f"amount in {unit}".strip())
        else:
            unit = inst.base if inst else ""
            self.quantity_label.setText(f"Quantity ({unit})" if unit else "Quantity")
            self.quantity.setPlaceholderText("quantity")
        self._restart()

    def _on_quotes(self, batch: dict[str, MarketSnapshot]) -> None:
        if self.symbol.currentText().strip() in batch:
            self._show_quote()
            self._soon()

    def _show_quote(self) -> None:
        snap = self._snapshot()
        if snap is None:
            self.quote.setText("no price yet")
            return
        self.quote.setText(f"last {_num(snap.last)}   bid {_num(snap.bid)}   ask {_num(snap.ask)}")


def _num(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}"


def _pair(edit: QLineEdit, unit: QComboBox) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(unit)
    return row
