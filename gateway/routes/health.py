"""Liveness, readiness (every service of config ``SERVICES`` answers ``ping``) and the OpenAPI document."""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import eventlet
from kombu import Connection

from gateway.openapi import build_spec
from gateway.routing import RouteGroup, route
from shared.config import service_names
from shared.supervise import run_processes

try:
    VERSION = version("skillmaster")
except PackageNotFoundError:  # running from a source tree without install
    VERSION = "0.0.0"


def broker_reachable(amqp_uri: str) -> str:
    try:
        with Connection(amqp_uri, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception as exc:
        return f"unreachable: {exc}"


def ask_every_service(services, config, method: str, timeout: float | None = None) -> dict:
    """``{service: answer}`` of ``method`` called on every service at once; a failure is the answer
    ``{"status": "unavailable", "detail": ...}``."""
    names = service_names(config)
    pool = eventlet.GreenPool(len(names))

    def ask(name):
        try:
            return name, services.call(name, method, timeout=timeout)
        except Exception as exc:  # any failure means "not ready": say which and why
            return name, {"status": "unavailable", "detail": str(getattr(exc, "detail", exc))}

    return dict(pool.imap(ask, names))


class HealthRoutes(RouteGroup):
    @route("GET", "/healthz", public=True, summary="Liveness: the gateway process answers", tags=["health"])
    def healthz(self, request):
        return {"status": "ok"}

    @route("GET", "/readyz", public=True, tags=["health"],
           summary="Readiness: broker reachable and every service answers ping within 2 s",
           responses={503: {"description": "Not ready: the body names what does not answer",
                                "content": {"application/json": {"schema": {"type": "object"}}}}})
    def readyz(self, request):
        timeout = float(self.config.get("READY_PING_TIMEOUT_SECONDS", 2))
        report = {"broker": broker_reachable(self.config["AMQP_URI"]),
                  "services": ask_every_service(self.services, self.config, "ping", timeout)}
        down = [n for n, a in report["services"].items() if a.get("status") != "ok"]
        ready = report["broker"] == "ok" and not down
        report["status"] = "ready" if ready else "not ready"
        if down:
            report["unavailable"] = down
        processes = run_processes(self.config.get("RUN_STATE_FILE"))
        if processes is not None:  # under make run: each process's restarts (shared/supervise.py)
            report["processes"] = processes
        return (200 if ready else 503), report

    @route("GET", "/api/v1/openapi.json", public=True, summary="This API's OpenAPI 3 document", tags=["health"])
    def openapi(self, request):
        return build_spec(self.gateway.route_table, VERSION)
