"""OData V2 `$filter`: tokenizer, parser to a small AST, and compiler to row predicates.

Supported: `eq ne gt ge lt le and or not`, parentheses, string / integer / decimal /
double / boolean / `null` / `datetime'…'` / `datetimeoffset'…'` / `time'…'` / `guid'…'`
literals, and the functions `substringof startswith endswith tolower toupper trim length
indexof concat substring year month day hour minute second`. Arithmetic operators and
navigation paths are refused with SAP's error, as SAP Gateway does for most services.
Properties flagged `sap:filterable="false"` are refused too.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from plantlink.sandbox.sap_s4hana.edm import EntityType
from plantlink.sandbox.sap_s4hana.errors import ODataError, bad_request
from plantlink.sandbox.sap_s4hana.values import (
    ms_to_datetime,
    parse_datetime,
    parse_datetimeoffset,
    parse_time,
)

Row = dict[str, Any]
Getter = Callable[[Row], Any]


@dataclass(frozen=True)
class Lit:
    kind: str  # string number bool null datetime time guid
    value: Any


@dataclass(frozen=True)
class PropRef:
    name: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Cmp:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class BoolOp:
    op: str  # and / or
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    operand: Node


Node = Lit | PropRef | Call | Cmp | BoolOp | Not

COMPARISONS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
ARITHMETIC = {"add", "sub", "mul", "div", "mod"}

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^']|'')*')
    | (?P<typed>(?:datetimeoffset|datetime|time|guid)'[^']*')
    | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[mMdDfFlL]?)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<punct>[(),/])
    )""",
    re.VERBOSE,
)


def syntax_error(text: str) -> ODataError:
    return bad_request(f"Invalid filter expression: '{text}'", code="/IWBEP/CM_MGW_RT/004")


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].isspace():
            break
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise syntax_error(text)
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _literal(kind: str, raw: str, text: str) -> Lit:
    if kind == "string":
        return Lit("string", raw[1:-1].replace("''", "'"))
    if kind == "number":
        suffix = raw[-1].lower()
        body = raw[:-1] if suffix in "mdfl" else raw
        try:
            if suffix in "df" or "e" in body.lower():
                return Lit("number", float(body))
            return Lit("number", Decimal(body) if "." in body or suffix == "m" else int(body))
        except (ValueError, InvalidOperation):
            raise syntax_error(text) from None
    prefix, _, quoted = raw.partition("'")
    body = quoted[:-1]
    if prefix == "datetime":
        ms = parse_datetime(body)
    elif prefix == "datetimeoffset":
        ms = parse_datetimeoffset(body)
    elif prefix == "time":
        ms = parse_time(body)
    else:
        if not re.fullmatch(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}", body):
            raise syntax_error(text)
        return Lit("guid", body.lower())
    if ms is None:
        raise syntax_error(text)
    return Lit("time" if prefix == "time" else "datetime", ms)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.position = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise syntax_error(self.text)
        self.position += 1
        return token

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token and token[0] == "name" and token[1] in words:
            self.position += 1
            return token[1]
        return None

    def expect(self, punct: str) -> None:
        if self.take() != ("punct", punct):
            raise syntax_error(self.text)

    def parse(self) -> Node:
        node = self.or_expr()
        if self.peek() is not None:
            raise syntax_error(self.text)
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.keyword("or"):
            node = BoolOp("or", node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.not_expr()
        while self.keyword("and"):
            node = BoolOp("and", node, self.not_expr())
        return node

    def not_expr(self) -> Node:
        if self.keyword("not"):
            return Not(self.not_expr())
        return self.comparison()

    def comparison(self) -> Node:
        left = self.primary()
        op = self.keyword(*COMPARISONS, *ARITHMETIC)
        if op is None:
            return left
        if op in ARITHMETIC:
            raise bad_request(
                f"Arithmetic operator '{op}' is not supported in $filter",
                code="/IWBEP/CM_MGW_RT/004",
            )
        return Cmp(op, left, self.primary())

    def primary(self) -> Node:
        kind, raw = self.take()
        if kind == "punct":
            if raw != "(":
                raise syntax_error(self.text)
            node = self.or_expr()
            self.expect(")")
            return node
        if kind != "name":
            return _literal(kind, raw, self.text)
        if raw in ("true", "false"):
            return Lit("bool", raw == "true")
        if raw == "null":
            return Lit("null", None)
        if self.peek() == ("punct", "("):
            self.take()
            args: list[Node] = []
            if self.peek() != ("punct", ")"):
                args.append(self.or_expr())
                while self.peek() == ("punct", ","):
                    self.take()
                    args.append(self.or_expr())
            self.expect(")")
            return Call(raw, tuple(args))
        if self.peek() == ("punct", "/"):
            raise bad_request(
                f"Navigation path '{raw}/…' is not supported in $filter",
                code="/IWBEP/CM_MGW_RT/004",
            )
        return PropRef(raw)


def parse_filter(text: str) -> Node:
    return _Parser(text).parse()


def parse_literal(text: str) -> Lit:
    """A single URI literal, e.g. `'4000001'` or `datetime'9999-12-31T00:00:00'`."""
    node = _Parser(text).parse()
    if not isinstance(node, Lit):
        raise syntax_error(text)
    return node


def conjuncts(node: Node) -> list[Node]:
    """The top-level `and` operands (what an index can narrow the scan with)."""
    if isinstance(node, BoolOp) and node.op == "and":
        return conjuncts(node.left) + conjuncts(node.right)
    return [node]


KIND_OF_TYPE = {
    "Edm.String": "string",
    "Edm.Boolean": "bool",
    "Edm.DateTime": "datetime",
    "Edm.DateTimeOffset": "datetime",
    "Edm.Time": "time",
    "Edm.Guid": "guid",
}


def _decimal_or_none(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _text(getter: Getter, function: Callable[[str], Any]) -> Getter:
    return lambda row: None if (value := getter(row)) is None else function(value)


def _date_part(getter: Getter, attribute: str) -> Getter:
    return lambda row: (
        None if (ms := getter(row)) is None else getattr(ms_to_datetime(ms), attribute)
    )


class _Compiler:
    def __init__(self, entity: EntityType) -> None:
        self.entity = entity

    def compile(self, node: Node) -> tuple[Getter, str]:
        if isinstance(node, Lit):
            value = node.value
            return (lambda _row: value), node.kind
        if isinstance(node, PropRef):
            return self.prop(node.name)
        if isinstance(node, Not):
            getter = self.boolean(node.operand)
            return (lambda row: not getter(row)), "bool"
        if isinstance(node, BoolOp):
            left, right = self.boolean(node.left), self.boolean(node.right)
            if node.op == "and":
                return (lambda row: left(row) and right(row)), "bool"
            return (lambda row: left(row) or right(row)), "bool"
        if isinstance(node, Cmp):
            return self.comparison(node), "bool"
        return self.call(node)

    def prop(self, name: str) -> tuple[Getter, str]:
        prop = self.entity.by_name.get(name)
        if prop is None:
            raise bad_request(
                f"Property '{name}' not found in type '{self.entity.name}'",
                code="/IWBEP/CM_MGW_RT/021",
                prop=name,
            )
        if not prop.filterable:
            raise bad_request(
                f"Property '{name}' of type '{self.entity.name}' is not filterable",
                code="/IWBEP/CM_MGW_RT/025",
                prop=name,
            )
        if prop.type == "Edm.Decimal":
            return (lambda row: _decimal_or_none(row[name])), "number"
        return operator.itemgetter(name), KIND_OF_TYPE.get(prop.type, "number")

    def boolean(self, node: Node) -> Getter:
        getter, kind = self.compile(node)
        if kind != "bool":
            raise bad_request("$filter must be a Boolean expression", code="/IWBEP/CM_MGW_RT/004")
        return getter

    def comparison(self, node: Cmp) -> Getter:
        left, left_kind = self.compile(node.left)
        right, right_kind = self.compile(node.right)
        if "null" not in (left_kind, right_kind) and left_kind != right_kind:
            raise bad_request(
                f"Incompatible operands for '{node.op}': {left_kind} and {right_kind}",
                code="/IWBEP/CM_MGW_RT/004",
            )
        compare = COMPARISONS[node.op]
        if node.op in ("eq", "ne"):
            return lambda row: compare(left(row), right(row))
        if "bool" in (left_kind, right_kind) or "guid" in (left_kind, right_kind):
            raise bad_request(
                f"Operator '{node.op}' needs ordered operands", code="/IWBEP/CM_MGW_RT/004"
            )

        def ordered(row: Row) -> bool:
            a, b = left(row), right(row)
            return a is not None and b is not None and compare(a, b)

        return ordered

    def args(self, call: Call, *kinds: str) -> list[Getter]:
        if len(call.args) != len(kinds):
            raise bad_request(
                f"Function '{call.name}' takes {len(kinds)} arguments", code="/IWBEP/CM_MGW_RT/004"
            )
        getters = []
        for argument, kind in zip(call.args, kinds, strict=True):
            getter, actual = self.compile(argument)
            if actual not in (kind, "null"):
                raise bad_request(
                    f"Function '{call.name}' expects {kind} arguments", code="/IWBEP/CM_MGW_RT/004"
                )
            getters.append(getter)
        return getters

    def call(self, call: Call) -> tuple[Getter, str]:
        name = call.name
        if name in ("substringof", "startswith", "endswith", "indexof", "concat"):
            a, b = self.args(call, "string", "string")

            def pair(function: Callable[[str, str], Any]) -> Getter:
                return lambda row: (
                    None if (x := a(row)) is None or (y := b(row)) is None else function(x, y)
                )

            functions: dict[str, tuple[Callable[[str, str], Any], str]] = {
                "substringof": (lambda needle, hay: needle in hay, "bool"),
                "startswith": (str.startswith, "bool"),
                "endswith": (str.endswith, "bool"),
                "indexof": (str.find, "number"),
                "concat": (operator.add, "string"),
            }
            function, kind = functions[name]
            getter = pair(function)
            if kind == "bool":
                return (lambda row: bool(getter(row))), kind
            return getter, kind
        if name in ("tolower", "toupper", "trim", "length"):
            (a,) = self.args(call, "string")
            unary: dict[str, tuple[Callable[[str], Any], str]] = {
                "tolower": (str.lower, "string"),
                "toupper": (str.upper, "string"),
                "trim": (str.strip, "string"),
                "length": (len, "number"),
            }
            function1, kind = unary[name]
            return _text(a, function1), kind
        if name == "substring":
            if len(call.args) == 2:
                text, start = self.args(call, "string", "number")
                return (
                    lambda row: (
                        None if (s := text(row)) is None or (i := start(row)) is None else s[i:]
                    ),
                    "string",
                )
            text, start, length = self.args(call, "string", "number", "number")
            return (
                lambda row: (
                    None
                    if (s := text(row)) is None or (i := start(row)) is None
                    else s[i : i + (length(row) or 0)]
                ),
                "string",
            )
        if name in ("year", "month", "day", "hour", "minute", "second"):
            (a,) = self.args(call, "datetime")
            return _date_part(a, name), "number"
        raise bad_request(f"Function '{name}' is not supported", code="/IWBEP/CM_MGW_RT/004")


def compile_filter(node: Node, entity: EntityType) -> Callable[[Row], bool]:
    """A predicate over internal rows; raises SAP errors for unknown/unfilterable properties."""
    return _Compiler(entity).boolean(node)
