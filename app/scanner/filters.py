"""User filters over scan rows, parsed by a small recursive-descent parser (no ``eval``).

Grammar (keywords are case-insensitive)::

    filters    := expr ( (',' | ';') expr )*      -- every filter must hold
    expr       := term ( 'or' term )*
    term       := factor ( 'and' factor )*
    factor     := 'not' factor | '(' expr ')' | comparison | flag
    comparison := FIELD OP literal | literal OP FIELD
    flag       := FIELD                            -- a yes/no field: breakout_up
    OP         := '<' | '<=' | '>' | '>=' | '==' | '=' | '!='
    literal    := NUMBER | 'true' | 'false' | "text" | 'text'

Examples: ``rsi < 30``, ``change_pct >= 2``, ``breakout_up``, ``not breakout_down``,
``volume_surge > 1.5 and atr_pct > 0.3``, ``symbol == "BTC/USD" or rsi > 70``.

Rows without a value (insufficient history, a volume of zero) make a comparison UNKNOWN
rather than false, with SQL's three-valued logic: ``not unknown`` is unknown, ``unknown and
false`` is false, ``unknown or true`` is true. A row passes only when the whole filter is
true, so ``not breakout_down`` does not pass rows that could not be measured.

Bad input raises ValidationError(field="filter") whose rule names the filter at fault and
what is wrong with it (an unknown field lists the known ones).
"""

from __future__ import annotations

import operator
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from app.engine.domain.errors import ValidationError
from app.scanner.metrics import FIELDS, ScanRow

Truth = bool | None  # None: unknown (the row lacks the value)
Literal = float | bool | str

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "=": operator.eq,
    "!=": operator.ne,
}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "=": "=", "!=": "!="}
_KEYWORDS = {"and", "or", "not", "true", "false"}
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op><=|>=|==|!=|<|>|=)
      | (?P<paren>[()])
      | (?P<text>"[^"]*"|'[^']*')
    )""",
    re.VERBOSE,
)


# --- the compiled tree --------------------------------------------------------------------
class Node(ABC):
    @abstractmethod
    def eval(self, row: ScanRow) -> Truth:
        """True, False, or None when the row lacks a value the node reads."""


@dataclass(frozen=True, slots=True)
class Compare(Node):
    field: str
    op: str
    literal: Literal

    def eval(self, row: ScanRow) -> Truth:
        value = row.value(self.field)
        if value is None:
            return None
        return bool(_OPS[self.op](value, self.literal))


@dataclass(frozen=True, slots=True)
class Flag(Node):
    field: str

    def eval(self, row: ScanRow) -> Truth:
        value = row.value(self.field)
        return None if value is None else bool(value)


@dataclass(frozen=True, slots=True)
class Not(Node):
    inner: Node

    def eval(self, row: ScanRow) -> Truth:
        v = self.inner.eval(row)
        return None if v is None else not v


@dataclass(frozen=True, slots=True)
class And(Node):
    parts: tuple[Node, ...]

    def eval(self, row: ScanRow) -> Truth:
        result: Truth = True
        for part in self.parts:
            v = part.eval(row)
            if v is False:
                return False
            if v is None:
                result = None
        return result


@dataclass(frozen=True, slots=True)
class Or(Node):
    parts: tuple[Node, ...]

    def eval(self, row: ScanRow) -> Truth:
        result: Truth = False
        for part in self.parts:
            v = part.eval(row)
            if v is True:
                return True
            if v is None:
                result = None
        return result


@dataclass(frozen=True, slots=True)
class Filter:
    """A parsed filter line: ``matches(row)`` is true only when every filter holds."""

    text: str
    node: Node | None  # None: an empty line, which lets everything through

    def matches(self, row: ScanRow) -> bool:
        return self.node is None or self.node.eval(row) is True

    def apply(self, rows: Iterable[ScanRow]) -> list[ScanRow]:
        return [r for r in rows if self.matches(r)]


# --- parsing ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # number, name, op, paren, text, sep, end
    text: str
    pos: int


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        if text[pos] in ",;":
            out.append(_Tok("sep", text[pos], pos))
            pos += 1
            continue
        m = _TOKEN.match(text, pos)
        if m is None or m.lastgroup is None:
            raise _Error(f"unexpected {text[pos]!r} at column {pos + 1}")
        start = m.start(m.lastgroup)
        out.append(_Tok(m.lastgroup, m.group(m.lastgroup), start))
        pos = m.end()
    out.append(_Tok("end", "", len(text)))
    return out


class _Error(Exception):
    """A parse fault inside one filter; turned into a ValidationError naming that filter."""


class _Parser:
    def __init__(self, tokens: list[_Tok]) -> None:
        self.toks = tokens
        self.i = 0

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def _word(self, *words: str) -> bool:
        return self.tok.kind == "name" and self.tok.text.lower() in words

    def _advance(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def _describe(self, tok: _Tok) -> str:
        return "the end" if tok.kind in ("end", "sep") else f"{tok.text!r} at column {tok.pos + 1}"

    def expr(self) -> Node:
        parts = [self.term()]
        while self._word("or"):
            self._advance()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def term(self) -> Node:
        parts = [self.factor()]
        while self._word("and"):
            self._advance()
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def factor(self) -> Node:
        tok = self.tok
        if self._word("not"):
            self._advance()
            return Not(self.factor())
        if tok.kind == "paren" and tok.text == "(":
            self._advance()
            inner = self.expr()
            if not (self.tok.kind == "paren" and self.tok.text == ")"):
                raise _Error(f"expected ')' but found {self._describe(self.tok)}")
            self._advance()
            return inner
        if tok.kind == "name" and tok.text.lower() not in _KEYWORDS:
            self._advance()
            field = _field(tok.text)
            if self.tok.kind == "op":
                op = self._advance().text
                return _compare(field, op, self._literal())
            if FIELDS[field].kind is not bool:
                raise _Error(
                    f"{field} is a number; compare it, e.g. '{field} > 1'"
                    if FIELDS[field].kind is not str
                    else f"{field} is text; compare it, e.g. '{field} == \"BTC/USD\"'"
                )
            return Flag(field)
        if tok.kind in ("number", "text") or self._word("true", "false"):
            literal = self._literal()
            if self.tok.kind != "op":
                raise _Error(f"expected a comparison after {tok.text!r}")
            op = self._advance().text
            name = self.tok
            if name.kind != "name" or name.text.lower() in _KEYWORDS:
                raise _Error(f"expected a field name but found {self._describe(name)}")
            self._advance()
            return _compare(_field(name.text), _FLIP[op], literal)
        raise _Error(f"expected a field name but found {self._describe(tok)}")

    def _literal(self) -> Literal:
        tok = self._advance()
        if tok.kind == "number":
            return float(tok.text)
        if tok.kind == "text":
            return tok.text[1:-1]
        if tok.kind == "name" and tok.text.lower() in ("true", "false"):
            return tok.text.lower() == "true"
        raise _Error(f"expected a number but found {self._describe(tok)}")


def _field(name: str) -> str:
    key = name.lower()
    if key not in FIELDS:
        raise _Error(f"unknown field {name!r} (known fields: {', '.join(FIELDS)})")
    return key


def _compare(field: str, op: str, literal: Literal) -> Compare:
    kind = FIELDS[field].kind
    if kind is bool:
        if not isinstance(literal, bool):
            raise _Error(f"{field} is yes/no: compare it with true or false, or name it alone")
        if op not in ("==", "=", "!="):
            raise _Error(f"{field} is yes/no: only == and != apply")
    elif kind is str:
        if not isinstance(literal, str):
            raise _Error(f"{field} is text: compare it with quoted text")
        if op not in ("==", "=", "!="):
            raise _Error(f"{field} is text: only == and != apply")
    elif isinstance(literal, bool) or not isinstance(literal, float):
        raise _Error(f"{field} is a number: compare it with a number")
    return Compare(field, op, literal)


def _split(tokens: list[_Tok]) -> list[list[_Tok]]:
    groups: list[list[_Tok]] = [[]]
    for tok in tokens:
        if tok.kind == "sep":
            groups.append([])
        elif tok.kind != "end":
            groups[-1].append(tok)
    return groups


def parse_filter(text: str) -> Filter:
    """Compile a filter line; an empty line lets every row through."""
    source = text.strip()
    if not source:
        return Filter(text, None)
    try:
        tokens = _tokens(text)
    except _Error as exc:
        raise ValidationError("filter", f"{source!r}: {exc}", text) from None
    nodes: list[Node] = []
    for group in _split(tokens):
        if not group:
            raise ValidationError("filter", "an empty filter between separators", text)
        start, stop = group[0].pos, group[-1].pos + len(group[-1].text)
        clause = text[start:stop]
        end = _Tok("end", "", stop)
        parser = _Parser([*group, end])
        try:
            node = parser.expr()
            if parser.tok.kind != "end":
                raise _Error(f"expected 'and' or 'or' but found {parser._describe(parser.tok)}")
        except _Error as exc:
            raise ValidationError("filter", f"{clause!r}: {exc}", text) from None
        nodes.append(node)
    return Filter(text, nodes[0] if len(nodes) == 1 else And(tuple(nodes)))


# --- sorting ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SortSpec:
    field: str
    descending: bool = False


def parse_sort(text: str) -> SortSpec:
    """``"rsi"``, ``"rsi asc"``, ``"change_pct desc"`` or ``"-change_pct"``."""
    words = text.strip().split()
    if not words or len(words) > 2:
        raise ValidationError(
            "sort", "must be a field name, optionally followed by asc or desc", text
        )
    name, descending = words[0], False
    if name.startswith("-"):
        name, descending = name[1:], True
    if len(words) == 2:
        direction = words[1].lower()
        if direction not in ("asc", "desc"):
            raise ValidationError("sort", "the direction must be asc or desc", text)
        descending = direction == "desc"
    key = name.lower()
    if key not in FIELDS:
        raise ValidationError(
            "sort", f"unknown field {name!r} (known fields: {', '.join(FIELDS)})", text
        )
    return SortSpec(key, descending)


def sort_rows(rows: Sequence[ScanRow], spec: SortSpec) -> list[ScanRow]:
    """Rows by ``spec.field``; rows without a value come last either way, ties by symbol."""
    known = [r for r in rows if r.value(spec.field) is not None]
    unknown = [r for r in rows if r.value(spec.field) is None]
    known.sort(key=lambda r: r.symbol)
    known.sort(key=lambda r: r.value(spec.field), reverse=spec.descending)  # type: ignore[arg-type, return-value]
    unknown.sort(key=lambda r: r.symbol)
    return known + unknown
