"""Journal entries of a studio's dedicated account (专门账目, R-24).

Every movement of money is one ``JournalEntry``: a single document that holds all of its
postings, so one insert writes it atomically.  Entries are never edited or deleted; a
correction is a ``reversal`` entry whose ``reverses`` names the entry it undoes.

Money is integer fen (分) everywhere: ``int``, never ``float`` (and never ``bool``).
Datetimes are timezone-aware; entries keep ``booked_at`` in UTC, truncated to whole
milliseconds so that a BSON round trip (MongoDB keeps milliseconds) changes nothing.

Chart of accounts (one set per studio account; a posting is ``(account, amount_fen)``,
**debit positive, credit negative**; the postings of an entry sum to zero)
------------------------------------------------------------------------------------------

======================================  =========  ===========================================
account                                 nature     balance means
======================================  =========  ===========================================
``cash:city``                           asset      city money held in the account, unspent
``cash:matching``                       asset      unit matching money held, unspent
``funding:city_grant``                  funding    (credit) 300,000 CNY designation grant(s)
``funding:city_bonus``                  funding    (credit) 200,000 CNY excellent-grade bonuses
``funding:matching``                    funding    (credit) matching funds put in by the unit
``funding:city_clawback``               contra     (debit) city funds taken back on revocation
``expense:<category>:<funding>``        expense    (debit) spent, by R-22 category and by the
                                                   money used (``city`` / ``matching``)
``payable:city_clawback``               liability  (credit) clawed-back city money that had
                                                   already been spent: the unit owes it
``funding:unit_repayment``              funding    (credit) the unit's own money paid to the
                                                   city to settle what it owes
======================================  =========  ===========================================

Categories (R-22): ``equipment_facilities`` 设备设施, ``skill_rnd`` 技能研发,
``exchange_promotion`` 交流推广, ``training`` 培训.  So there are eight expense accounts,
e.g. ``expense:training:city``.

The dedicated account belongs to the unit (所在单位建立专门账目), so what the unit owes the
city after a clawback is a *payable* of this account; no separate receivable is needed
(``payable:city_clawback`` is the only liability).

Entries by kind (A = amount_fen)
--------------------------------

* ``grant``       Dr cash:city A / Cr funding:city_grant A            (opens cycle 1, R-21)
* ``bonus``       Dr cash:city A / Cr funding:city_bonus A            (opens cycle n+1, R-21/R-25)
* ``matching``    Dr cash:matching A / Cr funding:matching A          (R-23)
* ``expenditure`` Dr expense:<cat>:<funding> A / Cr cash:<funding> A  (R-22)
* ``clawback``    Dr funding:city_clawback C / Cr cash:city R / Cr payable:city_clawback O
                  with C = the current cycle's city funds, R = the unspent part returned,
                  O = C - R the spent part the unit owes (R-20)
* ``repayment``   Dr payable:city_clawback A / Cr funding:unit_repayment A: the unit pays
                  back (part of) what it owes after a clawback; the only kind booked on a
                  clawed-back account, at most what is owed (R-20)
* ``reversal``    the original's postings negated; ``reverses`` = original entry id (R-24)

Document shape (``to_document()``; ``to_json()`` is the same with ISO-8601 strings)
------------------------------------------------------------------------------------

.. code-block:: python

    {"schema": 1,
     "entry_id": "5f0c…(uuid5 hex)", "seq": 3,          # seq: 1, 2, 3 … per studio account
     "studio_id": "S1", "tenant_id": "T1", "unit_id": "U1",
     "kind": "expenditure",           # grant|bonus|matching|expenditure|reversal|clawback
     "source": None,                  # city_grant|city_bonus|matching (inflows, clawback)
     "funding": "city",               # city|matching (expenditures)
     "category": "equipment_facilities",
     "amount_fen": 250000,            # > 0; the entry's size (postings carry the signs)
     "booked_at": datetime(…, tzinfo=UTC),
     "cycle": 1,                      # funding cycle (R-25) the entry belongs to
     "idempotency_key": "…", "request_hash": "sha256 hex of the request",
     "caused_by": {"user": "u-17"} | {"event_id": "…", "event_type": "studio.designated"},
     "reverses": None,                # entry_id for a reversal
     "fixed_asset": None | {"asset_tag", "name", "quantity", "location"},
     "unit_price_fen": 250000,        # expenditures: price of the dearest single item
     "special_equipment": False,
     "memo": "",
     "postings": [{"account": "expense:equipment_facilities:city", "amount_fen": 250000},
                  {"account": "cash:city", "amount_fen": -250000}]}

``entry_id`` is ``uuid5(studio_id, idempotency_key)``: the same request always yields the
same id.  Storage should keep unique indexes on ``entry_id``, on
``(studio_id, idempotency_key)`` and on ``(studio_id, seq)``; the last one is the optimistic
lock: two entries built concurrently from the same state both carry ``seq = n + 1`` and the
second insert fails -- reload, rebuild, retry (the rule checks then see the first entry).
``from_document`` reads naive datetimes (pymongo's default ``tz_aware=False``) as UTC.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

from services.ledger.contract import (  # noqa: F401  (the published vocabulary, used here and re-exported)
    BONUS, BONUS_FEN, CATEGORIES, CATEGORY_LABELS, CLAWBACK, EXPENDITURE, FUNDING_CITY, FUNDING_LABELS,
    FUNDING_MATCHING, FUNDINGS, GRANT, GRANT_FEN, KINDS, MATCHING, MAX_AMOUNT_FEN, REPAYMENT, REVERSAL, SOURCE_CITY_BONUS,
    SOURCE_CITY_GRANT, SOURCE_LABELS, SOURCE_MATCHING, SOURCES, YUAN)

from .errors import LedgerIntegrityError, LedgerRuleViolation, LedgerValidationError

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc
SCHEMA_VERSION = 1


# accounts
CASH_CITY = "cash:city"
CASH_MATCHING = "cash:matching"
FUNDING_CITY_GRANT = "funding:city_grant"
FUNDING_CITY_BONUS = "funding:city_bonus"
FUNDING_MATCHING_ACC = "funding:matching"
FUNDING_CITY_CLAWBACK = "funding:city_clawback"
PAYABLE_CITY_CLAWBACK = "payable:city_clawback"
FUNDING_UNIT_REPAYMENT = "funding:unit_repayment"
CASH_ACCOUNT = {FUNDING_CITY: CASH_CITY, FUNDING_MATCHING: CASH_MATCHING}
FUNDING_ACCOUNT = {SOURCE_CITY_GRANT: FUNDING_CITY_GRANT, SOURCE_CITY_BONUS: FUNDING_CITY_BONUS,
                   SOURCE_MATCHING: FUNDING_MATCHING_ACC}


def expense_account(category: str, funding: str) -> str:
    return f"expense:{category}:{funding}"


EXPENSE_ACCOUNTS = tuple(expense_account(c, f) for c in CATEGORIES for f in FUNDINGS)
ACCOUNTS = (CASH_CITY, CASH_MATCHING, FUNDING_CITY_GRANT, FUNDING_CITY_BONUS,
            FUNDING_MATCHING_ACC, FUNDING_CITY_CLAWBACK, PAYABLE_CITY_CLAWBACK,
            FUNDING_UNIT_REPAYMENT) + EXPENSE_ACCOUNTS
ACCOUNT_SET = frozenset(ACCOUNTS)

FIXED_ASSET_KEYS = ("asset_tag", "name", "quantity", "location")
_MAX_TEXT = 500
_LEDGER_NS = uuid.UUID("6b1f3c1e-8d0a-5b8e-9a57-4c1d2e0f7a31")


# --------------------------------------------------------------------------- helpers

def is_int(v: Any) -> bool:
    """True for a real int (``bool`` is not money)."""
    return type(v) is int


def check_amount(v: Any, field_name: str = "amount_fen", *, rule: str = "R-24") -> int:
    if not is_int(v):
        raise LedgerRuleViolation(f"{field_name} must be an integer number of fen, got {type(v).__name__}",
                                  rule=rule, field=field_name, code="ledger.amount_not_integer")
    if v <= 0:
        raise LedgerRuleViolation(f"{field_name} must be > 0", rule=rule, field=field_name,
                                  code="ledger.amount_not_positive")
    if v > MAX_AMOUNT_FEN:
        raise LedgerRuleViolation(f"{field_name} exceeds {MAX_AMOUNT_FEN} fen", rule=rule,
                                  field=field_name, code="ledger.amount_too_large")
    return v


def check_text(v: Any, field_name: str, *, allow_empty: bool = False, max_len: int = _MAX_TEXT,
               rule: str | None = None) -> str:
    err = LedgerRuleViolation if rule else LedgerValidationError
    if not isinstance(v, str):
        raise err(f"{field_name} must be a string", rule=rule, field=field_name)
    if not allow_empty and not v.strip():
        raise err(f"{field_name} must not be empty", rule=rule, field=field_name)
    if len(v) > max_len:
        raise err(f"{field_name} is longer than {max_len} characters", rule=rule, field=field_name)
    return v


def normalize_datetime(v: Any, field_name: str = "booked_at", *, naive_is_utc: bool = False) -> datetime:
    """Aware datetime -> UTC, truncated to milliseconds (BSON precision)."""
    if isinstance(v, str):
        try:
            v = datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            raise LedgerValidationError(f"{field_name} is not an ISO-8601 datetime", field=field_name)
    if not isinstance(v, datetime):
        raise LedgerValidationError(f"{field_name} must be a datetime", field=field_name)
    if v.tzinfo is None or v.utcoffset() is None:
        if not naive_is_utc:
            raise LedgerValidationError(f"{field_name} must be timezone-aware", field=field_name)
        v = v.replace(tzinfo=UTC)
    v = v.astimezone(UTC)
    return v.replace(microsecond=v.microsecond // 1000 * 1000)


def check_caused_by(v: Any) -> dict:
    """``{"user": id}`` or ``{"event_id": id[, "event_type": name]}``."""
    if not isinstance(v, Mapping):
        raise LedgerValidationError("caused_by must be {'user': …} or {'event_id': …}", field="caused_by")
    keys = set(v)
    if keys == {"user"}:
        return {"user": check_text(v["user"], "caused_by.user", max_len=200)}
    if keys in ({"event_id"}, {"event_id", "event_type"}):
        out = {"event_id": check_text(v["event_id"], "caused_by.event_id", max_len=200)}
        if "event_type" in v:
            out["event_type"] = check_text(v["event_type"], "caused_by.event_type", max_len=200)
        return out
    raise LedgerValidationError("caused_by must hold exactly one of 'user' or 'event_id' "
                                "(plus an optional 'event_type')", field="caused_by")


def check_fixed_asset(v: Any) -> dict:
    """R-22 fixed-asset registration data: asset_tag, name, quantity (int >= 1), location."""
    if not isinstance(v, Mapping):
        raise LedgerRuleViolation("fixed_asset must be an object with asset_tag, name, quantity, location",
                                  rule="R-22", field="fixed_asset", code="ledger.fixed_asset_invalid")
    extra = set(v) - set(FIXED_ASSET_KEYS)
    if extra:
        raise LedgerRuleViolation(f"fixed_asset has unknown fields: {sorted(map(str, extra))}",
                                  rule="R-22", field="fixed_asset", code="ledger.fixed_asset_invalid")
    out = {}
    for k in ("asset_tag", "name", "location"):
        if k not in v:
            raise LedgerRuleViolation(f"fixed_asset.{k} is required", rule="R-22",
                                      field=f"fixed_asset.{k}", code="ledger.fixed_asset_invalid")
        out[k] = check_text(v[k], f"fixed_asset.{k}", max_len=200 if k != "asset_tag" else 64,
                            rule="R-22")
    q = v.get("quantity")
    if not is_int(q) or q < 1 or q > 1_000_000:
        raise LedgerRuleViolation("fixed_asset.quantity must be an integer >= 1", rule="R-22",
                                  field="fixed_asset.quantity", code="ledger.fixed_asset_invalid")
    out["quantity"] = q
    return {k: out[k] for k in FIXED_ASSET_KEYS}


def entry_id_for(studio_id: str, idempotency_key: str) -> str:
    """Deterministic entry id: the same (studio, key) always names the same entry."""
    return uuid.uuid5(_LEDGER_NS, f"{studio_id}\x1f{idempotency_key}").hex


def request_hash(request: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of a request (what idempotency compares)."""
    blob = json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=repr)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# Recommended idempotency keys for the event-driven bookings: natural keys, so that the
# same fact booked twice (an event redelivered, or published twice with different ids)
# is recognised as the same request.
def grant_key(studio_id: str) -> str:
    return f"grant:{studio_id}"


def bonus_key(assessment_id: str) -> str:
    """One bonus per studio per assessment (round/result id)."""
    return f"bonus:{assessment_id}"


def clawback_key(revocation_id: str) -> str:
    return f"clawback:{revocation_id}"


# --------------------------------------------------------------------------- records

@dataclass(frozen=True)
class Posting:
    """One line of an entry: debit positive, credit negative."""
    account: str
    amount_fen: int

    def __post_init__(self) -> None:
        if self.account not in ACCOUNT_SET:
            raise LedgerIntegrityError(f"unknown account {self.account!r}", field="postings.account")
        if not is_int(self.amount_fen) or self.amount_fen == 0 or abs(self.amount_fen) > MAX_AMOUNT_FEN:
            raise LedgerIntegrityError(f"posting amount must be a non-zero int, got {self.amount_fen!r}",
                                       field="postings.amount_fen")

    def to_document(self) -> dict:
        return {"account": self.account, "amount_fen": self.amount_fen}

    def negated(self) -> "Posting":
        return Posting(self.account, -self.amount_fen)


@dataclass(frozen=True)
class JournalEntry:
    entry_id: str
    seq: int
    studio_id: str
    tenant_id: str
    unit_id: str
    kind: str
    amount_fen: int
    booked_at: datetime
    cycle: int
    idempotency_key: str
    request_hash: str
    caused_by: dict
    postings: tuple
    source: str | None = None
    funding: str | None = None
    category: str | None = None
    reverses: str | None = None
    fixed_asset: dict | None = None
    unit_price_fen: int | None = None
    special_equipment: bool = False
    memo: str = ""

    def __post_init__(self) -> None:
        bad = LedgerIntegrityError
        for name in ("entry_id", "studio_id", "tenant_id", "unit_id", "idempotency_key", "request_hash"):
            v = getattr(self, name)
            if not isinstance(v, str) or not v:
                raise bad(f"{name} must be a non-empty string", field=name)
        if self.kind not in KINDS:
            raise bad(f"unknown kind {self.kind!r}", field="kind")
        if not is_int(self.seq) or self.seq < 1:
            raise bad("seq must be an int >= 1", field="seq")
        if not is_int(self.cycle) or self.cycle < 0:
            raise bad("cycle must be an int >= 0", field="cycle")
        if not is_int(self.amount_fen) or not 0 < self.amount_fen <= MAX_AMOUNT_FEN:
            raise bad("amount_fen must be a positive int", field="amount_fen")
        if not isinstance(self.booked_at, datetime) or self.booked_at.utcoffset() is None:
            raise bad("booked_at must be a timezone-aware datetime", field="booked_at")
        if self.source is not None and self.source not in SOURCES:
            raise bad(f"unknown source {self.source!r}", field="source")
        if self.funding is not None and self.funding not in FUNDINGS:
            raise bad(f"unknown funding {self.funding!r}", field="funding")
        if self.category is not None and self.category not in CATEGORIES:
            raise bad(f"unknown category {self.category!r}", field="category")
        if (self.kind == REVERSAL) != (self.reverses is not None):
            raise bad("reverses is set exactly on reversal entries", field="reverses")
        if not isinstance(self.special_equipment, bool):
            raise bad("special_equipment must be a bool", field="special_equipment")
        if self.unit_price_fen is not None and (not is_int(self.unit_price_fen) or self.unit_price_fen <= 0):
            raise bad("unit_price_fen must be a positive int", field="unit_price_fen")
        if not isinstance(self.memo, str):
            raise bad("memo must be a string", field="memo")
        postings = tuple(p if isinstance(p, Posting) else Posting(p["account"], p["amount_fen"])
                         for p in self.postings)
        object.__setattr__(self, "postings", postings)
        if not postings:
            raise bad("an entry needs postings", field="postings")
        if sum(p.amount_fen for p in postings) != 0:
            raise bad(f"entry {self.entry_id} does not balance", field="postings")
        object.__setattr__(self, "caused_by", dict(self.caused_by))
        if self.fixed_asset is not None:
            object.__setattr__(self, "fixed_asset", dict(self.fixed_asset))

    # -- derived
    def posting_total(self, account: str) -> int:
        return sum(p.amount_fen for p in self.postings if p.account == account)

    # -- (de)serialisation
    def to_document(self) -> dict:
        """BSON-safe dict (datetimes stay ``datetime``, UTC-aware)."""
        return {
            "schema": SCHEMA_VERSION,
            "entry_id": self.entry_id,
            "seq": self.seq,
            "studio_id": self.studio_id,
            "tenant_id": self.tenant_id,
            "unit_id": self.unit_id,
            "kind": self.kind,
            "source": self.source,
            "funding": self.funding,
            "category": self.category,
            "amount_fen": self.amount_fen,
            "booked_at": self.booked_at,
            "cycle": self.cycle,
            "idempotency_key": self.idempotency_key,
            "request_hash": self.request_hash,
            "caused_by": dict(self.caused_by),
            "reverses": self.reverses,
            "fixed_asset": dict(self.fixed_asset) if self.fixed_asset is not None else None,
            "unit_price_fen": self.unit_price_fen,
            "special_equipment": self.special_equipment,
            "memo": self.memo,
            "postings": [p.to_document() for p in self.postings],
        }

    def to_json(self) -> dict:
        """JSON-safe dict: as ``to_document`` with ``booked_at`` in ISO-8601 (Beijing time)."""
        doc = self.to_document()
        doc["booked_at"] = self.booked_at.astimezone(SHANGHAI).isoformat(timespec="milliseconds")
        return doc

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> "JournalEntry":
        """Inverse of ``to_document`` / ``to_json``; ignores Mongo's ``_id``."""
        try:
            schema = doc.get("schema", SCHEMA_VERSION)
            if schema != SCHEMA_VERSION:
                raise LedgerIntegrityError(f"unknown entry schema {schema!r}", field="schema")
            try:
                booked_at = normalize_datetime(doc["booked_at"], naive_is_utc=True)
            except LedgerValidationError as exc:
                raise LedgerIntegrityError(exc.message, field="booked_at")
            return cls(
                entry_id=doc["entry_id"], seq=doc["seq"], studio_id=doc["studio_id"],
                tenant_id=doc["tenant_id"], unit_id=doc["unit_id"], kind=doc["kind"],
                amount_fen=doc["amount_fen"], booked_at=booked_at, cycle=doc["cycle"],
                idempotency_key=doc["idempotency_key"], request_hash=doc["request_hash"],
                caused_by=dict(doc["caused_by"]),
                postings=tuple(Posting(p["account"], p["amount_fen"]) for p in doc["postings"]),
                source=doc.get("source"), funding=doc.get("funding"), category=doc.get("category"),
                reverses=doc.get("reverses"),
                fixed_asset=dict(doc["fixed_asset"]) if doc.get("fixed_asset") is not None else None,
                unit_price_fen=doc.get("unit_price_fen"),
                special_equipment=doc.get("special_equipment", False), memo=doc.get("memo", ""),
            )
        except (KeyError, TypeError) as exc:
            raise LedgerIntegrityError(f"malformed journal entry document: {exc!r}")


def as_entry(e: "JournalEntry | Mapping[str, Any]") -> JournalEntry:
    return e if isinstance(e, JournalEntry) else JournalEntry.from_document(e)


def as_entries(entries: Iterable["JournalEntry | Mapping[str, Any]"]) -> list[JournalEntry]:
    return [as_entry(e) for e in entries]

