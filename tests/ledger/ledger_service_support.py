"""The ledger service through tests/support/harness.py (worker_factory, embedded store, no broker):
the principal, the clock and the thresholds are injected; the inbox is reduced to its contract."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.ledger.dependencies import Now
from services.ledger.domain import DEFAULT_THRESHOLDS
from services.ledger.service import LedgerService
from services.ledger.storage import INDEXES, SCOPES
from shared.principal import Principal
from tests.support.harness import ServiceHarness

T0 = datetime(2025, 3, 3, 1, 0, tzinfo=timezone.utc)   # 09:00 in Beijing
SYSTEM = Principal.system("test")
FINANCE = Principal("fin", "finance")
ADMIN = Principal("adm", "admin")


class Ledgers:
    """One embedded ledger database; ``as_(principal)`` is a worker of that principal."""

    def __init__(self, thresholds=DEFAULT_THRESHOLDS, now=T0):
        self.harness = ServiceHarness(LedgerService, INDEXES, SCOPES, db_name="ledger")
        self.db = self.harness.db
        self.thresholds = thresholds
        self.now = now
        self.inbox = self.harness.inbox

    def tick(self, **delta):
        self.now = self.now + timedelta(**(delta or {"minutes": 1}))
        return self.now

    def as_(self, principal: Principal):
        return self.harness.worker(principal, caller=principal, clock=Now(self.now), asset_policy=self.thresholds)

    @property
    def system(self):
        return self.as_(SYSTEM)

    @property
    def finance(self):
        return self.as_(FINANCE)


def unit(tenant_id="dongcheng", unit_id="unit-dc-jinggong", user=None) -> Principal:
    return Principal(user or f"user-{unit_id}", "unit", tenant_id, unit_id)


def tenant(tenant_id="dongcheng") -> Principal:
    return Principal(f"user-{tenant_id}", "tenant", tenant_id)


def envelope(type_, data, event_id=None, source=None):
    source = source or ("assessment" if type_ == "assessment.graded" else "registry")
    return {"event_id": event_id or f"ev-{type_}-{data['studio_id']}-{data.get('round_id') or data.get('revocation_id') or 0}",
            "source": source, "type": type_, "tenant_id": data.get("tenant_id"),
            "occurred_at": "2025-03-01T09:00:00+08:00", "request_id": None, "data": data}


def designated(studio_id, tenant_id="dongcheng", unit_id="unit-dc-jinggong", event_id=None, **extra):
    return envelope("studio.designated", {"studio_id": studio_id, "tenant_id": tenant_id, "unit_id": unit_id,
                                          "name": f"{studio_id}技能大师工作室", "nameplate_no": "京技能大师〔2025〕第01号",
                                          **extra}, event_id)


def graded(studio_id, grade="excellent", round_id="round-2027", tenant_id="dongcheng",
           unit_id="unit-dc-jinggong", event_id=None):
    return envelope("assessment.graded", {"round_id": round_id, "studio_id": studio_id, "tenant_id": tenant_id,
                                          "unit_id": unit_id, "grade": grade, "graded_on": "2027-03-01",
                                          "published_on": "2027-03-10"}, event_id)


def revoked(studio_id, revocation_id="rev-1", tenant_id="dongcheng", unit_id="unit-dc-jinggong", event_id=None):
    return envelope("studio.revoked", {"studio_id": studio_id, "tenant_id": tenant_id, "unit_id": unit_id,
                                       "revocation_id": revocation_id, "ground": "inactive_over_one_year",
                                       "revoked_on": "2025-09-01"}, event_id)


def spend(amount_fen, category="training", funding="city", **extra):
    return {"kind": "expenditure", "amount_fen": amount_fen, "category": category, "funding": funding, **extra}


def matching(amount_fen, **extra):
    return {"kind": "matching", "amount_fen": amount_fen, **extra}


def asset(tag="FA-1", name="五轴数控机床", quantity=1, location="一号实训车间"):
    return {"asset_tag": tag, "name": name, "quantity": quantity, "location": location}


def entry_docs(db, studio_id=None):
    flt = {"studio_id": studio_id} if studio_id else {}
    return list(db.entries.find(flt).sort("seq", 1))
