"""The command line: every command, its arguments and their validation.

Bad values get a message naming the option and the rule, and exit status 2; a database that
cannot be used (corrupted, locked, newer schema, in use by another process) exits with 3.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from app import __version__, redaction
from app.accounts import cli as accounts_cli  # argument declarations only: light
from app.backtest import cli as backtest_cli  # argument declarations only: light
from app.backtest import opt_cli
from app.engine.domain.errors import ValidationError
from app.engine.domain.ids import validate_source
from app.engine.trade_export import COLUMNS
from app.reports import cli as reports_cli

EXIT_INPUT = 2
EXIT_STORE = 3
EXIT_NO_KEYCHAIN = 4
EXIT_VENUE = 5  # the venue refused or could not be reached (key, network, ban)

EPILOG = f"""\
commands:
  (none)        open the Tradedesk window on the active account (first start: paper
                trading on Binance's live data if it answers, else the offline demo market)
  demo          a headless session for a fixed time: paper account on the demo market
  session       a headless session for a fixed time on an account (the active one)
  accounts      trading accounts: list, add (keys as JSON on stdin), remove, use, show
  export trades write fills to CSV; columns: {", ".join(COLUMNS)}
  keychain-info which OS keychain would hold API keys (exit 4 if no secure one)
  backtest      run a strategy over historical bars from a CSV file (exit 130 if cancelled)
  optimize      grid or random search of a strategy's parameters on every core
  walkforward   walk-forward analysis: optimise in-sample, test out-of-sample, stitch
  report performance
                metrics, equity, drawdown and monthly returns of journal fills (HTML/JSON)

every command accepts --data-dir DIR (default: the per-user data folder).
"""


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number (got {text!r})") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number greater than 0 (got {text!r})")
    return value


def _time_arg(text: str) -> datetime:
    """A UTC date (2026-11-22) or ISO-8601 time (2026-11-22T10:00:00Z / with offset)."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a date like 2026-11-22 or an ISO-8601 time (got {text!r})"
        ) from None
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    # timestamps are epoch nanoseconds in 64 bits: 1970 up to April 2262
    if not 1970 <= value.astimezone(UTC).year <= 2261:
        raise argparse.ArgumentTypeError(f"must be between 1970 and 2261 (got {text!r})")
    return value


def _source_arg(text: str) -> str:
    try:
        return validate_source(text)
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(exc.rule + f" (got {text!r})") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        # the frozen app is run as Tradedesk(.exe), not through main.py
        prog="Tradedesk" if getattr(sys, "frozen", False) else "main.py",
        description="Tradedesk: a trading terminal for manual traders who also run bots.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"Tradedesk {__version__}")
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="folder for the database and settings"
    )
    parser.add_argument(
        "--smoke-test",
        type=_positive_float,
        metavar="SECONDS",
        help="open the window on the demo market, let data flow this long, then exit 0 only "
        "if the window came up and prices moved",
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="FILE.png",
        help="with --smoke-test: save a screenshot of the main window before exiting",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="engine log level on stderr (default WARNING)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="headless paper session on the demo market",
        description="Run a paper account on the offline demo market (real historical candles "
        "replayed as a live feed) and print balances, positions, equity and P&L as it goes.",
    )
    demo.add_argument(
        "--seconds", type=_positive_float, required=True, help="how long to run (wall seconds)"
    )
    demo.add_argument(
        "--demo-orders",
        action="store_true",
        help="place a few real orders through the risk gate (market with SL/TP bracket, "
        "limit, cancel, and one the gate refuses)",
    )
    demo.add_argument(
        "--speed",
        type=_positive_float,
        default=None,
        help="demo minutes per wall minute (default from settings, 1.0)",
    )
    demo.add_argument(
        "--interval", type=_positive_float, default=1.0, help="seconds between summaries"
    )
    demo.add_argument(
        "--order-interval",
        type=_positive_float,
        default=2.0,
        help="with --demo-orders: seconds between the flow's orders after the showcase",
    )

    session = sub.add_parser(
        "session",
        help="headless session on an account (Tools → Accounts…; the active one by default)",
        description="Open an account's session without a window: reconcile with its venue, "
        "stream its market data and print balances, positions, equity and P&L as it goes.",
    )
    session.add_argument(
        "--seconds", type=_positive_float, required=True, help="how long to run (wall seconds)"
    )
    session.add_argument("--account", default=None, help="account id (see `accounts list`)")
    session.add_argument(
        "--demo-orders",
        action="store_true",
        help="place a steady flow of small real orders through the risk gate",
    )
    session.add_argument(
        "--interval", type=_positive_float, default=1.0, help="seconds between summaries"
    )
    session.add_argument(
        "--order-interval",
        type=_positive_float,
        default=2.0,
        help="with --demo-orders: seconds between orders",
    )

    accounts_cli.add_parser(sub)
    sub.add_parser(
        "keychain-info",
        help="which OS keychain Tradedesk would keep secrets in (exit 4 if none is secure)",
        description="Print keyring's active backend and whether Tradedesk accepts it. "
        "Plaintext, null and 'no keychain' backends are refused: exit status 4.",
    )

    export = sub.add_parser("export", help="export data to files")
    what = export.add_subparsers(dest="what", metavar="WHAT", required=True)
    trades = what.add_parser(
        "trades",
        help="fills to CSV",
        description="Write fills to CSV with the columns: " + ", ".join(COLUMNS),
    )
    trades.add_argument("--out", type=Path, required=True, help="CSV file to write")
    trades.add_argument("--since", type=_time_arg, help="from this UTC date/time (inclusive)")
    trades.add_argument("--until", type=_time_arg, help="before this UTC date/time (exclusive)")
    trades.add_argument("--source", type=_source_arg, help="manual, external or bot:<id>")
    trades.add_argument("--symbol", help="only this symbol, e.g. BTC/USD")

    backtest_cli.add_parser(sub)
    opt_cli.add_parsers(sub)
    reports_cli.add_parser(
        sub, time_arg=_time_arg, source_arg=_source_arg, positive=_positive_float
    )
    return parser


def main(argv: Sequence[str], launched: float | None = None) -> int:
    """Run the command line; ``launched`` is ``time.perf_counter()`` at process start."""
    parser = build_parser()
    args = parser.parse_args(list(argv))
    logging.basicConfig(
        level=getattr(logging, args.log_level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # stderr shows what --log-level asks for; the window's log panel may show more (the app's
    # INFO: orders, fills) without every fill also being formatted and written to stderr
    for handler in logging.getLogger().handlers:
        handler.setLevel(getattr(logging, args.log_level))
    redaction.install()  # before any credential can be read: see app/redaction.py
    # ccxt logs API key headers at DEBUG: keep it quiet whatever the app level is
    logging.getLogger("ccxt").setLevel(max(logging.INFO, getattr(logging, args.log_level)))

    if args.command == "keychain-info":
        return _keychain_info()
    if args.command == "backtest":  # needs no data folder: nothing is stored
        return backtest_cli.run(args)
    if args.command == "optimize":
        return opt_cli.run_optimize(args)
    if args.command == "walkforward":
        return opt_cli.run_walkforward(args)

    import app.bootstrap as bootstrap  # heavy imports only once the arguments are known
    from app.engine.store.errors import StoreError
    from app.engine.venue_errors import VenueError
    from app.keychain import KeychainUnavailable

    try:
        settings = bootstrap.load_settings(args.data_dir)
        if args.command == "export":
            return bootstrap.export_trades(
                settings,
                out=args.out,
                since=args.since,
                until=args.until,
                source=args.source,
                symbol=args.symbol,
            )
        if args.command == "accounts":
            return accounts_cli.run(args, settings, bootstrap.venue_ops(settings))
        if args.command == "report":
            return reports_cli.run(args, settings.data_dir, settings.currency)
        if args.command is None:
            if args.screenshot is not None and args.smoke_test is None:
                raise ValidationError("--screenshot", "goes with --smoke-test SECONDS")
            return bootstrap.run_gui(
                settings, smoke_test=args.smoke_test, screenshot=args.screenshot, launched=launched
            )
        seconds = args.seconds
        if args.command == "session":
            return asyncio.run(
                bootstrap.run_account_session(
                    settings,
                    seconds=seconds,
                    account_id=args.account,
                    demo_orders=args.demo_orders,
                    interval=args.interval,
                    order_interval=args.order_interval,
                )
            )
        return asyncio.run(
            bootstrap.run_demo_session(
                settings,
                seconds=seconds,
                demo_orders=getattr(args, "demo_orders", False),
                speed=getattr(args, "speed", None),
                interval=getattr(args, "interval", 1.0),
                order_interval=getattr(args, "order_interval", 2.0),
            )
        )
    except ValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_STORE
    except KeychainUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_NO_KEYCHAIN
    except VenueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_VENUE
    except KeyboardInterrupt:
        return 130


def _keychain_info() -> int:
    from app.keychain import status

    found = status()
    print(f"keychain backend: {found.backend}")
    print("backends keyring knows:")
    for line in found.candidates:
        print(f"  {line}")
    if found.secure:
        print("secure: yes (secrets are stored in the OS keychain)")
        return 0
    print(f"secure: no, it {found.reason}")
    print("Tradedesk refuses to store secrets in plaintext; API keys cannot be saved")
    return EXIT_NO_KEYCHAIN
