"""Idempotency-Key: the same key with the same body gives the first result; another body, 409.

The created document itself carries the key (per user) and a fingerprint of the request
under a unique index, so "remember the key" and "create the record" are one atomic write,
and two concurrent requests with one key create one record. Declare the index with
``idempotency_index(collection)``.

A record kept inside another document (an objection or a material summary in its application)
has its key in that document's ``_idem_within`` map (``within_key``/``within_filter``/``replayed_within``):
the conditional update that adds the record also adds the key, so again one atomic write.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Callable

from shared.errors import Conflict, ValidationFailed
from shared.storage import Index, ScopedCollection, Store

FIELD = "_idem"
WITHIN = "_idem_within"
MAX_KEY_LENGTH = 200


def idempotency_index(collection: str) -> Index:
    return Index(collection, [(f"{FIELD}.key", 1)], unique=True, sparse=True, name="idempotency_key")


def fingerprint(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _check_length(key: str) -> None:
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed("Idempotency-Key too long", errors={"Idempotency-Key": f"at most {MAX_KEY_LENGTH} characters"})


def create_once(coll: ScopedCollection, key: str | None, body: Any, build: Callable[[], dict],
                what: str = "record", duplicate: str | None = None) -> tuple[dict, bool]:
    """Insert ``build()`` unless ``key`` was used before; returns (document, created).
    ``build`` runs only for a new key, so the checks it makes (the record's state, the caller's
    rights) do not turn a replay into an error; ``duplicate`` words a clash on another unique key."""
    if not key:
        doc = build()
        coll.insert(doc, duplicate=duplicate)
        return doc, True
    _check_length(key)
    scoped_key = f"{coll.principal.user}:{key}"
    digest = fingerprint(body)
    existing = coll.collection.find_one({f"{FIELD}.key": scoped_key})
    if existing is None:
        doc = build()
        doc[FIELD] = {"key": scoped_key, "hash": digest}
        try:
            coll.insert(doc, duplicate=duplicate)
            return doc, True
        except Conflict:
            existing = coll.collection.find_one({f"{FIELD}.key": scoped_key})
            if existing is None:
                raise  # the clash was on another unique key: a real conflict
    if existing[FIELD]["hash"] != digest:
        raise Conflict(f"Idempotency-Key {key!r} was used for another {what} with a different body")
    if coll.store is not None:
        coll.store.replayed = True
    return existing, False


def key_used(collection, user: str, key: str | None) -> bool:
    """Whether ``user`` made a record of ``collection`` (a pymongo collection) with ``key``: for a
    request whose kinds are kept in two collections, where the key of one kind must clash with the other."""
    return bool(key) and collection.find_one({f"{FIELD}.key": f"{user}:{key}"}, {"_id": 1}) is not None


def within_key(user: str, key: str | None, body: Any) -> dict | None:
    """The key of a record kept inside another document: ``{"field", "hash"}`` (None without a key).
    The field is a digest of the user's key, so any key text makes a valid field name."""
    if not key:
        return None
    _check_length(key)
    name = hashlib.sha256(f"{user}:{key}".encode("utf-8")).hexdigest()
    return {"field": f"{WITHIN}.{name}", "name": name, "hash": fingerprint(body)}


def within_filter(stamp: dict | None) -> dict:
    """The condition of the write that adds the record: the key is not there yet."""
    return {stamp["field"]: {"$exists": False}} if stamp else {}


def within_set(stamp: dict | None, record_id: str, what: str) -> dict:
    """The ``$set`` that stores the key with the record's id, in the same write."""
    return {stamp["field"]: {"hash": stamp["hash"], "id": record_id, "what": what}} if stamp else {}


def replayed_within(store: Store, doc: dict, stamp: dict | None, what: str) -> str | None:
    """The id of the record that ``doc`` holds under this key (a replay: ``store.replayed``), None
    if it holds none; 409 when the key came with another body."""
    if not stamp:
        return None
    kept = (doc.get(WITHIN) or {}).get(stamp["name"])
    if kept is None:
        return None
    if kept["hash"] != stamp["hash"] or kept.get("what") != what:
        raise Conflict(f"this Idempotency-Key was used for another {kept.get('what') or 'request'} "
                       f"with a different body")
    store.replayed = True
    return kept["id"]
