"""Experts' scores and the combined score (R-15).

**The combination rule** (one, for every indicator the experts score): the scores the experts
gave the indicator are sorted; with five or more experts the single highest and the single
lowest are dropped; the indicator's score is the mean of the rest. With fewer than five, the
mean of all. (``combine``)

**The combined score** of a studio is Σ (indicator score ÷ indicator maximum × weight) over
the indicators that have a score, rescaled to 100 by the weights that took part (only an
automatic indicator whose figure was unavailable and that no expert scored can be missing),
rounded half up to hundredths. A studio where an expert-scored indicator has no score yet is
``incomplete``: it is not graded until it has one.

An automatic indicator is scored from its figure (``inputs.py``); only when the figure is
unavailable do the experts' scores of it count.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable, Mapping, NamedTuple

from shared.errors import ValidationFailed

from .inputs import AutoValue
from .rubric import Rubric
from .scores import SCALE, cp_number, to_cp

DROP_EXTREMES_FROM = 5   # experts: from this many on, the highest and the lowest score are dropped


def _combine(scores_cp: Iterable[int]) -> tuple[int, int, int]:
    """(numerator, denominator, dropped) of the combined score of one indicator (denominator 0: none)."""
    s = sorted(scores_cp)
    if len(s) >= DROP_EXTREMES_FROM:
        return sum(s[1:-1]), len(s) - 2, 2
    return sum(s), len(s), 0


def combine(scores_cp: Iterable[int]) -> tuple[Fraction | None, int]:
    """(the combined score of one indicator in cp, exact; how many scores were dropped)."""
    num, den, dropped = _combine(scores_cp)
    return (Fraction(num, den) if den else None), dropped


def _round(num: int, den: int) -> int:
    """num ÷ den rounded half up (both ≥ 0, den > 0): integers only, the grading stays fast."""
    return (2 * num + den) // (2 * den)


class IndicatorScore(NamedTuple):     # a tuple: 50,000 of them grade a round of 5,000 quickly
    code: str
    num: int                    # the score in cp is num ÷ den, exact
    den: int                    # 0: no score
    basis: str                  # auto | experts | none
    experts: int = 0
    dropped: int = 0

    @property
    def score(self) -> Fraction | None:
        return Fraction(self.num, self.den) if self.den else None

    @property
    def score_cp(self) -> int | None:
        return _round(self.num, self.den) if self.den else None

    def to_dict(self) -> dict:
        return {"code": self.code, "score": cp_number(self.score_cp), "basis": self.basis,
                "experts": self.experts, "dropped": self.dropped}


@dataclass(frozen=True)
class StudioScore:
    studio_id: str
    indicators: dict            # code → IndicatorScore
    combined_cp: int | None     # None: incomplete
    missing: tuple[str, ...]    # expert-scored indicators without a score (incomplete)
    left_out: tuple[str, ...]   # unavailable automatic indicators nobody scored (weights rescaled)
    fund_use_cp: int | None = None

    @property
    def complete(self) -> bool:
        return self.combined_cp is not None


def expert_codes_for(rubric: Rubric, auto: Mapping[str, AutoValue]) -> tuple[str, ...]:
    """What the experts score for this studio: the expert indicators, and automatic ones whose figure is unavailable."""
    return tuple(i.code for i in rubric.indicators
                 if not i.automatic or auto.get(i.code) is None or auto[i.code].score_cp is None)


def check_entry(rubric: Rubric, values: Mapping[str, Any], allowed: Iterable[str]) -> dict[str, int]:
    """One expert's scores for one studio, as entered → {code: cp}; each in 0 … the maximum."""
    allowed = set(allowed)
    out, errors = {}, {}
    if not isinstance(values, Mapping) or not values:
        raise ValidationFailed("scores are required", errors={"scores": "at least one indicator's score"})
    for code, value in values.items():
        field = f"scores.{code}"
        if code not in rubric.indexed:
            errors[field] = "not an indicator of the round's rubric"
        elif code not in allowed:
            errors[field] = "filled in from its source; experts do not score it"
        else:
            try:
                out[code] = to_cp(value, field, maximum_cp=rubric.indicator(code).maximum_cp)
            except ValidationFailed as exc:
                errors.update(exc.errors or {})
    if errors:
        raise ValidationFailed("some scores are not valid", errors=errors, rule="R-15")
    return out


def score_studio(rubric: Rubric, studio_id: str, auto: Mapping[str, AutoValue],
                 entries: Mapping[str, Mapping[str, int]]) -> StudioScore:
    """``entries``: expert → {code: cp}. Order of experts and of codes does not matter.
    Exact in integers: Σ num_i·weight_i ÷ (den_i·max_i), over a common denominator."""
    indicators, missing, left_out = {}, [], []
    total_num, total_den, weights = 0, 1, 0
    for ind in rubric.indicators:
        av = auto.get(ind.code) if ind.automatic else None
        if av is not None and av.score_cp is not None:
            s = IndicatorScore(ind.code, av.score_cp, 1, "auto")
        else:
            given = [e[ind.code] for e in entries.values() if ind.code in e]
            num, den, dropped = _combine(given)
            s = IndicatorScore(ind.code, num, den, "experts" if given else "none", len(given), dropped)
        indicators[ind.code] = s
        if not s.den:
            (left_out if ind.automatic else missing).append(ind.code)
            continue
        d = s.den * ind.maximum_cp
        total_num, total_den = total_num * d + s.num * ind.weight * total_den, total_den * d
        weights += ind.weight
    combined = None
    if not missing and weights:
        combined = _round(total_num * 100 * SCALE, total_den * weights)
    fund = rubric.fund_use_code
    fund_cp = indicators[fund].score_cp if fund else None
    return StudioScore(studio_id, indicators, combined, tuple(missing), tuple(left_out), fund_cp)
