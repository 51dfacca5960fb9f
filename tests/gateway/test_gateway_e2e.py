"""The gateway over HTTP, with every service running on the real broker (foundation, issue #2)."""
import json

import pytest

from services.registry.contract import check_digit
from shared.config import service_names
from tests.support.waiting import wait_for

DEMO_ROLES = {
    "demo-admin": "admin", "demo-center": "city_center", "demo-bureau": "city_bureau",
    "demo-finance": "finance", "demo-dongcheng": "tenant", "demo-haidian": "tenant",
    "demo-unit-a": "unit", "demo-unit-b": "unit",
}


def valid_code(prefix17: str) -> str:
    return prefix17 + check_digit(prefix17)


def problem(resp, status):
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    body = resp.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("urn:skillmaster:problem:")
    return body


# -- auth ------------------------------------------------------------------------------
@pytest.mark.parametrize("user,role", sorted(DEMO_ROLES.items()))
def test_each_demo_user_logs_in_with_its_role(system, user, role):
    resp = system.post("/api/v1/auth/token", json={"username": user, "password": "demo-pass"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["access_token"]
    assert body["principal"]["role"] == role
    me = system.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["user"] == user


def test_me_names_the_tenant_and_the_unit_for_a_unit_a_district_and_the_city(system):
    unit = system.get("/api/v1/me", "demo-unit-a").json()
    assert unit == {"user": "demo-unit-a", "role": "unit", "tenant_id": "dongcheng", "unit_id": "unit-dc-jinggong",
                    "tenant_name": "东城区", "unit_name": "北京东城精工制造有限公司"}
    district = system.get("/api/v1/me", "demo-dongcheng").json()
    assert (district["tenant_name"], district["unit_id"], district["unit_name"]) == ("东城区", None, None)
    city = system.get("/api/v1/me", "demo-center").json()
    assert (city["tenant_id"], city["tenant_name"], city["unit_name"]) == (None, None, None)
    me = system.get("/api/v1/openapi.json").json()["components"]["schemas"]["Me"]
    assert me["additionalProperties"] is False and all(set(a) == set(me["properties"]) for a in (unit, district, city))


def test_me_names_a_unit_made_through_the_api_not_only_its_id(system):
    made = system.post("/api/v1/tenants/dongcheng/units", "demo-dongcheng",
                       json={"name": "东城名称测试单位", "credit_code": valid_code("91110101MA01NAME0")})
    assert made.status_code == 201, made.text
    user = system.post("/api/v1/users", "demo-dongcheng", json={
        "username": "dc-named-unit", "password": "long-enough-1", "role": "unit",
        "tenant_id": "dongcheng", "unit_id": made.json()["id"]})
    assert user.status_code == 201, user.text
    token = system.token("dc-named-unit", "long-enough-1")
    me = system.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert (me["unit_id"], me["unit_name"]) == (made.json()["id"], "东城名称测试单位")


def test_wrong_password_is_401_and_does_not_say_whether_the_user_exists(system):
    wrong = problem(system.post("/api/v1/auth/token", json={"username": "demo-admin", "password": "nope"}), 401)
    nobody = problem(system.post("/api/v1/auth/token", json={"username": "nobody", "password": "nope"}), 401)
    assert wrong["detail"] == nobody["detail"]


def test_no_token_is_401(system):
    problem(system.get("/api/v1/tenants"), 401)


def test_a_forged_token_is_401(system):
    import jwt
    forged = jwt.encode({"sub": "x", "role": "admin", "iss": "skillmaster-gateway", "iat": 0, "exp": 9999999999},
                        "another-secret-that-is-long-enough-for-hs256", algorithm="HS256")
    problem(system.get("/api/v1/tenants", headers={"Authorization": f"Bearer {forged}"}), 401)


# -- tenant scope ----------------------------------------------------------------------
def test_tenant_user_sees_only_its_tenant(system):
    tenants = system.get("/api/v1/tenants", "demo-dongcheng").json()
    assert [t["id"] for t in tenants["items"]] == ["dongcheng"]
    units = system.get("/api/v1/tenants/dongcheng/units", "demo-dongcheng").json()
    assert units["total"] >= 1 and {u["tenant_id"] for u in units["items"]} == {"dongcheng"}


def test_listing_another_tenants_units_is_404(system):
    problem(system.get("/api/v1/tenants/haidian/units", "demo-dongcheng"), 404)


def test_fetching_another_tenants_unit_by_id_is_404(system):
    problem(system.get("/api/v1/units/unit-hd-zhizao", "demo-dongcheng"), 404)
    problem(system.get("/api/v1/units/unit-hd-zhizao", "demo-unit-a"), 404)
    assert system.get("/api/v1/units/unit-hd-zhizao", "demo-haidian").status_code == 200


def test_unit_user_sees_only_its_own_unit(system):
    assert system.get("/api/v1/units/unit-dc-jinggong", "demo-unit-a").status_code == 200
    units = system.get("/api/v1/tenants/dongcheng/units", "demo-unit-a").json()
    assert [u["id"] for u in units["items"]] == ["unit-dc-jinggong"]


def test_city_roles_see_every_tenant(system):
    for user in ("demo-center", "demo-bureau", "demo-finance", "demo-admin"):
        tenants = system.get("/api/v1/tenants?page_size=100", user).json()
        assert tenants["total"] >= 17, user  # 16 districts and the development zone


def test_unit_user_cannot_create_a_tenant(system):
    body = {"id": "test-group", "name": "测试集团", "kind": "group"}
    problem(system.post("/api/v1/tenants", "demo-unit-a", json=body), 403)
    problem(system.post("/api/v1/tenants", "demo-dongcheng", json=body), 403)


def test_city_bureau_adds_an_enterprise_group(system):
    body = {"id": "jingneng", "name": "北京能源集团有限责任公司", "kind": "group", "authority": "北京能源集团"}
    resp = system.post("/api/v1/tenants", "demo-bureau", json=body)
    assert resp.status_code == 201, resp.text
    problem(system.post("/api/v1/tenants", "demo-bureau", json=body), 409)


def test_users_are_scoped(system):
    seen = {u["id"] for u in system.get("/api/v1/users?page_size=100", "demo-haidian").json()["items"]}
    assert "demo-unit-b" in seen and "demo-unit-a" not in seen and "demo-admin" not in seen


def test_tenant_creates_a_unit_user_for_its_unit_only(system):
    ok = system.post("/api/v1/users", "demo-dongcheng", json={
        "username": "dc-unit-user", "password": "long-enough-1", "role": "unit",
        "tenant_id": "dongcheng", "unit_id": "unit-dc-jinggong"})
    assert ok.status_code == 201, ok.text
    assert "password" not in ok.json() and "password_hash" not in ok.json()
    problem(system.post("/api/v1/users", "demo-dongcheng", json={
        "username": "dc-steals-hd", "password": "long-enough-1", "role": "unit",
        "tenant_id": "haidian", "unit_id": "unit-hd-zhizao"}), 404)
    problem(system.post("/api/v1/users", "demo-dongcheng", json={
        "username": "dc-admin", "password": "long-enough-1", "role": "admin"}), 403)


# -- units and bad input ---------------------------------------------------------------
def test_tenant_registers_a_unit_and_a_branch(system):
    unit = system.post("/api/v1/tenants/dongcheng/units", "demo-dongcheng",
                       json={"name": "东城测试单位", "credit_code": valid_code("91110101MA01TEXT0")})
    assert unit.status_code == 201, unit.text
    branch = system.post("/api/v1/tenants/dongcheng/units", "demo-dongcheng",
                         json={"name": "东城测试单位第一分厂", "credit_code": valid_code("91110101MA01TEXT1"),
                               "parent_id": unit.json()["id"]})
    assert branch.status_code == 201 and branch.json()["kind"] == "branch"


def test_tenant_cannot_register_a_unit_in_another_tenant(system):
    problem(system.post("/api/v1/tenants/haidian/units", "demo-dongcheng",
                        json={"name": "越权单位", "credit_code": valid_code("91110108MA01XXXX0")}), 404)


def test_credit_code_with_wrong_check_digit_is_422_and_nothing_is_stored(system):
    good = valid_code("91110101MA01BADC0")
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    body = problem(system.post("/api/v1/tenants/dongcheng/units", "demo-dongcheng",
                               json={"name": "校验位错误单位", "credit_code": wrong}), 422)
    assert "credit_code" in body["errors"] and "check digit" in body["errors"]["credit_code"]
    names = [u["name"] for u in system.get("/api/v1/tenants/dongcheng/units?page_size=500", "demo-dongcheng")
             .json()["items"]]
    assert "校验位错误单位" not in names


def test_malformed_json_is_400(system):
    resp = system.post("/api/v1/tenants/dongcheng/units", "demo-dongcheng", data=b"{not json",
                       headers={"Content-Type": "application/json"})
    problem(resp, 400)


def test_a_json_body_that_is_not_an_object_is_422_naming_the_body(system):
    # `null` once passed as "no fields" where every field has a default (the reporting due dates)
    for raw in (b"null", b"[]", b"3", b'"x"'):
        body = problem(system.post("/api/v1/tenants/dongcheng/units", "demo-dongcheng", data=raw,
                                   headers={"Content-Type": "application/json"}), 422)
        assert set(body["errors"]) == {"body"} and "JSON object" in body["errors"]["body"], raw


def test_wrong_types_are_422_field_by_field(system):
    body = problem(system.post("/api/v1/tenants/dongcheng/units", "demo-dongcheng",
                               json={"name": 12, "credit_code": ["x"]}), 422)
    assert set(body["errors"]) >= {"name", "credit_code"}


def test_unknown_fields_are_422(system):
    body = problem(system.post("/api/v1/tenants/dongcheng/units", "demo-dongcheng",
                               json={"name": "x", "credit_code": valid_code("91110101MA01UNKN0"), "colour": "red"}), 422)
    assert body["errors"] == {"colour": "Unknown field."}


def test_a_10_mb_json_body_is_413(system):
    big = json.dumps({"name": "x" * (10 * 1024 * 1024), "credit_code": "x"})
    problem(system.post("/api/v1/tenants/dongcheng/units", "demo-dongcheng", data=big,
                        headers={"Content-Type": "application/json"}), 413)


def test_a_body_that_is_not_json_is_415(system):
    problem(system.post("/api/v1/tenants/dongcheng/units", "demo-dongcheng", data="name=x",
                        headers={"Content-Type": "application/x-www-form-urlencoded"}), 415)


def test_page_size_over_500_is_422(system):
    body = problem(system.get("/api/v1/tenants?page_size=501", "demo-admin"), 422)
    assert "page_size" in body["errors"]


def test_chinese_text_round_trips_unchanged(system):
    name = "北京市朝阳区「工匠」精密仪器厂（分厂）"
    resp = system.post("/api/v1/tenants/dongcheng/units", "demo-dongcheng",
                       json={"name": name, "credit_code": valid_code("91110101MA01CHWN0")})
    assert resp.status_code == 201
    assert system.get(f"/api/v1/units/{resp.json()['id']}", "demo-dongcheng").json()["name"] == name


# -- health, docs, request id ----------------------------------------------------------
def test_healthz_and_readyz(system):
    assert system.get("/healthz").json() == {"status": "ok"}
    ready = system.get("/readyz")
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["broker"] == "ok" and set(body["services"]) == set(service_names(system.config))
    assert body["services"]["registry"]["outbox_pending"] == 0


def test_openapi_covers_every_route(system):
    from gateway.openapi import openapi_path
    from gateway.service import ROUTES
    spec = system.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for route in ROUTES:
        for method in route.method.split(","):
            assert spec["paths"][openapi_path(route.url)][method.lower()]["operationId"] == route.name
    unit_post = spec["paths"]["/api/v1/tenants/{tenant_id}/units"]["post"]
    assert "422" in unit_post["responses"] and "requestBody" in unit_post


def test_request_id_is_echoed(system):
    resp = system.get("/api/v1/tenants", "demo-admin", headers={"X-Request-Id": "trace-me-123"})
    assert resp.headers["X-Request-Id"] == "trace-me-123"
    assert problem(system.get("/api/v1/units/none", "demo-admin", headers={"X-Request-Id": "trace-404"}),
                   404)["request_id"] == "trace-404"


def test_one_request_id_follows_the_call_into_the_service_logs(system, caplog):
    import logging
    caplog.set_level(logging.INFO, logger="skillmaster")
    system.get("/api/v1/tenants", "demo-center", headers={"X-Request-Id": "follow-me-42"})

    def traced():
        return [r for r in caplog.records if getattr(r, "fields", {}).get("request_id") == "follow-me-42"]

    def services_logged():  # the service logs its entry point just after it has replied
        return {r.fields.get("service") for r in traced() if r.name == "skillmaster.entrypoint"}
    wait_for(lambda: {"gateway", "registry"} <= services_logged(), 5, message="the entry point logs of both")
    lines = traced()
    assert any(r.name == "skillmaster.gateway.request" and r.fields["status"] == 200 for r in lines)
    from shared.logs import JsonFormatter
    import json
    assert json.loads(JsonFormatter().format(lines[0]))["request_id"] == "follow-me-42"


def test_dead_letters_are_listed_for_admins_only(system):
    resp = system.get("/api/v1/admin/dead-letters", "demo-admin")
    assert resp.status_code == 200 and resp.json()["total"] == 0
    problem(system.get("/api/v1/admin/dead-letters", "demo-dongcheng"), 403)
    problem(system.post("/api/v1/admin/dead-letters/ledger/nothing/replay", "demo-admin"), 404)
    problem(system.post("/api/v1/admin/dead-letters/ledger/nothing/replay", "demo-finance"), 403)
    problem(system.post("/api/v1/admin/dead-letters/nowhere/x/replay", "demo-admin"), 422)


def test_the_demo_clock_is_for_admins_only(system):
    problem(system.get("/api/v1/admin/clock", "demo-center"), 403)
    problem(system.request("PUT", "/api/v1/admin/clock", "demo-dongcheng", json={"today": "2026-12-20"}), 403)


def test_an_admin_moves_every_services_clock_in_demo_mode_every_user_reads_its_today_and_it_resets(system):
    moved = system.request("PUT", "/api/v1/admin/clock", "demo-admin",
                           json={"today": "2026-12-20", "reason": "rehearse the December deadline"})
    assert moved.status_code == 200, moved.text
    try:
        def every_service_on(day):
            clocks = system.get("/api/v1/admin/clock", "demo-admin").json()["services"]
            return all(c.get("today") == day for c in clocks.values()) and clocks
        clocks = wait_for(lambda: every_service_on("2026-12-20"), message="every service on 2026-12-20")
        assert set(clocks) == set(service_names(system.config))
        # every user reads the system's today (the console's forms default to it, not the browser's day)
        for user in ("demo-dongcheng", "demo-unit-a"):
            reading = system.get("/api/v1/clock", user).json()
            assert set(reading) == {"now", "today"} and reading["today"] == "2026-12-20", reading
    finally:
        reset = system.request("PUT", "/api/v1/admin/clock", "demo-admin", json={"reset": True})
        assert reset.status_code == 200, reset.text


def test_readyz_reports_outbox_backlog_and_dead_letters_per_service(system):
    services = system.get("/readyz").json()["services"]
    for name in ("registry", "ledger"):
        assert services[name]["dead_letters"] == 0 and "retrying" in services[name]
    assert services["registry"]["outbox_pending"] == 0
