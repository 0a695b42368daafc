"""Errors cross process pools (backtests, optimisation, scans) with their fields intact."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

from app.engine.domain.errors import ValidationError
from app.engine.risk import RiskDenied


def _refuse(field: str) -> None:
    raise RiskDenied(field, "needs confirmation", needs_confirmation=True, value="0.5")


def test_validation_error_round_trips_through_pickle() -> None:
    error = pickle.loads(pickle.dumps(ValidationError("quantity", "must be greater than 0", 0)))
    assert (type(error), error.field, error.rule, error.value) == (
        ValidationError,
        "quantity",
        "must be greater than 0",
        0,
    )
    assert str(error) == "quantity: must be greater than 0 (got 0)"


def test_risk_denied_comes_back_from_a_worker_process() -> None:
    with ProcessPoolExecutor(max_workers=1) as pool, pytest.raises(RiskDenied) as caught:
        pool.submit(_refuse, "quantity").result()
    assert caught.value.field == "quantity" and caught.value.needs_confirmation
    assert caught.value.value == "0.5"
