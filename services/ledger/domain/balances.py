"""Balances of a studio's dedicated account, derived from its journal entries only.

``AccountState`` is a left fold over the entries, in ``seq`` order:

    fold(entries, state=None) -> AccountState        # sorts by seq; accepts entries or documents
    apply(state, entry) -> AccountState              # new state; ``state`` is left untouched
    fold_before(entries, moment) -> AccountState     # only the entries booked before ``moment``

Both are pure and deterministic.  Applying an entry that is already in the state (same
``entry_id``, same content) changes nothing, so replaying a stream twice, or folding
``entries + entries``, gives the same state.  ``apply`` also re-checks what any stored entry
must satisfy (consecutive ``seq``, non-decreasing ``booked_at``, one entry per idempotency key,
a reversal's postings are its original's negated, grants/bonuses open the next cycle, no cash
account below zero, nothing but the clawback's reversal after a clawback) and raises
``LedgerIntegrityError`` otherwise: the builders in ``booking`` never produce such entries.

What the state holds / derives (all money int fen):

* ``balances``           account -> signed balance (debit +), see ``journal`` for the chart
* ``cycle_balances``     cycle number -> the same, for the entries of that cycle (R-25); a
                         reversal belongs to the cycle of the entry it reverses
* ``cycles``             live cycle openers (``Cycle``: number, opened_by, kind, source,
                         started_at, city_funds_fen); ``cycle`` / ``cycle_started_at`` = last one
* ``received_fen()``     by source: city_grant, city_bonus, matching (+ city and total)
* ``spent_by_category()`` / ``spent_by_funding()`` / ``spent_fen``
* ``city_unspent_fen`` / ``matching_unspent_fen`` (the two cash accounts)
* ``clawed_back_fen`` / ``clawback_returned_fen`` / ``owed_by_unit_fen``
* ``revoked`` (a clawback that is not reversed), ``reversed_by`` (original id -> reversal id)
* ``idempotency``        key -> (entry_id, request_hash)
* ``fixed_asset_register()`` the live fixed-asset rows (R-22 登记造册)
* ``summary()``          a JSON-safe dict for ``GET /studios/{id}/account``

``figures(balances)`` turns any balances dict -- whole account, one cycle, or the movements of
a period -- into the same named figures; compliance and reconciliation use it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Iterable, Mapping

from .errors import LedgerIntegrityError
from .journal import (BONUS, CASH_CITY, CASH_MATCHING, CATEGORIES, CLAWBACK, EXPENDITURE,
                      FUNDING_CITY, FUNDING_CITY_BONUS, FUNDING_CITY_CLAWBACK, FUNDING_CITY_GRANT,
                      FUNDING_MATCHING, FUNDING_MATCHING_ACC, FUNDINGS, GRANT, PAYABLE_CITY_CLAWBACK,
                      REPAYMENT,
                      REVERSAL, SHANGHAI, JournalEntry, as_entry, expense_account)


# --------------------------------------------------------------------------- figures

def ratio_bp(numerator: int, denominator: int) -> int | None:
    """numerator / denominator in basis points (1 bp = 0.01 %), rounded down; None if den is 0."""
    if denominator <= 0:
        return None
    return numerator * 10_000 // denominator


def format_bp(bp: int | None) -> str | None:
    """12345 -> '123.45%'."""
    if bp is None:
        return None
    sign = "-" if bp < 0 else ""
    bp = abs(bp)
    return f"{sign}{bp // 100}.{bp % 100:02d}%"


def figures(b: Mapping[str, int]) -> dict:
    """Named figures of a balances dict (account -> signed fen)."""
    g = b.get
    grant, bonus, matching = -g(FUNDING_CITY_GRANT, 0), -g(FUNDING_CITY_BONUS, 0), -g(FUNDING_MATCHING_ACC, 0)
    by_cat = {c: g(expense_account(c, FUNDING_CITY), 0) + g(expense_account(c, FUNDING_MATCHING), 0)
              for c in CATEGORIES}
    by_fund = {f: sum(g(expense_account(c, f), 0) for c in CATEGORIES) for f in FUNDINGS}
    clawed = g(FUNDING_CITY_CLAWBACK, 0)
    owed = -g(PAYABLE_CITY_CLAWBACK, 0)
    city_cash, matching_cash = g(CASH_CITY, 0), g(CASH_MATCHING, 0)
    return {
        "received": {"city_grant_fen": grant, "city_bonus_fen": bonus, "matching_fen": matching,
                     "city_fen": grant + bonus, "total_fen": grant + bonus + matching},
        "spent": {"by_category": by_cat, "by_funding": by_fund, "total_fen": sum(by_fund.values())},
        "clawed_back": {"total_fen": clawed, "returned_fen": clawed - owed, "owed_fen": owed},
        "unspent": {"city_fen": city_cash, "matching_fen": matching_cash,
                    "total_fen": city_cash + matching_cash},
        "owed_by_unit_fen": owed,
    }


# --------------------------------------------------------------------------- state

@dataclass(frozen=True)
class Cycle:
    """A funding cycle (R-25): from a grant or bonus to the next assessment."""
    number: int
    opened_by: str
    kind: str
    source: str
    started_at: datetime
    city_funds_fen: int

    def to_json(self) -> dict:
        return {"number": self.number, "opened_by": self.opened_by, "kind": self.kind,
                "source": self.source, "city_funds_fen": self.city_funds_fen,
                "started_at": self.started_at.astimezone(SHANGHAI).isoformat(timespec="milliseconds")}


@dataclass(frozen=True)
class FixedAssetRow:
    """One line of the studio's fixed-asset register (R-22 登记造册)."""
    entry_id: str
    seq: int
    asset_tag: str
    name: str
    quantity: int
    location: str
    amount_fen: int
    unit_price_fen: int
    category: str
    funding: str
    special_equipment: bool
    booked_at: datetime
    cycle: int

    def to_json(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["booked_at"] = self.booked_at.astimezone(SHANGHAI).isoformat(timespec="milliseconds")
        return d


@dataclass
class AccountState:
    studio_id: str | None = None
    tenant_id: str | None = None
    unit_id: str | None = None
    seq: int = 0
    last_booked_at: datetime | None = None
    balances: dict = field(default_factory=dict)
    cycle_balances: dict = field(default_factory=dict)
    cycles: tuple = ()
    entries: dict = field(default_factory=dict)
    idempotency: dict = field(default_factory=dict)
    reversed_by: dict = field(default_factory=dict)
    fixed_assets: dict = field(default_factory=dict)
    clawback_entry_id: str | None = None

    # -- copying (inner dicts of cycle_balances are replaced, never mutated, by _apply)
    def copy(self) -> "AccountState":
        return replace(self, balances=dict(self.balances), cycle_balances=dict(self.cycle_balances),
                       entries=dict(self.entries), idempotency=dict(self.idempotency),
                       reversed_by=dict(self.reversed_by), fixed_assets=dict(self.fixed_assets))

    # -- cycles
    @property
    def cycle(self) -> int:
        return self.cycles[-1].number if self.cycles else 0

    @property
    def current_cycle(self) -> Cycle | None:
        return self.cycles[-1] if self.cycles else None

    @property
    def cycle_started_at(self) -> datetime | None:
        return self.cycles[-1].started_at if self.cycles else None

    @property
    def is_open(self) -> bool:
        """A live grant exists (the account has been opened by designation)."""
        return bool(self.cycles)

    @property
    def revoked(self) -> bool:
        return self.clawback_entry_id is not None

    # -- balances
    def balance(self, account: str) -> int:
        return self.balances.get(account, 0)

    @property
    def city_unspent_fen(self) -> int:
        return self.balances.get(CASH_CITY, 0)

    @property
    def matching_unspent_fen(self) -> int:
        return self.balances.get(CASH_MATCHING, 0)

    def received_fen(self) -> dict:
        return figures(self.balances)["received"]

    @property
    def city_received_fen(self) -> int:
        return -(self.balances.get(FUNDING_CITY_GRANT, 0) + self.balances.get(FUNDING_CITY_BONUS, 0))

    @property
    def matching_received_fen(self) -> int:
        return -self.balances.get(FUNDING_MATCHING_ACC, 0)

    def spent_by_category(self) -> dict:
        return figures(self.balances)["spent"]["by_category"]

    def spent_by_funding(self) -> dict:
        return figures(self.balances)["spent"]["by_funding"]

    @property
    def spent_fen(self) -> int:
        return figures(self.balances)["spent"]["total_fen"]

    @property
    def clawed_back_fen(self) -> int:
        return self.balances.get(FUNDING_CITY_CLAWBACK, 0)

    @property
    def owed_by_unit_fen(self) -> int:
        return -self.balances.get(PAYABLE_CITY_CLAWBACK, 0)

    @property
    def clawback_returned_fen(self) -> int:
        return self.clawed_back_fen - self.owed_by_unit_fen

    @property
    def reversed_entry_ids(self) -> frozenset:
        return frozenset(self.reversed_by)

    def is_live(self, entry_id: str) -> bool:
        """In the account, not a reversal, and not reversed."""
        e = self.entries.get(entry_id)
        return e is not None and e.kind != REVERSAL and entry_id not in self.reversed_by

    def cycle_figures(self, number: int) -> dict:
        return figures(self.cycle_balances.get(number, {}))

    def fixed_asset_register(self) -> list[dict]:
        return [r.to_json() for r in sorted(self.fixed_assets.values(), key=lambda r: r.seq)]

    def summary(self) -> dict:
        """JSON-safe view of the account (what ``GET /studios/{id}/account`` shows)."""
        f = figures(self.balances)
        return {
            "studio_id": self.studio_id, "tenant_id": self.tenant_id, "unit_id": self.unit_id,
            "seq": self.seq, "open": self.is_open, "revoked": self.revoked,
            "clawback_entry_id": self.clawback_entry_id,
            "cycle": self.cycle,
            "cycle_started_at": (self.cycle_started_at.astimezone(SHANGHAI).isoformat(timespec="milliseconds")
                                 if self.cycle_started_at else None),
            "cycles": [c.to_json() for c in self.cycles],
            **f,
            "city_unspent_fen": f["unspent"]["city_fen"],
            "matching_unspent_fen": f["unspent"]["matching_fen"],
            "matching_ratio_bp": ratio_bp(f["received"]["matching_fen"], f["received"]["city_fen"]),
            "matching_ratio": format_bp(ratio_bp(f["received"]["matching_fen"], f["received"]["city_fen"])),
            "reversed_entry_ids": sorted(self.reversed_by),
            "fixed_assets": self.fixed_asset_register(),
        }


# --------------------------------------------------------------------------- folding

def _integrity(msg: str, entry: JournalEntry, **kw: Any) -> LedgerIntegrityError:
    return LedgerIntegrityError(f"entry {entry.entry_id} (seq {entry.seq}): {msg}", **kw)


def _apply_in_place(s: AccountState, e: JournalEntry) -> None:
    known = s.entries.get(e.entry_id)
    if known is not None:
        if known == e:
            return  # replay: already applied
        raise _integrity("another entry with this entry_id is already in the account", e)
    if s.studio_id is not None and e.studio_id != s.studio_id:
        raise _integrity(f"belongs to studio {e.studio_id}, not {s.studio_id}", e)
    if e.seq != s.seq + 1:
        raise _integrity(f"expected seq {s.seq + 1} (missing or out-of-order entries)", e)
    if s.last_booked_at is not None and e.booked_at < s.last_booked_at:
        raise _integrity("booked before the previous entry", e)
    if e.idempotency_key in s.idempotency:
        raise _integrity("its idempotency key was used by another entry", e)

    original = None
    if s.revoked and not (e.kind == REVERSAL and e.reverses == s.clawback_entry_id) and e.kind != REPAYMENT:
        raise _integrity("the account was clawed back; only the clawback can be reversed", e)
    if e.kind == REPAYMENT and not s.revoked:
        raise _integrity("a repayment settles what a clawback left owed: the account was not clawed back", e)
    if e.kind in (GRANT, BONUS):
        if e.cycle != s.cycle + 1 or (e.kind == GRANT) != (s.cycle == 0):
            raise _integrity(f"a {e.kind} must open cycle {s.cycle + 1}", e)
    elif e.kind == REVERSAL:
        original = s.entries.get(e.reverses)
        if original is None or original.kind == REVERSAL or e.reverses in s.reversed_by:
            raise _integrity("reverses an unknown, a reversal or an already reversed entry", e)
        if sorted((p.account, p.amount_fen) for p in e.postings) != \
                sorted((p.account, -p.amount_fen) for p in original.postings):
            raise _integrity("postings are not the original's negated", e)
        if e.cycle != original.cycle:
            raise _integrity("a reversal belongs to the cycle of the entry it reverses", e)
        if original.kind in (GRANT, BONUS) and (not s.cycles or s.cycles[-1].opened_by != original.entry_id):
            raise _integrity("only the opener of the current cycle can be reversed", e)
    else:
        if s.cycle == 0 or e.cycle != s.cycle:
            raise _integrity(f"expected cycle {s.cycle}", e)
        if e.kind == CLAWBACK and s.revoked:
            raise _integrity("the account was already clawed back", e)

    # balances (checked before anything is changed)
    bal = s.balances
    new_bal = {}
    for p in e.postings:
        new_bal[p.account] = new_bal.get(p.account, bal.get(p.account, 0)) + p.amount_fen
    if new_bal.get(CASH_CITY, 0) < 0 or new_bal.get(CASH_MATCHING, 0) < 0:
        raise _integrity("a cash account would go below zero", e)
    if new_bal.get(PAYABLE_CITY_CLAWBACK, 0) > 0:
        raise _integrity("more would be repaid than is owed", e)
    bal.update(new_bal)
    cb = dict(s.cycle_balances.get(e.cycle, {}))
    for p in e.postings:
        cb[p.account] = cb.get(p.account, 0) + p.amount_fen
    s.cycle_balances[e.cycle] = cb

    # bookkeeping
    if e.kind in (GRANT, BONUS):
        s.cycles = s.cycles + (Cycle(e.cycle, e.entry_id, e.kind, e.source, e.booked_at, e.amount_fen),)
    elif e.kind == CLAWBACK:
        s.clawback_entry_id = e.entry_id
    elif e.kind == REVERSAL:
        s.reversed_by[original.entry_id] = e.entry_id
        if original.kind in (GRANT, BONUS):
            s.cycles = s.cycles[:-1]
        elif original.kind == CLAWBACK:
            s.clawback_entry_id = None
        s.fixed_assets.pop(original.entry_id, None)
    if e.kind == EXPENDITURE and e.fixed_asset is not None:
        fa = e.fixed_asset
        s.fixed_assets[e.entry_id] = FixedAssetRow(
            entry_id=e.entry_id, seq=e.seq, asset_tag=fa["asset_tag"], name=fa["name"],
            quantity=fa["quantity"], location=fa["location"], amount_fen=e.amount_fen,
            unit_price_fen=e.unit_price_fen if e.unit_price_fen is not None else e.amount_fen,
            category=e.category, funding=e.funding, special_equipment=e.special_equipment,
            booked_at=e.booked_at, cycle=e.cycle)
    s.entries[e.entry_id] = e
    s.idempotency[e.idempotency_key] = (e.entry_id, e.request_hash)
    s.seq = e.seq
    s.last_booked_at = e.booked_at
    s.studio_id, s.tenant_id, s.unit_id = e.studio_id, e.tenant_id, e.unit_id


def apply(state: AccountState, entry: "JournalEntry | Mapping[str, Any]") -> AccountState:
    """The state after ``entry``; ``state`` itself is not changed."""
    e = as_entry(entry)
    if state.entries.get(e.entry_id) == e:
        return state
    new = state.copy()
    _apply_in_place(new, e)
    return new


def fold(entries: Iterable["JournalEntry | Mapping[str, Any]"], state: AccountState | None = None) -> AccountState:
    """Fold entries (any order; sorted by ``seq``) onto ``state`` (default: empty account)."""
    es = sorted((as_entry(e) for e in entries), key=lambda e: e.seq)
    s = state.copy() if state is not None else AccountState()
    for e in es:
        _apply_in_place(s, e)
    return s


def fold_before(entries: Iterable["JournalEntry | Mapping[str, Any]"], moment: datetime) -> AccountState:
    """The account as it stood just before ``moment`` (entries booked strictly earlier)."""
    return fold(e for e in (as_entry(x) for x in entries) if e.booked_at < moment)
