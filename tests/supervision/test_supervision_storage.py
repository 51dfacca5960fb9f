"""supervision's repository on the embedded store (no broker): the unique reminder key, the
summary's optimistic revision, notifications paged unread first and addressed by audience."""
from datetime import date, datetime, timedelta, timezone

import mongomock_ng
import pytest

from services.supervision.domain import notifications as notes
from services.supervision.domain.reminders import Reminder
from services.supervision.storage import INDEXES, SCOPES, Supervision
from shared.errors import Conflict, NotFound
from shared.principal import Principal
from shared.storage import Store, ensure_indexes

NOW = datetime(2026, 12, 8, 1, 0, tzinfo=timezone.utc)
DONG = Principal("demo-dongcheng", "tenant", "dongcheng")
HAI = Principal("demo-haidian", "tenant", "haidian")
SYSTEM = Principal.system("test")


@pytest.fixture
def db():
    database = mongomock_ng.MongoClient(tz_aware=True)["supervision_test"]
    ensure_indexes(database, INDEXES)
    return database


def repo(db, principal, now=NOW):
    return Supervision(Store(db, SCOPES, lambda: principal), now, now.date())


def test_R12_a_reminder_key_is_taken_once(db):
    r = Reminder("summary.due_soon:7:dongcheng:2026", "summary.due_soon", "dongcheng",
                 {"tenant_id": "dongcheng", "year": 2026, "due_on": "2026-12-15", "days_left": 7})
    assert repo(db, SYSTEM).remember(r, {"event_id": "e1", "type": r.event_type}) is True
    assert repo(db, SYSTEM).remember(r, {"event_id": "e2", "type": r.event_type}) is False   # another replica
    assert [d["_outbox"][0]["event_id"] for d in db.reminders.find()] == ["e1"]


def test_R12_a_summary_written_from_a_stale_revision_is_409(db):
    sup = repo(db, DONG)
    doc, created = sup.build_draft("dongcheng", "东城区", 2026, {"studios": {"total": 0}}, [], {})
    stale = db.summaries.find_one({"_id": doc["summary_id"]})
    sup.edit_narrative("dongcheng", 2026, {"overview": "一"})
    with pytest.raises(Conflict):
        sup._write(stale, {**stale, "narrative": {"overview": "二"}})
    assert sup.summary("dongcheng", 2026)["narrative"]["overview"] == "一"
    with pytest.raises(NotFound):
        repo(db, HAI).summary("dongcheng", 2026)


def test_notifications_unread_first_across_pages_and_only_the_audience_sees_them(db):
    sys_repo = repo(db, SYSTEM)
    made = [notes.notification(f"src-{i}", "tenant:dongcheng", "summary.due_soon", f"t{i}", "b",
                               now=NOW + timedelta(minutes=i), tenant_id="dongcheng") for i in range(5)]
    assert sys_repo.notify(made) == 5 and sys_repo.notify(made) == 0              # made twice: once
    sup = repo(db, DONG)
    newest, oldest = made[4]["notification_id"], made[0]["notification_id"]
    sup.mark_read(newest)
    sup.mark_read(oldest)
    first, second = sup.notifications_page(1, 2), sup.notifications_page(2, 2)
    third = sup.notifications_page(3, 2)
    order = [n["title"] for p in (first, second, third) for n in p["items"]]
    assert order == ["t3", "t2", "t1", "t4", "t0"]                                 # unread newest first, then read
    assert first["unread"] == 3 and first["total"] == 5 and first["pages"] == 3
    assert repo(db, HAI).notifications_page()["total"] == 0
    with pytest.raises(NotFound):
        repo(db, HAI).mark_read(newest)
    colleague = repo(db, Principal("dongcheng-2", "tenant", "dongcheng"))
    assert colleague.notifications_page()["unread"] == 5                           # read state is per user


def test_R12_the_city_sets_a_years_due_date_and_a_draft_takes_it(db):
    center = repo(db, Principal("demo-center", "city_center"))
    assert center.set_summary_due_on(2026, "2026-12-10") == {"year": 2026, "summary_due_on": "2026-12-10"}
    assert repo(db, DONG).summary_due_on(2026) == date(2026, 12, 10)
    doc, _ = repo(db, DONG).build_draft("dongcheng", "东城区", 2026, {}, [], {})
    assert doc["due_on"] == "2026-12-10"
