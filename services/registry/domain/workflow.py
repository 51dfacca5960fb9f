"""State machines of the registry as tables: (state, action) → (allowed roles, next state).

``decide(machine, state, action, role, outcome)`` is the one place a transition is judged:

- an action the table knows for no state at all, or a role allowed in no state for it → 403;
- an action not allowed in the current state → 409 (wrong state);
- a role not allowed for this action in this state → 403.

Where the next state depends on what happened (a review stage passed or failed, an
objection upheld or dismissed) the table maps outcomes to next states.

Application path (R-8, R-9; 第九至十二条):

    draft ─submit─▶ submitted ─recommend─▶ recommended ─review─▶ under_review ─review(overall pass)─▶ shortlisted
      ▲               │  │                                        │  review(fail) ▶ rejected
      └──return───────┘  └─reject─▶ rejected                      │
    returned ─submit─▶ submitted
    shortlisted ─start_notice─▶ in_notice ─object─▶ objected ─resolve(dismissed)─▶ in_notice
                                    │                   └─resolve(upheld)─▶ rejected
                                    └─designate (after the 5th working day)─▶ designated
    reject: tenant while submitted; city_center / city_bureau from recommended to objected.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from services.registry.contract import (  # noqa: F401  (state names, used here and re-exported)
    APPLICATION_STATES, CR_APPROVED, CR_FORWARDED, CR_REJECTED, CR_SUBMITTED, DESIGNATED, DRAFT, EDITABLE_STATES,
    FINAL_STATES, IN_NOTICE, OBJECTED, OPEN_STATES, RECOMMENDED, REJECTED, RETURNED, RV_APPROVED, RV_REJECTED,
    RV_REQUESTED, SHORTLISTED, SUBMITTED, UNDER_REVIEW)
from shared.errors import Conflict, Forbidden
from shared.principal import CITY_BUREAU, CITY_CENTER, SYSTEM, TENANT, UNIT

CITY = (CITY_CENTER, CITY_BUREAU)


@dataclass(frozen=True)
class Step:
    roles: tuple[str, ...]
    next: str | Mapping[str, str]   # a state, or outcome -> state


APPLICATION: dict[tuple[str, str], Step] = {
    (DRAFT, "edit"): Step((UNIT,), DRAFT),
    (DRAFT, "add_material"): Step((UNIT,), DRAFT),
    (DRAFT, "submit"): Step((UNIT,), SUBMITTED),
    (RETURNED, "edit"): Step((UNIT,), RETURNED),
    (RETURNED, "add_material"): Step((UNIT,), RETURNED),
    (RETURNED, "submit"): Step((UNIT,), SUBMITTED),
    (SUBMITTED, "add_opinion"): Step((TENANT,), SUBMITTED),
    (SUBMITTED, "recommend"): Step((TENANT,), RECOMMENDED),
    (SUBMITTED, "return"): Step((TENANT,), RETURNED),
    (SUBMITTED, "reject"): Step((TENANT,), REJECTED),
    (RECOMMENDED, "review"): Step((CITY_CENTER,), {"pass": UNDER_REVIEW, "fail": REJECTED}),
    (UNDER_REVIEW, "review"): Step((CITY_CENTER,), {"pass": UNDER_REVIEW, "shortlist": SHORTLISTED,
                                                    "fail": REJECTED}),
    (RECOMMENDED, "reject"): Step(CITY, REJECTED),
    (UNDER_REVIEW, "reject"): Step(CITY, REJECTED),
    (SHORTLISTED, "reject"): Step(CITY, REJECTED),
    (SHORTLISTED, "start_notice"): Step(CITY, IN_NOTICE),
    (IN_NOTICE, "object"): Step(CITY, OBJECTED),
    (OBJECTED, "object"): Step(CITY, OBJECTED),
    (OBJECTED, "resolve_objection"): Step(CITY, {"dismissed": IN_NOTICE, "still_open": OBJECTED,
                                                 "upheld": REJECTED}),
    (IN_NOTICE, "reject"): Step(CITY, REJECTED),
    (OBJECTED, "reject"): Step(CITY, REJECTED),
    (IN_NOTICE, "designate"): Step((CITY_BUREAU,), DESIGNATED),
}

# -- change requests other than a lead change -------------------------------------
CHANGE_REQUEST: dict[tuple[str, str], Step] = {
    (CR_SUBMITTED, "forward"): Step((TENANT,), CR_FORWARDED),
    (CR_SUBMITTED, "reject"): Step((TENANT,), CR_REJECTED),
    (CR_FORWARDED, "approve"): Step((CITY_CENTER,), CR_APPROVED),
    (CR_FORWARDED, "reject"): Step((CITY_CENTER,), CR_REJECTED),
}

# -- revocation requests (R-20) ---------------------------------------------------------
REVOCATION: dict[tuple[str, str], Step] = {
    (RV_REQUESTED, "approve"): Step((CITY_BUREAU,), RV_APPROVED),
    (RV_REQUESTED, "reject"): Step((CITY_BUREAU,), RV_REJECTED),
}


def allowed_roles(machine: Mapping[tuple[str, str], Step], action: str) -> set[str]:
    return {r for (_, a), step in machine.items() if a == action for r in step.roles}


def decide(machine: Mapping[tuple[str, str], Step], state: str, action: str, role: str,
           outcome: str | None = None) -> str:
    """The next state of ``action`` by ``role`` from ``state``; Forbidden or Conflict if not allowed."""
    everywhere = allowed_roles(machine, action)
    if not everywhere:
        raise Forbidden(f"unknown action {action!r}")
    if role not in everywhere and role != SYSTEM:
        raise Forbidden(f"role {role!r} may not {action}; allowed: {', '.join(sorted(everywhere))}")
    step = machine.get((state, action))
    if step is None:
        can = sorted(s for (s, a) in machine if a == action)
        raise Conflict(f"cannot {action} in state {state!r}; only in: {', '.join(can)}",
                       state=state, action=action)
    if role not in step.roles and role != SYSTEM:
        raise Forbidden(f"role {role!r} may not {action} in state {state!r}; allowed: {', '.join(step.roles)}")
    if isinstance(step.next, str):
        return step.next
    if outcome not in step.next:
        raise ValueError(f"{action} from {state} needs an outcome among {sorted(step.next)}, got {outcome!r}")
    return step.next[outcome]


def actions_for(machine: Mapping[tuple[str, str], Step], state: str, role: str) -> list[str]:
    """What ``role`` may do next from ``state`` (shown to clients as ``allowed_actions``)."""
    return sorted({a for (s, a), step in machine.items() if s == state and role in step.roles})
