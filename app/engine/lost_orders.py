"""When an order the venue keeps not finding is lost.

A real venue answers "order not found" for an order its matching engine has accepted but its
query path has not seen yet (Binance documents this for a few seconds after a timeout). So one
"not found" proves nothing: an order is lost only after ``lookups`` answers spread over at
least ``after_s`` seconds since the first one. Until then it stays UNKNOWN.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class LostOrderTracker:
    lookups: int = 3
    after_s: float = 120.0
    # client id -> (ns of the first "not found", answers so far)
    _answers: dict[str, tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.lookups < 1:
            raise ValueError("lost_after_lookups must be at least 1")
        if self.after_s < 0:
            raise ValueError("lost_after_s must be >= 0")

    def not_found(self, client_id: str, now_ns: int) -> tuple[int, float, bool]:
        """Count one "not found" answer. Returns (answers so far, seconds since the first,
        lost?). A lost order is forgotten."""
        first, answers = self._answers.get(client_id, (now_ns, 0))
        answers += 1
        waited_s = (now_ns - first) / 1e9
        lost = answers >= self.lookups and waited_s >= self.after_s
        if lost:
            self._answers.pop(client_id, None)
        else:
            self._answers[client_id] = (first, answers)
        return answers, waited_s, lost

    def found(self, client_id: str) -> None:
        self._answers.pop(client_id, None)
