"""Designation rules (第十二条) as pure decisions over facts the repository loaded.

- R-6: a master leads at most one active studio, and a unit (or branch) has at most one
  active studio per occupation — also when a unit change moves a studio to another unit.
- R-7: at most ``MAX_DESIGNATIONS_PER_YEAR`` new studios a year, numbered in sequence (the
  nameplate number).

``storage/studios.py`` looks the facts up and calls these; its unique indexes
(``r6_active_slot``, the lead key, the year's sequence) stay the guard against two
designations at the same moment.
"""
from __future__ import annotations

from services.registry.contract import MAX_DESIGNATIONS_PER_YEAR
from shared.errors import RuleViolation


def r6_violation(detail: str, field: str) -> RuleViolation:
    return RuleViolation(f"R-6: {detail}", rule="R-6", errors={field: f"R-6: {detail}"}, rules=["R-6"])


def check_designation_unique(*, master_leads_active_studio: bool, slot_has_active_studio: bool) -> None:
    """R-6 at designation: refused if the master already leads an active studio, or the unit
    (branch) already has one for this occupation."""
    if master_leads_active_studio:
        raise r6_violation("the master already leads a studio", "master.id_number")
    if slot_has_active_studio:
        raise r6_violation("the unit (branch) already has a studio for this occupation", "master.occupation")


def check_new_lead(*, new_lead_leads_another_studio: bool) -> None:
    """R-6 on a lead change (R-19): the new lead may not already lead another active studio."""
    if new_lead_leads_another_studio:
        raise r6_violation("the new lead already leads a studio", "master.id_number")


def check_unit_move(*, new_slot_has_active_studio: bool) -> None:
    """R-6 on a unit change: the new unit may not already have a studio for this occupation."""
    if new_slot_has_active_studio:
        raise r6_violation("the new unit already has a studio for this occupation", "new_unit_id")


def next_sequence(year: int, last_seq: int | None) -> int:
    """The year's next studio number after ``last_seq`` (None: the first); R-7 past the quota."""
    seq = (last_seq or 0) + 1
    if seq > MAX_DESIGNATIONS_PER_YEAR:
        raise RuleViolation(f"R-7: {MAX_DESIGNATIONS_PER_YEAR} studios have already been designated in "
                            f"{year}; at most {MAX_DESIGNATIONS_PER_YEAR} new studios per year",
                            rule="R-7", errors={"year": f"{year}: quota of {MAX_DESIGNATIONS_PER_YEAR} used"},
                            year=year)
    return seq
