"""Tradedesk: a desktop trading terminal for manual traders who also run bots."""

__version__ = "0.1.0"
