"""Application routes (申报 → 推荐 → 评审 → 公示 → 认定, R-1…R-9), the application template and
import, materials, and the working-day calendar the notice is computed on (registry)."""
from __future__ import annotations

from gateway.contract import one_of, param, year
from gateway.http import idempotency_key, query_args
from gateway.replays import marked
from gateway.responses import PAGING, PAGING_ARGS, UPLOAD_KIND, XLSX, file_response, read_upload
from gateway.routes.jobs import job_response, respond_async
from gateway.routing import RouteGroup, route
import services.registry.schemas as registry
from shared.principal import ADMIN, CITY_BUREAU, CITY_CENTER, FINANCE, TENANT, UNIT
from shared.uploads import send_upload

CITY = (CITY_CENTER, CITY_BUREAU)
APP = "/api/v1/applications/<application_id>"
FILTERS = {**PAGING, "year": year("the year of the call for applications"),
           "status": one_of("the application's state", registry.APPLICATION_STATES),
           "tenant": param("string", "a tenant id (city roles; others see their own tenant anyway)"),
           "kind": one_of("the application's kind", registry.APPLICATION_KINDS)}


class ApplicationRoutes(RouteGroup):
    # -- the form ----------------------------------------------------------------------
    @route("POST", "/api/v1/applications", summary="A unit starts an application (draft, 附件1)",
           tags=["applications"], roles=(UNIT,), body=registry.ApplicationInSchema,
           response=registry.ApplicationSchema, status=201, idempotent_key=True)
    def create_application(self, request):
        return marked(self.services.registry.create_application(request.body_json, answer_replayed=True,
                                                                idempotency_key=idempotency_key(request)))

    @route("GET", "/api/v1/applications", summary="Applications you can see", tags=["applications"],
           response=registry.ApplicationPageSchema, query=FILTERS)
    def list_applications(self, request):
        return self.services.registry.list_applications(
            **query_args(request, *PAGING_ARGS, "year", "status", "tenant", "kind"))

    @route("GET", "/api/v1/applications/shortlist", tags=["applications"], roles=(*CITY, ADMIN, FINANCE),
           summary="A year's shortlist, ranked: R-3 honours first, then R-5, then expert score (documented rule)",
           response=registry.ShortlistSchema, query={"year": year("the year of the call", required=True)})
    def application_shortlist(self, request):
        return self.services.registry.shortlist(request.args.get("year"))

    @route("GET", "/api/v1/templates/application.xlsx", tags=["templates"], produces=(XLSX,),
           summary="The application form (附件1) as an Excel template: Chinese headers, drop-downs, instructions")
    def application_template(self, request):
        template = self.services.registry.application_template()
        return file_response(template["content_b64"], XLSX, template["filename"])

    @route("POST", "/api/v1/applications/import", tags=["applications"], roles=(UNIT,), body_kind=UPLOAD_KIND,
           summary="Import a filled application template (.xlsx) as a draft; problems are named by cell. "
                   "A workbook larger than IMPORT_JOB_BYTES, or a request with `Prefer: respond-async`, "
                   "answers 202 with the job (Location: /api/v1/jobs/{id}) whose result names the draft",
           response=registry.ApplicationSchema, status=201, idempotent_key=True,
           responses={202: "accepted: the import runs as a job; poll its Location (GET /api/v1/jobs/{id})"})
    def import_application(self, request):
        filename, content = read_upload(request, int(self.config["MAX_UPLOAD_BYTES"]))
        upload_id = send_upload(self.services.registry, content, kind="application_workbook", filename=filename)
        if respond_async(request, len(content), int(self.config.get("IMPORT_JOB_BYTES", 256 * 1024))):
            return job_response(self.services.registry.start_application_import(
                upload_id, idempotency_key=idempotency_key(request)))
        return marked(self.services.registry.import_application(upload_id, idempotency_key=idempotency_key(request),
                                                                answer_replayed=True))

    @route("GET", APP, summary="One application (the master's ID number is masked except for the city)",
           tags=["applications"], response=registry.ApplicationSchema)
    def get_application(self, request, application_id):
        return self.services.registry.get_application(application_id)

    @route("PUT", APP, summary="Replace the form of a draft or returned application", tags=["applications"],
           roles=(UNIT,), body=registry.ApplicationInSchema, response=registry.ApplicationSchema)
    def update_application(self, request, application_id):
        return self.services.registry.update_application(application_id, request.body_json)

    # -- materials -----------------------------------------------------------------------
    @route("POST", f"{APP}/materials", tags=["applications"], roles=(UNIT, TENANT), body_kind=UPLOAD_KIND,
           summary="Upload a material: PDF, JPEG or PNG recognised by content, at most 10 MB",
           query={"kind": one_of("the material's kind (tenant: tenant_opinion only)", registry.MATERIAL_KINDS,
                                 required=True)},
           response=registry.MaterialSchema, status=201,
           responses={413: "The file is larger than 10 MB", 415: "Not a PDF, JPEG or PNG by its content"})
    def add_material(self, request, application_id):
        filename, content = read_upload(request, int(self.config["MAX_UPLOAD_BYTES"]))
        upload_id = send_upload(self.services.registry, content, kind="material", filename=filename)
        return marked(self.services.registry.add_material(application_id, request.args.get("kind", ""), upload_id,
                                                          idempotency_key=idempotency_key(request), answer_replayed=True))

    @route("GET", f"{APP}/materials", summary="An application's materials", tags=["applications"],
           response=registry.MaterialListSchema)
    def list_materials(self, request, application_id):
        return self.services.registry.list_materials(application_id)

    @route("GET", f"{APP}/materials/<material_id>", tags=["applications"],
           produces=("application/pdf", "image/jpeg", "image/png"),
           summary="Download a material (for whoever may see the application)")
    def download_material(self, request, application_id, material_id):
        material = self.services.registry.download_material(application_id, material_id)
        return file_response(material["content_b64"], material["content_type"], material["filename"])

    # -- the path ------------------------------------------------------------------------
    @route("POST", f"{APP}/submit", tags=["applications"], roles=(UNIT,), response=registry.ApplicationSchema,
           summary="Submit to the tenant; eligibility is checked (R-1, R-2, R-4, R-6, R-8: 422 naming the rule)")
    def submit_application(self, request, application_id):
        return self.services.registry.submit_application(application_id)

    @route("POST", f"{APP}/recommend", tags=["applications"], roles=(TENANT,), body=registry.RecommendSchema,
           response=registry.ApplicationSchema, summary="The tenant recommends it with its signed opinion (R-8)")
    def recommend_application(self, request, application_id):
        return self.services.registry.recommend_application(application_id, request.body_json)

    @route("POST", f"{APP}/return", tags=["applications"], roles=(TENANT,), body=registry.ReasonsSchema,
           response=registry.ApplicationSchema, summary="The tenant returns it to the unit with reasons")
    def return_application(self, request, application_id):
        return self.services.registry.return_application(application_id, request.body_json)

    @route("POST", f"{APP}/reject", tags=["applications"], roles=(TENANT, *CITY), body=registry.ReasonsSchema,
           response=registry.ApplicationSchema,
           summary="Reject with reasons (tenant while submitted; the city from recommended to objected)")
    def reject_application(self, request, application_id):
        return self.services.registry.reject_application(application_id, request.body_json)

    @route("POST", f"{APP}/review", tags=["applications"], roles=(CITY_CENTER,), body=registry.ReviewInSchema,
           response=registry.ApplicationSchema,
           summary="Record a city review stage (material, site_visit, expert with scores, overall) with its date")
    def review_application(self, request, application_id):
        return self.services.registry.review_application(application_id, request.body_json)

    @route("POST", f"{APP}/notice", tags=["applications"], roles=CITY, body=registry.NoticeInSchema,
           response=registry.ApplicationSchema,
           summary="Start the public notice; it ends on the 5th statutory working day (R-9)")
    def start_notice(self, request, application_id):
        return self.services.registry.start_notice(application_id, request.body_json)

    @route("POST", f"{APP}/objections", tags=["applications"], roles=CITY, body=registry.ObjectionInSchema,
           response=registry.ApplicationSchema, status=201,
           summary="Record an objection received during the notice; it holds the application until resolved")
    def add_objection(self, request, application_id):
        return marked(self.services.registry.add_objection(application_id, request.body_json,
                                                           idempotency_key=idempotency_key(request), answer_replayed=True))

    @route("POST", f"{APP}/objections/<objection_id>/resolve", tags=["applications"], roles=CITY,
           body=registry.ResolveObjectionSchema, response=registry.ApplicationSchema,
           summary="Resolve an objection: upheld rejects the application, dismissed lets the notice go on")
    def resolve_objection(self, request, application_id, objection_id):
        return self.services.registry.resolve_objection(application_id, objection_id, request.body_json)

    @route("POST", f"{APP}/designate", tags=["applications"], roles=(CITY_BUREAU,), body=registry.NoteSchema,
           response=registry.ApplicationSchema,
           summary="Designate after the notice (R-9), within 10 a year (R-7): creates the studio, "
                   "publishes studio.designated")
    def designate_application(self, request, application_id):
        return self.services.registry.designate_application(application_id, request.body_json)

    # -- the calendar the notice is computed on ----------------------------------------
    @route("GET", "/api/v1/calendar/<int(min=2004,max=2100):year>", tags=["calendar"], response=registry.CalendarYearSchema,
           summary="A year's statutory holidays and make-up workdays (entered by the city, or the package's)")
    def get_calendar_year(self, request, year):
        return self.services.registry.get_calendar_year(year)

    @route("PUT", "/api/v1/calendar/<int(min=2004,max=2100):year>", tags=["calendar"], roles=(ADMIN, CITY_CENTER),
           body=registry.CalendarYearInSchema, response=registry.CalendarYearSchema,
           summary="Enter a year's holidays and make-up workdays from the State Council notice (takes precedence)")
    def put_calendar_year(self, request, year):
        return self.services.registry.put_calendar_year(year, request.body_json)
