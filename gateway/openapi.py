"""The OpenAPI document, generated from the routes' metadata and marshmallow schemas (apispec)."""
from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from gateway.contract import IDEMPOTENCY_KEY_MAX, as_param, path_parameters
from gateway.routing import JSON, UPLOAD
from shared.schemas import ProblemSchema

_PARAM = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>")

ERROR_STATUSES = {
    "400": "Malformed request (not JSON, bad encoding)",
    "401": "No token, or a bad or expired one",
    "403": "Your role may not do this",
    "404": "Not found, or not yours to see",
    "409": "Conflict: duplicate, wrong state or idempotency clash",
    "413": "Body too large",
    "415": "Wrong media type",
    "422": "Valid JSON that breaks the schema or a rule (the rule id is given)",
    "429": "Refused for a while (too many failed logins); Retry-After says how long",
    "503": "A service or the broker is unavailable; safe to retry",
}


def openapi_path(url: str) -> str:
    return _PARAM.sub(r"{\1}", url)


def build_spec(routes, version: str) -> dict:
    """The document of ``routes`` (the gateway's RouteTable), sorted by path and method."""
    spec = APISpec(title="Beijing Skill Master Studios API (北京市技能大师工作室)", version=version,
                   openapi_version="3.0.3", plugins=[MarshmallowPlugin()],
                   info={"description": "Multi-tenant data reporting. Money is integer fen; dates ISO 8601. "
                                        "Errors are application/problem+json."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.schema("Problem", schema=ProblemSchema)
    problem = {"application/problem+json": {"schema": "Problem"}}
    paths: dict[str, dict] = {}
    for route in sorted(routes, key=lambda r: (r.url, r.method)):
        op: dict = {"operationId": route.name, "summary": route.summary, "tags": list(route.tags) or ["misc"],
                    "responses": {}}
        params = path_parameters(route.url)
        for qname, declared in route.query.items():
            declared = as_param(declared)
            params.append({"name": qname, "in": "query", "required": declared["required"],
                           "schema": declared["schema"], "description": declared["description"]})
        if route.idempotent_key:
            params.append({"name": "Idempotency-Key", "in": "header", "required": False,
                           "schema": {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX},
                           "description": "the same key with the same body returns the first result; "
                                          "with another body 409"})
        if params:
            op["parameters"] = params
        if route.body is not None and route.body_kind == JSON:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": route.body}}}
        elif route.body_kind == UPLOAD:
            op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"]}}}}
        ok: dict = {"description": "OK"}
        if route.response is not None:
            ok["content"] = {"application/json": {"schema": route.response}}
        elif route.produces != ("application/json",):
            ok["content"] = {ct: {"schema": {"type": "string", "format": "binary"}} for ct in route.produces}
        else:
            ok["content"] = {"application/json": {"schema": {"type": "object"}}}
        if route.idempotent_key and route.status == 201:
            ok["headers"] = {"Idempotency-Replayed": {
                "description": "true when this is the first answer to the same Idempotency-Key and body, again",
                "schema": {"type": "string", "enum": ["true"]}}}
        op["responses"][str(route.status)] = ok
        for status, text in route.responses.items():
            if isinstance(text, dict):  # a whole response object
                op["responses"][str(status)] = text
            else:
                op["responses"][str(status)] = ({"description": text, "content": problem} if int(status) >= 400
                                                else {"description": text})
        if not route.public:
            op["security"] = [{"bearer": []}]
            statuses = ["400", "401", "403", "404", "409", "413", "415", "422", "503"]
        else:
            statuses = ["400", "413", "415", "422", "503"] if route.body_kind else ["503"]
        for status in statuses:
            op["responses"].setdefault(status, {"description": ERROR_STATUSES[status], "content": problem})
        if route.roles:
            op["description"] = "Roles: " + ", ".join(route.roles)
            op["x-roles"] = list(route.roles)
        for method in route.method.split(","):
            paths.setdefault(openapi_path(route.url), {})[method.lower()] = op
    add_links(paths)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


_PATH_PARAM = re.compile(r"{([^}]+)}")


def _ok_schema(op: dict, status: str = "200"):
    return op.get("responses", {}).get(status, {}).get("content", {}).get("application/json", {}).get("schema")


def add_links(paths: dict) -> None:
    """OpenAPI links from each creating operation (POST answering 201 with an ``id``) to the
    operations on what it created — ``POST /x`` → ``… /x/{x_id}…`` — so that a client (and the
    fuzzer's stateful phase) can go create → read → act."""
    for path, operations in paths.items():
        create = operations.get("post")
        if not create or "201" not in create["responses"]:
            continue
        parent = paths.get(path.rsplit("/", 1)[0], {}).get("get", {})
        if _ok_schema(parent) is not None and _ok_schema(parent) is _ok_schema(create, "201"):
            continue  # it answers its parent record (e.g. an objection answers the application)
        links = {}
        for other_path, other_ops in paths.items():
            if not other_path.startswith(path + "/{"):
                continue
            new_param = _PATH_PARAM.match(other_path[len(path) + 1:]).group(1)
            parameters = {name: f"$request.path.{name}" for name in _PATH_PARAM.findall(path)}
            parameters[new_param] = "$response.body#/id"
            if set(_PATH_PARAM.findall(other_path)) != set(parameters):
                continue  # deeper ids (e.g. a material of an objection) come from elsewhere
            for method, op in other_ops.items():
                links[op["operationId"]] = {"operationId": op["operationId"], "parameters": parameters}
        if links:
            create["responses"]["201"]["links"] = links
