"""What a published grade causes (R-17, R-18, R-20, R-21, R-25).

    consequence(studio_id, grade, record, published_on, rectification_days) -> Consequence

* excellent → first in line for national recommendation (R-17, 第十九条) and the 200,000 CNY
  bonus, which the ledger books on ``assessment.graded`` and which opens a new funding cycle
  (R-21, R-25); the two years of R-14 count from the publishing day.
* pass → the two years count from the publishing day; a rectification in progress ends.
* fail, first time → rectification, due ``rectification_days`` after publishing (R-18); the
  studio is due for re-assessment once that date has come (``due.py``).
* fail while in rectification (the re-assessment) → a revocation request to registry on the
  R-18 ground (``failed_after_rectification``, R-20); the city bureau decides it as any other.
  The studio's rectification ends; should the bureau refuse, the two years count from the
  publishing day.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .due import AssessmentRecord
from .grading import EXCELLENT, FAIL, PASS

REVOCATION_GROUND = "failed_after_rectification"   # registry's R-20 ground for R-18


@dataclass(frozen=True)
class Consequence:
    studio_id: str
    grade: str
    record: AssessmentRecord                  # the studio's record after this round
    national_recommendation: bool = False
    bonus: bool = False                       # R-21 (booked by the ledger)
    rectification_due_on: dt.date | None = None
    revocation_requested: bool = False        # R-18 → R-20

    def to_dict(self) -> dict:
        return {"national_recommendation": self.national_recommendation, "bonus": self.bonus,
                "rectification_due_on": self.rectification_due_on.isoformat() if self.rectification_due_on else None,
                "revocation_requested": self.revocation_requested,
                "revocation_ground": REVOCATION_GROUND if self.revocation_requested else None}


def consequence(studio_id: str, grade: str, record: AssessmentRecord | None, published_on: dt.date,
                rectification_days: int) -> Consequence:
    record = record or AssessmentRecord()
    if grade in (EXCELLENT, PASS):
        return Consequence(studio_id, grade, AssessmentRecord(last_assessed_on=published_on),
                           national_recommendation=grade == EXCELLENT, bonus=grade == EXCELLENT)
    if grade != FAIL:
        raise ValueError(f"unknown grade {grade!r}")
    if record.rectification_due_on is not None:      # failed its re-assessment
        return Consequence(studio_id, grade, AssessmentRecord(last_assessed_on=published_on),
                           revocation_requested=True)
    due = published_on + dt.timedelta(days=rectification_days)
    return Consequence(studio_id, grade, AssessmentRecord(last_assessed_on=record.last_assessed_on,
                                                          rectification_due_on=due),
                       rectification_due_on=due)


def graded_event_data(round_: dict, studio: dict, result: dict, published_at: dt.datetime,
                      published_on: dt.date) -> dict:
    """``assessment.graded`` (the ledger books the bonus of an excellent one, keyed by round and studio)."""
    return {"round_id": round_["_id"], "studio_id": studio["studio_id"], "tenant_id": studio["tenant_id"],
            "unit_id": studio["unit_id"], "year": round_["year"], "grade": result["grade"],
            "score": result["score"], "graded_on": published_on.isoformat(),
            "published_on": published_on.isoformat(), "published_at": published_at.isoformat(),
            "rubric_version": round_["rubric_version"],
            "national_recommendation": bool((result.get("consequences") or {}).get("national_recommendation"))}


def revocation_request_data(round_: dict, studio: dict, result: dict, published_on: dt.date) -> dict:
    """``assessment.revocation_requested``: registry records a revocation request on the R-18 ground."""
    return {"round_id": round_["_id"], "studio_id": studio["studio_id"], "tenant_id": studio["tenant_id"],
            "unit_id": studio["unit_id"], "ground": REVOCATION_GROUND,
            "reason": f"{round_['year']}年度绩效考核复评不合格（综合得分 {result['score']}），经整改后仍不合格（第十八条）",
            "requested_on": published_on.isoformat(), "score": result["score"]}
