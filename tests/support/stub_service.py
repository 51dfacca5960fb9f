"""The check every new service's harness test makes (tests/reporting, tests/supervision,
tests/assessment): over the real broker, the service answers ``ping``; ``studio.designated``
creates its read-model row (shared/studios.py); a second delivery of the same event changes
nothing; ``studio.revoked`` marks the row revoked; the row is answered through the
published schema, scoped to the caller."""
from __future__ import annotations

import random

from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_waiter

from shared.events import new_event
from shared.principal import CITY_CENTER, TENANT, Principal
from shared.storage import container_db

CENTER = Principal("demo-center", CITY_CENTER)
HAIDIAN = Principal("demo-haidian", TENANT, "haidian")


def designated(studio_id: str) -> dict:
    return new_event("registry", "studio.designated", {
        "studio_id": studio_id, "tenant_id": "dongcheng", "tenant_name": "东城区",
        "unit_id": "unit-dc-jinggong", "unit_name": "北京东城精工制造有限公司",
        "application_id": f"app-{studio_id}", "name": "张三技能大师工作室", "lead_name": "张三",
        "lead": {"name": "张三"}, "occupation": "钳工", "designated_on": "2026-06-01", "year": 2026,
        "nameplate_no": "京技能大师〔2026〕第01号", "measures_version": "京人社能发〔2023〕3号"},
        tenant_id="dongcheng")


def revoked(studio_id: str) -> dict:
    return new_event("registry", "studio.revoked", {
        "studio_id": studio_id, "tenant_id": "dongcheng", "unit_id": "unit-dc-jinggong",
        "revocation_id": "rev-1", "ground": "inactive_over_one_year", "revoked_on": "2026-09-01"},
        tenant_id="dongcheng")


def check_stub_service(service_cls, config: dict, container_factory) -> None:
    config = {**config, "MONGO_URI": f"memory://stub-{service_cls.name}-{random.random()}"}
    container = container_factory(service_cls, config)
    container.start()
    name = service_cls.name
    with ClusterRpcProxy(config) as rpc:
        assert getattr(rpc, name).ping()["status"] == "ok"

    dispatch = event_dispatcher(config)
    event = designated("S-1")
    with entrypoint_waiter(container, "on_studio_designated") as result:
        dispatch("registry", "studio.designated", event)
    assert result.get() == "applied"
    studios = container_db(container)["studios"]
    row = studios.find_one({"_id": "S-1"})
    assert row["status"] == "active" and row["tenant_name"] == "东城区" and row["lead_name"] == "张三"

    with entrypoint_waiter(container, "on_studio_designated") as result:
        dispatch("registry", "studio.designated", event)          # delivered twice
    assert result.get() == "duplicate"
    assert studios.find_one({"_id": "S-1"}) == row                # nothing changed

    with entrypoint_waiter(container, "on_studio_revoked") as result:
        dispatch("registry", "studio.revoked", revoked("S-1"))
    assert result.get() == "applied"

    with ClusterRpcProxy(config, context_data={"principal": CENTER.to_header()}) as rpc:
        rows = getattr(rpc, name).list_studios(status="revoked")
    assert [r["studio_id"] for r in rows] == ["S-1"] and rows[0]["revoked_on"] == "2026-09-01"
    assert not any(k.startswith("_") for k in rows[0])            # dumped through the schema
    with ClusterRpcProxy(config, context_data={"principal": HAIDIAN.to_header()}) as rpc:
        assert getattr(rpc, name).list_studios(status=None) == []  # another tenant sees nothing
