"""An oversized body sent whole gets the 413 problem, not a reset connection (issue 14):
the gateway reads and discards what is left of a refused body before it answers, also for
clients that close the connection after one request (urllib sends ``Connection: close``)."""
import json
import urllib.error
import urllib.request

import requests

MIB = 1024 * 1024


def multipart(size: int) -> bytes:
    return (b'--XXX\r\nContent-Disposition: form-data; name="file"; filename="a.xlsx"\r\n\r\n'
            + b"\0" * size + b"\r\n--XXX--\r\n")


def urllib_post(url: str, body: bytes, headers: dict):
    req = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_an_11_mib_upload_sent_whole_with_connection_close_gets_the_413_problem(system):
    token = system.token("demo-unit-a")
    for path in ("/api/v1/applications/import", "/api/v1/applications/none/materials?kind=certificate"):
        status, headers, body = urllib_post(f"{system.base}{path}", multipart(11 * MIB), {
            "Authorization": f"Bearer {token}", "Content-Type": "multipart/form-data; boundary=XXX"})
        print(f"injected: 11 MiB multipart to {path} (Connection: close); counted: HTTP {status}")
        assert status == 413 and headers["Content-Type"].startswith("application/problem+json")
        assert json.loads(body)["type"] == "urn:skillmaster:problem:payload_too_large"


def test_an_oversized_json_body_gets_the_413_problem(system):
    status, _, body = urllib_post(f"{system.base}/api/v1/auth/token", b"{" + b" " * (11 * MIB) + b"}",
                                  {"Content-Type": "application/json"})
    assert status == 413, body


def test_an_11_mib_upload_sent_chunked_gets_the_413_problem_not_an_empty_body(system):
    def chunks():
        body = multipart(11 * MIB)
        for i in range(0, len(body), MIB):
            yield body[i:i + MIB]
    resp = requests.post(f"{system.base}/api/v1/applications/import", data=chunks(), timeout=30, headers={
        "Authorization": f"Bearer {system.token('demo-unit-a')}", "Content-Type": "multipart/form-data; boundary=XXX"})
    print(f"injected: 11 MiB multipart, chunked; counted: HTTP {resp.status_code}")
    assert resp.status_code == 413, resp.text


def test_a_query_value_too_long_for_its_parameter_is_a_422_naming_it_not_a_bare_414(system):
    """A 10 KiB ``status`` (the fuzzer's find): eventlet alone answered 414 with an empty body,
    before the route's check could name the parameter."""
    resp = system.get("/api/v1/studios", "demo-center", params={"status": "x" * 10_000})
    assert resp.status_code == 422 and resp.headers["Content-Type"].startswith("application/problem+json")
    assert "status" in resp.json()["errors"], resp.json()


def test_a_problem_may_carry_extension_members_the_contract_allows():
    """RFC 7807 §3.2: the ledger's problems carry ``ledger_code`` and the figures of the broken rule;
    the documented Problem schema allows members it does not list (the fuzzer's find: a 404 with
    ``ledger_code`` broke ``additionalProperties: false``)."""
    from gateway.openapi import build_spec
    from gateway.routes.health import VERSION
    from gateway.service import ROUTES
    problem = build_spec(ROUTES, VERSION)["components"]["schemas"]["Problem"]
    assert problem.get("additionalProperties", True) is not False
