"""What a bot is: a strategy on one or more symbols, its parameters, how it sizes orders,
the stop-loss/take-profit it attaches when the strategy sets none, and its own limits.

``BotConfig.build`` is the one validating constructor (the dialog, the manager and the
store all go through it); a bad value raises ValidationError naming the field
(``symbols``, ``params.fast``, ``sizing value``, ``max_daily_loss``...). ``to_mapping`` /
``from_mapping`` round-trip through JSON (Decimals as exact strings).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.engine.domain.errors import ValidationError
from app.engine.domain.market import Timeframe
from app.engine.domain.values import to_decimal
from app.engine.sizing import Sizing, SizingMode
from app.strategies.base import Strategy
from app.strategies.params import ParamValue

_ID_RE = re.compile(r"^[A-Za-z0-9_]{1,12}$")
MAX_NAME = 60

StrategyResolver = Callable[[str], type[Strategy]]


@dataclass(frozen=True, slots=True)
class BotLimits:
    """The bot's own limits, checked before an order reaches the engine's risk gate.
    None means no limit."""

    max_position_notional: Decimal | None = None
    max_orders_per_hour: int | None = None
    max_daily_loss: Decimal | None = None

    def to_mapping(self) -> dict[str, str | int | None]:
        return {
            "max_position_notional": _text(self.max_position_notional),
            "max_orders_per_hour": self.max_orders_per_hour,
            "max_daily_loss": _text(self.max_daily_loss),
        }

    @classmethod
    def from_mapping(cls, raw: Mapping[str, object]) -> BotLimits:
        orders = raw.get("max_orders_per_hour")
        per_hour: int | None = None
        if orders not in (None, ""):
            number = _positive("max_orders_per_hour", orders)
            if number != number.to_integral_value():
                raise ValidationError("max_orders_per_hour", "must be a whole number", orders)
            per_hour = int(number)
        return cls(
            max_position_notional=_optional_positive(
                "max_position_notional", raw.get("max_position_notional")
            ),
            max_orders_per_hour=per_hour,
            max_daily_loss=_optional_positive("max_daily_loss", raw.get("max_daily_loss")),
        )


@dataclass(frozen=True, slots=True)
class BotConfig:
    id: str
    name: str
    strategy: str
    symbols: tuple[str, ...]
    timeframe: Timeframe
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    sizing: Sizing = field(default_factory=lambda: Sizing(SizingMode.FIXED_QTY, Decimal(1)))
    stop_loss_pct: Decimal | None = None
    take_profit_pct: Decimal | None = None
    limits: BotLimits = field(default_factory=BotLimits)

    @property
    def source(self) -> str:
        return f"bot:{self.id}"

    def to_mapping(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "strategy": self.strategy,
            "symbols": list(self.symbols),
            "timeframe": self.timeframe.value,
            "params": dict(self.params),
            "sizing": self.sizing.to_mapping(),
            "stop_loss_pct": _text(self.stop_loss_pct),
            "take_profit_pct": _text(self.take_profit_pct),
            "limits": self.limits.to_mapping(),
        }

    @classmethod
    def from_mapping(
        cls,
        raw: Mapping[str, Any],
        *,
        resolve: StrategyResolver,
        symbols: Collection[str] | None = None,
    ) -> BotConfig:
        """Validate a mapping (from the dialog, the CLI or the store) into a config."""
        return cls.build(
            id=raw.get("id"),
            name=raw.get("name"),
            strategy=raw.get("strategy"),
            symbols=raw.get("symbols"),
            timeframe=raw.get("timeframe"),
            params=raw.get("params") or {},
            sizing=raw.get("sizing"),
            stop_loss_pct=raw.get("stop_loss_pct"),
            take_profit_pct=raw.get("take_profit_pct"),
            limits=raw.get("limits"),
            resolve=resolve,
            known_symbols=symbols,
        )

    @classmethod
    def build(
        cls,
        *,
        id: object,
        name: object,
        strategy: object,
        symbols: object,
        timeframe: object,
        params: object,
        sizing: Sizing | Mapping[str, object] | None,
        stop_loss_pct: object,
        take_profit_pct: object,
        limits: BotLimits | Mapping[str, object] | None,
        resolve: StrategyResolver,
        known_symbols: Collection[str] | None = None,
    ) -> BotConfig:
        """Checks the fields in the order a form shows them, so the first error a trader
        sees is the topmost one."""
        bot_id = str(id or "").strip()
        if not _ID_RE.match(bot_id):
            raise ValidationError("id", "must be 1-12 letters, digits or _", id)
        text = str(name or "").strip() or bot_id
        if len(text) > MAX_NAME:
            raise ValidationError("name", f"must be at most {MAX_NAME} characters", name)
        strategy_id = str(strategy or "").strip()
        if not strategy_id:
            raise ValidationError("strategy", "is required")
        cls_ = resolve(strategy_id)  # raises ValidationError("strategy", ...) when unknown
        chosen = _symbols(symbols, known_symbols)
        try:
            frame = Timeframe(str(timeframe or cls_.default_timeframe))
        except ValueError:
            allowed = ", ".join(t.value for t in Timeframe)
            raise ValidationError("timeframe", f"must be one of {allowed}", timeframe) from None
        if not isinstance(params, Mapping):
            raise ValidationError("params", "must be a mapping of name to value", params)
        try:
            values = cls_.validated(params)
        except ValidationError as exc:
            raise ValidationError(f"params.{exc.field}", exc.rule, exc.value) from None
        if sizing is None:
            sizing = Sizing(SizingMode.FIXED_QTY, Decimal(1))
        elif not isinstance(sizing, Sizing):
            if not isinstance(sizing, Mapping):
                raise ValidationError("sizing", "must be a mapping with mode and value", sizing)
            sizing = Sizing.from_mapping(sizing)
        sl = _optional_pct("stop_loss_pct", stop_loss_pct)
        tp = _optional_pct("take_profit_pct", take_profit_pct)
        if limits is None:
            limits = BotLimits()
        elif not isinstance(limits, BotLimits):
            if not isinstance(limits, Mapping):
                raise ValidationError("limits", "must be a mapping", limits)
            limits = BotLimits.from_mapping(limits)
        return cls(bot_id, text, strategy_id, chosen, frame, values, sizing, sl, tp, limits)


def _symbols(raw: object, known: Collection[str] | None) -> tuple[str, ...]:
    if isinstance(raw, str):
        items: Sequence[object] = [s for s in raw.split(",")]
    elif isinstance(raw, Sequence):
        items = raw
    else:
        raise ValidationError("symbols", "must be a list of symbols", raw)
    out: list[str] = []
    for item in items:
        symbol = str(item).strip()
        if not symbol:
            continue
        if known is not None and symbol not in known:
            raise ValidationError("symbols", f"unknown symbol {symbol!r}", symbol)
        if symbol in out:
            raise ValidationError("symbols", f"{symbol} is listed twice", symbol)
        out.append(symbol)
    if not out:
        raise ValidationError("symbols", "at least one symbol is required")
    return tuple(out)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _positive(field: str, raw: object) -> Decimal:
    value = to_decimal(raw, field)
    if value <= 0:
        raise ValidationError(field, "must be greater than 0", raw)
    return value


def _optional_positive(field: str, raw: object) -> Decimal | None:
    return None if raw is None or raw == "" else _positive(field, raw)


def _optional_pct(field: str, raw: object) -> Decimal | None:
    value = _optional_positive(field, raw)
    if value is not None and value >= 100:
        raise ValidationError(field, "must be below 100 percent", raw)
    return value
