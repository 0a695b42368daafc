"""Per-bot statistics on a fill sequence checked by hand."""

from __future__ import annotations

from decimal import Decimal

from app.bots.stats import compute_stats, max_drawdown
from app.engine.domain.fills import Fill, Liquidity
from app.engine.domain.orders import OrderSide
from tests.engine.harness import BTC, ETH

S = 1_000_000_000
T0 = 1_000 * S
D = Decimal


def fill(n: int, symbol: str, side: OrderSide, qty: str, price: str, fee: str, t: int) -> Fill:
    return Fill(
        "paper",
        f"t{n}",
        f"c{n}",
        None,
        symbol,
        side,
        D(qty),
        D(price),
        D(fee),
        "USD",
        Liquidity.TAKER,
        T0 + t * S,
        "bot:x",
    )


BUY, SELL = OrderSide.BUY, OrderSide.SELL
INSTRUMENTS = {"BTC/USD": BTC, "ETH/USD": ETH}


def test_hand_checked_sequence() -> None:
    fills = [
        # trip 1 (BTC): buy 2 @ 100, sell 1 @ 110 (+10), sell 1 @ 104 (+4); fees 1 -> net +13
        fill(1, "BTC/USD", BUY, "2", "100", "0.4", 0),
        fill(2, "BTC/USD", SELL, "1", "110", "0.3", 10),
        fill(3, "BTC/USD", SELL, "1", "104", "0.3", 20),
        # trip 2 (ETH): buy 4 @ 50, sell 4 @ 48 (-8); fees 0.4 -> net -8.4, a loss
        fill(4, "ETH/USD", BUY, "4", "50", "0.2", 30),
        fill(5, "ETH/USD", SELL, "4", "48", "0.2", 40),
        # still open: buy 1 BTC @ 105 at t=60; marked at 101 -> unrealized -4
        fill(6, "BTC/USD", BUY, "1", "105", "0.1", 60),
    ]
    stats = compute_stats(
        reversed(fills),  # any order in
        INSTRUMENTS,
        {"BTC/USD": D("101"), "ETH/USD": D("49")},
        since_ns=T0,
        now_ns=T0 + 100 * S,
    )
    assert stats.realized == D("6")  # 10 + 4 - 8
    assert stats.fees == D("1.5")
    assert stats.unrealized == D("-4")
    assert stats.pnl == D("0.5")
    assert stats.trades == 2 and stats.wins == 1 and stats.win_rate == 0.5
    # held BTC 0..20, ETH 30..40, BTC 60..100 -> 70 of 100 s
    assert stats.exposure == 0.7
    # P&L after each fill, open quantity marked at the latest fill price: -0.4; 19.3 (10
    # realized + 10 on the BTC still held at 110, - 0.7 fees); 13.0; 12.8; 4.6 (6 - 1.4);
    # 4.5; then 0.5 now: peak 19.3, trough 0.5 -> 18.8
    assert stats.max_drawdown == D("18.8")
    assert stats.open_qty == {"BTC/USD": D("1")}


def test_a_flip_through_zero_ends_a_trip() -> None:
    fills = [
        fill(1, "BTC/USD", SELL, "1", "100", "0", 0),
        fill(2, "BTC/USD", BUY, "2", "90", "0", 5),  # +10 on the short, now long 1 @ 90
    ]
    stats = compute_stats(fills, INSTRUMENTS, {"BTC/USD": D("95")}, since_ns=T0, now_ns=T0 + 10 * S)
    assert (stats.trades, stats.wins) == (1, 1)
    assert stats.realized == D("10") and stats.unrealized == D("5")
    assert stats.exposure == 1.0


def test_samples_between_fills_count_in_the_drawdown() -> None:
    fills = [fill(1, "BTC/USD", BUY, "1", "100", "0", 0)]
    samples = [(T0 + 1 * S, D("5")), (T0 + 2 * S, D("-7")), (T0 + 3 * S, D("1"))]
    stats = compute_stats(
        fills, INSTRUMENTS, {"BTC/USD": D("101")}, since_ns=T0, now_ns=T0 + 4 * S, samples=samples
    )
    assert stats.max_drawdown == D("12")
    assert stats.trades == 0 and stats.win_rate is None


def test_max_drawdown_starts_from_zero() -> None:
    assert max_drawdown([D("-3"), D("2"), D("1")]) == D("3")
    assert max_drawdown([]) == D("0")
