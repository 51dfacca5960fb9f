"""The registry's published schemas (the gateway uses them for OpenAPI; the service to validate)."""
from marshmallow import ValidationError, fields, validate, validates

from services.registry.domain.credit_code import validate_credit_code
from services.registry.domain.reference import TENANT_KINDS
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


class TokenSchema(StrictSchema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    principal = fields.Nested(PrincipalSchema)


class TenantSchema(StrictSchema):
    id = fields.String(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True, validate=validate.OneOf(TENANT_KINDS),
                         metadata={"description": "district (区), development_zone (经开区) or group (市属局/企业集团)"})
    code = fields.String(allow_none=True, validate=validate.Length(max=20))
    authority = fields.String(validate=validate.Length(max=200),
                              metadata={"description": "the supervising authority's name (主管部门)"})


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
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=200))
    display_name = fields.String(load_default="", validate=validate.Length(max=100))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    tenant_id = fields.String(allow_none=True, load_default=None)
    unit_id = fields.String(allow_none=True, load_default=None)


TenantPageSchema = page_of(TenantSchema)
UnitPageSchema = page_of(UnitSchema)
UserPageSchema = page_of(UserSchema)
