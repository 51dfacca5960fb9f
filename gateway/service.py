"""gateway: the one HTTP door. Thin routes: read the request, call a service, answer.

Authentication, roles, body limits, problem+json and request logging live in the ``route``
entrypoint (gateway/http.py); tenant scoping is enforced again by every service.
"""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import eventlet
from kombu import Connection
from nameko.dependency_providers import Config

from gateway.auth import Tokens
from gateway.clients import Services
from gateway.http import route
from gateway.openapi import build_spec
from gateway.problems import as_domain_error
from gateway.routes.applications import ApplicationRoutes
from gateway.routes.audit import AuditRoutes
from gateway.routes.directory import DirectoryRoutes
from gateway.routes.ledger import LedgerRoutes
from gateway.routes.studios import StudioRoutes
from gateway.security import LoginThrottle
from gateway.sessions import TokenStates
import services.registry.schemas as registry
from shared.errors import Unauthenticated, ValidationFailed
from shared.logs import EntrypointLogger
from shared.principal import ADMIN, Principal
from shared.schemas import load

SERVICE_NAMES = ("registry", "reporting", "supervision", "assessment", "ledger", "audit")

try:
    VERSION = version("skillmaster")
except PackageNotFoundError:  # running from a source tree without install
    VERSION = "0.0.0"


class GatewayService(DirectoryRoutes, ApplicationRoutes, StudioRoutes, LedgerRoutes, AuditRoutes):
    """Route groups are mixins (gateway/routes/*.py); nameko finds entry points on base classes."""
    name = "gateway"

    config = Config()
    services = Services()
    tokens = Tokens()
    login_attempts = LoginThrottle()
    token_states = TokenStates()
    entrypoint_log = EntrypointLogger()

    # -- health and docs --------------------------------------------------------------
    @route("GET", "/healthz", public=True, summary="Liveness: the gateway process answers", tags=["health"])
    def healthz(self, request):
        return {"status": "ok"}

    @route("GET", "/readyz", public=True, tags=["health"],
           summary="Readiness: broker reachable and every service answers ping within 2 s",
           responses={503: {"description": "Not ready: the body names what does not answer",
                                "content": {"application/json": {"schema": {"type": "object"}}}}})
    def readyz(self, request):
        config_timeout = float(self.config.get("READY_PING_TIMEOUT_SECONDS", 2))
        report = {"broker": self._broker_reachable(), "services": {}}
        pool = eventlet.GreenPool(len(SERVICE_NAMES))

        def ping(name):
            try:
                return name, self.services.call(name, "ping", timeout=config_timeout)
            except Exception as exc:  # any failure means "not ready": say which and why
                return name, {"status": "unavailable", "detail": str(getattr(exc, "detail", exc))}

        for name, answer in pool.imap(ping, SERVICE_NAMES):
            report["services"][name] = answer
        down = [n for n, a in report["services"].items() if a.get("status") != "ok"]
        ready = report["broker"] == "ok" and not down
        report["status"] = "ready" if ready else "not ready"
        if down:
            report["unavailable"] = down
        return (200 if ready else 503), report

    def _broker_reachable(self) -> str:
        try:
            with Connection(self.config["AMQP_URI"], connect_timeout=2) as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            return "ok"
        except Exception as exc:
            return f"unreachable: {exc}"

    @route("GET", "/api/v1/openapi.json", public=True, summary="This API's OpenAPI 3 document", tags=["health"])
    def openapi(self, request):
        return build_spec(type(self), VERSION)

    # -- auth -------------------------------------------------------------------------
    @route("POST", "/api/v1/auth/token", public=True, body=registry.LoginSchema, response=registry.TokenSchema,
           summary="Log in with user name and password; returns a bearer token and your principal",
           tags=["auth"], responses={401: "Wrong user name or password",
                                     429: "Too many failed logins for this user or from this address: "
                                          "refused for a while (Retry-After), at most 15 minutes"})
    def token(self, request):
        credentials = load(registry.LoginSchema(), request.body_json)
        address = request.remote_addr or "unknown"
        self.login_attempts.check(credentials["username"], address)
        try:
            principal = self.services.registry.authenticate(**credentials)
        except Exception as exc:
            if isinstance(as_domain_error(exc), Unauthenticated):
                eventlet.sleep(self.login_attempts.failed(credentials["username"], address))
            raise
        self.login_attempts.succeeded(credentials["username"])
        version = principal.pop("token_version", 0) or 0
        issued = self.tokens(Principal(user=principal["user"], role=principal["role"],
                                       tenant_id=principal["tenant_id"], unit_id=principal["unit_id"]),
                             token_version=version)
        self.token_states.remember(principal["user"], {"version": version, "disabled": False})
        return {**issued, "principal": principal}

    @route("POST", "/api/v1/auth/logout", summary="Log out: every token of yours issued so far stops working",
           tags=["auth"], response=registry.TokenStateSchema)
    def logout(self, request):
        state = self.services.registry.revoke_my_tokens()
        self.token_states.remember(request.principal.user, state)
        return state

    @route("POST", "/api/v1/auth/password", summary="Change your password; every token of yours stops working",
           tags=["auth"], body=registry.PasswordChangeSchema, response=registry.TokenStateSchema)
    def change_password(self, request):
        state = self.services.registry.change_my_password(request.body_json)
        self.token_states.remember(request.principal.user, state)
        return state

    @route("PUT", "/api/v1/users/<username>/disabled", summary="Disable a user (no login, its tokens void) "
           "or enable it again", tags=["directory"], roles=(ADMIN,), body=registry.UserDisabledSchema,
           response=registry.TokenStateSchema)
    def set_user_disabled(self, request, username):
        state = self.services.registry.set_user_disabled(username, request.body_json)
        self.token_states.remember(username, state)
        return state

    @route("GET", "/api/v1/me", summary="Who you are (your principal)", tags=["auth"],
           response=registry.PrincipalSchema)
    def me(self, request):
        p = request.principal
        return {"user": p.user, "role": p.role, "tenant_id": p.tenant_id, "unit_id": p.unit_id}

    # -- operations -------------------------------------------------------------------
    @route("GET", "/api/v1/admin/dead-letters", tags=["admin"], roles=(ADMIN,),
           summary="Events parked after failing every retry, all services (up to 500 each)")
    def list_dead_letters(self, request):
        items = []
        for name in SERVICE_NAMES:
            items.extend(self.services.call(name, "list_dead_letters", page_size=500)["items"])
        return {"items": items, "total": len(items)}

    @route("POST", f"/api/v1/admin/dead-letters/<any({','.join(SERVICE_NAMES)}):service>/<dead_letter_id>/replay", tags=["admin"],
           roles=(ADMIN,), summary="Send a parked event to its handler again (after the cause is fixed)")
    def replay_dead_letter(self, request, service, dead_letter_id):
        if service not in SERVICE_NAMES:
            raise ValidationFailed("unknown service", errors={"service": f"one of {', '.join(SERVICE_NAMES)}"})
        return self.services.call(service, "replay_dead_letter", dead_letter_id)
