"""The gateway's HTTP entrypoint: one ``ApiRoute`` per route of the route table (gateway/routing.py).

Before a worker runs, the entrypoint gives the request an id, authenticates the bearer
token, checks the role, bounds and parses the body, and puts ``principal`` and
``request_id`` into the worker's context data (from where nameko forwards them with every
RPC). Every answer is JSON or problem+json, and each request is logged as one JSON line.
The route's metadata (schemas, roles, summary) is what ``gateway/openapi.py`` documents.
"""
from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import date, datetime
from decimal import Decimal
from functools import partial

from eventlet.event import Event
from nameko.web.handlers import HttpRequestHandler
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from gateway.audit import AuditTrail
from gateway.auth import principal_from_request
from gateway.contract import check_request
from gateway.problems import problem_response
from gateway.replays import REPLAYED, FirstAnswers, creates
from gateway.security import secure_headers
from gateway.server import ProblemWebServer
from gateway.routing import NONE, UPLOAD, Route
from shared.errors import BadRequest, Forbidden, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from shared.logs import log_event
from shared.principal import PRINCIPAL_KEY, REQUEST_ID_KEY
from shared.rpc import QuickSignatureCheck

log = logging.getLogger("skillmaster.gateway.request")


class ApiRoute(QuickSignatureCheck, HttpRequestHandler):
    """The nameko HTTP entrypoint of one route (gateway/routing.py ``Route``); every one runs the
    gateway's ``dispatch`` worker method with the route as its first argument."""
    server = ProblemWebServer()     # problem+json and security headers where no route runs too
    audit_trail = AuditTrail()      # every write answered is recorded (gateway/audit.py)
    first_answers = FirstAnswers()  # replays of creating writes (gateway/replays.py)

    def __init__(self, api_route: Route, **kwargs):
        self.route = api_route
        super().__init__(api_route.method, api_route.url, **kwargs)

    @property
    def operation(self) -> str:
        """The route's name (for logs: every route's worker method is ``dispatch``)."""
        return self.route.name

    # -- request handling ---------------------------------------------------------------
    def handle_request(self, request):
        request.shallow = False
        started = time.monotonic()
        request_id = (request.headers.get("X-Request-Id") or uuid.uuid4().hex)[:64]
        principal = None
        try:
            config = self.container.config
            context_data = {REQUEST_ID_KEY: request_id}
            if not self.route.public:
                principal = principal_from_request(request, config["JWT_SECRET"])
                if self.route.roles and principal.role not in self.route.roles:
                    raise Forbidden(f"role {principal.role!r} may not {self.method} {self.url}; "
                                    f"allowed: {', '.join(self.route.roles)}")
                context_data[PRINCIPAL_KEY] = principal.to_header()
            check_request(self.route.query, request.args, request.headers, idempotent_key=self.route.idempotent_key,
                          url=self.route.url, path_values=getattr(request, "path_values", None))
            request.principal = principal
            request.request_id = request_id
            request.body_json = self._read_body(request, config)
            key = idempotency_key(request) if creates(self.route) and principal is not None else None
            request.replay_key = (principal.user, self.route.method, request.path, key) if key else None
            request.replay_fingerprint = self.first_answers.fingerprint(request) if key else None
            request.first_answers = self.first_answers
            args, kwargs = self.get_entrypoint_parameters(request)
            args = (self.route, *args)
            self.check_signature(args, kwargs)
            event = Event()
            self.container.spawn_worker(self, args, kwargs, context_data=context_data,
                                        handle_result=partial(self.handle_result, event))
            response = self.response_from_result(event.wait())
            if request.replay_key and REPLAYED not in response.headers:
                self.first_answers.keep(request.replay_key, request.replay_fingerprint, response)
        except Exception as exc:
            if isinstance(exc, PayloadTooLarge):
                drain_body(request)
            response = problem_response(exc, request_id)
        response.headers["X-Request-Id"] = request_id
        secure_headers(response)
        self.audit_trail.record(self.route, request, principal, response, request_id)
        log_event(log, "request", method=request.method, path=request.path, route=self.route.name, status=response.status_code,
                  duration_ms=round((time.monotonic() - started) * 1000, 2), request_id=request_id,
                  user=principal.user if principal else None, role=principal.role if principal else None)
        return response

    def _read_body(self, request, config):
        if self.route.body_kind is NONE:
            return None
        limit = int(config.get("MAX_UPLOAD_BYTES" if self.route.body_kind == UPLOAD else "MAX_JSON_BODY_BYTES"))
        if self.route.body_kind == UPLOAD:
            limit += 1024 * 1024  # room for the multipart framing around one file
        if request.content_length is not None and request.content_length > limit:
            raise PayloadTooLarge(f"the body has {request.content_length} bytes; at most {limit} are accepted")
        request.max_content_length = limit
        if request.content_length is None and request.headers.get("Transfer-Encoding", "").lower() == "chunked":
            # eventlet's input decodes chunks and ends where the body ends: let werkzeug read
            # it (bounded by max_content_length) instead of seeing an empty body
            request.environ["wsgi.input_terminated"] = True
        if self.route.body_kind == UPLOAD:
            return None  # read by the route through request.files
        mimetype = request.mimetype or ""
        if mimetype != "application/json" and not mimetype.endswith("+json"):
            raise UnsupportedMediaType(f"send the body as application/json, not {mimetype or 'nothing'}")
        try:
            raw = request.get_data(cache=True)
        except RequestEntityTooLarge:
            raise PayloadTooLarge(f"the body is larger than {limit} bytes")
        if len(raw) > limit:
            raise PayloadTooLarge(f"the body is larger than {limit} bytes")
        try:
            body = json.loads(raw.decode("utf-8")) if raw else {}
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadRequest(f"the body is not valid UTF-8 JSON: {exc}")
        # every JSON body is one object of the route's schema: `null`, a list or a number is not
        # (a service reads a missing body as {}, so `null` would otherwise pass as "no fields")
        if not isinstance(body, dict):
            raise ValidationFailed("the body must be a JSON object",
                                   errors={"body": f"a JSON object, not {type(body).__name__ if body is not None else 'null'}"})
        return body

    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        status, headers = self.route.status, {}
        if isinstance(result, tuple):
            status, result, *more = result
            headers = more[0] if more else {}
        return Response(json.dumps(result, ensure_ascii=False, default=json_default), status=status,
                        mimetype="application/json", headers=headers)

    def response_from_exception(self, exc):  # nameko calls this for worker failures too
        return problem_response(exc, "unknown")


DRAIN_LIMIT_BYTES = 64 * 1024 * 1024


def drain_body(request, limit: int = DRAIN_LIMIT_BYTES) -> None:
    """Read and discard what is left of a refused body (up to ``limit`` bytes), so a client
    that sends it whole and then reads gets the 413 problem, not a reset connection (the
    connection would otherwise be closed while its body is still arriving)."""
    stream = request.environ.get("wsgi.input")
    if stream is None:
        return
    left = limit
    try:
        while left > 0:
            chunk = stream.read(min(64 * 1024, left))
            if not chunk:
                return
            left -= len(chunk)
    except (OSError, ValueError):
        return


def json_default(value):
    """Dates and times as ISO 8601 (kombu's JSON hands them to us as objects)."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):   # a number stays a number (e.g. a Decimal field's bounds in the document)
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)


def query_args(request, *names: str) -> dict:
    """The named query parameters present in the request (services validate them)."""
    return {name: request.args[name] for name in names if name in request.args}


def idempotency_key(request) -> str | None:
    """The client's Idempotency-Key header, if any (services enforce it: shared/idempotency.py)."""
    key = request.headers.get("Idempotency-Key")
    return key.strip() if key and key.strip() else None
