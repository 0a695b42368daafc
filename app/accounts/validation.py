"""Checks on what a trader types for an account: credentials and modes, per venue."""

from __future__ import annotations

import re
from collections.abc import Mapping

from app.accounts.model import AccountMode
from app.accounts.venues import VenueSpec
from app.engine.domain.errors import ValidationError

MAX_CREDENTIAL = 4096


def cleaned_credentials(spec: VenueSpec, values: Mapping[str, object]) -> dict[str, str]:
    """The non-blank credential values, checked field by field. Blank means "not given"
    (in an edit: keep the stored value). Pasted keys lose surrounding whitespace."""
    out: dict[str, str] = {}
    for name, raw in values.items():
        field = f"credentials.{name}"
        spec.field(name)  # unknown field -> ValidationError naming it
        if raw is None:
            continue
        if not isinstance(raw, str):
            raise ValidationError(field, "must be text")
        value = raw.strip()
        if not value:
            continue
        declared = spec.field(name)
        if not declared.typed:
            raise ValidationError(field, "is filled by the venue's login flow, not typed in")
        if len(value) > MAX_CREDENTIAL:
            raise ValidationError(field, f"must be at most {MAX_CREDENTIAL} characters")
        if any(not ch.isprintable() or ch.isspace() for ch in value):
            # never echo the value: it may be a secret
            raise ValidationError(
                field, "must not contain spaces, line breaks or control characters"
            )
        if declared.pattern and not re.fullmatch(declared.pattern, value):
            shown = None if declared.secret else value
            raise ValidationError(field, declared.rule or "has the wrong format", shown)
        out[name] = value
    return out


def check_required(spec: VenueSpec, mode: AccountMode, present: set[str] | frozenset[str]) -> None:
    """Every required typed field must be set when the mode needs a key; a key given for a
    keyless mode must still be complete (a lone API key without its secret is a mistake)."""
    typed = [f for f in spec.credentials if f.typed and f.required]
    if not spec.needs_credentials(mode) and not (present & {f.name for f in typed}):
        return
    for f in typed:
        if f.name not in present:
            why = (
                f"is required for {mode.display} on {spec.title}"
                if spec.needs_credentials(mode)
                else "is required with the other credentials"
            )
            raise ValidationError(f"credentials.{f.name}", why)


def check_mode(spec: VenueSpec, mode: AccountMode, current: AccountMode | None = None) -> None:
    if mode is AccountMode.LIVE and current is not AccountMode.LIVE:
        raise ValidationError(
            "mode", "an account becomes live only through Go live… (typed confirmation)"
        )
    if mode is AccountMode.TESTNET and not spec.testnet:
        raise ValidationError("mode", f"{spec.title} has no testnet", mode.value)
    if mode not in spec.modes:
        allowed = ", ".join(m.value for m in spec.modes)
        raise ValidationError("mode", f"must be one of {allowed} for {spec.title}", mode.value)
