"""The chart panel (candles, volume, studies, order lines); see ``panel.ChartPanel``."""

from app.ui.chart.panel import ChartPanel
from app.ui.chart.study_set import Study

__all__ = ["ChartPanel", "Study"]
