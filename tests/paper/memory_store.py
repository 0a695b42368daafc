"""An in-memory VenueStateStore for tests.

Records go through JSON on the way in, as they would into the journal, so a record that does
not survive serialisation (a Decimal, an enum) fails here rather than in production.
"""

from __future__ import annotations

import json


class MemoryVenueStore:
    def __init__(self) -> None:
        self._records: dict[str, list[str]] = {}

    def append_venue_record(self, venue: str, record: dict[str, object]) -> None:
        self._records.setdefault(venue, []).append(json.dumps(record, sort_keys=True))

    def load_venue_records(self, venue: str) -> list[dict[str, object]]:
        return [json.loads(text) for text in self._records.get(venue, [])]

    def count(self, venue: str) -> int:
        return len(self._records.get(venue, []))

    def kinds(self, venue: str) -> list[str]:
        return [str(record["kind"]) for record in self.load_venue_records(venue)]

    def truncate(self, venue: str, keep: int) -> None:
        """Drop everything after the first ``keep`` records (a crash before later appends)."""
        self._records[venue] = self._records.get(venue, [])[:keep]

    def replace(self, venue: str, index: int, record: dict[str, object]) -> None:
        self._records[venue][index] = json.dumps(record)
