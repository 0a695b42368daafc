"""Crash test: a headless session placing orders is killed with SIGKILL in the middle of its
order flow, several times, and restarted on the same data directory. Afterwards nothing is
lost, duplicated or inconsistent: every order is settled, every order's fills add up, the
paper venue's books (replayed from its own durable log) match the account, and the engine
found nothing to halt for."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from app.bootstrap import PAPER_VENUE
from app.brokers.demo import DemoMarket
from app.brokers.paper import PaperConfig, PaperExchange
from app.engine.portfolio import Portfolio
from app.engine.store import Journal

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def session(data_dir: Path, seconds: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "--data-dir",
            str(data_dir),
            "demo",
            "--seconds",
            str(seconds),
            "--demo-orders",
            "--order-interval",
            "0.02",
            "--speed",
            "60",
            "--interval",
            "0.5",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def count(data_dir: Path, table: str) -> int:
    db = data_dir / "tradedesk.sqlite"
    if not db.exists():
        return 0
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return int(con.execute(f"select count(*) from {table}").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def kill_during_order_flow(data_dir: Path, min_new_fills: int) -> str:
    before = count(data_dir, "fills")
    proc = session(data_dir, 120)
    deadline = time.monotonic() + 90
    try:
        while count(data_dir, "fills") < before + min_new_fills:
            assert proc.poll() is None, proc.communicate()[0]
            assert time.monotonic() < deadline, "no order flow"
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        out = proc.communicate(timeout=30)[0]
    assert proc.returncode == -signal.SIGKILL
    return out


def test_sigkill_mid_order_flow_loses_and_duplicates_nothing(data_dir: Path) -> None:
    outputs = [kill_during_order_flow(data_dir, n) for n in (8, 5, 12)]
    assert all("FILL" in out for out in outputs)
    # one clean session: restart, reconcile, trade a little, stop normally
    clean = session(data_dir, 3)
    try:
        out = clean.communicate(timeout=60)[0]
    except subprocess.TimeoutExpired:
        clean.send_signal(signal.SIGUSR1)  # main.py dumps every thread's stack on USR1
        time.sleep(1)
        clean.kill()
        raise AssertionError("the clean session hung:\n" + clean.communicate()[0]) from None
    assert clean.returncode == 0, out
    assert "balances differ" not in out and "Traceback" not in out, out

    journal = Journal.open(data_dir)
    try:
        orders = journal.load_orders()
        fills = journal.load_fills()
        ledger = journal.load_ledger()
        records = journal.load_venue_records(PAPER_VENUE)
        market = DemoMarket(seed=7)
        # replay the venue's own durable log, exactly as a restart would
        venue = PaperExchange(
            PAPER_VENUE, market.instruments(), PaperConfig(), _ReadOnly(records), time.time_ns
        )
    finally:
        journal.close()

    assert len(orders) > 20 and len(fills) > 20
    # no fill twice
    assert len({f.key for f in fills}) == len(fills)
    # every order settled, and its fills add up to what it says it filled
    by_order: dict[str, Decimal] = defaultdict(Decimal)
    for f in fills:
        by_order[f.client_id] += f.quantity
    for order in orders:
        assert order.status.value not in ("submitted", "unknown"), order
        assert order.filled_qty == by_order.get(order.client_id, Decimal(0)), order
    # the account (deposits + journaled fills) matches the venue's books
    pf = Portfolio({i.symbol: i for i in market.instruments()})
    for entry in ledger:
        pf.deposit(entry.asset, entry.amount)
    for f in fills:
        pf.apply_fill(f)
    venue_balances = {a: venue.total(a) for a in pf.balances if venue.total(a) != 0}
    ours = {a: v for a, v in pf.balances.items() if v != 0}
    assert ours == venue_balances
    # and every fill the venue made is in the journal
    venue_trade_ids = {str(r["trade_id"]) for r in records if r.get("kind") == "fill"}
    assert venue_trade_ids == {f.trade_id for f in fills}


class _ReadOnly:
    def __init__(self, records: list[dict[str, object]]) -> None:
        self.records = records

    def load_venue_records(self, venue: str) -> list[dict[str, object]]:
        return self.records

    def append_venue_record(self, venue: str, record: dict[str, object]) -> None:
        raise AssertionError("verification must not write")
