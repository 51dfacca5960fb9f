"""assessment's published schemas: what its RPCs take and answer. The gateway imports this module:
it imports only marshmallow, constants and ``shared`` (never ``domain``)."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.schemas import StrictSchema, StudioRowSchema, page_of  # noqa: F401  (StudioRowSchema: list_studios)

GRADES = ("excellent", "pass", "fail")
ROUND_STATES = ("open", "publishing", "published")
GROUPS = ("duties", "city_funds", "matching", "economic", "social")
MAX_BUDGET_FEN = 10 ** 13
MAX_REASON = 500
# why a filled-in indicator is unavailable (R-15; domain/inputs.py UNAVAILABLE has the Chinese reasons)
UNAVAILABLE_CODES = ("source_no_answer", "source_failed", "source_not_asked", "no_record", "figures_missing",
                     "nothing_to_measure", "no_city_funds", "no_report_due", "not_inspected")
UNAVAILABLE_REASON = "why the figure could not be had, in Chinese, for people (null when available)"
UNAVAILABLE_CODE = "the same as a stable code, for programs (null when available): " + ", ".join(UNAVAILABLE_CODES)


class _Out(Schema):
    """Output: the fields listed, in this shape (unknown keys are dropped)."""


# -- rubrics (R-15) -----------------------------------------------------------------------------
class RubricIndicatorRequestSchema(StrictSchema):
    code = fields.String(required=True, validate=validate.Length(1, 40))
    group = fields.String(required=True, validate=validate.OneOf(GROUPS))
    name = fields.String(required=True, validate=validate.Length(1, 100))
    weight = fields.Integer(required=True, strict=True, validate=validate.Range(1, 100))
    maximum = fields.Decimal(load_default=100, as_string=False, validate=validate.Range(0, 1000, min_inclusive=False))
    source = fields.String(load_default="expert", validate=validate.Length(1, 60))
    guidance = fields.String(load_default="", validate=validate.Length(0, 2000))


class RubricRequestSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    indicators = fields.List(fields.Nested(RubricIndicatorRequestSchema), required=True, validate=validate.Length(1, 40))
    pass_threshold = fields.Decimal(load_default=60, as_string=False, validate=validate.Range(0, 100))
    excellent_line = fields.Decimal(load_default=85, as_string=False, validate=validate.Range(0, 100))
    rectification_days = fields.Integer(load_default=180, strict=True, validate=validate.Range(1, 730))
    notes = fields.String(load_default="", validate=validate.Length(0, 2000))


class RubricIndicatorSchema(_Out):
    code = fields.String()
    group = fields.String()
    group_name = fields.String()
    name = fields.String()
    weight = fields.Integer()
    maximum = fields.Float()
    source = fields.String()
    guidance = fields.String()


class RubricSchema(_Out):
    version = fields.Integer()
    name = fields.String()
    indicators = fields.List(fields.Nested(RubricIndicatorSchema))
    pass_threshold = fields.Float()
    excellent_line = fields.Float()
    rectification_days = fields.Integer()
    notes = fields.String()


class RubricListSchema(_Out):
    items = fields.List(fields.Nested(RubricSchema))


class RubricCreatedSchema(_Out):
    rubric = fields.Nested(RubricSchema)
    created = fields.Boolean()


# -- rounds (R-14) ------------------------------------------------------------------------------
class DuePreviewRequestSchema(StrictSchema):
    year = fields.Integer(required=True, validate=validate.Range(2023, 2100))
    as_of = fields.Date(allow_none=True, load_default=None)


class RoundStudioChangeSchema(StrictSchema):
    studio_id = fields.String(required=True, validate=validate.Length(1, 64))
    reason = fields.String(required=True, validate=validate.Length(1, MAX_REASON))


class RoundRequestSchema(StrictSchema):
    year = fields.Integer(required=True, validate=validate.Range(2023, 2100))
    as_of = fields.Date(allow_none=True, load_default=None)
    bonus_budget_fen = fields.Integer(required=True, strict=True, validate=validate.Range(0, MAX_BUDGET_FEN))
    rubric_version = fields.Integer(allow_none=True, load_default=None, strict=True)
    add = fields.List(fields.Nested(RoundStudioChangeSchema), load_default=list)
    remove = fields.List(fields.Nested(RoundStudioChangeSchema), load_default=list)

    @validates_schema
    def _as_of_in_year(self, data, **kwargs):
        if data.get("as_of") and data["as_of"].year != data["year"]:
            raise ValidationError(f"a date in {data['year']}", field_name="as_of")


class RoundFilterSchema(StrictSchema):
    year = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(2000, 2100))
    state = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(ROUND_STATES))


class AssignmentsSchema(StrictSchema):
    assignments = fields.Dict(keys=fields.String(validate=validate.Length(1, 100)),
                              values=fields.List(fields.String(validate=validate.Length(1, 64)),
                                                 validate=validate.Length(0, 10000)),
                              required=True)


class RoundStudioSchema(_Out):
    studio_id = fields.String()
    name = fields.String(allow_none=True)
    tenant_id = fields.String()
    tenant_name = fields.String(allow_none=True)
    unit_id = fields.String()
    unit_name = fields.String(allow_none=True)
    designated_on = fields.String()
    reason = fields.String()
    reason_name = fields.String()
    since = fields.String(allow_none=True)
    due_on = fields.String(allow_none=True)
    overdue = fields.Boolean()
    detail = fields.String()
    added_reason = fields.String()
    removed_reason = fields.String()
    removed_by = fields.String()
    removed_at = fields.String()


class NotDueStudioSchema(_Out):
    studio_id = fields.String()
    name = fields.String(allow_none=True)
    tenant_id = fields.String()
    unit_id = fields.String()
    designated_on = fields.String()
    why_not = fields.String()


class DuePreviewSchema(_Out):
    year = fields.Integer()
    as_of = fields.String()
    due = fields.List(fields.Nested(RoundStudioSchema))
    not_due = fields.List(fields.Nested(NotDueStudioSchema))
    total = fields.Integer()


class GradingSummarySchema(_Out):
    assessed = fields.Integer()
    incomplete = fields.List(fields.String())
    cap_by_share = fields.Integer()
    cap_by_budget = fields.Integer()
    cap = fields.Integer()
    excellent_candidates = fields.Integer()
    excellent = fields.Integer()
    pass_ = fields.Integer(data_key="pass", attribute="pass")
    fail = fields.Integer()
    rule = fields.String()


class RoundSchema(_Out):
    id = fields.String()
    year = fields.Integer()
    as_of = fields.String()
    state = fields.String()
    rubric_version = fields.Integer()
    rubric = fields.Nested(RubricSchema)
    bonus_budget_fen = fields.Integer()
    studio_count = fields.Integer()
    studios = fields.List(fields.Nested(RoundStudioSchema))
    removed = fields.List(fields.Nested(RoundStudioSchema))
    assignments = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    history = fields.List(fields.Dict())
    summary = fields.Nested(GradingSummarySchema, allow_none=True)
    created_at = fields.String()
    created_by = fields.String()
    published_at = fields.String(allow_none=True)
    published_by = fields.String(allow_none=True)
    published_on = fields.String(allow_none=True)


RoundPageSchema = page_of(RoundSchema, "RoundPageSchema")


class RoundCreatedSchema(_Out):
    round = fields.Nested(RoundSchema)
    created = fields.Boolean()


# -- scores ------------------------------------------------------------------------------------
class ScoreEntrySchema(StrictSchema):
    scores = fields.Dict(keys=fields.String(validate=validate.Length(1, 40)), values=fields.Raw(), required=True,
                         validate=validate.Length(1, 40))


class ScoreEntryResultSchema(_Out):
    round_id = fields.String()
    studio_id = fields.String()
    expert = fields.String()
    values = fields.Dict(keys=fields.String(), values=fields.Integer())   # hundredths of a point
    entered_at = fields.String()


class FilledInIndicatorSchema(_Out):
    code = fields.String()
    source = fields.String()
    source_name = fields.String()
    score = fields.Float(allow_none=True)
    score_cp = fields.Integer(allow_none=True)
    figures = fields.Dict()
    available = fields.Boolean()
    unavailable_reason = fields.String(allow_none=True, metadata={"description": UNAVAILABLE_REASON})
    unavailable_code = fields.String(allow_none=True, metadata={"description": UNAVAILABLE_CODE})


class ScoreSheetSchema(_Out):
    studio_id = fields.String()
    name = fields.String(allow_none=True)
    tenant_id = fields.String()
    unit_id = fields.String()
    filled_in = fields.List(fields.Nested(FilledInIndicatorSchema))
    expert_indicators = fields.List(fields.String())
    entries = fields.Dict(keys=fields.String(), values=fields.Dict())


class ScoreSheetPageSchema(page_of(ScoreSheetSchema, "ScoreSheetPageBase")):
    scorer = fields.Boolean()


# -- grades and results (R-16 … R-18) --------------------------------------------------------------
class AssessmentConsequencesSchema(_Out):
    national_recommendation = fields.Boolean()
    bonus = fields.Boolean()
    rectification_due_on = fields.String(allow_none=True)
    revocation_requested = fields.Boolean()
    revocation_ground = fields.String(allow_none=True)


class IndicatorResultSchema(_Out):
    code = fields.String()
    score = fields.Float(allow_none=True)
    basis = fields.String()
    experts = fields.Integer()
    dropped = fields.Integer()
    source = fields.String()
    figures = fields.Dict()
    auto_score = fields.Float(allow_none=True)
    unavailable_reason = fields.String(allow_none=True, metadata={"description": UNAVAILABLE_REASON})
    unavailable_code = fields.String(allow_none=True, metadata={"description": UNAVAILABLE_CODE})


class StudioResultSchema(_Out):
    round_id = fields.String()
    year = fields.Integer()
    studio_id = fields.String()
    name = fields.String(allow_none=True)
    tenant_id = fields.String()
    tenant_name = fields.String(allow_none=True)
    unit_id = fields.String()
    unit_name = fields.String(allow_none=True)
    designated_on = fields.String()
    reason = fields.String(allow_none=True)
    score = fields.Float(allow_none=True)
    score_cp = fields.Integer(allow_none=True)
    grade = fields.String(allow_none=True)
    grade_name = fields.String()
    rank = fields.Integer(allow_none=True)
    excellent_candidate = fields.Boolean()
    why = fields.String()
    indicators = fields.Dict(keys=fields.String(), values=fields.Nested(IndicatorResultSchema))
    missing = fields.List(fields.String())
    left_out = fields.List(fields.String())
    consequences = fields.Nested(AssessmentConsequencesSchema, allow_none=True)
    published_on = fields.String()


class GradingSchema(_Out):
    round_id = fields.String()
    state = fields.String()
    summary = fields.Nested(GradingSummarySchema)
    items = fields.List(fields.Nested(StudioResultSchema))


ResultPageSchema = page_of(StudioResultSchema, "ResultPageSchema")


class ResultFilterSchema(StrictSchema):
    tenant_id = fields.String(allow_none=True, load_default=None, validate=validate.Length(1, 64))
    grade = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(GRADES))


class AssessmentRecordSchema(_Out):
    _id = fields.String(data_key="studio_id")
    tenant_id = fields.String()
    unit_id = fields.String()
    last_assessed_on = fields.String(allow_none=True)
    rectification_due_on = fields.String(allow_none=True)
    last_round_id = fields.String()
    last_grade = fields.String()
    national_recommendation = fields.Dict(allow_none=True)
    revocation_requested = fields.Dict(allow_none=True)
    rounds = fields.List(fields.String())


class InputSourceStatusSchema(_Out):
    """One source of the filled-in indicators after 重新取数: did it answer, and if not why."""
    available = fields.Boolean()
    code = fields.String(allow_none=True, metadata={"description": UNAVAILABLE_CODE})
    reason = fields.String(allow_none=True, metadata={"description": "why it gave nothing, in Chinese"})
    detail = fields.String(allow_none=True, metadata={"description": "the service's own error (for operators)"})


class InputsRefreshSchema(_Out):
    round_id = fields.String()
    sources = fields.Dict(keys=fields.String(), values=fields.Nested(InputSourceStatusSchema))
