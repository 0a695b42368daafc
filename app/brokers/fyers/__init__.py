"""Fyers (Indian equities, NSE/BSE) through the fyers-apiv3 SDK: ``FyersVenue.open(config)``."""
