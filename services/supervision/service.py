"""supervision: districts' inspections of their studios and the annual work summary (R-12), with
on-time / late / missing tracking, reminders and notifications.

Entry points only check the role, load the input through ``schemas``, call ``storage.Supervision``
(which uses the pure ``domain``) and dump through ``schemas``.

Inputs of the summary draft (the choice, and why):

- studios: a read model fed by registry's events (shared/studios.py) — they change rarely and
  every read (drafts, digests, scope checks) needs them locally;
- reports and funds: fetched when the draft is built, with the shared service client on behalf
  of the caller (reporting's ``report_digest``, the ledger's ``reconciliation``). Their figures
  are derived by their owners' rules (report states and timeliness; the ledger's fold and
  matching ratio): mirroring their events would copy those rules here, and the ledger publishes
  no event per booking. A draft is a snapshot (``built_at``); rebuilding refreshes it. A source
  that does not answer is shown as unavailable with the reason; the rest of the draft is built.
- tenants (the city view, reminders): registry's directory, fetched.

Events published (outbox): ``summary.submitted``; from the reminder timer ``summary.due_soon``,
``summary.overdue``, ``report.due_soon``, ``report.overdue`` (each once: unique reminder key).
Events consumed (inbox, each applied once) into notifications: ``report.submitted`` (to the
tenant), ``report.accepted`` and ``report.returned`` (to the unit), ``summary.submitted`` (to the
city), supervision's own reminders, ``assessment.graded``; plus the studio read model's three registry events.
"""
from __future__ import annotations

import logging

from eventlet import tpool
from nameko.events import event_handler
from nameko.exceptions import RemoteError, UnknownService

from services.supervision import schemas
from services.supervision.dependencies import ReminderSchedule, reminder_timer
from services.supervision.domain import notifications as notes
from services.supervision.domain import reminders as rem
from services.supervision.domain import summaries as sm
from services.supervision.domain.deadlines import parse_year
from services.supervision.domain.status import totals
from services.supervision.domain.workbooks import status_workbook, summary_workbook, workbook_file
from services.supervision.storage import INDEXES, OUTBOX_COLLECTIONS, SCOPES, Supervision
from shared.errors import DomainError, ValidationFailed
from shared.events import (ASSESSMENT_GRADED, REPORT_ACCEPTED, REPORT_DUE_SOON, REPORT_OVERDUE,
                           REPORT_RETURNED, REPORT_SUBMITTED, SUMMARY_DUE_SOON, SUMMARY_OVERDUE,
                           SUMMARY_SUBMITTED)
from shared.inbox import AlreadyApplied, Inbox
from shared.logs import log_event
from shared.outbox import Outbox
from shared.principal import ADMIN, CITY_BUREAU, CITY_CENTER, FINANCE, TENANT
from shared.rpc import rpc
from shared.schemas import FileSchema, dump, dump_many, load
from shared.service import ServiceBase
from shared.service_calls import ServiceCalls
from shared.storage import Mongo, page_args
from shared.studios import StudioDirectory, StudioReadModel

log = logging.getLogger("skillmaster.supervision")

CITY = (CITY_CENTER, CITY_BUREAU, FINANCE, ADMIN)
SUMMARY_READERS = (TENANT, *CITY)
DUE_DATE_SETTERS = (CITY_CENTER, CITY_BUREAU, ADMIN)
MAX_TENANT_PAGES = 20
# what another service's refusal or silence looks like through the shared client: our errors
# (ServiceUnavailable on a timeout or a broker fault) or nameko's (a method it lacks yet; no
# such service deployed: UnknownService)
UNANSWERED = (DomainError, RemoteError, UnknownService)


def _unavailable(source: str, exc: Exception) -> str:
    return f"{source} did not answer: {getattr(exc, 'detail', None) or exc}"


class SupervisionService(StudioReadModel, ServiceBase):
    name = "supervision"

    store = Mongo("supervision", SCOPES, INDEXES)
    inbox = Inbox()
    outbox = Outbox(OUTBOX_COLLECTIONS)
    services = ServiceCalls()        # self.services.as_system("why").ledger.compliance(...)
    schedule = ReminderSchedule()

    def _supervision(self, store=None) -> Supervision:
        reading = self.clock
        return Supervision(store or self.store, reading.now(), reading.today())

    # -- inspections ----------------------------------------------------------------------------
    @rpc
    def record_inspection(self, tenant_id, data, idempotency_key=None):
        """The tenant records an inspection of one of its studios; ``{"inspection", "created"}``."""
        self.caller.get()
        request = load(schemas.InspectionRequestSchema(), data)
        doc, created = self._supervision().record_inspection(tenant_id, request, idempotency_key)
        return {"inspection": dump(schemas.InspectionSchema(), doc), "created": created}

    @rpc
    def list_inspections(self, tenant_id, year=None, studio_id=None, page=1, page_size=50):
        self.caller.get()
        return dump(schemas.InspectionPageSchema(),
                    self._supervision().inspections_page(tenant_id, year, studio_id, page, page_size))

    @rpc
    def get_inspection(self, tenant_id, inspection_id):
        self.caller.get()
        return dump(schemas.InspectionSchema(), self._supervision().inspection(tenant_id, inspection_id))

    @rpc
    def close_rectification(self, tenant_id, inspection_id, item_id, data):
        """The studio's unit (or the tenant) closes a rectification item with evidence."""
        self.caller.get()
        evidence = load(schemas.EvidenceSchema(), data)
        return dump(schemas.InspectionSchema(),
                    self._supervision().close_item(tenant_id, inspection_id, item_id, evidence))

    @rpc
    def inspection_digest(self, year, tenant_id=None, studio_ids=None):
        """One row a studio: ``{studio_id, tenant_id, year, inspected, inspected_on, rating,
        open_rectifications}``; rating is the latest inspection's of the year: "good" | "fair" |
        "poor" | None (not inspected). City-wide for a system principal, scoped for a user."""
        self.caller.get()
        return dump_many(schemas.InspectionDigestRowSchema(),
                         self._supervision().inspection_digest(year, tenant_id, studio_ids))

    # -- summaries --------------------------------------------------------------------------------
    def _inputs(self, tenant_id: str, year: int):
        """reporting's digest and the ledger's reconciliation rows (None + reason if unavailable)."""
        reports = funds = None
        unavailable, sources = {}, {}
        try:
            reports = self.services.reporting.report_digest(year, tenant_id=tenant_id)
            sources["reports"] = "ok"
        except UNANSWERED as exc:        # a refusal or no answer: the draft says why, and goes on
            unavailable["reports"] = sources["reports"] = _unavailable("reporting", exc)
        try:
            funds = self.services.ledger.reconciliation(year=year, tenant_id=tenant_id)["studios"]
            sources["funds"] = "ok"
        except UNANSWERED as exc:
            unavailable["funds"] = sources["funds"] = _unavailable("ledger", exc)
        return reports, funds, unavailable, sources

    def _tenant_name(self, tenant_id: str, studios: list) -> str:
        for s in studios:
            if s.get("tenant_name"):
                return s["tenant_name"]
        try:
            return self.services.registry.get_tenant(tenant_id).get("name") or tenant_id
        except UNANSWERED:
            return tenant_id

    @rpc
    def build_summary(self, tenant_id, year):
        """The tenant's draft of ``year`` built (or rebuilt) from the year's data: ``{"summary", "created"}``."""
        self.caller.get()
        year = parse_year(year)
        sup = self._supervision()
        sup.require_editor(tenant_id)                             # before asking anyone else
        studios = sup.tenant_studios(tenant_id)
        reports, funds, unavailable, sources = self._inputs(tenant_id, year)
        figures, rows = sm.build(year, studios, reports, sup.inspection_digest(year, tenant_id, studios=studios), funds,
                                unavailable)
        doc, created = sup.build_draft(tenant_id, self._tenant_name(tenant_id, studios), year, figures, rows, sources)
        return {"summary": dump(schemas.SummarySchema(), doc), "created": created}

    @rpc
    def get_summary(self, tenant_id, year, version=None):
        self.caller.require_role(*SUMMARY_READERS)
        sup = self._supervision()
        if version not in (None, ""):
            return dump(schemas.SummaryVersionSchema(), sup.summary_version(tenant_id, year, version))
        return dump(schemas.SummarySchema(), sup.summary(tenant_id, year))

    @rpc
    def edit_summary(self, tenant_id, year, data):
        self.caller.require_role(*SUMMARY_READERS)
        narrative = load(schemas.NarrativeSchema(), data)
        return dump(schemas.SummarySchema(), self._supervision().edit_narrative(tenant_id, year, narrative))

    @rpc
    def submit_summary(self, tenant_id, year, idempotency_key=None):
        """Submit the draft (R-12: after the due date it is accepted and marked late);
        ``{"summary", "created"}`` — created False for a replay of the same Idempotency-Key."""
        self.caller.require_role(*SUMMARY_READERS)

        def event(summary):
            return self.outbox.event(SUMMARY_SUBMITTED[1], {
                "summary_id": summary["summary_id"], "tenant_id": summary["tenant_id"], "year": summary["year"],
                "tenant_name": summary.get("tenant_name") or summary["tenant_id"], "version": summary["version"], "submitted_at": summary["submitted_at"].isoformat(),
                "due_on": summary["due_on"], "late_days": summary["late_days"]}, tenant_id=summary["tenant_id"])

        doc, created = self._supervision().submit(tenant_id, year, idempotency_key, event)
        return {"summary": dump(schemas.SummarySchema(), doc), "created": created}

    @rpc
    def reopen_summary(self, tenant_id, year, data):
        """The city reopens a submitted summary with a reason (kept in history; versions stay)."""
        self.caller.require_role(*SUMMARY_READERS)
        reason = load(schemas.ReopenSchema(), data)["reason"]
        return dump(schemas.SummarySchema(), self._supervision().reopen(tenant_id, year, reason))

    @rpc
    def summary_xlsx(self, tenant_id, year, version=None):
        """The summary as an .xlsx workbook (封面 with the totals, 工作室明细): ``{filename, content_b64}``."""
        self.caller.require_role(*SUMMARY_READERS)
        sup = self._supervision()
        doc = sup.summary(tenant_id, year)
        if version not in (None, ""):
            doc = {**doc, **sup.summary_version(tenant_id, year, version)}
        content = tpool.execute(summary_workbook, doc)       # CPU-bound: off the eventlet hub
        name = f"{doc['tenant_name'] or tenant_id}-{doc['year']}年度工作总结-第{doc['version']}版.xlsx"
        return dump(FileSchema(), workbook_file(content, name))

    def _tenants(self) -> list[dict]:
        """Every tenant the caller may see, from registry's directory."""
        return [{"tenant_id": t["id"], "name": t.get("name", "")}
                for t in _all_pages(self.services.registry.list_tenants)]

    def _status(self, year, status=None, tenant_id=None):
        self.caller.require_role(*SUMMARY_READERS)
        sup = self._supervision()
        year = parse_year(year)
        rows = sup.status_rows(year, self._tenants(), status, tenant_id)
        return sup, year, rows

    @rpc
    def summary_status(self, year, status=None, page=1, page_size=50, tenant_id=None):
        """The city's view: every tenant's status (on_time / late / missing / draft / not_started),
        the date and days late; a tenant gets its own row."""
        sup, year, rows = self._status(year, status, tenant_id)
        page, page_size = page_args(page, page_size)
        start = (page - 1) * page_size
        return dump(schemas.StatusPageSchema(), {
            "items": rows[start:start + page_size], "page": page, "page_size": page_size, "total": len(rows),
            "pages": max(1, -(-len(rows) // page_size)), "year": year,
            "due_on": sup.summary_due_on(year).isoformat(), "totals": totals(rows)})

    @rpc
    def summary_status_xlsx(self, year, status=None, tenant_id=None):
        _, year, rows = self._status(year, status, tenant_id)
        content = tpool.execute(status_workbook, rows, year)
        return dump(FileSchema(), workbook_file(content, f"{year}年度工作总结报送情况.xlsx"))

    @rpc
    def set_summary_due_date(self, year, data):
        """The city sets a year's summary due date (default 12-15)."""
        self.caller.require_role(*DUE_DATE_SETTERS)
        due = load(schemas.DueDateSchema(), data)["summary_due_on"]
        return dump(schemas.DueDateAnswerSchema(), self._supervision().set_summary_due_on(year, due))

    # -- notifications ------------------------------------------------------------------------------
    @rpc
    def list_notifications(self, page=1, page_size=50, unread_only=False):
        """The caller's notifications, unread first; ``unread`` counts them."""
        self.caller.get()
        unread_only = _flag(unread_only, "unread_only")
        return dump(schemas.NotificationPageSchema(), self._supervision().notifications_page(page, page_size, unread_only))

    @rpc
    def mark_notification_read(self, notification_id):
        self.caller.get()
        return dump(schemas.NotificationSchema(), self._supervision().mark_read(notification_id))

    # -- reminders (timer) --------------------------------------------------------------------------
    @reminder_timer
    def send_reminders(self):
        """Once a Beijing day per replica: the reminders due today, each sent once (unique key)."""
        today = self.clock.today()
        if not self.schedule.due(today):
            return None
        sent, complete = self.check_reminders()
        if complete:
            self.schedule.done(today)
        return sent

    def check_reminders(self) -> tuple[int, bool]:
        sup = self._supervision(self.store.as_system("reminders"))
        calls = self.services.as_system("daily reminders (R-12, R-11)")
        today, sent, complete = sup.today, 0, True

        def record(reminder):
            event = self.outbox.event(reminder.event_type, reminder.data, tenant_id=reminder.tenant_id)
            return sup.remember(reminder, event)

        try:
            tenants = [t["id"] for t in _all_pages(calls.registry.list_tenants)]
            for year in (today.year, today.year - 1):
                due = sup.summary_due_on(year)
                for r in rem.summary_reminders(today, year, due, tenants, sup.submitted_tenants(year)):
                    sent += record(r)
        except UNANSWERED as exc:
            complete = False
            log_event(log, "summary reminders skipped: registry did not answer", logging.WARNING, error=repr(exc))
        try:
            for r in rem.report_reminders(today, calls.reporting.report_digest(today.year)):
                sent += record(r)
        except UNANSWERED as exc:
            complete = False
            log_event(log, "report reminders skipped: reporting did not answer", logging.WARNING, error=repr(exc))
        sup.notify(notes.rectification_notice(ins, item, sup.now) for ins, item in sup.rectifications_due())
        if sent:
            log_event(log, "reminders recorded", count=sent, today=today.isoformat())
        return sent, complete

    # -- notifications from events -------------------------------------------------------------------
    @event_handler(*REPORT_RETURNED, requeue_on_error=True)
    def on_report_returned(self, payload):
        return self.inbox.apply(payload, self._notify)

    # a report waiting for review tells its tenant, an accepted one its unit, a submitted summary
    # the city: these events had no subscriber and waited in their outbox for ever
    @event_handler(*REPORT_SUBMITTED, requeue_on_error=True)
    def on_report_submitted(self, payload):
        return self.inbox.apply(payload, self._notify)

    @event_handler(*REPORT_ACCEPTED, requeue_on_error=True)
    def on_report_accepted(self, payload):
        return self.inbox.apply(payload, self._notify)

    @event_handler(*SUMMARY_SUBMITTED, requeue_on_error=True)
    def on_summary_submitted(self, payload):
        return self.inbox.apply(payload, self._notify)

    @event_handler(*SUMMARY_DUE_SOON, requeue_on_error=True)
    def on_summary_due_soon(self, payload):
        return self.inbox.apply(payload, self._notify)

    @event_handler(*SUMMARY_OVERDUE, requeue_on_error=True)
    def on_summary_overdue(self, payload):
        return self.inbox.apply(payload, self._notify)

    @event_handler(*REPORT_DUE_SOON, requeue_on_error=True)
    def on_report_due_soon(self, payload):
        return self.inbox.apply(payload, self._notify)

    @event_handler(*REPORT_OVERDUE, requeue_on_error=True)
    def on_report_overdue(self, payload):
        return self.inbox.apply(payload, self._notify)

    @event_handler(*ASSESSMENT_GRADED, requeue_on_error=True)
    def on_assessment_graded(self, payload):
        return self.inbox.apply(payload, self._notify)

    def _notify(self, event):
        system = self.store.as_system(event["type"])
        sup = self._supervision(system)
        studio_id = event["data"].get("studio_id")
        studio = StudioDirectory(system).find(str(studio_id)) if studio_id else None   # its name, not its id
        docs = notes.from_event(event["type"], event["data"], event["event_id"], sup.now, studio)
        if docs and not sup.notify(docs):
            raise AlreadyApplied()


def _flag(value, field: str) -> bool:
    """A boolean query value: true/false (1/0, yes/no); anything else is a 422 naming ``field``."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no", ""):
        return False
    raise ValidationFailed("not a boolean", errors={field: "true or false"})


def _all_pages(method) -> list[dict]:
    out, page = [], 1
    while page <= MAX_TENANT_PAGES:
        answer = method(page=page, page_size=500)
        out += answer["items"]
        if page >= answer.get("pages", 1):
            return out
        page += 1
    return out
