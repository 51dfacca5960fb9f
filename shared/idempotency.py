"""Idempotency-Key: the same key with the same body gives the first result; another body, 409.

The created document itself carries the key (per user) and a fingerprint of the request
under a unique index, so "remember the key" and "create the record" are one atomic write,
and two concurrent requests with one key create one record. Declare the index with
``idempotency_index(collection)``.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Callable

from shared.errors import Conflict, ValidationFailed
from shared.storage import Index, ScopedCollection

FIELD = "_idem"
MAX_KEY_LENGTH = 200


def idempotency_index(collection: str) -> Index:
    return Index(collection, [(f"{FIELD}.key", 1)], unique=True, sparse=True, name="idempotency_key")


def fingerprint(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def create_once(coll: ScopedCollection, key: str | None, body: Any, build: Callable[[], dict],
                what: str = "record") -> tuple[dict, bool]:
    """Insert ``build()`` unless ``key`` was used before; returns (document, created)."""
    if not key:
        doc = build()
        coll.insert(doc)
        return doc, True
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed("Idempotency-Key too long", errors={"Idempotency-Key": f"at most {MAX_KEY_LENGTH} characters"})
    scoped_key = f"{coll.principal.user}:{key}"
    digest = fingerprint(body)
    existing = coll.collection.find_one({f"{FIELD}.key": scoped_key})
    if existing is None:
        doc = build()
        doc[FIELD] = {"key": scoped_key, "hash": digest}
        try:
            coll.insert(doc)
            return doc, True
        except Conflict:
            existing = coll.collection.find_one({f"{FIELD}.key": scoped_key})
            if existing is None:
                raise  # the clash was on another unique key: a real conflict
    if existing[FIELD]["hash"] != digest:
        raise Conflict(f"Idempotency-Key {key!r} was used for another {what} with a different body")
    return existing, False
