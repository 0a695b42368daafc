"""The filter parser (no eval), three-valued logic, errors, and sorting."""

from __future__ import annotations

import pytest

from app.engine.domain.errors import ValidationError
from app.scanner.filters import SortSpec, parse_filter, parse_sort, sort_rows
from app.scanner.metrics import FIELDS, RowStatus, ScanRow


def row(symbol: str, **values: object) -> ScanRow:
    base: dict[str, object] = {
        "price": 100.0,
        "change_pct": 0.0,
        "atr_pct": 0.5,
        "volatility": 40.0,
        "volume_surge": 1.0,
        "rsi": 50.0,
        "breakout_up": False,
        "breakout_down": False,
    }
    base.update(values)
    return ScanRow(symbol, RowStatus.OK, 300, 0, **base)  # type: ignore[arg-type]


ROWS = [
    row("OVERSOLD", rsi=22.0, change_pct=-4.0, breakout_down=True),
    row("RUNNER", rsi=78.0, change_pct=5.5, breakout_up=True, volume_surge=2.4, atr_pct=0.9),
    row("QUIET", rsi=49.0, change_pct=0.1, atr_pct=0.1, volume_surge=0.6),
    row("SURGE", rsi=55.0, change_pct=2.0, volume_surge=1.8, atr_pct=0.2),
    row("NOVOL", rsi=60.0, change_pct=2.5, volume_surge=None),
    ScanRow("SHORT", RowStatus.INSUFFICIENT, 12, note="insufficient history: 12 of 51 bars"),
]


def names(text: str) -> list[str]:
    return [r.symbol for r in parse_filter(text).apply(ROWS)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["OVERSOLD", "RUNNER", "QUIET", "SURGE", "NOVOL", "SHORT"]),
        ("   ", ["OVERSOLD", "RUNNER", "QUIET", "SURGE", "NOVOL", "SHORT"]),
        ("rsi < 30", ["OVERSOLD"]),
        ("rsi<30", ["OVERSOLD"]),
        ("change_pct >= 2", ["RUNNER", "SURGE", "NOVOL"]),
        ("change_pct >= 2.0", ["RUNNER", "SURGE", "NOVOL"]),
        ("breakout_up", ["RUNNER"]),
        ("not breakout_down", ["RUNNER", "QUIET", "SURGE", "NOVOL"]),
        ("volume_surge > 1.5 and atr_pct > 0.3", ["RUNNER"]),
        ("volume_surge > 1.5 AND atr_pct > 0.1", ["RUNNER", "SURGE"]),
        ("rsi < 30 or rsi > 70", ["OVERSOLD", "RUNNER"]),
        ("(rsi < 30 or rsi > 70) and change_pct > 0", ["RUNNER"]),
        ("rsi < 30 or rsi > 70 and change_pct > 0", ["OVERSOLD", "RUNNER"]),  # and binds tighter
        ("not (rsi > 50)", ["OVERSOLD", "QUIET"]),
        ("not not breakout_up", ["RUNNER"]),
        ("30 > rsi", ["OVERSOLD"]),
        ("change_pct > -1, rsi > 50", ["RUNNER", "SURGE", "NOVOL"]),  # comma: all must hold
        ("change_pct > -1; rsi > 50; volume_surge >= 1.8", ["RUNNER", "SURGE"]),
        ("rsi == 49", ["QUIET"]),
        ("rsi = 49", ["QUIET"]),
        ("rsi != 49 and rsi < 56 and rsi > 50", ["SURGE"]),
        ("breakout_up == true", ["RUNNER"]),
        ("breakout_down != false", ["OVERSOLD"]),
        ('symbol == "QUIET"', ["QUIET"]),
        ("symbol = 'QUIET' or symbol == 'SURGE'", ["QUIET", "SURGE"]),
        ("bars >= 300", ["OVERSOLD", "RUNNER", "QUIET", "SURGE", "NOVOL"]),
        ("bars < 20", ["SHORT"]),
        ("price > 1e1", ["OVERSOLD", "RUNNER", "QUIET", "SURGE", "NOVOL"]),
        ("RSI < 30", ["OVERSOLD"]),  # field names are not case-sensitive
    ],
)
def test_filters_select_the_right_rows(text: str, expected: list[str]) -> None:
    assert names(text) == expected


def test_rows_without_a_value_are_unknown_not_false() -> None:
    # NOVOL has no volume surge; SHORT has nothing at all
    assert "NOVOL" not in names("volume_surge < 1")
    assert "NOVOL" not in names("not (volume_surge >= 1)")  # not unknown is unknown
    assert "NOVOL" in names("volume_surge > 1 or rsi > 55")  # unknown or true is true
    assert "NOVOL" not in names("volume_surge > 1 and rsi > 0")  # unknown and true: unknown
    assert "SHORT" not in names("not breakout_down")
    assert "SHORT" not in names("not (rsi < 30)")


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("rsj < 30", "'rsj < 30': unknown field 'rsj' (known fields: " + ", ".join(FIELDS) + ")"),
        ("rsi <", "'rsi <': expected a number but found the end"),
        ("rsi < abc", "'rsi < abc': expected a number but found 'abc' at column 7"),
        ("rsi", "'rsi': rsi is a number; compare it, e.g. 'rsi > 1'"),
        ("symbol", "'symbol': symbol is text; compare it, e.g. 'symbol == \"BTC/USD\"'"),
        ("rsi < 30 and", "'rsi < 30 and': expected a field name but found the end"),
        (
            "rsi < 30 rsi > 20",
            "'rsi < 30 rsi > 20': expected 'and' or 'or' but found 'rsi' at column 10",
        ),
        ("(rsi < 30", "'(rsi < 30': expected ')' but found the end"),
        ("rsi < 30)", "'rsi < 30)': expected 'and' or 'or' but found ')' at column 9"),
        ("rsi < 30 & atr_pct > 1", "'rsi < 30 & atr_pct > 1': unexpected '&' at column 10"),
        (
            "breakout_up > 1",
            "'breakout_up > 1': breakout_up is yes/no: "
            "compare it with true or false, or name it alone",
        ),
        ("breakout_up < true", "'breakout_up < true': breakout_up is yes/no: only == and != apply"),
        ("symbol > 'A'", "\"symbol > 'A'\": symbol is text: only == and != apply"),
        ("symbol == 3", "'symbol == 3': symbol is text: compare it with quoted text"),
        ("rsi == true", "'rsi == true': rsi is a number: compare it with a number"),
        ("rsi < 'x'", "\"rsi < 'x'\": rsi is a number: compare it with a number"),
        ("30 rsi", "'30 rsi': expected a comparison after '30'"),
        ("30 < and", "'30 < and': expected a field name but found 'and' at column 6"),
        ("and rsi < 3", "'and rsi < 3': expected a field name but found 'and' at column 1"),
        ("rsi < 30, , atr_pct > 1", "an empty filter between separators"),
        (
            "rsi < 30, nope > 1",
            "'nope > 1': unknown field 'nope' (known fields: " + ", ".join(FIELDS) + ")",
        ),
    ],
)
def test_bad_filters_name_the_filter_and_the_rule(text: str, rule: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_filter(text)
    assert caught.value.field == "filter"
    assert caught.value.rule == rule
    assert caught.value.value == text


def test_no_python_is_ever_evaluated() -> None:
    for text in (
        "__import__('os').system('true')",
        "rsi.__class__",
        "exec('x')",
        "rsi < 30 if 1 else 0",
    ):
        with pytest.raises(ValidationError):
            parse_filter(text)


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("rsi", SortSpec("rsi", False)),
        ("rsi asc", SortSpec("rsi", False)),
        ("change_pct desc", SortSpec("change_pct", True)),
        ("-change_pct", SortSpec("change_pct", True)),
        ("Volume_Surge DESC", SortSpec("volume_surge", True)),
    ],
)
def test_sort_specs_parse(text: str, spec: SortSpec) -> None:
    assert parse_sort(text) == spec


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("", "must be a field name, optionally followed by asc or desc"),
        ("rsi up", "the direction must be asc or desc"),
        ("rsi desc now", "must be a field name, optionally followed by asc or desc"),
        ("speed", "unknown field 'speed' (known fields: " + ", ".join(FIELDS) + ")"),
    ],
)
def test_bad_sort_specs(text: str, rule: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_sort(text)
    assert (caught.value.field, caught.value.rule) == ("sort", rule)


def test_sort_rows_either_way_keeps_missing_values_last() -> None:
    up = [r.symbol for r in sort_rows(ROWS, SortSpec("volume_surge"))]
    assert up == ["QUIET", "OVERSOLD", "SURGE", "RUNNER", "NOVOL", "SHORT"]
    down = [r.symbol for r in sort_rows(ROWS, SortSpec("volume_surge", descending=True))]
    assert down == ["RUNNER", "SURGE", "OVERSOLD", "QUIET", "NOVOL", "SHORT"]
    by_flag = [r.symbol for r in sort_rows(ROWS, SortSpec("breakout_up", descending=True))]
    assert by_flag == ["RUNNER", "NOVOL", "OVERSOLD", "QUIET", "SURGE", "SHORT"]  # ties by name
    assert next(r.symbol for r in sort_rows(ROWS, parse_sort("symbol desc"))) == "SURGE"
