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

    def __reduce__(self) -> tuple[object, ...]:
        # rebuilt from its fields, so it crosses a process pool intact (the default pickles
        # only the message and calls __init__ with it)
        return (_rebuild, (type(self), self.field, self.rule, self.value, self.__dict__))


def _rebuild(
    cls: type[ValidationError], field: str, rule: str, value: object, state: dict[str, object]
) -> ValidationError:
    error = cls.__new__(cls)
    ValidationError.__init__(error, field, rule, value)
    error.__dict__.update(state)
    return error


class InvalidTransition(RuntimeError):
    """An order event does not apply to the order's current status."""

    def __init__(self, client_id: str, status: str, event: str) -> None:
        self.client_id = client_id
        self.status = status
        self.event = event
        super().__init__(f"order {client_id}: {event} is not valid while {status}")
