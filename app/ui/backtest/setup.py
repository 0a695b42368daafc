"""The backtest window's inputs: where the bars come from and how the run is configured.

``DataPicker`` offers the demo market's symbols (their history, fetched through the data
port) or a CSV file (parsed later, in the worker). ``ConfigForm`` edits a ``BacktestConfig``;
``config()`` raises the config's own ValidationError, which the form shows under the field.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from app.backtest.config import BacktestConfig, FillMode
from app.backtest.data import load_bars_csv
from app.engine.domain.errors import ValidationError
from app.engine.domain.market import Timeframe
from app.engine.series import BarSeries
from app.engine.sizing import Sizing, SizingMode
from app.ui.context import UiContext

CSV_ITEM = "CSV file…"
# the bundled demo candles (real timestamps and timeframes, unlike the demo feed's replay)
DEMO_DATA = Path(__file__).resolve().parents[3] / "resources" / "demo"


class DataPicker(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.csv_path: Path | None = None
        self.symbol_box = QComboBox()
        for symbol in sorted(ctx.engine.instruments):
            self.symbol_box.addItem(symbol, symbol)
        self.symbol_box.addItem(CSV_ITEM, None)
        if "BTC/USD" in ctx.engine.instruments:
            self.symbol_box.setCurrentIndex(self.symbol_box.findData("BTC/USD"))
        self.bars = QSpinBox()
        self.bars.setRange(100, 1_000_000)
        self.bars.setSingleStep(1000)
        self.bars.setValue(5000)
        self.bars.setSuffix(" bars")
        self.bars.setToolTip(
            "how many of the latest bars of the symbol's bundled real candles to test on "
            "(BTC/USD: Coinbase hourly; ETH, LTC and the stocks: daily)"
        )
        self.file_label = QLabel("")
        self.browse = QPushButton("Choose…")
        self.browse.clicked.connect(self._choose_file)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for w in (self.symbol_box, self.bars, self.browse, self.file_label):
            row.addWidget(w)
        row.addStretch(1)
        self.symbol_box.currentIndexChanged.connect(self._sync)
        self._sync()

    @property
    def uses_csv(self) -> bool:
        return self.symbol_box.currentData() is None

    def _sync(self) -> None:
        self.bars.setVisible(not self.uses_csv)
        self.browse.setVisible(self.uses_csv)
        self.file_label.setVisible(self.uses_csv)

    def _choose_file(self) -> None:
        start = str(DEMO_DATA) if DEMO_DATA.is_dir() else ""
        name, _ = QFileDialog.getOpenFileName(self, "Bars CSV", start, "CSV files (*.csv)")
        if name:
            self.set_csv(Path(name))

    def set_csv(self, path: Path) -> None:
        self.symbol_box.setCurrentIndex(self.symbol_box.findText(CSV_ITEM))
        self.csv_path = path
        self.file_label.setText(path.name)

    def set_symbol(self, symbol: str, bars: int | None = None) -> None:
        self.symbol_box.setCurrentIndex(self.symbol_box.findData(symbol))
        if bars is not None:
            self.bars.setValue(bars)

    def symbol(self) -> str:
        data = self.symbol_box.currentData()
        if data is None:
            return self.csv_path.stem if self.csv_path else "ASSET/USD"
        return str(data)

    async def source(self) -> tuple[BarSeries | None, str | None, str]:
        """``(bars, csv, symbol)`` for ``app.backtest.jobs``: a demo symbol's history is
        fetched here (async), a CSV file is only named (the worker parses it)."""
        if self.uses_csv:
            if self.csv_path is None:
                raise ValidationError("data", "choose a CSV file")
            return None, str(self.csv_path), ""
        symbol = str(self.symbol_box.currentData())
        bundled = self.ctx.candle_file(symbol) if self.ctx.candle_file else None
        if bundled is not None:
            # the real candles behind the demo symbol, on their real clock: the demo feed
            # replays each source bar as one minute, which would annualise hours as minutes
            series = load_bars_csv(bundled, symbol)
            return series.slice(max(0, len(series) - self.bars.value()), len(series)), None, symbol
        bars = await self.ctx.data.history(symbol, Timeframe.M1, limit=self.bars.value())
        if not bars:
            raise ValidationError("data", f"no history for {symbol}")
        return BarSeries.from_bars(bars), None, symbol


class ConfigForm(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cash = QLineEdit("10000")
        self.fees = QDoubleSpinBox()
        self.fees.setRange(0, 500)
        self.fees.setDecimals(2)
        self.fees.setValue(10)
        self.fees.setSuffix(" bps")
        self.slippage = QDoubleSpinBox()
        self.slippage.setRange(0, 500)
        self.slippage.setDecimals(2)
        self.slippage.setSuffix(" bps")
        self.fill = QComboBox()
        for mode in FillMode:
            self.fill.addItem(mode.value.replace("_", " "), mode.value)
        self.sizing = QComboBox()
        for sizing_mode in (
            SizingMode.ALL_IN,
            *[m for m in SizingMode if m is not SizingMode.ALL_IN],
        ):
            self.sizing.addItem(sizing_mode.value.replace("_", " "), sizing_mode.value)
        self.sizing_value = QLineEdit("")
        self.sizing_value.setPlaceholderText("amount (not for all in)")
        self.stop_loss = QLineEdit("")
        self.stop_loss.setPlaceholderText("none")
        self.take_profit = QLineEdit("")
        self.take_profit.setPlaceholderText("none")
        self.error = QLabel("")
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        sizing_row = QHBoxLayout()
        sizing_row.addWidget(self.sizing)
        sizing_row.addWidget(self.sizing_value, 1)
        form = QFormLayout(self)
        form.addRow("Starting cash", self.cash)
        form.addRow("Fees", self.fees)
        form.addRow("Slippage", self.slippage)
        form.addRow("Fill at", self.fill)
        form.addRow("Sizing", sizing_row)
        form.addRow("Stop-loss %", self.stop_loss)
        form.addRow("Take-profit %", self.take_profit)
        form.addRow(self.error)

    def config(self, symbol: str) -> BacktestConfig:
        self.error.setText("")
        try:
            mode = str(self.sizing.currentData())
            value = self.sizing_value.text().strip() or None
            sizing = Sizing.parse(mode, value, "sizing")
            currency = symbol.split("/", 1)[1] if "/" in symbol else "USD"
            return BacktestConfig(
                cash=self.cash.text().strip(),
                fees_bps=repr(self.fees.value()),
                slippage_bps=repr(self.slippage.value()),
                fill=str(self.fill.currentData()),
                sizing=sizing,
                stop_loss_pct=self.stop_loss.text().strip() or None,
                take_profit_pct=self.take_profit.text().strip() or None,
                symbol=symbol or "ASSET/USD",
                currency=currency,
            )
        except ValidationError as exc:
            self.error.setText(str(exc))
            raise
