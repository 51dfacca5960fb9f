"""Results against the plan and the agreement's targets (R-10, R-11): met / not met per target.

One line per target: each task of the agreement (its output kind and target count) and each
output kind the plan puts a number on. ``actual`` is the results' count of that output kind;
``met`` is ``actual >= target``, or None while there are no results yet.
"""
from __future__ import annotations

from typing import Mapping

from .records import OUTPUT_NAMES, outputs_of


def compare(*, results: Mapping | None, plan: Mapping | None, agreement: Mapping | None) -> list[dict]:
    actual = outputs_of(results) if results is not None else None
    lines: list[dict] = []
    for i, task in enumerate((agreement or {}).get("tasks", ())):
        lines.append(_line("agreement", f"tasks.{i}", task["title"], task["output"], task["target"], actual))
    if plan is not None:
        for output, planned in outputs_of(plan).items():
            if planned > 0:
                lines.append(_line("plan", output, OUTPUT_NAMES[output], output, planned, actual))
    return lines


def _line(source: str, ref: str, title: str, output: str, target: int, actual: Mapping | None) -> dict:
    done = None if actual is None else actual.get(output, 0)
    return {"source": source, "ref": ref, "title": title, "output": output, "output_name": OUTPUT_NAMES[output],
            "target": target, "actual": done, "met": None if done is None else done >= target}


def tally(lines: list[dict]) -> tuple[int, int]:
    """(targets_total, targets_met)."""
    return len(lines), sum(1 for line in lines if line["met"])
