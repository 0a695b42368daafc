"""One generic table model for every grid in the terminal, driven by a tuple of column specs.

Rows are keyed by an id. ``apply(rows)`` upserts a batch: new keys are inserted with one
beginInsertRows/endInsertRows, changed rows are announced with one ``dataChanged`` per
contiguous span, and nothing is ever rebuilt with a model reset on updates, so selection,
scroll position and sorting survive a 20 Hz stream of changes.

The model keeps each row's getter values as a tuple taken at ``apply`` time. Engine objects
(orders, positions, market snapshots) are mutable and are handed over again and again as the
same instance, so comparing the object with itself would never see a change; comparing the
values does, and painting reads a consistent snapshot rather than a half-updated object.

A column with ``flash=True`` tints its cell green/red for ``flash_ms`` when its value goes
up/down; ``tone`` colours the text (e.g. P&L sign). Rows for which ``pinned`` is true (a
totals row) are kept after the others, by insertion here and by the sort proxy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QColor

R = TypeVar("R")
Index = QModelIndex | QPersistentModelIndex

#: the raw getter value (Decimal, int, str...), used by the sort proxy instead of the text
SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1

LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
CENTER = Qt.AlignmentFlag.AlignCenter


class Tone(Enum):
    UP = "up"
    DOWN = "down"


def sign_tone(value: Any, _row: Any = None) -> Tone | None:
    """Green for a gain, red for a loss, plain for zero or no value."""
    if not isinstance(value, Decimal | int) or value == 0:
        return None
    return Tone.UP if value > 0 else Tone.DOWN


def plain(value: Any, _row: Any = None) -> str:
    return "" if value is None else str(value)


# not slotted: ``Column[Row](...)`` sets ``__orig_class__``, which a slotted frozen class refuses
@dataclass(frozen=True)
class Column(Generic[R]):
    key: str
    header: str
    getter: Callable[[R], Any]
    formatter: Callable[[Any, R], str] = plain
    align: Qt.AlignmentFlag = LEFT
    tone: Callable[[Any, R], Tone | None] | None = None
    flash: bool = False


# theme "up"/"down" colours (app.ui.theme); the flash is the same hue, translucent
_UP = QColor("#26a269")
_DOWN = QColor("#e5484d")


class RowTableModel(QAbstractTableModel, Generic[R]):
    def __init__(
        self,
        columns: Sequence[Column[R]],
        key: Callable[[R], Hashable],
        parent: QObject | None = None,
        *,
        pinned: Callable[[R], bool] | None = None,
        flash_ms: int = 400,
    ) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self._key = key
        self._pinned = pinned
        self._flash_s = flash_ms / 1000
        self._rows: list[R] = []
        self._keys: list[Hashable] = []
        self._values: list[tuple[Any, ...]] = []
        self._index: dict[Hashable, int] = {}
        self._flash_cols = [i for i, c in enumerate(self.columns) if c.flash]
        self._flashes: dict[tuple[Hashable, int], tuple[Tone, float]] = {}
        self._flash_timer = QTimer(self)
        self._flash_timer.setInterval(50)
        self._flash_timer.timeout.connect(self._expire_flashes)
        self.set_colors(_UP, _DOWN)

    def set_colors(self, up: QColor, down: QColor) -> None:
        self._tone_colors = {Tone.UP: QColor(up), Tone.DOWN: QColor(down)}
        self._flash_colors = {}
        for tone, color in self._tone_colors.items():
            tint = QColor(color)
            tint.setAlpha(90)
            self._flash_colors[tone] = tint

    # --- reading ---------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        if r >= len(self._rows) or c >= len(self.columns):
            return None
        col = self.columns[c]
        value = self._values[r][c]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.formatter(value, self._rows[r])
        if role == SORT_ROLE:
            return value
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return col.align
        if role == Qt.ItemDataRole.ForegroundRole and col.tone is not None:
            tone = col.tone(value, self._rows[r])
            return None if tone is None else self._tone_colors[tone]
        if role == Qt.ItemDataRole.BackgroundRole and col.flash:
            flash = self._flashes.get((self._keys[r], c))
            return None if flash is None else self._flash_colors[flash[0]]
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            if role == Qt.ItemDataRole.DisplayRole:
                return self.columns[section].header
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return self.columns[section].align
        return None

    def row_at(self, i: int) -> R:
        return self._rows[i]

    def rows(self) -> list[R]:
        return list(self._rows)

    def keys(self) -> list[Hashable]:
        return list(self._keys)

    def row_of(self, key: Hashable) -> int | None:
        return self._index.get(key)

    def get(self, key: Hashable) -> R | None:
        i = self._index.get(key)
        return None if i is None else self._rows[i]

    def column_of(self, column_key: str) -> int:
        for i, col in enumerate(self.columns):
            if col.key == column_key:
                return i
        raise KeyError(column_key)

    def value(self, key: Hashable, column_key: str) -> Any:
        """The raw value a cell holds (for tests and for actions on a selected row)."""
        return self._values[self._index[key]][self.column_of(column_key)]

    def text(self, key: Hashable, column_key: str) -> str:
        """The text a cell shows."""
        i = self._index[key]
        c = self.column_of(column_key)
        return self.columns[c].formatter(self._values[i][c], self._rows[i])

    def sort_value(self, row: int, column: int) -> Any:
        return self._values[row][column]

    def is_pinned(self, row: int) -> bool:
        return self._pinned is not None and self._pinned(self._rows[row])

    def flash_of(self, key: Hashable, column_key: str) -> Tone | None:
        flash = self._flashes.get((key, self.column_of(column_key)))
        return None if flash is None else flash[0]

    # --- writing ---------------------------------------------------------------------------
    def _snapshot(self, row: R) -> tuple[Any, ...]:
        return tuple(col.getter(row) for col in self.columns)

    def apply(self, rows: Iterable[R]) -> None:
        """Upsert a batch: insert new keys, announce changed rows; never a reset."""
        fresh: dict[Hashable, tuple[R, tuple[Any, ...]]] = {}
        changed: set[int] = set()
        now = time.monotonic()
        for row in rows:
            key = self._key(row)
            values = self._snapshot(row)
            i = self._index.get(key)
            if i is None:
                fresh[key] = (row, values)
                continue
            self._rows[i] = row
            old = self._values[i]
            if old != values:
                self._values[i] = values
                changed.add(i)
                self._note_flashes(key, old, values, now)
        for span in _spans(sorted(changed)):
            self.dataChanged.emit(
                self.index(span[0], 0), self.index(span[1], len(self.columns) - 1)
            )
        if fresh:
            items = list(fresh.items())
            tail = [kv for kv in items if self._pinned is not None and self._pinned(kv[1][0])]
            body = [kv for kv in items if not (self._pinned is not None and self._pinned(kv[1][0]))]
            if body:
                self._insert(self._body_end(), body)
            if tail:
                self._insert(len(self._rows), tail)

    def _body_end(self) -> int:
        end = len(self._rows)
        while end > 0 and self.is_pinned(end - 1):
            end -= 1
        return end

    def _insert(self, at: int, items: list[tuple[Hashable, tuple[R, tuple[Any, ...]]]]) -> None:
        self.beginInsertRows(QModelIndex(), at, at + len(items) - 1)
        self._keys[at:at] = [k for k, _ in items]
        self._rows[at:at] = [r for _, (r, _) in items]
        self._values[at:at] = [v for _, (_, v) in items]
        self._reindex(at)
        self.endInsertRows()

    def _reindex(self, start: int = 0) -> None:
        for i in range(start, len(self._keys)):
            self._index[self._keys[i]] = i

    def remove(self, keys: Iterable[Hashable]) -> int:
        """Remove rows by key (unknown keys are ignored); one removal per contiguous span."""
        doomed = sorted({self._index[k] for k in keys if k in self._index})
        for first, last in reversed(_spans(doomed)):
            self.beginRemoveRows(QModelIndex(), first, last)
            for k in self._keys[first : last + 1]:
                del self._index[k]
                for c in self._flash_cols:
                    self._flashes.pop((k, c), None)
            del self._keys[first : last + 1]
            del self._rows[first : last + 1]
            del self._values[first : last + 1]
            self.endRemoveRows()
        if doomed:
            self._reindex(doomed[0])
        return len(doomed)

    def move(self, key: Hashable, delta: int) -> bool:
        """Move a row up (delta < 0) or down; False at either end."""
        i = self._index.get(key)
        if i is None:
            return False
        j = i + delta
        if j < 0 or j >= self._body_end() or delta == 0:
            return False
        # Qt's destination is the row the moved one goes *before*, counted before the move
        if not self.beginMoveRows(QModelIndex(), i, i, QModelIndex(), j + 1 if delta > 0 else j):
            return False
        self._keys.insert(j, self._keys.pop(i))
        self._rows.insert(j, self._rows.pop(i))
        self._values.insert(j, self._values.pop(i))
        self._reindex(min(i, j))
        self.endMoveRows()
        return True

    def replace(self, rows: Iterable[R]) -> None:
        """Swap in a different row set (another watchlist): the one place a reset is right,
        because nothing of the old rows survives."""
        self.beginResetModel()
        self._rows, self._keys, self._values, self._index = [], [], [], {}
        self._flashes.clear()
        for row in rows:
            key = self._key(row)
            if key in self._index:
                continue
            self._index[key] = len(self._rows)
            self._keys.append(key)
            self._rows.append(row)
            self._values.append(self._snapshot(row))
        self.endResetModel()

    # --- flashes ---------------------------------------------------------------------------
    def _note_flashes(
        self, key: Hashable, old: tuple[Any, ...], new: tuple[Any, ...], now: float
    ) -> None:
        for c in self._flash_cols:
            before, after = old[c], new[c]
            if not isinstance(before, Decimal | int) or not isinstance(after, Decimal | int):
                continue
            if after == before:
                continue
            tone = Tone.UP if after > before else Tone.DOWN
            self._flashes[(key, c)] = (tone, now + self._flash_s)
        if self._flashes and not self._flash_timer.isActive():
            self._flash_timer.start()

    def _expire_flashes(self) -> None:
        now = time.monotonic()
        done = [kc for kc, (_, until) in self._flashes.items() if until <= now]
        for key, c in done:
            del self._flashes[(key, c)]
            i = self._index.get(key)
            if i is not None:
                cell = self.index(i, c)
                self.dataChanged.emit(cell, cell, [Qt.ItemDataRole.BackgroundRole])
        if not self._flashes:
            self._flash_timer.stop()


def _spans(indices: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted indices -> inclusive (first, last) runs: [1,2,3,7] -> [(1,3),(7,7)]."""
    spans: list[tuple[int, int]] = []
    for i in indices:
        if spans and spans[-1][1] == i - 1:
            spans[-1] = (spans[-1][0], i)
        else:
            spans.append((i, i))
    return spans
