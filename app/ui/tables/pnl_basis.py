"""The cost basis each book has closed so far, so realized P&L can be shown as a percent.

A Position keeps the cost of what is still open, not of what was closed. Replaying the fills
of each (source, symbol) book with the same average-cost rule as ``Position.apply_fill``
gives the cost removed by every reducing fill; realized % = realized / closed cost basis.
Fills are de-duplicated by (venue, trade id) so a replay at start plus the live stream never
counts one twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from app.engine.domain.fills import Fill
from app.engine.domain.positions import COST_QUANTUM, Position
from app.engine.domain.values import ZERO

BookKey = tuple[str, str]  # (source, symbol), as in Portfolio.books


class ClosedBasis:
    def __init__(self) -> None:
        self._shadow: dict[BookKey, Position] = {}
        self._basis: dict[BookKey, Decimal] = {}
        self._seen: set[tuple[str, str]] = set()

    def add(self, fills: Iterable[Fill]) -> None:
        for fill in fills:
            if fill.key in self._seen:
                continue
            self._seen.add(fill.key)
            key = (fill.source, fill.symbol)
            book = self._shadow.get(key)
            if book is None:
                book = self._shadow[key] = Position(fill.symbol, fill.source)
            held = abs(book.quantity)
            reducing = book.quantity != 0 and (book.quantity > 0) != (fill.side.sign > 0)
            if reducing:
                closing = min(fill.quantity, held)
                if closing == held:
                    removed = book.cost
                else:
                    removed = (book.cost * closing / held).quantize(COST_QUANTUM)
                self._basis[key] = self._basis.get(key, ZERO) + abs(removed)
            book.apply_fill(fill.side, fill.quantity, fill.price, ZERO, fill.ts)

    def basis(self, key: BookKey) -> Decimal:
        return self._basis.get(key, ZERO)
