"""Assessment routes: the biennial performance assessment (绩效考核, R-13 … R-18): who is due,
rounds and their studios, rubrics, scorers and expert scores, the grade preview with the 20 %
and budget caps, publishing, and the results as JSON and .xlsx (assessment service)."""
from __future__ import annotations

from gateway.contract import one_of, param
from gateway.http import idempotency_key, query_args
from gateway.replays import REPLAYED
from gateway.responses import PAGING, PAGING_ARGS, XLSX, xlsx_response
from gateway.routing import RouteGroup, route
import services.assessment.schemas as assessment
from shared.principal import ADMIN, CITY_BUREAU, CITY_CENTER

ROUNDS = "/api/v1/assessment-rounds"
ROUND = f"{ROUNDS}/<round_id>"
ORGANISERS = (CITY_CENTER, ADMIN)
CITY = (CITY_CENTER, CITY_BUREAU, ADMIN, "finance")
TAGS = ["assessment"]
YEAR = {"year": param("integer", "the round's year, e.g. 2026", minimum=2000, maximum=2100)}
TENANT_FILTER = {"tenant_id": param("string", "one tenant (city roles)", max_length=64)}


class AssessmentRoutes(RouteGroup):
    # -- rubrics (R-15) -----------------------------------------------------------------------
    @route("GET", "/api/v1/rubrics", tags=TAGS, response=assessment.RubricListSchema,
           summary="Rubric versions (R-15): indicators under the five headings, weights, maxima, guidance, "
                   "pass threshold and excellent line; version 1 is the default shipped")
    def list_rubrics(self, request):
        return self.services.assessment.list_rubrics()

    @route("GET", "/api/v1/rubrics/<int(min=1,max=1000000):version>", tags=TAGS, response=assessment.RubricSchema,
           summary="One rubric version")
    def get_rubric(self, request, version):
        return self.services.assessment.get_rubric(version)

    @route("POST", "/api/v1/rubrics", tags=TAGS, roles=ORGANISERS, body=assessment.RubricRequestSchema,
           response=assessment.RubricSchema, status=201, idempotent_key=True,
           summary="Save a new rubric version (weights add up to 100); rounds keep the version they used")
    def create_rubric(self, request):
        out = self.services.assessment.create_rubric(request.body_json, idempotency_key(request))
        # a replay the service recognised (e.g. after a gateway restart): the first answer's status again
        return 201, out["rubric"], ({} if out["created"] else {REPLAYED: "true"})

    # -- rounds (R-14) ------------------------------------------------------------------------
    @route("GET", f"{ROUNDS}/due", tags=TAGS, roles=(*ORGANISERS, CITY_BUREAU), response=assessment.DuePreviewSchema,
           query={"year": param("integer", "the round's year, e.g. 2026", required=True, minimum=2023, maximum=2100),
                  "as_of": param("string", "ISO date to judge at (default today, or 31 December of the year)",
                                 format="date")},
           summary="Who is due (R-14 two full years, 第二十七条 transitional batches, R-18 re-assessment) "
                   "and who is not and why, before a round is opened")
    def assessment_due_preview(self, request):
        return self.services.assessment.due_preview(**query_args(request, "year", "as_of"))

    @route("GET", ROUNDS, tags=TAGS, response=assessment.RoundPageSchema,
           query={**PAGING, **YEAR, "state": one_of("the round's state", assessment.ROUND_STATES)},
           summary="Assessment rounds (tenants and units: published ones)")
    def list_assessment_rounds(self, request):
        return self.services.assessment.list_rounds(**query_args(request, *PAGING_ARGS, "year", "state"))

    @route("POST", ROUNDS, tags=TAGS, roles=ORGANISERS, body=assessment.RoundRequestSchema,
           response=assessment.RoundSchema, status=201, idempotent_key=True,
           summary="Open a round for a year with the studios due, plus or minus studios with reasons; "
                   "the bonus budget caps the excellent grades (R-16); the filled-in figures are fetched")
    def create_assessment_round(self, request):
        out = self.services.assessment.create_round(request.body_json, idempotency_key(request))
        # a replay the service recognised (e.g. after a gateway restart): the first answer's status again
        return 201, out["round"], ({} if out["created"] else {REPLAYED: "true"})

    @route("GET", ROUND, tags=TAGS, response=assessment.RoundSchema,
           summary="A round: its studios and why each is in, history, rubric copy, assignments, summary")
    def get_assessment_round(self, request, round_id):
        return self.services.assessment.get_round(round_id)

    @route("POST", f"{ROUND}/studios", tags=TAGS, roles=ORGANISERS, body=assessment.RoundStudioChangeSchema,
           response=assessment.RoundSchema, summary="Add a studio to an open round, with a reason (kept in history)")
    def add_assessment_round_studio(self, request, round_id):
        return self.services.assessment.add_round_studio(round_id, request.body_json)

    @route("POST", f"{ROUND}/removals", tags=TAGS, roles=ORGANISERS, body=assessment.RoundStudioChangeSchema,
           response=assessment.RoundSchema,
           summary="Remove a studio from an open round, with a reason (kept in history)")
    def remove_assessment_round_studio(self, request, round_id):
        return self.services.assessment.remove_round_studio(round_id, request.body_json)

    @route("POST", f"{ROUND}/inputs", tags=TAGS, roles=ORGANISERS, response=assessment.InputsRefreshSchema,
           summary="Fetch the filled-in figures again (ledger, reporting, supervision); unavailable "
                   "sources are named with the reason")
    def refresh_assessment_inputs(self, request, round_id):
        return self.services.assessment.refresh_inputs(round_id)

    # -- scorers and scores (R-15) ------------------------------------------------------------
    @route("PUT", f"{ROUND}/scorers", tags=TAGS, roles=ORGANISERS, body=assessment.AssignmentsSchema,
           response=assessment.RoundSchema,
           summary="Assign studios to scorers (user names of city users); a scorer sees only theirs")
    def assign_assessment_scorers(self, request, round_id):
        return self.services.assessment.assign_scorers(round_id, request.body_json)

    @route("GET", f"{ROUND}/scores", tags=TAGS, roles=CITY, response=assessment.ScoreSheetPageSchema, query=PAGING,
           summary="Scoring sheets: filled-in indicators with their source, what experts score, the entries "
                   "(a scorer: only the studios assigned to them)")
    def list_assessment_scores(self, request, round_id):
        return self.services.assessment.list_scores(round_id, **query_args(request, *PAGING_ARGS))

    @route("PUT", f"{ROUND}/scores/<studio_id>", tags=TAGS, roles=(CITY_CENTER, CITY_BUREAU, ADMIN),
           body=assessment.ScoreEntrySchema, response=assessment.ScoreEntryResultSchema,
           summary="Your scores of a studio assigned to you (0 … each indicator's maximum); again to correct")
    def enter_assessment_scores(self, request, round_id, studio_id):
        return self.services.assessment.enter_scores(round_id, studio_id, request.body_json)

    # -- grading, publishing, results (R-16 … R-18) ----------------------------------------------
    @route("GET", f"{ROUND}/grade", tags=TAGS, roles=CITY, response=assessment.GradingSchema,
           summary="Preview of the grades (R-16): fail below the threshold; excellent to the highest, at most "
                   "20 % of the studios assessed and the bonus budget ÷ 200,000 CNY; the documented tie rule")
    def preview_assessment_grades(self, request, round_id):
        return self.services.assessment.grade_preview(round_id)

    @route("POST", f"{ROUND}/publish", tags=TAGS, roles=(CITY_CENTER, CITY_BUREAU, ADMIN),
           response=assessment.RoundSchema, idempotent_key=True,
           summary="Publish: results become visible to tenants and units; assessment.graded per studio "
                   "(excellent → bonus, R-17/R-21); fail → rectification; failed re-assessment → "
                   "revocation request (R-18). Publishing again changes nothing")
    def publish_assessment_round(self, request, round_id):
        return self.services.assessment.publish_round(round_id)

    @route("GET", f"{ROUND}/results", tags=TAGS, response=assessment.ResultPageSchema,
           query={**PAGING, **TENANT_FILTER, "grade": one_of("the grade", assessment.GRADES)},
           summary="Published results: every indicator's score, the combined score, the grade and its "
                   "consequences (tenants: their studios; units: their own)")
    def list_assessment_results(self, request, round_id):
        return self.services.assessment.list_results(round_id, **query_args(request, *PAGING_ARGS, "tenant_id",
                                                                            "grade"))

    @route("GET", f"{ROUND}/results.xlsx", tags=TAGS, produces=(XLSX,),
           query=TENANT_FILTER,
           summary="The published results as an .xlsx workbook in Chinese: one row a studio")
    def assessment_results_xlsx(self, request, round_id):
        return xlsx_response(self.services.assessment.results_xlsx(round_id, **query_args(request, "tenant_id")))

    @route("GET", "/api/v1/studios/<studio_id>/assessment", tags=TAGS, response=assessment.AssessmentRecordSchema,
           summary="A studio's assessment record: last assessed, rectification due (R-18), national "
                   "recommendation (R-17)")
    def studio_assessment_record(self, request, studio_id):
        return self.services.assessment.studio_record(studio_id)
