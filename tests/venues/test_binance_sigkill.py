"""SIGKILL at each stage of an order's life on a real venue protocol.

The app runs as a subprocess on a Binance testnet account pointed at the loopback emulator
(which lives in this test process and so outlives every kill). Each round kills the app at
another stage: mid order flow, while the venue holds an order whose reply is delayed, right
after a reply was dropped (the order exists at the venue, the app never heard), and during
start-up's reconciliation. While it is down the venue moves on: a resting order fills,
another is canceled, orders are placed "from the web". After a last clean session:
- no client order id was ever placed twice at the venue;
- every order the venue has is in the journal with the venue's status (ours, and the web
  orders still open, adopted as external); orders the venue never received are still
  waiting to be declared lost, not resent;
- every fill the venue made is journaled exactly once and the balances match the venue;
- the whole run logged at DEBUG, and the planted API key and secret appear in no log line,
  database file, CSV export or crash report.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from app.engine.domain.orders import OrderStatus
from app.engine.store import Journal
from tests.emulators.binance import ThreadedBinanceEmulator
from tests.support.keychain import BACKEND, ENV_FILE, ProcessKeychain
from tests.venues.fixtures import (
    API_KEY,
    SECRET,
    SYMBOLS,
    VENUE_STATUS,
    add_emulator_account,
    emulator_settings,
)

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
D = Decimal


@pytest.fixture
def venue() -> Iterator[ThreadedBinanceEmulator]:
    emu = ThreadedBinanceEmulator(
        symbols=SYMBOLS,
        balances={"USDT": "100000", "BTC": "1", "ETH": "10"},
        api_key=API_KEY,
        secret=SECRET,
        prices={"BTC/USDT": "30000", "ETH/USDT": "2000"},
    )
    emu.start()
    stop = threading.Event()

    def walk() -> None:  # a live market: the app's orders need moving prices
        step = 0
        while not stop.wait(0.05):
            step += 1
            drift = D((step * 7919) % 41 - 20) / 100  # deterministic wiggle, ±0.2 %
            emu.set_price("BTC/USDT", D("30000") * (1 + drift / 100))
            emu.set_price("ETH/USDT", D("2000") * (1 + drift / 100))

    walker = threading.Thread(target=walk, name="price-walk", daemon=True)
    walker.start()
    try:
        yield emu
    finally:
        stop.set()
        walker.join(5)
        emu.stop()


@pytest.fixture
def process_keychain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "keychain.json"
    monkeypatch.setenv(ENV_FILE, str(path))
    before: KeyringBackend = keyring.get_keyring()
    keyring.set_keyring(ProcessKeychain())
    try:
        yield path
    finally:
        keyring.set_keyring(before)


def start_app(data_dir: Path, seconds: float, log: Path, *, orders: bool) -> subprocess.Popen[str]:
    args = [sys.executable, str(ROOT / "main.py"), "--data-dir", str(data_dir)]
    args += ["--log-level", "DEBUG", "session", "--seconds", str(seconds), "--interval", "0.5"]
    if orders:
        args += ["--demo-orders", "--order-interval", "0.05"]
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": BACKEND}
    out = log.open("a", encoding="utf-8")
    try:
        return subprocess.Popen(
            args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True, env=env
        )
    finally:
        out.close()


def wait_until(condition: object, what: str, proc: subprocess.Popen[str], within: float) -> None:
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        assert proc.poll() is None, f"the app exited ({proc.returncode}) before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL


def meanwhile_at_the_venue(emu: ThreadedBinanceEmulator, round_no: int) -> None:
    """The venue moves on while the app is down."""
    open_ours = [o for o in emu.orders.values() if o.is_open and o.client_id.startswith("td")]
    if open_ours:
        emu.fill_order(open_ours[0].client_id)
    # a fill of one leg of a bracket's list has expired the other: cancel one still open
    still_open = [o for o in open_ours[1:] if o.is_open]
    if still_open:
        emu.cancel_order(still_open[0].client_id)
    emu.place_web_order("ETH/USDT", "BUY", "LIMIT", "0.1", "1500")  # rests: adopted
    emu.place_web_order("BTC/USDT", "SELL", "MARKET", f"0.00{round_no + 1}")  # fills: external


def test_sigkill_at_every_stage_on_a_real_venue_protocol(
    data_dir: Path, tmp_path: Path, venue: ThreadedBinanceEmulator, process_keychain: Path
) -> None:
    emu = venue
    settings = emulator_settings(data_dir, emu.emulator)
    accounts, account = add_emulator_account(settings, "Emu")
    accounts.store.close()
    log = tmp_path / "app.log"
    placed = lambda: len(emu.emulator.orders_by_id)  # noqa: E731
    post = "POST /api/v3/order"

    # 1. mid order flow
    proc = start_app(data_dir, 120, log, orders=True)
    wait_until(lambda: placed() >= 8, "orders flow", proc, 60)
    kill(proc)
    meanwhile_at_the_venue(emu, 1)
    # 2. the venue booked an order and sits on the reply
    emu.faults.delay_reply(5.0, times=1, paths=[post])
    proc = start_app(data_dir, 120, log, orders=True)
    wait_until(lambda: emu.faults.fired.get("delay_reply", 0) >= 1, "a delayed reply", proc, 60)
    time.sleep(0.3)
    kill(proc)
    meanwhile_at_the_venue(emu, 2)
    # 3. the venue booked an order and the reply was lost
    emu.faults.drop_reply(times=1, paths=[post])
    proc = start_app(data_dir, 120, log, orders=True)
    wait_until(lambda: emu.faults.fired.get("drop_reply", 0) >= 1, "a dropped reply", proc, 60)
    time.sleep(0.2)
    kill(proc)
    meanwhile_at_the_venue(emu, 3)
    # 4. during start-up and its reconciliation
    proc = start_app(data_dir, 120, log, orders=True)
    time.sleep(2.5)
    kill(proc)
    emu.faults.clear()

    # a clean session: reconcile, stream, stop normally
    clean = start_app(data_dir, 6, log, orders=False)
    assert clean.wait(90) == 0, log.read_text()[-3000:]
    output = log.read_text(encoding="utf-8")
    assert "balances differ" not in output.split("reconciliation with binance (start)")[-1]

    venue_orders = list(emu.emulator.orders_by_id.values())
    twice = [cid for cid, n in Counter(o.client_id for o in venue_orders).items() if n > 1]
    assert not twice, f"placed twice at the venue: {twice}"

    journal = Journal.open(data_dir / "accounts" / account.id)
    try:
        orders = {o.client_id: o for o in journal.load_orders()}
        fills = journal.load_fills()
    finally:
        journal.close()
    assert len([o for o in venue_orders if o.client_id.startswith("td")]) >= 10
    for vo in venue_orders:
        ours = orders.get(vo.client_id)
        if vo.client_id.startswith("web_") and not vo.is_open:
            continue  # a web order that filled while we were down: only its fills are ours
        assert ours is not None, f"the venue's order {vo.client_id} is not in the journal"
        assert ours.status is VENUE_STATUS[vo.status], (vo.client_id, vo.status, ours.status)
        assert ours.filled_qty == vo.executed, vo.client_id
    at_venue = {o.client_id for o in venue_orders}
    for cid, order in orders.items():
        if order.status in (OrderStatus.SUBMITTED, OrderStatus.UNKNOWN):
            # journaled, killed before it left: never resent, lost after the lookups
            assert cid not in at_venue, order
    trade_ids = [f.trade_id for f in fills]
    assert len(trade_ids) == len(set(trade_ids))
    assert set(trade_ids) == {str(t.trade_id) for t in emu.trades}

    # the account matches the venue's books
    ledger_and_fills = _balances(data_dir / "accounts" / account.id)
    for asset, balance in emu.balances.items():
        assert ledger_and_fills.get(asset, D(0)) == balance.free + balance.locked, asset

    # the planted credentials appear nowhere: logs at DEBUG, databases, CSV, crash reports
    csv = tmp_path / "trades.csv"
    exported = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--data-dir", str(data_dir / "accounts" /
         account.id), "export", "trades", "--out", str(csv)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    assert "DEBUG" in output
    for path in [log, csv, *data_dir.rglob("*.sqlite*")]:
        blob = path.read_bytes()
        for secret in (API_KEY, SECRET):
            assert secret.encode() not in blob, f"{secret[:8]}… leaked into {path.name}"


def _balances(folder: Path) -> dict[str, Decimal]:
    journal = Journal.open(folder)
    try:
        totals: dict[str, Decimal] = {}
        for entry in journal.load_ledger():
            totals[entry.asset] = totals.get(entry.asset, D(0)) + entry.amount
        for fill in journal.load_fills():
            base, quote = fill.symbol.split("/")
            sign = 1 if fill.side.value == "buy" else -1
            totals[base] = totals.get(base, D(0)) + sign * fill.quantity
            totals[quote] = totals.get(quote, D(0)) - sign * fill.quantity * fill.price
            totals[fill.fee_currency] = totals.get(fill.fee_currency, D(0)) - fill.fee
        return totals
    finally:
        journal.close()
