"""The registry side of R-18 (issue 17): ``assessment.revocation_requested`` becomes a revocation
request on the R-18 ground (R-20), once however often it arrives; nothing when the studio is
revoked already or has an open request of its tenant; the bureau decides it as any other."""
from __future__ import annotations

import datetime as dt

from services.registry.storage import SCOPES, studios
from shared.events import check_event, new_event
from shared.storage import Store
from tests.registry.harness import BUREAU, DONGCHENG, Harness
from bench.designations import synthetic_application
from tests.support.harness import DirectInbox


def designate(h: Harness) -> str:
    store = Store(h.db, SCOPES, lambda: BUREAU)
    make = lambda t, d, *, tenant_id: new_event("registry", t, d, tenant_id=tenant_id)   # noqa: E731
    return studios.create_from_application(store, synthetic_application(0, "r18"), dt.date(2024, 6, 1), make)["_id"]


def requested(studio_id: str, round_id: str = "round-2027") -> dict:
    return check_event(new_event("assessment", "assessment.revocation_requested", {
        "round_id": round_id, "studio_id": studio_id, "tenant_id": "dongcheng", "unit_id": "unit-dc-jinggong",
        "ground": "failed_after_rectification", "reason": "2027年度复评不合格", "requested_on": "2027-06-01",
        "score": 20.0}, tenant_id="dongcheng"))


def worker(h: Harness, inbox: DirectInbox):
    w = h.as_(BUREAU)
    w.inbox = inbox
    return w


def test_r18_a_failed_re_assessment_becomes_one_revocation_request_on_the_r18_ground():
    h = Harness(dt.date(2027, 6, 1))
    sid = designate(h)
    inbox = DirectInbox()
    event = requested(sid)
    assert worker(h, inbox).on_assessment_revocation_requested(event) == "applied"
    assert worker(h, inbox).on_assessment_revocation_requested(event) == "duplicate"          # twice: once
    assert worker(h, inbox).on_assessment_revocation_requested(requested(sid)) == "duplicate"  # re-published
    items = h.as_(DONGCHENG).list_revocation_requests(sid)["items"]
    assert [(r["ground"], r["status"], r["reason"]) for r in items] == [
        ("failed_after_rectification", "requested", "2027年度复评不合格")]
    decided = h.as_(BUREAU).decide_revocation_request(sid, items[0]["id"], {"decision": "approve", "note": "R-18"})
    assert decided["status"] == "approved"


def test_r18_nothing_to_request_when_the_tenant_has_an_open_request_already():
    h = Harness(dt.date(2027, 6, 1))
    sid = designate(h)
    h.as_(DONGCHENG).create_revocation_request(sid, {"ground": "violation", "reason": "违规"})
    assert worker(h, DirectInbox()).on_assessment_revocation_requested(requested(sid)) == "duplicate"
    assert [r["ground"] for r in h.as_(DONGCHENG).list_revocation_requests(sid)["items"]] == ["violation"]
