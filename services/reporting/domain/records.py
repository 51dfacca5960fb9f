"""The three yearly records of a studio (R-10, R-11) and their validation.

* **agreement** (目标任务责任书, one per studio per year, R-11): the support the unit gives
  (``funding_fen``, ``premises_m2``, ``equipment``, ``working_time``), the lead's ``duties``,
  ``tasks`` each with a measurable target (an output kind below and a count), the
  ``expected_outputs``, ``signed_on`` and the ``signatories`` (unit and lead).
* **plan** (年度工作计划) and **results** (年度工作总结), R-10: ``items`` under the four
  headings (each item an output kind, a title, a quantity, optional date, person, skill
  level, note), ``economic_benefit_fen`` (integer fen) and a ``narrative``.

``validate_content(kind, year, content)`` returns the normalised content or raises
``ValidationFailed`` whose ``errors`` map each field path to a message that names the rule.
Plain Python: the gateway's schemas only shape JSON; the rules live here.
"""
from __future__ import annotations

import calendar
import datetime as _dt
import functools
import math
from typing import Any, Callable, Collection, Mapping

from shared.errors import ValidationFailed

from services.reporting.contract import (AGREEMENT, HEADINGS, KIND_NAMES, KINDS, MAX_YEAR, MIN_YEAR,  # noqa: F401
                                        OUTPUT_NAMES, OUTPUTS, PLAN, RESULTS, SKILL_LEVELS)

HEADING_OF: dict[str, str] = {o: h for h, (_, outs) in HEADINGS.items() for o in outs}

MAX_ITEMS = 20_000          # detail rows of one plan or results (the workbook's row bound too)
MAX_TASKS = 200
MAX_TEXT = 2_000
MAX_NARRATIVE = 20_000
MAX_QUANTITY = 1_000_000
MAX_FEN = 10**15            # a bound, not a rule: ten trillion CNY


class _Errors:
    """Collects field errors; ``raise_if_any`` raises one ValidationFailed naming the rule."""

    def __init__(self, rule: str):
        self.rule = rule
        self.errors: dict[str, str] = {}

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, f"{message} ({self.rule})")

    def raise_if_any(self, detail: str) -> None:
        if self.errors:
            raise ValidationFailed(detail, errors=self.errors, rule=self.rule)


def _text(errs: _Errors, data: Mapping, key: str, path: str, *, required: bool,
          limit: int = MAX_TEXT) -> str:
    value = data.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errs.add(path, "must be text")
        return ""
    value = _clean(value)
    if required and not value:
        errs.add(path, "is required")
    elif len(value) > limit:
        errs.add(path, f"is longer than {limit} characters")
    return value


def _clean(text: str) -> str:
    """Surrounding blanks go, except where text starts with a tab or CR: such text is kept as typed."""
    return text if text[:1] in ("\t", "\r") else text.strip()


def _int(errs: _Errors, value: Any, path: str, *, low: int, high: int, required: bool = True) -> int | None:
    if value is None:
        if required:
            errs.add(path, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errs.add(path, "must be a whole number")
        return None
    if not low <= value <= high:
        errs.add(path, f"must be between {low} and {high}")
        return None
    return value


def _date(errs: _Errors, value: Any, path: str, *, required: bool,
          years: tuple[int, int] | None = None) -> str | None:
    if value in (None, ""):
        if required:
            errs.add(path, "is required")
        return None
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        day = value
    else:
        try:
            day = _dt.date.fromisoformat(str(value))
        except ValueError:
            errs.add(path, "must be a date YYYY-MM-DD")
            return None
    if years and not years[0] <= day.year <= years[1]:
        span = str(years[0]) if years[0] == years[1] else f"{years[0]}–{years[1]}"
        errs.add(path, f"must fall in {span}")
        return None
    return day.isoformat()


def check_year(year: Any) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed(f"year must be a whole number {MIN_YEAR}–{MAX_YEAR}",
                               errors={"year": f"must be {MIN_YEAR}–{MAX_YEAR}"})
    return year


def check_kind(kind: Any) -> str:
    if kind not in KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(KINDS)}",
                               errors={"kind": f"must be one of {', '.join(KINDS)}"})
    return kind


def validate_content(kind: str, year: int, content: Any, *, only: Collection[int] | None = None) -> dict:
    """The normalised content of a ``kind`` record for ``year`` or ``ValidationFailed``.

    ``only``: the indices of a plan's or results' ``items`` still to validate when the others
    are already ``plain_item``'s output for this year (the workbook reader checks each detail
    row as it streams): those are taken as they are."""
    check_kind(kind)
    check_year(year)
    if not isinstance(content, Mapping):
        raise ValidationFailed("the record must be an object", errors={"_schema": "must be an object"})
    if kind == AGREEMENT:
        return _validate_agreement(year, content)
    return _validate_report(year, content, only)


def _validate_report(year: int, content: Mapping, only: Collection[int] | None = None) -> dict:
    errs = _Errors("R-10")
    items_in = content.get("items")
    items: list[dict] = []
    if not isinstance(items_in, list):
        errs.add("items", "must be a list")
        items_in = []
    elif len(items_in) > MAX_ITEMS:
        errs.add("items", f"has more than {MAX_ITEMS} rows")
        items_in = []
    if only is not None:
        items = list(items_in)
    for i in (range(len(items_in)) if only is None else sorted(i for i in only if i < len(items_in))):
        raw = items_in[i]
        path = f"items.{i}"
        if not isinstance(raw, Mapping):
            errs.add(path, "must be an object")
            continue
        item = validate_item(errs, raw, path, year)
        if only is None:
            items.append(item)
        else:
            items[i] = item
    benefit = _int(errs, content.get("economic_benefit_fen", 0), "economic_benefit_fen", low=0, high=MAX_FEN)
    narrative = _text(errs, content, "narrative", "narrative", required=False, limit=MAX_NARRATIVE)
    errs.raise_if_any("the report has fields that break R-10")
    return {"items": items, "economic_benefit_fen": benefit or 0, "narrative": narrative}


def _plain_item(raw: Mapping, year: int) -> dict | None:
    """The normalised item when every field is already right (the common case), else None."""
    return plain_item(raw.get("output"), raw.get("heading"), raw.get("title"), raw.get("quantity", 1),
                      raw.get("date"), raw.get("person") or "", raw.get("note") or "", raw.get("skill_level") or None,
                      year)


_LEVELS = frozenset(SKILL_LEVELS)


def plain_item(output: Any, heading: Any, title: Any, quantity: Any, day: Any, person: Any, note: Any,
               level: Any, year: int) -> dict | None:
    """The normalised item of these field values when every one is already right, else None
    (then ``validate_item`` says what is wrong). ``day``: a ``date``, an ISO date, or None / "";
    ``level``: None when not given. The one check of an item's rules on the fast path:
    ``validate_item`` uses it, and so does the workbook reader for each detail row (through
    ``item_checker(year)``, the same check compiled for one year)."""
    return item_checker(year)(output, heading, title, quantity, day, person, note, level)


@functools.lru_cache(maxsize=16)
def item_checker(year: int) -> Callable[..., dict | None]:
    """``plain_item`` for one ``year``: ``check(output, heading, title, quantity, day, person, note,
    level)``. The workbook reader calls it for each of up to 20,000 detail rows as they stream, so
    it is spelled out for speed: ``_clean`` in line, the names it uses bound in its closure, and the
    year's days (a ``date`` to its ISO text) in a dict, so one lookup tells a day of the year and
    gives its text."""
    days: dict[_dt.date, str] = {}
    if 1 <= year <= 9999:        # else no date is of the year, as ``day.year != year`` says
        first = _dt.date(year, 1, 1).toordinal()
        for ordinal in range(first, first + (366 if calendar.isleap(year) else 365)):
            day = _dt.date.fromordinal(ordinal)
            days[day] = day.isoformat()

    _heading_of, _str, _int, _date, _type, _len = HEADING_OF.get, str, int, _dt.date, type, len
    _day_text, _from_iso, _levels, _max_text, _max_quantity = (days.get, _dt.date.fromisoformat, _LEVELS, MAX_TEXT,
                                                                MAX_QUANTITY)

    def check(output: Any, heading: Any, title: Any, quantity: Any, day: Any, person: Any, note: Any,
              level: Any) -> dict | None:
        heading_of = _heading_of(output) if _type(output) is _str else None
        if heading_of is None or (heading is not None and heading != "" and heading != heading_of):
            return None
        if _type(title) is not _str or _type(person) is not _str or _type(note) is not _str \
                or _type(quantity) is not _int:
            return None
        text = title.strip()
        title = title if text is not title and title[0] in "\t\r" else text
        if person:
            text = person.strip()
            person = person if text is not person and person[0] in "\t\r" else text
        if note:
            text = note.strip()
            note = note if text is not note and note[0] in "\t\r" else text
        if not title or _len(title) > _max_text or _len(person) > 200 or _len(note) > _max_text \
                or not 1 <= quantity <= _max_quantity:
            return None
        if level is None:
            if output == "promotions":
                return None
        elif _type(level) is not _str or level not in _levels:
            return None
        if _type(day) is _date:
            day = _day_text(day)     # None: not a day of the year
            if day is None:
                return None
        elif day is None or day == "":
            day = None
        elif _type(day) is not _str or _len(day) != 10:
            return None
        else:
            try:
                if _from_iso(day).year != year:
                    return None
            except ValueError:
                return None
        return {"heading": heading_of, "output": output, "title": title, "quantity": quantity, "date": day,
                "person": person, "skill_level": level, "note": note}

    return check


def validate_item(errs: _Errors, raw: Mapping, path: str, year: int) -> dict:
    plain = _plain_item(raw, year)
    if plain is not None:
        return plain
    output = raw.get("output")
    heading = raw.get("heading")
    if output not in OUTPUT_NAMES:
        errs.add(f"{path}.output", f"must be one of {', '.join(OUTPUTS)}")
        output = None
    elif heading not in (None, "") and heading != HEADING_OF[output]:
        errs.add(f"{path}.heading", f"{output} belongs under {HEADING_OF[output]}")
    quantity = _int(errs, raw.get("quantity", 1), f"{path}.quantity", low=1, high=MAX_QUANTITY)
    skill_level = raw.get("skill_level") or None
    if skill_level is not None and skill_level not in SKILL_LEVELS:
        errs.add(f"{path}.skill_level", f"must be one of {'、'.join(SKILL_LEVELS)}")
        skill_level = None
    if output == "promotions" and skill_level is None and f"{path}.skill_level" not in errs.errors:
        errs.add(f"{path}.skill_level", "a promotion names the skill level reached")
    return {
        "heading": HEADING_OF.get(output) if output else None,
        "output": output,
        "title": _text(errs, raw, "title", f"{path}.title", required=True, limit=MAX_TEXT),
        "quantity": quantity or 1,
        "date": _date(errs, raw.get("date"), f"{path}.date", required=False, years=(year, year)),
        "person": _text(errs, raw, "person", f"{path}.person", required=False, limit=200),
        "skill_level": skill_level,
        "note": _text(errs, raw, "note", f"{path}.note", required=False),
    }


def _validate_agreement(year: int, content: Mapping) -> dict:
    errs = _Errors("R-11")
    support_in = content.get("support")
    if not isinstance(support_in, Mapping):
        errs.add("support", "must be an object")
        support_in = {}
    premises = support_in.get("premises_m2")
    if isinstance(premises, bool) or not isinstance(premises, (int, float)) or not math.isfinite(premises) \
            or not 0 <= premises <= 1_000_000:
        errs.add("support.premises_m2", "must be a number of square metres 0–1,000,000")
        premises = 0
    support = {
        "funding_fen": _int(errs, support_in.get("funding_fen"), "support.funding_fen", low=0, high=MAX_FEN),
        "premises_m2": premises,
        "equipment": _text(errs, support_in, "equipment", "support.equipment", required=True),
        "working_time": _text(errs, support_in, "working_time", "support.working_time", required=True),
    }
    duties_in = content.get("duties")
    duties: list[str] = []
    if not isinstance(duties_in, list) or not duties_in:
        errs.add("duties", "list at least one duty of the lead")
    else:
        for i, duty in enumerate(duties_in):
            if not isinstance(duty, str) or not duty.strip():
                errs.add(f"duties.{i}", "must be non-empty text")
            else:
                duties.append(duty.strip()[:MAX_TEXT])
    tasks_in = content.get("tasks")
    tasks: list[dict] = []
    if not isinstance(tasks_in, list) or not tasks_in:
        errs.add("tasks", "list at least one task with a measurable target")
    elif len(tasks_in) > MAX_TASKS:
        errs.add("tasks", f"has more than {MAX_TASKS} tasks")
    else:
        for i, raw in enumerate(tasks_in):
            path = f"tasks.{i}"
            if not isinstance(raw, Mapping):
                errs.add(path, "must be an object")
                continue
            output = raw.get("output")
            if output not in OUTPUT_NAMES:
                errs.add(f"{path}.output", f"must be one of {', '.join(OUTPUTS)} (the target's measure)")
            tasks.append({
                "title": _text(errs, raw, "title", f"{path}.title", required=True),
                "output": output if output in OUTPUT_NAMES else None,
                "target": _int(errs, raw.get("target"), f"{path}.target", low=1, high=MAX_QUANTITY),
                "note": _text(errs, raw, "note", f"{path}.note", required=False),
            })
    signatories_in = content.get("signatories")
    if not isinstance(signatories_in, Mapping):
        errs.add("signatories", "must name the unit's and the lead's signatory")
        signatories_in = {}
    agreement = {
        "support": support,
        "duties": duties,
        "tasks": tasks,
        "expected_outputs": _text(errs, content, "expected_outputs", "expected_outputs", required=False,
                                  limit=MAX_NARRATIVE),
        "signed_on": _date(errs, content.get("signed_on"), "signed_on", required=True, years=(year - 1, year)),
        "signatories": {
            "unit": _text(errs, signatories_in, "unit", "signatories.unit", required=True, limit=200),
            "lead": _text(errs, signatories_in, "lead", "signatories.lead", required=True, limit=200),
        },
    }
    errs.raise_if_any("the agreement has fields that break R-11")
    return agreement


def outputs_of(content: Mapping | None) -> dict[str, int]:
    """The count of each output kind in a plan's or results' items (zeros included)."""
    totals = dict.fromkeys(OUTPUTS, 0)
    for item in (content or {}).get("items", ()):
        if item.get("output") in totals:
            totals[item["output"]] += int(item.get("quantity") or 0)
    return totals


def by_heading(outputs: Mapping[str, int]) -> dict[str, dict[str, int]]:
    """The outputs grouped under R-10's four headings."""
    return {h: {o: outputs.get(o, 0) for o in outs} for h, (_, outs) in HEADINGS.items()}
