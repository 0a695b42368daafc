"""Fee rates and the currency a fee is charged in."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.brokers.paper.config import FeeCurrency
from app.engine.domain.fills import Liquidity
from app.engine.domain.instruments import Instrument
from app.engine.domain.orders import OrderSide
from app.engine.domain.values import ONE

# Enum members as module constants: on Python 3.11 ``OrderSide.BUY`` goes through
# ``EnumType.__getattr__``'s slow lookup hook every time, and these run for every fill.
_BUY = OrderSide.BUY
_MAKER = Liquidity.MAKER
_BASE_ON_BUY = FeeCurrency.BASE_ON_BUY


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """Maker/taker rates (config override, else the instrument's) and the fee currency rule."""

    mode: FeeCurrency
    maker: Decimal | None = None
    taker: Decimal | None = None

    def rate(self, instrument: Instrument, liquidity: Liquidity) -> Decimal:
        if liquidity is _MAKER:
            return self.maker if self.maker is not None else instrument.maker_fee
        return self.taker if self.taker is not None else instrument.taker_fee

    def max_rate(self, instrument: Instrument) -> Decimal:
        maker = self.maker if self.maker is not None else instrument.maker_fee
        taker = self.taker if self.taker is not None else instrument.taker_fee
        return max(maker, taker)

    def buy_fee_in_base(self) -> bool:
        return self.mode is _BASE_ON_BUY

    def charge(
        self,
        instrument: Instrument,
        side: OrderSide,
        quantity: Decimal,
        price: Decimal,
        liquidity: Liquidity,
    ) -> tuple[Decimal, str]:
        """The fee for one fill and its currency. Kept exact: Decimal products of a few
        significant digits do not round, and balances must add up to the last digit."""
        rate = self.rate(instrument, liquidity)
        if side is _BUY and self.mode is _BASE_ON_BUY:  # buy_fee_in_base(), without the call
            return quantity * rate, instrument.base
        return quantity * price * rate, instrument.quote

    def buy_cost_factor(self, instrument: Instrument, liquidity: Liquidity) -> Decimal:
        """Quote spent per unit of notional on a buy fill (1 + rate when the fee is in quote)."""
        if self.buy_fee_in_base():
            return ONE
        return ONE + self.rate(instrument, liquidity)

    def buy_factors(self, instrument: Instrument, liquidity: Liquidity) -> tuple[Decimal, Decimal]:
        """(``buy_cost_factor``, ``buy_hold_factor``) in one call: asked for every buy fill."""
        if self.mode is _BASE_ON_BUY:
            return ONE, ONE
        maker = self.maker if self.maker is not None else instrument.maker_fee
        taker = self.taker if self.taker is not None else instrument.taker_fee
        return ONE + (maker if liquidity is _MAKER else taker), ONE + max(maker, taker)

    def buy_hold_factor(self, instrument: Instrument) -> Decimal:
        """Quote held per unit of notional for a working buy. The higher of the two rates,
        because a resting order can still fill as taker (a modify can make it marketable)."""
        if self.buy_fee_in_base():
            return ONE
        return ONE + self.max_rate(instrument)
