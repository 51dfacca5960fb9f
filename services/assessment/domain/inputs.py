"""Indicators filled in from what the system knows, each with its source (R-15, R-23).

The service fetches three batches for a round's studios (``ledger.compliance_batch``,
``reporting.report_digest``, ``supervision.inspection_digest``) and hands them here as
``Source`` objects; a service that did not answer is a ``Source`` with ``unavailable`` set
(the reason). ``autofill`` then scores each automatic indicator of the rubric for one studio:

* ``ledger.city_funds_use``: ``city_spent_fen ÷ city_funds_fen`` of the current funding cycle
  (R-22: city funds should be used up before the next assessment), capped at 1.
* ``ledger.matching_ratio``: ``matching_ratio_bp ÷ 10,000`` (R-23: matching at least equal to
  the city funds earns the full score), capped at 1.
* ``reporting.targets_met``: ``targets_met ÷ targets_total``.
* ``reporting.reports_submitted``: the plan and the results of the year: on time 1, late ½,
  missing 0; a report not yet due is left out.
* ``supervision.inspection_rating``: good 1, fair 0.6, poor 0.2.
* ``supervision.open_rectifications``: none 1, one ½, two or more 0.

score = fraction × the indicator's maximum, rounded half up to hundredths. When the figure
cannot be had (the service did not answer, has no record of the studio, or the fraction has
no denominator) the indicator is ``unavailable`` with the reason; the experts may then score
it (``scoring.py``), and if nobody does it is left out of the combined score.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Mapping

from .rubric import AUTO_SOURCES, Rubric
from .scores import cp_number, round_half_up

SOURCE_SERVICES = {"ledger": "专门账目（ledger）", "reporting": "年度报告（reporting）",
                   "supervision": "年度检查（supervision）"}
RATINGS = {"good": Fraction(1), "fair": Fraction(3, 5), "poor": Fraction(1, 5)}
TIMELINESS = {"on_time": Fraction(1), "late": Fraction(1, 2), "missing": Fraction(0)}


@dataclass(frozen=True)
class Source:
    service: str                                   # ledger | reporting | supervision
    items: Mapping[str, Mapping] = field(default_factory=dict)   # studio id → the service's item
    unavailable: str | None = None                 # why the service gave nothing (it did not answer …)

    @classmethod
    def of(cls, service: str, items, key: str = "studio_id") -> "Source":
        return cls(service, {str(i[key]): i for i in items or () if isinstance(i, Mapping) and i.get(key)})


@dataclass(frozen=True)
class AutoValue:
    code: str
    source: str
    score_cp: int | None
    figures: dict
    unavailable: str | None = None

    def to_dict(self) -> dict:
        return {"code": self.code, "source": self.source, "source_name": AUTO_SOURCES.get(self.source, ""),
                "score": cp_number(self.score_cp), "score_cp": self.score_cp, "figures": self.figures,
                "available": self.unavailable is None, "unavailable_reason": self.unavailable}


class Unavailable(Exception):
    pass


def _ratio(num: Any, den: Any, what: str) -> Fraction:
    if not isinstance(num, int) or not isinstance(den, int) or isinstance(num, bool) or isinstance(den, bool):
        raise Unavailable(f"{what}: figures missing")
    if den <= 0:
        raise Unavailable(f"{what}: nothing to measure against (0)")
    return min(Fraction(1), Fraction(max(num, 0), den))


def _city_funds_use(item: Mapping) -> tuple[Fraction, dict]:
    figures = {k: item.get(k) for k in ("cycle", "city_funds_fen", "city_spent_fen", "city_unspent_fen")}
    return _ratio(item.get("city_spent_fen"), item.get("city_funds_fen"), "city funds"), figures


def _matching_ratio(item: Mapping) -> tuple[Fraction, dict]:
    figures = {k: item.get(k) for k in ("cycle", "city_funds_fen", "matching_fen", "matching_ratio_bp",
                                        "matching_at_least_city")}
    bp = item.get("matching_ratio_bp")
    if bp is None:
        raise Unavailable("matching ratio: no city funds to compare with")
    return _ratio(bp, 10_000, "matching ratio"), figures


def _targets_met(item: Mapping) -> tuple[Fraction, dict]:
    figures = {"targets_total": item.get("targets_total"), "targets_met": item.get("targets_met")}
    return _ratio(item.get("targets_met"), item.get("targets_total"), "targets"), figures


def _reports_submitted(item: Mapping) -> tuple[Fraction, dict]:
    counted, figures = [], {}
    for kind in ("plan", "results"):
        report = item.get(kind) or {}
        timeliness = report.get("timeliness") or "missing"
        figures[kind] = {"state": report.get("state", "missing"), "timeliness": timeliness}
        if timeliness in TIMELINESS:
            counted.append(TIMELINESS[timeliness])
    if not counted:
        raise Unavailable("reports: none due yet")
    return sum(counted, Fraction(0)) / len(counted), figures


def _inspection_rating(item: Mapping) -> tuple[Fraction, dict]:
    figures = {"inspected": item.get("inspected"), "inspected_on": item.get("inspected_on"),
               "rating": item.get("rating")}
    if not item.get("inspected") or item.get("rating") not in RATINGS:
        raise Unavailable("inspection: the studio was not inspected (or has no rating) this year")
    return RATINGS[item["rating"]], figures


def _open_rectifications(item: Mapping) -> tuple[Fraction, dict]:
    n = item.get("open_rectifications")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise Unavailable("rectifications: figure missing")
    return {0: Fraction(1), 1: Fraction(1, 2)}.get(n, Fraction(0)), {"open_rectifications": n}


SCORERS = {
    "ledger.city_funds_use": _city_funds_use,
    "ledger.matching_ratio": _matching_ratio,
    "reporting.targets_met": _targets_met,
    "reporting.reports_submitted": _reports_submitted,
    "supervision.inspection_rating": _inspection_rating,
    "supervision.open_rectifications": _open_rectifications,
}


def autofill(rubric: Rubric, studio_id: str, sources: Mapping[str, Source]) -> dict[str, AutoValue]:
    """Every automatic indicator of ``rubric`` for one studio: its score or why it is unavailable."""
    out = {}
    for ind in rubric.indicators:
        if not ind.automatic:
            continue
        service = ind.source.split(".", 1)[0]
        src = sources.get(service)
        if src is None or src.unavailable:
            reason = src.unavailable if src is not None else "not asked"
            out[ind.code] = AutoValue(ind.code, ind.source, None, {}, f"{service} unavailable: {reason}")
            continue
        item = src.items.get(studio_id)
        if item is None:
            out[ind.code] = AutoValue(ind.code, ind.source, None, {}, f"{service} has no record of this studio")
            continue
        try:
            fraction, figures = SCORERS[ind.source](item)
        except Unavailable as exc:
            out[ind.code] = AutoValue(ind.code, ind.source, None, {}, str(exc))
            continue
        out[ind.code] = AutoValue(ind.code, ind.source, round_half_up(fraction * ind.maximum_cp), figures)
    return out
