"""Reminders over the real broker with two replicas of supervision (R-12, R-11): summary.due_soon
7 and 1 days before, summary.overdue the day after, report.overdue for a unit's late results —
each published once however often the timers tick on both replicas, and the notifications they
cause reach the tenant (and the unit, and the city for an overdue summary) and no one else."""
import os
import random
import sys
from collections import Counter
from datetime import date, datetime

import pytest
from nameko.events import event_handler
from nameko.standalone.rpc import ClusterRpcProxy

from services.supervision.service import SupervisionService
from shared.calendar import SHANGHAI
from shared.principal import Principal
from shared.storage import container_db
from tests.support.waiting import holds_for, wait_for

sys.path.insert(0, os.path.dirname(__file__))
import fakes  # noqa: E402

RECEIVED: dict = {}     # event_id -> envelope: delivery is at-least-once (two relays may both
                        # publish one pending event); "once" is one event, one event_id
DONG = Principal("demo-dongcheng", "tenant", "dongcheng")
HAI = Principal("demo-haidian", "tenant", "haidian")
UNIT_A = Principal("demo-unit-a", "unit", "dongcheng", "unit-dc-jinggong")
UNIT_B = Principal("demo-unit-b", "unit", "haidian", "unit-hd-zhizao")
CENTER = Principal("demo-center", "city_center")
FINANCE = Principal("demo-finance", "finance")


class ReminderListener:
    name = "reminder_listener"

    @event_handler("supervision", "summary.due_soon")
    def due_soon(self, payload):
        RECEIVED[payload["event_id"]] = payload

    @event_handler("supervision", "summary.overdue")
    def overdue(self, payload):
        RECEIVED[payload["event_id"]] = payload

    @event_handler("supervision", "report.due_soon")
    def report_due_soon(self, payload):
        RECEIVED[payload["event_id"]] = payload

    @event_handler("supervision", "report.overdue")
    def report_overdue(self, payload):
        RECEIVED[payload["event_id"]] = payload

    @event_handler("supervision", "summary.submitted")
    def submitted(self, payload):
        RECEIVED[payload["event_id"]] = payload


def _provider(container, attr):
    return next(d for d in container.dependencies if getattr(d, "attr_name", None) == attr)


@pytest.fixture
def replicas(config, container_factory):
    RECEIVED.clear()
    fakes.DATA["digest"] = [fakes.digest_item("S-DC-1", "dongcheng", "unit-dc-jinggong", 2026, results="draft"),
                            fakes.digest_item("S-HD-1", "haidian", "unit-hd-zhizao", 2026, results="accepted")]
    config = {**config, "MONGO_URI": f"memory://supervision-reminders-{random.random()}",
              "REMINDER_CHECK_SECONDS": 0.1}
    for cls in (ReminderListener, fakes.FakeRegistry, fakes.FakeReporting, fakes.FakeLedger):
        container_factory(cls, config).start()
    two = [container_factory(SupervisionService, config) for _ in range(2)]
    for c in two:
        _provider(c, "clock").fixed = date(2026, 11, 1)
        c.start()
    return config, two


def _move_to(two, day):
    for c in two:
        _provider(c, "clock").fixed = day
    # both replicas have checked that day and nothing waits in their outbox
    wait_for(lambda: all(_provider(c, "schedule").last_done == day for c in two), message=f"both replicas checked {day}")
    wait_for(lambda: all(_provider(c, "outbox").pending() == 0 for c in two), message="outbox relayed")


def _kinds():
    return Counter((e["type"], e["data"].get("tenant_id"), e["data"].get("days_left")) for e in RECEIVED.values())


def test_R12_R11_due_soon_and_overdue_fire_once_each_over_two_replicas(replicas):
    config, two = replicas
    _move_to(two, date(2026, 11, 24))                  # results due 12-01 in 7 days; summaries not yet
    wait_for(lambda: len(RECEIVED) >= 1, message="report.due_soon")
    _move_to(two, date(2026, 12, 8))                   # 7 days before 12-15; results overdue since 12-02
    wait_for(lambda: len(RECEIVED) >= 4, message="summary.due_soon x2 and report.overdue")
    _move_to(two, date(2026, 12, 9))                   # still in the 7-day window: nothing new
    _move_to(two, date(2026, 12, 14))                  # 1 day before
    wait_for(lambda: len(RECEIVED) >= 6, message="summary.due_soon (1 day) x2")
    _move_to(two, date(2026, 12, 16))                  # the day after
    wait_for(lambda: len(RECEIVED) >= 8, message="summary.overdue x2")
    _move_to(two, date(2026, 12, 17))
    holds_for(lambda: len(RECEIVED) == 8, 0.5, message="no reminder is made twice")
    assert _kinds() == Counter({
        ("report.due_soon", "dongcheng", 7): 1, ("report.overdue", "dongcheng", None): 1,
        ("summary.due_soon", "dongcheng", 7): 1, ("summary.due_soon", "haidian", 7): 1,
        ("summary.due_soon", "dongcheng", 1): 1, ("summary.due_soon", "haidian", 1): 1,
        ("summary.overdue", "dongcheng", None): 1, ("summary.overdue", "haidian", None): 1})
    assert container_db(two[0])["reminders"].count_documents({}) == 8

    # the notifications reach the addressed users, and no one else
    def topics(p):
        with ClusterRpcProxy(config, context_data={"principal": p.to_header()}) as rpc:
            return Counter(n["topic"] for n in rpc.supervision.list_notifications(page_size=100)["items"])

    wait_for(lambda: topics(DONG).total() == 4, message="东城区's notifications")
    assert topics(DONG) == Counter({"summary.due_soon": 2, "summary.overdue": 1, "report.overdue": 1})
    assert topics(HAI) == Counter({"summary.due_soon": 2, "summary.overdue": 1})
    assert topics(UNIT_A) == Counter({"report.due_soon": 1, "report.overdue": 1})
    assert topics(UNIT_B) == Counter()
    assert topics(CENTER) == Counter({"summary.overdue": 2})
    assert topics(FINANCE) == Counter()


def test_read_state_is_per_user_and_unread_come_first(replicas):
    config, two = replicas
    _move_to(two, date(2026, 12, 8))
    wait_for(lambda: len(RECEIVED) >= 3, message="reminders")
    with ClusterRpcProxy(config, context_data={"principal": DONG.to_header()}) as rpc:
        page = wait_for(lambda: (p := rpc.supervision.list_notifications()) and p["total"] == 2 and p,
                        message="two notices for 东城区")
        assert page["unread"] == 2
        last = page["items"][-1]["notification_id"]
        assert rpc.supervision.mark_notification_read(last)["read"] is True
        page = rpc.supervision.list_notifications()
        assert [n["read"] for n in page["items"]] == [False, True] and page["unread"] == 1
        assert rpc.supervision.list_notifications(unread_only="true")["total"] == 1
    colleague = Principal("dongcheng-colleague", "tenant", "dongcheng")
    with ClusterRpcProxy(config, context_data={"principal": colleague.to_header()}) as rpc:
        assert rpc.supervision.list_notifications()["unread"] == 2          # not read for another user
    with ClusterRpcProxy(config, context_data={"principal": HAI.to_header()}) as rpc:
        from nameko.exceptions import RemoteError
        with pytest.raises(RemoteError) as e:
            rpc.supervision.mark_notification_read(last)                     # not theirs: not found
        assert "not_found" in str(e.value.value)


def test_R12_a_late_submission_publishes_summary_submitted_with_its_days_late(replicas):
    config, two = replicas
    for c in two:
        _provider(c, "clock").fixed = datetime(2026, 12, 17, 10, 0, tzinfo=SHANGHAI)   # two days late
    with ClusterRpcProxy(config, context_data={"principal": DONG.to_header()}) as rpc:
        assert rpc.supervision.build_summary("dongcheng", 2026)["created"] is True
        done = rpc.supervision.submit_summary("dongcheng", 2026, "k-1")
        assert done["created"] and done["summary"]["late_days"] == 2 and done["summary"]["timeliness"] == "late"
        assert rpc.supervision.submit_summary("dongcheng", 2026, "k-1")["created"] is False   # a replay
    event = wait_for(lambda: next((e for e in RECEIVED.values() if e["type"] == "summary.submitted"), None),
                     message="summary.submitted")
    assert event["data"] == {"summary_id": "dongcheng:2026", "tenant_id": "dongcheng", "tenant_name": event["data"]["tenant_name"],
                             "year": 2026, "version": 1,
                             "submitted_at": event["data"]["submitted_at"], "due_on": "2026-12-15", "late_days": 2}
    holds_for(lambda: sum(e["type"] == "summary.submitted" for e in RECEIVED.values()) == 1, 0.3,
              message="one summary.submitted")


def test_R12_a_draft_is_built_when_reporting_does_not_answer_and_says_why(config, container_factory):
    config = {**config, "MONGO_URI": f"memory://supervision-lonely-{random.random()}", "RPC_TIMEOUT_SECONDS": 1}
    fakes.DATA["funds"] = [fakes.fund_row("S-DC-1")]
    for cls in (fakes.FakeRegistry, fakes.FakeLedger):          # no reporting running at all
        container_factory(cls, config).start()
    container_factory(SupervisionService, config).start()
    with ClusterRpcProxy(config, context_data={"principal": DONG.to_header()}) as rpc:
        summary = rpc.supervision.build_summary("dongcheng", 2026)["summary"]
    assert summary["figures"]["reports"]["available"] is False
    assert summary["sources"]["reports"].startswith("reporting did not answer")
    assert summary["sources"]["funds"] == "ok" and "city_received_fen" in summary["figures"]["funds"]
