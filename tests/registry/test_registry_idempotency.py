"""The registry's durable Idempotency-Keys (issue 14, shared/idempotency.py) on the creating entry
points that had none: tenants, units, users, materials, objections, change requests. The same key
and body answer the record the first request made, however its state moved on since (that is
what a retry after a gateway restart sends); another body is 409; each key is the user's own."""
from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from services.registry.contract import check_digit
from services.registry.storage import APPLICATIONS, CHANGE_REQUESTS, MATERIALS, TENANTS, UNITS, USERS
from shared.errors import Conflict, ValidationFailed
from shared.idempotency import fingerprint
from tests.registry import forms
from tests.registry.harness import ADMIN, BUREAU, CENTER, DONGCHENG, UNIT_A, Harness


@pytest.fixture
def h():
    return Harness()


def test_a_tenant_unit_and_user_are_made_once_per_key_and_another_body_is_409(h):
    tenant = {"id": "idem-group", "name": "幂等集团", "kind": "group"}
    first = h.as_(ADMIN).create_tenant(tenant, idempotency_key="t-1")
    assert h.as_(ADMIN).create_tenant(tenant, idempotency_key="t-1") == first
    with pytest.raises(Conflict):
        h.as_(ADMIN).create_tenant({**tenant, "name": "另一个"}, idempotency_key="t-1")
    with pytest.raises(Conflict):   # another user's key is another key: the id is taken
        h.as_(BUREAU).create_tenant(tenant, idempotency_key="t-1")

    prefix = "91110101MA01EEEE0"
    unit = {"name": "幂等单位", "credit_code": prefix + check_digit(prefix)}
    made = h.as_(DONGCHENG).create_unit("dongcheng", unit, idempotency_key="u-1")
    assert h.as_(DONGCHENG).create_unit("dongcheng", unit, idempotency_key="u-1")["id"] == made["id"]
    with pytest.raises(Conflict):
        h.as_(DONGCHENG).create_unit("dongcheng", {**unit, "name": "另一个"}, idempotency_key="u-1")

    user = {"username": "idem-user", "password": "idem-pass-123", "role": "unit", "tenant_id": "dongcheng",
            "unit_id": "unit-dc-jinggong"}
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

    def tenant_officer():
        return h.service.worker(DONGCHENG, passwords=hasher)
    created = tenant_officer().create_user(user, idempotency_key="p-1")
    assert tenant_officer().create_user(user, idempotency_key="p-1") == created
    with pytest.raises(Conflict):   # the same key with another password is another request
        tenant_officer().create_user({**user, "password": "other-pass-456"}, idempotency_key="p-1")
    stored = h.db[USERS].find_one({"_id": "idem-user"})
    assert stored["_idem"]["hash"] != fingerprint(user)   # no digest of the password is kept
    assert "_idem" not in created
    assert (h.db[TENANTS].count_documents({"_id": "idem-group"}), h.db[UNITS].count_documents({"name": "幂等单位"}),
            h.db[USERS].count_documents({"_id": "idem-user"})) == (1, 1, 1)


def test_a_material_replayed_after_the_application_moved_on_is_answered_not_added(h):
    app = h.as_(UNIT_A).create_application(forms.application())
    first = h.as_(UNIT_A).add_material(app["id"], "certificate", h.upload(UNIT_A, forms.PDF, "c.pdf"),
                                       idempotency_key="m-1")
    h.as_(UNIT_A).submit_application(app["id"])   # takes no materials now: a replay is still the first answer
    again = h.as_(UNIT_A).add_material(app["id"], "certificate", h.upload(UNIT_A, forms.PDF, "c.pdf"),
                                       idempotency_key="m-1")
    assert again == first
    with pytest.raises(Conflict):
        h.as_(UNIT_A).add_material(app["id"], "certificate", h.upload(UNIT_A, forms.PDF + b"%x\n", "c.pdf"),
                                   idempotency_key="m-1")
    stored = h.db[APPLICATIONS].find_one({"_id": app["id"]})
    assert len(stored["materials"]) == 1 and h.db[MATERIALS].count_documents({"application_id": app["id"]}) == 1
    assert "_idem_within" not in h.as_(UNIT_A).get_application(app["id"])


def test_an_objection_is_recorded_once_per_key(h):
    app = h.in_notice()
    h.on("2026-03-04")
    objection = {"summary": "反映材料不实", "objector": "匿名"}
    held = h.as_(CENTER).add_objection(app["id"], objection, idempotency_key="o-1")
    again = h.as_(CENTER).add_objection(app["id"], objection, idempotency_key="o-1")
    assert held["status"] == again["status"] == "objected" and len(again["objections"]) == 1
    with pytest.raises(Conflict):
        h.as_(CENTER).add_objection(app["id"], {"summary": "另一条"}, idempotency_key="o-1")
    second = h.as_(CENTER).add_objection(app["id"], {"summary": "另一条"}, idempotency_key="o-2")
    assert len(second["objections"]) == 2


def test_a_change_request_is_filed_once_per_key_and_a_key_of_a_lead_change_clashes(h):
    h.on("2026-03-02")
    app = h.in_notice()
    h.on("2026-03-20")
    studio_id = h.as_(BUREAU).designate_application(app["id"], {})["designation"]["studio_id"]
    body = {"kind": "relocation", "reason": "搬迁", "new_address": "北京市东城区新址1号"}
    first = h.as_(UNIT_A).create_change_request(studio_id, body, idempotency_key="c-1")
    assert h.as_(UNIT_A).create_change_request(studio_id, body, idempotency_key="c-1")["id"] == first["id"]
    assert h.db[CHANGE_REQUESTS].count_documents({"studio_id": studio_id}) == 1
    lead = {"kind": "lead_change", "reason": "退休", "lead_change_reason": "retirement",
            "application": forms.application(master=forms.master(name="李师傅", birth="1982-04-04"))}
    with pytest.raises(Conflict):
        h.as_(UNIT_A).create_change_request(studio_id, lead, idempotency_key="c-1")
    made = h.as_(UNIT_A).create_change_request(studio_id, lead, idempotency_key="c-2")
    assert h.as_(UNIT_A).create_change_request(studio_id, lead, idempotency_key="c-2")["id"] == made["id"]
    assert h.db[APPLICATIONS].count_documents({"studio_id": studio_id, "kind": "lead_change"}) == 1
    with pytest.raises(Conflict):
        h.as_(UNIT_A).create_change_request(studio_id, body, idempotency_key="c-2")


def test_a_key_longer_than_200_characters_is_422(h):
    with pytest.raises(ValidationFailed):
        h.as_(ADMIN).create_tenant({"id": "long-key", "name": "长键", "kind": "group"}, idempotency_key="k" * 201)
