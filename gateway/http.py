"""The gateway's HTTP entrypoint: one ``@route`` per API operation.

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
from functools import partial, wraps

from eventlet.event import Event
from nameko.web.handlers import HttpRequestHandler
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from gateway.audit import AuditTrail
from gateway.auth import principal_from_request
from gateway.contract import check_request
from gateway.security import secure_headers
from gateway.server import ProblemWebServer
from gateway.problems import problem_response
from gateway.replays import REPLAYED, FirstAnswers, creates
from shared.errors import BadRequest, Forbidden, PayloadTooLarge, UnsupportedMediaType
from shared.logs import log_event
from shared.principal import PRINCIPAL_KEY, REQUEST_ID_KEY

log = logging.getLogger("skillmaster.gateway.request")

JSON, UPLOAD, NONE = "json", "upload", None


class ApiRoute(HttpRequestHandler):
    server = ProblemWebServer()  # problem+json and security headers where no route runs too
    audit_trail = AuditTrail()    # every write answered is recorded (gateway/audit.py)
    first_answers = FirstAnswers()  # replays of creating writes (gateway/replays.py)
    def __init__(self, method: str, url: str, *, summary: str, tags=(), roles=None, public=False,
                 body=None, body_kind=None, response=None, status: int = 200, query=None,
                 produces=("application/json",), responses=None, idempotent_key=False, **kwargs):
        self.summary = summary
        self.tags = tuple(tags)
        self.roles = tuple(roles) if roles else None     # None: any authenticated role
        self.public = public
        self.body = body                                # marshmallow schema class of the JSON body
        self.body_kind = body_kind or (JSON if body is not None else NONE)
        self.response = response                        # marshmallow schema class of the answer
        self.status = status
        self.query = dict(query or {})                  # name -> (type, description)
        self.produces = tuple(produces)
        self.extra_responses = dict(responses or {})
        self.idempotent_key = idempotent_key or (method == "POST" and status == 201)  # every creating route
        super().__init__(method, url, **kwargs)

    # -- request handling ---------------------------------------------------------------
    def handle_request(self, request):
        request.shallow = False
        started = time.monotonic()
        request_id = (request.headers.get("X-Request-Id") or uuid.uuid4().hex)[:64]
        principal = None
        try:
            config = self.container.config
            context_data = {REQUEST_ID_KEY: request_id}
            if not self.public:
                principal = principal_from_request(request, config["JWT_SECRET"])
                if self.roles and principal.role not in self.roles:
                    raise Forbidden(f"role {principal.role!r} may not {self.method} {self.url}; "
                                    f"allowed: {', '.join(self.roles)}")
                context_data[PRINCIPAL_KEY] = principal.to_header()
            check_request(self.query, request.args, request.headers, idempotent_key=self.idempotent_key,
                          url=self.url, path_values=getattr(request, "path_values", None))
            request.principal = principal
            request.request_id = request_id
            request.body_json = self._read_body(request, config)
            key = idempotency_key(request) if creates(self) and principal is not None else None
            request.replay_key = (principal.user, self.method, self.url, key) if key else None
            request.replay_fingerprint = self.first_answers.fingerprint(request) if key else None
            request.first_answers = self.first_answers
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            event = Event()
            self.container.spawn_worker(self, args, kwargs, context_data=context_data,
                                        handle_result=partial(self.handle_result, event))
            response = self.response_from_result(event.wait())
            if request.replay_key and REPLAYED not in response.headers:
                self.first_answers.keep(request.replay_key, request.replay_fingerprint, response)
        except Exception as exc:
            response = problem_response(exc, request_id)
        response.headers["X-Request-Id"] = request_id
        secure_headers(response)
        self.audit_trail.record(self, request, principal, response, request_id)
        log_event(log, "request", method=request.method, path=request.path, status=response.status_code,
                  duration_ms=round((time.monotonic() - started) * 1000, 2), request_id=request_id,
                  user=principal.user if principal else None, role=principal.role if principal else None)
        return response

    def _read_body(self, request, config):
        if self.body_kind is NONE:
            return None
        limit = int(config.get("MAX_UPLOAD_BYTES" if self.body_kind == UPLOAD else "MAX_JSON_BODY_BYTES"))
        if self.body_kind == UPLOAD:
            limit += 1024 * 1024  # room for the multipart framing around one file
        if request.content_length is not None and request.content_length > limit:
            raise PayloadTooLarge(f"the body has {request.content_length} bytes; at most {limit} are accepted")
        request.max_content_length = limit
        if self.body_kind == UPLOAD:
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
            return json.loads(raw.decode("utf-8")) if raw else {}
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadRequest(f"the body is not valid UTF-8 JSON: {exc}")

    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        status, headers = self.status, {}
        if isinstance(result, tuple):
            status, result, *more = result
            headers = more[0] if more else {}
        return Response(json.dumps(result, ensure_ascii=False, default=json_default), status=status,
                        mimetype="application/json", headers=headers)

    def response_from_exception(self, exc):  # nameko calls this for worker failures too
        return problem_response(exc, "unknown")


def route(*args, **kwargs):
    """Declare a gateway method as an API operation. Its worker first checks that the bearer
    token has not been revoked (gateway/sessions.py), then runs the method."""
    def declare(fn):
        @wraps(fn)
        def checked(self, request, *a, **kw):
            if getattr(request, "principal", None) is not None:
                self.token_states.check(self.services, request.principal.user, request.token_version)
            if getattr(request, "replay_key", None):
                first = request.first_answers.replay(request.replay_key, request.replay_fingerprint)
                if first is not None:
                    return first
            return fn(self, request, *a, **kw)
        return ApiRoute.decorator(*args, **kwargs)(checked)
    return declare


def json_default(value):
    """Dates and times as ISO 8601 (kombu's JSON hands them to us as objects)."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def query_args(request, *names: str) -> dict:
    """The named query parameters present in the request (services validate them)."""
    return {name: request.args[name] for name in names if name in request.args}


def idempotency_key(request) -> str | None:
    """The client's Idempotency-Key header, if any (services enforce it: shared/idempotency.py)."""
    key = request.headers.get("Idempotency-Key")
    return key.strip() if key and key.strip() else None
