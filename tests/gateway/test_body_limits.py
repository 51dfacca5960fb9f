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
