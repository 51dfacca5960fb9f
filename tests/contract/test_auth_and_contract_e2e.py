"""Through the gateway (every service on the real broker): login throttling, the password policy,
security headers on every answer, literal paths never taken for an {id}, declared filters (issue 18)."""
from __future__ import annotations

HEADERS = ("X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy", "Referrer-Policy", "X-Request-Id")


def login(api, user, password):
    return api.post("/api/v1/auth/token", json={"username": user, "password": password})


def test_failed_logins_are_refused_for_a_while_with_retry_after(system):
    answers = [login(system, "demo-unit-b", f"wrong-{i}").status_code for i in range(5)]
    assert answers == [401] * 5
    refused = login(system, "demo-unit-b", "demo-pass")           # even the right password, for now
    assert refused.status_code == 429, refused.text
    assert 1 <= int(refused.headers["Retry-After"]) <= 900
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert login(system, "demo-unit-a", "demo-pass").status_code == 200   # other users are not affected


def test_the_password_policy_names_the_field_and_the_rule(system):
    for password, why in (("12345678901", "only digits"), ("iso-policy-user", "the user name"), ("short1", "length")):
        resp = system.post("/api/v1/users", "demo-admin", json={
            "username": "iso-policy-user", "password": password, "role": "finance"})
        assert resp.status_code == 422, resp.text
        assert "password policy" in resp.json()["errors"]["password"] and why in resp.json()["errors"]["password"]


def test_every_answer_carries_the_security_headers(system):
    answers = [system.get("/healthz"), system.get("/api/v1/me", "demo-admin"), system.get("/api/v1/me"),
               system.get("/api/v1/no-such-route"), system.get("/api/v1/tenants?page=0", "demo-admin"),
               system.request("OPTIONS", "/api/v1/tenants")]
    for resp in answers:
        missing = [h for h in HEADERS if h not in resp.headers]
        assert not missing, f"{resp.request.method} {resp.request.url} ({resp.status_code}) lacks {missing}"
    assert answers[3].status_code == 404 and answers[3].headers["Content-Type"].startswith("application/problem+json")


def test_literal_segments_are_never_an_id_and_unknown_filter_values_are_422(system):
    options = system.request("OPTIONS", "/api/v1/applications/shortlist")
    assert options.status_code == 204 and "PUT" not in options.headers["Allow"]
    assert system.request("PUT", "/api/v1/applications/shortlist", "demo-unit-a", json={}).status_code == 405
    for path in ("/api/v1/applications?status=bogus", "/api/v1/tenants?kind=bogus", "/api/v1/studios?page=0",
                 "/api/v1/applications/shortlist", "/api/v1/calendar/0"):
        resp = system.get(path, "demo-center")
        assert resp.status_code == 422, (path, resp.text)
        assert resp.json()["errors"], path


def _fresh_user(system, username, password="first-pass-1"):
    resp = system.post("/api/v1/users", "demo-admin", json={"username": username, "password": password,
                                                            "role": "finance"})
    assert resp.status_code == 201, resp.text
    return login(system, username, password).json()["access_token"]


def _me(system, token):
    return system.request("GET", "/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_logout_revokes_every_token_of_the_user_and_a_new_login_works(system):
    first = _fresh_user(system, "rev-logout")
    second = login(system, "rev-logout", "first-pass-1").json()["access_token"]
    assert _me(system, first).status_code == 200
    out = system.request("POST", "/api/v1/auth/logout", headers={"Authorization": f"Bearer {first}"})
    assert out.status_code == 200, out.text
    assert _me(system, first).status_code == 401 and _me(system, second).status_code == 401
    third = login(system, "rev-logout", "first-pass-1").json()["access_token"]
    assert _me(system, third).status_code == 200


def test_a_password_change_revokes_the_old_tokens_and_follows_the_policy(system):
    token = _fresh_user(system, "rev-password")
    auth = {"Authorization": f"Bearer {token}"}
    weak = system.request("POST", "/api/v1/auth/password", headers=auth,
                          json={"current_password": "first-pass-1", "new_password": "rev-password"})
    assert weak.status_code == 422 and "password policy" in weak.json()["errors"]["new_password"]
    wrong = system.request("POST", "/api/v1/auth/password", headers=auth,
                           json={"current_password": "not-it-at-all", "new_password": "second-pass-2"})
    assert wrong.status_code == 401
    changed = system.request("POST", "/api/v1/auth/password", headers=auth,
                             json={"current_password": "first-pass-1", "new_password": "second-pass-2"})
    assert changed.status_code == 200, changed.text
    assert _me(system, token).status_code == 401
    assert login(system, "rev-password", "first-pass-1").status_code == 401
    assert _me(system, login(system, "rev-password", "second-pass-2").json()["access_token"]).status_code == 200


def test_a_disabled_user_cannot_log_in_and_its_tokens_stop_working_until_enabled(system):
    token = _fresh_user(system, "rev-disabled")
    off = system.request("PUT", "/api/v1/users/rev-disabled/disabled", "demo-admin", json={"disabled": True})
    assert off.status_code == 200 and off.json()["disabled"] is True
    assert _me(system, token).status_code == 401
    assert login(system, "rev-disabled", "first-pass-1").status_code == 401
    assert system.request("PUT", "/api/v1/users/rev-disabled/disabled", "demo-center",
                          json={"disabled": False}).status_code == 403
    on = system.request("PUT", "/api/v1/users/rev-disabled/disabled", "demo-admin", json={"disabled": False})
    assert on.status_code == 200
    assert _me(system, login(system, "rev-disabled", "first-pass-1").json()["access_token"]).status_code == 200


def test_one_rule_for_replays_on_every_creating_route(system):
    """The same Idempotency-Key and body: the first answer's status and body again, marked; another body: 409."""
    key = {"Idempotency-Key": "replay-tenant-1"}
    body = {"id": "replay-group", "name": "重放集团", "kind": "group"}
    first = system.post("/api/v1/tenants", "demo-admin", json=body, headers=key)
    assert first.status_code == 201 and "Idempotency-Replayed" not in first.headers
    again = system.post("/api/v1/tenants", "demo-admin", json=body, headers=key)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotency-Replayed"] == "true"
    other = system.post("/api/v1/tenants", "demo-admin", json={**body, "name": "另一个"}, headers=key)
    assert other.status_code == 409
    # another user's key is another key
    assert system.post("/api/v1/tenants", "demo-bureau", json=body, headers=key).status_code == 409  # duplicate id
    doc = system.get("/api/v1/openapi.json").json()
    creating = [op for item in doc["paths"].values() for m, op in item.items() if m == "post" and "201" in op["responses"]]
    assert creating and all(any(p["name"] == "Idempotency-Key" for p in op.get("parameters", [])) for op in creating)
    assert all("Idempotency-Replayed" in op["responses"]["201"]["headers"] for op in creating)


def test_reporting_year_and_kind_segments_are_typed_and_a_bad_value_is_422_naming_it(system):
    """The records of R-10 / R-11 are a studio's per year and kind: ``{year}`` is a year 2000–2100
    and ``{kind}`` plan or results, declared in the document; any other value is a 422 naming the
    parameter, before any service is asked (a good value still reaches it: an unknown studio is 404)."""
    s = "/api/v1/studios/no-such-studio"
    for method, path, user, name in (
            ("GET", f"{s}/reports/twenty/plan", "demo-center", "year"),
            ("GET", f"{s}/reports/1999/plan", "demo-center", "year"),
            ("GET", f"{s}/reports/2026/draft", "demo-center", "kind"),
            ("GET", f"{s}/reports/2026/agreement.xlsx", "demo-center", "kind"),
            ("PUT", f"{s}/reports/2026/summary", "demo-unit-a", "kind"),
            ("POST", f"{s}/reports/2026/bogus/submit", "demo-unit-a", "kind"),
            ("GET", f"{s}/reports/2026x", "demo-center", "year"),
            ("POST", f"{s}/reports/20x6.xlsx", "demo-unit-a", "year"),
            ("GET", f"{s}/agreements/3000", "demo-center", "year"),
            ("GET", f"{s}/agreements/-1/versions", "demo-center", "year"),
            ("GET", "/api/v1/reporting/due-dates/2101", "demo-center", "year")):
        resp = system.request(method, path, user, json={} if method == "PUT" else None)
        assert resp.status_code == 422, (method, path, resp.text)
        assert resp.headers["Content-Type"].startswith("application/problem+json")
        assert list(resp.json()["errors"]) == [name], (method, path, resp.text)
    doc = system.get("/api/v1/openapi.json").json()
    for path, method in (("/api/v1/studios/{studio_id}/reports/{year}/{kind}", "put"),
                         ("/api/v1/studios/{studio_id}/reports/{year}/{kind}.xlsx", "get"),
                         ("/api/v1/studios/{studio_id}/agreements/{year}", "get"),
                         ("/api/v1/reporting/due-dates/{year}", "get")):
        declared = {p["name"]: p["schema"] for p in doc["paths"][path][method]["parameters"] if p["in"] == "path"}
        assert declared["year"] == {"type": "integer", "minimum": 2000, "maximum": 2100}, path
        assert "{kind}" not in path or declared["kind"] == {"type": "string", "enum": ["plan", "results"]}, path
    assert system.get(f"{s}/reports/2026/plan", "demo-center").status_code == 404
    due = system.get("/api/v1/reporting/due-dates/2026", "demo-center")
    assert due.status_code == 200 and due.json()["year"] == 2026, due.text
