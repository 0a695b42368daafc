"""The ``backtest`` command: its arguments, their validation, progress and output.

``add_parser`` declares the subcommand (cheap: nothing heavy is imported until ``run``).
Bad input exits 2 with a message naming the option and the rule; Ctrl+C cancels the run
cleanly (a message, exit 130, no partial output file).
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from app.backtest.config import BacktestConfig
    from app.backtest.runner import BacktestResult
    from app.engine.jobs import Progress

EXIT_INPUT = 2
EXIT_CANCELLED = 130
PROGRESS_AFTER_S = 1.0  # a run shorter than this prints no progress at all
TRADES_CSV_HELP = (
    "write the round trips to this CSV (entry_time, exit_time, side, qty, entry_price, "
    "exit_price, pnl, fees, return_pct, bars_held, open)"
)


# numbers stay text here: BacktestConfig parses them exactly (Decimal) and the error is
# re-labelled with the option's name


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "backtest",
        help="run a strategy over historical bars (CSV) through the engine and paper venue",
        description="Run a strategy over historical bars through the same engine, risk gate "
        "and paper exchange as live bots, with a simulated clock. Prints a summary (or one "
        "JSON object with --json). CSV columns: timestamp (ISO-8601 or epoch ms) or "
        "timestamp_ms, open, high, low, close, volume.",
    )
    p.add_argument("--strategy", required=True, metavar="ID", help="strategy id, e.g. sma_cross")
    p.add_argument("--data", required=True, type=Path, metavar="FILE.csv", help="bars to run on")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="strategy parameter (repeatable), e.g. --param fast=20 --param slow=60",
    )
    p.add_argument("--cash", default="10000", help="starting cash (default 10000)")
    p.add_argument(
        "--fees-bps",
        default="0",
        metavar="N",
        help="fee per fill in basis points, maker and taker (default 0; 10 = 0.1 %%)",
    )
    p.add_argument(
        "--slippage-bps",
        default="0",
        metavar="N",
        help="market fills this many basis points worse than the reference price (default 0)",
    )
    p.add_argument(
        "--fill",
        default="close",
        choices=["close", "next_open"],
        help="execute a signal at its bar's close (default) or at the next bar's open",
    )
    p.add_argument(
        "--sizing",
        default="all_in",
        metavar="MODE[:VALUE]",
        help="size of entries without a quantity: all_in (default: all cash, fees included, "
        "rounded down to the lot), fixed_qty:Q, fixed_notional:CASH, pct_equity:P, "
        "risk_pct:P (needs a stop), compounding:CASH",
    )
    p.add_argument(
        "--lot",
        default="0.00000001",
        metavar="N",
        help="quantity step every order is rounded down to (default 0.00000001)",
    )
    p.add_argument("--stop-loss-pct", metavar="P", help="stop-loss on every entry, percent")
    p.add_argument("--take-profit-pct", metavar="P", help="take-profit on every entry, percent")
    p.add_argument(
        "--symbol", default="", help="instrument name shown in output (default ASSET/USD)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")
    p.add_argument("--trades-csv", type=Path, metavar="FILE", help=TRADES_CSV_HELP)
    return p


def run(args: argparse.Namespace) -> int:
    from app.backtest.config import BacktestConfig
    from app.backtest.data import load_bars_csv
    from app.backtest.runner import run_backtest
    from app.backtest.trades import write_round_trips_csv
    from app.engine.domain.errors import ValidationError
    from app.engine.jobs import Cancelled, CancelToken
    from app.engine.sizing import Sizing
    from app.strategies.params import parse_assignments
    from app.strategies.registry import get_strategy

    try:
        strategy = _option("--strategy", lambda: get_strategy(args.strategy))
        raw = _option("--param", lambda: parse_assignments(args.param))
        params = _param(lambda: strategy.validated(raw))
        mode, _, amount = str(args.sizing).partition(":")
        sizing = _option("--sizing", lambda: Sizing.parse(mode, amount or None, "--sizing"))
        config = _config(args, sizing, BacktestConfig)
        if args.trades_csv is not None and not args.trades_csv.resolve().parent.is_dir():
            raise ValidationError("--trades-csv", "the folder does not exist", str(args.trades_csv))
        series = _option(f"--data {args.data}", lambda: load_bars_csv(args.data, args.symbol))
    except ValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT

    token = CancelToken()
    reporter = _ProgressPrinter(sys.stderr)
    previous = signal.getsignal(signal.SIGINT)

    def interrupt(_signum: int, _frame: object) -> None:
        token.cancel()  # the run stops at its next check, within a few thousand bars

    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:  # Python only lets the main thread handle signals
        signal.signal(signal.SIGINT, interrupt)
    try:
        result = run_backtest(strategy, series, params, config, progress=reporter, cancel=token)
        reporter.done()
        if args.trades_csv is not None:
            write_round_trips_csv(result.trades, args.trades_csv)
    except (Cancelled, KeyboardInterrupt):
        reporter.done()
        print("backtest cancelled; nothing written", file=sys.stderr)
        return EXIT_CANCELLED
    except ValidationError as exc:
        reporter.done()
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    finally:
        if in_main_thread:
            signal.signal(signal.SIGINT, previous)
    if args.json:
        print(json.dumps(to_json(result), allow_nan=False))
    else:
        print(summary(result, args.data))
    if args.trades_csv is not None:
        print(f"wrote {len(result.trades)} round trips to {args.trades_csv}", file=sys.stderr)
    return 0


def _option(name: str, fn: Any) -> Any:
    from app.engine.domain.errors import ValidationError

    try:
        return fn()
    except ValidationError as exc:
        if exc.field.startswith("--"):
            raise
        # "strategy"/"data" only repeat the option; a CSV cell's "row 5, column close" adds
        field = name if exc.field in ("strategy", "data") else f"{name}: {exc.field}"
        raise ValidationError(field, exc.rule, exc.value) from None


def _param(fn: Any) -> Any:
    from app.engine.domain.errors import ValidationError

    try:
        return fn()
    except ValidationError as exc:
        raise ValidationError(f"--param {exc.field}", exc.rule, exc.value) from None


def _config(args: argparse.Namespace, sizing: Any, cls: type[BacktestConfig]) -> BacktestConfig:
    from app.engine.domain.errors import ValidationError

    options = {
        "cash": "--cash",
        "fees_bps": "--fees-bps",
        "slippage_bps": "--slippage-bps",
        "lot": "--lot",
        "stop_loss_pct": "--stop-loss-pct",
        "take_profit_pct": "--take-profit-pct",
    }
    try:
        return cls(
            cash=args.cash,
            fees_bps=args.fees_bps,
            slippage_bps=args.slippage_bps,
            fill=args.fill,
            sizing=sizing,
            lot=args.lot,
            stop_loss_pct=args.stop_loss_pct,
            take_profit_pct=args.take_profit_pct,
            symbol=args.symbol,
        )
    except ValidationError as exc:
        raise ValidationError(options.get(exc.field, exc.field), exc.rule, exc.value) from None


class _ProgressPrinter:
    """Progress with the time left on stderr, once a run has lasted ``PROGRESS_AFTER_S``:
    rewritten in place on a terminal, a line every few seconds otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.shown = False
        self._last_line = 0.0

    def __call__(self, progress: Progress) -> None:
        if progress.elapsed_s < PROGRESS_AFTER_S:
            return
        text = progress.describe()
        if self.tty:
            self.stream.write("\r" + text + "   ")
        else:
            now = time.monotonic()
            if now - self._last_line < 2.0 and progress.done < progress.total:
                return
            self._last_line = now
            self.stream.write(text + "\n")
        self.stream.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown and self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _fmt(value: float | None, pct: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "inf" if value is not None and value > 0 else "n/a"
    return f"{value * 100:.2f} %" if pct else f"{value:,.4f}"


def summary(result: BacktestResult, data: Path) -> str:
    m = result.metrics
    cfg = result.config
    params = ", ".join(f"{k}={v}" for k, v in result.params.items()) or "defaults"
    lines = [
        f"backtest {result.strategy_id} ({params}) on {data} as {result.symbol}",
        f"  {m.bars:,} bars, fill at {cfg.fill.value}, fees {cfg.fees_bps} bps, "
        f"slippage {cfg.slippage_bps} bps, sizing {cfg.sizing.mode.value}",
        f"  round trips     {m.trades:,} ({m.closed_trades:,} closed)",
        f"  final equity    {m.final_equity:,.2f} (from {cfg.cash:,})",
        f"  total return    {_fmt(m.total_return, pct=True)}",
        f"  CAGR            {_fmt(m.cagr, pct=True)}",
        f"  Sharpe          {_fmt(m.sharpe)}",
        f"  Sortino         {_fmt(m.sortino)}",
        f"  max drawdown    {_fmt(m.max_drawdown, pct=True)}",
        f"  win rate        {_fmt(m.win_rate, pct=True)}",
        f"  profit factor   {_fmt(m.profit_factor)}",
        f"  exposure        {_fmt(m.exposure, pct=True)}",
        f"  fees paid       {m.fees:,.2f}",
    ]
    if result.refused:
        lines.append(f"  refused intents {result.refused:,} (first: {result.messages[0]})")
    return "\n".join(lines)


def to_json(result: BacktestResult) -> dict[str, Any]:
    """The ``--json`` object: every metric at the top level (infinite values are null), then
    what was run."""
    cfg = result.config
    out: dict[str, Any] = dict(result.metrics.to_dict())
    out.update(
        strategy=result.strategy_id,
        params=result.params,
        symbol=result.symbol,
        config={
            "cash": str(cfg.cash),
            "fees_bps": str(cfg.fees_bps),
            "slippage_bps": str(cfg.slippage_bps),
            "fill": cfg.fill.value,
            "sizing": cfg.sizing.to_mapping(),
            "lot": str(cfg.lot),
            "stop_loss_pct": None if cfg.stop_loss_pct is None else str(cfg.stop_loss_pct),
            "take_profit_pct": None if cfg.take_profit_pct is None else str(cfg.take_profit_pct),
        },
        refused_intents=result.refused,
    )
    return out
