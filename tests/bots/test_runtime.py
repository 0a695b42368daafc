"""A bot on a real engine, real journal and paper exchange, fed bar by bar."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from app.bots.manager import BotManager, BotState
from app.engine.domain.errors import ValidationError
from app.engine.domain.market import Bar, Timeframe
from app.engine.domain.orders import OrderRequest, OrderSide, OrderStatus, OrderType
from app.strategies.base import OrderIntent, Sentiment
from tests.bots.conftest import Feed, bot, settle
from tests.bots.strategies import Driven, EveryN, Ticker, resolve
from tests.engine.harness import Harness


def driven(mgr: BotManager, bot_id: str, symbol: str = "BTC/USD") -> Driven:
    runner = mgr.get(bot_id).runner
    assert runner is not None
    strategy = runner.contexts[symbol].strategy
    assert isinstance(strategy, Driven)
    return strategy


async def test_orders_are_tagged_with_the_bot_and_fills_come_back(
    h: Harness, feed: Feed, mgr: BotManager
) -> None:
    mgr.create(bot("b1"))
    await mgr.start("b1")
    feed.bar("BTC/USD", "100.00")
    await settle(h, mgr)
    strat = driven(mgr, "b1")
    assert len(strat.bars) == 1 and strat.bars[0].close == 100.0
    strat.buy(tag="test entry")
    await settle(h, mgr)
    orders = list(h.engine.oms.orders.values())
    assert [(o.source, o.status, o.quantity) for o in orders] == [
        ("bot:b1", OrderStatus.FILLED, Decimal("0.5"))
    ]
    assert orders[0].client_id.startswith("tdbb1-")
    assert strat.position == 0.5 and strat.entry_price == pytest.approx(100.01)
    assert [(f.side, f.qty) for f in strat.fills] == [(OrderSide.BUY, 0.5)]
    fills = h.journal.load_fills(source="bot:b1")
    assert [(f.symbol, f.quantity) for f in fills] == [("BTC/USD", Decimal("0.5"))]
    assert "test entry" in mgr.get("b1").log.text()
    strat.close(tag="test exit")
    await settle(h, mgr)
    assert strat.position == 0.0
    closing = [o for o in h.engine.oms.orders.values() if o.role == "close"]
    assert len(closing) == 1 and closing[0].reduce_only and closing[0].source == "bot:b1"
    stats = mgr.stats("b1")
    assert stats.trades == 1


@pytest.mark.parametrize(
    ("sizing", "extra", "expected"),
    [
        ({"mode": "fixed_qty", "value": "0.3"}, {}, Decimal("0.3")),
        # 333.333 USD at the last trade 100.00 -> 3.33333 rounded down to the lot 0.0001
        ({"mode": "fixed_notional", "value": "333.333"}, {}, Decimal("3.3333")),
        # 1% of 100000 equity = 1000 USD at 100.00 (the last trade)
        ({"mode": "pct_equity", "value": "1"}, {}, Decimal("10")),
        # risk 0.1% of 100000 = 100 USD over the default 2% stop (2.00) -> 50 units
        ({"mode": "risk_pct", "value": "0.1"}, {"stop_loss_pct": "2"}, Decimal("50")),
        ({"mode": "compounding", "value": "300"}, {}, Decimal("3")),
    ],
)
async def test_sizing_modes(
    h: Harness,
    feed: Feed,
    mgr: BotManager,
    sizing: dict[str, str],
    extra: dict[str, str],
    expected: Decimal,
) -> None:
    mgr.create(bot("s1", sizing=sizing, **extra))
    await mgr.start("s1")
    feed.bar("BTC/USD", "100.00")
    await settle(h, mgr)
    driven(mgr, "s1").buy()
    await settle(h, mgr)
    entries = [o for o in h.engine.oms.orders.values() if o.role in (None, "entry")]
    assert [o.quantity for o in entries] == [expected], mgr.get("s1").log.text()


async def test_risk_sizing_uses_the_intents_stop(h: Harness, feed: Feed, mgr: BotManager) -> None:
    mgr.create(bot("r1", sizing={"mode": "risk_pct", "value": "0.1"}))
    await mgr.start("r1")
    feed.bar("BTC/USD", "100.00")
    await settle(h, mgr)
    strat = driven(mgr, "r1")
    strat.buy()  # no stop anywhere: risk sizing cannot size it
    await settle(h, mgr)
    assert not h.engine.oms.orders
    assert "stop_loss: risk % sizing needs a stop-loss" in mgr.get("r1").log.text()
    strat.buy(stop_loss=96.0)  # 100 USD at risk over a 4.00 stop -> 25 units
    await settle(h, mgr)
    (order,) = [o for o in h.engine.oms.orders.values() if o.role == "entry"]
    assert order.quantity == Decimal("25")
    sl = [o for o in h.engine.oms.orders.values() if o.role == "stop_loss"]
    assert [o.trigger_price for o in sl] == [Decimal("96.00")]


async def test_default_stop_loss_and_take_profit_are_attached(
    h: Harness, feed: Feed, mgr: BotManager
) -> None:
    mgr.create(bot("d1", stop_loss_pct="2", take_profit_pct="5"))
    await mgr.start("d1")
    feed.bar("BTC/USD", "100.00")
    await settle(h, mgr)
    driven(mgr, "d1").buy()
    await settle(h, mgr)
    children = {
        o.role: o for o in h.engine.oms.orders.values() if o.role in ("stop_loss", "take_profit")
    }
    assert set(children) == {"stop_loss", "take_profit"}
    # % from the fill price 100.01
    assert children["stop_loss"].trigger_price == Decimal("98.01")
    assert children["take_profit"].price == Decimal("105.01")
    assert all(o.source == "bot:d1" and o.is_working for o in children.values())
    # an intent's own target wins over the default; the default stop stays
    h.engine.oms.orders.clear()
    strat = driven(mgr, "d1")
    strat.buy(take_profit=110.0)
    await settle(h, mgr)
    (entry,) = [o for o in h.engine.oms.orders.values() if o.role == "entry"]
    kids = {o.role: o for o in h.engine.oms.orders.values() if o.parent_id == entry.client_id}
    assert kids["take_profit"].price == Decimal("110.00")
    assert kids["stop_loss"].trigger_price is not None


async def test_pause_drops_intents_but_keeps_feeding(
    h: Harness, feed: Feed, mgr: BotManager
) -> None:
    mgr.create(bot("p1"))
    await mgr.start("p1")
    mgr.pause("p1")
    assert mgr.get("p1").state is BotState.PAUSED
    feed.bar("BTC/USD", "101.00")
    await settle(h, mgr)
    strat = driven(mgr, "p1")
    assert len(strat.bars) == 1  # indicators and bars keep flowing
    strat.buy(tag="while paused")
    await settle(h, mgr)
    assert not h.engine.oms.orders
    assert "paused: dropped buy (while paused)" in mgr.get("p1").log.text()
    mgr.resume("p1")
    strat.buy()
    await settle(h, mgr)
    assert len(h.engine.oms.orders) == 1


async def test_one_order_in_flight_per_symbol(h: Harness, feed: Feed, mgr: BotManager) -> None:
    mgr.create(bot("f1"))
    await mgr.start("f1")
    feed.bar("BTC/USD", "100.00")
    await settle(h, mgr)
    strat = driven(mgr, "f1")
    strat.buy(limit=99.0, qty=0.2)  # rests
    strat.buy(qty=0.2)  # dropped: the first is in flight
    await settle(h, mgr)
    assert strat.ctx.pending()
    strat.buy(qty=0.2)  # dropped: the first is still working
    await settle(h, mgr)
    assert len(h.engine.oms.orders) == 1
    assert mgr.get("f1").log.text().count("an order is pending: dropped buy") == 2


async def test_stop_cancels_the_bots_orders_and_leaves_positions(
    h: Harness, feed: Feed, mgr: BotManager
) -> None:
    mgr.create(bot("s1", stop_loss_pct="3"))
    await mgr.start("s1")
    feed.bar("BTC/USD", "100.00")
    await settle(h, mgr)
    strat = driven(mgr, "s1")
    strat.buy()  # fills, with a stop-loss child
    await settle(h, mgr)
    strat.buy(limit=98.0, qty=0.2)  # rests
    await settle(h, mgr)
    manual = await h.engine.place_order(
        OrderRequest("BTC/USD", OrderSide.BUY, OrderType.LIMIT, "0.2", price="97.00")
    )
    resting = [
        o
        for o in h.engine.oms.orders.values()
        if o.type is OrderType.LIMIT and o.source == "bot:s1"
    ]
    assert len(resting) == 1 and resting[0].is_working
    await mgr.stop("s1")
    await settle(h, mgr)
    assert resting[0].status is OrderStatus.CANCELED
    assert manual.is_working  # not the bot's
    stop_loss = [o for o in h.engine.oms.orders.values() if o.role == "stop_loss"]
    assert stop_loss and stop_loss[0].is_working  # the position stays protected
    assert h.engine.portfolio.position_qty("BTC/USD") == Decimal("0.5")
    assert "positions stay open" in mgr.get("s1").log.text()
    assert mgr.get("s1").state is BotState.STOPPED
    # stopping with close_positions flattens the bot's book
    await mgr.start("s1")
    await mgr.stop("s1", close_positions=True)
    await settle(h, mgr)
    assert h.engine.portfolio.position_qty("BTC/USD") == 0
    assert not stop_loss[0].is_working


async def test_stop_and_close_waits_for_an_exit_still_being_journaled(
    h: Harness, feed: Feed, mgr: BotManager
) -> None:
    """Stopped while its own sell is between the journal and the venue: that sell holds the
    coins until its cancel lands, and the close must wait for it instead of being refused
    for want of them."""
    mgr.create(bot("j1"))
    await mgr.start("j1")
    feed.bar("BTC/USD", "100.00")
    await settle(h, mgr)
    strat = driven(mgr, "j1")
    strat.buy()  # fills
    await settle(h, mgr)
    held = h.engine.portfolio.position_qty("BTC/USD")
    assert held > 0
    exit_sell = asyncio.ensure_future(
        h.engine.place_order(
            OrderRequest("BTC/USD", OrderSide.SELL, OrderType.LIMIT, held, price="104.00",
                         source="bot:j1")
        )
    )  # fmt: skip
    await asyncio.sleep(0)  # journaled (pending), not yet at the venue
    assert [o.status for o in h.engine.oms.working("BTC/USD", "bot:j1")] == [OrderStatus.SUBMITTED]
    await mgr.stop("j1", close_positions=True)
    await exit_sell
    await settle(h, mgr)
    assert "refused" not in mgr.get("j1").log.text()
    assert h.engine.portfolio.position_qty("BTC/USD") == 0


async def test_manual_buy_changes_what_the_bot_sees(
    h: Harness, feed: Feed, mgr: BotManager
) -> None:
    mgr.create(bot("m1"))
    await mgr.start("m1")
    feed.bar("BTC/USD", "100.00")
    await settle(h, mgr)
    strat = driven(mgr, "m1")
    strat.buy()
    await settle(h, mgr)
    assert strat.position == 0.5
    await h.engine.place_order(OrderRequest("BTC/USD", OrderSide.BUY, OrderType.MARKET, "0.25"))
    await settle(h, mgr)
    assert strat.position == 0.75  # the account's real position
    assert strat.ctx.entry_price() == pytest.approx(100.01)
    strat.close()  # closes the real position
    await settle(h, mgr)
    assert h.engine.portfolio.position_qty("BTC/USD") == 0
    # a manual fill is not the bot's fill
    assert [f.qty for f in strat.fills] == [0.5, 0.75]


async def test_a_raising_strategy_errors_that_bot_only(
    h: Harness, feed: Feed, mgr: BotManager
) -> None:
    mgr.create(bot("bad", strategy="raiser", params={"after": 2}))
    mgr.create(bot("good", strategy="every_n", params={"hold": 1, "warm": 0}, symbols=["ETH/USD"]))
    await mgr.start("bad")
    await mgr.start("good")
    for i in range(4):
        feed.bar("BTC/USD", f"{100 + i}.00")
        feed.bar("ETH/USD", f"{50 + i}.00")
        await settle(h, mgr)
    bad = mgr.get("bad")
    assert bad.state is BotState.ERRORED
    assert bad.error == "RuntimeError: boom in strategy code"
    text = bad.log.text()
    assert "Traceback (most recent call last)" in text and "in on_bar" in text
    assert bad.runner is None and bad.task is None
    good = mgr.get("good")
    assert good.state is BotState.RUNNING
    eth = [o for o in h.engine.oms.orders.values() if o.source == "bot:good"]
    assert len(eth) >= 3  # in, out, in: it kept trading after the other bot died
    # errored bots can be restarted (and edited)
    mgr.edit("bad", bot("bad", strategy="raiser", params={"after": 100}))
    await mgr.start("bad")
    assert mgr.get("bad").state is BotState.RUNNING and mgr.get("bad").error is None


async def test_warm_up_feeds_history_with_trading_off(
    h: Harness, feed: Feed, mgr: BotManager
) -> None:
    feed.past("BTC/USD", [f"{90 + i}.00" for i in range(30)])
    mgr.create(bot("w1", strategy="every_n", params={"warm": 5, "hold": 1}))
    await mgr.start("w1")
    runner = mgr.get("w1").runner
    assert runner is not None
    ctx = runner.contexts["BTC/USD"]
    strat = ctx.strategy
    assert isinstance(strat, EveryN)
    assert strat.bars_seen == 25  # warm-up 5 + margin 20
    assert strat.intents == 25 and ctx.dropped_warmup == 25
    assert not h.engine.oms.orders
    assert len(ctx.history(10)) == 10 and ctx.history(10).close[-1] == 119.0
    feed.bar("BTC/USD", "120.00")
    await settle(h, mgr)
    assert len(h.engine.oms.orders) == 1


async def test_bars_are_aggregated_into_the_bots_timeframe(
    h: Harness, feed: Feed, mgr: BotManager
) -> None:
    mgr.create(bot("a5", timeframe="5m"))
    await mgr.start("a5")
    closes = ["100", "103", "99", "101", "102", "104", "104", "104", "104", "110"]
    for c in closes:
        feed.bar("BTC/USD", c)
    await settle(h, mgr)
    bars = driven(mgr, "a5").bars
    assert [(b.open, b.high, b.low, b.close, b.volume) for b in bars] == [
        (100.0, 103.0, 99.0, 102.0, 50.0),
        (104.0, 110.0, 104.0, 110.0, 50.0),
    ]
    assert bars[1].ts - bars[0].ts == 300 * 10**9


async def test_bot_limits(h: Harness, feed: Feed, mgr: BotManager) -> None:
    limits = {"max_orders_per_hour": 2, "max_position_notional": "120"}
    mgr.create(bot("l1", limits=limits))
    await mgr.start("l1")
    feed.bar("BTC/USD", "100.00")
    await settle(h, mgr)
    strat = driven(mgr, "l1")
    strat.buy(qty=1.5)  # 150 USD > 120
    await settle(h, mgr)
    assert not h.engine.oms.orders
    assert "max_position_notional" in mgr.get("l1").log.text()
    strat.buy(qty=0.5)
    await settle(h, mgr)
    strat.buy(qty=0.5)  # 100 USD in all: allowed, second order this hour
    await settle(h, mgr)
    strat.buy(qty=0.1)  # third order this hour
    await settle(h, mgr)
    assert len(h.engine.oms.orders) == 2
    assert "max_orders_per_hour" in mgr.get("l1").log.text()
    strat.close()  # exits always pass
    await settle(h, mgr)
    assert h.engine.portfolio.position_qty("BTC/USD") == 0


async def test_daily_loss_limit_blocks_new_entries(h: Harness, feed: Feed, mgr: BotManager) -> None:
    mgr.create(
        bot("dl", limits={"max_daily_loss": "5"}, sizing={"mode": "fixed_qty", "value": "2"})
    )
    await mgr.start("dl")
    feed.bar("BTC/USD", "100.00")
    await settle(h, mgr)
    strat = driven(mgr, "dl")
    strat.buy()
    await settle(h, mgr)
    feed.bar("BTC/USD", "96.00")  # 2 x -4 = -8 unrealized
    await settle(h, mgr)
    strat.close()
    await settle(h, mgr)
    strat.buy()
    await settle(h, mgr)
    assert "max_daily_loss" in mgr.get("dl").log.text()
    assert h.engine.portfolio.position_qty("BTC/USD") == 0


def test_lifecycle_rules(mgr: BotManager) -> None:
    mgr.create(bot("x1"))
    with pytest.raises(ValidationError) as err:
        mgr.create(bot("x1"))
    assert err.value.field == "id"
    with pytest.raises(ValidationError) as err:
        mgr.pause("x1")
    assert err.value.field == "state"
    with pytest.raises(ValidationError) as err:
        mgr.get("nope")
    assert err.value.field == "bot"


async def test_edit_and_delete_only_when_stopped(h: Harness, mgr: BotManager) -> None:
    mgr.create(bot("e1"))
    await mgr.start("e1")
    with pytest.raises(ValidationError, match="stop the bot"):
        mgr.edit("e1", bot("e1", timeframe="5m"))
    with pytest.raises(ValidationError, match="stop the bot"):
        mgr.delete("e1")
    await mgr.stop("e1")
    mgr.edit("e1", bot("e1", timeframe="5m"))
    assert mgr.get("e1").config.timeframe.value == "5m"
    mgr.delete("e1")
    assert "e1" not in mgr.bots
    await h.settle()
    assert h.journal.get_kv("bots") == []
    assert h.journal.get_kv("bots/e1") is None


async def test_compounding_reinvests_realized_profit(
    h: Harness, feed: Feed, mgr: BotManager
) -> None:
    mgr.create(bot("c1", sizing={"mode": "compounding", "value": "300"}))
    await mgr.start("c1")
    feed.bar("BTC/USD", "100.00")
    await settle(h, mgr)
    strat = driven(mgr, "c1")
    strat.buy()  # 300 / 100.00 = 3, filled at the ask 100.01
    await settle(h, mgr)
    feed.bar("BTC/USD", "110.00")
    await settle(h, mgr)
    strat.close()  # sold at the bid 109.99
    await settle(h, mgr)
    # realized 3 x 9.98 = 29.94, fees 0.30003 + 0.32997 = 0.63 -> 29.31 net
    assert mgr.stats("c1").realized - mgr.stats("c1").fees == Decimal("29.31")
    strat.buy()  # (300 + 29.31) / 110.00 = 2.99372... -> 2.9937
    await settle(h, mgr)
    entries = [o.quantity for o in h.engine.oms.orders.values() if o.side is OrderSide.BUY]
    assert entries == [Decimal("3"), Decimal("2.9937")]


async def test_ticks_sentiment_and_several_symbols(h: Harness, feed: Feed) -> None:
    seen: list[str] = []

    def sentiment(symbol: str) -> Sentiment | None:
        seen.append(symbol)
        return Sentiment(0.25, 3, 1) if symbol == "ETH/USD" else None

    mgr = BotManager(h.engine, resolve=resolve, sentiment=sentiment)
    try:
        mgr.create(bot("t1", strategy="ticker", symbols=["BTC/USD", "ETH/USD"]))
        await mgr.start("t1")
        runner = mgr.get("t1").runner
        assert runner is not None and set(runner.contexts) == {"BTC/USD", "ETH/USD"}
        feed.bar("BTC/USD", "101.00")
        feed.bar("ETH/USD", "51.00")
        feed.bar("ETH/USD", "52.00")
        await settle(h, mgr)
        btc, eth = runner.contexts["BTC/USD"], runner.contexts["ETH/USD"]
        assert isinstance(btc.strategy, Ticker) and isinstance(eth.strategy, Ticker)
        assert btc.strategy.ticks == [101.0] and eth.strategy.ticks == [51.0, 52.0]
        assert eth.sentiment() == Sentiment(0.25, 3, 1) and btc.sentiment() is None
        eth.log("hello")
        assert "[ETH/USD] hello" in mgr.get("t1").log.text()
    finally:
        await mgr.close()


async def test_an_errored_bot_cancels_its_working_orders(
    h: Harness, feed: Feed, mgr: BotManager
) -> None:
    mgr.create(bot("e2", strategy="ticker", params={"raise_on_fill": True}))
    await mgr.start("e2")
    feed.bar("BTC/USD", "100.00")
    await settle(h, mgr)
    runner = mgr.get("e2").runner
    assert runner is not None
    strat = runner.contexts["BTC/USD"].strategy
    strat.buy(limit=99.0, qty=0.2)  # rests
    await settle(h, mgr)
    (resting,) = h.engine.oms.orders.values()
    strat.ctx.submit(OrderIntent(OrderSide.BUY, 0.2))  # dropped: pending
    feed.bar("BTC/USD", "98.50")  # the resting buy fills -> on_fill raises
    await settle(h, mgr)
    bot_ = mgr.get("e2")
    assert bot_.state is BotState.ERRORED
    assert bot_.error == "ValueError: cannot handle fills"
    assert "in on_fill" in bot_.log.text()
    await h.settle()
    saved = h.journal.get_kv("bots/e2")
    assert saved["state"] == "errored" and saved["error"] == bot_.error
    # a new manager (a restart) shows the bot errored, its traceback still in its log
    again = BotManager(h.engine, resolve=resolve)
    try:
        await again.restore()
        assert again.get("e2").state is BotState.ERRORED
        assert "in on_fill" in again.get("e2").log.text()
    finally:
        await again.close()
    assert resting.status is OrderStatus.FILLED


async def test_an_errored_bot_cancels_its_resting_orders(
    h: Harness, feed: Feed, mgr: BotManager
) -> None:
    mgr.create(bot("e3", strategy="ticker", params={"raise_at_bar": 2}))
    mgr.create(bot("other", symbols=["ETH/USD"]))
    await mgr.start("e3")
    await mgr.start("other")
    feed.bar("BTC/USD", "100.00")
    await settle(h, mgr)
    runner = mgr.get("e3").runner
    assert runner is not None
    runner.contexts["BTC/USD"].strategy.buy(limit=97.0, qty=0.2)
    driven(mgr, "other", "ETH/USD").buy(limit=48.0, qty=0.5)
    await settle(h, mgr)
    mine, theirs = sorted(h.engine.oms.orders.values(), key=lambda o: o.symbol)
    assert mine.is_working and theirs.is_working
    feed.bar("BTC/USD", "100.50")  # bar 2: the strategy raises
    await settle(h, mgr)
    assert mgr.get("e3").state is BotState.ERRORED
    assert mgr.get("e3").error == "KeyError: 'missing state'"
    assert mine.status is OrderStatus.CANCELED
    assert theirs.is_working and mgr.get("other").state is BotState.RUNNING


async def test_a_restored_bot_knows_its_working_order(
    h: Harness, feed: Feed, mgr: BotManager
) -> None:
    mgr.create(bot("rb", strategy="limit_bid"))
    await mgr.start("rb")
    feed.bar("BTC/USD", "100.00")
    await settle(h, mgr)
    (resting,) = h.engine.oms.orders.values()
    assert resting.is_working and resting.source == "bot:rb"
    await mgr.close()  # a shutdown: the saved state stays "running"
    await h.settle()
    again = BotManager(h.engine, history=feed.history_source, resolve=resolve)
    try:
        assert await again.restore() == []
        restored = again.get("rb")
        assert restored.state is BotState.RUNNING and restored.runner is not None
        ctx = restored.runner.contexts["BTC/USD"]
        assert ctx.pending() and ctx.order is resting
    finally:
        await again.close()


async def test_warm_up_on_a_longer_timeframe_seeds_the_bucket_in_progress(
    h: Harness, feed: Feed
) -> None:
    start = feed.start_ns
    minute = 60 * 10**9

    def m(ts: int, price: str, tf: Timeframe = Timeframe.M1) -> Bar:
        p = Decimal(price)
        return Bar("BTC/USD", tf, p, p, p, p, Decimal("10"), ts, True)

    def history(symbol: str, tf: Timeframe, limit: int) -> list[Bar]:
        if tf is Timeframe.M5:
            return [m(start - k * 5 * minute, f"{90 + k}", tf) for k in (3, 2, 1)][-limit:]
        # the last five closed minutes: three of the previous bucket, two of the current
        return [m(start + k * minute, f"{100 + k}") for k in (-3, -2, -1, 0, 1)][-limit:]

    mgr = BotManager(h.engine, history=history, resolve=resolve)
    try:
        mgr.create(bot("w5", timeframe="5m"))
        await mgr.start("w5")
        strat = driven(mgr, "w5")
        assert [b.close for b in strat.bars] == [93.0, 92.0, 91.0]
        feed.next_ts["BTC/USD"] = start + 2 * minute
        for price in ("102", "107", "104"):
            feed.bar("BTC/USD", price)
        await settle(h, mgr)
        last = strat.bars[-1]
        # minutes 0 and 1 came from history, 2-4 live: one whole bar
        assert (last.ts, last.open, last.high, last.low, last.close, last.volume) == (
            start,
            100.0,
            107.0,
            100.0,
            104.0,
            50.0,
        )
    finally:
        await mgr.close()
