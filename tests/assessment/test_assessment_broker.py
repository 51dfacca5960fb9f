"""assessment over the real RabbitMQ with registry and ledger (reporting and supervision are fakes
answering their contracts, CONTRACTS.md): a round for studios designated two years earlier (the
clock moved), filled-in indicators that match the ledger's and reporting's figures, publishing,
the bonus booked exactly once however often assessment.graded arrives (R-16, R-17, R-21); fail →
rectification → fail again → revocation request → the bureau revokes → the ledger's clawback
(R-18, R-20); a tenant sees only its own studios' results before and after publishing."""
from __future__ import annotations

import uuid
from contextlib import ExitStack

import pytest
from nameko.amqp.publish import Publisher
from nameko.exceptions import RemoteError
from nameko.rpc import rpc
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ClusterRpcProxy

from services.assessment.service import AssessmentService
from services.ledger.service import LedgerService
from services.registry.service import RegistryService
from shared.events import new_event
from shared.principal import Principal
from shared.topology import declare_topology
from tests.conftest import make_config
from bench.designations import designate_directly
from tests.support.waiting import holds_for, wait_for

CENTER = Principal("demo-center", "city_center")
BUREAU = Principal("demo-bureau", "city_bureau")
ADMIN = Principal("demo-admin", "admin")
FINANCE = Principal("demo-finance", "finance")
DONGCHENG = Principal("demo-dongcheng", "tenant", "dongcheng")
HAIDIAN = Principal("demo-haidian", "tenant", "haidian")
UNIT_DC = Principal("demo-unit-a", "unit", "dongcheng", "unit-dc-jinggong")
EXPERTS = [Principal(f"expert-{n}", "city_center") for n in range(1, 6)]
EXPERT_CODES = ["duties_work", "city_funds_rules", "economic_benefit", "social_benefit", "duties_inspection",
                "duties_rectification"]


class FakeReporting:
    """reporting's ``report_digest`` as CONTRACTS.md fixes it (the real one lands with issue 15)."""
    name = "reporting"

    @rpc
    def report_digest(self, year, tenant_id=None, studio_ids=None):
        return [{"studio_id": sid, "tenant_id": None, "unit_id": None, "year": year,
                 "agreement": None, "plan": {"state": "accepted", "timeliness": "on_time"},
                 "results": {"state": "submitted", "timeliness": "late"},
                 "targets_total": 10, "targets_met": 9, "outputs": {}, "economic_benefit_fen": 0}
                for sid in studio_ids or []]


class FakeSupervision:
    """supervision's ``inspection_digest`` does not exist yet: not running (unavailable with the reason)."""


@pytest.fixture
def cfg(rabbit_config):
    return make_config(rabbit_config["AMQP_URI"], MONGO_URI=f"memory://assessment-broker-{uuid.uuid4().hex}",
                       EVENT_RETRY_BASE_SECONDS=0.1, OUTBOX_POLL_SECONDS=0.1, RPC_TIMEOUT_SECONDS=3,
                       CLOCK_NOW="2026-11-20T09:00:00+08:00")


@pytest.fixture
def system(cfg, container_factory):
    declare_topology(cfg["AMQP_URI"], [RegistryService, LedgerService, AssessmentService])
    containers = {}
    for cls in (RegistryService, LedgerService, AssessmentService, FakeReporting):
        containers[cls.name] = container_factory(cls, cfg)
        containers[cls.name].start()
    return containers


def proxy(cfg, principal):
    return ClusterRpcProxy(cfg, timeout=20, context_data={"principal": principal.to_header()})


def entries(p, studio_id, kind):
    try:
        return [e for e in p.ledger.list_entries(studio_id, page_size=500)["items"] if e["kind"] == kind]
    except RemoteError:
        return []


def score(p_by_expert, rid, values):
    for principal, p in p_by_expert:
        for sid, v in values.items():
            p.assessment.enter_scores(rid, sid, {"scores": {c: v for c in EXPERT_CODES}})


def test_r14_r16_r21_round_publish_and_the_bonus_once_r18_r20_revocation_and_clawback(cfg, system):
    # five studios designated on 2024-06-01 (dongcheng, haidian alternately); the clock says 2026-11-20
    ids = designate_directly(system["registry"], 5, "as", first_year=2024)
    dc = [sid for i, sid in enumerate(ids) if i % 2 == 0]
    with proxy(cfg, CENTER) as c, proxy(cfg, FINANCE) as f, proxy(cfg, UNIT_DC) as u, ExitStack() as stack:
        assert wait_for(lambda: len(c.assessment.list_studios()) == 5)
        assert wait_for(lambda: all(entries(f, sid, "grant") for sid in ids))
        u.ledger.book_entry(dc[0], {"kind": "matching", "amount_fen": 30_000_000}, "m0")
        u.ledger.book_entry(dc[0], {"kind": "expenditure", "amount_fen": 30_000_000, "category": "training", "unit_price_fen": 50_000,
                                    "funding": "city"}, "e0")
        u.ledger.book_entry(dc[1], {"kind": "matching", "amount_fen": 15_000_000}, "m1")

        preview = c.assessment.due_preview(2026)
        assert sorted(d["studio_id"] for d in preview["due"]) == sorted(ids)
        assert {d["reason"] for d in preview["due"]} == {"two_years"}
        made = c.assessment.create_round({"year": 2026, "bonus_budget_fen": 20_000_000}, "round-2026")
        rid = made["round"]["id"]

        # filled in from the ledger and reporting, with the source; supervision did not answer
        sheets = {s["studio_id"]: {x["code"]: x for x in s["filled_in"]} for s in c.assessment.list_scores(rid)["items"]}
        compliance = f.ledger.compliance(dc[1])
        mine = sheets[dc[1]]
        assert mine["matching_funds"]["figures"]["matching_fen"] == compliance["matching_fen"] == 15_000_000
        assert mine["matching_funds"]["figures"]["matching_ratio_bp"] == compliance["matching_ratio_bp"] == 5000
        assert mine["matching_funds"]["score"] == 50.0
        assert mine["city_funds_use"]["figures"]["city_funds_fen"] == compliance["city_funds_fen"]
        spent = sheets[dc[0]]["city_funds_use"]
        assert spent["figures"]["city_spent_fen"] == f.ledger.compliance(dc[0])["city_spent_fen"] == 30_000_000
        assert spent["score"] == 100.0 and spent["source"] == "ledger.city_funds_use"
        assert mine["duties_targets"]["figures"] == {"targets_total": 10, "targets_met": 9}
        assert mine["duties_targets"]["score"] == 90.0
        assert not mine["duties_inspection"]["available"] and mine["duties_inspection"]["unavailable_reason"]

        c.assessment.assign_scorers(rid, {"assignments": {e.user: ids for e in EXPERTS}})
        experts = [(e, stack.enter_context(proxy(cfg, e))) for e in EXPERTS]
        values = {ids[0]: 100, ids[1]: 95, ids[2]: 80, ids[3]: 75, ids[4]: 10}
        score(experts, rid, values)
        grades = {g["studio_id"]: g["grade"] for g in c.assessment.grade_preview(rid)["items"]}
        assert grades == {ids[0]: "excellent", ids[1]: "pass", ids[2]: "pass", ids[3]: "pass", ids[4]: "fail"}

        with proxy(cfg, DONGCHENG) as t:                                                # before: nothing
            with pytest.raises(RemoteError) as err:
                t.assessment.list_results(rid)
            assert "not_found" in str(err.value.value)
        with proxy(cfg, BUREAU) as b:
            b.assessment.publish_round(rid)
        bonus = wait_for(lambda: entries(f, ids[0], "bonus"))
        assert len(bonus) == 1 and bonus[0]["amount_fen"] == 20_000_000

        # assessment.graded delivered twice (the same envelope again, and a second publication)
        graded = {"round_id": rid, "studio_id": ids[0], "tenant_id": "dongcheng", "unit_id": "unit-dc-jinggong",
                  "year": 2026, "grade": "excellent", "score": 100.0, "graded_on": "2026-11-20",
                  "published_on": "2026-11-20"}
        again = new_event("assessment", "assessment.graded", graded, tenant_id="dongcheng")
        again["event_id"] = bonus[0]["caused_by"]["event_id"]
        publisher = Publisher(cfg["AMQP_URI"])
        exchange = get_event_exchange("assessment", cfg)
        publisher.publish(again, exchange=exchange, routing_key="assessment.graded")
        publisher.publish(new_event("assessment", "assessment.graded", graded, tenant_id="dongcheng"),
                          exchange=exchange, routing_key="assessment.graded")
        with proxy(cfg, BUREAU) as b:
            b.assessment.publish_round(rid)                                           # publishing again
        holds_for(lambda: len(entries(f, ids[0], "bonus")) == 1, 3, message="one bonus")

        with proxy(cfg, DONGCHENG) as t, proxy(cfg, HAIDIAN) as h:                     # after: their own
            assert sorted(r["studio_id"] for r in t.assessment.list_results(rid)["items"]) == sorted(dc)
            assert sorted(r["studio_id"] for r in h.assessment.list_results(rid)["items"]) == sorted(
                set(ids) - set(dc))
        failed = ids[4]
        assert c.assessment.studio_record(failed)["rectification_due_on"] == "2027-05-19"

        # a year on: the failed studio is due for re-assessment, fails again → revocation requested
        with proxy(cfg, ADMIN) as a:
            a.assessment.set_clock(today="2027-06-01", reason="rehearse R-18")
        assert wait_for(lambda: c.assessment.get_clock()["today"] == "2027-06-01"
                        and f.ledger.get_clock()["today"] == "2027-06-01")
        due = c.assessment.due_preview(2027)["due"]
        assert [(d["studio_id"], d["reason"]) for d in due] == [(failed, "re_assessment")]
        rid2 = c.assessment.create_round({"year": 2027, "bonus_budget_fen": 0}, "round-2027")["round"]["id"]
        c.assessment.assign_scorers(rid2, {"assignments": {e.user: [failed] for e in EXPERTS}})
        score(experts, rid2, {failed: 20})
        c.assessment.publish_round(rid2)
        with proxy(cfg, BUREAU) as b:
            requests = wait_for(lambda: b.registry.list_revocation_requests(failed)["items"])
            assert [r["ground"] for r in requests] == ["failed_after_rectification"]      # R-18 → R-20
            b.registry.decide_revocation_request(failed, requests[0]["id"], {"decision": "approve",
                                                                           "note": "复评仍不合格"})
        clawback = wait_for(lambda: entries(f, failed, "clawback"))
        assert len(clawback) == 1 and clawback[0]["amount_fen"] == 30_000_000
        assert wait_for(lambda: c.assessment.list_studios(status="revoked"))
