"""Portfolio accounting, property-based: for any sequence of fills,
cash + marked positions = equity, and over closed round trips the realized P&L equals the
cash change minus fees."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.domain.fills import Fill, Liquidity
from app.engine.domain.instruments import Instrument
from app.engine.domain.orders import OrderSide
from app.engine.portfolio import Portfolio

INSTRUMENTS = {
    s: Instrument(s, "paper", s.split("/")[0], "USD", Decimal("0.01"), Decimal("0.001"), Decimal(0))
    for s in ("BTC/USD", "ETH/USD")
}

prices = st.decimals(min_value=Decimal("1"), max_value=Decimal("100000"), places=2)
qtys = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("50"), places=3)
fee_rates = st.sampled_from([Decimal(0), Decimal("0.001"), Decimal("0.00075")])
fills = st.lists(
    st.tuples(
        st.sampled_from(sorted(INSTRUMENTS)),
        st.sampled_from(list(OrderSide)),
        qtys,
        prices,
        fee_rates,
        st.sampled_from(["manual", "bot:a"]),
    ),
    min_size=1,
    max_size=40,
)


def make_fill(
    n: int, symbol: str, side: OrderSide, qty: Decimal, price: Decimal, rate: Decimal, source: str
) -> Fill:
    return Fill(
        "paper",
        f"t{n}",
        f"c{n}",
        None,
        symbol,
        side,
        qty,
        price,
        qty * price * rate,
        "USD",
        Liquidity.TAKER,
        n,
        source,
    )


@settings(max_examples=200)
@given(fills, st.lists(prices, min_size=2, max_size=2))
def test_cash_plus_marked_positions_is_equity(seq, marks) -> None:  # type: ignore[no-untyped-def]
    pf = Portfolio(INSTRUMENTS)
    pf.deposit("USD", Decimal("1000000"))
    for n, (symbol, side, qty, price, rate, source) in enumerate(seq):
        pf.apply_fill(make_fill(n, symbol, side, qty, price, rate, source))
    for symbol, mark in zip(sorted(INSTRUMENTS), marks, strict=True):
        pf.mark(symbol, mark)
    marked = sum((p.quantity * pf.last_prices[p.symbol] for p in pf.positions.values()), Decimal(0))
    assert pf.cash + marked == pf.equity()
    # positions are exactly the base-asset balances the fills moved
    for symbol, inst in INSTRUMENTS.items():
        assert pf.position_qty(symbol) == pf.balances.get(inst.base, Decimal(0))
    # equity also equals deposits + realized + unrealized - fees
    assert pf.equity() == pf.deposits + pf.realized_pnl() + pf.unrealized_pnl() - pf.fees()
    # attribution: the sources' books add up to the account's total P&L
    by_source = pf.pnl_by_source().values()
    total = sum((s.net for s in by_source), Decimal(0))
    assert total == pf.realized_pnl() + pf.unrealized_pnl() - pf.fees()


@settings(max_examples=200)
@given(fills)
def test_realized_over_round_trips_is_cash_change_minus_fees(seq) -> None:  # type: ignore[no-untyped-def]
    pf = Portfolio(INSTRUMENTS)
    pf.deposit("USD", Decimal("1000000"))
    start = pf.cash
    n = 0
    for symbol, side, qty, price, rate, source in seq:
        pf.apply_fill(make_fill(n, symbol, side, qty, price, rate, source))
        n += 1
    # close every position at its last fill price so all round trips are complete
    for symbol in sorted(INSTRUMENTS):
        q = pf.position_qty(symbol)
        if q:
            side = OrderSide.SELL if q > 0 else OrderSide.BUY
            last = pf.positions[symbol].last_price or Decimal(1)
            pf.apply_fill(make_fill(n, symbol, side, abs(q), last, Decimal("0.001"), "manual"))
            n += 1
    assert all(p.quantity == 0 for p in pf.positions.values())
    assert pf.realized_pnl() - pf.fees() == pf.cash - start
    assert pf.equity() == pf.cash


def test_flip_realizes_then_opens_at_fill_price() -> None:
    pf = Portfolio(INSTRUMENTS)
    pf.deposit("USD", Decimal("10000"))
    pf.apply_fill(
        make_fill(1, "BTC/USD", OrderSide.BUY, Decimal(2), Decimal(100), Decimal(0), "manual")
    )
    realized = pf.apply_fill(
        make_fill(2, "BTC/USD", OrderSide.SELL, Decimal(3), Decimal(110), Decimal(0), "manual")
    )
    pos = pf.positions["BTC/USD"]
    assert realized == Decimal(20)
    assert pos.quantity == Decimal(-1) and pos.avg_price == Decimal(110)
    pf.mark("BTC/USD", Decimal(100))
    assert pos.unrealized_pnl == Decimal(10)


def test_fee_in_base_currency_is_valued_at_the_fill_price() -> None:
    pf = Portfolio(INSTRUMENTS)
    pf.deposit("USD", Decimal("1000"))
    fill = Fill(
        "paper",
        "t1",
        "c1",
        None,
        "BTC/USD",
        OrderSide.BUY,
        Decimal(1),
        Decimal(100),
        Decimal("0.001"),
        "BTC",
        Liquidity.TAKER,
        1,
        "manual",
    )
    pf.apply_fill(fill)
    assert pf.balances["BTC"] == Decimal("0.999")
    assert pf.positions["BTC/USD"].fees == Decimal("0.1")
    pf.mark("BTC/USD", Decimal(100))
    assert pf.equity() == Decimal("999.9")
