"""A walk-forward run as a performance report: the stitched out-of-sample curve, its
trades and metrics, and one line per window (dates, chosen parameters, in-sample metric,
out-of-sample return)."""

from __future__ import annotations

from app.backtest.wf_result import WalkForwardResult
from app.engine.trade_export import iso_utc
from app.reports.performance import PerformanceReport, build_report


def walkforward_report(result: WalkForwardResult) -> PerformanceReport:
    info = {"strategy": result.strategy_id, "chosen by": f"best in-sample {result.metric}"}
    for w in result.windows:
        params = (
            "none ran"
            if w.best is None
            else ", ".join(f"{k}={v}" for k, v in w.best.params.items())
        )
        ret = w.oos_metrics.get("total_return")
        shown = "—" if ret is None else f"{ret * 100:.2f} %"
        info[f"window {w.window.index + 1}"] = (
            f"IS {iso_utc(w.is_from_ts)[:10]}..{iso_utc(w.is_to_ts)[:10]}, "
            f"OOS {iso_utc(w.oos_from_ts)[:10]}..{iso_utc(w.oos_to_ts)[:10]}: {params}; "
            f"IS {result.metric} {w.is_metric if w.is_metric is None else round(w.is_metric, 4)}"
            f", OOS return {shown}"
        )
    first = iso_utc(int(result.ts[0]))[:10] if len(result.ts) else ""
    last = iso_utc(int(result.ts[-1]))[:10] if len(result.ts) else ""
    return build_report(
        f"Walk-forward: {result.strategy_id} (stitched out-of-sample)",
        result.ts,
        result.equity,
        result.trades,
        result.metrics,
        subtitle=f"{first} to {last}, {len(result.windows)} windows",
        info=info,
    )
