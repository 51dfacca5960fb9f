"""Chunked uploads (shared/uploads.py, issue 13): a file reaches a service in bounded chunks, is
checked against its declared size and sha256, is read once, belongs to its sender, and an
unfinished one expires. Unit tests over the embedded store (no broker)."""
from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta, timezone

import mongomock_ng
import pytest

from shared.errors import Conflict, NotFound, PayloadTooLarge, ServiceUnavailable, ValidationFailed
from shared.principal import UNIT, Principal
from shared.storage import Store, ensure_indexes
from shared.uploads import (UPLOAD_CHUNK_BYTES, UPLOAD_CHUNKS, UPLOAD_INDEXES, UPLOADS, UploadStore,
                            send_upload)

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
ALICE = Principal("alice", UNIT, "dongcheng", "unit-a")


class FakeService:
    """What ``send_upload`` talks to: the three RPCs of ``UploadReceiver``, as one user, at ``now``."""

    def __init__(self, uploads: UploadStore, user: str, now: datetime = T0):
        self.uploads, self.user, self.now, self.calls = uploads, user, now, []

    def upload_begin(self, kind, filename, size, sha256):
        self.calls.append("begin")
        return {"id": self.uploads.begin(self.user, kind, filename, size, sha256, self.now)["_id"]}

    def upload_chunk(self, upload_id, n, data_b64):
        self.calls.append(len(base64.b64decode(data_b64)))
        return self.uploads.chunk(self.user, upload_id, n, data_b64, self.now)

    def upload_end(self, upload_id):
        self.calls.append("end")
        return self.uploads.end(self.user, upload_id, self.now)


@pytest.fixture
def store():
    db = mongomock_ng.MongoClient(tz_aware=True)["skillmaster_test"]
    ensure_indexes(db, UPLOAD_INDEXES)
    return Store(db, {}, lambda: ALICE)


def uploads(store, total=10 * 1024 * 1024):
    return UploadStore(store, {"material": 4 * UPLOAD_CHUNK_BYTES}, total_bytes=total, ttl=timedelta(hours=1))


def test_a_file_travels_in_bounded_chunks_and_is_read_once(store):
    content = bytes(range(256)) * (UPLOAD_CHUNK_BYTES * 2 // 256) + b"tail"
    service = FakeService(uploads(store), "alice")
    upload_id = send_upload(service, content, kind="material", filename="证书.pdf")
    assert service.calls == ["begin", UPLOAD_CHUNK_BYTES, UPLOAD_CHUNK_BYTES, 4, "end"]
    got = uploads(store).take("alice", upload_id, "material", T0)
    assert got.content == content and got.size == len(content) and got.filename == "证书.pdf"
    assert got.sha256 == hashlib.sha256(content).hexdigest()
    with pytest.raises(NotFound):                                  # once
        uploads(store).take("alice", upload_id, "material", T0)
    assert store.db[UPLOADS].count_documents({}) == 0 and store.db[UPLOAD_CHUNKS].count_documents({}) == 0


def test_size_and_sha256_are_checked(store):
    u = uploads(store)
    with pytest.raises(PayloadTooLarge):                           # over the kind's bound, before any byte
        u.begin("alice", "material", "big.pdf", 4 * UPLOAD_CHUNK_BYTES + 1, "0" * 64, T0)
    with pytest.raises(ValidationFailed):
        u.begin("alice", "workbook", "x.xlsx", 10, "0" * 64, T0)    # unknown kind
    header = u.begin("alice", "material", "a.pdf", 3, hashlib.sha256(b"abc").hexdigest(), T0)
    with pytest.raises(PayloadTooLarge):                           # longer than declared
        u.chunk("alice", header["_id"], 0, base64.b64encode(b"abcd").decode(), T0)
    with pytest.raises(Conflict):                                  # out of order
        u.chunk("alice", header["_id"], 1, base64.b64encode(b"abc").decode(), T0)
    u.chunk("alice", header["_id"], 0, base64.b64encode(b"abd").decode(), T0)
    with pytest.raises(ValidationFailed):                          # sha256 differs: removed
        u.end("alice", header["_id"], T0)
    with pytest.raises(NotFound):
        u.end("alice", header["_id"], T0)
    unfinished = u.begin("alice", "material", "b.pdf", 3, hashlib.sha256(b"abc").hexdigest(), T0)
    with pytest.raises(NotFound):                                  # not finished: nothing to take
        u.take("alice", unfinished["_id"], "material", T0)


def test_an_upload_is_its_senders_and_unfinished_ones_expire(store):
    upload_id = send_upload(FakeService(uploads(store), "alice"), b"%PDF-1.4", kind="material")
    with pytest.raises(NotFound):
        uploads(store).take("bob", upload_id, "material", T0)
    u = uploads(store)
    u.begin("alice", "material", "late.pdf", 10, "0" * 64, T0)
    assert u.expire(T0 + timedelta(minutes=59)) == 0
    assert u.expire(T0 + timedelta(hours=1)) == 2
    with pytest.raises(NotFound):
        u.take("alice", upload_id, "material", T0 + timedelta(hours=2))


def test_the_total_held_is_bounded(store):
    u = uploads(store, total=5)
    u.begin("alice", "material", "a", 3, "0" * 64, T0)
    with pytest.raises(ServiceUnavailable):
        u.begin("bob", "material", "b", 3, "0" * 64, T0)
    assert u.begin("bob", "material", "b", 3, "0" * 64, T0 + timedelta(hours=1))   # the first expired
