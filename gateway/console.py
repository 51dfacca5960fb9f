"""The web console (console/, built to console/dist) and the API reference, served by the gateway.

- ``/`` and every GET path outside ``/api/`` that is not a built file answer ``index.html``
  (vue-router's history mode); ``/assets/*`` (content-hashed by Vite) are cached for a year
  as immutable, ``index.html`` is never cached.
- ``/api/docs`` is a Swagger UI page over ``/api/v1/openapi.json``, its assets copied from
  npm's swagger-ui-dist into ``console/dist/api-docs`` by the console's build (no CDN).
- Any other GET under ``/api/`` that no API route matched is a problem+json 404: the API
  keeps its own answers.
- Every answer carries a strict Content-Security-Policy (scripts only from this origin, no
  inline scripts, no framing), ``X-Content-Type-Options: nosniff`` and a referrer policy.

These handlers answer from the file system without a worker; they are not API operations, so
they are not in the OpenAPI document. Where the console has not been built the pages say how
to build it and the API works as before.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

from nameko.web.handlers import HttpRequestHandler
from werkzeug.security import safe_join
from werkzeug.utils import send_file
from werkzeug.wrappers import Response

from gateway.problems import problem_response
from gateway.server import ProblemWebServer
from shared.errors import NotFound

CONSOLE_DIST = Path(__file__).resolve().parent.parent / "console" / "dist"
DOCS_DIR = "api-docs"

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    # Element Plus and Swagger UI set style attributes; scripts stay strict
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"

NOT_BUILT = """<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>控制台尚未构建</title>
<h1>控制台尚未构建 (the console has not been built)</h1>
<p>The API works: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
<p>Build the console with Node.js 20.19+ and npm: <code>make run</code> builds it, or
<code>cd console &amp;&amp; npm ci &amp;&amp; npm run build</code>.</p></html>"""


def console_dist(config) -> Path:
    return Path(config.get("CONSOLE_DIST") or os.environ.get("CONSOLE_DIST") or CONSOLE_DIST)


def secure(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


class StaticRoute(HttpRequestHandler):
    """A GET route answered from console/dist without a worker (files, not operations)."""
    # the API's server: one server on the port (a second one would share it by SO_REUSEPORT and
    # answer half the requests without the console's rules)
    server = ProblemWebServer()

    def handle_request(self, request):
        request.shallow = False
        request_id = (request.headers.get("X-Request-Id") or uuid.uuid4().hex)[:64]
        dist = console_dist(self.container.config)
        try:
            response = self.answer(request, dist, **request.path_values)
        except Exception as exc:  # a file vanished mid-read, a bad path: answer as the API does
            response = problem_response(exc, request_id)
        if response.status_code == 404 and request.path.startswith("/api/"):   # under this request's id
            response = problem_response(NotFound(f"no API route GET {request.path}"), request_id)
        response.headers["X-Request-Id"] = request_id
        return secure(response)

    def answer(self, request, dist: Path, path: str = "") -> Response:
        if self.url.startswith("/api/docs"):
            return serve_file(request, dist, f"{DOCS_DIR}/{path or 'index.html'}", NO_CACHE)
        if path.startswith("api/") or path == "api":
            return problem_response(NotFound(f"no API route GET /{path}"), uuid.uuid4().hex)
        if path:
            found = existing_file(dist, path)
            if found is not None:
                cache = IMMUTABLE if path.startswith("assets/") else NO_CACHE
                return file_answer(request, found, cache)
            if path.startswith("assets/"):  # an old hashed asset: never answer it with the page
                return Response("not found", status=404, mimetype="text/plain")
        return serve_file(request, dist, "index.html", NO_CACHE)


def existing_file(dist: Path, path: str) -> Path | None:
    if any(part.startswith(".") for part in path.split("/")):  # .vite/manifest.json and the like
        return None
    joined = safe_join(str(dist), path)
    if joined is None:
        return None
    candidate = Path(joined)
    return candidate if candidate.is_file() else None


def serve_file(request, dist: Path, path: str, cache: str) -> Response:
    found = existing_file(dist, path)
    if found is None:
        if path == "index.html" or path.startswith(DOCS_DIR):
            return Response(NOT_BUILT, status=503, mimetype="text/html", headers={"Cache-Control": NO_CACHE})
        return Response("not found", status=404, mimetype="text/plain")
    return file_answer(request, found, cache)


def file_answer(request, found: Path, cache: str) -> Response:
    response = send_file(str(found), request.environ, conditional=True, etag=True)
    response.headers["Cache-Control"] = cache
    return response


# The console's rules: the index, any other path (history mode), the API reference and its files.
CONSOLE_RULES = ("/", "/<path:path>", "/api/docs", "/api/docs/<path:path>")


def console_pages(fn):
    """Decorate one gateway method: registers a ``StaticRoute`` per console rule on it (the
    method itself never runs; the API's routes stay in gateway/routing.py's RouteTable)."""
    from nameko.extensions import register_entrypoint
    for url in CONSOLE_RULES:
        register_entrypoint(fn, StaticRoute("GET", url))
    return fn
