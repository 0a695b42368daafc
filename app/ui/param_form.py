"""A form built from declared parameters (``app.strategies.params.Param``).

The same declaration that drives the command line's ``--param`` parsing and the optimiser
drives this form, so the bot dialog, the backtest dialog and the optimiser dialog never
describe a strategy's parameters twice. One editor per parameter (int -> QSpinBox,
float -> QDoubleSpinBox, bool -> QCheckBox, str -> QComboBox of its choices), ranges from
``low``/``high``, tooltips from ``help``, and an error label under every field, so a
ValidationError from ``Strategy.validated(...)`` appears next to the field at fault.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.engine.domain.errors import ValidationError
from app.strategies.params import Param, ParamValue

GENERAL = "_general"  # errors that name no field of this form (e.g. a cross-field rule)
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1  # QSpinBox holds a C int
_MAX_DECIMALS = 10

Editor = QSpinBox | QDoubleSpinBox | QCheckBox | QComboBox


def label_for(name: str) -> str:
    """``fast_period`` -> ``Fast period``: parameter names are identifiers, labels are prose."""
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else name


def decimals_for(param: Param) -> int:
    """Decimals a float editor shows: enough to represent ``step`` exactly (0.25 -> 2), or,
    without a step, a thousandth of the range (so 0..1 shows 3 decimals); at least 1."""
    if param.step:
        exponent = Decimal(repr(float(param.step))).normalize().as_tuple().exponent
        assert isinstance(exponent, int)  # a finite step: not NaN/Infinity
        return max(1, min(_MAX_DECIMALS, -exponent))
    assert param.low is not None and param.high is not None
    span = param.high - param.low
    if span <= 0:
        return 2
    return max(1, min(_MAX_DECIMALS, 3 - math.floor(math.log10(span))))


class ParamForm(QWidget):
    """Editors for a sequence of ``Param``. ``values()`` returns the typed values as edited
    (the spin boxes already keep numbers inside the declared range); ``changed`` fires on
    every user edit and once after ``set_values``/``reset_defaults``. Editing a field clears
    that field's error."""

    changed = Signal()

    def __init__(self, params: Sequence[Param], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        names = [p.name for p in params]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            # a broken declaration is a programming error, like Param's own checks
            raise TypeError(f"parameters declared twice: {', '.join(duplicates)}")
        self._params: dict[str, Param] = {p.name: p for p in params}
        self._editors: dict[str, Editor] = {}
        self._errors: dict[str, QLabel] = {}
        self._bulk = False

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        for param in params:
            editor = self._make_editor(param)
            editor.setObjectName(f"param_{param.name}")
            if param.help:
                editor.setToolTip(param.help)
            self._editors[param.name] = editor
            error = self._error_label(param.name)
            self._errors[param.name] = error
            if isinstance(editor, QCheckBox):
                editor.setText(label_for(param.name))
                form.addRow("", editor)
            else:
                label = QLabel(label_for(param.name), self)
                label.setBuddy(editor)
                if param.help:
                    label.setToolTip(param.help)
                form.addRow(label, editor)
            form.addRow(error)
        self._errors[GENERAL] = self._error_label(GENERAL)
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.addLayout(form)
        root.addWidget(self._errors[GENERAL])
        self.reset_defaults()

    # --- building -------------------------------------------------------------------------
    def _error_label(self, name: str) -> QLabel:
        error = QLabel("", self)
        error.setProperty("role", "error")
        error.setWordWrap(True)
        error.setVisible(False)
        error.setObjectName(f"error_{name}")
        return error

    def _make_editor(self, param: Param) -> Editor:
        name = param.name
        if param.kind is bool:
            box = QCheckBox(self)
            box.toggled.connect(lambda _=False, n=name: self._edited(n))
            return box
        if param.kind is str:
            combo = QComboBox(self)
            combo.addItems(list(param.choices))
            combo.currentIndexChanged.connect(lambda _=0, n=name: self._edited(n))
            return combo
        assert param.low is not None and param.high is not None
        spin: QSpinBox | QDoubleSpinBox
        if param.kind is int:
            spin = QSpinBox(self)
            low = max(_INT_MIN, math.ceil(param.low))
            high = min(_INT_MAX, math.floor(param.high))
            spin.setRange(low, high)
            spin.setSingleStep(max(1, round(param.step or 1)))
            spin.valueChanged.connect(lambda _=0, n=name: self._edited(n))
        else:
            spin = QDoubleSpinBox(self)
            spin.setDecimals(decimals_for(param))
            spin.setRange(param.low, param.high)
            spin.setSingleStep(param.step or (param.high - param.low) / 100 or 1.0)
            spin.valueChanged.connect(lambda _=0.0, n=name: self._edited(n))
        spin.setKeyboardTracking(False)  # one change per finished entry, not per keystroke
        spin.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
        return spin

    # --- reading and writing --------------------------------------------------------------
    @property
    def params(self) -> tuple[Param, ...]:
        return tuple(self._params.values())

    def editor(self, name: str) -> Editor:
        return self._editors[self._known(name)]

    def values(self) -> dict[str, ParamValue]:
        """Every parameter's value as edited, typed as declared."""
        return {name: self._read(name) for name in self._params}

    def set_values(self, values: Mapping[str, object]) -> None:
        """Put ``values`` (typed or text, e.g. from a saved bot) into the editors; names not
        given keep their current value. Everything is checked before anything is changed: an
        unknown name or a bad value raises ValidationError naming the parameter."""
        parsed = {self._known(name): self._params[name].parse(raw) for name, raw in values.items()}
        self._apply(parsed)

    def reset_defaults(self) -> None:
        self._apply({p.name: p.default for p in self._params.values()})

    def _apply(self, values: Mapping[str, ParamValue]) -> None:
        self._bulk = True
        try:
            for name, value in values.items():
                self._write(name, value)
                self.clear_error(name)
        finally:
            self._bulk = False
        self.changed.emit()

    def _read(self, name: str) -> ParamValue:
        editor = self._editors[name]
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        if isinstance(editor, QComboBox):
            return editor.currentText()
        if isinstance(editor, QSpinBox):
            return int(editor.value())
        # the box shows `decimals` digits; report what the user sees, not binary residue
        return round(float(editor.value()), editor.decimals())

    def _write(self, name: str, value: ParamValue) -> None:
        editor = self._editors[name]
        if isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, QComboBox):
            editor.setCurrentIndex(editor.findText(str(value)))
        elif isinstance(editor, QSpinBox):
            assert isinstance(value, int)
            editor.setValue(value)
        else:
            assert isinstance(value, int | float) and not isinstance(value, bool)
            editor.setValue(float(value))

    def _known(self, name: str) -> str:
        if name not in self._params:
            allowed = ", ".join(self._params) or "none"
            raise ValidationError(name, f"is not a parameter here (allowed: {allowed})")
        return name

    def _edited(self, name: str) -> None:
        if self._bulk:
            return
        self.clear_error(name)
        self.changed.emit()

    # --- errors ---------------------------------------------------------------------------
    def show_error(self, field: str, rule: str) -> None:
        """Show ``rule`` under ``field``'s editor; a field this form does not have (a rule
        across fields, an unknown name) is shown below the form, prefixed with its name."""
        if field in self._params:
            label = self._errors[field]
            label.setText(rule)
        else:
            label = self._errors[GENERAL]
            label.setText(f"{field}: {rule}" if field else rule)
        label.setVisible(True)

    def show_validation_error(self, error: ValidationError) -> None:
        self.show_error(error.field, error.rule)

    def clear_error(self, field: str) -> None:
        label = self._errors.get(field)
        if label is not None:
            label.setText("")
            label.setVisible(False)

    def clear_errors(self) -> None:
        for name in self._errors:
            self.clear_error(name)

    def error_text(self, field: str) -> str:
        """The error shown for ``field`` (``GENERAL`` for the form-wide one), or ``""``."""
        label = self._errors.get(field)
        return "" if label is None else label.text()

    def error_label(self, field: str) -> QLabel:
        return self._errors[field if field == GENERAL else self._known(field)]
