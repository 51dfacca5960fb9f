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
no denominator) the indicator is ``unavailable`` (R-15) with a stable code (``UNAVAILABLE``:
what the console and the tests compare) and the reason in Chinese, for the people who read it;
the experts may then score it (``scoring.py``), and if nobody does it is left out of the
combined score.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Mapping

from shared.errors import DomainError, ServiceUnavailable

from .rubric import AUTO_SOURCES, Rubric
from .scores import cp_number, round_half_up

SOURCE_SERVICES = {"ledger": "专门账目（ledger）", "reporting": "年度报告（reporting）",
                   "supervision": "年度检查（supervision）"}
RATINGS = {"good": Fraction(1), "fair": Fraction(3, 5), "poor": Fraction(1, 5)}
TIMELINESS = {"on_time": Fraction(1), "late": Fraction(1, 2), "missing": Fraction(0)}

# why an indicator could not be filled in: code → what the users read ({source}: the service's name)
SOURCE_NO_ANSWER, SOURCE_FAILED, SOURCE_NOT_ASKED = "source_no_answer", "source_failed", "source_not_asked"
NO_RECORD, FIGURES_MISSING, NOTHING_TO_MEASURE = "no_record", "figures_missing", "nothing_to_measure"
NO_CITY_FUNDS, NO_REPORT_DUE, NOT_INSPECTED = "no_city_funds", "no_report_due", "not_inspected"
UNAVAILABLE = {
    SOURCE_NO_ANSWER: "{source}未应答，未能取得数据",
    SOURCE_FAILED: "{source}出错，未能取得数据",
    SOURCE_NOT_ASKED: "未向{source}取数",
    NO_RECORD: "{source}中没有该工作室的记录",
    FIGURES_MISSING: "{what}：数据缺失",
    NOTHING_TO_MEASURE: "{what}：基数为 0，无法计算",
    NO_CITY_FUNDS: "配套资金比例：没有可对比的市级资助资金",
    NO_REPORT_DUE: "年度报告：尚无到期的报告",
    NOT_INSPECTED: "年度检查：本年度未检查该工作室（或没有检查等次）",
}


def source_name(service: str) -> str:
    """The service's name as the users know it (专门账目, 年度报告, 年度检查)."""
    return SOURCE_SERVICES.get(service, service).split("（")[0]


@dataclass(frozen=True)
class Source:
    service: str                                   # ledger | reporting | supervision
    items: Mapping[str, Mapping] = field(default_factory=dict)   # studio id → the service's item
    unavailable: str | None = None                 # why the service gave nothing (its error's detail)
    unavailable_code: str = SOURCE_FAILED          # SOURCE_NO_ANSWER when it did not answer

    @classmethod
    def of(cls, service: str, items, key: str = "studio_id") -> "Source":
        return cls(service, {str(i[key]): i for i in items or () if isinstance(i, Mapping) and i.get(key)})

    def status(self) -> dict:
        """Whether this source answered, for the organiser who asked again (重新取数): the code,
        the reason in Chinese and the service's own detail (for whoever runs the system)."""
        if self.unavailable is None:
            return {"available": True, "code": None, "reason": None, "detail": None}
        return {"available": False, "code": self.unavailable_code,
                "reason": UNAVAILABLE[self.unavailable_code].format(source=source_name(self.service)),
                "detail": self.unavailable}

    @classmethod
    def failed(cls, service: str, exc: BaseException) -> Source:
        """The service did not answer (``ServiceUnavailable``), refused, or failed otherwise."""
        detail = ((getattr(exc, "detail", None) or str(exc)) if isinstance(exc, DomainError)
                  else f"{type(exc).__name__}: {exc}"[:300])
        code = SOURCE_NO_ANSWER if isinstance(exc, ServiceUnavailable) else SOURCE_FAILED
        return cls(service, unavailable=detail, unavailable_code=code)


@dataclass(frozen=True)
class AutoValue:
    code: str
    source: str
    score_cp: int | None
    figures: dict
    unavailable: str | None = None                 # the reason, in Chinese
    unavailable_code: str | None = None            # a key of UNAVAILABLE

    def to_dict(self) -> dict:
        return {"code": self.code, "source": self.source, "source_name": AUTO_SOURCES.get(self.source, ""),
                "score": cp_number(self.score_cp), "score_cp": self.score_cp, "figures": self.figures,
                "available": self.unavailable is None, "unavailable_reason": self.unavailable,
                "unavailable_code": self.unavailable_code}

    @classmethod
    def missing(cls, code: str, source: str, why: str, service: str) -> AutoValue:
        """Unavailable because of ``service`` as a whole (it failed, or has no record of the studio)."""
        return cls(code, source, None, {}, UNAVAILABLE[why].format(source=source_name(service)), why)


class Unavailable(Exception):
    def __init__(self, code: str, what: str = ""):
        super().__init__(UNAVAILABLE[code].format(what=what))
        self.code = code


def _ratio(num: Any, den: Any, what: str) -> Fraction:
    if not isinstance(num, int) or not isinstance(den, int) or isinstance(num, bool) or isinstance(den, bool):
        raise Unavailable(FIGURES_MISSING, what)
    if den <= 0:
        raise Unavailable(NOTHING_TO_MEASURE, what)
    return min(Fraction(1), Fraction(max(num, 0), den))


def _city_funds_use(item: Mapping) -> tuple[Fraction, dict]:
    figures = {k: item.get(k) for k in ("cycle", "city_funds_fen", "city_spent_fen", "city_unspent_fen")}
    return _ratio(item.get("city_spent_fen"), item.get("city_funds_fen"), "市级资助资金使用"), figures


def _matching_ratio(item: Mapping) -> tuple[Fraction, dict]:
    figures = {k: item.get(k) for k in ("cycle", "city_funds_fen", "matching_fen", "matching_ratio_bp",
                                        "matching_at_least_city")}
    bp = item.get("matching_ratio_bp")
    if bp is None:
        raise Unavailable(NO_CITY_FUNDS)
    return _ratio(bp, 10_000, "配套资金比例"), figures


def _targets_met(item: Mapping) -> tuple[Fraction, dict]:
    figures = {"targets_total": item.get("targets_total"), "targets_met": item.get("targets_met")}
    return _ratio(item.get("targets_met"), item.get("targets_total"), "目标任务"), figures


def _reports_submitted(item: Mapping) -> tuple[Fraction, dict]:
    counted, figures = [], {}
    for kind in ("plan", "results"):
        report = item.get(kind) or {}
        timeliness = report.get("timeliness") or "missing"
        figures[kind] = {"state": report.get("state", "missing"), "timeliness": timeliness}
        if timeliness in TIMELINESS:
            counted.append(TIMELINESS[timeliness])
    if not counted:
        raise Unavailable(NO_REPORT_DUE)
    return sum(counted, Fraction(0)) / len(counted), figures


def _inspection_rating(item: Mapping) -> tuple[Fraction, dict]:
    figures = {"inspected": item.get("inspected"), "inspected_on": item.get("inspected_on"),
               "rating": item.get("rating")}
    if not item.get("inspected") or item.get("rating") not in RATINGS:
        raise Unavailable(NOT_INSPECTED)
    return RATINGS[item["rating"]], figures


def _open_rectifications(item: Mapping) -> tuple[Fraction, dict]:
    n = item.get("open_rectifications")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise Unavailable(FIGURES_MISSING, "整改事项")
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
            why = SOURCE_NOT_ASKED if src is None else src.unavailable_code
            out[ind.code] = AutoValue.missing(ind.code, ind.source, why, service)
            continue
        item = src.items.get(studio_id)
        if item is None:
            out[ind.code] = AutoValue.missing(ind.code, ind.source, NO_RECORD, service)
            continue
        try:
            fraction, figures = SCORERS[ind.source](item)
        except Unavailable as exc:
            out[ind.code] = AutoValue(ind.code, ind.source, None, {}, str(exc), exc.code)
            continue
        out[ind.code] = AutoValue(ind.code, ind.source, round_half_up(fraction * ind.maximum_cp), figures)
    return out
