"""One rule for replays (issue 18): on every creating route (a POST answering 201), the same
``Idempotency-Key`` with the same body answers the first answer again — its status and body —
with ``Idempotency-Replayed: true``; with another body, 409. The gateway keeps first answers
for ``IDEMPOTENCY_REPLAY_SECONDS`` (default 24 h, per user and path, in this process); the
services' own keys stay the durable guard underneath, so a replay that reaches a service after
a gateway restart still creates nothing twice: every creating route passes the key to its
service, which writes it with the record in one atomic write (shared/idempotency.py) and answers
the record it made. (Durable keys in the owning service rather than a durable store here: the key
and the effect commit together, so a request the client saw fail never takes effect later and a
key is never remembered for a record that was not made.)
"""
from __future__ import annotations

import hashlib
import time
from collections import OrderedDict

from nameko.extensions import SharedExtension
from werkzeug.wrappers import Response

from shared.errors import Conflict

REPLAYED = "Idempotency-Replayed"
MAX_ENTRIES = 20000


def marked(answer: dict) -> tuple:
    """The 201 of a service's creating write asked with ``answer_replayed=True``: its record, marked
    as a replay when the service answered the record an earlier request with the same key made
    (its durable key: after a gateway restart this process's memory of first answers is empty)."""
    return 201, answer["record"], ({REPLAYED: "true"} if answer["replayed"] else {})


def creates(route) -> bool:
    return "POST" in route.method.split(",") and int(route.status) == 201


class FirstAnswers(SharedExtension):
    def setup(self):
        self.ttl = float(self.container.config.get("IDEMPOTENCY_REPLAY_SECONDS", 86400))
        self._answers: OrderedDict = OrderedDict()

    @staticmethod
    def fingerprint(request) -> str:
        """The request's content: its query and body (a multipart body by its fields and files,
        not its random boundary)."""
        digest = hashlib.sha256(request.query_string or b"")
        if request.mimetype == "multipart/form-data":
            # str(): a part whose name does not decode has None for a name (the fuzzer's 500)
            for name, value in sorted(request.form.items(multi=True), key=lambda item: (str(item[0]), str(item[1]))):
                digest.update(f"{name}={value}".encode("utf-8", "backslashreplace"))
            for name, upload in sorted(request.files.items(multi=True), key=lambda item: str(item[0])):
                digest.update(f"{name}:{upload.filename}:".encode("utf-8", "backslashreplace"))
                digest.update(upload.stream.read())
                upload.stream.seek(0)
        else:
            digest.update(request.get_data(cache=True))
        return digest.hexdigest()

    def replay(self, key: tuple, fingerprint: str) -> Response | None:
        """The first answer again for ``key``, or None; 409 when the key came with another body."""
        kept = self._answers.get(key)
        if kept is None or kept[0] < time.monotonic():
            return None
        _, first_fingerprint, status, body, headers = kept
        if first_fingerprint != fingerprint:
            raise Conflict("this Idempotency-Key was used with another request body")
        response = Response(body, status=status, headers=headers)
        response.headers[REPLAYED] = "true"
        return response

    def keep(self, key: tuple, fingerprint: str, response: Response) -> None:
        if not 200 <= response.status_code < 300:
            return
        headers = [(k, v) for k, v in response.headers.items() if k.lower() in ("content-type", "location")]
        self._answers[key] = (time.monotonic() + self.ttl, fingerprint, response.status_code, response.get_data(),
                              headers)
        while len(self._answers) > MAX_ENTRIES:
            self._answers.popitem(last=False)
