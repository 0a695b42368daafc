"""The offline demo market: real historical candles bundled in ``resources/demo``, replayed as
a live one-minute feed (venue ``demo``). See ``market`` for the replay model."""

from .catalog import DemoSymbol, load_catalog
from .market import DemoMarket

__all__ = ["DemoMarket", "DemoSymbol", "load_catalog"]
