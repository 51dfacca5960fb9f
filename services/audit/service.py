"""audit: the append-only audit trail (issue 18). Records come as ``audit.recorded`` events from
the gateway (every write) and from every service's inbox (every event's effect) through
``shared/audit.py``; the city and admin read them, filtered, and export them as .xlsx. No
entry point changes or deletes a record.
"""
from __future__ import annotations

import base64
import io
import logging

from eventlet import tpool
from nameko.events import event_handler
from openpyxl import Workbook

from services.audit import schemas, storage
from services.audit.domain.trail import COLUMNS, READERS, query, row
from shared.audit import AUDIT_RECORDED, AUDIT_SOURCE
from shared.files import XLSX, excel_value
from shared.logs import log_event
from shared.rpc import rpc
from shared.schemas import FileSchema, dump
from shared.service import ServiceBase
from shared.storage import Mongo

log = logging.getLogger("skillmaster.audit")


def workbook(records: list[dict]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("审计记录")
    sheet.append([title for _, title in COLUMNS])
    for record in records:
        sheet.append([excel_value(v) for v in row(record)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class AuditService(ServiceBase):
    name = "audit"

    store = Mongo("audit", storage.SCOPES, storage.INDEXES)

    # idempotent without an inbox: a record's id is its key, a second delivery stores nothing;
    # requeued on error (e.g. the store is down): a record is never dropped
    @event_handler(AUDIT_SOURCE, AUDIT_RECORDED, requeue_on_error=True)
    def on_audit_recorded(self, record):
        if not isinstance(record, dict) or not record.get("id"):
            log_event(log, "audit: a message that is no record was ignored", logging.ERROR, payload=repr(record)[:500])
            return "ignored"
        return "stored" if storage.append(self.store, record) else "duplicate"

    @rpc
    def list_records(self, page=1, page_size=50, tenant=None, user=None, record=None, since=None, until=None):
        self.caller.require_role(*READERS)
        flt = query(tenant, user, record, since, until)
        return dump(schemas.AuditRecordPageSchema(), storage.page(self.store, flt, page, page_size))

    @rpc
    def records_xlsx(self, tenant=None, user=None, record=None, since=None, until=None):
        self.caller.require_role(*READERS)
        records = storage.all_matching(self.store, query(tenant, user, record, since, until))
        content = tpool.execute(workbook, records)
        return dump(FileSchema(), {"filename": "audit.xlsx", "content_type": XLSX,
                                   "content_b64": base64.b64encode(content).decode("ascii")})
