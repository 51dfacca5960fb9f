"""ledger: one dedicated fund account per studio (专门账目, R-20 … R-25).

Thin entry points: check the role, load the input through ``schemas``, call ``storage.Ledger``
(which uses the pure domain in ``domain/``), dump the result through ``schemas``. The domain's
errors are ``shared.errors`` classes: they travel as they are.

Events (each applied once through the inbox; the journal's unique keys make a redelivery,
even a concurrent one, or a replay of every event from the start change nothing):

- ``registry/studio.designated`` → open the account, book the 300,000 CNY grant (R-21)
- ``assessment/assessment.graded`` (excellent) → 200,000 CNY bonus, a new funding cycle (R-21, R-25)
- ``registry/studio.revoked`` → claw back the current cycle's city funds (R-20)
"""
from __future__ import annotations

from contextlib import contextmanager

from eventlet import tpool
from nameko.events import event_handler

from services.ledger import schemas
from services.ledger.dependencies import FixedAssetPolicy
from shared.clock import Clock
from services.ledger.domain import reconciliation_workbook
from services.ledger.storage import INDEXES, SCOPES, Ledger, workbook_payload
from shared.errors import NotFound
from shared.events import ASSESSMENT_GRADED, STUDIO_DESIGNATED, STUDIO_REVOKED, designation_in, designation_of
from shared.inbox import AlreadyApplied, Inbox, Waits
from shared.caller import Caller
from shared.principal import ADMIN, CITY_BUREAU, CITY_CENTER, FINANCE, TENANT, UNIT
from shared.rpc import rpc
from shared.schemas import FileSchema, dump, dump_many, load
from shared.service import ServiceBase
from shared.storage import Mongo

RECONCILERS = (FINANCE, CITY_CENTER, CITY_BUREAU, ADMIN, TENANT)
CHECKERS = (ADMIN, FINANCE)


class LedgerService(ServiceBase):
    name = "ledger"

    store = Mongo("ledger", SCOPES, INDEXES)
    caller = Caller()
    inbox = Inbox()
    clock = Clock()
    asset_policy = FixedAssetPolicy()

    def _ledger(self, store=None) -> Ledger:
        return Ledger(store or self.store, self.clock.now(), self.asset_policy)

    # -- reads -----------------------------------------------------------------------
    @rpc
    def list_accounts(self, page=1, page_size=50, tenant_id=None):
        return dump(schemas.LedgerAccountPageSchema(), self._ledger().list_accounts(page, page_size, tenant_id))

    @rpc
    def get_account(self, studio_id):
        return dump(schemas.LedgerAccountSchema(), self._ledger().account(studio_id))

    @rpc
    def list_entries(self, studio_id, page=1, page_size=50, kind=None, year=None):
        return dump(schemas.LedgerEntryPageSchema(),
                    self._ledger().list_entries(studio_id, page, page_size, kind, year))

    @rpc
    def fixed_assets(self, studio_id):
        return dump(schemas.LedgerFixedAssetRegisterSchema(), self._ledger().fixed_assets(studio_id))

    @rpc
    def compliance(self, studio_id, cycle=None, next_assessment_at=None, as_of=None):
        """R-22/R-23 for a cycle (default: the current one). Also for the assessment service,
        which calls with a system principal."""
        return dump(schemas.LedgerComplianceSchema(),
                    self._ledger().compliance(studio_id, cycle, next_assessment_at, as_of))

    @rpc
    def compliance_batch(self, studio_ids, next_assessment_at=None, as_of=None):
        """``compliance`` for many studios (an assessment round); unknown ones are left out."""
        ledger, out = self._ledger(), []
        for sid in list(studio_ids or [])[:5000]:
            try:
                out.append(ledger.compliance(sid, None, next_assessment_at, as_of))
            except NotFound:
                continue
        return dump_many(schemas.LedgerComplianceSchema(), out)

    # -- booking (a unit, for its own studios) -----------------------------------------
    @rpc
    def book_entry(self, studio_id, data, idempotency_key=None):
        """Returns ``{"entry", "created"}``; ``created`` is False for a replay of the same request."""
        principal = self.caller.require_role(UNIT)
        request = load(schemas.EntryRequestSchema(), data)
        entry, created = self._ledger().book_request(principal, studio_id, request, idempotency_key)
        return dump(schemas.LedgerBookingResultSchema(), {"entry": entry, "created": created})

    # -- checks ----------------------------------------------------------------------
    @rpc
    def verify_account(self, studio_id, repair=False):
        """Rebuild the studio's stored projection from its entries and compare (repair: admin)."""
        self.caller.require_role(*CHECKERS)
        if repair:
            self.caller.require_role(ADMIN)
        return dump(schemas.LedgerVerificationSchema(), self._ledger().verify(studio_id, bool(repair)))

    @rpc
    def verify_projection(self, repair=False):
        """``verify_account`` for every account."""
        self.caller.require_role(*CHECKERS)
        if repair:
            self.caller.require_role(ADMIN)
        return dump(schemas.LedgerVerificationReportSchema(), self._ledger().verify_all(bool(repair)))

    # -- reconciliation ----------------------------------------------------------------
    @rpc
    def reconciliation(self, year=None, tenant_id=None, source="projection"):
        principal = self.caller.require_role(*RECONCILERS)
        return dump(schemas.LedgerReconciliationSchema(),
                    self._ledger().reconciliation(principal, year, tenant_id, source or "projection"))

    @rpc
    def reconciliation_xlsx(self, year=None, tenant_id=None):
        """The reconciliation as an .xlsx workbook: ``{"filename", "content_b64"}``."""
        principal = self.caller.require_role(*RECONCILERS)
        report = self._ledger().reconciliation(principal, year, tenant_id)
        content = tpool.execute(reconciliation_workbook, report)  # CPU-bound: off the eventlet hub
        return dump(FileSchema(), workbook_payload(report, content))

    # -- events ----------------------------------------------------------------------
    @event_handler(*STUDIO_DESIGNATED, requeue_on_error=True)
    def on_studio_designated(self, payload):
        # a bonus or clawback that came first goes now
        return self.inbox.apply(payload, self._designated, wakes=designation_in(payload))

    @event_handler(*ASSESSMENT_GRADED, requeue_on_error=True)
    def on_assessment_graded(self, payload):
        return self.inbox.apply(payload, self._graded)

    @event_handler(*STUDIO_REVOKED, requeue_on_error=True)
    def on_studio_revoked(self, payload):
        return self.inbox.apply(payload, self._revoked)

    # The effects run as the system. A refusal (e.g. a bonus for an account that is not open
    # yet) raises: the inbox stores the event and retries it with back-off, then parks it.
    def _designated(self, event):
        _, created = self._ledger(self.store.as_system(event["type"])).book_grant(event)
        if not created:
            raise AlreadyApplied()

    def _graded(self, event):
        with _waits_for_the_account(event):
            booked = self._ledger(self.store.as_system(event["type"])).book_bonus(event)
        if booked is not None and not booked[1]:
            raise AlreadyApplied()

    def _revoked(self, event):
        with _waits_for_the_account(event):
            _, created = self._ledger(self.store.as_system(event["type"])).book_clawback(event)
        if not created:
            raise AlreadyApplied()


@contextmanager
def _waits_for_the_account(event):
    """No account yet: its designation is still on its way (another queue), so the event waits."""
    try:
        yield
    except NotFound as missing:
        raise Waits(designation_of(str(event["data"]["studio_id"])), str(missing)) from missing
