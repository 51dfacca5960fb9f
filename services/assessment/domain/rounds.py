"""An assessment round's life (R-13 … R-16), on the round's document as plain data.

    open ──(start_publishing)──▶ publishing ──(publish)──▶ published   (never changes again)

* ``new_round``: the city opens a round for a year with the due list (``due.py``) shown
  beforehand; the round copies the rubric it uses (version and all: a later rubric never
  changes it) and the bonus budget that caps the excellent grades (R-16).
* ``add_studio`` / ``remove_studio``: the city adds or removes a studio with a reason; both
  stay in the round's ``history``.
* ``assign_scorers``: which studios each scorer (a user name) scores; a scorer sees and scores
  only the studios assigned to them (``studios_for``).
* ``publish``: freezes each studio's indicator scores, combined score and grade in ``results``.

Every function returns a new document (the caller's is untouched) or raises ``shared.errors``.
"""
from __future__ import annotations

import copy
import datetime as dt
from typing import Iterable, Mapping

from shared.errors import Conflict, NotFound, RuleViolation, ValidationFailed

from .due import ADDED, REASONS, DueStudio, StudioFacts
from .rubric import Rubric

OPEN, PUBLISHING, PUBLISHED = "open", "publishing", "published"
MAX_REASON = 500
MAX_STUDIOS = 10_000


def _reason(reason: object) -> str:
    text = str(reason or "").strip()
    if not text:
        raise ValidationFailed("a reason is required", errors={"reason": "say why (kept in the round's history)"})
    if len(text) > MAX_REASON:
        raise ValidationFailed("reason too long", errors={"reason": f"at most {MAX_REASON} characters"})
    return text


def _event(by: str, at: dt.datetime, action: str, **fields) -> dict:
    return {"at": at.isoformat(), "by": by, "action": action, **fields}


def studio_entry(facts: StudioFacts, due: DueStudio) -> dict:
    return {"studio_id": facts.studio_id, "tenant_id": facts.tenant_id, "unit_id": facts.unit_id,
            "name": facts.name, "unit_name": facts.unit_name, "tenant_name": facts.tenant_name,
            "designated_on": facts.designated_on.isoformat(), **{k: v for k, v in due.to_dict().items()
                                                                  if k != "studio_id"}}


def require_open(round_: Mapping) -> None:
    if round_["state"] != OPEN:
        raise Conflict(f"round {round_['_id']} is {round_['state']}: a published round never changes",
                       rule="R-16")


def new_round(round_id: str, year: int, as_of: dt.date, due: Iterable[DueStudio],
              facts: Mapping[str, StudioFacts], rubric: Rubric, bonus_budget_fen: int,
              by: str, at: dt.datetime) -> dict:
    if as_of.year != year:
        raise ValidationFailed("the reference date lies outside the round's year",
                               errors={"as_of": f"a date in {year}"})
    if isinstance(bonus_budget_fen, bool) or not isinstance(bonus_budget_fen, int) or bonus_budget_fen < 0:
        raise ValidationFailed("bonus budget", errors={"bonus_budget_fen": "whole fen, 0 or more"})
    studios = [studio_entry(facts[d.studio_id], d) for d in due if d.studio_id in facts]
    if len(studios) > MAX_STUDIOS:
        raise ValidationFailed("too many studios", errors={"studios": f"at most {MAX_STUDIOS}"})
    return {"_id": round_id, "year": year, "as_of": as_of.isoformat(), "state": OPEN,
            "rubric_version": rubric.version, "rubric": rubric.to_dict(),
            "bonus_budget_fen": bonus_budget_fen, "studios": studios, "removed": [], "assignments": {},
            "results": None, "summary": None, "published_at": None, "published_by": None,
            "created_at": at.isoformat(), "created_by": by, "rev": 0,
            "history": [_event(by, at, "create", studios=len(studios), rubric_version=rubric.version)]}


def studio_ids(round_: Mapping) -> list[str]:
    return [s["studio_id"] for s in round_["studios"]]


def find_studio(round_: Mapping, studio_id: str) -> dict:
    for s in round_["studios"]:
        if s["studio_id"] == studio_id:
            return s
    raise NotFound(f"studio {studio_id} is not in round {round_['_id']}")


def add_studio(round_: Mapping, facts: StudioFacts, reason: object, by: str, at: dt.datetime,
               due: DueStudio | None = None) -> dict:
    require_open(round_)
    text = _reason(reason)
    if facts.revoked:
        raise RuleViolation(f"studio {facts.studio_id} is revoked", rule="R-20",
                            errors={"studio_id": "a revoked studio is not assessed"})
    if facts.studio_id in studio_ids(round_):
        raise Conflict(f"studio {facts.studio_id} is in the round already")
    out = copy.deepcopy(dict(round_))
    entry = studio_entry(facts, due or DueStudio(facts.studio_id, ADDED, None, None))
    entry.update({"added_reason": text, "reason": ADDED if due is None else entry["reason"],
                  "reason_name": REASONS[ADDED] if due is None else entry["reason_name"]})
    out["studios"].append(entry)
    out["removed"] = [r for r in out["removed"] if r["studio_id"] != facts.studio_id]
    out["history"].append(_event(by, at, "add", studio_id=facts.studio_id, reason=text))
    return out


def remove_studio(round_: Mapping, studio_id: str, reason: object, by: str, at: dt.datetime) -> dict:
    require_open(round_)
    text = _reason(reason)
    entry = find_studio(round_, studio_id)
    out = copy.deepcopy(dict(round_))
    out["studios"] = [s for s in out["studios"] if s["studio_id"] != studio_id]
    out["removed"].append({**entry, "removed_reason": text, "removed_by": by, "removed_at": at.isoformat()})
    out["assignments"] = {u: [s for s in ids if s != studio_id] for u, ids in out["assignments"].items()}
    out["history"].append(_event(by, at, "remove", studio_id=studio_id, reason=text))
    return out


def assign_scorers(round_: Mapping, assignments: Mapping[str, Iterable[str]], by: str, at: dt.datetime) -> dict:
    """Replace the assignments of the scorers named (a scorer with an empty list is unassigned)."""
    require_open(round_)
    known = set(studio_ids(round_))
    out = copy.deepcopy(dict(round_))
    errors = {}
    for scorer, ids in assignments.items():
        ids = list(dict.fromkeys(str(i) for i in ids))
        unknown = [i for i in ids if i not in known]
        if not str(scorer).strip():
            errors["assignments"] = "a scorer's user name is required"
        elif unknown:
            errors[f"assignments.{scorer}"] = f"not in the round: {', '.join(unknown[:5])}"
        elif ids:
            out["assignments"][str(scorer)] = ids
        else:
            out["assignments"].pop(str(scorer), None)
    if errors:
        raise ValidationFailed("assignments are not valid", errors=errors)
    out["history"].append(_event(by, at, "assign", scorers=sorted(assignments)))
    return out


def studios_for(round_: Mapping, scorer: str) -> list[str]:
    """What ``scorer`` may see and score in this round."""
    return list(round_.get("assignments", {}).get(scorer, []))


def is_scorer(round_: Mapping, user: str) -> bool:
    return user in (round_.get("assignments") or {})


def require_assigned(round_: Mapping, scorer: str, studio_id: str) -> None:
    if studio_id not in studios_for(round_, scorer):
        raise NotFound(f"studio {studio_id} is not assigned to you in round {round_['_id']}")


def start_publishing(round_: Mapping, by: str, at: dt.datetime) -> dict:
    """No more changes: the results are being written (publishing again continues from here)."""
    if round_["state"] == PUBLISHING:
        return dict(round_)
    require_open(round_)
    out = copy.deepcopy(dict(round_))
    out["state"] = PUBLISHING
    out["history"].append(_event(by, at, "start_publishing"))
    return out


def publish(round_: Mapping, results: Mapping[str, dict], summary: Mapping, by: str, at: dt.datetime) -> dict:
    """Freeze the results. ``results``: studio id → its scores and grade (all complete)."""
    if round_["state"] not in (OPEN, PUBLISHING):
        require_open(round_)
    check_publishable(round_, results)
    out = copy.deepcopy(dict(round_))
    out.update({"state": PUBLISHED, "results": dict(results), "summary": dict(summary),
                "published_at": at.isoformat(), "published_by": by})
    out["history"].append(_event(by, at, "publish", **{k: summary[k] for k in ("excellent", "pass", "fail")}))
    return out


def check_publishable(round_: Mapping, results: Mapping[str, dict]) -> None:
    """R-16: every studio of the round graded (none incomplete), and at least one studio."""
    missing = [s for s in studio_ids(round_) if (results.get(s) or {}).get("grade") is None]
    if missing:
        raise RuleViolation("every studio needs a complete score before publishing", rule="R-16",
                            errors={"studios": f"incomplete: {', '.join(missing[:20])}"}, incomplete=missing)
    if not round_["studios"]:
        raise RuleViolation("a round without studios cannot be published", rule="R-16",
                            errors={"studios": "no studio in the round"})
