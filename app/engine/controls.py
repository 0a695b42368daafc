"""Trading state, the kill switch and the daily-loss circuit breaker.

- ACTIVE: everything allowed. REDUCING: only orders that reduce a position (the breaker's
  state). HALTED: nothing new is sent (the kill switch's state), except its own flatten orders.
- The kill switch halts, cancels every working order and, if asked, flattens every position.
- The breaker compares today's P&L (equity now minus equity at the start of the UTC day) with
  the daily loss limit. When tripped it moves to REDUCING and cancels working entry orders;
  protective stop-loss/take-profit orders stay, because pulling the stop of a losing position
  is the opposite of controlling risk.
- State, the breaker's trip and the day's starting equity are kept in the journal, so a
  restart on the same UTC day comes back in the same state.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from app.engine.bus import Bus
from app.engine.clock import utc_day
from app.engine.domain.events import Alert, TradingState, TradingStateChanged
from app.engine.flatten import flatten_all
from app.engine.journal_port import JournalPort
from app.engine.oms import OrderManager
from app.engine.portfolio import Portfolio
from app.engine.risk import RiskGate

log = logging.getLogger(__name__)
STATE_KEY = "trading_state"
DAY_KEY = "day_start"


class TradingControls:
    def __init__(
        self,
        bus: Bus,
        journal: JournalPort,
        risk: RiskGate,
        portfolio: Portfolio,
        oms: OrderManager,
    ) -> None:
        self.bus = bus
        self.journal = journal
        self.risk = risk
        self.portfolio = portfolio
        self.oms = oms
        self.reason = ""
        self.breaker_tripped = False
        self.day = ""
        self.day_start_equity = Decimal(0)
        self._day_pending = False  # opening equity waits for prices (see roll_day)

    @property
    def state(self) -> TradingState:
        return self.risk.state

    # --- persistence ----------------------------------------------------------------------
    def restore(self, now: int) -> None:
        today = utc_day(now)
        saved = self.journal.get_kv(STATE_KEY) or {}
        state = TradingState(saved.get("state", TradingState.ACTIVE.value))
        breaker_day = saved.get("breaker_day")
        if breaker_day == today:
            self.breaker_tripped = True
        elif state is TradingState.REDUCING and saved.get("by_breaker"):
            state = TradingState.ACTIVE  # yesterday's breaker: a new day starts clean
        self.reason = str(saved.get("reason", ""))
        self.risk.state = state
        self.risk.halt_reason = self.reason
        day = self.journal.get_kv(DAY_KEY) or {}
        if day.get("day") == today:
            self.day = today
            self.day_start_equity = Decimal(str(day["equity"]))
        else:
            self.roll_day(now)

    def roll_day(self, now: int) -> None:
        """Today's opening equity. A venue account starts before its first prices: equity
        counted then would value its coins at nothing and report their whole worth as
        today's profit, so the figure waits (``check_breaker``) until every asset is priced."""
        self.day = utc_day(now)
        self._day_pending = self.portfolio.awaiting_prices()
        self.day_start_equity = self.portfolio.equity()
        if not self._day_pending:
            self.journal.set_kv(DAY_KEY, {"day": self.day, "equity": str(self.day_start_equity)})

    def _set_state(self, state: TradingState, reason: str, now: int, *, by_breaker: bool) -> None:
        log.warning("trading state %s: %s", state.value.upper(), reason)
        self.risk.state = state
        self.reason = reason
        self.risk.halt_reason = reason
        self.journal.set_kv(
            STATE_KEY,
            {
                "state": state.value,
                "reason": reason,
                "by_breaker": by_breaker,
                "breaker_day": self.day if self.breaker_tripped else None,
            },
        )
        self.bus.publish(TradingStateChanged(state, reason, now))

    # --- figures --------------------------------------------------------------------------
    def day_pnl(self, equity: Decimal | None = None) -> Decimal:
        """Today's P&L; ``equity`` when the caller has just computed it (it sums every
        asset at its mark)."""
        if self._day_pending:
            return Decimal(0)
        now = self.portfolio.equity() if equity is None else equity
        return now - self.day_start_equity

    # --- actions --------------------------------------------------------------------------
    async def kill_switch(self, now: int, *, flatten: bool = False) -> int:
        """Halt, cancel every working order, optionally flatten. Returns orders canceled."""
        self._set_state(TradingState.HALTED, "kill switch", now, by_breaker=False)
        self.bus.publish(Alert("critical", "Kill switch", "Trading halted", now))
        canceled = await self.oms.cancel_all()
        if flatten:
            await flatten_all(self.oms)
        return canceled

    def resume(self, now: int) -> None:
        """Back to ACTIVE, unless today's breaker has tripped (then REDUCING until tomorrow)."""
        if self.breaker_tripped and utc_day(now) == self.day:
            self._set_state(TradingState.REDUCING, "daily loss limit hit", now, by_breaker=True)
        else:
            self.breaker_tripped = False
            self._set_state(TradingState.ACTIVE, "resumed", now, by_breaker=False)

    def set_state(self, state: TradingState, reason: str, now: int) -> None:
        self._set_state(state, reason, now, by_breaker=False)

    async def check_breaker(self, now: int) -> bool:
        """Trip the breaker if today's loss reached the limit. Returns True when it trips."""
        if self._day_pending and utc_day(now) == self.day:
            if self.portfolio.awaiting_prices():
                return False  # no honest day P&L yet
            self.roll_day(now)
        if utc_day(now) != self.day:
            self.roll_day(now)
            if self.breaker_tripped:
                self.breaker_tripped = False
                if self.risk.state is TradingState.REDUCING:
                    self._set_state(TradingState.ACTIVE, "new trading day", now, by_breaker=False)
        limit = self.risk.limits.daily_loss_limit
        if limit is None or self.breaker_tripped:
            return False
        pnl = self.day_pnl()
        if pnl > -limit:
            return False
        self.breaker_tripped = True
        message = f"day P&L {pnl:.2f} reached the daily loss limit -{limit}"
        log.warning("circuit breaker: %s", message)
        if self.risk.state is not TradingState.HALTED:
            self._set_state(TradingState.REDUCING, "daily loss limit hit", now, by_breaker=True)
        else:
            self._set_state(TradingState.HALTED, self.reason, now, by_breaker=False)
        self.bus.publish(Alert("critical", "Daily loss breaker tripped", message, now))
        await self.oms.cancel_all(keep_protective=True)
        return True
