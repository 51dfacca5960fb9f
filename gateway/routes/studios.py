"""Studio routes: the register, change requests (R-19) and revocation requests (R-20) (registry)."""
from __future__ import annotations

from gateway.contract import one_of, param, year
from gateway.http import idempotency_key, query_args
from gateway.replays import marked
from gateway.responses import PAGING, PAGING_ARGS
from gateway.routing import RouteGroup, route
import services.registry.schemas as registry
from shared.principal import CITY_BUREAU, CITY_CENTER, TENANT, UNIT

STUDIO = "/api/v1/studios/<studio_id>"
CHANGE = f"{STUDIO}/change-requests/<request_id>"


class StudioRoutes(RouteGroup):
    @route("GET", "/api/v1/studios", summary="Studios you can see", tags=["studios"],
           response=registry.StudioPageSchema,
           query={**PAGING, "year": year("designation year"), "status": one_of("the studio's state", registry.STUDIO_STATES),
                  "tenant": param("string", "a tenant id (city roles)")})
    def list_studios(self, request):
        return self.services.registry.list_studios(**query_args(request, *PAGING_ARGS, "year", "status",
                                                                "tenant"))

    @route("GET", STUDIO, summary="One studio: lead (and former leads), unit, address, nameplate, changes",
           tags=["studios"], response=registry.StudioSchema)
    def get_studio(self, request, studio_id):
        return self.services.registry.get_studio(studio_id)

    # -- changes (R-19) ------------------------------------------------------------------
    @route("POST", f"{STUDIO}/change-requests", tags=["studios"], roles=(UNIT, TENANT),
           body=registry.ChangeRequestInSchema, response=registry.ChangeRequestSchema, status=201,
           summary="Request a change: lead_change (an application through the whole path), rehire, "
                   "delayed_retirement, unit_rename, relocation")
    def create_change_request(self, request, studio_id):
        return marked(self.services.registry.create_change_request(studio_id, request.body_json, answer_replayed=True,
                                                                   idempotency_key=idempotency_key(request)))

    @route("GET", f"{STUDIO}/change-requests", tags=["studios"], response=registry.ChangeRequestListSchema,
           summary="A studio's change requests (lead changes show their application's status)")
    def list_change_requests(self, request, studio_id):
        return self.services.registry.list_change_requests(studio_id)

    @route("POST", f"{CHANGE}/forward", tags=["studios"], roles=(TENANT,), body=registry.NoteSchema,
           response=registry.ChangeRequestSchema, summary="The tenant checked it and forwards it to the centre")
    def forward_change_request(self, request, studio_id, request_id):
        return self.services.registry.forward_change_request(studio_id, request_id, request.body_json)

    @route("POST", f"{CHANGE}/approve", tags=["studios"], roles=(CITY_CENTER,), body=registry.NoteSchema,
           response=registry.ChangeRequestSchema,
           summary="The employment centre approves: the studio changes, studio.changed is published")
    def approve_change_request(self, request, studio_id, request_id):
        return self.services.registry.approve_change_request(studio_id, request_id, request.body_json)

    @route("POST", f"{CHANGE}/reject", tags=["studios"], roles=(TENANT, CITY_CENTER), body=registry.ReasonsSchema,
           response=registry.ChangeRequestSchema, summary="Reject a change request with reasons")
    def reject_change_request(self, request, studio_id, request_id):
        return self.services.registry.reject_change_request(studio_id, request_id, request.body_json)

    # -- revocation (R-20) ---------------------------------------------------------------
    @route("POST", f"{STUDIO}/revocation-requests", tags=["studios"], roles=(TENANT,),
           body=registry.RevocationInSchema, response=registry.RevocationRequestSchema, status=201,
           summary="The tenant requests revocation on an R-20 ground")
    def create_revocation_request(self, request, studio_id):
        return self.services.registry.create_revocation_request(studio_id, request.body_json)

    @route("GET", f"{STUDIO}/revocation-requests", tags=["studios"], response=registry.RevocationRequestListSchema,
           summary="A studio's revocation requests")
    def list_revocation_requests(self, request, studio_id):
        return self.services.registry.list_revocation_requests(studio_id)

    @route("POST", f"{STUDIO}/revocation-requests/<request_id>/decision", tags=["studios"], roles=(CITY_BUREAU,),
           body=registry.RevocationDecisionSchema, response=registry.RevocationRequestSchema,
           summary="The city bureau decides; approval revokes the studio and publishes studio.revoked")
    def decide_revocation_request(self, request, studio_id, request_id):
        return self.services.registry.decide_revocation_request(studio_id, request_id, request.body_json)
