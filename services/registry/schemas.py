"""The registry's published schemas (the gateway uses them for OpenAPI; the service to validate)."""
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from services.registry import contract
from services.registry.contract import (APPLICATION_STATES, CONDITIONS, TENANT_KINDS, validate_credit_code,
                                        validate_id_number)
from services.registry.contract import birth_month as id_birth_month
from services.registry.contract import gender as id_gender
from shared.passwords import MAX_LENGTH as MAX_PASSWORD
from shared.passwords import MIN_LENGTH as MIN_PASSWORD
from shared.passwords import NOT_ONLY_DIGITS, password_problem
from shared.passwords import POLICY as PASSWORD_POLICY
from shared.principal import ROLES
from shared.schemas import StrictSchema, page_of


class LoginSchema(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200), load_only=True)


class PrincipalSchema(StrictSchema):
    user = fields.String()
    role = fields.String(validate=validate.OneOf(ROLES))
    tenant_id = fields.String(allow_none=True)
    unit_id = fields.String(allow_none=True)


class MeSchema(PrincipalSchema):
    """Who you are (``GET /api/v1/me``): the principal and the names to show for it."""
    tenant_name = fields.String(allow_none=True, metadata={
        "description": "your tenant's name; null without a tenant (city roles) or when it cannot be read now"})
    unit_name = fields.String(allow_none=True, metadata={
        "description": "your unit's name (unit users); null without a unit or when it cannot be read now"})


class SignedInSchema(PrincipalSchema):
    """The principal and the user's display name, as a login answers it."""
    display_name = fields.String()


class AuthenticatedSchema(SignedInSchema):
    """What ``authenticate`` answers: also the user's token version (the gateway signs it in)."""
    token_version = fields.Integer()


class TokenStateSchema(StrictSchema):
    user = fields.String()
    version = fields.Integer(metadata={"description": "tokens of an older version are void"})
    disabled = fields.Boolean()


class PasswordChangeSchema(StrictSchema):
    current_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))
    new_password = fields.String(required=True, load_only=True,
                                 validate=[validate.Length(min=MIN_PASSWORD, max=MAX_PASSWORD,
                                                           error=PASSWORD_POLICY + " (length)"),
                                           validate.Regexp(NOT_ONLY_DIGITS, error=PASSWORD_POLICY + " (only digits)")],
                                 metadata={"description": PASSWORD_POLICY})


class UserDisabledSchema(StrictSchema):
    disabled = fields.Boolean(required=True, metadata={
        "description": "true: the user cannot log in and its tokens are void; false: it may log in again"})


class TokenSchema(StrictSchema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    principal = fields.Nested(SignedInSchema)


class TenantSchema(StrictSchema):
    id = fields.String(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True, validate=validate.OneOf(TENANT_KINDS),
                         metadata={"description": "district (区), development_zone (经开区) or group (市属局/企业集团)"})
    code = fields.String(allow_none=True, validate=validate.Length(max=20))
    authority = fields.String(validate=validate.Length(max=200),
                              metadata={"description": "the supervising authority's name (主管部门)"})
    created_at = fields.DateTime(dump_only=True, metadata={"description": "when it was added"})


class TenantCreateSchema(TenantSchema):
    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9-]{1,39}$",
                       error="lower-case letters, digits and '-', 2 to 40, starting with a letter"))


class UnitSchema(StrictSchema):
    id = fields.String(dump_only=True)
    tenant_id = fields.String(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    credit_code = fields.String(required=True, metadata={
        "description": "统一社会信用代码, 18 characters, GB 32100-2015 check digit"})
    kind = fields.String(dump_only=True, metadata={"description": "unit, or branch (分厂/分公司)"})
    parent_id = fields.String(allow_none=True, load_default=None,
                              metadata={"description": "for a branch: the unit it belongs to"})
    address = fields.String(load_default="", validate=validate.Length(max=300))
    contact = fields.String(load_default="", validate=validate.Length(max=100))
    phone = fields.String(load_default="", validate=validate.Length(max=40))
    created_at = fields.DateTime(dump_only=True)
    created_by = fields.String(dump_only=True, metadata={"description": "who registered it"})

    @validates("credit_code")
    def _credit_code(self, value, **kwargs):
        reason = validate_credit_code(value)
        if reason:
            raise ValidationError(f"not a valid unified social credit code: {reason}")


class UserSchema(StrictSchema):
    id = fields.String(dump_only=True, metadata={"description": "the user name"})
    username = fields.String(required=True, load_only=True,
                             validate=validate.Regexp(r"^[A-Za-z0-9._-]{3,64}$",
                                                      error="3 to 64 letters, digits, '.', '_' or '-'"))
    password = fields.String(required=True, load_only=True,
                             validate=[validate.Length(min=MIN_PASSWORD, max=MAX_PASSWORD, error=PASSWORD_POLICY + " (length)"),
                                       validate.Regexp(NOT_ONLY_DIGITS, error=PASSWORD_POLICY + " (only digits)")],
                             metadata={"description": PASSWORD_POLICY})
    display_name = fields.String(load_default="", validate=validate.Length(max=100))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    tenant_id = fields.String(allow_none=True, load_default=None)
    unit_id = fields.String(allow_none=True, load_default=None)
    # output: what a user record shows (its password hash is never named, so never dumped)
    created_at = fields.DateTime(dump_only=True, metadata={"description": "when it was added"})
    created_by = fields.String(dump_only=True, metadata={"description": "who added it"})

    @validates_schema
    def _password_policy(self, data, **kwargs):
        problem = password_problem(data.get("password") or "", data.get("username"))
        if problem and data.get("password"):
            raise ValidationError({"password": [problem]})


TenantPageSchema = page_of(TenantSchema)
UnitPageSchema = page_of(UnitSchema)
UserPageSchema = page_of(UserSchema)


# ======================================================================================
# Studio life cycle (issue #3): applications, city review, notice, designation, studios,
# change and revocation requests, the working-day calendar.
# ======================================================================================

class IsoDate(fields.Date):
    """An ISO date (YYYY-MM-DD); loads to its ISO string (how it is stored), dumps strings as they are."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).isoformat()

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None or isinstance(value, str):
            return value
        return value.isoformat()


def _enum(values, description: str):
    return {"description": f"{description}: " + ", ".join(f"{k} ({v})" for k, v in values.items())
            if isinstance(values, dict) else f"{description}: " + ", ".join(values)}


APPLICATION_KINDS = ("new_studio", "lead_change")  # for the gateway's filters
STUDIO_STATES = ("active", "revoked")
MATERIAL_KINDS = tuple(contract.MATERIAL_KINDS)  # for the gateway's documentation of the upload route
BIRTH_MONTH = validate.Regexp(r"^(19|20)\d\d-(0[1-9]|1[0-2])$", error="a month as YYYY-MM")


def Text(n: int, **kw) -> fields.String:  # noqa: N802 - reads like a field class
    return fields.String(validate=validate.Length(max=n), **kw)


def Required(n: int, **kw) -> fields.String:  # noqa: N802
    return fields.String(required=True, validate=validate.Length(min=1, max=n), **kw)


class MasterSchema(StrictSchema):
    """The master who leads the studio (领办人), as on 附件1."""
    name = Required(50, metadata={"description": "姓名"})
    gender = fields.String(required=True, validate=validate.OneOf(contract.GENDERS), metadata=_enum(contract.GENDERS, "性别"))
    birth_month = fields.String(required=True, validate=BIRTH_MONTH, metadata={"description": "出生年月 YYYY-MM"})
    original_retirement_age = fields.Integer(allow_none=True, load_default=None, validate=validate.OneOf([50, 55]),
                                             metadata={"description": "women only: the original statutory "
                                                                      "retirement age, 50 (女工人) or 55 (女干部)"})
    id_number = fields.String(required=True, metadata={
        "description": "公民身份号码, 18 characters; shown masked to everyone but the city"})
    occupation = Required(50, metadata={"description": "职业（工种）"})
    skill_level = fields.String(required=True, validate=validate.OneOf(contract.SKILL_LEVELS),
                                metadata=_enum(contract.SKILL_LEVELS, "职业资格/技能等级, low to high; R-1 needs 技师 or higher"))
    certificate_no = Required(60, metadata={"description": "证书编号"})
    certificate_date = IsoDate(required=True, metadata={"description": "发证日期"})
    honours = fields.List(fields.String(validate=validate.OneOf(contract.HONOURS)), load_default=list,
                          validate=validate.Length(max=len(contract.HONOURS)),
                          metadata=_enum(contract.HONOURS, "R-3 priority honours (codes)"))
    other_honours = fields.List(Text(200), load_default=list, validate=validate.Length(max=20),
                                metadata={"description": "other awards and titles (free text)"})
    front_line = fields.Boolean(required=True, metadata={"description": "长期在生产服务一线岗位工作 (R-1)"})
    front_line_years = fields.Integer(required=True, validate=validate.Range(min=0, max=60),
                                      metadata={"description": "years on the front line"})
    employment_status = fields.String(required=True, validate=validate.OneOf(contract.EMPLOYMENT_STATUSES),
                                      metadata=_enum(contract.EMPLOYMENT_STATUSES, "在职状态; R-1 needs employed"))
    post = Text(100, load_default="", metadata={"description": "岗位"})
    phone = Text(40, load_default="")

    @validates("id_number")
    def _id_number(self, value, **kwargs):
        reason = validate_id_number(value)
        if reason:
            raise ValidationError(f"not a valid identity card number: {reason}")

    @validates_schema(skip_on_field_errors=True)
    def _consistent(self, data, **kwargs):
        errors = {}
        if data["gender"] == "F" and data.get("original_retirement_age") is None:
            errors["original_retirement_age"] = "required for women: 50 or 55"
        if data["gender"] == "M" and data.get("original_retirement_age") not in (None, 60):
            errors["original_retirement_age"] = "only for women (50 or 55)"
        if id_birth_month(data["id_number"]) != data["birth_month"]:
            errors["birth_month"] = "does not match the birth date in the identity card number"
        if id_gender(data["id_number"]) != data["gender"]:
            errors["gender"] = "does not match the identity card number"
        if len(set(data.get("honours") or [])) != len(data.get("honours") or []):
            errors["honours"] = "each honour once"
        if errors:
            raise ValidationError(errors)


class TeamMemberSchema(StrictSchema):
    name = Required(50, metadata={"description": "姓名"})
    role = Required(100, metadata={"description": "在工作室中的岗位/分工"})
    skill_level = fields.String(required=True, validate=validate.OneOf(contract.TEAM_LEVELS),
                                metadata=_enum(contract.TEAM_LEVELS, "技能等级 or 专业技术职称"))
    formal_employee = fields.Boolean(required=True, metadata={"description": "正式员工 (R-4 counts these)"})
    occupation = Text(50, load_default="", metadata={"description": "职业（工种）或专业"})


class ConditionsSchema(StrictSchema):
    """The unit's conditions (R-4, 第五条（二）); each must hold."""
    talent_pipeline = fields.Boolean(required=True, metadata={"description": CONDITIONS["talent_pipeline"]})
    training_evaluation_incentive = fields.Boolean(required=True, metadata={
        "description": CONDITIONS["training_evaluation_incentive"]})
    stable_funding = fields.Boolean(required=True, metadata={"description": CONDITIONS["stable_funding"]})
    premises_and_equipment = fields.Boolean(required=True, metadata={
        "description": CONDITIONS["premises_and_equipment"]})
    rules_duties_targets = fields.Boolean(required=True, metadata={"description": CONDITIONS["rules_duties_targets"]})
    description = Text(4000, load_default="", metadata={"description": "说明"})


class ExistingStudioSchema(StrictSchema):
    """R-5: already a district- or group-level studio."""
    level = fields.String(required=True, validate=validate.OneOf(contract.EXISTING_LEVELS),
                          metadata=_enum(contract.EXISTING_LEVELS, "level"))
    name = Required(200)
    recognised_by = Text(200, load_default="", metadata={"description": "认定部门"})
    recognised_on = IsoDate(allow_none=True, load_default=None)


class ApplicationInSchema(StrictSchema):
    """The application form (附件1) a unit fills in; the unit is the caller's."""
    master = fields.Nested(MasterSchema, required=True)
    branch_id = fields.String(allow_none=True, load_default=None,
                              metadata={"description": "the branch (分厂/分公司) of the unit that hosts the studio"})
    studio_name = Text(200, allow_none=True, load_default=None,
                       metadata={"description": "工作室名称; default: <lead's name>技能大师工作室"})
    studio_address = Required(300, metadata={"description": "工作地址"})
    team = fields.List(fields.Nested(TeamMemberSchema), required=True, validate=validate.Length(max=100),
                       metadata={"description": "the team besides the lead (R-4: at least 3 formal employees)"})
    conditions = fields.Nested(ConditionsSchema, required=True)
    existing_studio = fields.Nested(ExistingStudioSchema, allow_none=True, load_default=None)


# -- actions ---------------------------------------------------------------------------
class RecommendSchema(StrictSchema):
    opinion = Required(4000, metadata={"description": "the tenant's vetting opinion (审核意见)"})
    signed_by = Required(100, metadata={"description": "who signed the opinion"})
    signed_on = IsoDate(required=True)
    opinion_material_id = fields.String(allow_none=True, load_default=None, metadata={
        "description": "an uploaded scan of the signed opinion (material kind tenant_opinion)"})


class ReasonsSchema(StrictSchema):
    reasons = Required(4000)


class ExpertScoreSchema(StrictSchema):
    expert = Required(100)
    score = fields.Float(required=True, validate=validate.Range(min=0, max=100))


MIN_EXPERTS = 3


class ReviewInSchema(StrictSchema):
    stage = fields.String(required=True, validate=validate.OneOf(contract.REVIEW_STAGES),
                          metadata=_enum(contract.REVIEW_STAGE_NAMES, "stage, in this order"))
    result = fields.String(required=True, validate=validate.OneOf(["pass", "fail"]))
    date = IsoDate(allow_none=True, load_default=None, metadata={"description": "default: today"})
    note = Text(4000, load_default="")
    scores = fields.List(fields.Nested(ExpertScoreSchema), load_default=list,
                         metadata={"description": f"expert stage: each expert's score (at least {MIN_EXPERTS})"})

    @validates_schema(skip_on_field_errors=True)
    def _scores(self, data, **kwargs):
        if data["stage"] == "expert" and len(data["scores"]) < MIN_EXPERTS:
            raise ValidationError({"scores": f"the expert review needs the scores of at least {MIN_EXPERTS} experts"})
        if data["stage"] != "expert" and data["scores"]:
            raise ValidationError({"scores": "scores belong to the expert stage only"})
        if len({s["expert"] for s in data["scores"]}) != len(data["scores"]):
            raise ValidationError({"scores": "each expert once"})


class NoticeInSchema(StrictSchema):
    start_on = IsoDate(allow_none=True, load_default=None,
                       metadata={"description": "first day of the public notice; default today, never in the past"})


class ObjectionInSchema(StrictSchema):
    summary = Required(4000)
    objector = Text(200, load_default="", metadata={"description": "who objected (may be anonymous)"})
    received_on = IsoDate(allow_none=True, load_default=None, metadata={"description": "default: today"})


class ResolveObjectionSchema(StrictSchema):
    outcome = fields.String(required=True, validate=validate.OneOf(["upheld", "dismissed"]),
                            metadata={"description": "upheld: the application is rejected; dismissed: the notice goes on"})
    note = Required(4000)


class NoteSchema(StrictSchema):
    note = Text(4000, load_default="")


# -- output ----------------------------------------------------------------------------
class HistoryEntrySchema(Schema):
    at = fields.DateTime()
    by = fields.String()
    role = fields.String()
    action = fields.String()
    from_state = fields.String(data_key="from", attribute="from", allow_none=True)
    to = fields.String()
    note = fields.String()


class MasterOutSchema(MasterSchema):
    honour_names = fields.List(fields.String(), dump_only=True)
    retirement_month = fields.String(dump_only=True, metadata={"description": "YYYY-MM, under the 2025 reform"})


class MaterialSchema(Schema):
    id = fields.String()
    application_id = fields.String()
    kind = fields.String(metadata=_enum(contract.MATERIAL_KINDS, "kind"))
    filename = fields.String()
    content_type = fields.String(metadata={"description": "the type its content was recognised as"})
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_by = fields.String()
    uploaded_at = fields.DateTime()


class MaterialFileSchema(MaterialSchema):
    """A material with its content (a download)."""
    content_b64 = fields.String()


class MaterialListSchema(Schema):
    items = fields.List(fields.Nested(MaterialSchema))


class RecommendationSchema(RecommendSchema):
    by = fields.String()
    at = fields.DateTime()


class ReasonsOutSchema(Schema):
    reasons = fields.String()
    by = fields.String()
    role = fields.String()
    at = fields.DateTime()
    at_state = fields.String()


class ReviewStageSchema(Schema):
    stage = fields.String()
    result = fields.String()
    date = IsoDate()
    note = fields.String()
    scores = fields.List(fields.Nested(ExpertScoreSchema))
    mean_score = fields.Float(allow_none=True)
    by = fields.String()
    at = fields.DateTime()


class ReviewsSchema(Schema):
    material = fields.Nested(ReviewStageSchema, allow_none=True)
    site_visit = fields.Nested(ReviewStageSchema, allow_none=True)
    expert = fields.Nested(ReviewStageSchema, allow_none=True)
    overall = fields.Nested(ReviewStageSchema, allow_none=True)


class NoticeSchema(Schema):
    start_on = IsoDate()
    end_on = IsoDate(metadata={"description": "the 5th statutory working day from start_on (start counted)"})
    working_days = fields.Integer()
    by = fields.String()
    at = fields.DateTime()


class ObjectionSchema(Schema):
    id = fields.String()
    summary = fields.String()
    objector = fields.String()
    received_on = IsoDate()
    status = fields.String(metadata={"description": "open, upheld or dismissed"})
    recorded_by = fields.String()
    recorded_at = fields.DateTime()
    resolution_note = fields.String(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)


class DesignationSchema(Schema):
    studio_id = fields.String()
    designated_on = IsoDate()
    year = fields.Integer()
    nameplate_no = fields.String(allow_none=True)
    by = fields.String()
    at = fields.DateTime()


class PrioritySchema(Schema):
    honours = fields.Boolean(metadata={"description": "R-3: holds a priority honour"})
    existing_studio = fields.Boolean(metadata={"description": "R-5: already a district/group-level studio"})


class ApplicationSchema(Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "new_studio, or lead_change (R-19) of studio_id"})
    studio_id = fields.String(allow_none=True)
    lead_change_reason = fields.String(allow_none=True)
    tenant_id = fields.String()
    unit_id = fields.String()
    unit_name = fields.String()
    branch_id = fields.String(allow_none=True)
    year = fields.Integer(metadata={"description": "the year of the call for applications"})
    status = fields.String(validate=validate.OneOf(APPLICATION_STATES))
    allowed_actions = fields.List(fields.String(), metadata={"description": "what you may do next"})
    master = fields.Nested(MasterOutSchema)
    studio_name = fields.String()
    studio_address = fields.String()
    team = fields.List(fields.Nested(TeamMemberSchema))
    conditions = fields.Nested(ConditionsSchema)
    existing_studio = fields.Nested(ExistingStudioSchema, allow_none=True)
    priority = fields.Nested(PrioritySchema)
    materials = fields.List(fields.Nested(MaterialSchema))
    submitted_on = IsoDate(allow_none=True, metadata={"description": "the application date (R-1/R-2 are judged on it)"})
    recommendation = fields.Nested(RecommendationSchema, allow_none=True)
    returns = fields.List(fields.Nested(ReasonsOutSchema))
    reviews = fields.Nested(ReviewsSchema)
    notice = fields.Nested(NoticeSchema, allow_none=True)
    objections = fields.List(fields.Nested(ObjectionSchema))
    designation = fields.Nested(DesignationSchema, allow_none=True)
    rejection = fields.Nested(ReasonsOutSchema, allow_none=True)
    history = fields.List(fields.Nested(HistoryEntrySchema))
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class RankedApplicationSchema(ApplicationSchema):
    rank = fields.Integer()
    expert_mean = fields.Float(allow_none=True)


class ShortlistSchema(Schema):
    year = fields.Integer()
    rule = fields.String(metadata={"description": "the documented ranking rule"})
    quota = fields.Integer(metadata={"description": "R-7: at most 10 designations per year"})
    designated = fields.Integer(metadata={"description": "designations so far this year"})
    items = fields.List(fields.Nested(RankedApplicationSchema))


ApplicationPageSchema = page_of(ApplicationSchema)


# -- studios ---------------------------------------------------------------------------
class EmploymentSchema(Schema):
    status = fields.String(metadata={"description": "employed, rehire or delayed_retirement"})
    until = IsoDate(allow_none=True)
    change_request_id = fields.String(allow_none=True)


class LeadSchema(Schema):
    name = fields.String()
    gender = fields.String()
    birth_month = fields.String()
    id_number = fields.String(metadata={"description": "masked to everyone but the city"})
    occupation = fields.String()
    skill_level = fields.String()
    since = IsoDate()
    until = IsoDate(allow_none=True)
    application_id = fields.String()
    reason = fields.String(allow_none=True, metadata={"description": "why the lead changed (history only)"})
    employment = fields.Nested(EmploymentSchema, allow_none=True)


class StudioChangeSchema(Schema):
    kind = fields.String()
    change_request_id = fields.String()
    effective_on = IsoDate()
    before = fields.Dict()
    after = fields.Dict()


class StudioSchema(Schema):
    id = fields.String()
    tenant_id = fields.String()
    unit_id = fields.String()
    unit_name = fields.String()
    branch_id = fields.String(allow_none=True)
    name = fields.String()
    occupation = fields.String()
    address = fields.String()
    lead = fields.Nested(LeadSchema)
    lead_history = fields.List(fields.Nested(LeadSchema))
    application_id = fields.String()
    designated_on = IsoDate()
    year = fields.Integer()
    nameplate_no = fields.String()
    measures_version = fields.String()
    status = fields.String(metadata={"description": "active or revoked"})
    revoked_on = IsoDate(allow_none=True)
    revocation_ground = fields.String(allow_none=True)
    changes = fields.List(fields.Nested(StudioChangeSchema))
    history = fields.List(fields.Nested(HistoryEntrySchema))
    created_at = fields.DateTime()


StudioPageSchema = page_of(StudioSchema)


class ChangeRequestInSchema(StrictSchema):
    """R-19. lead_change carries a full application form and follows the application path."""
    kind = fields.String(required=True, validate=validate.OneOf(contract.CHANGE_KINDS),
                         metadata=_enum(contract.CHANGE_KINDS, "kind"))
    reason = Required(4000, metadata={"description": "why (说明)"})
    lead_change_reason = fields.String(validate=validate.OneOf(contract.LEAD_CHANGE_REASONS),
                                       metadata=_enum(contract.LEAD_CHANGE_REASONS, "lead_change only"))
    application = fields.Nested(ApplicationInSchema, metadata={"description": "lead_change only: the new lead's form"})
    until = IsoDate(metadata={"description": "rehire / delayed_retirement only: until when"})
    new_unit_name = Text(200, metadata={"description": "unit_rename only"})
    new_unit_id = fields.String(allow_none=True, metadata={
        "description": "unit_rename only, optional: the registered unit the studio moves to (merger)"})
    new_address = Text(300, metadata={"description": "relocation only"})

    _FIELDS = {
        contract.LEAD_CHANGE: ({"lead_change_reason", "application"}, set()),
        "rehire": ({"until"}, set()),
        "delayed_retirement": ({"until"}, set()),
        "unit_rename": ({"new_unit_name"}, {"new_unit_id"}),
        "relocation": ({"new_address"}, set()),
    }

    @validates_schema(skip_on_field_errors=True)
    def _by_kind(self, data, **kwargs):
        required, optional = self._FIELDS[data["kind"]]
        errors = {}
        for name in required:
            if data.get(name) in (None, ""):
                errors[name] = f"required for {data['kind']}"
        specific = {"lead_change_reason", "application", "until", "new_unit_name", "new_unit_id", "new_address"}
        for name in specific - required - optional:
            if name in data:
                errors[name] = f"not for {data['kind']}"
        if errors:
            raise ValidationError(errors)


class RequestRecordSchema(Schema):
    """What every request on a studio shows: scope, what the caller may do next, its history."""
    tenant_id = fields.String()
    unit_id = fields.String()
    allowed_actions = fields.List(fields.String())
    history = fields.List(fields.Nested(HistoryEntrySchema))
    created_by = fields.String()
    created_at = fields.DateTime()


class ChangeRequestSchema(RequestRecordSchema):
    id = fields.String()
    studio_id = fields.String()
    kind = fields.String()
    status = fields.String(metadata={"description": "submitted, forwarded, approved, rejected; a lead change "
                                                    "shows its application's status"})
    reason = fields.String()
    lead_change_reason = fields.String(allow_none=True)
    application_id = fields.String(allow_none=True, metadata={"description": "lead_change: its application"})
    until = IsoDate(allow_none=True)
    new_unit_name = fields.String(allow_none=True)
    new_unit_id = fields.String(allow_none=True)
    new_address = fields.String(allow_none=True)


class ChangeRequestListSchema(Schema):
    items = fields.List(fields.Nested(ChangeRequestSchema))
    total = fields.Integer()


class RevocationInSchema(StrictSchema):
    ground = fields.String(required=True, validate=validate.OneOf(contract.REVOCATION_GROUNDS),
                           metadata=_enum(contract.REVOCATION_GROUNDS, "R-20 ground (第十八条)"))
    reason = Required(4000)


class RevocationDecisionSchema(StrictSchema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    note = Text(4000, load_default="")
    revoked_on = IsoDate(allow_none=True, load_default=None,
                         metadata={"description": "approve only; default today, never in the future"})


class RevocationRequestSchema(RequestRecordSchema):
    id = fields.String()
    studio_id = fields.String()
    ground = fields.String()
    ground_name = fields.String()
    reason = fields.String()
    status = fields.String(metadata={"description": "requested, approved or rejected"})
    revoked_on = IsoDate(allow_none=True)
    decision_note = fields.String(allow_none=True)


class RevocationRequestListSchema(Schema):
    items = fields.List(fields.Nested(RevocationRequestSchema))
    total = fields.Integer()


# -- calendar --------------------------------------------------------------------------
class CalendarYearInSchema(StrictSchema):
    """One year's statutory holidays and make-up workdays (国务院办公厅关于YYYY年部分节假日安排的通知)."""
    holidays = fields.List(IsoDate(), required=True, metadata={"description": "放假 days (incl. weekends in a holiday)"})
    workdays = fields.List(IsoDate(), required=True, metadata={"description": "调休上班: weekend days that are worked"})
    source = Text(300, load_default="", metadata={"description": "the State Council notice it was taken from"})


class CalendarYearSchema(Schema):
    year = fields.Integer()
    origin = fields.String(metadata={"description": "entered (by the city, takes precedence), package "
                                                    "(chinese_calendar) or unknown"})
    holidays = fields.List(IsoDate())
    workdays = fields.List(IsoDate())
    source = fields.String(allow_none=True)
    updated_by = fields.String(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)
