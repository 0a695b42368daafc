"""A real venue's market data through our ccxt adapter, and what it costs the event loop.

The loopback Binance emulator runs in its own process (a real venue is another machine) and
moves every symbol's price every ``--every`` seconds; each move publishes a trade, a book
ticker, a kline, a mini-ticker and a depth update, the streams the adapter watches. The app
side opens a real "paper on live data" session (the real ccxt.pro client, our adapter,
engine, paper exchange and journal) and counts the prices that reach the engine while a
probe measures event-loop lag. Run:

    python3 -m uv run python bench/bench_venue_stream.py [--seconds 10] [--every 0.002]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import LagProbe, machine  # noqa: E402

SYMBOLS = ("BTC/USDT", "ETH/USDT")


def start_venue(every_s: float) -> tuple[subprocess.Popen[str], dict[str, object]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.emulators.binance", "--port", "0",
         "--symbols", ",".join(SYMBOLS), "--walk-seconds", str(every_s)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("ccxt config:"):
            return proc, json.loads(line.split(":", 1)[1])
    raise RuntimeError("the emulator did not start")


async def run(seconds: float, every_s: float) -> None:
    from app.accounts.model import Account, AccountMode
    from app.engine.bus import Priority
    from app.engine.domain.market import QuoteTick, TradeTick
    from app.settings import Settings
    from app.venue_session import VenueSession

    proc, config = start_venue(every_s)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(Path(tmp)).updated(
                {"venue_urls": {"binance": config["urls"]}, "live_data_probe": False}
            )
            account = Account("bench", "binance", "Bench", AccountMode.PAPER_LIVE, SYMBOLS, 0)
            session = await VenueSession.open(settings, account, {})
            counts = {"trades": 0, "quotes": 0}

            def count(kind: str) -> object:
                def on(_event: object) -> None:
                    counts[kind] += 1

                return on

            bus = session.engine.bus
            bus.subscribe(TradeTick, count("trades"), priority=Priority.UI)
            bus.subscribe(QuoteTick, count("quotes"), priority=Priority.UI)
            await asyncio.sleep(2.0)  # streams subscribed and flowing
            probe = LagProbe()
            before = dict(counts)
            cpu0, t0 = time.process_time(), time.perf_counter()
            probe.start()
            await asyncio.sleep(seconds)
            await probe.stop()
            wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            trades = counts["trades"] - before["trades"]
            quotes = counts["quotes"] - before["quotes"]
            await session.close()
        moves = len(SYMBOLS) * seconds / every_s
        print(f"machine: {machine()}")
        print(
            f"venue asked to move {len(SYMBOLS)} symbols every {every_s * 1000:.1f} ms "
            f"(at most {moves / seconds:,.0f} price moves/s, 5 stream messages each; the "
            "emulator's own loop caps what it really sends)"
        )
        print(
            f"reached the engine: {trades / wall:,.0f} trades/s and {quotes / wall:,.0f} "
            f"quotes/s over {wall:.1f} s; app CPU {cpu / wall:.0%} of one core"
        )
        print(probe.report())
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--every", type=float, default=0.002, help="seconds between price moves")
    args = ap.parse_args()
    asyncio.run(run(args.seconds, args.every))


if __name__ == "__main__":
    main()
