"""Grading a round (R-16): 不合格 fail / 合格 pass / 优秀 excellent.

    grade_round(candidates, rubric_limits, bonus_budget_fen) -> Grading

1. A studio whose combined score is below the pass threshold fails.
2. The others whose score reaches the excellent line are the excellent candidates.
3. At most ``cap`` of them are excellent, where
   ``cap = min(floor(20 % × studios assessed), floor(bonus budget ÷ 200,000 CNY))`` and
   "studios assessed" are the studios of the round that have a combined score (complete).
4. **The order** (and the tie rule at the cap): combined score, higher first; then the
   fund-use indicator (use of city funds, R-22), higher first, a studio without that figure
   last; then designation date, earlier first; then studio id. This is a total order, so the
   first ``cap`` candidates in it are excellent and the count never exceeds either cap; the
   result depends only on the set of studios, not on their order; a higher combined score is
   never graded lower (excellent goes to a prefix of the order, fail is below a threshold).

Every other complete studio passes. An incomplete studio gets no grade (``None``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

EXCELLENT, PASS, FAIL = "excellent", "pass", "fail"
GRADE_NAMES = {EXCELLENT: "优秀", PASS: "合格", FAIL: "不合格"}
BONUS_FEN = 20_000_000            # 200,000 CNY per excellent studio
EXCELLENT_SHARE_PERCENT = 20      # at most 20 % of the studios assessed (round down)


@dataclass(frozen=True)
class Candidate:
    studio_id: str
    combined_cp: int | None          # None: incomplete, not graded
    fund_use_cp: int | None = None   # the tie rule's second key
    designated_on: dt.date = dt.date.min


@dataclass(frozen=True)
class StudioGrade:
    studio_id: str
    grade: str | None
    combined_cp: int | None
    rank: int | None              # 1 = first in the order; None: incomplete
    excellent_candidate: bool
    why: str

    def to_dict(self) -> dict:
        return {"studio_id": self.studio_id, "grade": self.grade,
                "grade_name": GRADE_NAMES.get(self.grade, "未完成评分"), "rank": self.rank,
                "excellent_candidate": self.excellent_candidate, "why": self.why}


@dataclass(frozen=True)
class Grading:
    grades: dict                  # studio id → StudioGrade
    assessed: int
    cap_by_share: int
    cap_by_budget: int
    candidates: int
    incomplete: tuple[str, ...]

    @property
    def cap(self) -> int:
        return min(self.cap_by_share, self.cap_by_budget)

    def count(self, grade: str) -> int:
        return sum(1 for g in self.grades.values() if g.grade == grade)

    def summary(self) -> dict:
        return {"assessed": self.assessed, "incomplete": list(self.incomplete),
                "cap_by_share": self.cap_by_share, "cap_by_budget": self.cap_by_budget, "cap": self.cap,
                "excellent_candidates": self.candidates,
                "excellent": self.count(EXCELLENT), "pass": self.count(PASS), "fail": self.count(FAIL),
                "rule": "R-16"}


def order_key(c: Candidate) -> tuple:
    """The documented order: score ↓, fund use ↓ (missing last), designation date ↑, studio id ↑."""
    fund = c.fund_use_cp if c.fund_use_cp is not None else -1
    return (-(c.combined_cp or 0), -fund, c.designated_on, c.studio_id)


def caps(assessed: int, bonus_budget_fen: int) -> tuple[int, int]:
    return assessed * EXCELLENT_SHARE_PERCENT // 100, max(0, bonus_budget_fen) // BONUS_FEN


def grade_round(candidates: Iterable[Candidate], pass_threshold_cp: int, excellent_line_cp: int,
                bonus_budget_fen: int) -> Grading:
    complete, incomplete = [], []
    for c in candidates:
        (complete if c.combined_cp is not None else incomplete).append(c)
    ordered = sorted(complete, key=order_key)
    by_share, by_budget = caps(len(ordered), bonus_budget_fen)
    cap = min(by_share, by_budget)
    grades: dict[str, StudioGrade] = {}
    excellent_given, candidates_n = 0, 0
    for rank, c in enumerate(ordered, start=1):
        candidate = c.combined_cp >= excellent_line_cp and c.combined_cp >= pass_threshold_cp
        candidates_n += candidate
        if c.combined_cp < pass_threshold_cp:
            grade, why = FAIL, "below the pass threshold"
        elif candidate and excellent_given < cap:
            grade, why = EXCELLENT, f"within the cap of {cap}"
            excellent_given += 1
        elif candidate:
            grade, why = PASS, f"excellent candidate beyond the cap of {cap} (R-16 order)"
        else:
            grade, why = PASS, "below the excellent line"
        grades[c.studio_id] = StudioGrade(c.studio_id, grade, c.combined_cp, rank, candidate, why)
    for c in sorted(incomplete, key=lambda c: c.studio_id):
        grades[c.studio_id] = StudioGrade(c.studio_id, None, None, None, False, "scores incomplete")
    return Grading(grades, len(ordered), by_share, by_budget, candidates_n,
                   tuple(sorted(c.studio_id for c in incomplete)))
