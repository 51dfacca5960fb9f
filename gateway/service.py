"""gateway: the one HTTP door. Thin routes: read the request, call a service, answer.

Routes live in route groups (gateway/routes/<group>.py, one class each, see gateway/routing.py);
``ROUTES`` registers them. Authentication, roles, body limits, problem+json and request logging
live in the entrypoint (gateway/http.py); tenant scoping is enforced again by every service.
"""
from __future__ import annotations

from nameko.dependency_providers import Config

from gateway.auth import Tokens
from gateway.clients import Services
from gateway.console import console_pages
from gateway.routes.admin import AdminRoutes
from gateway.routes.applications import ApplicationRoutes
from gateway.routes.assessment import AssessmentRoutes
from gateway.routes.audit import AuditRoutes
from gateway.routes.auth import AuthRoutes
from gateway.routes.directory import DirectoryRoutes
from gateway.routes.health import HealthRoutes
from gateway.routes.jobs import JobRoutes
from gateway.routes.ledger import LedgerRoutes
from gateway.routes.reporting import ReportingRoutes
from gateway.routes.studios import StudioRoutes
from gateway.routes.supervision import SupervisionRoutes
from gateway.routing import RouteTable
from gateway.security import LoginThrottle
from gateway.sessions import TokenStates
from shared.logs import EntrypointLogger

# Every route group, one line each. Raises RouteClash if two share a route name or method and path.
ROUTES = RouteTable(
    HealthRoutes,
    AuthRoutes,
    AdminRoutes,
    DirectoryRoutes,
    ApplicationRoutes,
    StudioRoutes,
    LedgerRoutes,
    AssessmentRoutes,
    ReportingRoutes,
    SupervisionRoutes,
    JobRoutes,
    AuditRoutes,
)


class GatewayService:
    name = "gateway"
    route_table = ROUTES

    config = Config()
    services = Services()
    tokens = Tokens()
    login_attempts = LoginThrottle()
    token_states = TokenStates()
    entrypoint_log = EntrypointLogger()

    @ROUTES.entrypoint
    def dispatch(self, route, request, **path_values):
        """Every route's worker: check that the bearer token was not revoked (gateway/sessions.py),
        answer a replay with the first answer (gateway/replays.py), else run the route's handler
        on a group instance bound to this worker."""
        if getattr(request, "principal", None) is not None:
            self.token_states.check(self.services, request.principal.user, request.token_version)
        if getattr(request, "replay_key", None):
            first = request.first_answers.replay(request.replay_key, request.replay_fingerprint)
            if first is not None:
                return first
        return route.handler(route.group(self), request, **path_values)

    @console_pages
    def console(self, request, **path_values):
        """The web console's files and the API reference (gateway/console.py; answered without a worker)."""
