"""Chart colours for the dark and light themes, in one object every chart item reads from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChartPalette:
    background: str
    foreground: str  # axes, text
    grid: str
    up: str
    down: str
    volume_up: str
    volume_down: str
    crosshair: str
    sma: str
    ema: str
    bollinger: str
    rsi: str
    macd: str
    signal: str
    order_buy: str
    order_sell: str
    stop_loss: str
    take_profit: str
    entry: str
    toast_ok: str
    toast_error: str


DARK_CHART = ChartPalette(
    background="#121417",
    foreground="#c9d1d9",
    grid="#2a2f37",
    up="#26a269",
    down="#e5484d",
    volume_up="#1f6f4a",
    volume_down="#8f2f33",
    crosshair="#8a93a3",
    sma="#f5a524",
    ema="#36c5f0",
    bollinger="#a371f7",
    rsi="#e3b341",
    macd="#36c5f0",
    signal="#f778ba",
    order_buy="#3fb950",
    order_sell="#ff7b72",
    stop_loss="#ff4d4f",
    take_profit="#2ea8ff",
    entry="#e6e9ef",
    toast_ok="#1f6f4a",
    toast_error="#8f2f33",
)

LIGHT_CHART = ChartPalette(
    background="#ffffff",
    foreground="#1b1e23",
    grid="#e3e6ea",
    up="#1a7f4b",
    down="#c9252d",
    volume_up="#9fd4b8",
    volume_down="#eea8ab",
    crosshair="#5f6b7a",
    sma="#b26b00",
    ema="#0969da",
    bollinger="#8250df",
    rsi="#9a6700",
    macd="#0969da",
    signal="#bf3989",
    order_buy="#1a7f37",
    order_sell="#cf222e",
    stop_loss="#d1242f",
    take_profit="#0550ae",
    entry="#1b1e23",
    toast_ok="#1a7f4b",
    toast_error="#c9252d",
)


def palette_for(dark: bool) -> ChartPalette:
    return DARK_CHART if dark else LIGHT_CHART
