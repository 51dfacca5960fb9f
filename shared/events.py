"""Event names, the envelope every event carries, and each type's data contract (one place).

Plain Python plus marshmallow: domain modules may import it.

Each event is published on nameko's ``{source}.events`` topic exchange with the routing key
``type`` so that a plain ``@event_handler(source, type)`` receives it; its payload is the
envelope below. ``event_id`` is unique; consumers use it to apply an event once.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from marshmallow import INCLUDE, Schema, fields, validate

from shared.errors import ValidationFailed, flatten_errors

# (source service, event type)
STUDIO_DESIGNATED = ("registry", "studio.designated")      # 认定 → ledger opens the account, books the grant
STUDIO_REVOKED = ("registry", "studio.revoked")            # 撤销 → ledger claws back the cycle's city funds
STUDIO_CHANGED = ("registry", "studio.changed")            # lead / unit / address changed
REPORT_SUBMITTED = ("reporting", "report.submitted")
REPORT_RETURNED = ("reporting", "report.returned")
REPORT_ACCEPTED = ("reporting", "report.accepted")
SUMMARY_SUBMITTED = ("supervision", "summary.submitted")
ASSESSMENT_GRADED = ("assessment", "assessment.graded")    # excellent → 200,000 CNY bonus
ASSESSMENT_REVOCATION_REQUESTED = ("assessment", "assessment.revocation_requested")  # R-18 → registry

CLOCK_MOVED = ("clock", "clock.moved")                       # DEMO_MODE: the clock moved (shared/clock.py)

ALL_EVENTS = (STUDIO_DESIGNATED, STUDIO_REVOKED, STUDIO_CHANGED, REPORT_SUBMITTED,
              SUMMARY_SUBMITTED, ASSESSMENT_GRADED, ASSESSMENT_REVOCATION_REQUESTED)


# -- contracts: what each event's ``data`` carries ----------------------------------------
# Add fields, never remove or rename. ``required`` marks what consumers may rely on; the other
# listed fields are checked for their type when present. Unknown fields pass (a newer producer may send more);
# the listed ones are checked when the event is recorded in an outbox (shared/outbox.py)
# and when a handler receives it through the inbox (shared/inbox.py).
class _Data(Schema):
    class Meta:
        unknown = INCLUDE


class StudioDesignatedData(_Data):
    # required: what every consumer may rely on; the rest the registry always sends, typed
    studio_id = fields.String(required=True)
    tenant_id = fields.String(required=True)
    unit_id = fields.String(required=True)
    name = fields.String(required=True)
    nameplate_no = fields.String(required=True)
    tenant_name = fields.String()
    unit_name = fields.String()
    application_id = fields.String()
    lead_name = fields.String()
    lead = fields.Dict()
    occupation = fields.String()
    designated_on = fields.Date()                         # Asia/Shanghai
    year = fields.Integer()
    measures_version = fields.String()
    branch_id = fields.String(allow_none=True)
    address = fields.String(allow_none=True)


class StudioChangedData(_Data):
    studio_id = fields.String(required=True)
    tenant_id = fields.String(required=True)
    unit_id = fields.String(required=True)
    change_request_id = fields.String(required=True)
    kind = fields.String(required=True)      # lead_change | rehire | delayed_retirement | unit_rename | relocation
    effective_on = fields.Date(required=True)
    before = fields.Dict(required=True)
    after = fields.Dict(required=True)       # e.g. {"lead_name"}, {"unit_id", "unit_name"}, {"address"}


class StudioRevokedData(_Data):
    studio_id = fields.String(required=True)
    tenant_id = fields.String(required=True)
    unit_id = fields.String(required=True)
    revocation_id = fields.String(required=True)
    ground = fields.String(required=True)    # R-20 ground code
    revoked_on = fields.Date(required=True)


class AssessmentGradedData(_Data):
    round_id = fields.String(required=True)
    studio_id = fields.String(required=True)
    tenant_id = fields.String(required=True)
    unit_id = fields.String(required=True)
    grade = fields.String(required=True, validate=validate.OneOf(("excellent", "pass", "fail")))
    graded_on = fields.Date(required=True)
    published_on = fields.Date(required=True)
    year = fields.Integer()
    score = fields.Float()                   # the combined score (0-100)
    published_at = fields.AwareDateTime()
    rubric_version = fields.Integer()
    national_recommendation = fields.Boolean()


class AssessmentRevocationRequestedData(_Data):
    """A failed re-assessment (R-18): registry records a revocation request on this ground (R-20)."""
    round_id = fields.String(required=True)
    studio_id = fields.String(required=True)
    tenant_id = fields.String(required=True)
    unit_id = fields.String(required=True)
    ground = fields.String(required=True)    # failed_after_rectification
    reason = fields.String(required=True)
    requested_on = fields.Date(required=True)
    score = fields.Float()


class _ReportData(_Data):
    report_id = fields.String(required=True)
    studio_id = fields.String(required=True)
    tenant_id = fields.String(required=True)
    unit_id = fields.String(required=True)
    year = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("agreement", "plan", "results")))
    version = fields.Integer(required=True)


class ReportSubmittedData(_ReportData):
    submitted_at = fields.String(required=True)
    due_on = fields.Date(required=True, allow_none=True)   # none for an agreement
    late_days = fields.Integer(required=True)


class ReportReturnedData(_ReportData):
    reasons = fields.List(fields.String(), required=True)
    returned_at = fields.String(required=True)


class ReportAcceptedData(_ReportData):
    accepted_at = fields.String(required=True)


class ClockMovedData(Schema):
    offset_seconds = fields.Float(required=True)
    moved_at = fields.AwareDateTime(required=True)
    moved_by = fields.String(required=True)
    reason = fields.String(load_default="")


# event type -> its data schema. A new service adds its own events with one line here.
CONTRACTS: dict[str, type[Schema]] = {
    STUDIO_DESIGNATED[1]: StudioDesignatedData,
    STUDIO_CHANGED[1]: StudioChangedData,
    STUDIO_REVOKED[1]: StudioRevokedData,
    ASSESSMENT_GRADED[1]: AssessmentGradedData,
    ASSESSMENT_REVOCATION_REQUESTED[1]: AssessmentRevocationRequestedData,
    REPORT_SUBMITTED[1]: ReportSubmittedData,
    REPORT_RETURNED[1]: ReportReturnedData,
    REPORT_ACCEPTED[1]: ReportAcceptedData,
}


# -- supervision (issue 16): the events it publishes (agreed with reporting and assessment) --
SUMMARY_DUE_SOON = ("supervision", "summary.due_soon")     # 7 and 1 days before the due date, once each
SUMMARY_OVERDUE = ("supervision", "summary.overdue")       # the day after, once
REPORT_DUE_SOON = ("supervision", "report.due_soon")       # a unit's plan/results, once each
REPORT_OVERDUE = ("supervision", "report.overdue")


class SummarySubmittedData(_Data):
    summary_id = fields.String(required=True)
    tenant_id = fields.String(required=True)
    tenant_name = fields.String()
    year = fields.Integer(required=True)
    version = fields.Integer(required=True)
    submitted_at = fields.AwareDateTime(required=True)
    due_on = fields.Date(required=True)                 # Asia/Shanghai
    late_days = fields.Integer(required=True)           # 0 when on time


class SummaryDueSoonData(_Data):
    tenant_id = fields.String(required=True)
    year = fields.Integer(required=True)
    due_on = fields.Date(required=True)
    days_left = fields.Integer(required=True)


class SummaryOverdueData(_Data):
    tenant_id = fields.String(required=True)
    year = fields.Integer(required=True)
    due_on = fields.Date(required=True)


class ReportReminderData(_Data):
    studio_id = fields.String(required=True)
    tenant_id = fields.String(required=True)
    unit_id = fields.String(required=True)
    year = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("plan", "results")))
    due_on = fields.Date(required=True)
    days_left = fields.Integer()                        # report.due_soon only


CONTRACTS.update({
    SUMMARY_SUBMITTED[1]: SummarySubmittedData,
    SUMMARY_DUE_SOON[1]: SummaryDueSoonData,
    SUMMARY_OVERDUE[1]: SummaryOverdueData,
    REPORT_DUE_SOON[1]: ReportReminderData,
    REPORT_OVERDUE[1]: ReportReminderData,
})


class EventContractBroken(ValidationFailed):
    title = "Event does not match its contract"


def designation_of(studio_id: str) -> str:
    """What an event about a studio waits for (``shared.inbox.Waits``) until its designation is
    applied by the same subscriber; the designation's handler wakes it with the same key."""
    return f"{STUDIO_DESIGNATED[1]}:{studio_id}"


def designation_in(envelope) -> str:
    """``designation_of`` the studio an envelope is about (what its designation's handler wakes);
    a malformed envelope gives a key nothing waits for (the inbox refuses it anyway)."""
    data = envelope.get("data") if isinstance(envelope, dict) else None
    return designation_of(str(data.get("studio_id")) if isinstance(data, dict) else "")


def check_event(envelope: dict) -> dict:
    """Check an envelope and its ``data`` against the contract of its type; returns the envelope.

    Raises ``EventContractBroken`` (field paths under ``data.``). A type with no contract is refused:
    every event type is declared in ``CONTRACTS``."""
    if not isinstance(envelope, dict):
        raise EventContractBroken("an event is a JSON object", errors={"_schema": "not an object"})
    missing = [k for k in ("event_id", "source", "type", "data") if k not in envelope]
    if missing:
        raise EventContractBroken("not an event envelope", errors={k: "missing" for k in missing})
    schema = CONTRACTS.get(envelope["type"])
    if schema is None:
        raise EventContractBroken(f"event type {envelope['type']!r} has no contract in shared/events.py",
                                  errors={"type": "no contract"})
    data = envelope["data"]
    problems = schema().validate(data) if isinstance(data, dict) else {"_schema": ["not an object"]}
    if problems:
        raise EventContractBroken(f"{envelope['type']} does not match its contract",
                                  errors={f"data.{k}": v for k, v in flatten_errors(problems).items()})
    return envelope


def new_event(source: str, type_: str, data: dict, *, tenant_id: str | None,
              request_id: str | None = None, now: datetime | None = None) -> dict:
    """An envelope, ready to be stored in an outbox and later published."""
    return {
        "event_id": uuid.uuid4().hex,
        "source": source,
        "type": type_,
        "tenant_id": tenant_id,
        "occurred_at": (now or datetime.now(timezone.utc)).isoformat(),
        "request_id": request_id,
        "data": data,
    }
