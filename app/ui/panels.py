"""The default set of panels and how they are wired to each other.

Selecting a symbol in the watchlist (or opening one from the scanner) drives the chart and
the order ticket; a scanner row can also go to the watchlist or start a bot. The keyboard
shortcuts reach the ticket and the watchlist's search box.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt

from app.ui.bots.panel import BotsPanel
from app.ui.chart.panel import ChartPanel
from app.ui.context import UiContext
from app.ui.main_window import PanelSpec
from app.ui.notifications import Notifier
from app.ui.risk_panel import RiskPanel
from app.ui.scanner.panel import ScannerPanel
from app.ui.tables.log_panel import LogPanel
from app.ui.tables.orders import OrdersPanel
from app.ui.tables.positions import PositionsPanel
from app.ui.tables.trades import TradesPanel
from app.ui.tables.watchlist import WatchlistPanel
from app.ui.ticket.widget import OrderTicket

Area = Qt.DockWidgetArea


@dataclass(slots=True)
class Panels:
    watchlist: WatchlistPanel
    chart: ChartPanel
    ticket: OrderTicket
    positions: PositionsPanel
    orders: OrdersPanel
    trades: TradesPanel
    risk: RiskPanel
    log: LogPanel
    bots: BotsPanel
    scanner: ScannerPanel
    notifier: Notifier

    def specs(self) -> list[PanelSpec]:
        left, right = Area.LeftDockWidgetArea, Area.RightDockWidgetArea
        return [
            PanelSpec("watchlist", "Watchlist", self.watchlist, left, width=540, height=380),
            PanelSpec("scanner", "Scanner", self.scanner, left, tab_with="watchlist"),
            PanelSpec("ticket", "Order ticket", self.ticket, left, height=520, scroll=True),
            PanelSpec("risk", "Risk", self.risk, left, tab_with="ticket", scroll=True),
            PanelSpec("chart", "Chart", self.chart, right, width=1060, height=560),
            PanelSpec("positions", "Positions", self.positions, right, width=560, height=300),
            PanelSpec("orders", "Orders", self.orders, right, beside="positions"),
            PanelSpec("trades", "Trades", self.trades, right, tab_with="orders"),
            PanelSpec("log", "Log", self.log, right, tab_with="orders"),
            PanelSpec("bots", "Bots", self.bots, right, tab_with="positions"),
        ]

    def actions(self) -> dict[str, Callable[[], None]]:
        return {
            "buy": self.ticket.buy,
            "sell": self.ticket.sell,
            "focus_quantity": self.ticket.focus_quantity,
            "focus_search": self.watchlist.focus_search,
        }


def create_panels(ctx: UiContext) -> Panels:
    panels = Panels(
        watchlist=WatchlistPanel(ctx),
        chart=ChartPanel(ctx),
        ticket=OrderTicket(ctx),
        positions=PositionsPanel(ctx),
        orders=OrdersPanel(ctx),
        trades=TradesPanel(ctx),
        risk=RiskPanel(ctx),
        log=LogPanel(ctx),
        bots=BotsPanel(ctx),
        scanner=ScannerPanel(ctx),
        notifier=Notifier(ctx),
    )
    panels.watchlist.symbol_selected.connect(panels.chart.set_symbol)
    panels.watchlist.symbol_selected.connect(panels.ticket.set_symbol)
    panels.scanner.symbol_selected.connect(panels.chart.set_symbol)
    panels.scanner.symbol_selected.connect(panels.ticket.set_symbol)
    panels.scanner.add_to_watchlist.connect(lambda symbol: _add_to_watchlist(panels, symbol))
    panels.scanner.start_bot.connect(panels.bots.new_bot)
    first = next(iter(sorted(ctx.engine.instruments)), None)
    if "BTC/USD" in ctx.engine.instruments:
        first = "BTC/USD"
    if first is not None:
        panels.chart.set_symbol(first)
        panels.ticket.set_symbol(first)
    return panels


def _add_to_watchlist(panels: Panels, symbol: str) -> None:
    """The scanner's "Add to watchlist": into the list shown, with the answer on the scanner."""
    error = panels.watchlist.add_symbol(symbol)
    if error is None:
        panels.scanner.report(f"{symbol} added to watchlist {panels.watchlist.lists.current!r}")
    else:
        panels.scanner.report(error, error=True)
