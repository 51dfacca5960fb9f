"""The assessment service on the shared service harness (worker_factory on an embedded store,
no broker): the principal and the clock are injected; the other services are fakes answering the
contracts (CONTRACTS.md: ledger ``compliance_batch``, reporting ``report_digest``,
supervision ``inspection_digest``); the outbox records envelopes checked against their contract."""
from __future__ import annotations

import datetime as dt

from services.assessment.service import AssessmentService
from services.assessment.storage import INDEXES, SCOPES
from shared.clock import Now
from shared.errors import ServiceUnavailable
from shared.events import check_event, new_event
from shared.principal import Principal
from shared.studios import StudioDirectory
from tests.support.harness import RecordingOutbox, ServiceHarness

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
CENTER = Principal("demo-center", "city_center")
BUREAU = Principal("demo-bureau", "city_bureau")
EXPERT = {n: Principal(f"expert-{n}", "city_center") for n in range(1, 6)}
DONGCHENG = Principal("demo-dongcheng", "tenant", "dongcheng")
HAIDIAN = Principal("demo-haidian", "tenant", "haidian")
UNIT_A = Principal("demo-unit-a", "unit", "dongcheng", "unit-dc")


class FakeCalls:
    """``self.services`` as the service sees it: ``as_system(reason).<service>.<method>(...)``."""

    def __init__(self):
        self.answers: dict = {}      # (service, method) -> list or an exception to raise
        self.calls: list = []

    def as_system(self, reason):
        self.calls.append(("as_system", reason))
        return self

    def __getattr__(self, service):
        if service.startswith("_"):
            raise AttributeError(service)
        calls = self

        class _S:
            def __getattr__(self, method):
                def call(*args, timeout=None, **kwargs):
                    calls.calls.append((service, method, args, kwargs))
                    answer = calls.answers.get((service, method),
                                               ServiceUnavailable(f"{service} did not answer within 5 s"))
                    if isinstance(answer, Exception):
                        raise answer
                    return answer(*args, **kwargs) if callable(answer) else answer
                return call
        return _S()


class CheckedOutbox(RecordingOutbox):
    """The harness's recording outbox, checking each envelope against its contract as the real one does."""

    def event(self, type_, data, *, tenant_id):
        return check_event(super().event(type_, data, tenant_id=tenant_id))

    @property
    def recorded(self):
        return self.events


class Assessment:
    """One embedded assessment database (tests/support/harness.py); ``as_(principal)`` is a worker
    of that principal on this ``now``, with the fake other services."""

    def __init__(self, now=dt.datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)):
        self.harness = ServiceHarness(AssessmentService, INDEXES, SCOPES)
        self.harness.outbox = CheckedOutbox("assessment")
        self.db, self.outbox = self.harness.db, self.harness.outbox
        self.now = now
        self.calls = FakeCalls()

    def as_(self, principal: Principal):
        return self.harness.worker(principal, caller=_Caller(principal), clock=Now(self.now), services=self.calls)

    def _system(self):
        return self.harness.store(Principal.system("test"))

    def designate(self, studio_id, designated_on, tenant_id="dongcheng", unit_id="unit-dc", **extra):
        StudioDirectory(self._system()).designated(new_event("registry", "studio.designated", {
            "studio_id": studio_id, "tenant_id": tenant_id, "tenant_name": {"dongcheng": "东城区"}.get(tenant_id, tenant_id),
            "unit_id": unit_id, "unit_name": f"{unit_id}单位", "name": f"{studio_id}技能大师工作室",
            "nameplate_no": f"京技能大师〔{designated_on[:4]}〕第01号", "designated_on": designated_on,
            "year": int(designated_on[:4]), **extra}, tenant_id=tenant_id))

    def revoke(self, studio_id, tenant_id="dongcheng", unit_id="unit-dc"):
        StudioDirectory(self._system()).revoked(new_event("registry", "studio.revoked", {
            "studio_id": studio_id, "tenant_id": tenant_id, "unit_id": unit_id, "revocation_id": "r1",
            "ground": "failed_after_rectification", "revoked_on": self.now.date().isoformat()}, tenant_id=tenant_id))


class _Caller:
    """The Caller dependency's surface (get, require_role, attributes) over a fixed principal."""

    def __init__(self, principal):
        self._p = principal

    def get(self):
        return self._p

    def __getattr__(self, name):
        return getattr(self._p, name)
