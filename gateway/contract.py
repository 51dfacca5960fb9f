"""What a route accepts in its query string and headers, declared once: the OpenAPI document
renders it (gateway/openapi.py) and the entrypoint enforces it (gateway/http.py), so the
document and the behaviour cannot drift apart.

A route's ``query`` maps a parameter name to a ``param(...)`` dict (or the older
``(type, description)`` pair). Values that do not fit the declaration — a page of 0, a year
out of range, a filter value outside its list — are a 422 naming the parameter, before any
service is called; services keep their own checks (defence in depth), which are never looser.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Mapping

from shared.errors import ValidationFailed

_INTEGER = re.compile(r"^-?[0-9]{1,12}$")

MAX_PAGE_SIZE = 500
IDEMPOTENCY_KEY_MAX = 200


def param(type_: str, description: str, *, required: bool = False, minimum: int | None = None,
          maximum: int | None = None, enum=None, min_length: int | None = None, max_length: int | None = None,
          format: str | None = None) -> dict:
    """One query parameter: its JSON-schema type and constraints, its description."""
    schema: dict[str, Any] = {"type": type_}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    if enum is not None:
        schema["enum"] = list(enum)
    if type_ == "string":
        schema["minLength"] = 1 if min_length is None else min_length
        schema["maxLength"] = 200 if max_length is None else max_length
    if format:
        schema["format"] = format
    return {"schema": schema, "description": description, "required": required}


def as_param(declared) -> dict:
    """A route's query declaration in the one shape (the old ``(type, description)`` pairs too)."""
    if isinstance(declared, dict):
        return declared
    type_, description = declared
    return param(type_, description)


_TYPED_PARAM = re.compile(r"<(?:([a-z]+)(?:\(([^)]*)\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>")


def path_parameters(url: str) -> list[dict]:
    """The path's parameters; werkzeug's ``int(min=…,max=…)`` converter is documented as such."""
    params = []
    for converter, arguments, name in _TYPED_PARAM.findall(url):
        schema: dict = {"type": "string", "minLength": 1, "maxLength": 200}
        if converter == "int":
            schema = {"type": "integer"}
            for argument in filter(None, (a.strip() for a in arguments.split(","))):
                key, _, value = argument.partition("=")
                if key in ("min", "max"):
                    schema["minimum" if key == "min" else "maximum"] = int(value)
        elif converter == "any":
            schema = {"type": "string", "enum": [a.strip().strip("'\"") for a in arguments.split(",")]}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def plain_rule(url: str) -> str:
    """The url as werkzeug matches it: typed parameters (``<int(min=…):year>``) match any segment
    and are checked against their declaration by ``check_request`` (422, not a bare 404/405)."""
    return _TYPED_PARAM.sub(lambda m: f"<{m.group(3)}>" if m.group(1) in ("int", "any") else m.group(0), url)


# -- the parameters most routes share ---------------------------------------------------
PAGE = param("integer", "page number, from 1", minimum=1, maximum=10**9)
PAGE_SIZE = param("integer", f"items per page, from 1 to {MAX_PAGE_SIZE}", minimum=1, maximum=MAX_PAGE_SIZE)
PAGING = {"page": PAGE, "page_size": PAGE_SIZE}


def year(description: str, *, required: bool = False) -> dict:
    return param("integer", description, required=required, minimum=1900, maximum=9998)


def one_of(description: str, values, *, required: bool = False) -> dict:
    return param("string", f"{description}: one of {', '.join(values)}", required=required, enum=values)


# -- enforcement --------------------------------------------------------------------------
def _check_value(name: str, value: str, spec: dict) -> str | None:
    """The message for a value that breaks ``spec`` (JSON schema of a query value), else None."""
    schema = spec["schema"]
    kind = schema.get("type")
    if kind == "integer":
        if not _INTEGER.match(value):
            return "must be a whole number"
        number = int(value)
        low, high = schema.get("minimum"), schema.get("maximum")
        if (low is not None and number < low) or (high is not None and number > high):
            return f"must be from {low} to {high}"
        return None
    if kind == "boolean":
        return None if value in ("true", "false") else "true or false"
    if "enum" in schema:
        return None if value in schema["enum"] else f"one of {', '.join(schema['enum'])}"
    if len(value) < schema.get("minLength", 0):
        return "must not be empty"
    if len(value) > schema.get("maxLength", 10**6):
        return f"at most {schema['maxLength']} characters"
    fmt = schema.get("format")
    if fmt == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return "an ISO 8601 date, e.g. 2025-06-30"
    elif fmt == "date-time":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return "an ISO 8601 date-time, e.g. 2025-06-30T12:00:00+08:00"
    return None


def check_request(query: Mapping[str, Any], args, headers, *, idempotent_key: bool = False, url: str = "",
                  path_values: Mapping[str, Any] | None = None) -> None:
    """422 naming each path or query parameter (or header) whose value breaks the route's declaration."""
    errors: dict[str, str] = {}
    for declared in path_parameters(url) if path_values else ():
        name = declared["name"]
        if name in path_values:   # ids too: at most 200 characters, as documented (the fuzzer's 201 got a 200)
            problem = _check_value(name, str(path_values.get(name, "")), declared)
            if problem:
                errors[name] = problem
    for name, declared in query.items():
        spec = as_param(declared)
        values = args.getlist(name) if hasattr(args, "getlist") else [args[name]] if name in args else []
        if not values:
            if spec.get("required"):
                errors[name] = "required"
            continue
        if len(values) > 1:
            errors[name] = "give it once"
            continue
        problem = _check_value(name, values[0], spec)
        if problem:
            errors[name] = problem
    if idempotent_key:
        key = headers.get("Idempotency-Key")
        if key is not None and not 1 <= len(key.strip()) <= IDEMPOTENCY_KEY_MAX:
            errors["Idempotency-Key"] = f"from 1 to {IDEMPOTENCY_KEY_MAX} characters"
    if errors:
        raise ValidationFailed("the request does not fit the route's declaration", errors=errors)
