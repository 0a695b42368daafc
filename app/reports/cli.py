"""``report performance``: a performance report of journal fills, to HTML or JSON.

``--source manual|external|bot:<id>`` or ``--all``, optional ``--since``/``--until`` (the
same rules as ``export trades``). The curve starts from ``--capital``; without it, from the
deposits in the account currency recorded in the journal (the paper account's opening
balance).
"""

from __future__ import annotations

import argparse
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

EXIT_INPUT = 2


def add_parser(
    sub: Any, *, time_arg: Any, source_arg: Any, positive: Any
) -> argparse.ArgumentParser:
    report = sub.add_parser("report", help="performance reports to HTML or JSON")
    what = report.add_subparsers(dest="what", metavar="WHAT", required=True)
    perf: argparse.ArgumentParser = what.add_parser(
        "performance",
        help="metrics, equity curve, drawdown and monthly returns of journal fills",
        description="A performance report of the fills in the journal: metrics, the equity "
        "curve (capital + realized P&L - fees at each fill; open positions are not marked), "
        "drawdown, monthly returns and round trips. Writes HTML (one self-contained file) "
        "or JSON, chosen by the --out file's extension.",
    )
    who = perf.add_mutually_exclusive_group(required=True)
    who.add_argument("--source", type=source_arg, help="manual, external or bot:<id>")
    who.add_argument("--all", action="store_true", help="every source")
    perf.add_argument("--since", type=time_arg, help="from this UTC date/time (inclusive)")
    perf.add_argument("--until", type=time_arg, help="before this UTC date/time (exclusive)")
    perf.add_argument("--symbol", help="only this symbol, e.g. BTC/USD")
    perf.add_argument(
        "--capital",
        type=positive,
        help="starting equity of the curve (default: the deposits recorded in the journal)",
    )
    perf.add_argument(
        "--out", type=Path, required=True, metavar="FILE.html|FILE.json", help="file to write"
    )
    return perf


def _ns(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1_000_000_000)


def run(args: argparse.Namespace, data_dir: Path, currency: str) -> int:
    """Exit 0 with the file written, or raise ValidationError / StoreError for the CLI."""
    from app.engine.domain.errors import ValidationError
    from app.engine.store.journal import Journal
    from app.reports.performance import from_fills, save_report

    out: Path = args.out
    if out.suffix.lower() not in (".html", ".htm", ".json"):
        raise ValidationError("--out", "must end in .html or .json", str(out))
    if not out.resolve().parent.is_dir():
        raise ValidationError("--out", "the folder does not exist", str(out))
    since, until = _ns(args.since), _ns(args.until)
    if since is not None and until is not None and since >= until:
        raise ValidationError("--until", "must be after --since")
    source = None if args.all else args.source
    with Journal.open(data_dir) as journal:
        fills = journal.load_fills(
            since_ns=since, until_ns=until, source=source, symbol=args.symbol
        )
        capital = args.capital
        if capital is None:
            capital = _deposits(journal.load_ledger(), currency)
    if capital is None or capital <= 0:
        raise ValidationError(
            "--capital", "the journal records no deposit: give the starting equity"
        )
    report = from_fills(
        fills, capital, source=source or "all sources", since_ns=since, until_ns=until
    )
    save_report(report, out)
    print(f"wrote a report of {len(fills)} fills to {out}")
    return 0


def _deposits(entries: list[Any], currency: str) -> float | None:
    """Deposits in the account currency (a deposit of coins has no price here)."""
    total = Decimal(0)
    for entry in entries:
        if entry.kind != "deposit" or entry.asset != currency:
            continue
        try:
            total += Decimal(entry.amount)
        except (InvalidOperation, TypeError):
            continue
    return float(total) if total > 0 else None
