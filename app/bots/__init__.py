"""Bots: strategies running live on the account, supervised, persisted, with their own stats.

This is a composition layer: it may import ``app.engine`` and ``app.strategies`` but never
Qt, the UI or a broker. ``BotManager`` (manager.py) is the entry point.
"""
