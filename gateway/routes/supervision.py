"""Supervision routes: a tenant's inspections of its studios and rectification items, the annual
work summary (年度工作总结: draft, narrative, submit, city reopen, .xlsx), the city's status view
of every tenant's summary, and each user's notifications (supervision, R-12)."""
from __future__ import annotations

from gateway.contract import one_of, param
from gateway.http import idempotency_key, query_args
from gateway.replays import REPLAYED
from gateway.responses import PAGING, PAGING_ARGS, XLSX, xlsx_response
from gateway.routing import RouteGroup, route
import services.supervision.schemas as supervision
from shared.principal import ADMIN, CITY_BUREAU, CITY_CENTER, FINANCE, TENANT, UNIT

INSPECTIONS = "/api/v1/tenants/<tenant_id>/inspections"
YEAR_OF_RECORD = "<int(min=2000,max=2100):year>"
SUMMARY = f"/api/v1/tenants/<tenant_id>/summaries/{YEAR_OF_RECORD}"
CITY = (CITY_CENTER, CITY_BUREAU, FINANCE, ADMIN)
SUMMARY_READERS = (TENANT, *CITY)
EDITORS = (TENANT, ADMIN)
REOPENERS = (CITY_CENTER, CITY_BUREAU, ADMIN)
YEAR = {"year": param("integer", "the year of record, e.g. 2026", required=True, minimum=2000, maximum=2100)}
STATUS = {"status": one_of("only rows of this status", supervision.SUMMARY_STATUSES)}
TENANT_FILTER = {"tenant_id": param("string", "one tenant (city roles; a tenant gets its own row anyway)")}
VERSION = {"version": param("integer", "a submitted version (1 = the first), as it was submitted", minimum=1,
                            maximum=10**6)}
SUMMARY_TAGS = ["supervision"]


class SupervisionRoutes(RouteGroup):
    # -- inspections --------------------------------------------------------------------------
    @route("GET", INSPECTIONS, tags=SUMMARY_TAGS, response=supervision.InspectionPageSchema,
           query={**PAGING, "year": param("integer", "inspections of that year", minimum=2000, maximum=2100),
                  "studio_id": param("string", "one studio")},
           summary="The tenant's inspections, newest first (a unit sees those of its own studios)")
    def list_inspections(self, request, tenant_id):
        return self.services.supervision.list_inspections(
            tenant_id, **query_args(request, *PAGING_ARGS, "year", "studio_id"))

    @route("POST", INSPECTIONS, tags=SUMMARY_TAGS, roles=EDITORS, body=supervision.InspectionRequestSchema,
           response=supervision.InspectionSchema, status=201, idempotent_key=True,
           summary="Record an inspection of one of your studios: date, inspectors, what was checked, findings, "
                   "rating, rectification items with due dates (R-12)")
    def record_inspection(self, request, tenant_id):
        made = self.services.supervision.record_inspection(tenant_id, request.body_json, idempotency_key(request))
        # a replay the service recognised (e.g. after a gateway restart): the first answer's status again
        return 201, made["inspection"], ({} if made["created"] else {REPLAYED: "true"})

    @route("GET", f"{INSPECTIONS}/<inspection_id>", tags=SUMMARY_TAGS, response=supervision.InspectionSchema,
           summary="One inspection with its rectification items")
    def get_inspection(self, request, tenant_id, inspection_id):
        return self.services.supervision.get_inspection(tenant_id, inspection_id)

    @route("POST", f"{INSPECTIONS}/<inspection_id>/items/<item_id>/closure", tags=SUMMARY_TAGS,
           roles=(UNIT, TENANT, ADMIN), body=supervision.EvidenceSchema, response=supervision.InspectionSchema,
           summary="Close a rectification item with evidence (the studio's unit or its tenant); "
                   "closing after the due date is marked late")
    def close_rectification(self, request, tenant_id, inspection_id, item_id):
        return self.services.supervision.close_rectification(tenant_id, inspection_id, item_id, request.body_json)

    # -- the annual summary ---------------------------------------------------------------------
    @route("GET", SUMMARY, tags=SUMMARY_TAGS, roles=SUMMARY_READERS, response=supervision.SummarySchema,
           query=VERSION, summary="The tenant's annual work summary of the year (or a submitted version)")
    def get_summary(self, request, tenant_id, year):
        return self.services.supervision.get_summary(tenant_id, year, **query_args(request, "version"))

    @route("POST", f"{SUMMARY}/draft", tags=SUMMARY_TAGS, roles=EDITORS, response=supervision.SummarySchema,
           status=201, responses={200: "The existing draft, rebuilt from today's data (the narrative is kept)"},
           summary="Build the draft from the year's data: studios, reports (reporting), inspections, funds and "
                   "matching ratio (ledger), outputs; a source that does not answer is shown as unavailable")
    def build_summary(self, request, tenant_id, year):
        built = self.services.supervision.build_summary(tenant_id, year)
        return (201 if built["created"] else 200), built["summary"]

    @route("PATCH", SUMMARY, tags=SUMMARY_TAGS, roles=EDITORS, body=supervision.NarrativeSchema,
           response=supervision.SummarySchema, summary="Edit the draft's narrative (by section)")
    def edit_summary(self, request, tenant_id, year):
        return self.services.supervision.edit_summary(tenant_id, year, request.body_json)

    @route("POST", f"{SUMMARY}/submit", tags=SUMMARY_TAGS, roles=EDITORS, response=supervision.SummarySchema,
           idempotent_key=True,
           summary="Submit the summary to the city (R-12: due 12-15 unless the city set another day; "
                   "a later submission is accepted and marked late by days, Beijing time)")
    def submit_summary(self, request, tenant_id, year):
        return self.services.supervision.submit_summary(tenant_id, year, idempotency_key(request))["summary"]

    @route("POST", f"{SUMMARY}/reopen", tags=SUMMARY_TAGS, roles=REOPENERS, body=supervision.ReopenSchema,
           response=supervision.SummarySchema,
           summary="Reopen a submitted summary (city only, with a reason kept in its history); every "
                   "submitted version stays readable (?version=)")
    def reopen_summary(self, request, tenant_id, year):
        return self.services.supervision.reopen_summary(tenant_id, year, request.body_json)

    @route("GET", f"{SUMMARY}.xlsx", tags=SUMMARY_TAGS, roles=SUMMARY_READERS, produces=(XLSX,), query=VERSION,
           summary="The summary as an .xlsx workbook in Chinese: 封面 (cover with the totals) and 工作室明细")
    def summary_xlsx(self, request, tenant_id, year):
        return xlsx_response(self.services.supervision.summary_xlsx(tenant_id, year, **query_args(request, "version")))

    # -- the city's view ---------------------------------------------------------------------------
    @route("GET", "/api/v1/summaries", tags=SUMMARY_TAGS, roles=SUMMARY_READERS,
           response=supervision.StatusPageSchema, query={**YEAR, **STATUS, **TENANT_FILTER, **PAGING},
           summary="Every tenant's summary status for the year: on time, late (days), missing, draft, "
                   "not started; a tenant sees its own row")
    def summary_status(self, request):
        return self.services.supervision.summary_status(**query_args(request, "year", "status", "tenant_id",
                                                                     *PAGING_ARGS))

    @route("GET", "/api/v1/summaries.xlsx", tags=SUMMARY_TAGS, roles=SUMMARY_READERS, produces=(XLSX,),
           query={**YEAR, **STATUS, **TENANT_FILTER}, summary="The status view as one .xlsx workbook (报送情况)")
    def summary_status_xlsx(self, request):
        return xlsx_response(self.services.supervision.summary_status_xlsx(**query_args(request, "year", "status",
                                                                                   "tenant_id")))

    @route("PUT", f"/api/v1/summaries/due-dates/{YEAR_OF_RECORD}", tags=SUMMARY_TAGS, roles=REOPENERS,
           body=supervision.DueDateSchema, response=supervision.DueDateAnswerSchema,
           summary="Set the year's summary due date (default 12-15, R-12)")
    def set_summary_due_date(self, request, year):
        return self.services.supervision.set_summary_due_date(year, request.body_json)

    # -- notifications ---------------------------------------------------------------------------------
    @route("GET", "/api/v1/me/notifications", tags=["notifications"], response=supervision.NotificationPageSchema,
           query={**PAGING, "unread_only": param("boolean", "true: only unread ones")},
           summary="Your notifications, unread first: due soon, overdue, a report returned with its reasons, "
                   "a rectification due, an assessment published")
    def list_notifications(self, request):
        return self.services.supervision.list_notifications(**query_args(request, *PAGING_ARGS, "unread_only"))

    @route("POST", "/api/v1/me/notifications/<notification_id>/read", tags=["notifications"],
           response=supervision.NotificationSchema, summary="Mark one of your notifications as read (for you only)")
    def mark_notification_read(self, request, notification_id):
        return self.services.supervision.mark_notification_read(notification_id)
