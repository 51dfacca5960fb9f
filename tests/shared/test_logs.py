"""Logs an operator reads: a refusal made on purpose is not an error."""
from __future__ import annotations

import io
import json
import logging
import sys

from shared.errors import Conflict, NotFound, ServiceUnavailable
from shared.logs import JsonFormatter, setup_logging


def _worker_failure_logged(exc: Exception) -> list[dict]:
    """What nameko's container logs for a worker that raised ``exc`` (it calls ``_log.exception``)."""
    setup_logging("INFO")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers[:] = [handler]
    try:
        try:
            raise exc
        except Exception:
            logging.getLogger("nameko.containers").exception("error handling worker %s: %s", "ctx", sys.exc_info()[1])
    finally:
        root.handlers[:] = saved
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_4xx_refusal_leaves_no_error_line_with_a_traceback():
    assert _worker_failure_logged(NotFound("the account of studio s1 was not found")) == []
    assert _worker_failure_logged(Conflict("taken")) == []


def test_a_failure_is_still_an_error_with_its_traceback():
    for exc in (ServiceUnavailable("ledger did not answer"), RuntimeError("bug")):
        lines = _worker_failure_logged(exc)
        assert len(lines) == 1 and lines[0]["level"] == "error" and "Traceback" in lines[0]["exc"]


def test_setting_up_logging_twice_adds_one_filter():
    setup_logging("INFO")
    setup_logging("INFO")
    assert len(logging.getLogger("nameko.containers").filters) == 1
