"""Trading strategies: the same code runs live, on paper and in backtests."""
