"""An event that arrives before the one it depends on waits; it is no poison (shared/inbox.py).

A revocation (R-20) and its designation travel in different queues: a busy subscriber may see
the revocation first. Its attempts must not count against EVENT_RETRY_LIMIT, or a burst turns
order into a dead letter and the studio keeps owing reports (R-11) or keeps its funds (R-20)."""
from __future__ import annotations

import datetime as dt

import pytest

from shared.events import designation_of, new_event
from shared.inbox import PARKED, RETRYING, Waits, next_attempt
from shared.principal import Principal
from shared.studios import STUDIO_SCOPES, StudioDirectory, StudioNotYetKnown
from tests.support.harness import embedded_db
from shared.storage import Store

NOW = dt.datetime(2031, 12, 5, 1, 0, tzinfo=dt.timezone.utc)
RULES = {"retry_limit": 3, "base": 1.0, "cap": 30.0, "wait_limit": 3600.0}


def test_a_plain_failure_is_parked_after_the_retry_limit():
    assert next_attempt(1, NOW, waiting=False, waited=0, **RULES) == (RETRYING, NOW + dt.timedelta(seconds=1))
    assert next_attempt(2, NOW, waiting=False, waited=3, **RULES) == (RETRYING, NOW + dt.timedelta(seconds=2))
    assert next_attempt(3, NOW, waiting=False, waited=3, **RULES) == (PARKED, None)


def test_R20_a_waiting_event_is_not_parked_by_its_attempts_only_by_the_wait_and_its_back_off_is_capped():
    status, at = next_attempt(40, NOW, waiting=True, waited=600, **RULES)
    assert status == RETRYING and at == NOW + dt.timedelta(seconds=30)
    assert next_attempt(41, NOW, waiting=True, waited=3600, **RULES) == (PARKED, None)


def _store():
    system = Principal.system("test")
    return Store(embedded_db("inbox_waits"), STUDIO_SCOPES, lambda: system)


def test_R11_R20_a_revocation_before_its_designation_waits_for_that_designation():
    directory = StudioDirectory(_store())
    revoked = new_event("registry", "studio.revoked", {
        "studio_id": "s1", "tenant_id": "dongcheng", "unit_id": "u1", "revocation_id": "r1",
        "ground": "inactive", "revoked_on": "2031-10-01"}, tenant_id="dongcheng")
    with pytest.raises(StudioNotYetKnown) as waits:
        directory.revoked(revoked)
    assert isinstance(waits.value, Waits) and waits.value.key == designation_of("s1") == "studio.designated:s1"


class _DesignatedMeanwhile:
    """The studios collection as a revocation's handler sees it while the designation's handler
    stores the studio between its update and its read (both events are handled at once)."""

    def __init__(self, collection, designation: dict):
        self.collection, self.designation, self.raced = collection, designation, False

    def update_one(self, *args, **kwargs):
        result = self.collection.update_one(*args, **kwargs)
        if not self.raced:
            self.raced = True
            self.collection.insert_one(self.designation)
        return result

    def __getattr__(self, name):
        return getattr(self.collection, name)


def test_R11_R20_a_revocation_racing_its_designation_is_applied_not_taken_for_a_duplicate():
    """CI lost DC3's revocation this way: the update found no studio, the read then found the
    just-designated one, and the revocation was recorded as already applied."""
    store = _store()
    directory = StudioDirectory(store)
    designation = {"_id": "s2", "tenant_id": "dongcheng", "unit_id": "u1", "name": "王五技能大师工作室",
                   "status": "active", "revoked_on": None, "_events": ["designated-s2"]}
    racing = _DesignatedMeanwhile(store.db["studios"], designation)
    directory._coll = lambda: racing
    directory.revoked(new_event("registry", "studio.revoked", {
        "studio_id": "s2", "tenant_id": "dongcheng", "unit_id": "u1", "revocation_id": "r2",
        "ground": "inactive", "revoked_on": "2031-10-01"}, tenant_id="dongcheng"))
    doc = store.db["studios"].find_one({"_id": "s2"})
    assert racing.raced and doc["status"] == "revoked" and doc["revoked_on"] == "2031-10-01"
