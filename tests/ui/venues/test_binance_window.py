"""The real window on a Binance testnet account (loopback emulator, real ccxt client): prices
stream into the watchlist and the chart loads the venue's history; a one-click BUY fills at
the venue; the status bar follows the streams through a dropped connection, and a symbol
whose feed goes silent is marked STALE and refuses market orders."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.bootstrap import build_window, open_session
from app.engine.domain.errors import ValidationError
from app.engine.domain.orders import OrderRequest, OrderSide, OrderType
from app.venue_session import VenueSession
from tests.emulators.binance import BinanceEmulator
from tests.support.keychain import MemoryKeychain
from tests.ui.tables.helpers import eventually
from tests.venues.fixtures import SYMBOLS, add_emulator_account, emulator_settings

SYMBOL = "BTC/USDT"


async def test_window_trades_on_a_binance_testnet_account(
    data_dir: Path, emu: BinanceEmulator, keychain: MemoryKeychain, qtbot: QtBot
) -> None:
    settings = emulator_settings(data_dir, emu)
    accounts, _ = add_emulator_account(settings)
    session = await open_session(settings, accounts)
    assert isinstance(session, VenueSession)
    switched: list[str] = []
    window, bridge = build_window(session, accounts=accounts, switch_account=switched.append)
    qtbot.addWidget(window)
    try:
        window.show()
        engine = session.engine
        panels = window.panels
        assert window.windowTitle() == "Tradedesk — Emu testnet · Testnet"
        assert panels.watchlist.current_symbols() == list(SYMBOLS)

        # prices stream in; the chart shows the venue's candles
        await emu.wait_for_stream("btcusdt@trade")
        emu.set_price(SYMBOL, "30250.5")
        wl = panels.watchlist.model
        await eventually(lambda: wl.text(SYMBOL, "last") == "30,250.50", within=10)
        panels.chart.set_symbol(SYMBOL)
        await eventually(lambda: len(panels.chart.series) > 0, within=10)
        await eventually(lambda: window.status.venue.text() == "binance: connected")

        # one click BUY: filled at the venue, position shown
        panels.ticket.set_symbol(SYMBOL)
        panels.ticket.quantity.clear()
        qtbot.keyClicks(panels.ticket.quantity, "0.01")  # typed, as a trader would
        await eventually(lambda: panels.ticket.buy_button.isEnabled())
        qtbot.mouseClick(panels.ticket.buy_button, Qt.MouseButton.LeftButton)
        await eventually(lambda: engine.portfolio.position_qty(SYMBOL) == Decimal("0.01"))
        await eventually(lambda: panels.positions.model.row_of(("manual", SYMBOL)) is not None)
        assert len(emu.trades) == 1

        # protection on the position rests at Binance as one OCO list; the Orders panel and
        # the chart say so (these keep working with the app closed)
        placed = await engine.protect_position(SYMBOL, stop_loss="29000", take_profit="31500")
        orders = panels.orders.working_model
        for order in placed:
            await eventually(
                lambda o=order: (
                    orders.row_of(o.client_id) is not None
                    and orders.value(o.client_id, "held") == "OCO list"
                )
            )
            line = panels.chart.line_for(order.client_id)
            assert line is not None and "OCO at the venue" in line.label.format
        assert {emu.orders[o.client_id].order_list_id for o in placed} != {-1}

        # the connection drops (1006): the status bar says so, then the streams come back
        emu.faults.close_ws(1006)
        await eventually(lambda: "DOWN" in window.status.venue.text(), within=10)
        await eventually(lambda: window.status.venue.text() == "binance: connected", within=20)

        # a silent feed: the symbol is marked STALE and market orders are refused
        emu.faults.silent_feed([SYMBOL])
        await eventually(lambda: wl.text(SYMBOL, "symbol") == f"{SYMBOL}  STALE", within=20)
        refused = None
        try:
            await engine.place_order(
                OrderRequest(SYMBOL, OrderSide.BUY, OrderType.MARKET, Decimal("0.01"))
            )
        except ValidationError as exc:
            refused = exc
        assert refused is not None and "stale" in str(refused)
        emu.faults.clear()
        emu.set_price(SYMBOL, "30300")
        await eventually(lambda: wl.text(SYMBOL, "symbol") == SYMBOL, within=10)
    finally:
        bridge.close()  # the window itself is closed by the fixture, after the loop is done
        await session.close()
        accounts.store.close()
