"""Runs in a subprocess for the store tests (a second process on the same data folder).

child.py try-open DATA_DIR     print the error Journal.open raises (or OPENED)
child.py crash DATA_DIR N      journal N orders and fills, flush, print FLUSHED, then keep
                               writing until killed
"""

from __future__ import annotations

import asyncio
import sys
from decimal import Decimal
from pathlib import Path

from app.engine.domain.orders import OrderStatus
from app.engine.store import Journal, StoreError
from tests.store.factories import make_fill, make_order


def try_open(data_dir: Path) -> None:
    try:
        Journal.open(data_dir, busy_timeout=0.3).close()
    except StoreError as exc:
        print(f"{type(exc).__name__}: {exc}", flush=True)
    else:
        print("OPENED", flush=True)


async def crash(data_dir: Path, n: int) -> None:
    journal = Journal.open(data_dir)
    waits = []
    for i in range(n):
        order = make_order(f"ord-{i}", created_ns=1_000 + i)
        waits.append(journal.record_order(order, "created"))
        order.status = OrderStatus.SUBMITTED
        waits.append(journal.record_order(order, "submitted"))
        waits.append(journal.record_fill(make_fill(f"tr-{i}", client_id=f"ord-{i}", ts=i)))
        journal.append_venue_record("paper", {"seq": i, "qty": Decimal("0.1")})
    await asyncio.gather(*waits)
    await journal.flush()
    print("FLUSHED", flush=True)
    # Keep the writer busy so the kill lands in the middle of batches.
    i = 0
    while True:
        journal.record_order(make_order(f"late-{i}", created_ns=10**9 + i), "late")
        journal.record_fill(make_fill(f"late-{i}", client_id=f"late-{i}", ts=10**9 + i))
        i += 1
        if i % 50 == 0:
            await asyncio.sleep(0.001)


async def forget(data_dir: Path, n: int) -> None:
    journal = Journal.open(data_dir)
    for i in range(n):
        journal.record_order(make_order(f"ord-{i}"), "created")
    # No flush, no close: the atexit hook has to commit these.


def main() -> None:
    mode, data_dir = sys.argv[1], Path(sys.argv[2])
    if mode == "try-open":
        try_open(data_dir)
    elif mode == "crash":
        asyncio.run(crash(data_dir, int(sys.argv[3])))
    elif mode == "forget":
        asyncio.run(forget(data_dir, int(sys.argv[3])))
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
