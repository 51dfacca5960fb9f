"""Logging in (a bearer token from the registry's check of user name and password) and who you are."""
from __future__ import annotations

import eventlet

from gateway.problems import as_domain_error
from gateway.routing import RouteGroup, route
import services.registry.schemas as registry
from shared.errors import Forbidden, NotFound, ServiceUnavailable, Unauthenticated
from shared.principal import ADMIN, Principal
from shared.schemas import load


class AuthRoutes(RouteGroup):
    @route("POST", "/api/v1/auth/token", public=True, body=registry.LoginSchema, response=registry.TokenSchema,
           summary="Log in with user name and password; returns a bearer token and your principal",
           tags=["auth"], responses={401: "Wrong user name or password",
                                     429: "Too many failed logins for this user or from this address: "
                                          "refused for a while (Retry-After), at most 15 minutes"})
    def token(self, request):
        credentials = load(registry.LoginSchema(), request.body_json)
        attempts = self.gateway.login_attempts          # gateway/security.py
        address = request.remote_addr or "unknown"
        attempts.check(credentials["username"], address)
        try:
            principal = self.services.registry.authenticate(**credentials)
        except Exception as exc:
            if isinstance(as_domain_error(exc), Unauthenticated):
                eventlet.sleep(attempts.failed(credentials["username"], address))
            raise
        attempts.succeeded(credentials["username"])
        version = principal.pop("token_version", 0) or 0
        issued = self.gateway.tokens(Principal(user=principal["user"], role=principal["role"],
                                               tenant_id=principal["tenant_id"], unit_id=principal["unit_id"]),
                                     token_version=version)
        self.gateway.token_states.remember(principal["user"], {"version": version, "disabled": False})
        return {**issued, "principal": principal}

    # -- token revocation (gateway/sessions.py) ---------------------------------------------
    @route("POST", "/api/v1/auth/logout", summary="Log out: every token of yours issued so far stops working",
           tags=["auth"], response=registry.TokenStateSchema)
    def logout(self, request):
        state = self.services.registry.revoke_my_tokens()
        self.gateway.token_states.remember(request.principal.user, state)
        return state

    @route("POST", "/api/v1/auth/password", summary="Change your password; every token of yours stops working",
           tags=["auth"], body=registry.PasswordChangeSchema, response=registry.TokenStateSchema)
    def change_password(self, request):
        state = self.services.registry.change_my_password(request.body_json)
        self.gateway.token_states.remember(request.principal.user, state)
        return state

    @route("PUT", "/api/v1/users/<username>/disabled", summary="Disable a user (no login, its tokens void) "
           "or enable it again", tags=["directory"], roles=(ADMIN,), body=registry.UserDisabledSchema,
           response=registry.TokenStateSchema)
    def set_user_disabled(self, request, username):
        state = self.services.registry.set_user_disabled(username, request.body_json)
        self.gateway.token_states.remember(username, state)
        return state

    @route("GET", "/api/v1/me", summary="Who you are (your principal) and the names of your tenant and unit",
           tags=["auth"], response=registry.MeSchema)
    def me(self, request):
        p = request.principal
        return {"user": p.user, "role": p.role, "tenant_id": p.tenant_id, "unit_id": p.unit_id,
                "tenant_name": self._name_of("get_tenant", p.tenant_id),
                "unit_name": self._name_of("get_unit", p.unit_id)}

    def _name_of(self, method: str, id_: str | None) -> str | None:
        """The name of your tenant or unit (the registry's ``get_tenant``/``get_unit``), or None:
        you have none, or it cannot be read now (who you are is answered anyway)."""
        if not id_:
            return None
        try:
            return getattr(self.services.registry, method)(id_).get("name")
        except (NotFound, Forbidden, ServiceUnavailable):
            return None
