"""The ``optimize`` and ``walkforward`` commands.

They share the ``backtest`` command's configuration options and their validation
(``app.backtest.cli``), add the search options (``--method``, ``--range``, ``--samples``,
``--seed``, ``--workers``) and print a table or one JSON object. Progress with the time
left goes to stderr; Ctrl+C cancels: the workers stop at their next check, nothing is
printed or written, exit 130. Workers ignore SIGINT themselves (the terminal sends it to
the whole process group), so only this process decides, through the cancel token.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.backtest import cli as backtest_cli

if TYPE_CHECKING:
    from app.backtest.optimize import OptimizeResult
    from app.backtest.walkforward import WalkForwardResult

EXIT_INPUT = backtest_cli.EXIT_INPUT
EXIT_CANCELLED = backtest_cli.EXIT_CANCELLED
SHOWN_METRICS = ("total_return", "sharpe", "max_drawdown", "trades", "win_rate", "profit_factor")


def _int_at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum} (got {text!r})")
        return value

    return parse


def _add_common(p: argparse.ArgumentParser) -> None:
    """The backtest command's options (same names, defaults and validation)."""
    p.add_argument("--strategy", required=True, metavar="ID", help="strategy id, e.g. sma_cross")
    p.add_argument("--data", required=True, type=Path, metavar="FILE.csv", help="bars to run on")
    p.add_argument("--cash", default="10000", help="starting cash (default 10000)")
    p.add_argument("--fees-bps", default="0", metavar="N", help="fee per fill, basis points")
    p.add_argument("--slippage-bps", default="0", metavar="N", help="market fill slippage, bps")
    p.add_argument("--fill", default="close", choices=["close", "next_open"])
    p.add_argument("--sizing", default="all_in", metavar="MODE[:VALUE]", help="as for backtest")
    p.add_argument("--lot", default="0.00000001", metavar="N", help="quantity step")
    p.add_argument("--stop-loss-pct", metavar="P", help="stop-loss on every entry, percent")
    p.add_argument("--take-profit-pct", metavar="P", help="take-profit on every entry, percent")
    p.add_argument("--symbol", default="", help="instrument name shown in output")
    p.add_argument(
        "--method", default="grid", choices=["grid", "random"], help="search (default grid)"
    )
    p.add_argument(
        "--range",
        action="append",
        default=[],
        metavar="NAME=LO:HI[:STEP]",
        help="narrow a parameter (repeatable): lo:hi:step, lo:hi (declared step) or a,b,c; "
        "other parameters use their declared range",
    )
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="pin a parameter to one value (repeatable)",
    )
    p.add_argument("--samples", type=_int_at_least(1), default=100, help="random: sets to try")
    p.add_argument("--seed", type=int, default=None, help="random: seed (repeatable runs)")
    p.add_argument(
        "--workers",
        type=_int_at_least(1),
        default=None,
        help="processes (default: every core; 1 runs in this process)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")


def add_parsers(sub: Any) -> None:
    opt = sub.add_parser(
        "optimize",
        help="grid or random search of a strategy's parameters, on every core",
        description="Backtest many parameter sets of a strategy (grid: every combination of "
        "the declared or given ranges; random: --samples seeded draws) on a process pool and "
        "print them sorted by a metric. Sets that break the strategy's rules are skipped "
        "and counted.",
    )
    _add_common(opt)
    opt.add_argument("--sort", default="sharpe", metavar="METRIC", help="sort key (sharpe)")
    opt.add_argument("--ascending", action="store_true", help="smallest first")
    opt.add_argument("--top", type=_int_at_least(1), default=20, help="rows shown (20)")

    wf = sub.add_parser(
        "walkforward",
        help="walk-forward analysis: optimise in-sample, test out-of-sample, roll",
        description="Rolling (or --anchored) windows: optimise on --in-sample bars by "
        "--metric, run the best set on the next --out-of-sample bars (warmed up on the bars "
        "before them, trading only on out-of-sample bars), move by --step (default: the "
        "out-of-sample length) and stitch the out-of-sample equity.",
    )
    _add_common(wf)
    wf.add_argument("--in-sample", type=_int_at_least(2), required=True, metavar="BARS")
    wf.add_argument("--out-of-sample", type=_int_at_least(1), required=True, metavar="BARS")
    wf.add_argument("--step", type=_int_at_least(1), default=None, metavar="BARS")
    wf.add_argument("--anchored", action="store_true", help="in-sample always starts at bar 0")
    wf.add_argument("--metric", default="sharpe", help="what the in-sample search maximises")
    wf.add_argument("--ascending", action="store_true", help="minimise --metric instead")
    wf.add_argument("--report", type=Path, metavar="FILE.html|.json", help="save a report")


def _prepare(args: argparse.Namespace) -> tuple[Any, Any, dict[str, Any]]:
    """The run's config and bars, and the search options optimise and walk-forward share."""
    from app.backtest.config import BacktestConfig
    from app.backtest.data import load_bars_csv
    from app.backtest.param_space import parse_range_args
    from app.engine.sizing import Sizing
    from app.strategies.params import parse_assignments
    from app.strategies.registry import get_strategy

    option = backtest_cli._option
    option("--strategy", lambda: get_strategy(args.strategy))
    fixed = option("--param", lambda: parse_assignments(args.param))
    ranges = parse_range_args(args.range)
    mode, _, amount = str(args.sizing).partition(":")
    sizing = option("--sizing", lambda: Sizing.parse(mode, amount or None, "--sizing"))
    config = backtest_cli._config(args, sizing, BacktestConfig)
    series = option(f"--data {args.data}", lambda: load_bars_csv(args.data, args.symbol))
    search = {
        "method": args.method,
        "ranges": ranges,
        "fixed": fixed,
        "samples": args.samples,
        "seed": args.seed,
        "workers": args.workers,
    }
    return config, series, search


def _check_metric(option: str, name: str, strategy_id: str) -> None:
    """A metric of ``Metrics`` or (for sorting) a parameter name."""
    import dataclasses

    from app.backtest.metrics import Metrics
    from app.engine.domain.errors import ValidationError
    from app.strategies.registry import get_strategy

    metrics = [f.name for f in dataclasses.fields(Metrics)]
    params = [p.name for p in get_strategy(strategy_id).params] if option == "--sort" else []
    if name not in metrics and name not in params:
        raise ValidationError(option, f"must be one of {', '.join(metrics + params)}", name)


def _guarded(work: Callable[[Any, Any], Any]) -> tuple[int, Any]:
    """Run ``work(progress, token)`` with Ctrl+C wired to the token."""
    from app.engine.domain.errors import ValidationError
    from app.engine.jobs import Cancelled, CancelToken

    token = CancelToken()
    reporter = backtest_cli._ProgressPrinter(sys.stderr)
    previous = signal.getsignal(signal.SIGINT)

    def interrupt(_signum: int, _frame: object) -> None:
        token.cancel()

    signal.signal(signal.SIGINT, interrupt)
    try:
        return 0, work(reporter, token)
    except (Cancelled, KeyboardInterrupt):
        reporter.done()
        print("cancelled; nothing written", file=sys.stderr)
        return EXIT_CANCELLED, None
    except ValidationError as exc:
        reporter.done()
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT, None
    finally:
        reporter.done()
        signal.signal(signal.SIGINT, previous)


def run_optimize(args: argparse.Namespace) -> int:
    from app.backtest.optimize import optimize
    from app.engine.domain.errors import ValidationError

    try:
        config, series, search = _prepare(args)
        _check_metric("--sort", args.sort, args.strategy)
    except ValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    code, result = _guarded(
        lambda progress, token: optimize(
            args.strategy,
            series,
            config,
            **search,
            progress=progress,
            cancel=token,
        )
    )
    if code:
        return int(code)
    assert result is not None
    print(_optimize_output(result, args))
    return 0


def _optimize_output(result: OptimizeResult, args: argparse.Namespace) -> str:
    from app.backtest.optimize import rows_to_dicts, sort_rows, top

    rows = top(sort_rows(result.rows, args.sort, not args.ascending), args.top)
    if args.json:
        return json.dumps(
            {
                "strategy": result.strategy_id,
                "method": result.method.value,
                "seed": result.seed,
                "sets": len(result.rows),
                "skipped": result.skipped,
                "workers": result.workers,
                "sort": args.sort,
                "descending": not args.ascending,
                "rows": rows_to_dicts(rows),
            },
            allow_nan=False,
        )
    names = list(dict.fromkeys([args.sort, *SHOWN_METRICS]))
    params = list(result.rows[0].params) if result.rows else []
    header = [*params, *names]
    lines = [
        f"optimise {result.strategy_id} ({result.method.value}): {len(result.rows)} sets run on "
        f"{result.workers} worker(s), {result.skipped} skipped by the strategy's rules"
        + (f" (e.g. {result.skip_reason})" if result.skip_reason else ""),
        f"top {len(rows)} by {args.sort} ({'ascending' if args.ascending else 'descending'}):",
        "  ".join(f"{h:>14}" for h in header),
    ]
    for r in rows:
        cells = [f"{r.params[p]!s:>14}" for p in params]
        for n in names:
            v = r.value(n)
            shown = "n/a" if v is None else f"{v:,.0f}" if n == "trades" else f"{v:,.4f}"
            cells.append(f"{shown:>14}")
        lines.append("  ".join(cells) + (f"  {r.error}" if r.error else ""))
    return "\n".join(lines)


def run_walkforward(args: argparse.Namespace) -> int:
    from app.backtest.walkforward import walk_forward
    from app.engine.domain.errors import ValidationError

    try:
        config, series, search = _prepare(args)
        _check_metric("--metric", args.metric, args.strategy)
        if args.report is not None:
            suffix = args.report.suffix.lower()
            if suffix not in (".html", ".htm", ".json"):
                raise ValidationError("--report", "must end in .html or .json", str(args.report))
            if not args.report.resolve().parent.is_dir():
                raise ValidationError("--report", "the folder does not exist", str(args.report))
    except ValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    code, result = _guarded(
        lambda progress, token: walk_forward(
            args.strategy,
            series,
            config,
            in_sample=args.in_sample,
            out_of_sample=args.out_of_sample,
            step=args.step,
            anchored=args.anchored,
            metric=args.metric,
            descending=not args.ascending,
            **search,
            progress=progress,
            cancel=token,
        )
    )
    if code:
        return int(code)
    assert result is not None
    if args.report is not None:
        from app.reports.performance import save_report
        from app.reports.walkforward import walkforward_report

        save_report(walkforward_report(result), args.report)
    print(json.dumps(walkforward_json(result), allow_nan=False) if args.json else _wf_text(result))
    if args.report is not None:
        print(f"wrote report {args.report}", file=sys.stderr)
    return 0


def walkforward_json(result: WalkForwardResult) -> dict[str, Any]:
    from app.engine.trade_export import iso_utc

    def clean(d: dict[str, Any]) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and v != v else v) for k, v in d.items()}

    return {
        "strategy": result.strategy_id,
        "metric": result.metric,
        "skipped": result.skipped,
        "metrics": clean(result.metrics),
        "windows": [
            {
                "in_sample": [iso_utc(w.is_from_ts), iso_utc(w.is_to_ts)],
                "out_of_sample": [iso_utc(w.oos_from_ts), iso_utc(w.oos_to_ts)],
                "bars": {  # bar indexes in the data file, stop exclusive
                    "in_sample": [w.window.is_start, w.window.is_stop],
                    "out_of_sample": [w.window.oos_start, w.window.oos_stop],
                },
                "best_params": None if w.best is None else w.best.params,
                "in_sample_metric": w.is_metric,
                "out_of_sample_metrics": clean(w.oos_metrics),
                "warmup_bars": w.warmup,
                "start_equity": w.start_equity,
                "end_equity": w.end_equity,
            }
            for w in result.windows
        ],
    }


def _wf_text(result: WalkForwardResult) -> str:
    from app.engine.trade_export import iso_utc

    lines = [f"walk-forward {result.strategy_id}, best in-sample {result.metric} per window:"]
    for w in result.windows:
        params = (
            "no set ran"
            if w.best is None
            else ", ".join(f"{k}={v}" for k, v in w.best.params.items())
        )
        oos = w.oos_metrics.get("total_return")
        ins = f"{iso_utc(w.is_from_ts)[:10]}..{iso_utc(w.is_to_ts)[:10]}"
        lines.append(
            f"  {w.window.index + 1:>3}  IS {ins}"
            f"  OOS {iso_utc(w.oos_from_ts)[:10]}..{iso_utc(w.oos_to_ts)[:10]}  {params}"
            f"  IS {result.metric} {backtest_cli._fmt(w.is_metric)}"
            f"  OOS return {backtest_cli._fmt(oos, pct=True)}  equity {w.end_equity:,.2f}"
        )
    m = result.metrics
    lines += [
        "stitched out-of-sample:",
        f"  bars {m['bars']:,}, round trips {m['trades']:,}",
        f"  final equity    {m['final_equity']:,.2f} (from {result.initial_equity:,.2f})",
        f"  total return    {backtest_cli._fmt(m['total_return'], pct=True)}",
        f"  Sharpe          {backtest_cli._fmt(m['sharpe'])}",
        f"  max drawdown    {backtest_cli._fmt(m['max_drawdown'], pct=True)}",
    ]
    return "\n".join(lines)
