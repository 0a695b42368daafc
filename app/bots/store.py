"""Bots in the journal's key-value table: ``bots`` holds the list of ids, ``bots/<id>`` one
bot's config, state (running/paused/stopped/errored and the error), and its stats' inputs
(first start, the day's P&L baseline, sampled P&L curve). Fills stay in the fills table, by
source; positions come back with the portfolio's per-source books."""

from __future__ import annotations

from typing import Any

from app.engine.journal_port import JournalPort

INDEX_KEY = "bots"


def bot_key(bot_id: str) -> str:
    return f"bots/{bot_id}"


class BotStore:
    def __init__(self, journal: JournalPort) -> None:
        self.journal = journal

    def ids(self) -> list[str]:
        raw = self.journal.get_kv(INDEX_KEY, [])
        return [str(i) for i in raw] if isinstance(raw, list) else []

    def load(self, bot_id: str) -> dict[str, Any] | None:
        raw = self.journal.get_kv(bot_key(bot_id))
        return raw if isinstance(raw, dict) else None

    def save(self, bot_id: str, record: dict[str, Any]) -> None:
        # writes are queued to the journal's writer; a failure surfaces at the next flush
        self.journal.set_kv(bot_key(bot_id), record)

    def save_index(self, ids: list[str]) -> None:
        self.journal.set_kv(INDEX_KEY, list(ids))

    def delete(self, bot_id: str) -> None:
        self.journal.set_kv(bot_key(bot_id), None)
