"""Reporting routes (R-10, R-11): each studio's yearly target agreement (目标任务责任书), annual
plan and annual results, as JSON and as Excel workbooks; the year's list; due dates (reporting).

A unit keeps and submits its own studios' records; its tenant accepts or returns them with
reasons; the city reads all and sets the due dates. A workbook with bad cells answers 422 with
``errors`` by ``sheet!cell`` and ``error_workbook``: the link to the same workbook with exactly
those cells highlighted and commented.
"""
from __future__ import annotations

from gateway.contract import one_of, param
from gateway.http import idempotency_key, query_args
from gateway.responses import PAGING, PAGING_ARGS, UPLOAD_KIND, XLSX, read_upload, xlsx_response
from gateway.replays import REPLAYED
from gateway.routing import RouteGroup, route
import services.reporting.schemas as reporting
from shared.errors import NotFound, ValidationFailed
from shared.uploads import send_upload
from shared.principal import ADMIN, CITY_BUREAU, CITY_CENTER, TENANT, UNIT

STUDIO = "/api/v1/studios/<studio_id>"
# typed path segments (gateway/contract.py): the OpenAPI document declares them, and a value
# outside them is a 422 naming the parameter before any service is called
YEAR = f"<int(min={reporting.MIN_YEAR},max={reporting.MAX_YEAR}):year>"
KIND = f"<any({','.join(reporting.REPORT_KINDS)}):kind>"
VERSION = "<int(min=1,max=100000):version>"   # versions count from 1
AGREEMENT = f"{STUDIO}/agreements/{YEAR}"
STUDIO_YEAR = f"{STUDIO}/reports/{YEAR}"
REPORT = f"{STUDIO_YEAR}/{KIND}"
CITY = (CITY_CENTER, CITY_BUREAU, ADMIN)
TAGS = ["reporting"]
UPLOAD_ERRORS = {
    400: "XML entity or DOCTYPE declarations in the workbook (reason xml_entities)",
    413: "The file, its inflated zip (reason zip_bomb) or its rows (reason row_bound) exceed the bounds",
    415: "Not an .xlsx by its content (reason not_xlsx), or a macro-enabled workbook (reason macros)",
    422: "Cells to fix: errors by sheet!cell, cells [{sheet, cell, message}], error_workbook (a link to the "
         "workbook with those cells highlighted and commented); or another template version (reason "
         "template_version)",
}
DRY_RUN = {"dry_run": ("boolean", "true: validate and answer the same, store nothing")}
LIST_FILTERS = {"year": param("integer", "the year", required=True, minimum=reporting.MIN_YEAR,
                              maximum=reporting.MAX_YEAR),
                "tenant_id": param("string", "one tenant (city roles; a tenant user gets its own anyway)"),
                "state": one_of("the state of any of the three records", reporting.DIGEST_STATES),
                "timeliness": one_of("the timeliness of the plan or the results", reporting.TIMELINESS)}
TEMPLATE_QUERY = {"studio_id": param("string", "pre-fill for this studio (its names)"),
                  "year": param("integer", "pre-fill for this year", minimum=reporting.MIN_YEAR,
                                maximum=reporting.MAX_YEAR)}


def _flag(request, name: str) -> bool:
    return request.args.get(name, "").lower() in ("1", "true", "yes")


class ReportingRoutes(RouteGroup):
    # -- agreements (目标任务责任书) ---------------------------------------------------------
    @route("GET", AGREEMENT, tags=TAGS, response=reporting.ReportSchema,
           summary="A studio's target responsibility agreement for a year (R-11): state, draft, latest version, history")
    def get_agreement(self, request, studio_id, year):
        return self.services.reporting.get_report(studio_id, year, "agreement")

    @route("PUT", AGREEMENT, tags=TAGS, roles=(UNIT,), body=reporting.AgreementContentSchema,
           response=reporting.ReportSchema,
           summary="Save the agreement's draft (support given, the lead's duties, tasks with measurable targets, "
                   "signing); R-11")
    def save_agreement(self, request, studio_id, year):
        return self.services.reporting.save_report(studio_id, year, "agreement", request.body_json)

    @route("GET", f"{AGREEMENT}.xlsx", tags=TAGS, produces=(XLSX,),
           summary="The agreement as a filled workbook (the template's layout: it can be uploaded again)")
    def agreement_workbook(self, request, studio_id, year):
        return xlsx_response(self.services.reporting.report_workbook(studio_id, year, "agreement"))

    @route("POST", f"{AGREEMENT}.xlsx", tags=TAGS, roles=(UNIT,), body_kind=UPLOAD_KIND,
           query=DRY_RUN, response=reporting.UploadResultSchema, responses=UPLOAD_ERRORS,
           summary="Upload a filled agreement workbook: every cell validated; stored as the draft unless dry_run")
    def upload_agreement(self, request, studio_id, year):
        return self._upload(request, studio_id, year, "agreement")

    # -- plan and results (年度工作计划 / 年度工作总结) ---------------------------------------------
    @route("GET", STUDIO_YEAR, tags=TAGS, response=reporting.DigestItemSchema,
           summary="A studio's year at a glance: agreement, plan and results (state, version, on time / late / "
                   "missing), targets met, outputs under R-10's headings, economic benefit")
    def studio_year(self, request, studio_id, year):
        items = self.services.reporting.report_digest(year, studio_ids=[studio_id])
        if not items:
            raise NotFound(f"studio {studio_id} not found")
        return items[0]

    @route("GET", REPORT, tags=TAGS, response=reporting.ReportSchema,
           summary="The annual plan or results (R-10): state, draft, latest version, history; results also "
                   "met / not met per target of the agreement and the plan")
    def get_report(self, request, studio_id, year, kind):
        return self.services.reporting.get_report(studio_id, year, kind)

    @route("PUT", REPORT, tags=TAGS, roles=(UNIT,), body=reporting.ReportContentSchema,
           response=reporting.ReportSchema,
           summary="Save the plan's or results' draft: items under the four headings of R-10, economic benefit "
                   "(fen), narrative")
    def save_report(self, request, studio_id, year, kind):
        return self.services.reporting.save_report(studio_id, year, kind, request.body_json)

    @route("GET", f"{REPORT}.xlsx", tags=TAGS, produces=(XLSX,),
           summary="The plan or results as a filled workbook (results: with the targets met / not met)")
    def report_workbook(self, request, studio_id, year, kind):
        return xlsx_response(self.services.reporting.report_workbook(studio_id, year, kind))

    @route("POST", f"{STUDIO_YEAR}.xlsx", tags=TAGS, roles=(UNIT,), body_kind=UPLOAD_KIND,
           query=DRY_RUN, response=reporting.UploadResultSchema, responses=UPLOAD_ERRORS,
           summary="Upload a filled annual-report workbook (plan or results, as its 报告类型 says): every cell "
                   "validated; stored as the draft unless dry_run")
    def upload_report(self, request, studio_id, year):
        return self._upload(request, studio_id, year, "annual-report")

    def _upload(self, request, studio_id, year, template):
        filename, content = read_upload(request, int(self.config["MAX_UPLOAD_BYTES"]))
        upload_id = send_upload(self.services.reporting, content, kind="report_workbook", filename=filename)
        try:
            return self.services.reporting.import_workbook(studio_id, year, template, upload_id,
                                                           dry_run=_flag(request, "dry_run"))
        except ValidationFailed as exc:
            token = exc.extra.get("error_workbook")
            if token:
                exc.extra["error_workbook"] = f"/api/v1/report-uploads/{token}/errors.xlsx"
            raise

    @route("GET", "/api/v1/report-uploads/<token>/errors.xlsx", tags=TAGS, produces=(XLSX,),
           summary="The uploaded workbook with the bad cells highlighted and a comment on each (kept a day)")
    def upload_errors(self, request, token):
        return xlsx_response(self.services.reporting.error_workbook(token))

    # -- the same steps for the three records ------------------------------------------------
    @route("POST", f"{AGREEMENT}/submit", tags=TAGS, roles=(UNIT,), response=reporting.SubmissionSchema,
           idempotent_key=True, status=201,
           summary="Submit the agreement's draft to the tenant: a new version (R-11)")
    def submit_agreement(self, request, studio_id, year):
        return self._submit(request, studio_id, year, "agreement")

    @route("POST", f"{REPORT}/submit", tags=TAGS, roles=(UNIT,), response=reporting.SubmissionSchema,
           idempotent_key=True, status=201,
           summary="Submit the plan's or results' draft to the tenant: a new version, on time or late (R-11)")
    def submit_report(self, request, studio_id, year, kind):
        return self._submit(request, studio_id, year, kind)

    def _submit(self, request, studio_id, year, kind):
        done = self.services.reporting.submit_report(studio_id, year, kind, idempotency_key(request))
        # a replay the service recognised (e.g. after a gateway restart): the first answer's status again
        return 201, done, ({} if done["created"] else {REPLAYED: "true"})

    @route("POST", f"{AGREEMENT}/accept", tags=TAGS, roles=(TENANT,), response=reporting.ReportSchema,
           summary="The tenant accepts the submitted agreement")
    def accept_agreement(self, request, studio_id, year):
        return self.services.reporting.accept_report(studio_id, year, "agreement")

    @route("POST", f"{REPORT}/accept", tags=TAGS, roles=(TENANT,), response=reporting.ReportSchema,
           summary="The tenant accepts the submitted plan or results")
    def accept_report(self, request, studio_id, year, kind):
        return self.services.reporting.accept_report(studio_id, year, kind)

    @route("POST", f"{AGREEMENT}/return", tags=TAGS, roles=(TENANT,), body=reporting.ReturnRequestSchema,
           response=reporting.ReportSchema,
           summary="The tenant returns the submitted agreement with reasons (the unit is told why)")
    def return_agreement(self, request, studio_id, year):
        return self.services.reporting.return_report(studio_id, year, "agreement", request.body_json)

    @route("POST", f"{REPORT}/return", tags=TAGS, roles=(TENANT,), body=reporting.ReturnRequestSchema,
           response=reporting.ReportSchema,
           summary="The tenant returns the submitted plan or results with reasons (the unit is told why)")
    def return_report(self, request, studio_id, year, kind):
        return self.services.reporting.return_report(studio_id, year, kind, request.body_json)

    @route("GET", f"{AGREEMENT}/versions", tags=TAGS, response=reporting.VersionListSchema,
           summary="Every submitted version of the agreement (who, when, outcome, reasons)")
    def agreement_versions(self, request, studio_id, year):
        return self.services.reporting.list_versions(studio_id, year, "agreement")

    @route("GET", f"{REPORT}/versions", tags=TAGS, response=reporting.VersionListSchema,
           summary="Every submitted version of the plan or results (who, when, due, late days, outcome, reasons)")
    def report_versions(self, request, studio_id, year, kind):
        return self.services.reporting.list_versions(studio_id, year, kind)

    @route("GET", f"{AGREEMENT}/versions/{VERSION}", tags=TAGS, response=reporting.VersionDetailSchema,
           summary="One earlier version of the agreement, as submitted")
    def agreement_version(self, request, studio_id, year, version):
        return self.services.reporting.get_version(studio_id, year, "agreement", version)

    @route("GET", f"{REPORT}/versions/{VERSION}", tags=TAGS, response=reporting.VersionDetailSchema,
           summary="One earlier version of the plan or results, as submitted")
    def report_version(self, request, studio_id, year, kind, version):
        return self.services.reporting.get_version(studio_id, year, kind, version)

    # -- the year's list, due dates, templates -------------------------------------------------
    @route("GET", "/api/v1/reports", tags=TAGS, response=reporting.DigestPageSchema, query={**PAGING, **LIST_FILTERS},
           summary="A year's reports, a row a studio you can see: status, dates, versions, key figures")
    def list_reports(self, request):
        return self.services.reporting.list_reports(**query_args(request, "year", "tenant_id", "state", "timeliness",
                                                                 *PAGING_ARGS))

    @route("GET", "/api/v1/reports.xlsx", tags=TAGS, produces=(XLSX,), query=LIST_FILTERS,
           summary="The same list as one workbook (a row a studio)")
    def reports_workbook(self, request):
        return xlsx_response(self.services.reporting.reports_workbook(
            **query_args(request, "year", "tenant_id", "state", "timeliness")))

    @route("GET", f"/api/v1/reporting/due-dates/{YEAR}", tags=TAGS, response=reporting.DueDatesOutSchema,
           summary="The year's due dates (defaults: plan March 31, results December 1)")
    def due_dates(self, request, year):
        days = self.services.reporting.due_dates(year)
        return {"year": int(year), **days}

    @route("PUT", f"/api/v1/reporting/due-dates/{YEAR}", tags=TAGS, roles=CITY, body=reporting.DueDatesSchema,
           response=reporting.DueDatesOutSchema, summary="The city sets the year's due dates")
    def set_due_dates(self, request, year):
        return self.services.reporting.set_due_dates(year, request.body_json)

    @route("GET", "/api/v1/templates/annual-report.xlsx", tags=["templates"], produces=(XLSX,),
           query={**TEMPLATE_QUERY, "kind": ("string", "plan or results (results: the targets to meet are listed)")},
           summary="The annual plan / results workbook (Chinese headers, instructions, drop-downs, validation, "
                   "locked headers); pre-filled with studio_id and year")
    def annual_report_template(self, request):
        return xlsx_response(self.services.reporting.template("annual-report", **query_args(
            request, "studio_id", "year", "kind")))

    @route("GET", "/api/v1/templates/agreement.xlsx", tags=["templates"], produces=(XLSX,), query=TEMPLATE_QUERY,
           summary="The target responsibility agreement workbook; pre-filled with studio_id and year")
    def agreement_template(self, request):
        return xlsx_response(self.services.reporting.template("agreement", **query_args(request, "studio_id",
                                                                                             "year")))
