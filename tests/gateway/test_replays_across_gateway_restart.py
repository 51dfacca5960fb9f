"""A retry with the same Idempotency-Key takes effect exactly once, across a gateway restart
(issue 14): the gateway's replay cache (gateway/replays.py) is in memory, so after a restart the
retry reaches the registry, whose durable keys (shared/idempotency.py) answer the record the
first request made. Every creating route of the registry that had no durable key is here:
tenants, units, users, materials, objections, change requests.

The services run in this process on the real broker; the gateway container is stopped and a
new one started (its memory gone), while the registry and its store keep running."""
from __future__ import annotations

import uuid

import pytest
from nameko.containers import ServiceContainer

from gateway.service import GatewayService
from shared.storage import container_db
from tests.conftest import running_system
from services.registry.contract import check_digit
from tests.gateway.test_applications_e2e import _to_notice, new_form, registry_container, seeded_studio, set_today
from tests.registry import forms
from tests.support.waiting import wait_for


@pytest.fixture(scope="module")
def system(module_vhost):
    with running_system(module_vhost) as api:
        yield api


def credit_code(prefix: str) -> str:
    return prefix + check_digit(prefix)


def restart_gateway(system) -> None:
    old = system.runner.service_map["gateway"]
    old.stop()
    new = ServiceContainer(GatewayService, system.config)
    new.start()
    system.runner.service_map["gateway"] = new   # the fixture's teardown stops this one
    system._tokens.clear()
    wait_for(lambda: system.get("/healthz").status_code == 200, timeout=20, message="the new gateway answers",
             ignore=(Exception,))


def test_each_registry_creating_route_takes_effect_once_across_a_gateway_restart(system):
    run = uuid.uuid4().hex[:8]
    set_today(system, "2026-03-02")
    app_id = _to_notice(system, new_form(), "2026-03-03")                 # for the objection
    set_today(system, "2026-03-04")
    draft = system.post("/api/v1/applications", "demo-unit-a", json=new_form()).json()   # for the material
    db = container_db(registry_container(system))
    studio = seeded_studio(2024, 7)
    studio["_id"] = f"seed-replay-{run}"
    studio["application_id"] = f"seed-app-replay-{run}"
    studio["seq"] = 90 + int(run[:2], 16) % 9
    db["studios"].insert_one(studio)                                     # for the change request

    # (name, user, path, body) per creating route with a JSON body; the material is an upload
    requests_ = [
        ("tenant", "demo-admin", "/api/v1/tenants", {"id": f"rg-{run}", "name": f"重放集团{run}", "kind": "group"}),
        ("unit", "demo-dongcheng", "/api/v1/tenants/dongcheng/units",
         {"name": f"重放单位{run}", "credit_code": credit_code("91110101MA" + run[:7].upper())}),
        ("user", "demo-dongcheng", "/api/v1/users",
         {"username": f"replay-{run}", "password": "replay-pass-123", "role": "unit", "tenant_id": "dongcheng",
          "unit_id": "unit-dc-jinggong"}),
        ("objection", "demo-center", f"/api/v1/applications/{app_id}/objections",
         {"summary": "反映材料不实", "objector": "匿名", "received_on": "2026-03-04"}),
        ("change request", "demo-unit-b", f"/api/v1/studios/{studio['_id']}/change-requests",
         {"kind": "relocation", "reason": "搬迁", "new_address": "北京市海淀区新址1号"}),
    ]
    keys = {name: {"Idempotency-Key": f"restart-{name}-{run}"} for name, *_ in requests_}
    keys["material"] = {"Idempotency-Key": f"restart-material-{run}"}

    def material(content=forms.PDF):
        return system.post(f"/api/v1/applications/{draft['id']}/materials?kind=certificate", "demo-unit-a",
                           files={"file": ("证书.pdf", content, "application/pdf")}, headers=keys["material"])

    first = {name: system.post(path, user, json=body, headers=keys[name]) for name, user, path, body in requests_}
    first["material"] = material()
    for name, resp in first.items():
        assert resp.status_code == 201, (name, resp.text)
        assert "Idempotency-Replayed" not in resp.headers, name

    restart_gateway(system)

    again = {name: system.post(path, user, json=body, headers=keys[name]) for name, user, path, body in requests_}
    again["material"] = material()
    for name, resp in again.items():
        assert resp.status_code == 201, (name, resp.text)
    # marked as a replay although the new gateway never saw the first answers (API.md: "marked as a replay")
    marked = {name: resp.headers.get("Idempotency-Replayed") for name, resp in again.items()}
    same = {name: again[name].json()["id"] == first[name].json()["id"] for name in first}

    # what each route holds now: one record per key
    counted = {
        "tenant": sum(t["id"] == f"rg-{run}" for t in system.get("/api/v1/tenants?page_size=500", "demo-admin")
                      .json()["items"]),
        "unit": sum(u["name"] == f"重放单位{run}" for u in system.get("/api/v1/tenants/dongcheng/units?page_size=500",
                                                                     "demo-dongcheng").json()["items"]),
        "user": sum(u["id"] == f"replay-{run}" for u in system.get("/api/v1/users?page_size=500", "demo-admin")
                    .json()["items"]),
        "objection": len(system.get(f"/api/v1/applications/{app_id}", "demo-center").json()["objections"]),
        "change request": len(system.get(f"/api/v1/studios/{studio['_id']}/change-requests", "demo-unit-b")
                              .json()["items"]),
        "material": len(system.get(f"/api/v1/applications/{draft['id']}/materials", "demo-unit-a").json()["items"]),
    }
    # the same key with another body is still refused after the restart
    other = {name: system.post(path, user, json={**body, "reason" if name == "change request" else
                                                 ("summary" if name == "objection" else "name"): f"另一个{run}"},
                               headers=keys[name]).status_code
             for name, user, path, body in requests_ if name != "user"}
    other["user"] = system.post("/api/v1/users", "demo-dongcheng", headers=keys["user"], json={
        **requests_[2][3], "password": "another-pass-456"}).status_code
    other["material"] = material(forms.PDF + b"% another file\n").status_code
    print(f"injected: six creating requests, a gateway restart, the same six again with their keys, then each key "
          f"with another body; counted: records {counted}, same id {same}, marked {marked}, other bodies {other}")
    assert counted == {name: 1 for name in counted}
    assert all(same.values()), same
    assert marked == {name: "true" for name in marked}, marked
    assert set(other.values()) == {409}, other
