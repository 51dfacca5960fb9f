"""The ledger's collections, scopes and indexes, and ``Ledger``: the data layer with the ledger's
verbs (book, read, verify, reconcile) over one worker's tenant-scoped ``Store``.

Collections
-----------

``entries``   the journal: one document per entry, all its postings inside (one insert is
              atomic without transactions); ``_id`` = ``entry_id``. Never updated, never deleted.
              Unique: ``entry_id``; ``(studio_id, idempotency_key)`` (a request or an event is
              booked once); ``(studio_id, seq)`` (the optimistic lock).
``accounts``  one projection per studio (``_id`` = studio id): balances, cycles, the fixed-asset
              register, per-year movement buckets and the last ``seq`` — a pure function of the
              studio's entries (``domain/projection.py``), plus ``names`` and ``updated_at``.

Booking (``Ledger.book``)
-------------------------

1. read the projection (one read by ``_id``) and rebuild the builders' state from it; a
   reversal folds the studio's entries instead (it needs them);
2. build the entry with the domain builder (rules R-20…R-25 are checked there);
3. insert it: **the commit point**. A clash on ``(studio_id, idempotency_key)`` means this
   request or event was booked already: the first entry is the answer (same request) or 409
   (another request under the same key). A clash on ``(studio_id, seq)`` means another booking
   got there first, or the projection lags behind the journal: fold the entries, repair the
   projection, build again (at most ``MAX_BOOKING_ATTEMPTS`` times);
4. move the projection forward: ``update({_id, seq < new seq}, …, upsert)`` — a projection
   only ever moves forward, so a late writer never overwrites a newer one.

A crash between 3 and 4 leaves the projection one entry behind; the next booking's seq clash
repairs it, and ``verify`` (admin/finance RPC) finds and repairs it too.

Nothing here folds a whole account when the projection is current: a booking costs one read,
one insert and one update, whatever the account's age.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Callable, Mapping

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from services.ledger.domain import (AccountState, AlreadyBooked, FixedAssetThresholds, JournalEntry,
                                    LedgerError, LedgerIntegrityError, advance_projection,
                                    bonus_entry, bonus_key, clawback_entry, clawback_key,
                                    cycle_compliance, differences, expenditure_entry, grant_entry,
                                    grant_key, matching_entry, next_booking_time, rebuild_projection,
                                    reconcile, reconcile_projections, repayment_entry, reversal_entry,
                                    state_from_projection, year_bounds)
from services.ledger.domain.journal import as_entry
from services.ledger.domain.projection import DERIVED_FIELDS, years_of
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.inbox import INBOX_INDEXES
from shared.principal import TENANT, Principal
from shared.storage import Index, Scope, Store

log = logging.getLogger("skillmaster.ledger")

ACCOUNTS, ENTRIES = "accounts", "entries"

SCOPES = {
    ACCOUNTS: Scope("tenant_id", "unit_id"),
    ENTRIES: Scope("tenant_id", "unit_id"),
}

INDEXES = [
    Index(ENTRIES, [("entry_id", ASCENDING)], unique=True, name="entry_id"),
    Index(ENTRIES, [("studio_id", ASCENDING), ("idempotency_key", ASCENDING)], unique=True,
          name="one_booking_per_key"),
    Index(ENTRIES, [("studio_id", ASCENDING), ("seq", ASCENDING)], unique=True, name="optimistic_lock"),
    Index(ENTRIES, [("booked_at", ASCENDING)]),                          # reconciliation from entries
    Index(ENTRIES, [("tenant_id", ASCENDING), ("booked_at", ASCENDING)]),
    Index(ACCOUNTS, [("tenant_id", ASCENDING), ("unit_id", ASCENDING)]),
    *INBOX_INDEXES,
]

MAX_BOOKING_ATTEMPTS = 8


# --------------------------------------------------------------------------- rendering

from services.ledger.domain.queries import (MAX_CLIENT_KEY, event_data, parse_int, parse_moment,  # noqa: E402,F401
                                            parse_year, request_key, studio_name)
from services.ledger.domain.views import render_account, render_entry, workbook_payload, yuan_text  # noqa: E402,F401


# --------------------------------------------------------------------------- the data layer

class Ledger:
    """The ledger as one worker sees it (its principal, its moment, its thresholds)."""

    def __init__(self, store: Store, now: datetime, thresholds: FixedAssetThresholds):
        self.store = store
        self.now = now
        self.thresholds = thresholds
        self.accounts = store.scoped(ACCOUNTS)
        self.entries = store.scoped(ENTRIES)

    # -- reads -----------------------------------------------------------------------
    def account_doc(self, studio_id: str) -> dict:
        doc = self.accounts.find_one({"_id": studio_id})
        if doc is None:
            raise NotFound(f"the account of studio {studio_id} was not found")
        return doc

    def entry_docs(self, studio_id: str) -> list[dict]:
        return self.entries.find({"studio_id": studio_id}, sort=[("seq", ASCENDING)])

    def account(self, studio_id: str) -> dict:
        return render_account(self.account_doc(studio_id))

    def list_accounts(self, page=1, page_size=50, tenant_id=None) -> dict:
        flt = {"tenant_id": tenant_id} if tenant_id else {}
        return self.accounts.page(flt, page, page_size, sort=(("tenant_id", ASCENDING), ("_id", ASCENDING)),
                                  render=render_account)

    def list_entries(self, studio_id: str, page=1, page_size=50, kind=None, year=None) -> dict:
        account = self.account_doc(studio_id)
        flt: dict = {"studio_id": studio_id}
        if kind:
            flt["kind"] = str(kind)
        if year not in (None, ""):
            start, end = year_bounds(parse_year(year))
            flt["booked_at"] = {"$gte": start, "$lt": end}
        reversed_by = account.get("reversed_by") or {}
        return self.entries.page(flt, page, page_size, sort=(("seq", ASCENDING),),
                                 render=lambda d: render_entry(d, reversed_by))

    def fixed_assets(self, studio_id: str) -> dict:
        register = render_account(self.account_doc(studio_id))["fixed_assets"]
        return {"studio_id": studio_id, "items": register, "count": len(register),
                "total_fen": sum(r["amount_fen"] for r in register),
                "thresholds": {"general_fen": self.thresholds.general_fen,
                               "special_equipment_fen": self.thresholds.special_equipment_fen}}

    def compliance(self, studio_id: str, cycle=None, next_assessment_at=None, as_of=None) -> dict:
        self.account_doc(studio_id)  # 404 outside the caller's scope
        with_cycle = parse_int(cycle, "cycle", minimum=1)
        deadline = parse_moment(next_assessment_at, "next_assessment_at")
        moment = parse_moment(as_of, "as_of") or self.now
        return cycle_compliance(self.entry_docs(studio_id), cycle=with_cycle, next_assessment_at=deadline,
                                as_of=moment)

    # -- booking ---------------------------------------------------------------------
    def book(self, studio_id: str, build: Callable[[AccountState], JournalEntry], key: str, *,
             opening: bool = False, full: bool = False, names: Mapping | None = None) -> tuple[JournalEntry, bool]:
        """Book ``build(state)``; returns (entry, created). ``created`` is False when ``key``
        booked this same request before (the first entry is returned, nothing is written)."""
        stale = False
        for _ in range(MAX_BOOKING_ATTEMPTS):
            doc = None if stale else self.accounts.find_one({"_id": studio_id})
            light = doc is not None and not full
            if light:
                state, years = state_from_projection(doc), years_of(doc)
            else:
                docs = self.entry_docs(studio_id)
                if not docs and not opening:
                    raise NotFound(f"the account of studio {studio_id} was not found")
                state, projection = rebuild_projection(docs)
                years = projection["years"]
                if docs and (stale or doc is None):
                    self._move_projection(studio_id, projection, names)   # repair a lagging projection
            try:
                entry = self._build(build, state, studio_id, key, light)
            except AlreadyBooked as done:
                return self._entry(done.entry_id), False
            except LedgerError:
                if light and self._lags(studio_id, state.seq):
                    stale = True   # judged on a projection a crash left behind: judge on the journal
                    continue
                raise
            document = entry.to_document()
            document["_id"] = entry.entry_id
            if not self.entries.in_scope(document):
                raise NotFound(f"the account of studio {studio_id} was not found")
            try:
                self.entries.collection.insert_one(document)          # the commit point
            except DuplicateKeyError:
                first = self._by_key(studio_id, key)
                if first is not None:
                    try:
                        self._build(build, self._knowing(state, key, first), studio_id, key, False)
                    except AlreadyBooked:
                        return as_entry(first), False
                    raise LedgerIntegrityError(f"key {key!r} is taken but the builder did not notice")
                stale = True   # the seq was taken: another booking won, or the projection lags
                continue
            _, _, projection = advance_projection(state, years, entry)
            self._move_projection(studio_id, projection, names)
            return entry, True
        raise Conflict(f"the account of studio {studio_id} is busy with concurrent bookings; try again")

    def _build(self, build, state: AccountState, studio_id: str, key: str, light: bool) -> JournalEntry:
        try:
            return build(state)
        except LedgerError:
            # the light state does not know the keys used before: a replay that the account's
            # rules would now refuse is still answered with its first entry (or 409)
            if not light:
                raise
            first = self._by_key(studio_id, key)
            if first is None:
                raise
            return build(self._knowing(state, key, first))

    @staticmethod
    def _knowing(state: AccountState, key: str, first: Mapping) -> AccountState:
        known = state.copy()
        known.idempotency[key] = (first["entry_id"], first["request_hash"])
        return known

    def _lags(self, studio_id: str, seq: int) -> bool:
        """Is there an entry after the projection's last one?"""
        return self.entries.collection.find_one({"studio_id": studio_id, "seq": seq + 1}, {"_id": 1}) is not None

    def _by_key(self, studio_id: str, key: str) -> dict | None:
        return self.entries.collection.find_one({"studio_id": studio_id, "idempotency_key": key})

    def _entry(self, entry_id: str) -> JournalEntry:
        doc = self.entries.collection.find_one({"_id": entry_id})
        if doc is None:
            raise LedgerIntegrityError(f"entry {entry_id} vanished")
        return as_entry(doc)

    def _move_projection(self, studio_id: str, projection: Mapping, names: Mapping | None = None) -> None:
        """Store ``projection`` unless one at least as new is stored (projections only move forward)."""
        update = {"$set": {**projection, "updated_at": self.now},
                  "$setOnInsert": {"names": dict(names or {})}}
        try:
            self.accounts.collection.update_one({"_id": studio_id, "seq": {"$lt": projection["seq"]}},
                                                update, upsert=True)
        except DuplicateKeyError:
            pass  # a projection at least as new is stored already

    def book_request(self, principal: Principal, studio_id: str, req: Mapping, client_key: str | None) -> tuple[dict, bool]:
        """A unit's booking (validated by ``EntryRequestSchema``)."""
        key = request_key(principal, client_key)
        now, caused = self.now, {"user": principal.user}
        kind = req["kind"]
        if kind == "matching":
            def build(s):
                return matching_entry(s, amount_fen=req["amount_fen"], booked_at=next_booking_time(s, now),
                                      idempotency_key=key, caused_by=caused, memo=req.get("memo", ""))
        elif kind == "expenditure":
            def build(s):
                return expenditure_entry(
                    s, amount_fen=req["amount_fen"], category=req["category"], funding=req["funding"],
                    booked_at=next_booking_time(s, now), idempotency_key=key, caused_by=caused,
                    fixed_asset=req.get("fixed_asset"), special_equipment=req.get("special_equipment", False),
                    unit_price_fen=req.get("unit_price_fen"), thresholds=self.thresholds,
                    memo=req.get("memo", ""))
        elif kind == "reversal":
            def build(s):
                return reversal_entry(s, req["reverses"], booked_at=next_booking_time(s, now),
                                      idempotency_key=key, caused_by=caused, reason=req.get("memo", ""))
        elif kind == "repayment":
            def build(s):
                return repayment_entry(s, amount_fen=req["amount_fen"], booked_at=next_booking_time(s, now),
                                       idempotency_key=key, caused_by=caused, memo=req.get("memo", ""))
        else:  # the schema allows no other kind
            raise ValidationFailed("unknown kind", errors={"kind": "matching, expenditure, reversal or repayment"})
        entry, created = self.book(studio_id, build, key, full=(kind == "reversal"))
        reversed_by = {}
        if not created:
            reversed_by = (self.accounts.find_one({"_id": studio_id}) or {}).get("reversed_by") or {}
        return render_entry(entry, reversed_by), created

    # -- bookings caused by events (the store acts as the system) ----------------------
    def book_grant(self, event: Mapping) -> tuple[JournalEntry, bool]:
        """studio.designated → open the account with the one-off 300,000 CNY grant (R-21)."""
        data = event_data(event, "studio_id", "tenant_id", "unit_id")
        sid, key, now = data["studio_id"], grant_key(data["studio_id"]), self.now
        caused = {"event_id": str(event["event_id"]), "event_type": str(event.get("type"))}
        memo = "认定，市级一次性资助" + (f"（铭牌 {data['nameplate_no']}）" if data.get("nameplate_no") else "")
        names = {"studio": studio_name(data), "unit": str(data.get("unit_name") or ""),
                 "tenant": str(data.get("tenant_name") or "")}

        def build(s):
            return grant_entry(s, booked_at=next_booking_time(s, now), idempotency_key=key, caused_by=caused,
                               studio_id=sid, tenant_id=data["tenant_id"], unit_id=data["unit_id"], memo=memo)
        return self.book(sid, build, key, opening=True, names=names)

    def book_bonus(self, event: Mapping) -> tuple[JournalEntry, bool] | None:
        """assessment.graded excellent → 200,000 CNY and a new funding cycle (R-21, R-25)."""
        data = event_data(event, "studio_id", "grade")
        if data["grade"] != "excellent":
            return None
        round_id = str(data.get("round_id") or event["event_id"])
        sid, now = data["studio_id"], self.now
        key = bonus_key(f"{round_id}:{sid}")   # one bonus per studio per assessment round
        caused = {"event_id": str(event["event_id"]), "event_type": str(event.get("type"))}

        def build(s):
            return bonus_entry(s, booked_at=next_booking_time(s, now), idempotency_key=key, caused_by=caused,
                               memo=f"考核优秀，市级追加资助（考核 {round_id}）")
        return self.book(sid, build, key)

    def book_clawback(self, event: Mapping) -> tuple[JournalEntry, bool]:
        """studio.revoked → claw back the current cycle's city funds (R-20)."""
        data = event_data(event, "studio_id")
        revocation = data.get("revocation_id") or data.get("revocation_request_id") or event["event_id"]
        sid, key, now = data["studio_id"], clawback_key(str(revocation)), self.now
        caused = {"event_id": str(event["event_id"]), "event_type": str(event.get("type"))}
        ground = data.get("ground_name") or data.get("ground") or ""

        def build(s):
            return clawback_entry(s, booked_at=next_booking_time(s, now), idempotency_key=key, caused_by=caused,
                                  memo=f"撤销称号，追回本资助周期市级资金（{ground}）" if ground else
                                  "撤销称号，追回本资助周期市级资金")
        return self.book(sid, build, key)

    # -- the check: rebuild the projection from the entries and compare -----------------
    def verify(self, studio_id: str, repair: bool = False) -> dict:
        doc = self.accounts.find_one({"_id": studio_id})
        docs = self.entry_docs(studio_id)
        if doc is None and not docs:
            raise NotFound(f"the account of studio {studio_id} was not found")
        return self._verify_one(studio_id, doc, docs, repair)

    def verify_all(self, repair: bool = False) -> dict:
        by_studio: dict[str, list] = {}
        for d in self.entries.find():
            by_studio.setdefault(d["studio_id"], []).append(d)
        accounts = {d["_id"]: d for d in self.accounts.find()}
        mismatched, repaired = [], 0
        for sid in sorted(set(by_studio) | set(accounts)):
            result = self._verify_one(sid, accounts.get(sid), by_studio.get(sid, []), repair)
            if not result["ok"]:
                mismatched.append(result)
                repaired += result["repaired"]
        return {"accounts": len(accounts), "entries": sum(len(v) for v in by_studio.values()),
                "ok": not mismatched, "mismatched": mismatched, "repaired": repaired}

    def _verify_one(self, studio_id: str, doc: Mapping | None, docs: list, repair: bool) -> dict:
        if docs:
            try:
                _, rebuilt = rebuild_projection(docs)
            except LedgerIntegrityError as exc:   # the journal itself is wrong: report, never "repair"
                return {"studio_id": studio_id, "ok": False, "seq": len(docs),
                        "stored_seq": doc.get("seq") if doc else None,
                        "differences": [f"entries: {exc.message}"], "repaired": False}
            diffs = differences(doc, rebuilt)
        else:
            rebuilt, diffs = None, ["projection: an account without entries"]
        fixed = False
        if diffs and repair:
            if rebuilt is None:
                raise Conflict(f"studio {studio_id} has a projection but no entries; not repaired automatically")
            self.accounts.collection.update_one(
                {"_id": studio_id}, {"$set": {**{f: rebuilt[f] for f in DERIVED_FIELDS}, "updated_at": self.now},
                                     "$setOnInsert": {"names": {}}}, upsert=True)
            fixed = True
            log.warning("ledger projection of %s repaired from its entries", studio_id,
                        extra={"fields": {"studio_id": studio_id, "differences": diffs}})
        return {"studio_id": studio_id, "ok": not diffs, "seq": len(docs),
                "stored_seq": doc.get("seq") if doc else None, "differences": diffs, "repaired": fixed}

    # -- reconciliation ----------------------------------------------------------------
    def reconciliation(self, principal: Principal, year: Any, tenant_id: str | None = None,
                       source: str = "projection") -> dict:
        year = parse_year(year)
        if principal.role == TENANT:
            if tenant_id not in (None, "", principal.tenant_id):
                raise NotFound(f"tenant {tenant_id} not found")
            tenant_id = principal.tenant_id
        flt = {"tenant_id": tenant_id} if tenant_id else {}
        accounts = list(self.accounts.collection.find(
            self.accounts.scoped(flt), {"studio_id": 1, "years": 1, "names": 1, "tenant_id": 1, "unit_id": 1}))
        studio_names, unit_names, tenant_names = {}, {}, {}
        for a in accounts:
            n = a.get("names") or {}
            studio_names[a["studio_id"]] = n.get("studio", "")
            if n.get("unit"):
                unit_names[a["unit_id"]] = n["unit"]
            if n.get("tenant"):
                tenant_names[a["tenant_id"]] = n["tenant"]
        city_name = "全市" if not tenant_id else f"{tenant_names.get(tenant_id) or tenant_id}（本主管部门）"
        if source == "entries":
            _, end = year_bounds(year)
            docs = self.entries.find({**flt, "booked_at": {"$lt": end}})
            report = reconcile(docs, year, studio_names=studio_names, unit_names=unit_names,
                               tenant_names=tenant_names)
            report["city"]["name"] = city_name
        elif source == "projection":
            report = reconcile_projections(accounts, year, studio_names=studio_names, unit_names=unit_names,
                                           tenant_names=tenant_names, city_name=city_name)
        else:
            raise ValidationFailed("unknown source", errors={"source": "projection or entries"})
        report["scope"] = {"tenant_id": tenant_id}
        report["source"] = source
        return report
