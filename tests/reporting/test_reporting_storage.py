"""The reporting repository (storage.Reports) over the embedded store, no broker: scope, versions,
events into the outbox, due dates, the digest (R-10, R-11)."""
from __future__ import annotations

import datetime as dt

import mongomock_ng
import pytest

from services.reporting.storage import REPORTS, SCOPES, Reports
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.principal import CITY_CENTER, TENANT, UNIT, Principal
from shared.storage import Store

UNIT_A = Principal("demo-unit-a", UNIT, "dongcheng", "unit-dc")
UNIT_OTHER = Principal("other-unit", UNIT, "dongcheng", "unit-dc-2")
DONGCHENG = Principal("demo-dongcheng", TENANT, "dongcheng")
HAIDIAN = Principal("demo-haidian", TENANT, "haidian")
CENTER = Principal("demo-center", CITY_CENTER)
UTC = dt.timezone.utc
PLAN = {"items": [{"output": "patents", "title": "夹具专利", "quantity": 2},
                  {"output": "apprentices", "title": "带徒", "quantity": 3}],
        "economic_benefit_fen": 100, "narrative": "计划"}
RESULTS = {"items": [{"output": "patents", "title": "夹具专利", "quantity": 2},
                     {"output": "apprentices", "title": "带徒", "quantity": 1}],
           "economic_benefit_fen": 123_400, "narrative": "=总结"}


@pytest.fixture
def db():
    database = mongomock_ng.MongoClient(tz_aware=True)["reporting_test"]
    database["studios"].insert_many([
        {"_id": "S1", "tenant_id": "dongcheng", "unit_id": "unit-dc", "name": "张三工作室", "unit_name": "精工",
         "status": "active", "designated_on": "2025-06-01", "year": 2025},
        {"_id": "S2", "tenant_id": "dongcheng", "unit_id": "unit-dc", "name": "李四工作室", "unit_name": "精工",
         "status": "revoked", "revoked_on": "2026-10-01", "designated_on": "2025-06-01", "year": 2025},
        {"_id": "S3", "tenant_id": "haidian", "unit_id": "unit-hd", "name": "王五工作室", "unit_name": "智造",
         "status": "active", "designated_on": "2025-06-01", "year": 2025},
    ])
    return database


def events(_type, data, tenant_id):
    return {"type": _type, "data": data, "tenant_id": tenant_id}


def reports(db, who, at=dt.datetime(2026, 3, 1, 2, tzinfo=UTC)):
    return Reports(Store(db, SCOPES, lambda: who), at, events)


def test_r11_versions_events_and_history_through_the_repository(db):
    reports(db, UNIT_A).save_draft("S1", 2026, "plan", PLAN)
    record, created = reports(db, UNIT_A).submit("S1", 2026, "plan", "key-1")
    assert created and record["state"] == "submitted" and record["version"] == 1
    assert record["timeliness"] == "on_time"
    again, created = reports(db, UNIT_A).submit("S1", 2026, "plan", "key-1")     # a replay
    assert not created and again["version"] == 1
    returned = reports(db, DONGCHENG).return_for_changes("S1", 2026, "plan", ["数字不对"])
    assert returned["state"] == "returned" and returned["draft"]["items"][0]["title"] == "夹具专利"
    late = dt.datetime(2026, 4, 3, 2, tzinfo=UTC)
    reports(db, UNIT_A, late).save_draft("S1", 2026, "plan", {**PLAN, "narrative": "改"})
    record, _ = reports(db, UNIT_A, late).submit("S1", 2026, "plan", "key-2")
    assert record["version"] == 2 and record["versions"][1]["late_days"] == 3
    assert record["timeliness"] == "on_time"          # the first submission counts
    accepted = reports(db, DONGCHENG, late).accept("S1", 2026, "plan")
    assert accepted["state"] == "accepted"
    v1 = reports(db, CENTER).version("S1", 2026, "plan", 1)
    assert v1["content"]["narrative"] == "计划" and v1["outcome"] == "returned" and v1["reasons"] == ["数字不对"]
    outbox = db[REPORTS].find_one({"_id": "S1:2026:plan"})["_outbox"]
    assert [e["type"] for e in outbox] == ["report.submitted", "report.returned", "report.submitted",
                                           "report.accepted"]
    assert outbox[1]["data"]["reasons"] == ["数字不对"] and outbox[2]["data"]["late_days"] == 3
    with pytest.raises(Conflict):
        reports(db, UNIT_A).submit("S1", 2026, "results", "key-1")


def test_r11_a_unit_reports_only_for_its_own_studios_and_another_tenant_gets_404(db):
    with pytest.raises(NotFound):
        reports(db, UNIT_OTHER).save_draft("S1", 2026, "plan", PLAN)
    with pytest.raises(NotFound):
        reports(db, UNIT_A).save_draft("S3", 2026, "plan", PLAN)
    reports(db, UNIT_A).save_draft("S1", 2026, "plan", PLAN)
    with pytest.raises(NotFound):
        reports(db, HAIDIAN).get("S1", 2026, "plan")
    with pytest.raises(Conflict):
        reports(db, UNIT_A).save_draft("S2", 2026, "plan", PLAN)      # revoked: reports no more


def test_r10_r11_digest_missing_late_revoked_and_targets(db):
    reports(db, UNIT_A).save_draft("S1", 2026, "plan", PLAN)
    reports(db, UNIT_A).submit("S1", 2026, "plan")
    results_day = dt.datetime(2026, 12, 3, 2, tzinfo=UTC)
    reports(db, UNIT_A, results_day).save_draft("S1", 2026, "results", RESULTS)
    reports(db, UNIT_A, results_day).submit("S1", 2026, "results")
    december = dt.datetime(2026, 12, 20, 2, tzinfo=UTC)
    system = Principal.system("test digest")
    rows = {r["studio_id"]: r for r in reports(db, system, december).digest(2026)}
    assert set(rows) == {"S1", "S2", "S3"}
    s1 = rows["S1"]
    assert s1["plan"]["timeliness"] == "on_time" and s1["results"]["timeliness"] == "late"
    assert s1["outputs"]["patents"] == 2 and s1["economic_benefit_fen"] == 123_400
    assert (s1["targets_total"], s1["targets_met"]) == (2, 1)
    assert rows["S2"]["plan"]["timeliness"] == "missing"           # revoked after March 31: owed the plan
    assert rows["S2"]["results"] is None                           # revoked before Dec 1: owes no results
    assert rows["S3"]["results"]["state"] == "missing"
    mine = reports(db, HAIDIAN, december).digest(2026)
    assert [r["studio_id"] for r in mine] == ["S3"]
    with pytest.raises(ValidationFailed):
        reports(db, CENTER).year_list(2026, state="lost")


def test_r11_due_dates_are_set_by_the_city(db):
    assert reports(db, CENTER).due_dates(2027).as_dict() == {"plan": "2027-03-31", "results": "2027-12-01"}
    reports(db, CENTER).set_due_dates(2027, {"results": "2027-11-15"})
    assert reports(db, UNIT_A).due_dates(2027).results == dt.date(2027, 11, 15)


def test_r10_a_results_draft_is_compared_with_the_targets_before_it_is_submitted(db):
    """The clerk sees met / not met of what it uploaded before submitting; the submitted
    comparison stays empty until then."""
    reports(db, UNIT_A).save_draft("S1", 2026, "plan", PLAN)
    reports(db, UNIT_A).submit("S1", 2026, "plan", "plan-1")
    late_year = dt.datetime(2026, 11, 20, 2, tzinfo=UTC)
    draft = reports(db, UNIT_A, late_year).save_draft("S1", 2026, "results", RESULTS)
    assert [(t["output"], t["target"], t["actual"], t["met"]) for t in draft["draft_targets"]] == [
        ("patents", 2, 2, True), ("apprentices", 3, 1, False)]
    assert [t["actual"] for t in draft["targets"]] == [None, None]
    reports(db, UNIT_A, late_year).submit("S1", 2026, "results", "results-1")
    submitted = reports(db, UNIT_A, late_year).get("S1", 2026, "results")
    assert submitted["draft_targets"] is None and [t["met"] for t in submitted["targets"]] == [True, False]
