"""Eligibility on submit (第五、七条): R-1, R-2, R-4, R-6 and the R-8 materials.

``failures(...)`` lists every problem as a ``Failure(rule, field, message)``; ``enforce``
turns them into one 422 that names the first rule broken (in the order R-1, R-2, R-4, R-6,
R-8) and lists all of them in ``errors`` and ``rules``. Pure: the facts that need the store
(does the master already lead a studio? …) are passed in as ``Uniqueness``.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Iterable, Mapping

from services.registry.contract import (CONDITIONS, ELIGIBLE_EMPLOYMENT, MATERIAL_KINDS, MIN_TEAM,
                                        QUALIFYING_LEVEL, QUALIFYING_LEVELS, REQUIRED_MATERIALS)
from services.registry.domain.retirement import meets_two_year_rule, retirement_date
from shared.errors import RuleViolation

RULE_ORDER = ("R-1", "R-2", "R-4", "R-6", "R-8")



@dataclass(frozen=True)
class Failure:
    rule: str
    field: str
    message: str


@dataclass(frozen=True)
class Uniqueness:
    """R-6 facts found in the store for this application."""
    leads_studio: str | None = None          # id of an active studio the master leads
    open_application: str | None = None      # id of another open application of the master
    slot_studio: str | None = None           # id of an active studio of the same unit/branch and occupation
    slot_application: str | None = None      # id of another open application for that slot


def parse_month(value: str) -> tuple[int, int]:
    year, month = value.split("-")
    return int(year), int(month)


def master_failures(master: Mapping, on: _dt.date) -> list[Failure]:
    """R-1 (front line, 技师 or higher, employed) and R-2 (≥ 2 years before statutory retirement)."""
    out: list[Failure] = []
    if master.get("skill_level") not in QUALIFYING_LEVELS:
        out.append(Failure("R-1", "master.skill_level",
                           f"{master.get('skill_level')} is below {QUALIFYING_LEVEL}: the lead needs a "
                           f"{'/'.join(QUALIFYING_LEVELS)} certificate"))
    if not master.get("front_line"):
        out.append(Failure("R-1", "master.front_line", "the lead must work on the front line (生产服务一线)"))
    if master.get("employment_status") not in ELIGIBLE_EMPLOYMENT:
        out.append(Failure("R-1", "master.employment_status",
                           "the lead must be currently employed (在职在聘)"))
    year, month = parse_month(master["birth_month"])
    gender, original = master["gender"], master.get("original_retirement_age")
    if not meets_two_year_rule(on, gender, year, month, original):
        retire = retirement_date(gender, year, month, original)
        out.append(Failure("R-2", "master.birth_month",
                           f"on {on.isoformat()} the lead is less than 2 years before the statutory "
                           f"retirement age (retires {retire.strftime('%Y-%m')} under the 2025 reform)"))
    return out


def team_failures(team: Iterable[Mapping], conditions: Mapping) -> list[Failure]:
    """R-4: at least 3 formal employees besides the lead, and every unit condition met."""
    out: list[Failure] = []
    formal = sum(1 for m in team if m.get("formal_employee"))
    if formal < MIN_TEAM:
        out.append(Failure("R-4", "team", f"the team has {formal} formal employee(s) besides the lead; "
                                          f"at least {MIN_TEAM} are required"))
    for key, text in CONDITIONS.items():
        if not (conditions or {}).get(key):
            out.append(Failure("R-4", f"conditions.{key}", f"the unit must meet: {text}"))
    return out


def uniqueness_failures(facts: Uniqueness) -> list[Failure]:
    out: list[Failure] = []
    if facts.leads_studio:
        out.append(Failure("R-6", "master.id_number",
                           f"the master already leads studio {facts.leads_studio}: one studio per master"))
    if facts.open_application:
        out.append(Failure("R-6", "master.id_number",
                           f"the master has another open application {facts.open_application}"))
    if facts.slot_studio:
        out.append(Failure("R-6", "master.occupation",
                           f"the unit (or branch) already has studio {facts.slot_studio} for this occupation: "
                           "one studio per unit (branch) per occupation"))
    if facts.slot_application:
        out.append(Failure("R-6", "master.occupation",
                           f"the unit (or branch) has another open application {facts.slot_application} "
                           "for this occupation"))
    return out


def material_failures(kinds: Iterable[str]) -> list[Failure]:
    have = set(kinds)
    return [Failure("R-8", "materials", f"attach the {MATERIAL_KINDS[k]} ({k})")
            for k in REQUIRED_MATERIALS if k not in have]


def failures(app: Mapping, on: _dt.date, facts: Uniqueness, material_kinds: Iterable[str]) -> list[Failure]:
    found = (master_failures(app["master"], on) + team_failures(app.get("team") or [], app.get("conditions"))
             + uniqueness_failures(facts) + material_failures(material_kinds))
    return sorted(found, key=lambda f: RULE_ORDER.index(f.rule))


def enforce(found: list[Failure]) -> None:
    """Raise one RuleViolation naming the first rule broken and listing every failure."""
    if not found:
        return
    first = found[0]
    errors: dict[str, str] = {}
    for f in found:
        text = f"{f.rule}: {f.message}"
        errors[f.field] = f"{errors[f.field]}; {text}" if f.field in errors else text
    rules = sorted({f.rule for f in found}, key=RULE_ORDER.index)
    raise RuleViolation(f"{first.rule}: {first.message}", rule=first.rule, errors=errors, rules=rules)
