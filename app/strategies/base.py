"""The Strategy API: one class runs live, on paper and in the backtester.

A strategy sees the market one closed bar at a time (``on_bar``), optionally every trade
(``on_tick``, live only), its own fills (``on_fill``), and can read its indicators, the
account's real position on its symbol, the portfolio's equity and cash, and recent history.
It acts only by *intents* (``buy``, ``sell``, ``close``): the runtime sizes them (the bot's
or backtest's sizing rule when ``qty`` is None), attaches the default stop-loss/take-profit
when the intent has none, and sends them through the engine's risk gate like any manual
order. A strategy never awaits anything, never touches the network and never imports a
broker: the runtime behind ``StrategyContext`` is what differs between live and backtest.

Indicators declared with ``self.indicator(...)`` in ``on_start`` are fed by the runtime
before each ``on_bar``: live runtimes call ``update_candle`` (O(1) per bar); the backtester
may instead compute the whole history at once with ``batch`` and set ``value`` bar by bar.
Both give the same numbers, so the strategy's code path is the same.

Lifecycle: ``on_start`` → (warm-up bars, during which intents are ignored) → ``on_bar``... →
``on_stop``. One instance trades one symbol; a bot on several symbols runs one per symbol.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from app.engine.domain.errors import ValidationError
from app.engine.domain.orders import OrderSide
from app.engine.series import BarSeries, Candle
from app.strategies.params import Param, Params, ParamValue, validate_params

if TYPE_CHECKING:
    from app.strategies.indicators import Indicator

I = TypeVar("I", bound="Indicator[Any]")  # noqa: E741 - the conventional name


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """What a strategy wants. Prices are absolute; ``qty`` None means "size it for me".

    ``close`` exits the account's whole position on the symbol (side is then the side that
    reduces it). ``limit`` makes it a limit order instead of a market order. ``tag`` says why
    (it lands in the bot's log)."""

    side: OrderSide
    qty: float | None = None
    limit: float | None = None
    stop_loss: float | None = None
    take_profit: float | None = None
    close: bool = False
    tag: str = ""


@dataclass(frozen=True, slots=True)
class StrategyFill:
    """One of this strategy's fills, in floats."""

    side: OrderSide
    qty: float
    price: float
    fee: float
    ts: int
    tag: str = ""


@dataclass(frozen=True, slots=True)
class Sentiment:
    """News sentiment for a symbol: ``score`` in [-1, 1], from ``headlines`` recent items."""

    score: float
    headlines: int
    ts: int


class StrategyContext(Protocol):
    """What a runtime (bot, backtest, the auto strategy's shadow book) offers a strategy."""

    symbol: str
    timeframe: str

    def position(self) -> float:
        """The account's real position on ``symbol`` (base units; negative when short)."""
        ...

    def entry_price(self) -> float | None:
        """Average entry price of that position, None when flat."""
        ...

    def equity(self) -> float: ...

    def cash(self) -> float: ...

    def history(self, n: int) -> BarSeries:
        """The last ``n`` closed bars (fewer at the start), the current one last."""
        ...

    def now_ns(self) -> int: ...

    def pending(self) -> bool:
        """An order of this strategy is on its way and not yet settled."""
        ...

    def submit(self, intent: OrderIntent) -> None: ...

    def log(self, message: str) -> None: ...

    def sentiment(self) -> Sentiment | None:
        """Latest news sentiment for ``symbol``; None without a news source."""
        ...


class Strategy(ABC):
    """Base class. Subclasses set ``id``, ``name``, ``summary`` (one paragraph: idea,
    entries, exits, parameters), ``params``, and implement ``on_bar``."""

    id: ClassVar[str] = ""
    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    params: ClassVar[tuple[Param, ...]] = ()
    default_timeframe: ClassVar[str] = "1m"

    def __init__(self, ctx: StrategyContext, params: Mapping[str, object] | None = None) -> None:
        values = validate_params(self.params, params or {})
        self.check_params(values)
        self.ctx = ctx
        self.p = Params(values)
        self.indicators: list[Indicator[Any]] = []
        self.bars_seen = 0

    # --- declaration ----------------------------------------------------------------------
    @classmethod  # noqa: B027 - optional hook: no cross-parameter rule by default
    def check_params(cls, values: Mapping[str, ParamValue]) -> None:
        """Rules across parameters (e.g. fast < slow); raise ValidationError naming one."""

    @classmethod
    def validated(cls, params: Mapping[str, object]) -> dict[str, ParamValue]:
        values = validate_params(cls.params, params)
        cls.check_params(values)
        return values

    def indicator(self, ind: I) -> I:
        """Register an indicator for the runtime to feed before each ``on_bar``."""
        self.indicators.append(ind)
        return ind

    @property
    def warmup(self) -> int:
        """Bars needed before every registered indicator has a value (after ``on_start``)."""
        return max((ind.warmup for ind in self.indicators), default=0)

    # --- lifecycle hooks ------------------------------------------------------------------
    def on_start(self) -> None:  # noqa: B027 - optional hook
        """Declare indicators and state. Called once, before any bar."""

    @abstractmethod
    def on_bar(self, bar: Candle) -> None:
        """One closed bar: read indicators and state, maybe submit intents."""

    def on_tick(self, price: float, size: float, ts: int) -> None:  # noqa: B027 - optional hook
        """Every trade print (live and paper only; the backtester runs on bars)."""

    def on_fill(self, fill: StrategyFill) -> None:  # noqa: B027 - optional hook
        """One of this strategy's orders filled (partly)."""

    def on_stop(self) -> None:  # noqa: B027 - optional hook
        """The bot is stopping: release anything held. Orders are the runtime's business."""

    def feed(self, bar: Candle) -> None:
        """The live runtime's step: update every registered indicator, then ``on_bar``."""
        for ind in self.indicators:
            ind.update_candle(bar)
        self.bars_seen += 1
        self.on_bar(bar)

    # --- reading --------------------------------------------------------------------------
    @property
    def position(self) -> float:
        return self.ctx.position()

    @property
    def flat(self) -> bool:
        return self.ctx.position() == 0

    @property
    def entry_price(self) -> float | None:
        return self.ctx.entry_price()

    @property
    def equity(self) -> float:
        return self.ctx.equity()

    @property
    def cash(self) -> float:
        return self.ctx.cash()

    def history(self, n: int) -> BarSeries:
        return self.ctx.history(n)

    # --- acting ---------------------------------------------------------------------------
    def buy(
        self,
        *,
        qty: float | None = None,
        limit: float | None = None,
        stop_loss: float | None = None,
        take_profit: float | None = None,
        tag: str = "",
    ) -> None:
        self.ctx.submit(OrderIntent(OrderSide.BUY, qty, limit, stop_loss, take_profit, tag=tag))

    def sell(
        self,
        *,
        qty: float | None = None,
        limit: float | None = None,
        stop_loss: float | None = None,
        take_profit: float | None = None,
        tag: str = "",
    ) -> None:
        self.ctx.submit(OrderIntent(OrderSide.SELL, qty, limit, stop_loss, take_profit, tag=tag))

    def close(self, tag: str = "") -> None:
        """Exit the whole position on this symbol (no-op when flat)."""
        pos = self.ctx.position()
        if pos != 0:
            side = OrderSide.SELL if pos > 0 else OrderSide.BUY
            self.ctx.submit(OrderIntent(side, abs(pos), close=True, tag=tag))

    def log(self, message: str) -> None:
        self.ctx.log(message)


def require(condition: bool, field: str, rule: str, value: object = None) -> None:
    """For ``check_params``: raise ValidationError(field, rule) unless ``condition``."""
    if not condition:
        raise ValidationError(field, rule, value)


def require_less(values: Mapping[str, ParamValue], low: str, high: str) -> None:
    """For ``check_params``: parameter ``low`` must be below parameter ``high``."""
    top = values[high]
    require(float(values[low]) < float(top), low, f"must be less than {high} ({top})", values[low])
