"""audit's published schemas: the record as it is stored and read (the gateway documents them)."""
from marshmallow import fields

from shared.schemas import FileSchema, StrictSchema, page_of  # noqa: F401  (FileSchema: the export)


class AuditRecordSchema(StrictSchema):
    id = fields.String(metadata={"description": "the record's id (a request's is random; an event effect's is "
                                                "handler:event_id)"})
    kind = fields.String(metadata={"description": "request (a write through the gateway) or event (an event's "
                                                  "effect in a service)"})
    at = fields.String(metadata={"description": "when (ISO 8601, UTC)"})
    user = fields.String(allow_none=True, metadata={"description": "who (system:<service> for an event's effect)"})
    role = fields.String(allow_none=True)
    tenant_id = fields.String(allow_none=True)
    unit_id = fields.String(allow_none=True)
    method = fields.String(metadata={"description": "HTTP method, or EVENT"})
    route = fields.String(metadata={"description": "the route's pattern, or the event handler"})
    path = fields.String(metadata={"description": "the path called, or the event type"})
    status = fields.Raw(metadata={"description": "the HTTP status, or the inbox's outcome"})
    request_id = fields.String(allow_none=True)
    event_id = fields.String(metadata={"description": "event effects: the event's id"})
    before = fields.List(fields.String(), metadata={"description": "records named by the request (name=id)"})
    after = fields.List(fields.String(), metadata={"description": "records named by the answer or the event"})


AuditRecordPageSchema = page_of(AuditRecordSchema)
