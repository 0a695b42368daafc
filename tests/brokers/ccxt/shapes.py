"""Binance's documented message shapes, parsed by the real (offline) ccxt binance parser."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import ccxt

EXAMPLES = Path("/work/shared/data/exchange/binance/binance_spot_curated_examples.json")

# Binance filters as documented (filters.md), for the ETHBTC exchangeInfo example whose
# ``filters`` list the curated file leaves empty
ETHBTC_FILTERS = [
    {
        "filterType": "PRICE_FILTER",
        "minPrice": "0.00000100",
        "maxPrice": "100000.00000000",
        "tickSize": "0.00000100",
    },
    {
        "filterType": "LOT_SIZE",
        "minQty": "0.00100000",
        "maxQty": "100000.00000000",
        "stepSize": "0.00100000",
    },
    {
        "filterType": "NOTIONAL",
        "minNotional": "0.00010000",
        "applyMinToMarket": True,
        "maxNotional": "9000000.00000000",
        "applyMaxToMarket": False,
        "avgPriceMins": 5,
    },
]


@cache
def _examples() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLES.read_text())
    return data


def example(name: str, index: int = 0) -> Any:
    return copy.deepcopy(_examples()[name]["examples"][index])


def parser() -> Any:
    """A ccxt binance client that only parses (no network), knowing the ETH/BTC market."""
    exchange = ccxt.binance()
    exchange.options["crossMarginPairsData"] = []
    exchange.options["isolatedMarginPairsData"] = []
    exchange.set_markets([exchange.parse_market(ethbtc_raw())])
    return exchange


def ethbtc_raw() -> dict[str, Any]:
    raw: dict[str, Any] = example("rest_exchangeInfo")["symbols"][0]
    raw["filters"] = copy.deepcopy(ETHBTC_FILTERS)
    return raw
