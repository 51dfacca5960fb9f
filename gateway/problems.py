"""Every error the gateway answers is application/problem+json (RFC 7807)."""
from __future__ import annotations

import json
import logging

from nameko.exceptions import RemoteError, UnknownService
from werkzeug.wrappers import Response

from shared.errors import DomainError, ServiceUnavailable, from_remote

log = logging.getLogger("skillmaster.gateway")

PROBLEM_TYPE = "urn:skillmaster:problem:{}"


def as_domain_error(exc: BaseException) -> DomainError | None:
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, RemoteError):
        mapped = from_remote(exc.value)
        if mapped is not None:
            return mapped
        if exc.exc_type in ("UnknownService", "MethodNotFound"):
            return ServiceUnavailable(f"the service does not offer this call: {exc.value}")
        return None
    if isinstance(exc, UnknownService):
        return ServiceUnavailable(f"service not running: {exc}")
    return None


def problem_response(exc: BaseException, request_id: str) -> Response:
    error = as_domain_error(exc)
    if error is None:
        log.error("unhandled error", exc_info=(type(exc), exc, exc.__traceback__),
                  extra={"fields": {"request_id": request_id}})
        body = {"code": "internal", "status": 500, "title": "Internal error",
                "detail": "an unexpected error happened; the request id identifies it in the logs"}
    else:
        body = error.to_dict()
    body["type"] = PROBLEM_TYPE.format(body.pop("code"))
    body["request_id"] = request_id
    headers = {"Content-Type": "application/problem+json; charset=utf-8"}
    if body["status"] == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="skillmaster"'
    if body["status"] == 503:
        headers["Retry-After"] = "5"
    if body["status"] == 429:
        headers["Retry-After"] = str(int(body.get("retry_after") or 60))
    return Response(json.dumps(body, ensure_ascii=False), status=body["status"], headers=headers)
