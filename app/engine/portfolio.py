"""Balances, positions and P&L of one account.

Accounting model (the same for spot and margin accounts):
- ``balances`` hold every asset, fees included: a buy of 1 BTC at 100 USD adds 1 BTC and
  removes 100 USD (plus the fee in whatever currency the venue charged it).
- A position is the net signed quantity of a symbol's base asset bought and sold through
  fills, with its average entry price (average cost). Shorts are negative (margin accounts).
- Equity = sum of balances valued in the account currency at the last prices. So
  ``cash + marked positions = equity`` holds by construction, and realized P&L over closed
  round trips equals the cash change minus fees.
- Each source (manual, each bot) has its own book of positions, so P&L is attributed to the
  source whose orders made it; the account-level position is what the risk gate sees.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from app.engine.domain.fills import Fill
from app.engine.domain.instruments import Instrument
from app.engine.domain.orders import OrderSide
from app.engine.domain.positions import Position
from app.engine.domain.values import ZERO

# Enum members as module constants: on Python 3.11 ``OrderSide.BUY`` goes through
# ``EnumType.__getattr__``'s slow lookup hook every time, and these run for every fill.
_BUY = OrderSide.BUY


@dataclass(frozen=True, slots=True)
class SourcePnl:
    source: str
    realized: Decimal
    unrealized: Decimal
    fees: Decimal
    trades: int

    @property
    def net(self) -> Decimal:
        return self.realized + self.unrealized - self.fees


class Portfolio:
    def __init__(self, instruments: Mapping[str, Instrument], currency: str = "USD") -> None:
        self.currency = currency
        self.instruments = dict(instruments)
        self.balances: dict[str, Decimal] = {}
        self.positions: dict[str, Position] = {}
        self.books: dict[tuple[str, str], Position] = {}
        self._books_by_symbol: dict[str, list[Position]] = {}
        self.last_prices: dict[str, Decimal] = {}
        self.trade_counts: dict[str, int] = {}
        self.deposits = ZERO
        # asset -> symbol that prices it in the account currency (e.g. BTC -> BTC/USD)
        self._pricing = {i.base: s for s, i in self.instruments.items() if i.quote == currency}

    # --- cash movements -------------------------------------------------------------------
    def deposit(self, asset: str, amount: Decimal) -> None:
        self.balances[asset] = self.balances.get(asset, ZERO) + amount
        if asset == self.currency:
            self.deposits += amount

    # --- fills ----------------------------------------------------------------------------
    def fee_in_quote(self, fill: Fill, instrument: Instrument) -> Decimal:
        if fill.fee_currency == instrument.quote:
            return fill.fee
        if fill.fee_currency == instrument.base:
            return fill.fee * fill.price
        price = self.asset_price(fill.fee_currency)
        return fill.fee * price if price is not None else ZERO

    def apply_fill(self, fill: Fill, source: str | None = None) -> Decimal:
        """Apply a fill to balances, the account position and the book of ``source``
        (default: the fill's own source).

        Returns the price P&L the fill realized on the account position (fees excluded).
        """
        source = fill.source if source is None else source
        symbol, side, qty, price, ts = fill.symbol, fill.side, fill.quantity, fill.price, fill.ts
        inst = self.instruments[symbol]
        signed = qty if side is _BUY else -qty
        bal = self.balances
        bal[inst.base] = bal.get(inst.base, ZERO) + signed
        bal[inst.quote] = bal.get(inst.quote, ZERO) - signed * price
        fee = fill.fee
        if fee:
            bal[fill.fee_currency] = bal.get(fill.fee_currency, ZERO) - fee
        fee_q = fee if fill.fee_currency == inst.quote else self.fee_in_quote(fill, inst)
        pos = self.positions.get(symbol)
        if pos is None:
            pos = self.positions[symbol] = Position(symbol)
        realized = pos.apply_fill(side, qty, price, fee_q, ts)
        key = (source, symbol)
        book = self.books.get(key)
        if book is None:
            book = self.books[key] = Position(symbol, source)
            self._books_by_symbol.setdefault(symbol, []).append(book)
        book.apply_fill(side, qty, price, fee_q, ts)
        self.trade_counts[source] = self.trade_counts.get(source, 0) + 1
        last = self.last_prices.get(symbol, price)
        pos.last_price = last
        book.last_price = last
        return realized

    # --- marking --------------------------------------------------------------------------
    def mark(self, symbol: str, price: Decimal) -> None:
        self.last_prices[symbol] = price
        pos = self.positions.get(symbol)
        if pos is not None:
            pos.last_price = price
            for book in self._books_by_symbol.get(symbol, ()):
                book.last_price = price

    def asset_price(self, asset: str) -> Decimal | None:
        if asset == self.currency:
            return Decimal(1)
        symbol = self._pricing.get(asset)
        return None if symbol is None else self.last_prices.get(symbol)

    def awaiting_prices(self) -> bool:
        """Some asset held has a market but no price yet (a session's first seconds): its
        value, and so equity, is not known."""
        pricing, last = self._pricing, self.last_prices
        return any(
            amount != 0 and asset in pricing and pricing[asset] not in last
            for asset, amount in self.balances.items()
            if asset != self.currency
        )

    # --- figures --------------------------------------------------------------------------
    @property
    def cash(self) -> Decimal:
        return self.balances.get(self.currency, ZERO)

    def equity(self) -> Decimal:
        total = ZERO
        for asset, amount in self.balances.items():
            if amount == 0:
                continue
            price = self.asset_price(asset)
            if price is None:
                # never marked yet: value at the average entry so equity does not jump
                symbol = self._pricing.get(asset)
                pos = self.positions.get(symbol) if symbol else None
                price = pos.avg_price if pos is not None else ZERO
            total += amount * price
        return total

    def open_positions(self) -> list[Position]:
        return [p for p in self.positions.values() if p.quantity != 0]

    def position_qty(self, symbol: str) -> Decimal:
        pos = self.positions.get(symbol)
        return pos.quantity if pos is not None else ZERO

    def realized_pnl(self) -> Decimal:
        return sum((p.realized_pnl for p in self.positions.values()), ZERO)

    def unrealized_pnl(self) -> Decimal:
        return sum((p.unrealized_pnl for p in self.positions.values()), ZERO)

    def fees(self) -> Decimal:
        return sum((p.fees for p in self.positions.values()), ZERO)

    def pnl_by_source(self) -> dict[str, SourcePnl]:
        out: dict[str, list[Decimal]] = {}
        for (source, _), book in self.books.items():
            acc = out.setdefault(source, [ZERO, ZERO, ZERO])
            acc[0] += book.realized_pnl
            acc[1] += book.unrealized_pnl
            acc[2] += book.fees
        return {
            s: SourcePnl(s, r, u, f, self.trade_counts.get(s, 0)) for s, (r, u, f) in out.items()
        }

    def source_positions(self, source: str) -> Iterable[Position]:
        return (b for (s, _), b in self.books.items() if s == source and b.quantity != 0)
