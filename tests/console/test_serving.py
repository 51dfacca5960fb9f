"""The gateway serves the built console: history-mode fallback, cache headers, security headers,
the API untouched under /api, and the API reference at /api/docs with local assets."""
from __future__ import annotations

import re

import pytest
import requests

pytestmark = pytest.mark.console


def test_index_and_history_fallback_are_not_cached_and_carry_a_strict_csp(console_system):
    for path in ("/", "/login", "/studios/some-id?tab=account", "/a/deep/path"):
        resp = requests.get(console_system.base_url + path, timeout=10)
        assert resp.status_code == 200, path
        assert resp.headers["Content-Type"].startswith("text/html")
        assert '<div id="app">' in resp.text
        assert resp.headers["Cache-Control"] == "no-cache"
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in requests.get(console_system.base_url + "/", timeout=10).text  # no inline script


def test_hashed_assets_are_immutable_for_a_year_and_a_missing_asset_is_404(console_system):
    index = requests.get(console_system.base_url + "/", timeout=10).text
    asset = re.search(r'src="(/assets/[^"]+\.js)"', index).group(1)
    resp = requests.get(console_system.base_url + asset, timeout=10)
    assert resp.status_code == 200 and "javascript" in resp.headers["Content-Type"]
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert requests.get(console_system.base_url + "/assets/gone-123.js", timeout=10).status_code == 404
    escape = requests.get(console_system.base_url + "/assets/..%2f..%2f..%2fgateway%2fconsole.py", timeout=10)
    assert escape.status_code == 404 and "import" not in escape.text


def test_the_api_is_untouched_an_unknown_api_path_is_problem_json(console_system):
    assert requests.get(console_system.base_url + "/api/v1/studios", timeout=10).status_code == 401
    unknown = requests.get(console_system.base_url + "/api/v1/no-such-route", timeout=10)
    assert unknown.status_code == 404 and unknown.headers["Content-Type"].startswith("application/problem+json")
    assert requests.get(console_system.base_url + "/healthz", timeout=10).json() == {"status": "ok"}


def test_api_reference_is_served_from_this_origin(console_system):
    page = requests.get(console_system.base_url + "/api/docs", timeout=10)
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert "http" not in re.sub(r"<!doctype[^>]*>", "", page.text).split("<body>")[1]  # no CDN
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "init.js"):
        assert requests.get(f"{console_system.base_url}/api/docs/{name}", timeout=10).status_code == 200
