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
from typing import Any, Iterable, Mapping

from shared.errors import ValidationFailed

from .inputs import AutoValue
from .rubric import Rubric
from .scores import SCALE, cp_number, round_half_up, to_cp

DROP_EXTREMES_FROM = 5   # experts: from this many on, the highest and the lowest score are dropped


def combine(scores_cp: Iterable[int]) -> tuple[Fraction | None, int]:
    """(the combined score of one indicator, how many scores were dropped)."""
    s = sorted(scores_cp)
    if not s:
        return None, 0
    if len(s) >= DROP_EXTREMES_FROM:
        return Fraction(sum(s[1:-1]), len(s) - 2), 2
    return Fraction(sum(s), len(s)), 0


@dataclass(frozen=True)
class IndicatorScore:
    code: str
    score: Fraction | None      # in cp, exact
    basis: str                  # auto | experts | none
    experts: int = 0
    dropped: int = 0

    @property
    def score_cp(self) -> int | None:
        return None if self.score is None else round_half_up(self.score)

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
    """``entries``: expert → {code: cp}. Order of experts and of codes does not matter."""
    indicators, missing, left_out = {}, [], []
    total, weights = Fraction(0), 0
    for ind in rubric.indicators:
        av = auto.get(ind.code) if ind.automatic else None
        if av is not None and av.score_cp is not None:
            s = IndicatorScore(ind.code, Fraction(av.score_cp), "auto")
        else:
            given = [e[ind.code] for e in entries.values() if ind.code in e]
            value, dropped = combine(given)
            s = IndicatorScore(ind.code, value, "experts" if given else "none", len(given), dropped)
        indicators[ind.code] = s
        if s.score is None:
            (left_out if ind.automatic else missing).append(ind.code)
            continue
        total += s.score / ind.maximum_cp * ind.weight
        weights += ind.weight
    combined = None
    if not missing and weights:
        combined = round_half_up(total * 100 / weights * SCALE)
    fund = rubric.fund_use_code
    fund_cp = indicators[fund].score_cp if fund else None
    return StudioScore(studio_id, indicators, combined, tuple(missing), tuple(left_out), fund_cp)
