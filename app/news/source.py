"""What a news source is: something that can fetch the current headlines."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from app.engine.domain.errors import ValidationError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Headline:
    """One news item. ``published_ns`` is UTC epoch nanoseconds, None when the feed gave
    no (parsable) date; ``source`` names where it came from (the feed URL)."""

    title: str
    published_ns: int | None = None
    link: str = ""
    summary: str = ""
    source: str = ""

    @property
    def keys(self) -> tuple[str, ...]:
        """Identities for de-duplication: the link and the title, so a story seen again
        under another link (syndicated to a second feed) still counts once."""
        title = " ".join(self.title.casefold().split())
        return (self.link, title) if self.link else (title,)


class NewsError(Exception):
    """A news source could not deliver headlines (network, HTTP status, size, bad XML).

    ``source`` names the source (a feed URL) so the log says which one failed."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"news source {source}: {reason}")


class NewsSource(Protocol):
    """Fetches the headlines currently published. Raises NewsError on failure."""

    @property
    def name(self) -> str: ...

    async def fetch(self) -> list[Headline]: ...


class CombinedSource:
    """Several sources read concurrently as one. It fails only when every source fails
    (with the first error), so one dead feed does not silence the others; the failures of
    the last fetch stay in ``errors`` for a status display."""

    def __init__(self, sources: Sequence[NewsSource]) -> None:
        if not sources:
            raise ValidationError("sources", "needs at least one news source")
        self.sources = tuple(sources)
        self.errors: list[Exception] = []

    @property
    def name(self) -> str:
        return " + ".join(s.name for s in self.sources)

    async def fetch(self) -> list[Headline]:
        results = await asyncio.gather(*(s.fetch() for s in self.sources), return_exceptions=True)
        headlines: list[Headline] = []
        errors: list[Exception] = []
        for result in results:
            if isinstance(result, Exception):
                errors.append(result)
            elif isinstance(result, BaseException):
                raise result  # cancellation and interpreter exits are not feed errors
            else:
                headlines.extend(result)
        self.errors = errors
        if errors and len(errors) == len(results):
            raise errors[0]
        for exc in errors:
            log.warning("news source skipped this round: %s", exc)
        return headlines
