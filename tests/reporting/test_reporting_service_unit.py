"""reporting's entry points in-process (tests/support/harness.py: worker_factory, embedded store,
recording outbox), no broker: the chunked workbook upload, dry run, the error workbook, the
pre-filled template, the events a submission and a return record (R-10, R-11)."""
from __future__ import annotations

import base64
import datetime as dt
import io

import openpyxl
import pytest

from services.reporting.domain.workbooks import WorkbookInvalid
from services.reporting.domain.xlsx_guard import UploadLimits
from services.reporting.service import ReportingService
from services.reporting.storage import INDEXES, SCOPES
from shared.clock import Today
from shared.errors import NotFound
from shared.principal import TENANT, UNIT, Principal
from shared.uploads import send_upload
from tests.support.harness import ServiceHarness

from .workbook_files import fill_results, save

UNIT_A = Principal("demo-unit-a", UNIT, "dongcheng", "unit-dc")
DONGCHENG = Principal("demo-dongcheng", TENANT, "dongcheng")


@pytest.fixture
def harness():
    h = ServiceHarness(ReportingService, INDEXES, SCOPES, upload_bounds=UploadLimits())
    h.db["studios"].insert_one({"_id": "S1", "tenant_id": "dongcheng", "unit_id": "unit-dc", "name": "张三工作室",
                                "unit_name": "精工", "status": "active", "designated_on": "2025-06-01"})
    return h


def worker(h, who, day=dt.date(2026, 11, 20)):
    return h.worker(who, clock=Today(day))


def file_of(answer) -> bytes:
    return base64.b64decode(answer["content_b64"])


def test_r10_upload_in_chunks_dry_run_then_stored_then_submitted_with_its_event(harness):
    unit = worker(harness, UNIT_A)
    template = file_of(unit.template("annual-report", studio_id="S1", year="2026", kind="results"))
    content = fill_results(template)
    upload_id = send_upload(unit, content, kind="report_workbook", filename="总结.xlsx")
    dry = unit.import_workbook("S1", "2026", "annual-report", upload_id, dry_run=True)
    assert dry["dry_run"] and dry["report"] is None and dry["rows"] == 2
    assert harness.db["reports"].count_documents({}) == 0
    stored = unit.import_workbook("S1", 2026, "annual-report", send_upload(unit, content, kind="report_workbook"))
    assert stored["report"]["state"] == "draft" and stored["report"]["draft"]["economic_benefit_fen"] == 12_345_678
    submitted = unit.submit_report("S1", 2026, "results", "k-1")
    assert submitted["created"] and submitted["report"]["timeliness"] == "on_time"
    back = worker(harness, DONGCHENG).return_report("S1", 2026, "results", {"reasons": ["缺少佐证"]})
    assert back["state"] == "returned"
    assert [e["type"] for e in harness.outbox.events] == ["report.submitted", "report.returned"]
    assert harness.outbox.events[1]["data"]["reasons"] == ["缺少佐证"]
    download = openpyxl.load_workbook(io.BytesIO(file_of(unit.report_workbook("S1", 2026, "results"))))
    assert download["明细"]["C2"].value == "一种数控夹具（实用新型）"


def test_r10_a_workbook_with_bad_cells_stores_nothing_and_leaves_an_error_workbook(harness):
    unit = worker(harness, UNIT_A)
    template = file_of(unit.template("annual-report", studio_id="S1", year="2026", kind="results"))
    wb = openpyxl.load_workbook(io.BytesIO(fill_results(template)))
    wb["明细"]["D3"] = "很多"
    wb["基本信息"]["B3"] = "S9"                     # another studio than the route's
    with pytest.raises(WorkbookInvalid) as err:
        unit.import_workbook("S1", 2026, "annual-report", send_upload(unit, save(wb), kind="report_workbook"))
    assert set(err.value.errors) == {"明细!D3", "基本信息!B3"}
    marked = openpyxl.load_workbook(io.BytesIO(file_of(unit.error_workbook(err.value.extra["error_workbook"]))))
    assert {(ws.title, c.coordinate) for ws in marked for r in ws.iter_rows() for c in r if c.comment} == \
        {("明细", "D3"), ("基本信息", "B3")}
    assert harness.db["reports"].count_documents({}) == 0
    with pytest.raises(NotFound):
        worker(harness, Principal("x", TENANT, "haidian")).error_workbook(err.value.extra["error_workbook"])


def test_r11_report_digest_and_due_dates_answer_the_contract(harness):
    system = worker(harness, Principal.system("assessment round"), dt.date(2026, 12, 20))
    assert system.due_dates(2026) == {"plan": "2026-03-31", "results": "2026-12-01"}
    [item] = system.report_digest(2026)
    assert item["plan"] == {"state": "missing", "version": 0, "submitted_at": None, "due_on": "2026-03-31",
                            "timeliness": "missing"}
    assert item["agreement"] is None and item["targets_total"] == 0 and item["outputs"]["patents"] == 0
