"""supervision's published schemas: what its RPCs take and answer. The gateway imports this module:
it imports only marshmallow, constants and ``shared`` (never ``domain``)."""
from marshmallow import Schema, fields


class StudioRowSchema(Schema):
    """A studio of the read model (shared/studios.py) as supervision answers it."""
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
