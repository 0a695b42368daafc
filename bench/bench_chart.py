"""Chart panel cost with 100,000 candles loaded, offscreen.

(a) Live update of the forming candle: a one-minute bar is handed to the panel through the
    bridge's ``bars`` signal and Qt processes events until the repaint is done (what the app
    does), p50/p95/max over 500 updates; also with the whole viewport repainted (worst case),
    with all studies switched on (their curves are redrawn at most every 200 ms; the redraw is
    timed on its own), and for new minutes that append a candle.
(b) Panning: the view shifted by 10% of its width, then the repaint; p50/p95.
(c) Zoomed out to all 100,000 candles (merged candles are drawn), one full repaint.

The candles are a random walk with realistic ranges and volumes, loaded through the same
path as history. Targets: (a) p95 <= 16 ms.

    QT_QPA_PLATFORM=offscreen uv run python bench/bench_chart.py
"""

from __future__ import annotations

import os
import tempfile
import time
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import qasync
from common import machine, pct
from PySide6.QtWidgets import QApplication

from app.bootstrap import PaperSession
from app.engine.domain.market import Bar, Timeframe
from app.settings import Settings
from app.ui.bridge import EngineBridge
from app.ui.chart import ChartPanel, Study
from app.ui.context import UiContext

N_BARS = 100_000
UPDATES = 500
PANS = 200
SYMBOL = "BTC/USD"
M1 = Timeframe.M1
MINUTE = M1.nanos


def random_walk(n: int, end_ns: int, seed: int = 42) -> list[Bar]:
    rng = np.random.default_rng(seed)
    close = 30_000 * np.exp(np.cumsum(rng.normal(0, 0.0012, n)))
    open_ = np.concatenate(([close[0]], close[:-1]))
    wick = np.abs(rng.normal(0, 0.0006, (2, n)))
    high = np.maximum(open_, close) * (1 + wick[0])
    low = np.minimum(open_, close) * (1 - wick[1])
    volume = rng.lognormal(2.0, 0.8, n)
    start = end_ns - n * MINUTE
    q = Decimal("0.01")
    return [
        Bar(
            SYMBOL,
            M1,
            Decimal(o).quantize(q),
            Decimal(h).quantize(q),
            Decimal(lo).quantize(q),
            Decimal(c).quantize(q),
            Decimal(v).quantize(q),
            start + i * MINUTE,
        )
        for i, (o, h, lo, c, v) in enumerate(
            zip(
                open_.tolist(),
                high.tolist(),
                low.tolist(),
                close.tolist(),
                volume.tolist(),
                strict=True,
            )
        )
    ]


def figures(name: str, samples: list[float]) -> str:
    return (
        f"{name}: p50 {pct(samples, 50):.2f} ms, p95 {pct(samples, 95):.2f} ms, "
        f"max {max(samples):.2f} ms (n={len(samples)})"
    )


class Driver:
    def __init__(self, app: QApplication, ctx: UiContext, panel: ChartPanel) -> None:
        self.app = app
        self.ctx = ctx
        self.panel = panel
        self.rng = np.random.default_rng(7)

    def settle(self, full: bool = False) -> None:
        self.app.processEvents()
        if full:
            for w in (self.panel.price_widget, self.panel.volume_widget):
                w.viewport().repaint()

    def live_updates(self, count: int, *, full: bool = False, append_every: int = 0) -> list[float]:
        s = self.panel.series
        samples = []
        for k in range(count):
            ts = int(s.ts[-1])
            new = append_every > 0 and k % append_every == append_every - 1
            if new:
                ts += MINUTE  # the next minute starts: a candle is appended
            last = float(s.close[-1])
            c = last * (1 + float(self.rng.normal(0, 0.0004)))
            d = Decimal(f"{c:.2f}")
            o = Decimal(f"{last if new else float(s.open[-1]):.2f}")
            bar = Bar(SYMBOL, M1, o, max(o, d), min(o, d), d, Decimal(1), ts, False)
            paints = self.panel.candles.paints
            t0 = time.perf_counter()
            self.ctx.bridge.bars.emit([bar])
            self.settle(full)
            samples.append((time.perf_counter() - t0) * 1000)
            assert self.panel.candles.paints > paints, "the update was painted"
        return samples

    def pans(self, count: int) -> list[float]:
        vb = self.panel.price.vb
        samples = []
        for k in range(count):
            left, right = vb.viewRange()[0]
            shift = (right - left) * 0.1 * (-1 if (k // 20) % 2 == 0 else 1)
            t0 = time.perf_counter()
            self.panel.price.setXRange(left + shift, right + shift, padding=0)
            self.settle(full=True)
            samples.append((time.perf_counter() - t0) * 1000)
        return samples


async def main(app: QApplication) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(Path(tmp), demo_speed=1.0)
        session = await PaperSession.open(settings)
        bridge = EngineBridge(session.engine.bus, session.engine.portfolio)
        bridge._timer.stop()  # the benchmark emits bars itself; no feed runs
        ctx = UiContext(session.engine, session.market, bridge, settings)
        # processEvents() below runs inside this coroutine: no other task may be woken by it
        await session.engine.tasks.shutdown()
        panel = ChartPanel(ctx)
        panel.resize(1400, 900)
        panel.show()
        panel.set_symbol(SYMBOL)
        assert panel.history_task is not None
        await panel.history_task
        bars = random_walk(N_BARS, int(panel.series.ts[-1]) + MINUTE)
        t0 = time.perf_counter()
        # the path a history answer takes (Decimal bars -> float64 columns -> items)
        panel._apply_history(bars, [])
        load_ms = (time.perf_counter() - t0) * 1000
        d = Driver(app, ctx, panel)
        t0 = time.perf_counter()
        d.settle(full=True)
        first_paint = (time.perf_counter() - t0) * 1000
        d.live_updates(1, append_every=1)  # a forming minute opens the live candle
        d.live_updates(50)  # warm up
        print(machine())
        print(f"{len(panel.series):,} candles, view {panel.price_widget.width()} px wide")
        print(f"load 100k bars into the chart: {load_ms:.0f} ms; first paint {first_paint:.1f} ms")
        print(
            figures(
                "(a) live update, forming candle (repaint of the dirty area)",
                d.live_updates(UPDATES),
            )
        )
        print(
            figures(
                "(a) live update, full viewport repaint forced", d.live_updates(UPDATES, full=True)
            )
        )
        print(figures("(a) new minute appends a candle", d.live_updates(200, append_every=1)))
        for study in Study:
            panel.set_study(study, True)
        d.settle(full=True)
        print(figures("(a) live update with all 5 studies on", d.live_updates(UPDATES)))
        redraws = []
        for _ in range(50):
            t0 = time.perf_counter()
            panel._redraw_studies()  # what the 200 ms timer does after live updates
            d.settle()
            redraws.append((time.perf_counter() - t0) * 1000)
        print(figures("(a) study curves redraw (at most every 200 ms)", redraws))
        for study in Study:
            panel.set_study(study, False)
        print(figures("(b) pan by 10% of the view (+ full repaint)", d.pans(PANS)))
        span = M1.seconds
        x = panel.series.ts
        samples = []
        for _ in range(5):
            t0 = time.perf_counter()
            # all but the oldest few bars: at the very edge the panel would fetch older ones
            panel.price.setXRange(x[10] / 1e9, x[-1] / 1e9 + span, padding=0)
            d.settle(full=True)
            samples.append((time.perf_counter() - t0) * 1000)
            panel.price.setXRange(x[-200] / 1e9, x[-1] / 1e9 + span, padding=0)
            d.settle(full=True)
        print(figures("(c) zoom out to all candles (merged candles)", samples))
        bridge.close()
        panel.close()
        await session.close()


if __name__ == "__main__":
    application = QApplication.instance() or QApplication(["bench-chart"])
    assert isinstance(application, QApplication)
    application.setQuitOnLastWindowClosed(False)  # closing the panel must not stop the loop
    loop = qasync.QEventLoop(application)
    with loop:
        loop.run_until_complete(main(application))
