"""The backtest window: run a strategy over history, optimise it, walk it forward, save a
report. Its job functions (``work``) import no Qt: they run in worker processes."""
