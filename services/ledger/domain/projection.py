"""The stored projection of one studio account: what the service keeps for speed.

Balances are derived from the journal entries (R-24).  Folding every entry of an account on
every booking would make booking slower the older the account gets, and reading every entry
of every studio for a reconciliation is slow on any store, so the service stores, per studio,
one *projection* document that is a pure function of that studio's entries:

    projection_of(state, years) -> dict           # from an AccountState and its year buckets
    rebuild_projection(entries) -> dict           # fold from scratch (the check)
    advance_projection(state, years, entry)       # -> (state', years', projection') one entry on
    state_from_projection(doc) -> AccountState    # the state the builders need, without entries
    differences(stored, rebuilt) -> list[str]     # empty when the stored one is right

Document (the derived fields; the service adds ``_id`` = studio id, ``names`` and
``updated_at``, which ``differences`` ignores)::

    {"schema": 1, "studio_id", "tenant_id", "unit_id",   # of the latest entry
     "seq": 7, "last_booked_at": datetime,                # the optimistic-lock position
     "balances": {account: fen, ...},                     # non-zero balances (journal's chart)
     "cycles": [{"number", "opened_by", "kind", "source", "started_at", "city_funds_fen"}],
     "clawback_entry_id": None | id,
     "reversed_by": {original id: reversal id},
     "fixed_assets": [FixedAssetRow fields, booked_at a datetime],   # the live register (R-22)
     "years": {"2024": {"balances": {account: fen}, "entries": n,   # movements booked in that
                        "tenant_id", "unit_id", "last_seq"}}}        # Beijing calendar year

``state_from_projection`` gives an ``AccountState`` with everything the builders read for a
grant, bonus, matching funds, an expenditure or a clawback (position, balances, cycles, the
fixed-asset register, revocation), but no ``entries``, ``idempotency`` or ``cycle_balances``:
a reversal needs the entries, so the service folds them for a reversal; the idempotency of a
request is enforced by the store's unique index and looked up only when it matters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping

from .balances import AccountState, Cycle, FixedAssetRow, apply, fold
from .journal import SHANGHAI, JournalEntry, as_entry, normalize_datetime

PROJECTION_SCHEMA = 1
DERIVED_FIELDS = ("schema", "studio_id", "tenant_id", "unit_id", "seq", "last_booked_at", "balances",
                  "cycles", "clawback_entry_id", "reversed_by", "fixed_assets", "years")


def year_of(t: datetime) -> int:
    """The Beijing calendar year a moment belongs to (the reconciliation's year)."""
    return t.astimezone(SHANGHAI).year


def _nonzero(balances: Mapping[str, int]) -> dict:
    return {k: v for k, v in sorted(balances.items()) if v}


def add_to_years(years: Mapping[str, dict], entry: JournalEntry) -> dict:
    """``years`` with ``entry`` counted in the bucket of its year (a new dict; inputs unchanged)."""
    y = str(year_of(entry.booked_at))
    bucket = years.get(y)
    balances = dict(bucket["balances"]) if bucket else {}
    for p in entry.postings:
        balances[p.account] = balances.get(p.account, 0) + p.amount_fen
    out = dict(years)
    out[y] = {"balances": _nonzero(balances), "entries": (bucket["entries"] if bucket else 0) + 1,
              "tenant_id": entry.tenant_id, "unit_id": entry.unit_id, "last_seq": entry.seq}
    return out


def projection_of(state: AccountState, years: Mapping[str, dict]) -> dict:
    return {
        "schema": PROJECTION_SCHEMA,
        "studio_id": state.studio_id, "tenant_id": state.tenant_id, "unit_id": state.unit_id,
        "seq": state.seq, "last_booked_at": state.last_booked_at,
        "balances": _nonzero(state.balances),
        "cycles": [{"number": c.number, "opened_by": c.opened_by, "kind": c.kind, "source": c.source,
                    "started_at": c.started_at, "city_funds_fen": c.city_funds_fen} for c in state.cycles],
        "clawback_entry_id": state.clawback_entry_id,
        "reversed_by": dict(sorted(state.reversed_by.items())),
        "fixed_assets": [{k: getattr(r, k) for k in FixedAssetRow.__dataclass_fields__}
                         for r in sorted(state.fixed_assets.values(), key=lambda r: r.seq)],
        "years": {y: years[y] for y in sorted(years)},
    }


def rebuild_projection(entries: Iterable["JournalEntry | Mapping[str, Any]"]) -> tuple[AccountState, dict]:
    """Fold the entries from scratch: (full state, projection document)."""
    es = sorted((as_entry(e) for e in entries), key=lambda e: e.seq)
    state = fold(es)
    years: dict = {}
    for e in es:
        years = add_to_years(years, e)
    return state, projection_of(state, years)


def advance_projection(state: AccountState, years: Mapping[str, dict],
                       entry: JournalEntry) -> tuple[AccountState, dict, dict]:
    """One entry more: (state', years', projection').  ``state`` may be a light state for every
    kind but a reversal (which needs the entries: pass the folded state)."""
    new_state = apply(state, entry)
    new_years = add_to_years(years, entry)
    return new_state, new_years, projection_of(new_state, new_years)


def _dt(v: Any) -> datetime | None:
    return None if v is None else normalize_datetime(v, naive_is_utc=True)


def state_from_projection(doc: Mapping[str, Any]) -> AccountState:
    """The builders' view of the account, read from its projection (see the module doc)."""
    cycles = tuple(Cycle(number=c["number"], opened_by=c["opened_by"], kind=c["kind"], source=c["source"],
                         started_at=_dt(c["started_at"]), city_funds_fen=c["city_funds_fen"])
                   for c in doc.get("cycles") or ())
    assets = {}
    for row in doc.get("fixed_assets") or ():
        r = dict(row)
        r["booked_at"] = _dt(r["booked_at"])
        assets[r["entry_id"]] = FixedAssetRow(**{k: r[k] for k in FixedAssetRow.__dataclass_fields__})
    return AccountState(
        studio_id=doc["studio_id"], tenant_id=doc["tenant_id"], unit_id=doc["unit_id"],
        seq=doc["seq"], last_booked_at=_dt(doc.get("last_booked_at")),
        balances=dict(doc.get("balances") or {}), cycle_balances={}, cycles=cycles,
        entries={}, idempotency={}, reversed_by=dict(doc.get("reversed_by") or {}),
        fixed_assets=assets, clawback_entry_id=doc.get("clawback_entry_id"))


def years_of(doc: Mapping[str, Any]) -> dict:
    return dict(doc.get("years") or {})


def _canonical(v: Any) -> Any:
    if isinstance(v, datetime):
        return normalize_datetime(v, naive_is_utc=True).isoformat()
    if isinstance(v, Mapping):
        return {str(k): _canonical(x) for k, x in sorted(v.items())}
    if isinstance(v, (list, tuple)):
        return [_canonical(x) for x in v]
    return v


def differences(stored: Mapping[str, Any] | None, rebuilt: Mapping[str, Any]) -> list[str]:
    """What the stored projection gets wrong compared with one rebuilt from the entries
    (``[]`` = it is right).  Each item names a field and both values."""
    if stored is None:
        return ["projection: missing"]
    out = []
    for f in DERIVED_FIELDS:
        a, b = _canonical(stored.get(f)), _canonical(rebuilt.get(f))
        if a != b:
            out.append(f"{f}: stored {a!r}, from the entries {b!r}")
    return out
