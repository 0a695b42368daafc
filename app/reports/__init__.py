"""Performance reports (metrics, equity curve, drawdown, monthly returns) from a backtest or
from journal fills, rendered to a self-contained HTML file or JSON. Qt-free."""
