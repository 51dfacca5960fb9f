"""The ledger's domain: plain Python, no nameko, no pymongo (R-20 … R-25).

Modules
-------

``journal``        chart of accounts, ``Posting``, ``JournalEntry`` (``to_document`` /
                   ``to_json`` / ``from_document``), constants (``GRANT_FEN``, ``BONUS_FEN``,
                   ``CATEGORIES`` …), recommended idempotency keys (``grant_key`` …)
``booking``        the builders that enforce the rules: ``grant_entry``, ``bonus_entry``,
                   ``matching_entry``, ``expenditure_entry``, ``reversal_entry``, ``repayment_entry``,
                   ``clawback_entry``; ``FixedAssetThresholds``; ``next_booking_time``
``balances``       ``AccountState``, ``fold``, ``apply``, ``fold_before``, ``figures``
``compliance``     ``cycle_compliance`` (R-22, R-23 per studio and cycle)
``reconciliation`` ``reconcile`` (year, per studio / tenant / city), ``reconcile_projections``
                   (the same from the stored per-year buckets) and
                   ``reconciliation_workbook`` (.xlsx bytes), ``excel_text``
``projection``     the stored account projection: ``projection_of``, ``rebuild_projection``,
                   ``advance_projection``, ``state_from_projection``, ``differences``
``errors``         ``LedgerError`` and subclasses (status, code, rule, field), ``AlreadyBooked``

How the service is meant to use it (one studio account)::

    state = fold(load_entries(studio_id))                     # sorted by seq
    try:
        entry = expenditure_entry(state, amount_fen=..., category=..., funding="city",
                                  booked_at=next_booking_time(state, now()),
                                  idempotency_key=key, caused_by={"user": user_id})
    except AlreadyBooked as done:
        return load_entry(done.entry_id)                      # replay: first result
    insert(entry.to_document())   # unique (studio_id, seq): on a clash reload and retry
    return entry

Event handlers do the same with the natural keys ``grant_key(studio_id)``,
``bonus_key(assessment_id)``, ``clawback_key(revocation_id)`` and
``caused_by={"event_id": ..., "event_type": ...}``; a redelivered event ends in
``AlreadyBooked`` and changes nothing.
"""

from .balances import AccountState, Cycle, FixedAssetRow, apply, figures, fold, fold_before, format_bp, ratio_bp
from .booking import (DEFAULT_THRESHOLDS, FixedAssetThresholds, bonus_entry, clawback_entry,
                      expenditure_entry, grant_entry, matching_entry, next_booking_time,
                      repayment_entry, reversal_entry)
from .compliance import compliance_summary, cycle_compliance
from .errors import (AccountClosed, AlreadyBooked, AlreadyReversed, IdempotencyConflict,
                     LedgerConflict, LedgerError, LedgerIntegrityError, LedgerRuleViolation,
                     LedgerValidationError, UnknownEntry)
from .journal import (ACCOUNTS, BONUS_FEN, CATEGORIES, CATEGORY_LABELS, FUNDINGS, GRANT_FEN, KINDS,
                      SOURCES, JournalEntry, Posting, bonus_key, clawback_key, grant_key)
from .projection import (add_to_years, advance_projection, differences, projection_of,
                         rebuild_projection, state_from_projection, year_of)
from .reconciliation import (excel_text, reconcile, reconcile_projections, reconciliation_workbook,
                             year_bounds)

__all__ = [
    "ACCOUNTS", "BONUS_FEN", "CATEGORIES", "CATEGORY_LABELS", "DEFAULT_THRESHOLDS", "FUNDINGS",
    "GRANT_FEN", "KINDS", "SOURCES", "AccountClosed", "AccountState", "AlreadyBooked",
    "AlreadyReversed", "Cycle", "FixedAssetRow", "FixedAssetThresholds", "IdempotencyConflict",
    "JournalEntry", "LedgerConflict", "LedgerError", "LedgerIntegrityError", "LedgerRuleViolation",
    "LedgerValidationError", "Posting", "UnknownEntry", "apply", "bonus_entry", "bonus_key",
    "clawback_entry", "clawback_key", "compliance_summary", "cycle_compliance", "excel_text",
    "expenditure_entry", "figures", "fold", "fold_before", "format_bp", "grant_entry", "grant_key",
    "matching_entry", "next_booking_time", "ratio_bp", "reconcile", "reconciliation_workbook",
    "repayment_entry", "reversal_entry", "reconcile_projections", "year_bounds", "add_to_years", "advance_projection",
    "differences", "projection_of", "rebuild_projection", "state_from_projection", "year_of",
]
