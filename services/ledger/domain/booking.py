"""Builders: the only way new journal entries are made.  Each checks the rules against the
current ``AccountState`` and returns a new ``JournalEntry`` (nothing is written here; the
caller inserts the entry's document, then may ``apply`` it).

    grant_entry(state, *, booked_at, idempotency_key, caused_by, amount_fen=GRANT_FEN,
                studio_id=None, tenant_id=None, unit_id=None, memo="")
    bonus_entry(state, *, booked_at, idempotency_key, caused_by, amount_fen=BONUS_FEN, memo="")
    matching_entry(state, *, amount_fen, booked_at, idempotency_key, caused_by, memo="")
    expenditure_entry(state, *, amount_fen, category, funding, booked_at, idempotency_key,
                      caused_by, fixed_asset=None, special_equipment=False,
                      unit_price_fen=None, thresholds=DEFAULT_THRESHOLDS, memo="")
    reversal_entry(state, original, *, booked_at, idempotency_key, caused_by, reason)
    clawback_entry(state, *, booked_at, idempotency_key, caused_by, memo="")
    repayment_entry(state, *, amount_fen, booked_at, idempotency_key, caused_by, memo="")
    next_booking_time(state, now) -> datetime

Every builder, in this order:

1. idempotency: the key already booked the same request -> ``AlreadyBooked(entry_id)`` (answer
   with the first result, write nothing); the key booked a different request ->
   ``IdempotencyConflict`` (409).  This comes first, so a replay is recognised even after
   the account moved on (e.g. a redelivered ``studio.revoked`` after the clawback).
2. ``booked_at`` is aware and not before the last entry (entries are booked in time order, so
   "as of" folds and closed reconciliation years stay true; use ``next_booking_time``; an
   event's own time stays in ``caused_by``).
3. the kind's rules (below), then builds the entry with ``seq = state.seq + 1``.

Rules
-----

* amounts: int fen, > 0 (R-24, ``LedgerRuleViolation``).
* grant (R-21): one live grant per account (``LedgerConflict`` R-21); opens cycle 1.  The
  first entry: pass ``studio_id``/``tenant_id``/``unit_id`` (later ones take them from the
  state; a unit that moved to another tenant may pass new ``tenant_id``/``unit_id``).
* bonus (R-21, R-25): needs an open account; opens the next cycle.
* matching (R-23): needs an open account.
* expenditure (R-22): ``category`` one of the four; ``funding`` -- chosen by the unit --
  ``"city"`` (spends city money) or ``"matching"`` (spends the unit's matching money; tracked
  alike).  Spending more city money than ``cash:city`` holds -> ``LedgerRuleViolation``
  R-22 ``ledger.insufficient_city_funds``; more matching money than ``cash:matching`` holds
  -> R-24 ``ledger.insufficient_matching_funds``.  Fixed assets: the price of the dearest
  single item (``unit_price_fen``; default: the whole amount, or amount // quantity when
  ``fixed_asset`` is given) at or above the threshold (``thresholds.general_fen`` = 1,000 CNY,
  ``special_equipment_fen`` = 1,500 CNY when ``special_equipment``) requires ``fixed_asset``
  = {asset_tag, name, quantity, location} (R-22 ``ledger.fixed_asset_required``); an asset
  tag already on the live register -> ``LedgerConflict`` R-22.  Any expenditure that carries
  ``fixed_asset`` is put on the register.
* reversal (R-24): ``original`` is an entry id (or the entry) of this account
  (``UnknownEntry`` 404).  A reversal cannot be reversed (``LedgerConflict``), an entry is
  reversed at most once (``AlreadyReversed``), a ``reason`` is required.  The reversal may
  not drive a cash account below zero (reversing a grant or matching money already spent:
  R-22 / R-24).  A grant or bonus can be reversed only while it opens the current cycle and
  nothing else booked in that cycle is live; the cycle is then rolled back (R-25).  After a
  clawback only the clawback itself can be reversed (revocation annulled), which reopens the
  account.
* clawback (R-20): needs an open, not yet revoked account.  See ``clawback_entry``.
* repayment (R-20): only after a clawback, at most what the unit still owes
  (``LedgerRuleViolation`` R-20 ``ledger.repayment_exceeds_owed``); the owed balance reaches
  zero through repayments.  A clawback with repayments cannot be reversed.
* every kind but the repayment and the clawback's reversal is refused after a clawback:
  ``AccountClosed`` (409 R-20).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from .balances import AccountState
from .errors import (AccountClosed, AlreadyBooked, AlreadyReversed, IdempotencyConflict,
                     LedgerConflict, LedgerRuleViolation, LedgerValidationError, UnknownEntry)
from .journal import (BONUS, BONUS_FEN, CASH_ACCOUNT, CASH_CITY, CASH_MATCHING, CATEGORIES,
                      CLAWBACK, EXPENDITURE, FUNDING_CITY, FUNDING_CITY_BONUS, FUNDING_CITY_CLAWBACK,
                      FUNDING_CITY_GRANT, FUNDING_MATCHING_ACC, FUNDINGS, GRANT, GRANT_FEN, MATCHING,
                      FUNDING_UNIT_REPAYMENT, PAYABLE_CITY_CLAWBACK, REPAYMENT, REVERSAL, SOURCE_CITY_BONUS, SOURCE_CITY_GRANT,
                      SOURCE_MATCHING, JournalEntry, Posting, check_amount, check_caused_by,
                      check_fixed_asset, check_text, entry_id_for, expense_account,
                      normalize_datetime, request_hash)


@dataclass(frozen=True)
class FixedAssetThresholds:
    """R-22 fixed-asset standard, per item (configurable; defaults 1,000 / 1,500 CNY)."""
    general_fen: int = 100_000
    special_equipment_fen: int = 150_000

    def __post_init__(self) -> None:
        for name in ("general_fen", "special_equipment_fen"):
            check_amount(getattr(self, name), name, rule="R-22")

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any] | None) -> "FixedAssetThresholds":
        """From e.g. ``{"general_fen": 100000, "special_equipment_fen": 150000}``."""
        cfg = dict(cfg or {})
        return cls(**{k: cfg[k] for k in ("general_fen", "special_equipment_fen") if k in cfg})

    def for_item(self, special_equipment: bool) -> int:
        return self.special_equipment_fen if special_equipment else self.general_fen


DEFAULT_THRESHOLDS = FixedAssetThresholds()


def next_booking_time(state: AccountState, now: datetime) -> datetime:
    """``now`` (aware), but never before the account's last entry (clock skew between workers)."""
    now = normalize_datetime(now)
    return max(now, state.last_booked_at) if state.last_booked_at else now


# --------------------------------------------------------------------------- common

def _check_idempotency(state: AccountState, key: Any, request: dict) -> str:
    key = check_text(key, "idempotency_key", max_len=200)
    h = request_hash(request)
    seen = state.idempotency.get(key)
    if seen is not None:
        entry_id, first_hash = seen
        if first_hash == h:
            raise AlreadyBooked(entry_id, key)
        raise IdempotencyConflict(f"idempotency key {key!r} was used for a different request "
                                  f"(entry {entry_id})", field="idempotency_key", entry_id=entry_id)
    return h


def _check_time(state: AccountState, booked_at: Any) -> datetime:
    t = normalize_datetime(booked_at)
    if state.last_booked_at is not None and t < state.last_booked_at:
        raise LedgerRuleViolation("entries are booked in time order: booked_at is before the "
                                  "account's last entry (back-dating is not allowed)",
                                  rule="R-24", field="booked_at", code="ledger.backdated")
    return t


def _check_request(state: AccountState, idempotency_key: Any, request: dict, booked_at: Any,
                   caused_by: Any) -> tuple[str, datetime, dict]:
    """The checks every builder makes, in this order: the idempotency key against ``request``,
    the booking time, who caused it, and the amount when the request has one.
    Returns (request hash, booking time, caused_by)."""
    h = _check_idempotency(state, idempotency_key, request)
    t = _check_time(state, booked_at)
    cb = check_caused_by(caused_by)
    if "amount_fen" in request:
        check_amount(request["amount_fen"])
    return h, t, cb


def _require_open(state: AccountState, what: str) -> None:
    if state.revoked:
        raise AccountClosed()
    if not state.is_open:
        raise LedgerConflict(f"no grant booked yet: the account is not open, cannot book {what}",
                             rule="R-21", code="ledger.account_not_open")


def _ids(state: AccountState, studio_id=None, tenant_id=None, unit_id=None) -> tuple[str, str, str]:
    if state.studio_id is not None and studio_id is not None and studio_id != state.studio_id:
        raise LedgerValidationError(f"this account belongs to studio {state.studio_id}", field="studio_id")
    sid = studio_id if studio_id is not None else state.studio_id
    tid = tenant_id if tenant_id is not None else state.tenant_id
    uid = unit_id if unit_id is not None else state.unit_id
    for name, v in (("studio_id", sid), ("tenant_id", tid), ("unit_id", uid)):
        if v is None:
            raise LedgerValidationError(f"{name} is required for the account's first entry", field=name)
        check_text(v, name, max_len=200)
    return sid, tid, uid


def _entry(state: AccountState, *, ids, kind, amount_fen, booked_at, cycle, key, req_hash,
           caused_by, postings, **extra) -> JournalEntry:
    sid, tid, uid = ids
    return JournalEntry(
        entry_id=entry_id_for(sid, key), seq=state.seq + 1, studio_id=sid, tenant_id=tid,
        unit_id=uid, kind=kind, amount_fen=amount_fen, booked_at=booked_at, cycle=cycle,
        idempotency_key=key, request_hash=req_hash, caused_by=caused_by,
        postings=tuple(postings), **extra)


# --------------------------------------------------------------------------- builders

def grant_entry(state: AccountState, *, booked_at: datetime, idempotency_key: str, caused_by: Mapping,
                amount_fen: int = GRANT_FEN, studio_id: str | None = None,
                tenant_id: str | None = None, unit_id: str | None = None, memo: str = "") -> JournalEntry:
    """R-21: the one-off designation grant; opens the account's first funding cycle."""
    ids = _ids(state, studio_id, tenant_id, unit_id)
    memo = check_text(memo, "memo", allow_empty=True)
    h, t, cb = _check_request(state, idempotency_key, {"kind": GRANT, "studio_id": ids[0],
                                                    "amount_fen": amount_fen, "memo": memo}, booked_at, caused_by)
    if state.revoked:
        raise AccountClosed()
    if state.is_open:
        raise LedgerConflict("the one-off designation grant was already booked", rule="R-21",
                             field="kind", code="ledger.grant_exists",
                             entry_id=state.cycles[0].opened_by)
    return _entry(state, ids=ids, kind=GRANT, amount_fen=amount_fen, booked_at=t, cycle=state.cycle + 1,
                  key=idempotency_key, req_hash=h, caused_by=cb, source=SOURCE_CITY_GRANT, memo=memo,
                  postings=(Posting(CASH_CITY, amount_fen), Posting(FUNDING_CITY_GRANT, -amount_fen)))


def bonus_entry(state: AccountState, *, booked_at: datetime, idempotency_key: str, caused_by: Mapping,
                amount_fen: int = BONUS_FEN, memo: str = "") -> JournalEntry:
    """R-21/R-25: the 200,000 CNY bonus after an excellent grade; opens a new funding cycle."""
    _require_open_ids(state)
    ids = _ids(state)
    memo = check_text(memo, "memo", allow_empty=True)
    h, t, cb = _check_request(state, idempotency_key, {"kind": BONUS, "studio_id": ids[0],
                                                    "amount_fen": amount_fen, "memo": memo}, booked_at, caused_by)
    _require_open(state, "a bonus")
    return _entry(state, ids=ids, kind=BONUS, amount_fen=amount_fen, booked_at=t, cycle=state.cycle + 1,
                  key=idempotency_key, req_hash=h, caused_by=cb, source=SOURCE_CITY_BONUS, memo=memo,
                  postings=(Posting(CASH_CITY, amount_fen), Posting(FUNDING_CITY_BONUS, -amount_fen)))


def matching_entry(state: AccountState, *, amount_fen: int, booked_at: datetime, idempotency_key: str,
                   caused_by: Mapping, memo: str = "", tenant_id: str | None = None,
                   unit_id: str | None = None) -> JournalEntry:
    """R-23: matching funds put into the account by the unit."""
    _require_open_ids(state)
    ids = _ids(state, None, tenant_id, unit_id)
    memo = check_text(memo, "memo", allow_empty=True)
    h, t, cb = _check_request(state, idempotency_key, {"kind": MATCHING, "studio_id": ids[0],
                                                    "amount_fen": amount_fen, "memo": memo}, booked_at, caused_by)
    _require_open(state, "matching funds")
    return _entry(state, ids=ids, kind=MATCHING, amount_fen=amount_fen, booked_at=t, cycle=state.cycle,
                  key=idempotency_key, req_hash=h, caused_by=cb, source=SOURCE_MATCHING, memo=memo,
                  postings=(Posting(CASH_MATCHING, amount_fen), Posting(FUNDING_MATCHING_ACC, -amount_fen)))


def expenditure_entry(state: AccountState, *, amount_fen: int, category: str, funding: str,
                      booked_at: datetime, idempotency_key: str, caused_by: Mapping,
                      fixed_asset: Mapping | None = None, special_equipment: bool = False,
                      unit_price_fen: int | None = None,
                      thresholds: FixedAssetThresholds = DEFAULT_THRESHOLDS, memo: str = "",
                      tenant_id: str | None = None, unit_id: str | None = None) -> JournalEntry:
    """R-22: spending, by category, from city or matching money."""
    _require_open_ids(state)
    ids = _ids(state, None, tenant_id, unit_id)
    memo = check_text(memo, "memo", allow_empty=True)
    fa_norm = check_fixed_asset(fixed_asset) if fixed_asset is not None else None
    h, t, cb = _check_request(state, idempotency_key, {
        "kind": EXPENDITURE, "studio_id": ids[0], "amount_fen": amount_fen, "category": category,
        "funding": funding, "fixed_asset": fa_norm, "special_equipment": special_equipment,
        "unit_price_fen": unit_price_fen, "memo": memo}, booked_at, caused_by)
    if category not in CATEGORIES:
        raise LedgerRuleViolation(f"category must be one of {', '.join(CATEGORIES)}", rule="R-22",
                                  field="category", code="ledger.category_invalid")
    if funding not in FUNDINGS:
        raise LedgerRuleViolation("funding must be 'city' or 'matching'", rule="R-24", field="funding",
                                  code="ledger.funding_invalid")
    if not isinstance(special_equipment, bool):
        raise LedgerValidationError("special_equipment must be true or false", field="special_equipment")
    if not isinstance(thresholds, FixedAssetThresholds):
        thresholds = FixedAssetThresholds.from_config(thresholds)
    _require_open(state, "an expenditure")

    if unit_price_fen is not None:
        check_amount(unit_price_fen, "unit_price_fen", rule="R-22")
        if unit_price_fen > amount_fen:
            raise LedgerRuleViolation("unit_price_fen cannot exceed amount_fen", rule="R-22",
                                      field="unit_price_fen", code="ledger.unit_price_invalid")
        item_price = unit_price_fen
    elif fa_norm is not None:
        item_price = max(1, amount_fen // fa_norm["quantity"])
    else:
        item_price = amount_fen
    threshold = thresholds.for_item(special_equipment)
    if fa_norm is None and item_price >= threshold:
        raise LedgerRuleViolation(
            f"an item of {item_price} fen is at or above the fixed-asset threshold of {threshold} fen: "
            "fixed_asset (asset_tag, name, quantity, location) is required",
            rule="R-22", field="fixed_asset", code="ledger.fixed_asset_required",
            threshold_fen=threshold)
    if fa_norm is not None and any(r.asset_tag == fa_norm["asset_tag"] for r in state.fixed_assets.values()):
        raise LedgerConflict(f"asset tag {fa_norm['asset_tag']!r} is already on the fixed-asset register",
                             rule="R-22", field="fixed_asset.asset_tag", code="ledger.asset_tag_taken")

    cash = CASH_ACCOUNT[funding]
    available = state.balance(cash)
    if amount_fen > available:
        if funding == FUNDING_CITY:
            raise LedgerRuleViolation(
                f"spending {amount_fen} fen of city funds, but the account holds {available} fen",
                rule="R-22", field="amount_fen", code="ledger.insufficient_city_funds",
                available_fen=available)
        raise LedgerRuleViolation(
            f"spending {amount_fen} fen of matching funds, but the account holds {available} fen; "
            "book the matching funds first", rule="R-24", field="amount_fen",
            code="ledger.insufficient_matching_funds", available_fen=available)
    return _entry(state, ids=ids, kind=EXPENDITURE, amount_fen=amount_fen, booked_at=t, cycle=state.cycle,
                  key=idempotency_key, req_hash=h, caused_by=cb, category=category, funding=funding,
                  fixed_asset=fa_norm, unit_price_fen=item_price, special_equipment=special_equipment,
                  memo=memo,
                  postings=(Posting(expense_account(category, funding), amount_fen), Posting(cash, -amount_fen)))


def reversal_entry(state: AccountState, original: "str | JournalEntry", *, booked_at: datetime,
                   idempotency_key: str, caused_by: Mapping, reason: str) -> JournalEntry:
    """R-24: a correction; the original's postings negated, pointing at the original."""
    _require_open_ids(state)
    ids = _ids(state)
    original_id = original.entry_id if isinstance(original, JournalEntry) else original
    if not isinstance(original_id, str):
        raise LedgerValidationError("original must be an entry id", field="reverses")
    reason = check_text(reason, "reason")
    h, t, cb = _check_request(state, idempotency_key, {"kind": REVERSAL, "studio_id": ids[0],
                                                    "reverses": original_id, "memo": reason}, booked_at, caused_by)
    orig = state.entries.get(original_id)
    if orig is None:
        raise UnknownEntry(f"entry {original_id} is not in this account", field="reverses")
    if isinstance(original, JournalEntry) and original != orig:
        raise LedgerValidationError("the given entry differs from the one in the account", field="reverses")
    if orig.kind == REVERSAL:
        raise LedgerConflict("a reversal cannot be reversed; book the original movement again",
                             rule="R-24", field="reverses", code="ledger.reverse_reversal")
    if original_id in state.reversed_by:
        raise AlreadyReversed(f"entry {original_id} was already reversed by {state.reversed_by[original_id]}",
                              rule="R-24", field="reverses", reversal_id=state.reversed_by[original_id])
    if state.revoked and orig.kind != CLAWBACK:
        raise AccountClosed("the account was clawed back: only the clawback itself can be reversed")
    if orig.kind == CLAWBACK and any(e.kind == REPAYMENT for e in state.entries.values()):
        raise LedgerConflict("the unit has repaid part of what the clawback left owed; a clawback with "
                             "repayments cannot be reversed", rule="R-20", field="reverses",
                             code="ledger.clawback_repaid")
    if orig.kind in (GRANT, BONUS):
        current = state.current_cycle
        if current is None or current.opened_by != orig.entry_id:
            raise LedgerConflict("only the grant or bonus that opened the current funding cycle can be "
                                 "reversed", rule="R-25", field="reverses", code="ledger.cycle_closed")
        busy = [e.entry_id for e in state.entries.values()
                if e.cycle == orig.cycle and e.entry_id != orig.entry_id and state.is_live(e.entry_id)]
        if busy:
            raise LedgerConflict(f"{len(busy)} live entries were booked in this funding cycle; reverse "
                                 "them first", rule="R-25", field="reverses", code="ledger.cycle_in_use")
    postings = tuple(p.negated() for p in orig.postings)
    for acc, rule in ((CASH_CITY, "R-22"), (CASH_MATCHING, "R-24")):
        after = state.balance(acc) + sum(p.amount_fen for p in postings if p.account == acc)
        if after < 0:
            raise LedgerRuleViolation(
                f"reversing {original_id} would leave {acc} at {after} fen: the money was already spent; "
                "reverse the spending first", rule=rule, field="reverses", code="ledger.reversal_overdraws")
    return _entry(state, ids=ids, kind=REVERSAL, amount_fen=orig.amount_fen, booked_at=t, cycle=orig.cycle,
                  key=idempotency_key, req_hash=h, caused_by=cb, reverses=orig.entry_id,
                  source=orig.source, funding=orig.funding, category=orig.category, memo=reason,
                  postings=postings)


def clawback_entry(state: AccountState, *, booked_at: datetime, idempotency_key: str, caused_by: Mapping,
                   memo: str = "") -> JournalEntry:
    """R-20: on revocation, claw back all city funds of the current funding cycle.

    C = the city funds that opened the current cycle (the grant in cycle 1, else the bonus).
    City money is spent oldest first, so what is left in ``cash:city`` is the newest money:
    the unspent part of this cycle is R = min(cash:city, C); it is returned to the city
    (Cr cash:city R).  The spent part O = C - R is recorded as owed by the unit
    (Cr payable:city_clawback O).  Dr funding:city_clawback C.  City money left over from an
    earlier cycle (only when R = C and cash:city > C) is not part of this cycle's funds and
    stays in the account.  Matching money is the unit's and stays.  Afterwards the account
    is closed (``AccountClosed``) until the clawback itself is reversed.
    """
    _require_open_ids(state)
    ids = _ids(state)
    memo = check_text(memo, "memo", allow_empty=True)
    h, t, cb = _check_request(state, idempotency_key, {"kind": CLAWBACK, "studio_id": ids[0], "memo": memo},
                              booked_at, caused_by)
    if state.revoked:
        raise AccountClosed("the city funds were already clawed back")
    cycle = state.current_cycle
    if cycle is None:
        raise LedgerConflict("no funding cycle: nothing to claw back", rule="R-20",
                             code="ledger.nothing_to_claw_back")
    c = cycle.city_funds_fen
    returned = min(state.city_unspent_fen, c)
    owed = c - returned
    return _entry(state, ids=ids, kind=CLAWBACK, amount_fen=c, booked_at=t, cycle=cycle.number,
                  key=idempotency_key, req_hash=h, caused_by=cb, source=cycle.source, memo=memo,
                  postings=tuple(Posting(acc, amt) for acc, amt in ((FUNDING_CITY_CLAWBACK, c),
                                                                     (CASH_CITY, -returned),
                                                                     (PAYABLE_CITY_CLAWBACK, -owed))
                                 if amt != 0))


def repayment_entry(state: AccountState, *, amount_fen: int, booked_at: datetime, idempotency_key: str,
                    caused_by: Mapping, memo: str = "") -> JournalEntry:
    """R-20: the unit pays back (part of) the clawed-back city money it had already spent."""
    _require_open_ids(state)
    ids = _ids(state)
    memo = check_text(memo, "memo", allow_empty=True)
    h, t, cb = _check_request(state, idempotency_key, {"kind": REPAYMENT, "studio_id": ids[0],
                                                    "amount_fen": amount_fen, "memo": memo}, booked_at, caused_by)
    if not state.revoked:
        raise LedgerConflict("nothing is owed: the account was not clawed back", rule="R-20",
                             code="ledger.nothing_owed")
    owed = state.owed_by_unit_fen
    if amount_fen > owed:
        raise LedgerRuleViolation(f"the unit owes {owed} fen; a repayment of {amount_fen} fen is more",
                                  rule="R-20", field="amount_fen", code="ledger.repayment_exceeds_owed")
    return _entry(state, ids=ids, kind=REPAYMENT, amount_fen=amount_fen, booked_at=t, cycle=state.cycle,
                  key=idempotency_key, req_hash=h, caused_by=cb, memo=memo,
                  postings=(Posting(PAYABLE_CITY_CLAWBACK, amount_fen),
                            Posting(FUNDING_UNIT_REPAYMENT, -amount_fen)))


def _require_open_ids(state: AccountState) -> None:
    if state.studio_id is None:
        raise LedgerConflict("the account has no entries yet: book the grant first", rule="R-21",
                             code="ledger.account_not_open")
