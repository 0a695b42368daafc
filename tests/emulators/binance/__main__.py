"""Run by hand: `python -m tests.emulators.binance --port 8765 --api-key K --secret S`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
from decimal import Decimal

from .emulator import BinanceEmulator


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"{flag} {item!r}: must be NAME=VALUE")
        out[key] = value
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m tests.emulators.binance")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--api-key", default="emu-api-key")
    ap.add_argument("--secret", default="emu-secret")
    ap.add_argument("--symbols", default="BTC/USDT,ETH/USDT", help="comma separated")
    ap.add_argument("--balance", action="append", default=[], help="ASSET=AMOUNT, repeatable")
    ap.add_argument("--price", action="append", default=[], help="SYMBOL=PRICE, repeatable")
    ap.add_argument("--candles-csv", default=None, help="history for the first symbol")
    ap.add_argument(
        "--walk-seconds",
        type=float,
        default=1.0,
        help="random-walk every symbol's price this often (0 = never)",
    )
    ap.add_argument("--seed", type=int, default=1)
    return ap.parse_args(argv)


async def _walk(emu: BinanceEmulator, every_s: float) -> None:
    rng = emu.venue.rng
    while True:
        await asyncio.sleep(every_s)
        for sid, spec in emu.specs.items():
            step = Decimal(rng.randint(-10, 10)) / Decimal(10000)
            emu.set_price(spec.unified, emu.venue.prices[sid] * (1 + step))


async def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    emu = BinanceEmulator(
        symbols=tuple(s.strip() for s in args.symbols.split(",") if s.strip()),
        balances=_pairs(args.balance, "--balance") or {"USDT": "10000"},
        api_key=args.api_key,
        secret=args.secret,
        candles_csv=args.candles_csv,
        seed=args.seed,
        prices=_pairs(args.price, "--price") or None,
        host=args.host,
        port=args.port,
    )
    await emu.start()
    print(f"REST      {emu.rest_url}/api/v3")
    print(f"streams   {emu.ws_url}/ws  (and /stream, /ws/<listenKey>)")
    print(f"ws-api    {emu.ws_url}/ws-api/v3")
    config = emu.ccxt_config()
    config["secret"] = "<your --secret>"  # never echo a secret, even a test one
    print("ccxt config:", json.dumps(config), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    walker = asyncio.create_task(_walk(emu, args.walk_seconds)) if args.walk_seconds > 0 else None
    try:
        await stop.wait()
    finally:
        if walker is not None:
            walker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await walker
        await emu.stop()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(main())
