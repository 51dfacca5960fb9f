"""A round's results from its parts: the filled-in figures, the experts' entries, the grades
and (when publishing) the consequences. Used by the preview and by publishing, so the two
never differ.

    evaluate(round_, autos, entries, records, published_on=None) -> (results, summary)

``autos``: studio id → {code: AutoValue or its dict}; ``entries``: studio id → {expert: {code: cp}};
``records``: studio id → AssessmentRecord. ``results``: studio id → JSON-safe dict.
"""
from __future__ import annotations

import datetime as dt
from typing import Mapping

from .consequences import consequence
from .due import AssessmentRecord
from .grading import GRADE_NAMES, Candidate, grade_round
from .inputs import AutoValue
from .rubric import Rubric, rubric_from_dict
from .scores import cp_number
from .scoring import score_studio


def as_auto(value) -> AutoValue:
    if isinstance(value, AutoValue):
        return value
    return AutoValue(value["code"], value["source"], value.get("score_cp"), dict(value.get("figures") or {}),
                     value.get("unavailable_reason"), value.get("unavailable_code"))


def round_rubric(round_: Mapping) -> Rubric:
    """The rubric the round copied when it was created (never the current one)."""
    return rubric_from_dict(round_["rubric"], round_["rubric_version"])


def evaluate(round_: Mapping, autos: Mapping[str, Mapping], entries: Mapping[str, Mapping[str, Mapping[str, int]]],
             records: Mapping[str, AssessmentRecord], published_on: dt.date | None = None) -> tuple[dict, dict]:
    rubric = round_rubric(round_)
    scored, candidates = {}, []
    for s in round_["studios"]:
        sid = s["studio_id"]
        auto = {code: as_auto(v) for code, v in (autos.get(sid) or {}).items()}
        score = score_studio(rubric, sid, auto, entries.get(sid) or {})
        scored[sid] = (score, auto)
        candidates.append(Candidate(sid, score.combined_cp, score.fund_use_cp,
                                    dt.date.fromisoformat(s["designated_on"])))
    grading = grade_round(candidates, rubric.pass_threshold_cp, rubric.excellent_line_cp,
                          round_["bonus_budget_fen"])
    results = {}
    for sid, (score, auto) in scored.items():
        g = grading.grades[sid]
        indicators = {}
        for ind in rubric.indicators:
            i = score.indicators[ind.code]
            row = {"code": ind.code, "score": cp_number(i.score_cp), "basis": i.basis, "experts": i.experts,
                   "dropped": i.dropped, "source": ind.source}
            a = auto.get(ind.code)
            if a is not None:
                row["figures"], row["auto_score"], row["unavailable_reason"], row["unavailable_code"] = (
                    a.figures, cp_number(a.score_cp), a.unavailable, a.unavailable_code)
            indicators[ind.code] = row
        out = {"studio_id": sid, "score": cp_number(score.combined_cp), "score_cp": score.combined_cp,
               "grade": g.grade, "grade_name": GRADE_NAMES.get(g.grade, "未完成评分"), "rank": g.rank,
               "excellent_candidate": g.excellent_candidate, "why": g.why, "indicators": indicators,
               "missing": list(score.missing), "left_out": list(score.left_out), "consequences": None}
        if published_on is not None and g.grade is not None:
            out["consequences"] = consequence(sid, g.grade, records.get(sid), published_on,
                                              rubric.rectification_days).to_dict()
        results[sid] = out
    return results, grading.summary()
