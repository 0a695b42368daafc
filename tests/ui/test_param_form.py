"""The parameter form: editors from declarations, values, errors next to the field."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLabel, QSpinBox
from pytestqt.qtbot import QtBot

from app.engine.domain.errors import ValidationError
from app.strategies.params import Param, validate_params
from app.ui.param_form import GENERAL, ParamForm, decimals_for, label_for

SPEC = (
    Param("fast", int, 10, low=2, high=50, step=1, help="fast moving-average length"),
    Param("slow", int, 30, low=5, high=200, step=5, help="slow moving-average length"),
    Param("threshold", float, 0.5, low=0.0, high=5.0, step=0.25, help="entry threshold, %"),
    Param("ratio", float, 0.125, low=0.0, high=1.0),
    Param("long_only", bool, True, help="never open a short"),
    Param("source", str, "close", choices=("close", "hl2", "ohlc4"), help="price input"),
)


def _form(qtbot: QtBot, spec: tuple[Param, ...] = SPEC) -> ParamForm:
    form = ParamForm(spec)
    qtbot.addWidget(form)
    return form


def test_one_editor_per_kind_with_range_tooltip_and_default(qtbot: QtBot) -> None:
    form = _form(qtbot)
    fast = form.editor("fast")
    assert isinstance(fast, QSpinBox)
    assert (fast.minimum(), fast.maximum(), fast.value()) == (2, 50, 10)
    assert fast.toolTip() == "fast moving-average length"
    slow = form.editor("slow")
    assert isinstance(slow, QSpinBox) and slow.singleStep() == 5
    threshold = form.editor("threshold")
    assert isinstance(threshold, QDoubleSpinBox)
    assert threshold.decimals() == 2  # from step 0.25
    assert (threshold.minimum(), threshold.maximum()) == (0.0, 5.0)
    assert threshold.singleStep() == 0.25
    ratio = form.editor("ratio")
    assert isinstance(ratio, QDoubleSpinBox) and ratio.decimals() == 3  # no step: 1/1000 of 0..1
    long_only = form.editor("long_only")
    assert isinstance(long_only, QCheckBox)
    assert long_only.isChecked() and long_only.text() == "Long only"
    source = form.editor("source")
    assert isinstance(source, QComboBox)
    assert [source.itemText(i) for i in range(source.count())] == ["close", "hl2", "ohlc4"]
    assert source.currentText() == "close"
    assert form.values() == {
        "fast": 10,
        "slow": 30,
        "threshold": 0.5,
        "ratio": 0.125,
        "long_only": True,
        "source": "close",
    }


def test_values_are_typed_and_pass_the_declarations_own_validation(qtbot: QtBot) -> None:
    form = _form(qtbot)
    values = form.values()
    assert type(values["fast"]) is int and type(values["threshold"]) is float
    assert type(values["long_only"]) is bool and type(values["source"]) is str
    assert validate_params(SPEC, values) == values


def test_user_edits_change_values_and_emit_changed(qtbot: QtBot) -> None:
    form = _form(qtbot)
    fast = form.editor("fast")
    assert isinstance(fast, QSpinBox)
    with qtbot.waitSignal(form.changed):
        fast.setValue(12)
    long_only = form.editor("long_only")
    with qtbot.waitSignal(form.changed):
        QTest.mouseClick(long_only, Qt.MouseButton.LeftButton)
    source = form.editor("source")
    assert isinstance(source, QComboBox)
    with qtbot.waitSignal(form.changed):
        source.setCurrentIndex(2)
    values = form.values()
    assert values["fast"] == 12 and values["long_only"] is False and values["source"] == "ohlc4"


def test_typing_into_a_spin_box_is_clamped_to_the_declared_range(qtbot: QtBot) -> None:
    form = _form(qtbot)
    fast = form.editor("fast")
    assert isinstance(fast, QSpinBox)
    form.show()
    fast.lineEdit().selectAll()
    QTest.keyClicks(fast, "999")
    QTest.keyClick(fast, Qt.Key.Key_Return)
    assert fast.value() <= 50
    assert 2 <= form.values()["fast"] <= 50  # type: ignore[operator]


def test_set_values_accepts_text_and_numbers_and_emits_changed_once(qtbot: QtBot) -> None:
    form = _form(qtbot)
    seen: list[None] = []
    form.changed.connect(lambda: seen.append(None))
    form.set_values({"fast": "7", "threshold": 1.75, "long_only": "no", "source": "hl2"})
    assert len(seen) == 1
    values = form.values()
    assert values["fast"] == 7 and values["threshold"] == 1.75
    assert values["long_only"] is False and values["source"] == "hl2"
    assert values["slow"] == 30  # not given: kept
    form.reset_defaults()
    assert form.values() == {p.name: p.default for p in SPEC}


@pytest.mark.parametrize(
    ("values", "field", "rule"),
    [
        ({"fast": 500}, "fast", "must be between 2 and 50"),
        ({"fast": "ten"}, "fast", "must be a number"),
        ({"fast": 2.5}, "fast", "must be a whole number"),
        ({"source": "open"}, "source", "must be one of close, hl2, ohlc4"),
        ({"long_only": "maybe"}, "long_only", "must be true or false"),
        ({"nope": 1}, "nope", "is not a parameter here"),
    ],
)
def test_set_values_refuses_bad_input_and_changes_nothing(
    qtbot: QtBot, values: dict[str, object], field: str, rule: str
) -> None:
    form = _form(qtbot)
    before = form.values()
    with pytest.raises(ValidationError) as caught:
        form.set_values({"slow": 40, **values})
    assert caught.value.field == field
    assert caught.value.rule.startswith(rule)
    assert form.values() == before  # checked before anything was applied


def test_unknown_name_lists_the_known_ones(qtbot: QtBot) -> None:
    form = _form(qtbot)
    with pytest.raises(ValidationError) as caught:
        form.set_values({"fats": 3})
    assert "fast, slow, threshold, ratio, long_only, source" in caught.value.rule


def test_errors_show_next_to_the_field_and_clear_on_edit(qtbot: QtBot) -> None:
    form = _form(qtbot)
    form.show()
    # the way a dialog uses it: a strategy's own cross-field rule, shown at the field at fault
    form.show_validation_error(ValidationError("fast", "must be less than slow (30)", 40))
    label = form.findChild(QLabel, "error_fast")
    assert isinstance(label, QLabel)
    assert label.isVisible() and label.text() == "must be less than slow (30)"
    assert form.error_text("fast") == "must be less than slow (30)"
    assert form.error_text("slow") == ""
    assert not form.error_label("slow").isVisible()
    fast = form.editor("fast")
    assert isinstance(fast, QSpinBox)
    fast.setValue(11)  # the user fixes it
    assert form.error_text("fast") == "" and not label.isVisible()


def test_an_error_for_no_field_of_the_form_goes_below_it(qtbot: QtBot) -> None:
    form = _form(qtbot)
    form.show()
    form.show_error("symbol", "must be a demo symbol")
    assert form.error_text(GENERAL) == "symbol: must be a demo symbol"
    assert form.error_label(GENERAL).isVisible()
    form.show_error("slow", "must be above fast")
    form.clear_errors()
    assert form.error_text(GENERAL) == "" and form.error_text("slow") == ""


def test_reset_defaults_clears_errors(qtbot: QtBot) -> None:
    form = _form(qtbot)
    form.show_error("threshold", "too high for this market")
    form.reset_defaults()
    assert form.error_text("threshold") == ""


def test_empty_spec_and_duplicate_names(qtbot: QtBot) -> None:
    form = _form(qtbot, ())
    assert form.values() == {}
    with pytest.raises(TypeError, match="declared twice: fast"):
        ParamForm((SPEC[0], SPEC[0]))


def test_labels_and_decimals_helpers() -> None:
    assert label_for("fast_period") == "Fast period"
    assert decimals_for(Param("x", float, 1.0, low=0, high=10, step=0.1)) == 1
    assert decimals_for(Param("x", float, 1.0, low=0, high=10, step=0.005)) == 3
    assert decimals_for(Param("x", float, 1.0, low=0, high=10, step=1.0)) == 1
    assert decimals_for(Param("x", float, 100.0, low=0, high=1000)) == 1
    assert decimals_for(Param("x", float, 0.001, low=0, high=0.01)) == 5


def test_wide_int_ranges_fit_a_spin_box(qtbot: QtBot) -> None:
    form = _form(qtbot, (Param("n", int, 5, low=0, high=1e12),))
    n = form.editor("n")
    assert isinstance(n, QSpinBox) and n.maximum() == 2**31 - 1
