"""What the paper venue says when it refuses something.

Worded like Binance spot (errors.md: -1013 filter failures, -2010 NEW_ORDER_REJECTED, -2011
CANCEL_REJECTED, -2013 NO_SUCH_ORDER) so a trader reads the same text on paper as live.
Messages Binance has no equivalent for are plain sentences.
"""

from __future__ import annotations

INSUFFICIENT_BALANCE = "Account has insufficient balance for requested action."
LOT_SIZE = "Filter failure: LOT_SIZE"
PRICE_FILTER = "Filter failure: PRICE_FILTER"
NOTIONAL = "Filter failure: NOTIONAL"
INVALID_SYMBOL = "Invalid symbol."
UNKNOWN_ORDER = "Unknown order sent."
NO_SUCH_ORDER = "Order does not exist."
STOP_WOULD_TRIGGER = "Stop price would trigger immediately."
REDUCE_ONLY = "ReduceOnly Order is rejected."
MISSING_PRICE = "Mandatory parameter 'price' was not sent, was empty/null, or malformed."
MISSING_STOP_PRICE = "Mandatory parameter 'stopPrice' was not sent, was empty/null, or malformed."

IOC_REMAINDER = "IOC: the part that could not fill at once was canceled."
FOK_NOT_FILLED = "FOK: the order could not be filled in full at once."

MODIFY_NOTHING = "Nothing to modify: give a new price, stop price or quantity."
MODIFY_MARKET = "A market order cannot be modified."
MODIFY_PRICE_NOT_APPLICABLE = "This order type has no limit price to change."
MODIFY_STOP_NOT_APPLICABLE = "This order type has no stop price to change."
MODIFY_ALREADY_TRIGGERED = "The stop price cannot be changed: the order has already triggered."


def no_market_data(symbol: str) -> str:
    return f"No market data for {symbol} yet"


def no_liquidity(symbol: str, buy: bool) -> str:
    return f"No {'ask' if buy else 'bid'} in the {symbol} book to fill a market order"


def wrong_venue(order_venue: str, venue: str) -> str:
    return f"Order is for venue {order_venue!r}, not {venue!r}."


def modify_below_filled(filled: object) -> str:
    return f"The new quantity must be above the quantity already filled ({filled})."
