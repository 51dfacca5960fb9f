"""supervision's repository on the embedded store (no broker): the unique reminder key, the
summary's optimistic revision, notifications paged unread first and addressed by audience."""
from datetime import date, datetime, timedelta, timezone

import mongomock_ng
import pytest

from services.supervision.domain import notifications as notes
from services.supervision.domain.reminders import Reminder
from services.supervision.storage import INDEXES, SCOPES, Supervision, stored_rows
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


def _rows(n, state="accepted"):
    return [{"studio_id": f"S{i}", "name": f"工作室{i}", "unit_id": "u1", "unit_name": "单位", "state": "active",
             "results": state if i == 0 else "accepted"} for i in range(n)]


def test_R12_a_rebuild_writes_the_studio_rows_only_when_they_changed(db):
    """Issue 16: the rows live in ``summary_rows``, written once per content; the summary names them."""
    sup = repo(db, DONG)
    first, created = sup.build_draft("dongcheng", "东城区", 2026, {"studios": {"total": 3}}, _rows(3), {})
    stored = db.summaries.find_one({"_id": "dongcheng:2026"})
    assert created and "studios" not in stored and first["studios"] == _rows(3)
    assert [stored_rows(d["rows"]) for d in db.summary_rows.find()] == [_rows(3)]
    same, _ = sup.build_draft("dongcheng", "东城区", 2026, {"studios": {"total": 3}}, _rows(3), {})
    assert same["revision"] == 2 and same["history"][-1]["action"] == "rebuilt" and same["studios"] == _rows(3)
    assert [d["_id"] for d in db.summary_rows.find()] == [stored["_rows"]["id"]]        # nothing written again
    sup.build_draft("dongcheng", "东城区", 2026, {"studios": {"total": 3}}, _rows(3, "returned"), {})
    assert [stored_rows(d["rows"]) for d in db.summary_rows.find()] == [_rows(3, "returned")]        # the old rows swept
    assert sup.summary("dongcheng", 2026)["studios"] == _rows(3, "returned")
    assert {d["tenant_id"] for d in db.summary_rows.find()} == {"dongcheng"}             # scoped by tenant


def test_R12_a_submitted_version_keeps_its_rows_after_a_reopen_and_a_rebuild(db):
    sup = repo(db, DONG)
    sup.build_draft("dongcheng", "东城区", 2026, {"studios": {"total": 2}}, _rows(2), {})
    sup.edit_narrative("dongcheng", 2026, {"overview": "一"})
    submitted, done = sup.submit("dongcheng", 2026, "k1", lambda s: {"event_id": "e1", "type": "summary.submitted"})
    assert done and submitted["studios"] == _rows(2) and db.summary_rows.count_documents({}) == 1   # shared, not copied
    again, done = sup.submit("dongcheng", 2026, "k1", lambda s: None)                  # the same key: a replay
    assert not done and again["studios"] == _rows(2)
    repo(db, Principal("demo-center", "city_center")).reopen("dongcheng", 2026, "补充数据")
    rebuilt, _ = sup.build_draft("dongcheng", "东城区", 2026, {"studios": {"total": 3}}, _rows(3), {})
    assert rebuilt["studios"] == _rows(3) and [v["version"] for v in rebuilt["versions"]] == [1]
    assert db.summary_rows.count_documents({}) == 2
    assert sup.summary_version("dongcheng", 2026, 1)["studios"] == _rows(2)              # the first stays readable
    assert sup.summary("dongcheng", 2026)["studios"] == _rows(3)


def test_R12_a_summary_stored_with_its_rows_inside_is_read_and_moved_out_on_its_next_write(db):
    """Summaries stored before issue 16 hold ``studios`` inline (the draft's and each version's)."""
    sup = repo(db, DONG)
    doc, _ = sup.build_draft("dongcheng", "东城区", 2026, {"studios": {"total": 2}}, _rows(2), {})
    old = {k: v for k, v in doc.items() if k != "versions"}
    old["versions"] = [{"version": 1, "submitted_at": NOW, "submitted_by": "x", "due_on": "2026-12-15",
                        "late_days": 0, "timeliness": "on_time", "narrative": doc["narrative"],
                        "figures": doc["figures"], "studios": _rows(1), "built_at": NOW}]
    db.summaries.replace_one({"_id": "dongcheng:2026"}, {"_id": "dongcheng:2026", **old, "version": 2})
    db.summary_rows.delete_many({})
    assert sup.summary("dongcheng", 2026)["studios"] == _rows(2)
    assert sup.summary_version("dongcheng", 2026, 1)["studios"] == _rows(1)
    sup.edit_narrative("dongcheng", 2026, {"overview": "二"})
    stored = db.summaries.find_one({"_id": "dongcheng:2026"})
    assert "studios" not in stored and all("studios" not in v for v in stored["versions"])
    assert sorted(len(stored_rows(d["rows"])) for d in db.summary_rows.find()) == [1, 2]
    assert sup.summary("dongcheng", 2026)["studios"] == _rows(2)
    assert sup.summary_version("dongcheng", 2026, 1)["studios"] == _rows(1)
