"""The ledger's published schemas: what a unit may send to book (validated here, before any
rule), and the shapes of the answers (for the gateway's OpenAPI document).

Money is integer fen (分) everywhere; ``amount_display`` strings are for people (元, two decimals).
"""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.ledger.contract import CATEGORIES, CATEGORY_LABELS, FUNDINGS, KINDS, MAX_AMOUNT_FEN
from shared.schemas import StrictSchema, page_of

ENTRY_KINDS = tuple(KINDS)  # for the gateway's filter
USER_KINDS = ("matching", "expenditure", "reversal", "repayment")   # what a unit books; the rest come from events


class Fen(fields.Integer):
    """An amount in fen: a JSON integer, never a float, a string or a boolean."""

    default_error_messages = {"invalid": "must be a whole number of fen (an integer, not a string or decimal)"}

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(min=1, max=MAX_AMOUNT_FEN,
                                                     error="must be from {min} to {max} fen"))
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBool(fields.Boolean):
    truthy, falsy = {True}, {False}


class FixedAssetSchema(StrictSchema):
    """R-22 fixed-asset registration (登记造册)."""
    asset_tag = fields.String(required=True, validate=validate.Length(min=1, max=64),
                              metadata={"description": "the unit's asset number (资产编号), unique on the studio's register"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1_000_000))
    location = fields.String(required=True, validate=validate.Length(min=1, max=200))


class EntryRequestSchema(StrictSchema):
    """A unit's booking: matching funds put in (R-23), spending (R-22), or a correction (R-24)."""
    kind = fields.String(required=True, validate=validate.OneOf(USER_KINDS),
                         metadata={"description": "matching (配套资金入账), expenditure (支出), reversal (冲正) or "
                                                  "repayment (撤销后单位补缴应退资金, R-20)"})
    amount_fen = Fen(metadata={"description": "integer fen > 0; matching, expenditure and repayment"})
    category = fields.String(validate=validate.OneOf(CATEGORIES), metadata={
        "description": "expenditure: " + ", ".join(f"{c} ({CATEGORY_LABELS[c]})" for c in CATEGORIES)})
    funding = fields.String(validate=validate.OneOf(FUNDINGS), metadata={
        "description": "expenditure: city (市级资金) or matching (配套资金)"})
    fixed_asset = fields.Nested(FixedAssetSchema, allow_none=True, metadata={
        "description": "required when an item costs at least the fixed-asset threshold (R-22)"})
    special_equipment = StrictBool(metadata={"description": "expenditure: the special-equipment threshold applies"})
    unit_price_fen = Fen(allow_none=True, metadata={
        "description": "expenditure: price of the dearest single item (default: amount, or amount ÷ quantity)"})
    reverses = fields.String(validate=validate.Length(min=1, max=64),
                             metadata={"description": "reversal: the entry_id it corrects"})
    memo = fields.String(load_default="", validate=validate.Length(max=500),
                         metadata={"description": "note; for a reversal the reason (required)"})

    _ALLOWED = {
        "matching": {"kind", "amount_fen", "memo"},
        "expenditure": {"kind", "amount_fen", "category", "funding", "fixed_asset", "special_equipment",
                        "unit_price_fen", "memo"},
        "reversal": {"kind", "reverses", "memo"},
        "repayment": {"kind", "amount_fen", "memo"},
    }
    _REQUIRED = {"matching": ("amount_fen",), "expenditure": ("amount_fen", "category", "funding"),
                 "reversal": ("reverses",), "repayment": ("amount_fen",)}

    @validates_schema
    def _per_kind(self, data, **kwargs):
        kind = data.get("kind")
        if kind not in self._ALLOWED:
            return
        errors = {}
        for name in self._REQUIRED[kind]:
            if data.get(name) is None:
                errors[name] = f"required for a {kind} entry"
        for name in set(data) - self._ALLOWED[kind]:
            if name != "memo":
                errors[name] = f"not used by a {kind} entry"
        if kind == "reversal" and not (data.get("memo") or "").strip():
            errors["memo"] = "a reversal needs its reason"
        if errors:
            raise ValidationError(errors)


# -- answers (OpenAPI) -------------------------------------------------------------------
class LedgerPostingSchema(Schema):
    account = fields.String(metadata={"description": "e.g. cash:city, expense:training:matching"})
    amount_fen = fields.Integer(metadata={"description": "debit positive, credit negative"})


class LedgerEntrySchema(Schema):
    entry_id = fields.String()
    seq = fields.Integer()
    studio_id = fields.String()
    tenant_id = fields.String()
    unit_id = fields.String()
    kind = fields.String(validate=validate.OneOf(KINDS))
    source = fields.String(allow_none=True, metadata={"description": "city_grant, city_bonus or matching"})
    funding = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    amount_fen = fields.Integer()
    amount_display = fields.String(metadata={"description": "元, e.g. 300,000.00"})
    booked_at = fields.String(metadata={"description": "ISO 8601, Beijing time"})
    cycle = fields.Integer(metadata={"description": "funding cycle (R-25)"})
    caused_by = fields.Dict(metadata={"description": "{user} or {event_id, event_type}"})
    reverses = fields.String(allow_none=True)
    reversed_by = fields.String(allow_none=True)
    fixed_asset = fields.Nested(FixedAssetSchema, allow_none=True)
    unit_price_fen = fields.Integer(allow_none=True)
    special_equipment = fields.Boolean()
    memo = fields.String()
    postings = fields.List(fields.Nested(LedgerPostingSchema))


LedgerEntryPageSchema = page_of(LedgerEntrySchema, "LedgerEntryPageSchema")


class LedgerCycleSchema(Schema):
    number = fields.Integer()
    opened_by = fields.String()
    kind = fields.String()
    source = fields.String()
    city_funds_fen = fields.Integer()
    started_at = fields.String()


class LedgerFixedAssetRowSchema(Schema):
    entry_id = fields.String()
    seq = fields.Integer()
    asset_tag = fields.String()
    name = fields.String()
    quantity = fields.Integer()
    location = fields.String()
    amount_fen = fields.Integer()
    unit_price_fen = fields.Integer()
    category = fields.String()
    funding = fields.String()
    special_equipment = fields.Boolean()
    booked_at = fields.String()
    cycle = fields.Integer()


def _money(*names):
    return {n: fields.Integer() for n in names}


LedgerReceivedSchema = Schema.from_dict(_money("city_grant_fen", "city_bonus_fen", "matching_fen", "city_fen",
                                               "total_fen"), name="LedgerReceivedSchema")
LedgerSpentSchema = Schema.from_dict({
    "by_category": fields.Dict(keys=fields.String(validate=validate.OneOf(CATEGORIES)), values=fields.Integer()),
    "by_funding": fields.Dict(keys=fields.String(validate=validate.OneOf(FUNDINGS)), values=fields.Integer()),
    "total_fen": fields.Integer()}, name="LedgerSpentSchema")
LedgerClawbackSchema = Schema.from_dict(_money("total_fen", "returned_fen", "owed_fen"), name="LedgerClawbackSchema")
LedgerCashSchema = Schema.from_dict(_money("city_fen", "matching_fen", "total_fen"), name="LedgerCashSchema")


class LedgerAccountSchema(Schema):
    """A studio's dedicated account (专门账目), derived from its entries (R-24)."""
    id = fields.String(metadata={"description": "the studio id"})
    studio_id = fields.String()
    studio_name = fields.String()
    tenant_id = fields.String()
    unit_id = fields.String()
    unit_name = fields.String()
    seq = fields.Integer(metadata={"description": "number of entries"})
    open = fields.Boolean()
    revoked = fields.Boolean(metadata={"description": "R-20: clawed back, takes no more movements"})
    clawback_entry_id = fields.String(allow_none=True)
    cycle = fields.Integer()
    cycle_started_at = fields.String(allow_none=True)
    cycles = fields.List(fields.Nested(LedgerCycleSchema))
    received = fields.Nested(LedgerReceivedSchema)
    spent = fields.Nested(LedgerSpentSchema)
    clawed_back = fields.Nested(LedgerClawbackSchema)
    unspent = fields.Nested(LedgerCashSchema)
    owed_by_unit_fen = fields.Integer()
    city_unspent_fen = fields.Integer()
    matching_unspent_fen = fields.Integer()
    matching_ratio_bp = fields.Integer(allow_none=True, metadata={"description": "matching ÷ city funds, basis points"})
    matching_ratio = fields.String(allow_none=True)
    reversed_entry_ids = fields.List(fields.String())
    fixed_assets = fields.List(fields.Nested(LedgerFixedAssetRowSchema))
    updated_at = fields.String()


LedgerAccountPageSchema = page_of(LedgerAccountSchema, "LedgerAccountPageSchema")


class LedgerBookingSchema(LedgerEntrySchema):
    """The entry booked (201), or the first one booked with this Idempotency-Key (200)."""


class LedgerBookingResultSchema(Schema):
    """What ``book_entry`` answers: the entry, and whether this call created it."""
    entry = fields.Nested(LedgerBookingSchema)
    created = fields.Boolean()


class LedgerFixedAssetRegisterSchema(Schema):
    studio_id = fields.String()
    items = fields.List(fields.Nested(LedgerFixedAssetRowSchema))
    count = fields.Integer()
    total_fen = fields.Integer()
    thresholds = fields.Dict(keys=fields.String(), values=fields.Integer())


class LedgerComplianceSchema(Schema):
    """R-22 / R-23 for one funding cycle."""
    studio_id = fields.String()
    tenant_id = fields.String()
    unit_id = fields.String()
    cycle = fields.Integer()
    opened_by = fields.String()
    opened_kind = fields.String()
    cycle_started_at = fields.String()
    next_assessment_at = fields.String(allow_none=True)
    measured_at = fields.String(allow_none=True)
    city_funds_fen = fields.Integer()
    city_spent_fen = fields.Integer()
    city_unspent_fen = fields.Integer()
    matching_fen = fields.Integer()
    matching_spent_fen = fields.Integer()
    matching_shortfall_fen = fields.Integer()
    matching_ratio_bp = fields.Integer(allow_none=True)
    matching_ratio = fields.String(allow_none=True)
    clawed_back_fen = fields.Integer()
    revoked = fields.Boolean()
    matching_at_least_city = fields.Boolean(metadata={"description": "R-23"})
    city_funds_used_by_deadline = fields.Boolean(allow_none=True, metadata={"description": "R-22"})
    deadline_passed = fields.Boolean(allow_none=True)
    rules = fields.Dict(keys=fields.String(), values=fields.Boolean(allow_none=True))
    compliant = fields.Boolean()


class LedgerReconciliationRowSchema(Schema):
    studio_id = fields.String()
    studio_name = fields.String()
    tenant_id = fields.String()
    tenant_name = fields.String()
    unit_id = fields.String()
    unit_name = fields.String()
    name = fields.String()
    studios = fields.Integer()
    entries = fields.Integer()
    opening = fields.Nested(LedgerCashSchema)
    received = fields.Nested(LedgerReceivedSchema)
    spent = fields.Nested(LedgerSpentSchema)
    clawed_back = fields.Nested(LedgerClawbackSchema)
    closing = fields.Nested(LedgerCashSchema)
    owed_by_unit_fen = fields.Integer()
    cumulative = fields.Dict(keys=fields.String(), values=fields.Integer())
    matching_ratio_bp = fields.Integer(allow_none=True)
    matching_ratio = fields.String(allow_none=True)
    balanced = fields.Boolean(metadata={"description": "opening + received − spent − returned = closing"})


class LedgerReconciliationSchema(Schema):
    year = fields.Integer()
    timezone = fields.String()
    period = fields.Dict(keys=fields.String(), values=fields.String())
    scope = fields.Dict(metadata={"description": "{tenant_id} the report covers (null: the city)"})
    source = fields.String(metadata={"description": "projection (per-year account buckets) or entries"})
    studios = fields.List(fields.Nested(LedgerReconciliationRowSchema))
    tenants = fields.List(fields.Nested(LedgerReconciliationRowSchema))
    city = fields.Nested(LedgerReconciliationRowSchema)
    all_balanced = fields.Boolean()


class LedgerVerificationSchema(Schema):
    """The stored projection rebuilt from the entries and compared."""
    studio_id = fields.String()
    ok = fields.Boolean()
    seq = fields.Integer(metadata={"description": "entries in the journal"})
    stored_seq = fields.Integer(allow_none=True)
    differences = fields.List(fields.String())
    repaired = fields.Boolean()


class LedgerVerificationReportSchema(Schema):
    accounts = fields.Integer()
    entries = fields.Integer()
    ok = fields.Boolean()
    mismatched = fields.List(fields.Nested(LedgerVerificationSchema))
    repaired = fields.Integer()
