"""Designations made straight through the registry's own designation write
(``studios.create_from_application``: the studio document and its ``studio.designated``
event in one write), inside a running registry container, for the event-delivery tests and
benchmarks (bench/ imports no test module). The application path in front of it is tested in tests/gateway/test_applications_e2e.py;
here only the hand-off registry → broker → ledger is under test. R-7 allows 10 a year, so
designation ``i`` falls in year ``first_year + i // 10``."""
from __future__ import annotations

import datetime as dt

from services.registry.storage import studios
from services.registry.storage import SCOPES
from shared.events import new_event
from shared.outbox import Outbox
from shared.principal import CITY_BUREAU, Principal
from shared.storage import Store, container_db

BUREAU = Principal("demo-bureau", CITY_BUREAU)
UNITS = [("dongcheng", "unit-dc-jinggong", "北京东城精工制造有限公司"),
         ("haidian", "unit-hd-zhizao", "北京海淀智造科技有限公司")]


def synthetic_application(i: int, tag: str) -> dict:
    tenant_id, unit_id, unit_name = UNITS[i % 2]
    return {"_id": f"app-{tag}-{i:04d}", "tenant_id": tenant_id, "unit_id": unit_id, "unit_name": unit_name,
            "branch_id": None, "studio_name": f"测试工作室{tag}{i}", "studio_address": "北京市",
            "master": {"name": f"大师{i}", "gender": "M", "birth_month": "1975-03", "original_retirement_age": None,
                       "id_number": f"{tag}-{i:06d}", "occupation": f"工种{tag}{i}", "skill_level": "高级技师"}}


def designate_directly(registry_container, count: int, tag: str, first_year: int = 2001) -> list[str]:
    """Designate ``count`` studios; returns their ids. The registry's relay publishes the events."""
    store = Store(container_db(registry_container), SCOPES, lambda: BUREAU)

    def make_event(type_, data, *, tenant_id):
        return new_event("registry", type_, data, tenant_id=tenant_id)

    relay = next(d for d in registry_container.dependencies if isinstance(d, Outbox))
    ids = []
    for i in range(count):
        day = dt.date(first_year + i // 10, 6, 1)
        ids.append(studios.create_from_application(store, synthetic_application(i, tag), day, make_event)["_id"])
        relay.wake()  # as the designating worker does when it ends
    return ids


def designated_event(studio_id: str, tenant_id: str = "dongcheng", unit_id: str = "unit-dc-jinggong") -> dict:
    """A ``studio.designated`` envelope as the registry's relay publishes it."""
    return new_event("registry", "studio.designated", {
        "studio_id": studio_id, "tenant_id": tenant_id, "unit_id": unit_id, "application_id": f"app-{studio_id}",
        "name": f"工作室{studio_id}", "lead_name": "大师", "lead": {"name": "大师"}, "occupation": "钳工",
        "designated_on": "2026-06-01", "year": 2026, "nameplate_no": "京技能大师〔2026〕第01号",
        "measures_version": "京人社能发〔2023〕3号"}, tenant_id=tenant_id)


def revoked_event(studio_id: str, revocation_id: str, tenant_id: str = "dongcheng",
                  unit_id: str = "unit-dc-jinggong") -> dict:
    return new_event("registry", "studio.revoked", {
        "studio_id": studio_id, "tenant_id": tenant_id, "unit_id": unit_id, "revocation_id": revocation_id,
        "ground": "inactive", "revoked_on": "2026-09-01"}, tenant_id=tenant_id)
