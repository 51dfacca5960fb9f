"""assessment: the biennial performance assessment with the 20 % excellent cap (R-13 … R-18).

Thin entry points: check the role, load the input through ``schemas``, call ``storage.Assessments``
(which uses the pure ``domain``), dump through ``schemas``.

Who may do what
---------------

* the city centre (and admin) organise: rubrics, rounds, studios in and out, scorer assignments,
  filled-in figures, publishing (the city bureau may publish too);
* a scorer is a city user named in the round's assignments: they see and score only the studios
  assigned to them; other city users see every studio's scores before publishing;
* after publishing, tenants read their own studios' results and units their own; before, a
  round's results answer 404 to them.

Events: ``assessment.graded`` per studio on publishing (the ledger books an excellent one's
bonus, R-21/R-25); ``assessment.revocation_requested`` for a failed re-assessment (registry
records a revocation request on the R-18 ground, R-20). Both through the outbox of the result
document they belong to. The studio read model (and ``list_studios``) comes from registry's events (shared/studios.py).
"""
from __future__ import annotations

import base64

from eventlet import tpool

from services.assessment import schemas
from services.assessment.domain.inputs import Source, autofill
from services.assessment.domain.evaluation import round_rubric
from services.assessment.domain.rounds import require_open, studio_ids
from services.assessment.domain.workbook import results_workbook
from services.assessment.storage import INDEXES, OUTBOX_COLLECTIONS, SCOPES, Assessments, round_view
from shared.errors import NotFound
from shared.inbox import Inbox
from shared.outbox import Outbox
from shared.principal import ADMIN, CITY_BUREAU, CITY_CENTER, CITY_ROLES
from shared.rpc import rpc
from shared.files import XLSX
from shared.schemas import FileSchema, dump, load
from shared.service import ServiceBase
from shared.service_calls import ServiceCalls
from shared.storage import Mongo
from shared.studios import StudioReadModel

ORGANISERS = (CITY_CENTER, ADMIN)
PUBLISHERS = (CITY_CENTER, CITY_BUREAU, ADMIN)
SCORERS = (CITY_CENTER, CITY_BUREAU, ADMIN)
INPUT_TIMEOUT_SECONDS = 30


class AssessmentService(StudioReadModel, ServiceBase):
    name = "assessment"

    store = Mongo("assessment", SCOPES, INDEXES)
    inbox = Inbox()
    outbox = Outbox(OUTBOX_COLLECTIONS)
    services = ServiceCalls()        # self.services.as_system("why").ledger.compliance_batch(...)

    def _repo(self) -> Assessments:
        return Assessments(self.store, self.clock.now(), self.clock.today())

    def _city(self):
        principal = self.caller.get()
        if principal.role not in CITY_ROLES:
            raise NotFound("not found")      # tenants and units: no existence leak
        return principal

    # -- rubrics ---------------------------------------------------------------------------
    @rpc
    def list_rubrics(self):
        self.caller.get()
        return dump(schemas.RubricListSchema(), {"items": self._repo().list_rubrics()})

    @rpc
    def get_rubric(self, version):
        self.caller.get()
        return dump(schemas.RubricSchema(), self._repo().rubric(version).to_dict())

    @rpc
    def create_rubric(self, data, idempotency_key=None):
        """A new rubric version (R-15): ``{"rubric", "created"}``."""
        self.caller.require_role(*ORGANISERS)
        req = load(schemas.RubricRequestSchema(), data)
        rubric, created = self._repo().create_rubric(req, idempotency_key)
        return {"rubric": dump(schemas.RubricSchema(), rubric), "created": created}

    # -- rounds ----------------------------------------------------------------------------
    @rpc
    def due_preview(self, year, as_of=None):
        """Who would be due in a round of ``year`` (R-14, 第二十七条, R-18), and who not and why."""
        self.caller.require_role(*ORGANISERS, CITY_BUREAU)
        req = load(schemas.DuePreviewRequestSchema(), {"year": year, "as_of": as_of})
        return dump(schemas.DuePreviewSchema(), self._repo().due_preview(req["year"], req.get("as_of")))

    @rpc
    def create_round(self, data, idempotency_key=None):
        """Open a round for a year with the studios due (plus/minus changes with reasons):
        ``{"round", "created"}``; fetches the filled-in figures once created."""
        self.caller.require_role(*ORGANISERS)
        req = load(schemas.RoundRequestSchema(), data)
        repo = self._repo()
        doc, created = repo.create_round(req, idempotency_key)
        if created:
            self._fill_in(repo, repo.round_doc(doc["id"]))
        return {"round": dump(schemas.RoundSchema(), doc), "created": created}

    @rpc
    def list_rounds(self, page=1, page_size=50, year=None, state=None):
        principal = self.caller.get()
        q = load(schemas.RoundFilterSchema(), {"year": year, "state": state})
        return dump(schemas.RoundPageSchema(), self._repo().list_rounds(
            page, page_size, q.get("year"), q.get("state"), published_only=not principal.is_city))

    @rpc
    def get_round(self, round_id):
        principal = self.caller.get()
        repo = self._repo()
        if not principal.is_city:
            return dump(schemas.RoundSchema(), round_view(repo.published_round(round_id), full=False))
        return dump(schemas.RoundSchema(), round_view(repo.round_doc(round_id)))

    @rpc
    def add_round_studio(self, round_id, data):
        self.caller.require_role(*ORGANISERS)
        req = load(schemas.RoundStudioChangeSchema(), data)
        repo = self._repo()
        doc = repo.add_studio(round_id, req["studio_id"], req["reason"])
        self._fill_in(repo, repo.round_doc(round_id), [req["studio_id"]])
        return dump(schemas.RoundSchema(), doc)

    @rpc
    def remove_round_studio(self, round_id, data):
        self.caller.require_role(*ORGANISERS)
        req = load(schemas.RoundStudioChangeSchema(), data)
        return dump(schemas.RoundSchema(), self._repo().remove_studio(round_id, req["studio_id"], req["reason"]))

    @rpc
    def assign_scorers(self, round_id, data):
        self.caller.require_role(*ORGANISERS)
        req = load(schemas.AssignmentsSchema(), data)
        return dump(schemas.RoundSchema(), self._repo().assign(round_id, req["assignments"]))

    @rpc
    def refresh_inputs(self, round_id):
        """Fetch the filled-in figures again (ledger, reporting, supervision): per source, whether it answered."""
        self.caller.require_role(*ORGANISERS)
        repo = self._repo()
        doc = repo.round_doc(round_id)
        require_open(doc)
        return {"round_id": round_id, "sources": self._fill_in(repo, doc)}

    def _fill_in(self, repo: Assessments, doc: dict, only: list | None = None) -> dict:
        ids = only or studio_ids(doc)
        if not ids:
            return {}
        calls = self.services.as_system(f"assessment round {doc['_id']} ({doc['year']}): filled-in indicators")
        sources, status = {}, {}
        asks = {
            "ledger": lambda: calls.ledger.compliance_batch(ids, next_assessment_at=doc["as_of"],
                                                            timeout=INPUT_TIMEOUT_SECONDS),
            "reporting": lambda: calls.reporting.report_digest(doc["year"], studio_ids=ids,
                                                               timeout=INPUT_TIMEOUT_SECONDS),
            "supervision": lambda: calls.supervision.inspection_digest(doc["year"], studio_ids=ids,
                                                                       timeout=INPUT_TIMEOUT_SECONDS),
        }
        for service, ask in asks.items():
            try:
                sources[service] = Source.of(service, ask())
            except Exception as exc:          # noqa: BLE001 - did not answer, refused, no such RPC yet, …
                sources[service] = Source.failed(service, exc)
            status[service] = sources[service].status()
        rubric = round_rubric(doc)
        repo.save_inputs(doc, {sid: autofill(rubric, sid, sources) for sid in ids}, status)
        return status

    # -- scores ----------------------------------------------------------------------------
    @rpc
    def list_scores(self, round_id, page=1, page_size=50):
        """The scoring sheets: filled-in figures with their source, what the experts score, the entries."""
        self._city()
        return dump(schemas.ScoreSheetPageSchema(), self._repo().score_sheets(round_id, page, page_size))

    @rpc
    def enter_scores(self, round_id, studio_id, data):
        """One expert's scores of one studio (assigned to them); entering again corrects them."""
        self.caller.require_role(*SCORERS)
        req = load(schemas.ScoreEntrySchema(), data)
        return dump(schemas.ScoreEntryResultSchema(), self._repo().enter_scores(round_id, studio_id, req["scores"]))

    # -- grading and publishing ---------------------------------------------------------------
    @rpc
    def grade_preview(self, round_id):
        """R-16 applied to the scores as they stand: grades, the caps and the order; nothing is stored."""
        self._city()
        repo = self._repo()
        doc = repo.round_doc(round_id)
        results, summary = repo.evaluate(doc)
        return dump(schemas.GradingSchema(), {"round_id": round_id, "state": doc["state"], "summary": summary,
                                              "items": sorted(results.values(),
                                                              key=lambda r: (r["rank"] or 10**9, r["studio_id"]))})

    @rpc
    def publish_round(self, round_id):
        """Publish (R-16): results visible to tenants and units, ``assessment.graded`` per studio."""
        self.caller.require_role(*PUBLISHERS)
        return dump(schemas.RoundSchema(), self._repo().publish(round_id, self.outbox.event))

    @rpc
    def list_results(self, round_id, page=1, page_size=50, tenant_id=None, grade=None):
        """Published results, as the caller may see them (city: all; tenant: its studios; unit: its own).
        A city user may read an unpublished round's results through ``grade_preview``."""
        self.caller.get()
        q = load(schemas.ResultFilterSchema(), {"tenant_id": tenant_id, "grade": grade})
        repo = self._repo()
        repo.published_round(round_id)
        return dump(schemas.ResultPageSchema(), repo.result_page(round_id, page, page_size, q.get("tenant_id"),
                                                                 q.get("grade")))

    @rpc
    def results_xlsx(self, round_id, tenant_id=None):
        """The results workbook in Chinese: ``{"filename", "content_b64"}`` (the caller's studios)."""
        self.caller.get()
        repo = self._repo()
        doc = repo.published_round(round_id)
        rows = repo.result_rows(round_id, tenant_id or None)
        shown = {r["studio_id"] for r in rows}
        book = {**doc, "studios": [s for s in doc["studios"] if s["studio_id"] in shown],
                "results": {r["studio_id"]: r for r in rows},
                "summary": doc.get("summary") if self.caller.get().is_city and not tenant_id else None}
        content = tpool.execute(results_workbook, book)     # CPU-bound: off the eventlet hub
        name = f"绩效考核结果-{doc['year']}" + (f"-{tenant_id}" if tenant_id else "") + ".xlsx"
        return dump(FileSchema(), {"filename": name, "content_type": XLSX,
                                   "content_b64": base64.b64encode(content).decode("ascii")})

    @rpc
    def studio_record(self, studio_id):
        """A studio's assessment record: last assessed, rectification due, national recommendation."""
        self.caller.get()
        return dump(schemas.AssessmentRecordSchema(), self._repo().record(studio_id))
