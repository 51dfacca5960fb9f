"""Ranking a year's shortlist (拟定名单) for the at most 10 designations of R-7.

The documented order, first difference decides:

1. R-3: a lead with at least one priority honour (中华技能大奖, 全国技术能手, …) comes first;
2. R-5: among those equal so far, an existing district- or group-level studio comes first
   (第六条 "同等条件下，优先认定");
3. the number of R-3 honours, more first;
4. the mean expert score of the city review, higher first (no score ranks last);
5. the overall evaluation date, earlier first; then the submission time, earlier first;
6. the application id, so the order is total and stable.

Honours and R-5 rank; they never exclude (R-3: "recorded as honours; used to rank").
"""
from __future__ import annotations

from typing import Iterable, Mapping

RANKING_RULE = ("R-3 priority honour first; then an existing district/group-level studio (R-5); "
                "then more R-3 honours; then higher mean expert score; then earlier overall evaluation, "
                "earlier submission; then application id")


def expert_mean(app: Mapping) -> float | None:
    expert = ((app.get("reviews") or {}).get("expert") or {})
    scores = [s["score"] for s in expert.get("scores") or []]
    return round(sum(scores) / len(scores), 2) if scores else None


def rank_key(app: Mapping) -> tuple:
    honours = (app.get("master") or {}).get("honours") or []
    existing = bool((app.get("existing_studio") or {}).get("level"))
    mean = expert_mean(app)
    overall = ((app.get("reviews") or {}).get("overall") or {}).get("date") or "9999-12-31"
    return (0 if honours else 1, 0 if existing else 1, -len(honours),
            -(mean if mean is not None else -1.0), overall, str(app.get("submitted_at") or ""), str(app["_id"]))


def rank(apps: Iterable[Mapping]) -> list[Mapping]:
    return sorted(apps, key=rank_key)
