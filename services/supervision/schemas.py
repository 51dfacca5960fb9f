"""supervision's published schemas: what its RPCs take and answer. The gateway imports this module:
it imports only marshmallow, ``contract`` and ``shared`` (never ``domain``)."""
from marshmallow import Schema, fields, validate

from services.supervision.contract import (CHECK_AREAS, NARRATIVE_SECTIONS, RATINGS, REPORT_KINDS,
                                            SUMMARY_STATES, SUMMARY_STATUSES)
from shared.schemas import PageSchema, StrictSchema, StudioRowSchema, page_of  # noqa: F401  (list_studios)

Text = validate.Length(max=20_000)


# -- inspections -----------------------------------------------------------------------------
class RectificationRequestSchema(StrictSchema):
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    due_on = fields.Date(required=True, metadata={"description": "ISO date; on or after the inspection"})


class InspectionRequestSchema(StrictSchema):
    studio_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    inspected_on = fields.Date(required=True, metadata={"description": "ISO date (Beijing), not in the future"})
    inspectors = fields.List(fields.String(validate=validate.Length(min=1, max=100)), required=True,
                             validate=validate.Length(min=1, max=20))
    checked = fields.List(fields.String(validate=validate.OneOf(CHECK_AREAS)), required=True,
                          validate=validate.Length(min=1), metadata={"description": ", ".join(CHECK_AREAS)})
    findings = fields.String(load_default="", validate=Text)
    rating = fields.String(required=True, validate=validate.OneOf(RATINGS),
                           metadata={"description": "good (好) | fair (一般) | poor (差: needs a rectification item)"})
    rectifications = fields.List(fields.Nested(RectificationRequestSchema), load_default=list,
                                 validate=validate.Length(max=50))


class EvidenceSchema(StrictSchema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=5000),
                         metadata={"description": "what was done (整改情况)"})
    references = fields.List(fields.String(validate=validate.Length(max=500)), load_default=list,
                             validate=validate.Length(max=20),
                             metadata={"description": "where the evidence is (file names, document numbers)"})


class RectificationSchema(Schema):
    item_id = fields.String()
    description = fields.String()
    due_on = fields.String()
    state = fields.String(metadata={"description": "open | closed"})
    closed_on = fields.String(allow_none=True)
    closed_late = fields.Boolean(allow_none=True)
    closed_by = fields.String(allow_none=True)
    evidence = fields.Nested(EvidenceSchema, allow_none=True)


class InspectionSchema(Schema):
    inspection_id = fields.String()
    tenant_id = fields.String()
    unit_id = fields.String(allow_none=True)
    unit_name = fields.String(allow_none=True)
    studio_id = fields.String()
    studio_name = fields.String(allow_none=True)
    year = fields.Integer()
    inspected_on = fields.String()
    inspectors = fields.List(fields.String())
    checked = fields.List(fields.String())
    findings = fields.String()
    rating = fields.String()
    rectifications = fields.List(fields.Nested(RectificationSchema))
    recorded_by = fields.String()
    recorded_at = fields.DateTime()


InspectionPageSchema = page_of(InspectionSchema, "InspectionPageSchema")


class InspectionDigestRowSchema(Schema):
    """One studio's inspection of a year; rating good | fair | poor | null."""
    studio_id = fields.String()
    tenant_id = fields.String()
    year = fields.Integer()
    inspected = fields.Boolean()
    inspected_on = fields.String(allow_none=True)
    rating = fields.String(allow_none=True)
    open_rectifications = fields.Integer()


# -- summaries ---------------------------------------------------------------------------------
class NarrativeSchema(StrictSchema):
    """The tenant's text, by section (总体情况, 工作亮点, 存在问题, 下一步计划); omitted sections stay."""
    overview = fields.String(validate=Text)
    highlights = fields.String(validate=Text)
    problems = fields.String(validate=Text)
    plans = fields.String(validate=Text)


class ReopenSchema(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class DueDateSchema(StrictSchema):
    summary_due_on = fields.Date(required=True, metadata={"description": "the year's due date (default 12-15)"})


class DueDateAnswerSchema(Schema):
    year = fields.Integer()
    summary_due_on = fields.String()


class SummaryHistorySchema(Schema):
    at = fields.DateTime()
    by = fields.String()
    action = fields.String(metadata={"description": "built | rebuilt | edited | submitted | reopened"})
    version = fields.Integer()
    reason = fields.String()
    late_days = fields.Integer()


class SummarySubmissionSchema(Schema):
    submitted_at = fields.DateTime()
    late_days = fields.Integer()
    timeliness = fields.String()


class SummaryVersionSchema(Schema):
    """A submitted version as it was submitted (readable after a reopen)."""
    summary_id = fields.String()
    tenant_id = fields.String()
    tenant_name = fields.String()
    year = fields.Integer()
    state = fields.String()
    version = fields.Integer()
    submitted_at = fields.DateTime()
    submitted_by = fields.String()
    due_on = fields.String()
    late_days = fields.Integer()
    timeliness = fields.String()
    narrative = fields.Dict(keys=fields.String(), values=fields.String())
    figures = fields.Dict()
    studios = fields.List(fields.Dict())
    built_at = fields.DateTime()


class SummarySchema(Schema):
    summary_id = fields.String()
    tenant_id = fields.String()
    tenant_name = fields.String()
    year = fields.Integer()
    state = fields.String(validate=validate.OneOf(SUMMARY_STATES))
    version = fields.Integer()
    revision = fields.Integer()
    due_on = fields.String()
    narrative = fields.Dict(keys=fields.String(validate=validate.OneOf(NARRATIVE_SECTIONS)), values=fields.String())
    figures = fields.Dict(metadata={"description": "studios, reports (by kind: " + ", ".join(REPORT_KINDS)
                                                   + "), inspections, funds (fen; matching ratio), outputs; a "
                                                     "source that did not answer is {available: false, reason}"})
    studios = fields.List(fields.Dict(), metadata={"description": "one row a studio"})
    sources = fields.Dict(keys=fields.String(), values=fields.String())
    built_at = fields.DateTime()
    submitted_at = fields.DateTime(allow_none=True)
    submitted_by = fields.String(allow_none=True)
    late_days = fields.Integer(allow_none=True)
    timeliness = fields.String(allow_none=True)
    first_submission = fields.Nested(SummarySubmissionSchema, allow_none=True)
    versions = fields.Method("_versions", metadata={"description": "the submitted versions: number, date, lateness"})
    history = fields.List(fields.Nested(SummaryHistorySchema))

    def _versions(self, obj):
        return [{"version": v["version"], "submitted_at": v["submitted_at"].isoformat()
                 if hasattr(v["submitted_at"], "isoformat") else v["submitted_at"],
                 "late_days": v["late_days"], "timeliness": v["timeliness"]} for v in obj.get("versions") or []]


class StatusRowSchema(Schema):
    tenant_id = fields.String()
    tenant_name = fields.String()
    year = fields.Integer()
    due_on = fields.String()
    status = fields.String(validate=validate.OneOf(SUMMARY_STATUSES),
                           metadata={"description": "on_time | late | missing (past due, not submitted) | "
                                                    "draft | not_started"})
    submitted_on = fields.String(allow_none=True, metadata={"description": "first submission (Beijing date)"})
    days_late = fields.Integer(metadata={"description": "late: days after the due date; missing: days so far"})
    state = fields.String(allow_none=True)
    version = fields.Integer(allow_none=True)
    reopened = fields.Boolean()
    summary_id = fields.String(allow_none=True)


class StatusPageSchema(PageSchema):
    items = fields.List(fields.Nested(StatusRowSchema))
    year = fields.Integer()
    due_on = fields.String()
    totals = fields.Dict(keys=fields.String(), values=fields.Integer())


# -- notifications -------------------------------------------------------------------------------
class NotificationSchema(Schema):
    notification_id = fields.String()
    topic = fields.String(metadata={"description": "report.returned | summary.due_soon | summary.overdue | "
                                                   "report.due_soon | report.overdue | rectification.due | "
                                                   "assessment.graded"})
    title = fields.String()
    body = fields.String()
    subject = fields.Dict()
    created_at = fields.DateTime()
    read = fields.Boolean()


class NotificationPageSchema(PageSchema):
    items = fields.List(fields.Nested(NotificationSchema))
    unread = fields.Integer()
