"""The audit trail (issue 18): every write through the gateway and every event's effect is
recorded (who, role, tenant, when, what, ids before and after, request id); the city and admin
read it filtered and export it; no route can change it."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import openpyxl
import pytest
from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange

from tests.registry import forms
from tests.support.waiting import wait_for

READERS = ("demo-admin", "demo-center", "demo-bureau")


def records(api, as_user="demo-admin", **filters):
    resp = api.get("/api/v1/audit", as_user, params={"page_size": 500, **filters})
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


@pytest.fixture(scope="module")
def audited(system):
    started = datetime.now(timezone.utc)
    created = system.post("/api/v1/applications", "demo-unit-a", json=forms.application(),
                           headers={"X-Request-Id": "audit-test-create"})
    assert created.status_code == 201, created.text
    app_id = created.json()["id"]
    # an event's effect: a designation opens a ledger account (the ledger's inbox applies it)
    studio_id = "audit-studio-1"
    Publisher(system.config["AMQP_URI"]).publish(
        {"event_id": "audit-e2e-designated", "source": "registry", "type": "studio.designated",
         "tenant_id": "dongcheng", "occurred_at": started.isoformat(), "request_id": "audit-test-event",
         "data": {"studio_id": studio_id, "tenant_id": "dongcheng", "unit_id": "unit-dc-jinggong",
                  "name": "审计工作室", "nameplate_no": "京技能大师〔2026〕第09号"}},
        exchange=get_event_exchange("registry", system.config), routing_key="studio.designated")
    return system, app_id, studio_id, started


def test_a_write_is_recorded_with_who_what_when_and_the_request_id(audited):
    api, app_id, _, started = audited
    found = wait_for(lambda: [r for r in records(api, record=app_id) if r["kind"] == "request"])
    r = found[0]
    assert r["user"] == "demo-unit-a" and r["role"] == "unit" and r["tenant_id"] == "dongcheng"
    assert r["method"] == "POST" and r["route"] == "/api/v1/applications" and r["status"] == 201
    assert f"id={app_id}" in r["after"] and r["request_id"] == "audit-test-create"
    assert datetime.fromisoformat(r["at"]) >= started - timedelta(seconds=1)


def test_an_events_effect_is_recorded_by_the_services_inbox(audited):
    api, _, studio_id, _ = audited
    found = wait_for(lambda: [r for r in records(api, record=studio_id) if r["route"].startswith("ledger.")])
    assert any(r["kind"] == "event" and r["path"] == "studio.designated" and r["status"] == "applied"
               and r["request_id"] == "audit-test-event" and r["tenant_id"] == "dongcheng" for r in found), found


def test_filters_by_tenant_user_record_and_time_and_the_export(audited):
    api, app_id, _, started = audited
    wait_for(lambda: records(api, record=app_id))
    assert all(r["user"] == "demo-unit-a" for r in records(api, user="demo-unit-a"))
    assert all(r["tenant_id"] == "haidian" for r in records(api, tenant="haidian"))
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    assert records(api, since=later) == []
    assert records(api, until=(started - timedelta(hours=1)).isoformat()) == []
    export = api.get("/api/v1/audit.xlsx", "demo-center", params={"record": app_id})
    assert export.status_code == 200 and export.content[:2] == b"PK"
    rows = list(openpyxl.load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert len(rows) >= 2 and any(app_id in str(cell) for cell in rows[1])


def test_only_the_city_and_admin_read_it(audited):
    api = audited[0]
    for user in ("demo-unit-a", "demo-dongcheng", "demo-finance"):
        assert api.get("/api/v1/audit", user).status_code == 403
        assert api.get("/api/v1/audit.xlsx", user).status_code == 403
    for user in READERS:
        assert api.get("/api/v1/audit", user).status_code == 200


def test_no_route_changes_the_trail(audited):
    api, app_id, _, _ = audited
    wait_for(lambda: records(api, record=app_id))
    before = {r["id"]: r for r in records(api)}
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for path in ("/api/v1/audit", "/api/v1/audit.xlsx", f"/api/v1/audit/{next(iter(before))}"):
            resp = api.request(method, path, "demo-admin", json={})
            assert resp.status_code in (404, 405), (method, path, resp.status_code)
    # writes through other routes add records and change none of the earlier ones
    api.request("PUT", f"/api/v1/applications/{app_id}", "demo-unit-a", json=forms.application())
    api.post("/api/v1/tenants", "demo-admin", json={"id": "audit-tenant", "name": "审计租户", "kind": "group"})
    wait_for(lambda: len(records(api)) > len(before))
    after = {r["id"]: r for r in records(api)}
    assert all(after.get(rid) == record for rid, record in before.items())
