"""Logging in (a bearer token from the registry's check of user name and password) and who you are."""
from __future__ import annotations

from gateway.routing import RouteGroup, route
import services.registry.schemas as registry
from shared.principal import Principal
from shared.schemas import load


class AuthRoutes(RouteGroup):
    @route("POST", "/api/v1/auth/token", public=True, body=registry.LoginSchema, response=registry.TokenSchema,
           summary="Log in with user name and password; returns a bearer token and your principal",
           tags=["auth"], responses={401: "Wrong user name or password"})
    def token(self, request):
        credentials = load(registry.LoginSchema(), request.body_json)
        principal = self.services.registry.authenticate(**credentials)
        issued = self.gateway.tokens(Principal(user=principal["user"], role=principal["role"],
                                               tenant_id=principal["tenant_id"], unit_id=principal["unit_id"]))
        return {**issued, "principal": principal}

    @route("GET", "/api/v1/me", summary="Who you are (your principal)", tags=["auth"],
           response=registry.PrincipalSchema)
    def me(self, request):
        p = request.principal
        return {"user": p.user, "role": p.role, "tenant_id": p.tenant_id, "unit_id": p.unit_id}
