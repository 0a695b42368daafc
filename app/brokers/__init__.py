"""Venue adapters: each one implements the engine's ports (``app.engine.ports``) for one venue.

Brokers may import only ``app.engine.domain``, ``app.engine.ports``, the standard library and
their own venue SDK (import-linter enforces it). ``paper`` is the simulated exchange used for
paper trading and backtests.
"""
