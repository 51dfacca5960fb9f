"""The gateway's web server: nameko's, with one WSGI app that keeps the contract where no route
runs — a path no route has (404), a method the path does not take (405), ``OPTIONS`` (204
with ``Allow``) — answering problem+json with the same security headers as every route.
Every HTTP entrypoint of the gateway (``gateway.http.ApiRoute``, and any static serving)
uses this server class, so the port has one server.
"""
from __future__ import annotations

import json
import uuid

import re

from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import BaseConverter, Map, Rule
from werkzeug.wrappers import Request, Response

from gateway.contract import plain_rule
from gateway.problems import PROBLEM_TYPE
from gateway.security import secure_headers

_CODES = {404: "not_found", 405: "method_not_allowed", 400: "bad_request", 413: "payload_too_large"}


def http_problem(exc: HTTPException, request_id: str) -> Response:
    status = exc.code or 500
    body = {"type": PROBLEM_TYPE.format(_CODES.get(status, "http_error")), "title": exc.name, "status": status,
            "detail": exc.description or exc.name, "request_id": request_id}
    response = Response(json.dumps(body, ensure_ascii=False), status=status,
                        headers={"Content-Type": "application/problem+json; charset=utf-8"})
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    return response


class ProblemWsgiApp(WsgiApp):
    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        request_id = (request.headers.get("X-Request-Id") or uuid.uuid4().hex)[:64]
        try:
            if request.method == "OPTIONS":
                allowed = sorted(set(adapter.allowed_methods()) | {"OPTIONS"})
                if allowed == ["OPTIONS"]:
                    adapter.match()  # raises NotFound
                response = Response(status=204, headers={"Allow": ", ".join(allowed)})
            else:
                provider, values = adapter.match()
                request.path_values = values
                return provider.handle_request(request)(environ, start_response)
        except HTTPException as exc:
            response = http_problem(exc, request_id)
        response.headers["X-Request-Id"] = request_id
        return secure_headers(response)(environ, start_response)


class NotLiteralConverter(BaseConverter):
    """A path segment that is not one of the given literals (``/applications/shortlist`` is never
    the application ``shortlist``, for any method)."""

    def __init__(self, url_map, *literals):
        super().__init__(url_map)
        self.regex = "(?!(?:" + "|".join(re.escape(w) for w in literals) + ")(?:/|$))[^/]+"


_PLAIN_PARAM = re.compile(r"^<([a-zA-Z_][a-zA-Z0-9_]*)>$")


def _shape(segments):
    return tuple("<>" if seg.startswith("<") else seg for seg in segments)


def exclusive_urls(urls):
    """Each url with its plain ``<name>`` segments made to refuse the literal segments that other
    urls have at the same place (same path before it)."""
    literals: dict[tuple, set] = {}
    for url in urls:
        segments = url.split("/")
        for i, seg in enumerate(segments):
            if not seg.startswith("<"):
                literals.setdefault(_shape(segments[:i]), set()).add(seg)
    out = {}
    for url in urls:
        segments = url.split("/")
        for i, seg in enumerate(segments):
            match = _PLAIN_PARAM.match(seg)
            taken = literals.get(_shape(segments[:i]))
            if match and taken:
                segments[i] = f"<not_literal({', '.join(sorted(taken))}):{match.group(1)}>"
        out[url] = "/".join(segments)
    return out


URL_LENGTH_LIMIT = 64 * 1024


class ProblemWebServer(WebServer):
    def get_wsgi_app(self):
        return ProblemWsgiApp(self)

    def get_wsgi_server(self, sock, wsgi_app, **kwargs):
        server = super().get_wsgi_server(sock, wsgi_app, **kwargs)
        # eventlet answers a request line over 8 KiB with a bare 414 before any route runs; a
        # longer URL reaches the routes, whose query checks name the parameter that is too long
        # (a 422 problem). Past 64 KiB eventlet's 414 stays.
        server.url_length_limit = URL_LENGTH_LIMIT
        return server

    def make_url_map(self):
        url_map = Map(converters={"not_literal": NotLiteralConverter})
        rewritten = exclusive_urls([plain_rule(provider.url) for provider in self._providers])
        for provider in self._providers:
            rule = Rule(rewritten[plain_rule(provider.url)], methods=[provider.method])
            rule.endpoint = provider
            url_map.add(rule)
        return url_map
