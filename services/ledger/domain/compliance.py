"""Fund compliance of one studio for one funding cycle (R-22, R-23, R-25).

    cycle_compliance(entries, *, cycle=None, next_assessment_at=None, as_of=None) -> dict

``entries``: the studio's journal entries (objects or documents, any order).  ``cycle``: the
cycle number (default: the current one).  ``next_assessment_at``: when the cycle's next
assessment is (from the assessment service); for a cycle that a later bonus already closed
it defaults to, and is capped at, the start of the next cycle.  ``as_of``: when to judge
(default: at the deadline, i.e. "was it complied with").

* R-23 ``matching_at_least_city``: matching funds booked in the cycle >= the city funds that
  opened it (the cycle's own figures, net of reversals; reversals count in the cycle of the
  entry they reverse).  Stated "in principle" (原则上): this is an indicator for the
  assessment, not a block on booking.
* R-22 ``city_funds_used_by_deadline``: no city money left unused (``cash:city`` = 0) just
  before the deadline, counting the entries booked before it; money handed back by a
  clawback does not count as used.  ``None`` when no deadline
  is known.  If ``as_of`` is before the deadline, the figure is measured at ``as_of`` and
  ``deadline_passed`` is False; the cycle then counts as compliant for R-22 (not yet due).

Result (JSON-safe; money int fen, ratio in basis points)::

    {"studio_id", "tenant_id", "unit_id", "cycle", "opened_by", "opened_kind",
     "cycle_started_at", "next_assessment_at", "measured_at",
     "city_funds_fen", "city_spent_fen", "city_unspent_fen", "matching_fen",
     "matching_spent_fen", "matching_shortfall_fen", "matching_ratio_bp", "matching_ratio",
     "clawed_back_fen", "revoked",
     "matching_at_least_city": bool,              # R-23
     "city_funds_used_by_deadline": bool | None,  # R-22
     "deadline_passed": bool | None,
     "rules": {"R-22": bool | None, "R-23": bool},
     "compliant": bool}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping

from .balances import fold, format_bp, ratio_bp
from .errors import UnknownEntry
from .journal import CASH_CITY, FUNDING_CITY_CLAWBACK, SHANGHAI, JournalEntry, as_entry, normalize_datetime


def _iso(t: datetime | None) -> str | None:
    return t.astimezone(SHANGHAI).isoformat(timespec="milliseconds") if t is not None else None


def cycle_compliance(entries: Iterable["JournalEntry | Mapping[str, Any]"], *, cycle: int | None = None,
                     next_assessment_at: datetime | None = None,
                     as_of: datetime | None = None) -> dict:
    es = sorted((as_entry(e) for e in entries), key=lambda e: e.seq)
    state = fold(es)
    n = state.cycle if cycle is None else cycle
    if not isinstance(n, int) or not 1 <= n <= state.cycle:
        raise UnknownEntry(f"studio {state.studio_id} has no funding cycle {n!r}", field="cycle")
    opener = state.cycles[n - 1]
    following = state.cycles[n] if n < state.cycle else None

    deadline = normalize_datetime(next_assessment_at, "next_assessment_at") if next_assessment_at else None
    if following is not None and (deadline is None or deadline > following.started_at):
        deadline = following.started_at
    as_of_t = normalize_datetime(as_of, "as_of") if as_of is not None else None

    f = state.cycle_figures(n)
    city = f["received"]["city_fen"]
    matching = f["received"]["matching_fen"]
    r23 = matching >= city

    measured_at = deadline
    if as_of_t is not None and (deadline is None or as_of_t < deadline):
        measured_at = as_of_t
    # city money not used on the studio: cash:city from every entry booked before the
    # measuring point, leaving out clawbacks (and their reversals) -- money handed back on
    # revocation was not "used"
    unspent = sum(p.amount_fen for e in es
                  if (measured_at is None or e.booked_at < measured_at)
                  and not any(q.account == FUNDING_CITY_CLAWBACK for q in e.postings)
                  for p in e.postings if p.account == CASH_CITY)
    deadline_passed = None if deadline is None else (as_of_t is None or as_of_t >= deadline)
    used = None if deadline is None else unspent == 0
    r22 = None if deadline is None else (used or not deadline_passed)

    bp = ratio_bp(matching, city)
    return {
        "studio_id": state.studio_id, "tenant_id": state.tenant_id, "unit_id": state.unit_id,
        "cycle": n, "opened_by": opener.opened_by, "opened_kind": opener.kind,
        "cycle_started_at": _iso(opener.started_at), "next_assessment_at": _iso(deadline),
        "measured_at": _iso(measured_at),
        "city_funds_fen": city,
        "city_spent_fen": f["spent"]["by_funding"]["city"],
        "city_unspent_fen": unspent,
        "matching_fen": matching,
        "matching_spent_fen": f["spent"]["by_funding"]["matching"],
        "matching_shortfall_fen": max(0, city - matching),
        "matching_ratio_bp": bp, "matching_ratio": format_bp(bp),
        "clawed_back_fen": f["clawed_back"]["total_fen"],
        "revoked": state.revoked and state.entries[state.clawback_entry_id].cycle == n,
        "matching_at_least_city": r23,
        "city_funds_used_by_deadline": used,
        "deadline_passed": deadline_passed,
        "rules": {"R-22": r22, "R-23": r23},
        "compliant": r23 and r22 is not False,
    }


def compliance_summary(results: Iterable[dict]) -> dict:
    """Counts over many ``cycle_compliance`` results (for a dashboard)."""
    out = {"studios": 0, "compliant": 0, "R-22_failed": 0, "R-22_unknown": 0, "R-23_failed": 0}
    for r in results:
        out["studios"] += 1
        out["compliant"] += bool(r["compliant"])
        out["R-22_failed"] += r["rules"]["R-22"] is False
        out["R-22_unknown"] += r["rules"]["R-22"] is None
        out["R-23_failed"] += not r["rules"]["R-23"]
    return out
