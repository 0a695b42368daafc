from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.ui.tables.formatting import fmt_decimal
from app.ui.tables.table_model import RIGHT, Column, RowTableModel, Tone, sign_tone
from app.ui.tables.table_view import RowSortProxy


@dataclass
class Row:
    id: str
    price: Decimal | None
    total: bool = False


COLUMNS = (
    Column[Row]("id", "Id", lambda r: r.id),
    Column[Row](
        "price",
        "Price",
        lambda r: r.price,
        lambda v, r: fmt_decimal(v, 2),
        RIGHT,
        tone=sign_tone,
        flash=True,
    ),
)


def make_model() -> RowTableModel[Row]:
    return RowTableModel(COLUMNS, lambda r: r.id, pinned=lambda r: r.total, flash_ms=100)


def test_new_keys_insert_and_updates_emit_data_changed_not_reset(qtbot: QtBot) -> None:
    model = make_model()
    events: list[tuple[str, int, int]] = []
    model.rowsInserted.connect(lambda _p, a, b: events.append(("insert", a, b)))
    model.dataChanged.connect(lambda a, b, *_: events.append(("changed", a.row(), b.row())))
    model.modelReset.connect(lambda: events.append(("reset", 0, 0)))
    model.apply([Row("a", Decimal("1")), Row("b", Decimal("2")), Row("c", Decimal("3"))])
    assert events == [("insert", 0, 2)]
    events.clear()
    # b and c change (one contiguous span), a is resent unchanged, d is new
    model.apply(
        [Row("a", Decimal("1")), Row("b", Decimal("5")), Row("c", Decimal("1")), Row("d", None)]
    )
    assert ("changed", 1, 2) in events and ("insert", 3, 3) in events
    assert not any(kind == "reset" for kind, _, _ in events)
    assert model.text("b", "price") == "5.00"
    assert model.flash_of("b", "price") is Tone.UP
    assert model.flash_of("c", "price") is Tone.DOWN
    assert model.flash_of("a", "price") is None
    idx = model.index(model.row_of("c") or 0, 1)
    assert model.data(idx, Qt.ItemDataRole.BackgroundRole) is not None
    qtbot.waitUntil(lambda: model.flash_of("b", "price") is None, timeout=2000)
    assert model.data(idx, Qt.ItemDataRole.BackgroundRole) is None
    assert model.data(idx, Qt.ItemDataRole.ForegroundRole) is not None  # positive: green


def test_thousands_separators_and_remove() -> None:
    model = make_model()
    model.apply([Row("a", Decimal("1234567.5")), Row("b", Decimal("2")), Row("c", Decimal("3"))])
    assert model.text("a", "price") == "1,234,567.50"
    removed: list[tuple[int, int]] = []
    model.rowsRemoved.connect(lambda _p, a, b: removed.append((a, b)))
    assert model.remove(["a", "c", "zz"]) == 2
    assert model.keys() == ["b"] and model.row_of("b") == 0
    assert sorted(removed) == [(0, 0), (2, 2)]


def test_sorting_by_value_keeps_the_pinned_row_last() -> None:
    model = make_model()
    proxy = RowSortProxy(model)
    model.apply(
        [
            Row("total", Decimal("0"), total=True),
            Row("x", Decimal("1000")),
            Row("y", Decimal("999")),
            Row("z", None),
        ]
    )
    assert model.keys()[-1] == "total"  # new rows go above the pinned one
    proxy.sort(1, Qt.SortOrder.AscendingOrder)
    assert [r.id for r in proxy.visible_rows()] == ["z", "y", "x", "total"]
    proxy.sort(1, Qt.SortOrder.DescendingOrder)
    assert [r.id for r in proxy.visible_rows()] == ["x", "y", "z", "total"]
    model.apply([Row("y", Decimal("5000"))])  # dynamic re-sort on update
    assert [r.id for r in proxy.visible_rows()] == ["y", "x", "z", "total"]
    proxy.set_row_filter(lambda r: r.id != "x")
    assert [r.id for r in proxy.visible_rows()] == ["y", "z", "total"]


def test_move_rows() -> None:
    model = make_model()
    model.apply([Row("a", None), Row("b", None), Row("c", None)])
    moved: list[int] = []
    model.rowsMoved.connect(lambda *args: moved.append(1))
    assert model.move("a", 1) and model.keys() == ["b", "a", "c"]
    assert model.move("c", -1) and model.keys() == ["b", "c", "a"]
    assert not model.move("b", -1) and not model.move("a", 1)
    assert len(moved) == 2 and model.row_of("a") == 2


def test_flash_expires_by_time() -> None:
    model = make_model()
    model.apply([Row("a", Decimal("1"))])
    model.apply([Row("a", Decimal("0.5"))])
    assert model.flash_of("a", "price") is Tone.DOWN
    time.sleep(0.12)
    model._expire_flashes()
    assert model.flash_of("a", "price") is None
