"""JSON logs: one line per request (gateway) and per entry point (services), with the request id.

The gateway puts ``request_id`` into nameko's context data; nameko copies context data
into the headers of every RPC and event a worker sends, so the same id shows up in each
service's lines. Events relayed from the outbox carry the id of the request that caused them.
"""
from __future__ import annotations

import json
import logging
import sys
import time
from datetime import datetime, timezone

from nameko.extensions import DependencyProvider

from shared.errors import DomainError
from shared.principal import PRINCIPAL_KEY, REQUEST_ID_KEY


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if fields:
            line.update(fields)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # nameko and kombu are chatty at INFO about every connection
    for noisy in ("nameko", "kombu", "amqp"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    workers = logging.getLogger("nameko.containers")
    if not any(isinstance(f, RefusalsAreNotErrors) for f in workers.filters):
        workers.addFilter(RefusalsAreNotErrors())


class RefusalsAreNotErrors(logging.Filter):
    """nameko logs every worker that raised as an error with its traceback, a 404 or a 422 too.
    A refusal the service made on purpose (a ``DomainError`` with a 4xx status) is the caller's
    mistake, not the operator's: its entrypoint line (``outcome: error``, the error and its
    detail) says it already, so nameko's error line is dropped. Failures (5xx, anything else)
    keep it."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (isinstance(exc, DomainError) and 400 <= exc.status < 500)


def log_event(logger: logging.Logger, msg: str, level: int = logging.INFO, **fields) -> None:
    logger.log(level, msg, extra={"fields": fields})


_entry_log = logging.getLogger("skillmaster.entrypoint")


class EntrypointLogger(DependencyProvider):
    """Observes every worker and logs one JSON line when it ends. Never fails a worker."""

    def __init__(self):
        self._started: dict = {}

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.monotonic()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        try:
            started = self._started.pop(worker_ctx, None)
            if not _entry_log.isEnabledFor(logging.INFO):
                return  # LOG_LEVEL above INFO: the line would be dropped, so it is not built
            principal = worker_ctx.data.get(PRINCIPAL_KEY)
            user = json.loads(principal).get("user") if isinstance(principal, str) else None
            fields = {
                "service": worker_ctx.service_name,
                "entrypoint": getattr(worker_ctx.entrypoint, "operation", worker_ctx.entrypoint.method_name),
                "kind": type(worker_ctx.entrypoint).__name__,
                "request_id": worker_ctx.data.get(REQUEST_ID_KEY),
                "user": user,
                "duration_ms": round((time.monotonic() - started) * 1000, 2) if started else None,
                "outcome": "ok" if exc_info is None else "error",
            }
            if exc_info is not None:
                fields["error"] = type(exc_info[1]).__name__
                fields["error_detail"] = str(exc_info[1])[:500]
            log_event(_entry_log, "entrypoint", **fields)
        except Exception:  # an observer must never break the worker
            pass

    def worker_teardown(self, worker_ctx):
        self._started.pop(worker_ctx, None)
