"""Chunked uploads: a file travels to a service in bounded chunks, never base64-encoded inside
one RPC message, and waits in the receiving service's own store until an entry point takes it.

The caller (the gateway) sends it with ``send_upload``::

    upload_id = send_upload(self.services.registry, content, kind="material", filename=name)
    return self.services.registry.add_material(application_id, material_kind, upload_id)

which calls, on the receiving service, ``upload_begin(kind, filename, size, sha256)`` → ``{id}``,
``upload_chunk(id, n, data_b64)`` for n = 0, 1, … (each at most ``UPLOAD_CHUNK_BYTES`` before
encoding) and ``upload_end(id)``, which checks the size and the sha256.

The receiving service mixes in ``UploadReceiver`` (it gives those three RPCs and a timer that
expires unfinished uploads), declares the kinds it takes with their size bounds, and adds
``*UPLOAD_INDEXES`` to its ``INDEXES``::

    class ReportingService(UploadReceiver, StudioReadModel, ServiceBase):
        upload_kinds = {"report_workbook": 10 * MB}

        @rpc
        def import_report(self, studio_id, year, upload_id):
            upload = self.take_upload(upload_id, "report_workbook")   # once; NotFound afterwards
            wb = open_workbook(upload.content, WorkbookBounds(...))

Bounds: each kind's size; all uploads the service holds at once (``upload_total_bytes``,
503 beyond it); an upload not finished and taken within ``upload_ttl`` is removed. An upload
belongs to the user who began it: for anyone else it does not exist (404).
"""
from __future__ import annotations

import base64
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping

from bson.binary import Binary
from marshmallow import fields
from nameko.timer import timer
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from shared.errors import Conflict, NotFound, PayloadTooLarge, ServiceUnavailable, ValidationFailed
from shared.files import MB, decode_base64, sha256
from shared.logs import log_event
from shared.rpc import rpc
from shared.schemas import StrictSchema, dump
from shared.storage import Index, Store

log = logging.getLogger("skillmaster.uploads")

UPLOAD_CHUNK_BYTES = 256 * 1024
UPLOADS, UPLOAD_CHUNKS = "uploads", "upload_chunks"
UPLOAD_INDEXES = (Index(UPLOAD_CHUNKS, [("upload_id", ASCENDING), ("n", ASCENDING)], unique=True),
                  Index(UPLOADS, [("expires_at", ASCENDING)]))
OPEN, COMPLETE = "open", "complete"


class UploadSchema(StrictSchema):
    """What ``upload_begin`` / ``upload_chunk`` / ``upload_end`` answer."""
    id = fields.String(attribute="_id")
    kind = fields.String()
    filename = fields.String()
    size = fields.Integer()
    received = fields.Integer()
    chunks = fields.Integer()
    state = fields.String()
    expires_at = fields.DateTime()


@dataclass(frozen=True)
class ReceivedUpload:
    """A finished upload as an entry point takes it: checked against its declared size and sha256."""
    id: str
    kind: str
    filename: str
    content: bytes
    size: int
    sha256: str


# -- the sending side (the gateway) --------------------------------------------------------
def send_upload(service: Any, content: bytes, *, kind: str, filename: str | None = None,
                chunk_bytes: int = UPLOAD_CHUNK_BYTES) -> str:
    """Send ``content`` to ``service`` (an RPC proxy, e.g. ``self.services.registry``) in chunks;
    the upload id an entry point of that service then takes."""
    begun = service.upload_begin(kind, filename or "", len(content), sha256(content))
    upload_id = begun["id"]
    for n, start in enumerate(range(0, len(content), chunk_bytes)):
        part = content[start:start + chunk_bytes]
        service.upload_chunk(upload_id, n, base64.b64encode(part).decode("ascii"))
    service.upload_end(upload_id)
    return upload_id


# -- the receiving side: the rules over the service's own store ------------------------------
class UploadStore:
    """The uploads a service holds (collections ``uploads`` and ``upload_chunks`` of its database)."""

    def __init__(self, store: Store, kinds: Mapping[str, int], *, total_bytes: int, ttl: timedelta):
        self.headers = store.internal(UPLOADS)
        self.parts = store.internal(UPLOAD_CHUNKS)
        self.kinds = dict(kinds)
        self.total_bytes = total_bytes
        self.ttl = ttl

    def begin(self, user: str, kind: str, filename: str, size: Any, digest: Any, now: datetime) -> dict:
        if kind not in self.kinds:
            raise ValidationFailed("unknown upload kind", errors={"kind": f"one of {', '.join(sorted(self.kinds))}"})
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ValidationFailed("the size is a positive whole number of bytes", errors={"size": "positive integer"})
        if size > self.kinds[kind]:
            raise PayloadTooLarge(f"the file is larger than {self.kinds[kind]} bytes", limit=self.kinds[kind])
        if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValidationFailed("sha256 is 64 lower-case hex digits", errors={"sha256": "hex digest"})
        self.expire(now)
        held = sum(h["size"] for h in self.headers.find({}, {"size": 1}))
        if held + size > self.total_bytes:
            raise ServiceUnavailable("too many uploads in progress; try again in a few minutes",
                                     limit=self.total_bytes)
        header = {"_id": uuid.uuid4().hex, "kind": kind, "filename": str(filename or "")[:255], "size": size,
                  "sha256": digest, "owner": user, "state": OPEN, "chunks": 0, "received": 0,
                  "begun_at": now, "expires_at": now + self.ttl}
        self.headers.insert_one(header)
        return header

    def _header(self, user: str, upload_id: Any, now: datetime) -> dict:
        header = self.headers.find_one({"_id": str(upload_id), "owner": user, "expires_at": {"$gt": now}})
        if header is None:
            raise NotFound(f"upload {upload_id} not found (unknown, expired or already used)")
        return header

    def chunk(self, user: str, upload_id: Any, n: Any, data_b64: Any, now: datetime) -> dict:
        header = self._header(user, upload_id, now)
        if header["state"] != OPEN:
            raise Conflict(f"upload {upload_id} is already complete")
        if n != header["chunks"]:
            raise Conflict(f"upload {upload_id} expects chunk {header['chunks']}, not {n!r}",
                           expected=header["chunks"])
        data = decode_base64(data_b64 if isinstance(data_b64, str) else "", "chunk")
        if not data or len(data) > UPLOAD_CHUNK_BYTES:
            raise PayloadTooLarge(f"a chunk has 1 to {UPLOAD_CHUNK_BYTES} bytes", limit=UPLOAD_CHUNK_BYTES)
        if header["received"] + len(data) > header["size"]:
            raise PayloadTooLarge(f"upload {upload_id} is longer than its declared {header['size']} bytes",
                                  limit=header["size"])
        try:
            self.parts.insert_one({"_id": f"{header['_id']}:{n:06d}", "upload_id": header["_id"], "n": n,
                                   "data": Binary(data)})
        except DuplicateKeyError:
            raise Conflict(f"upload {upload_id} already has chunk {n}")
        header = self.headers.find_one_and_update(
            {"_id": header["_id"], "chunks": n},
            {"$inc": {"chunks": 1, "received": len(data)}}, return_document=True)
        if header is None:
            raise Conflict(f"upload {upload_id} changed meanwhile")
        return header

    def _content(self, header: dict) -> bytes:
        return b"".join(bytes(p["data"]) for p in self.parts.find({"upload_id": header["_id"]}, sort=[("n", 1)]))

    def end(self, user: str, upload_id: Any, now: datetime) -> dict:
        header = self._header(user, upload_id, now)
        if header["state"] == COMPLETE:
            return header                                   # a repeated end changes nothing
        content = self._content(header)
        if len(content) != header["size"] or sha256(content) != header["sha256"]:
            self._remove(header["_id"])
            raise ValidationFailed("the upload does not match its declared size and sha256; send it again",
                                   errors={"size": f"declared {header['size']}, received {len(content)}"})
        return self.headers.find_one_and_update({"_id": header["_id"]}, {"$set": {"state": COMPLETE}},
                                                return_document=True)

    def take(self, user: str, upload_id: Any, kind: str, now: datetime) -> ReceivedUpload:
        """The finished upload's bytes, once: it is removed as it is taken."""
        header = self.headers.find_one_and_delete({"_id": str(upload_id), "owner": user, "kind": kind,
                                                   "state": COMPLETE, "expires_at": {"$gt": now}})
        if header is None:
            raise NotFound(f"upload {upload_id} not found (unknown, unfinished, expired, already used "
                           f"or not a {kind})", field="upload_id")
        content = self._content(header)
        self.parts.delete_many({"upload_id": header["_id"]})
        if len(content) != header["size"] or sha256(content) != header["sha256"]:
            raise Conflict(f"upload {upload_id} is damaged in the store; send it again")
        return ReceivedUpload(header["_id"], kind, header["filename"], content, header["size"], header["sha256"])

    def _remove(self, upload_id: str) -> None:
        self.parts.delete_many({"upload_id": upload_id})
        self.headers.delete_one({"_id": upload_id})

    def expire(self, now: datetime) -> int:
        expired = [h["_id"] for h in self.headers.find({"expires_at": {"$lte": now}}, {"_id": 1})]
        for upload_id in expired:
            self._remove(upload_id)
        return len(expired)


class UploadReceiver:
    """Mix in first (``class X(UploadReceiver, ServiceBase)``); uses the service's ``store`` (its
    principal owns the upload) and ``clock``. Set ``upload_kinds`` ({kind: max bytes}) on the service."""
    upload_kinds: Mapping[str, int] = {}
    upload_total_bytes: int = 256 * MB
    upload_ttl: timedelta = timedelta(hours=1)
    UPLOAD_SWEEP_SECONDS = 600

    def _uploads(self) -> UploadStore:
        return UploadStore(self.store, self.upload_kinds, total_bytes=self.upload_total_bytes,
                           ttl=self.upload_ttl)

    @rpc
    def upload_begin(self, kind, filename, size, sha256):
        return dump(UploadSchema(), self._uploads().begin(self.store.principal.user, kind, filename, size, sha256,
                                                          self.clock.now()))

    @rpc
    def upload_chunk(self, upload_id, n, data_b64):
        return dump(UploadSchema(), self._uploads().chunk(self.store.principal.user, upload_id, n, data_b64,
                                                          self.clock.now()))

    @rpc
    def upload_end(self, upload_id):
        return dump(UploadSchema(), self._uploads().end(self.store.principal.user, upload_id, self.clock.now()))

    def take_upload(self, upload_id, kind: str) -> ReceivedUpload:
        """For an entry point: the caller's finished upload of ``kind``, once."""
        return self._uploads().take(self.store.principal.user, upload_id, kind, self.clock.now())

    @timer(interval=UPLOAD_SWEEP_SECONDS)
    def expire_uploads(self):
        removed = self._uploads().expire(self.clock.now())
        if removed:
            log_event(log, "expired uploads removed", logging.INFO, service=self.name, count=removed)
