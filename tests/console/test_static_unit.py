"""gateway/console.py without a running system: which file answers which path, with which
headers (the browser tests check the same over HTTP)."""
from __future__ import annotations

import json

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.console import CONSOLE_RULES, IMMUTABLE, StaticRoute, secure


@pytest.fixture
def dist(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<!doctype html><div id="app"></div><script type="module" src="/assets/index-abc.js"></script>')
    (tmp_path / "assets" / "index-abc.js").write_text("console.log(1)")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    (tmp_path / ".vite").mkdir()
    (tmp_path / ".vite" / "manifest.json").write_text("{}")
    (tmp_path / "api-docs").mkdir()
    (tmp_path / "api-docs" / "index.html").write_text("<div id=swagger-ui></div>")
    return tmp_path


def answer(dist, url: str, path: str = ""):
    route = StaticRoute("GET", url)
    request = Request(EnvironBuilder(path="/" + path).get_environ())
    response = secure(route.answer(request, dist, **({"path": path} if "<path:path>" in url else {})))
    response.direct_passthrough = False
    return response


def test_history_fallback_serves_index_without_cache(dist):
    for path in ("", "studios/abc", "applications/new"):
        resp = answer(dist, "/<path:path>" if path else "/", path)
        assert resp.status_code == 200 and b'<div id="app">' in resp.get_data()
        assert resp.headers["Cache-Control"] == "no-cache"
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_hashed_assets_are_immutable_and_unknown_assets_404(dist):
    resp = answer(dist, "/<path:path>", "assets/index-abc.js")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == IMMUTABLE
    assert answer(dist, "/<path:path>", "assets/old-123.js").status_code == 404


def test_dot_paths_and_traversal_never_leave_or_expose_the_build(dist):
    assert b"app" in answer(dist, "/<path:path>", ".vite/manifest.json").get_data()  # the page, not the manifest
    assert answer(dist, "/<path:path>", "assets/../../etc/passwd").status_code == 404


def test_unknown_api_paths_are_problem_json(dist):
    resp = answer(dist, "/<path:path>", "api/v1/nothing-here")
    assert resp.status_code == 404 and resp.headers["Content-Type"].startswith("application/problem+json")
    assert json.loads(resp.get_data())["status"] == 404


def test_api_docs_and_the_not_built_page(dist, tmp_path_factory):
    assert b"swagger-ui" in answer(dist, "/api/docs").get_data()
    empty = tmp_path_factory.mktemp("empty")
    resp = answer(empty, "/")
    assert resp.status_code == 503 and "控制台尚未构建".encode() in resp.get_data()


def test_the_gateway_registers_every_console_rule_beside_the_api_routes():
    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
    from gateway.service import GatewayService
    pages = getattr(GatewayService.console, ENTRYPOINT_EXTENSIONS_ATTR)
    assert sorted(p.url for p in pages) == sorted(CONSOLE_RULES)
    assert all(isinstance(p, StaticRoute) and p.method == "GET" for p in pages)
