"""Domain errors.

ValidationError is raised for bad input anywhere (order fields, settings, CSV cells, command
line values). It always names the field and the rule so a message can be shown next to the
field at fault.
"""

from __future__ import annotations


class ValidationError(ValueError):
    """A value broke a rule. ``field`` names the input, ``rule`` says what was expected."""

    def __init__(self, field: str, rule: str, value: object = None) -> None:
        self.field = field
        self.rule = rule
        self.value = value
        shown = "" if value is None else f" (got {value!r})"
        super().__init__(f"{field}: {rule}{shown}")


class InvalidTransition(RuntimeError):
    """An order event does not apply to the order's current status."""

    def __init__(self, client_id: str, status: str, event: str) -> None:
        self.client_id = client_id
        self.status = status
        self.event = event
        super().__init__(f"order {client_id}: {event} is not valid while {status}")
