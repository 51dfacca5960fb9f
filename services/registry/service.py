"""registry: tenants, units, users; studio applications, their review and designation; studios,
their change and revocation requests; the working-day calendar (issue #3)."""
import base64

from eventlet import tpool

from services.registry import schemas
from services.registry.dependencies import DirectorySeed, Passwords
from shared.clock import Clock
from services.registry.domain import excel, files
from services.registry.storage import applications, directory, holidays, materials, sessions, studios
from services.registry.contract import LEAD_CHANGE
from services.registry.storage import INDEXES, OUTBOX_COLLECTIONS, SCOPES, USERS
from shared.errors import UnsupportedMediaType, ValidationFailed
from nameko.events import event_handler
from shared.events import ASSESSMENT_REVOCATION_REQUESTED
from shared.inbox import AlreadyApplied, Inbox
from shared.outbox import Outbox
from shared.caller import Caller
from shared.rpc import rpc
from shared.files import XLSX
from shared.schemas import FileSchema, load, output
from shared.service import ServiceBase
from shared.storage import Mongo
from shared.jobs import JobRunner
from shared.uploads import UploadReceiver


def form_from_workbook(content: bytes) -> tuple[dict, dict]:
    """A filled application template → (its answers, the validated form); problems named by cell."""
    files.check_size(content)
    if not files.is_xlsx(content):
        raise UnsupportedMediaType("upload the filled application template as an .xlsx workbook")
    try:
        data, cells = tpool.execute(excel.parse_application, content)  # CPU work, off the eventlet hub
    except excel.WorkbookProblem as exc:
        raise ValidationFailed(str(exc), errors=exc.errors)
    try:
        return data, load(schemas.ApplicationInSchema(), data)
    except ValidationFailed as exc:
        raise ValidationFailed("the workbook's answers do not fit the form",
                               errors={f"{cells.get(k, k)} ({k})": v for k, v in (exc.errors or {}).items()})


APPLICATION_IMPORT = "application_import"


class RegistryService(JobRunner, UploadReceiver, ServiceBase):
    name = "registry"
    upload_kinds = {"material": files.MAX_MATERIAL_BYTES, "application_workbook": files.MAX_MATERIAL_BYTES}

    store = Mongo("registry", SCOPES, INDEXES)
    caller = Caller()
    passwords = Passwords()
    seed = DirectorySeed()
    outbox = Outbox(OUTBOX_COLLECTIONS)
    inbox = Inbox()
    clock = Clock()

    # -- directory -----------------------------------------------------------------------
    @rpc(public=True)
    def authenticate(self, username, password):
        credentials = load(schemas.LoginSchema(), {"username": username, "password": password})
        answer = directory.authenticate(self.store.unscoped(USERS), self.passwords, **credentials)
        answer["token_version"] = sessions.token_state(self.store, answer["user"])["version"]
        return output(schemas.AuthenticatedSchema).dump(answer)

    # -- sessions: token revocation (issue 18, storage/sessions.py) -------------------------
    @rpc
    def token_state(self):
        """The caller's token version and whether it is disabled (the gateway checks tokens with it)."""
        return output(schemas.TokenStateSchema).dump(sessions.token_state(self.store, self.store.principal.user))

    @rpc
    def revoke_my_tokens(self):
        """Log out: every token of the caller issued so far is void."""
        return output(schemas.TokenStateSchema).dump(sessions.revoke_tokens(self.store, self.store.principal.user))

    @rpc
    def change_my_password(self, data):
        change = load(schemas.PasswordChangeSchema(), data)
        return output(schemas.TokenStateSchema).dump(sessions.change_password(
            self.store, self.passwords, self.store.principal.user, change["current_password"], change["new_password"]))

    @rpc
    def set_user_disabled(self, username, data):
        change = load(schemas.UserDisabledSchema(), data)
        return output(schemas.TokenStateSchema).dump(sessions.set_disabled(self.store, username, change["disabled"]))

    @rpc
    def list_tenants(self, page=1, page_size=50, kind=None):
        return output(schemas.TenantPageSchema).dump(directory.list_tenants(self.store, page, page_size, kind))

    @rpc
    def get_tenant(self, tenant_id):
        return output(schemas.TenantSchema).dump(directory.get_tenant(self.store, tenant_id))

    @rpc
    def create_tenant(self, data, idempotency_key=None, answer_replayed=False):
        form = load(schemas.TenantCreateSchema(), data)
        return self._keyed(output(schemas.TenantSchema).dump(directory.create_tenant(self.store, form, idempotency_key)),
                           answer_replayed)

    @rpc
    def list_units(self, tenant_id, page=1, page_size=50):
        return output(schemas.UnitPageSchema).dump(directory.list_units(self.store, tenant_id, page, page_size))

    @rpc
    def get_unit(self, unit_id):
        return output(schemas.UnitSchema).dump(directory.get_unit(self.store, unit_id))

    @rpc
    def create_unit(self, tenant_id, data, idempotency_key=None, answer_replayed=False):
        form = load(schemas.UnitSchema(), data)
        return self._keyed(output(schemas.UnitSchema).dump(directory.create_unit(self.store, tenant_id, form,
                                                                                 idempotency_key)), answer_replayed)

    @rpc
    def list_users(self, page=1, page_size=50):
        return output(schemas.UserPageSchema).dump(directory.list_users(self.store, page, page_size))

    @rpc
    def create_user(self, data, idempotency_key=None, answer_replayed=False):
        form = load(schemas.UserSchema(), data)
        return self._keyed(output(schemas.UserSchema).dump(directory.create_user(self.store, self.passwords, form,
                                                                                 idempotency_key)), answer_replayed)

    def _keyed(self, record, answer_replayed: bool):
        """A creating write's answer; with ``answer_replayed`` (the gateway asks it) also whether it is
        the record an earlier request with the same Idempotency-Key made, which the gateway marks
        ``Idempotency-Replayed: true`` (API.md) also after a restart emptied its own memory."""
        return {"record": record, "replayed": self.store.replayed} if answer_replayed else record

    # -- applications --------------------------------------------------------------------
    def _application(self, doc):
        return output(schemas.ApplicationSchema).dump(applications.render(doc, self.store.principal))

    @rpc
    def create_application(self, data, idempotency_key=None, answer_replayed=False):
        form = load(schemas.ApplicationInSchema(), data)
        return self._keyed(self._application(applications.create(self.store, self.clock.today(), form, data,
                                                                 idempotency_key)), answer_replayed)

    @rpc
    def list_applications(self, page=1, page_size=50, year=None, status=None, tenant=None, kind=None):
        result = applications.list_page(self.store, page, page_size, year, status, tenant, kind)
        return output(schemas.ApplicationPageSchema).dump(result)

    @rpc
    def get_application(self, application_id):
        return self._application(applications.get(self.store, application_id))

    @rpc
    def update_application(self, application_id, data):
        form = load(schemas.ApplicationInSchema(), data)
        return self._application(applications.edit(self.store, application_id, form))

    @rpc
    def submit_application(self, application_id):
        return self._application(applications.submit(self.store, self.clock.today(), application_id))

    @rpc
    def recommend_application(self, application_id, data):
        opinion = load(schemas.RecommendSchema(), data)
        return self._application(applications.recommend(self.store, application_id, opinion))

    @rpc
    def return_application(self, application_id, data):
        reasons = load(schemas.ReasonsSchema(), data)["reasons"]
        return self._application(applications.return_to_unit(self.store, application_id, reasons))

    @rpc
    def reject_application(self, application_id, data):
        reasons = load(schemas.ReasonsSchema(), data)["reasons"]
        return self._application(applications.reject(self.store, application_id, reasons))

    @rpc
    def review_application(self, application_id, data):
        stage = load(schemas.ReviewInSchema(), data)
        return self._application(applications.review(self.store, self.clock.today(), application_id, stage))

    @rpc
    def start_notice(self, application_id, data):
        notice = load(schemas.NoticeInSchema(), data)
        calendar = holidays.working_calendar(self.store)
        return self._application(applications.start_notice(self.store, calendar, self.clock.today(),
                                                           application_id, notice))

    @rpc
    def add_objection(self, application_id, data, idempotency_key=None, answer_replayed=False):
        objection = load(schemas.ObjectionInSchema(), data)
        return self._keyed(self._application(applications.add_objection(self.store, self.clock.today(),
                                                                        application_id, objection, idempotency_key)),
                           answer_replayed)

    @rpc
    def resolve_objection(self, application_id, objection_id, data):
        resolution = load(schemas.ResolveObjectionSchema(), data)
        return self._application(applications.resolve_objection(self.store, application_id, objection_id,
                                                                resolution))

    @rpc
    def designate_application(self, application_id, data=None):
        note = load(schemas.NoteSchema(), data or {})["note"]
        return self._application(applications.designate(self.store, self.clock.today(), application_id,
                                                        self.outbox.event, note))

    @rpc
    def shortlist(self, year):
        return output(schemas.ShortlistSchema).dump(applications.shortlist(self.store, year))

    # -- materials and the Excel form ----------------------------------------------------
    @rpc
    def add_material(self, application_id, kind, upload_id, idempotency_key=None, answer_replayed=False):
        """Attach the caller's finished upload (kind ``material``, shared/uploads.py) as a material."""
        upload = self.take_upload(upload_id, "material")
        summary = materials.add(self.store, application_id, kind, upload.filename, upload.content, idempotency_key)
        return self._keyed(output(schemas.MaterialSchema).dump(summary), answer_replayed)

    @rpc
    def list_materials(self, application_id):
        return output(schemas.MaterialListSchema).dump({"items": materials.list_for(self.store, application_id)})

    @rpc
    def download_material(self, application_id, material_id):
        return output(schemas.MaterialFileSchema).dump(materials.download(self.store, application_id, material_id))

    @rpc
    def application_template(self):
        content = tpool.execute(excel.build_template)
        return FileSchema().dump({"filename": "北京市技能大师工作室申报表.xlsx", "content_type": XLSX,
                                  "content_b64": base64.b64encode(content).decode()})

    @rpc
    def import_application(self, upload_id, idempotency_key=None, answer_replayed=False):
        """A draft from the caller's finished upload (kind ``application_workbook``) of the filled template."""
        data, form = form_from_workbook(self.take_upload(upload_id, "application_workbook").content)
        # the answers, not the bytes, identify the request: a workbook saved again has new timestamps
        return self._keyed(self._application(applications.create(self.store, self.clock.today(), form,
                                                                 {"xlsx": data}, idempotency_key)), answer_replayed)

    @rpc
    def start_application_import(self, upload_id, idempotency_key=None):
        """The same import as a job (shared/jobs.py), answered at once: the upload's size, type and
        sheet bounds are checked here (a quick 422); reading the cells and creating the draft run
        after the answer. One job per Idempotency-Key (or, without one, per upload): asking again
        answers the same job and imports nothing twice."""
        key = f"key:{idempotency_key}" if idempotency_key else f"upload:{upload_id}"
        existing = self.find_job(APPLICATION_IMPORT, key)
        if existing is not None:
            return existing
        content = self.take_upload(upload_id, "application_workbook").content
        files.check_size(content)
        if not files.is_xlsx(content):
            raise UnsupportedMediaType("upload the filled application template as an .xlsx workbook")
        try:
            tpool.execute(excel.check_bounds, content)  # inflation and row bounds, off the hub
        except excel.WorkbookProblem as exc:
            raise ValidationFailed(str(exc), errors=exc.errors)
        store, today = self.store, self.clock.today()

        def work(progress):
            progress(10)
            data, form = form_from_workbook(content)
            progress(80)
            created = applications.create(store, today, form, {"xlsx": data}, idempotency_key)
            return {"application_id": created["_id"], "location": f"/api/v1/applications/{created['_id']}"}
        return self.start_job(APPLICATION_IMPORT, work, key=key)

    # -- studios -------------------------------------------------------------------------
    def _studio(self, doc):
        return output(schemas.StudioSchema).dump(studios.render(doc, self.store.principal))

    @rpc
    def list_studios(self, page=1, page_size=50, year=None, status=None, tenant=None):
        return output(schemas.StudioPageSchema).dump(studios.list_page(self.store, page, page_size, year, status, tenant))

    @rpc
    def get_studio(self, studio_id):
        return self._studio(studios.get(self.store, studio_id))

    @rpc
    def create_change_request(self, studio_id, data, idempotency_key=None, answer_replayed=False):
        request = load(schemas.ChangeRequestInSchema(), data)
        if request["kind"] == LEAD_CHANGE:
            created = applications.create_lead_change(self.store, self.clock.today(), studio_id, request,
                                                      idempotency_key)
        else:
            created = studios.create_change_request(self.store, self.clock.today(), studio_id, request,
                                                    idempotency_key)
        return self._keyed(output(schemas.ChangeRequestSchema).dump(created), answer_replayed)

    @rpc
    def list_change_requests(self, studio_id):
        return output(schemas.ChangeRequestListSchema).dump(studios.list_change_requests(self.store, studio_id))

    @rpc
    def forward_change_request(self, studio_id, request_id, data=None):
        note = load(schemas.NoteSchema(), data or {})["note"]
        return output(schemas.ChangeRequestSchema).dump(studios.forward_change_request(self.store, studio_id,
                                                                                 request_id, note))

    @rpc
    def approve_change_request(self, studio_id, request_id, data=None):
        note = load(schemas.NoteSchema(), data or {})["note"]
        approved = studios.approve_change_request(self.store, self.clock.today(), studio_id, request_id, note,
                                                  self.outbox.event)
        return output(schemas.ChangeRequestSchema).dump(approved)

    @rpc
    def reject_change_request(self, studio_id, request_id, data):
        reasons = load(schemas.ReasonsSchema(), data)["reasons"]
        return output(schemas.ChangeRequestSchema).dump(studios.reject_change_request(self.store, studio_id,
                                                                                request_id, reasons))

    @rpc
    def create_revocation_request(self, studio_id, data):
        request = load(schemas.RevocationInSchema(), data)
        return output(schemas.RevocationRequestSchema).dump(studios.create_revocation(self.store, studio_id, request))

    @rpc
    def list_revocation_requests(self, studio_id):
        return output(schemas.RevocationRequestListSchema).dump(studios.list_revocations(self.store, studio_id))

    @rpc
    def decide_revocation_request(self, studio_id, request_id, data):
        decision = load(schemas.RevocationDecisionSchema(), data)
        decided = studios.decide_revocation(self.store, self.clock.today(), studio_id, request_id, decision,
                                            self.outbox.event)
        return output(schemas.RevocationRequestSchema).dump(decided)

    @event_handler(*ASSESSMENT_REVOCATION_REQUESTED, requeue_on_error=True)
    def on_assessment_revocation_requested(self, payload):
        """R-18: a failed re-assessment → a revocation request on that ground (R-20), applied once."""
        return self.inbox.apply(payload, self._revocation_requested)

    def _revocation_requested(self, event):
        if not studios.request_revocation_from_assessment(self.store.as_system(event["type"]), event):
            raise AlreadyApplied()

    # -- calendar ------------------------------------------------------------------------
    @rpc
    def get_calendar_year(self, year):
        return output(schemas.CalendarYearSchema).dump(holidays.get_year(self.store, year))

    @rpc
    def put_calendar_year(self, year, data):
        entered = load(schemas.CalendarYearInSchema(), data)
        return output(schemas.CalendarYearSchema).dump(holidays.put_year(self.store, year, entered))
