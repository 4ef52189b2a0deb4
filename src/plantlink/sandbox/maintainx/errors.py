"""MaintainX error bodies and request-body validation.

The vendor answers list/query problems with ``{"error": "..."}`` and body problems with
``{"errors": [{"error", "fieldPath", "fieldValue"}]}`` whose messages are AJV's
("should have required property 'title'", "should be integer") or its own ("Invalid
status", "parentId is not valid"). Validation stops at the first problem, as AJV does by
default. Bodies are strict: a property the spec does not list is rejected, so a connector
cannot come to depend on a field the real API would ignore.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from plantlink.sandbox.core import VendorError, parse_iso

Check = Callable[[Any, str], "str | None"]
"""A validator: ``(value, path) -> error message or None``."""


def query_error(message: str) -> VendorError:
    return VendorError(400, {"error": message})


def body_error(message: str, path: str | None = None, value: Any = None) -> VendorError:
    item: dict[str, Any] = {"error": message}
    if path is not None:
        item["fieldPath"] = path
        item["fieldValue"] = value if isinstance(value, str | int | float | bool) else None
    return VendorError(400, {"errors": [item]})


def not_found(label: str) -> VendorError:
    return VendorError(404, {"error": f"{label} Not Found"})


def forbidden(message: str = "User doesn't have the right permissions") -> VendorError:
    return VendorError(403, {"errors": [{"error": message}]})


def _type(name: str, test: Callable[[Any], bool]) -> Check:
    def check(value: Any, path: str) -> str | None:
        return None if test(value) else f"should be {name}"

    return check


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


STRING = _type("string", lambda v: isinstance(v, str))
INTEGER = _type("integer", _is_int)
NUMBER = _type("number", _is_num)
BOOLEAN = _type("boolean", lambda v: isinstance(v, bool))
ANY: Check = lambda value, path: None  # noqa: E731 - a constant validator


def date_time(value: Any, path: str) -> str | None:
    if not isinstance(value, str):
        return "should be string"
    try:
        parse_iso(value)
    except ValueError:
        return 'should match format "date-time"'
    return None


def nullable(check: Check) -> Check:
    return lambda value, path: None if value is None else check(value, path)


def enum(values: Iterable[str], label: str) -> Check:
    allowed = frozenset(values)

    def check(value: Any, path: str) -> str | None:
        return None if value in allowed else f"Invalid {label}"

    return check


def array(item: Check, min_items: int = 0) -> Check:
    def check(value: Any, path: str) -> str | None:
        if not isinstance(value, list):
            return "should be array"
        if len(value) < min_items:
            return f"should NOT have fewer than {min_items} items"
        for i, v in enumerate(value):
            problem = _at(item, v, f"{path}[{i}]")
            if problem:
                raise problem
        return None

    return check


def string_map(value: Any, path: str) -> str | None:
    if not isinstance(value, dict):
        return "should be object"
    for k, v in value.items():
        if v is not None and not isinstance(v, str | int | float):
            raise body_error("should be string", f"{path}.{k}", None)
    return None


def obj(fields: dict[str, Check], required: tuple[str, ...] = ()) -> Check:
    def check(value: Any, path: str) -> str | None:
        if not isinstance(value, dict):
            return "should be object"
        validate(value, fields, required, prefix=f"{path}.")
        return None

    return check


def one_of(*checks: Check) -> Check:
    def check(value: Any, path: str) -> str | None:
        problems = []
        for c in checks:
            try:
                problem = c(value, path)
            except VendorError:
                problem = "invalid"
            if problem is None:
                return None
            problems.append(problem)
        return "should match exactly one schema in oneOf"

    return check


def _at(check: Check, value: Any, path: str) -> VendorError | None:
    problem = check(value, path)
    return None if problem is None else body_error(problem, path, value)


def validate(
    body: Any, fields: dict[str, Check], required: tuple[str, ...] = (), prefix: str = ""
) -> dict[str, Any]:
    """Check a JSON object against ``fields``; raise the vendor's 400 on the first problem."""
    if not isinstance(body, dict):
        raise body_error("should be object", prefix.rstrip(".") or None, None)
    for name in required:
        if name not in body:
            raise body_error(f"should have required property '{name}'", prefix + name)
    for name, value in body.items():
        check = fields.get(name)
        if check is None:
            raise body_error("should NOT have additional properties", prefix + name, name)
        problem = _at(check, value, prefix + name)
        if problem:
            raise problem
    return body
