"""reporting's published schemas: what its RPCs take and answer. The gateway imports this module:
it imports only marshmallow, constants (``contract``) and ``shared`` (never ``domain``).

The input schemas check shapes and types; the rules (R-10, R-11: headings, targets, dates in
the year, signatories) are the domain's, which names the rule in each field error.
"""
from marshmallow import Schema, fields, validate

from services.reporting.contract import (DIGEST_STATES, KINDS, MAX_YEAR, MIN_YEAR, OUTPUTS, REPORT_KINDS,  # noqa: F401
                                         SKILL_LEVELS, STATES, TIMELINESS)
from shared.schemas import FileSchema, StrictSchema, StudioRowSchema, page_of  # noqa: F401  # noqa: F401  (list_studios, shared/studios.py)


# -- input -------------------------------------------------------------------------------
class ReportItemSchema(StrictSchema):
    heading = fields.String(allow_none=True, metadata={"description": "skill_rd | apprenticeship | exchange | "
                                                                      "social_benefit (optional: follows from output)"})
    output = fields.String(required=True, validate=validate.OneOf(OUTPUTS))
    title = fields.String(required=True)
    quantity = fields.Integer(load_default=1)
    date = fields.String(allow_none=True, metadata={"description": "YYYY-MM-DD, in the report's year"})
    person = fields.String(allow_none=True)
    skill_level = fields.String(allow_none=True, validate=validate.OneOf(SKILL_LEVELS),
                                metadata={"description": "a promotion names the level reached"})
    note = fields.String(allow_none=True)


class ReportContentSchema(StrictSchema):
    """An annual plan or annual results (R-10): the items under the four headings."""
    items = fields.List(fields.Nested(ReportItemSchema), required=True)
    economic_benefit_fen = fields.Integer(load_default=0, metadata={"description": "integer fen"})
    narrative = fields.String(load_default="")


class SupportSchema(StrictSchema):
    funding_fen = fields.Integer(required=True)
    premises_m2 = fields.Float(required=True)
    equipment = fields.String(required=True)
    working_time = fields.String(required=True)


class TaskSchema(StrictSchema):
    title = fields.String(required=True)
    output = fields.String(required=True, validate=validate.OneOf(OUTPUTS),
                           metadata={"description": "what the target counts"})
    target = fields.Integer(required=True)
    note = fields.String(allow_none=True)


class SignatoriesSchema(StrictSchema):
    unit = fields.String(required=True)
    lead = fields.String(required=True)


class AgreementContentSchema(StrictSchema):
    """The target responsibility agreement (目标任务责任书, R-11)."""
    support = fields.Nested(SupportSchema, required=True)
    duties = fields.List(fields.String(), required=True)
    tasks = fields.List(fields.Nested(TaskSchema), required=True)
    expected_outputs = fields.String(load_default="")
    signed_on = fields.String(required=True, metadata={"description": "YYYY-MM-DD"})
    signatories = fields.Nested(SignatoriesSchema, required=True)


class ReturnRequestSchema(StrictSchema):
    reasons = fields.List(fields.String(), required=True, validate=validate.Length(min=1))


class DueDatesSchema(StrictSchema):
    plan = fields.String(metadata={"description": "YYYY-MM-DD (default March 31)"})
    results = fields.String(metadata={"description": "YYYY-MM-DD (default December 1)"})


# -- output ------------------------------------------------------------------------------
class VersionSchema(Schema):
    version = fields.Integer()
    submitted_at = fields.String()
    submitted_by = fields.String()
    due_on = fields.String(allow_none=True)
    late_days = fields.Integer()
    outcome = fields.String(allow_none=True, metadata={"description": "accepted | returned | null (pending)"})
    reasons = fields.List(fields.String())


class VersionDetailSchema(VersionSchema):
    content = fields.Dict(metadata={"description": "the record as submitted in this version"})


class HistorySchema(Schema):
    at = fields.String()
    by = fields.String()
    action = fields.String(metadata={"description": "draft_saved | submitted | resubmitted | accepted | returned"})
    version = fields.Integer()
    reasons = fields.List(fields.String())


class TargetLineSchema(Schema):
    source = fields.String(metadata={"description": "agreement | plan"})
    ref = fields.String()
    title = fields.String()
    output = fields.String()
    output_name = fields.String()
    target = fields.Integer()
    actual = fields.Integer(allow_none=True)
    met = fields.Boolean(allow_none=True, metadata={"description": "null until results are submitted"})


class ReportSchema(Schema):
    """One record (an agreement, plan or results of a studio for a year) with its versions."""
    report_id = fields.String()
    studio_id = fields.String()
    tenant_id = fields.String()
    unit_id = fields.String()
    year = fields.Integer()
    kind = fields.String(validate=validate.OneOf(KINDS))
    state = fields.String(validate=validate.OneOf(STATES))
    version = fields.Integer(metadata={"description": "the latest submitted version (0: never submitted)"})
    due_on = fields.String(allow_none=True)
    timeliness = fields.String(allow_none=True, validate=validate.OneOf(TIMELINESS))
    submitted_at = fields.String(allow_none=True)
    draft = fields.Dict(allow_none=True, metadata={"description": "the editable draft"})
    content = fields.Dict(allow_none=True, metadata={"description": "the latest submitted version's content"})
    versions = fields.List(fields.Nested(VersionSchema))
    history = fields.List(fields.Nested(HistorySchema))
    targets = fields.List(fields.Nested(TargetLineSchema), metadata={"description": "results only: met / not met"})
    draft_targets = fields.List(fields.Nested(TargetLineSchema), allow_none=True, metadata={
        "description": "results only: the draft against the same targets, so the unit sees what it would "
                       "meet before it submits (null without a draft)"})


class SubmissionSchema(Schema):
    report = fields.Nested(ReportSchema)
    created = fields.Boolean(metadata={"description": "false: a replay of the same Idempotency-Key"})


class CellProblemSchema(Schema):
    sheet = fields.String()
    cell = fields.String(allow_none=True)
    message = fields.String()


class UploadResultSchema(Schema):
    """An uploaded workbook that passed: what it holds (dry run) or the stored draft."""
    dry_run = fields.Boolean()
    kind = fields.String(validate=validate.OneOf(KINDS))
    studio_id = fields.String()
    year = fields.Integer()
    rows = fields.Integer(metadata={"description": "detail rows (plan/results) or tasks (agreement) read"})
    content = fields.Dict()
    report = fields.Nested(ReportSchema, allow_none=True)


class DueDatesOutSchema(Schema):
    year = fields.Integer()
    plan = fields.String()
    results = fields.String()


class KindDigestSchema(Schema):
    state = fields.String(validate=validate.OneOf(DIGEST_STATES))
    version = fields.Integer()
    submitted_at = fields.String(allow_none=True)
    due_on = fields.String(allow_none=True)
    timeliness = fields.String(validate=validate.OneOf(TIMELINESS))


class AgreementDigestSchema(Schema):
    state = fields.String(validate=validate.OneOf(DIGEST_STATES))
    version = fields.Integer()
    signed_on = fields.String(allow_none=True)


OutputsSchema = Schema.from_dict({o: fields.Integer() for o in OUTPUTS}, name="OutputsSchema")


class DigestItemSchema(Schema):
    """``report_digest``: one studio's year (CONTRACTS.md)."""
    studio_id = fields.String()
    tenant_id = fields.String()
    unit_id = fields.String()
    studio_name = fields.String(allow_none=True)
    unit_name = fields.String(allow_none=True)
    year = fields.Integer()
    agreement = fields.Nested(AgreementDigestSchema, allow_none=True)
    plan = fields.Nested(KindDigestSchema, allow_none=True)
    results = fields.Nested(KindDigestSchema, allow_none=True)
    targets_total = fields.Integer()
    targets_met = fields.Integer()
    outputs = fields.Nested(OutputsSchema)
    economic_benefit_fen = fields.Integer()


DigestPageSchema = page_of(DigestItemSchema, "ReportDigestPageSchema")


class VersionListSchema(Schema):
    items = fields.List(fields.Nested(VersionSchema))
