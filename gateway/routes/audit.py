"""The audit trail (issue 18): read by the city and admin, filtered, and exported as .xlsx.
No route writes to it: records come from the gateway itself and from the services' inboxes."""
from __future__ import annotations

from gateway.contract import PAGING, param
from gateway.http import query_args
from gateway.responses import xlsx_response
from gateway.routing import RouteGroup, route
import services.audit.schemas as audit
from shared.principal import ADMIN, CITY_BUREAU, CITY_CENTER

READERS = (ADMIN, CITY_CENTER, CITY_BUREAU)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILTERS = {"tenant": param("string", "records of one tenant"),
           "user": param("string", "records of one user (system:<service> for event effects)"),
           "record": param("string", "records that name this record id (before or after)"),
           "since": param("string", "from this moment on (ISO 8601 date-time)", format="date-time"),
           "until": param("string", "before this moment (ISO 8601 date-time)", format="date-time")}
NAMES = ("tenant", "user", "record", "since", "until")


class AuditRoutes(RouteGroup):
    @route("GET", "/api/v1/audit", tags=["audit"], roles=READERS, response=audit.AuditRecordPageSchema,
           query={**PAGING, **FILTERS},
           summary="The audit trail, newest first: every write through the gateway and every event's effect")
    def list_audit_records(self, request):
        return self.services.audit.list_records(**query_args(request, "page", "page_size", *NAMES))

    @route("GET", "/api/v1/audit.xlsx", tags=["audit"], roles=READERS, produces=(XLSX,), query=FILTERS,
           summary="The audit trail (filtered the same way) as an .xlsx workbook")
    def export_audit_records(self, request):
        return xlsx_response(self.services.audit.records_xlsx(**query_args(request, *NAMES)))
