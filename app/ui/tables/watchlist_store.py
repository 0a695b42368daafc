"""Named watchlists and their file, ``watchlists.json`` in the data directory.

    {"version": 1, "current": "Demo", "lists": [{"name": "Demo", "symbols": ["BTC/USD"]}]}

Saving is atomic (temporary file, then ``os.replace``), so a crash never leaves half a file.
A file that cannot be read or does not follow the format raises WatchlistFileError naming
the problem; the panel then starts from defaults and does not write over the trader's file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FILE_NAME = "watchlists.json"
VERSION = 1


class WatchlistFileError(ValueError):
    """``watchlists.json`` exists but is not valid; the message names the file and the fault."""


@dataclass(slots=True)
class Watchlists:
    lists: dict[str, list[str]] = field(default_factory=dict)  # name -> symbols, in order
    current: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "current": self.current,
            "lists": [{"name": n, "symbols": list(s)} for n, s in self.lists.items()],
        }


def load(path: Path) -> Watchlists | None:
    """The saved lists, or None when there is no file yet."""
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise WatchlistFileError(f"{path} cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise WatchlistFileError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    return parse(raw, str(path))


def parse(raw: Any, origin: str) -> Watchlists:
    if not isinstance(raw, dict) or not isinstance(raw.get("lists"), list):
        raise WatchlistFileError(f"{origin} must be an object with a 'lists' array")
    result = Watchlists()
    for i, entry in enumerate(raw["lists"]):
        where = f"{origin}: lists[{i}]"
        if not isinstance(entry, dict):
            raise WatchlistFileError(f"{where} must be an object with 'name' and 'symbols'")
        name, symbols = entry.get("name"), entry.get("symbols")
        if not isinstance(name, str) or not name.strip():
            raise WatchlistFileError(f"{where}.name must be a non-empty string")
        if name in result.lists:
            raise WatchlistFileError(f"{where}.name {name!r} is used twice")
        if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
            raise WatchlistFileError(f"{where}.symbols must be a list of strings")
        result.lists[name] = list(dict.fromkeys(symbols))  # drop repeats, keep order
    if not result.lists:
        raise WatchlistFileError(f"{origin} holds no lists")
    current = raw.get("current")
    result.current = current if isinstance(current, str) and current in result.lists else ""
    if not result.current:
        result.current = next(iter(result.lists))
    return result


def save(path: Path, watchlists: Watchlists) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(watchlists.to_json(), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
