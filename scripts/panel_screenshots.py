"""Screenshots of the automated half for the README: the Bots tab with a running bot, the
Scanner tab after a scan, and the backtest window after a run. Run under Xvfb:

    xvfb-run -a -s "-screen 0 1920x1080x24" python3 -m uv run python scripts/panel_screenshots.py

It opens a throw-away data folder on the demo market (fast replay), so nothing of yours is
touched, and writes resources/screenshots/automation.png (Bots and Scanner tabs raised) and
resources/screenshots/backtest.png.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "resources" / "screenshots"
sys.path.insert(0, str(ROOT))  # run as a plain script from any folder


async def shoot(data_dir: Path) -> None:
    from PySide6.QtWidgets import QDockWidget

    from app.bootstrap import PaperSession, build_window
    from app.settings import Settings

    settings = Settings(data_dir, demo_speed=120.0, ticks_per_second=8.0)
    session = await PaperSession.open(settings)
    engine = session.engine
    window, bridge = build_window(session)
    panels = window.panels
    window.resize(1900, 1000)
    window.show()
    engine.tasks.spawn(session.market.run(), "demo-feed", service=True)
    try:
        for bot_id, strategy, symbol in (
            ("ema", "ema_cross", "BTC/USD"),
            ("rsi", "rsi_threshold", "ETH/USD"),
            ("auto", "auto", "LTC/USD"),
        ):
            session.bots.create(
                {
                    "id": bot_id,
                    "name": f"{strategy} on {symbol}",
                    "strategy": strategy,
                    "symbols": [symbol],
                    "timeframe": "1m",
                    "sizing": {"mode": "fixed_notional", "value": "2000"},
                    "stop_loss_pct": "2",
                }
            )
            await session.bots.start(bot_id)
        await asyncio.sleep(40)
        docks = {d.objectName(): d for d in window.findChildren(QDockWidget)}
        for name in ("bots", "scanner"):
            docks[name].raise_()
        docks["bots"].resize(docks["bots"].width(), 420)
        panels.bots.select("rsi")  # its log and equity mini-chart
        await asyncio.sleep(6)
        window.grab().save(str(OUT / "automation.png"))
        dialog = window.open_backtest()
        dialog.resize(1500, 950)
        task = dialog.run()  # type: ignore[attr-defined]
        for _ in range(600):
            if task is not None and task.done():
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1)
        dialog.grab().save(str(OUT / "backtest.png"))
        dialog.close()
    finally:
        bridge.close()
        window.close()
        await session.close()


def main() -> int:
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory() as tmp, loop:
        loop.run_until_complete(shoot(Path(tmp)))
    print("saved", ", ".join(str(OUT / f"{n}.png") for n in ("automation", "backtest")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
