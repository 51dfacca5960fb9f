"""marshmallow 3 building blocks shared by the services' published schemas."""
from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, validate

from shared.errors import ValidationFailed, flatten_errors


class StrictSchema(Schema):
    """Unknown fields are an error, never silently dropped."""

    class Meta:
        unknown = RAISE
        ordered = True


def load(schema: Schema, data: Any, **kwargs) -> Any:
    """Validate input; every problem becomes a 422 whose ``errors`` name the field."""
    if data is None:
        data = {}
    try:
        return schema.load(data, **kwargs)
    except ValidationError as exc:
        raise ValidationFailed("the input does not fit the schema", errors=flatten_errors(exc.messages))


class ProblemSchema(Schema):
    """RFC 7807 problem details, as every error answers (application/problem+json). A problem may
    carry extension members beyond those declared here (RFC 7807 §3.2: e.g. the ledger's
    ``ledger_code`` and the figures of the rule it broke), so the schema allows more members."""

    class Meta:
        unknown = INCLUDE
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.String())
    rule = fields.String(metadata={"description": "the rule of the measures broken, e.g. R-6"})
    rules = fields.List(fields.String(), metadata={"description": "several rules broken at once"})
    request_id = fields.String()
    # extension members (RFC 7807 §3.2) that some errors carry
    duplicate_of = fields.List(fields.String(), metadata={"description": "409: the fields that clash"})
    state = fields.String(metadata={"description": "409: the record's state, which does not allow the action"})
    action = fields.String(metadata={"description": "409: the action refused in that state"})
    service = fields.String(metadata={"description": "503: the service that did not answer"})
    limit = fields.Integer(metadata={"description": "413: the largest size accepted, in bytes"})
    retry_after = fields.Integer(metadata={"description": "429: seconds to wait (also in Retry-After)"})
    field = fields.String(metadata={"description": "the field at fault"})
    incomplete = fields.List(fields.String(), metadata={
        "description": "422 (assessment publish, R-16): the studios whose scores are not complete"})
    year = fields.Integer()


class PageSchema(Schema):
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


def page_of(item_schema: type[Schema], name: str | None = None) -> type[Schema]:
    """A paginated list schema: ``{items: [...], page, page_size, total, pages}``."""
    cls_name = name or f"{item_schema.__name__.removesuffix('Schema')}PageSchema"
    return type(cls_name, (PageSchema,), {"items": fields.List(fields.Nested(item_schema))})


NonEmpty = validate.Length(min=1)


class FileSchema(Schema):
    """A file an RPC answers (a download, a generated workbook); the gateway sends it as is."""
    filename = fields.String(required=True)
    content_type = fields.String()
    content_b64 = fields.String(required=True)


_OUTPUT_SCHEMAS: dict[type, Schema] = {}


def output(schema_class: type[Schema]) -> Schema:
    """One instance per output schema class, for ``dump`` only: building a schema (its fields
    copied, its nested schemas built) costs more than dumping a page of rows with it. An instance
    is safe to share for dumping (no state is kept between dumps, and a dump never yields)."""
    schema = _OUTPUT_SCHEMAS.get(schema_class)
    if schema is None:
        schema = _OUTPUT_SCHEMAS[schema_class] = schema_class()
    return schema


def dump(schema: Schema, obj: Any) -> Any:
    """An RPC result through its published output schema: only the fields the schema names
    leave the service (e.g. never a password hash), in their published types."""
    return schema.dump(obj)


def dump_many(schema: Schema, objs: Any) -> list:
    return schema.dump(list(objs), many=True)


class StudioRowSchema(Schema):
    """A studio of the shared read model (shared/studios.py), as reporting, supervision and
    assessment answer it."""
    studio_id = fields.String(required=True)
    tenant_id = fields.String(required=True)
    tenant_name = fields.String(allow_none=True)
    unit_id = fields.String(required=True)
    unit_name = fields.String(allow_none=True)
    name = fields.String(required=True)
    occupation = fields.String(allow_none=True)
    lead_name = fields.String(allow_none=True)
    designated_on = fields.String(allow_none=True)
    year = fields.Integer(allow_none=True)
    nameplate_no = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    status = fields.String(required=True)
    revoked_on = fields.String(allow_none=True)
    revocation_ground = fields.String(allow_none=True)
    measures_version = fields.String(allow_none=True)
