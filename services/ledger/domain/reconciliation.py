"""Yearly reconciliation of the dedicated accounts: per studio, per tenant, for the city.

    reconcile(entries, year, *, studio_names=None, tenant_names=None, unit_names=None) -> dict
    reconcile_projections(accounts, year, ...) -> dict # the same, from per-year account buckets
    reconciliation_workbook(report) -> bytes          # .xlsx (openpyxl), Chinese headers
    excel_text(value) -> str                           # formula-injection-safe text cell

The year is the calendar year in Beijing time: entries booked in
``[YYYY-01-01 00:00+08:00, YYYY+1-01-01 00:00+08:00)`` are the year's movements, those
booked earlier make the opening balance, later ones are ignored (so ``entries`` may be every
entry of every studio, or only those booked before the year's end).  Entries may be
``JournalEntry`` objects or their stored documents (read directly, in one pass: 100,000
entries take a fraction of a second).

A studio row (all money int fen; reversals count in the period in which they are booked)::

    {"studio_id", "studio_name", "tenant_id", "tenant_name", "unit_id", "unit_name",
     "entries": <number booked in the year>,
     "opening":     {"city_fen", "matching_fen", "total_fen"},       # cash held on 1 Jan
     "received":    {"city_grant_fen", "city_bonus_fen", "matching_fen", "city_fen", "total_fen"},
     "spent":       {"by_category": {"equipment_facilities", "skill_rnd", "exchange_promotion",
                                     "training"},
                     "by_funding": {"city", "matching"}, "total_fen"},
     "clawed_back": {"total_fen", "returned_fen", "owed_fen"},      # R-20, booked in the year
     "closing":     {"city_fen", "matching_fen", "total_fen"},      # cash held on 31 Dec
     "owed_by_unit_fen": <clawed-back money spent, still owed at year end>,
     "cumulative":  {"city_fen", "matching_fen"},                   # received up to year end
     "matching_ratio_bp": cumulative matching / cumulative city funds, in basis points
                          (rounded down; None without city funds),
     "matching_ratio": "105.00%" | None,
     "balanced": opening + received - spent - returned == closing}

The tenant rows (``tenants``) and the city row (``city``) have the same money fields, summed,
plus ``studios`` (count); their ratio is recomputed from the sums, never averaged.  A studio
belongs to the tenant of its latest entry up to the year's end.  The report::

    {"year", "timezone": "Asia/Shanghai", "period": {"start", "end"} (ISO, end exclusive),
     "studios": [...], "tenants": [...], "city": {...}, "all_balanced": bool}

The workbook has sheets 工作室明细, 主管部门汇总, 全市汇总 and 说明; amounts in yuan (元, two
decimals, written as exact decimals); each sheet's 合计 row is SUM formulas; 期初/收到/支出/期末
合计, 配套比例 and 核对差额 (must be 0) are per-row formulas; 全市汇总 cross-checks itself
against the other two sheets' 合计 rows.  Text cells that start with = + - @ (or a tab /
carriage return) are prefixed with a single quote, so no id or name can become a formula.
Building it is CPU-bound (about a second for 2,000 studios): a nameko service should run it
off the eventlet hub (``eventlet.tpool.execute``).
"""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable, Mapping

from .balances import figures, format_bp, ratio_bp
from .errors import LedgerIntegrityError, LedgerValidationError
from .journal import CATEGORIES, CATEGORY_LABELS, SHANGHAI, UTC, JournalEntry
from shared.files import excel_text

TIMEZONE = "Asia/Shanghai"


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """[start, end) of a calendar year in Beijing time (aware datetimes)."""
    if type(year) is not int or not 1900 <= year <= 9998:
        raise LedgerValidationError("year must be an integer like 2024", field="year")
    return datetime(year, 1, 1, tzinfo=SHANGHAI), datetime(year + 1, 1, 1, tzinfo=SHANGHAI)


# --------------------------------------------------------------------------- computation

def _add_into(acc: dict, postings: Iterable) -> int:
    total = 0
    for acct, amt in postings:
        acc[acct] = acc.get(acct, 0) + amt
        total += amt
    return total


def _studio_row(sid, acc, names) -> dict:
    before, during, _, tenant_id, unit_id, n = acc
    closing_bal = dict(before)
    for k, v in during.items():
        closing_bal[k] = closing_bal.get(k, 0) + v
    o, m, c = figures(before), figures(during), figures(closing_bal)
    row = {
        "studio_id": sid, "studio_name": names[0].get(sid, ""),
        "tenant_id": tenant_id, "tenant_name": names[1].get(tenant_id, ""),
        "unit_id": unit_id, "unit_name": names[2].get(unit_id, ""),
        "entries": n,
        "opening": o["unspent"],
        "received": m["received"],
        "spent": m["spent"],
        "clawed_back": m["clawed_back"],
        "closing": c["unspent"],
        "owed_by_unit_fen": c["owed_by_unit_fen"],
        "cumulative": {"city_fen": c["received"]["city_fen"], "matching_fen": c["received"]["matching_fen"]},
    }
    return _finish(row)


def _finish(row: dict) -> dict:
    bp = ratio_bp(row["cumulative"]["matching_fen"], row["cumulative"]["city_fen"])
    row["matching_ratio_bp"] = bp
    row["matching_ratio"] = format_bp(bp)
    row["balanced"] = (row["opening"]["total_fen"] + row["received"]["total_fen"] - row["spent"]["total_fen"]
                       - row["clawed_back"]["returned_fen"] == row["closing"]["total_fen"])
    return row


_SUMMED = ("opening", "received", "spent", "clawed_back", "closing", "cumulative")


def _sum_nested(a: dict, b: Mapping) -> None:
    for k, v in b.items():
        if isinstance(v, Mapping):
            _sum_nested(a.setdefault(k, {}), v)
        else:
            a[k] = a.get(k, 0) + v


def _rollup(rows: list[dict], **ident) -> dict:
    out: dict = {**ident, "studios": len(rows), "entries": 0, "owed_by_unit_fen": 0}
    for k in _SUMMED:
        out[k] = {}
    for r in rows:
        out["entries"] += r["entries"]
        out["owed_by_unit_fen"] += r["owed_by_unit_fen"]
        for k in _SUMMED:
            _sum_nested(out[k], r[k])
    if not rows:  # an empty city still has every field
        z = _studio_row("", ({}, {}, 0, "", "", 0), ({}, {}, {}))
        for k in _SUMMED:
            out[k] = z[k]
    return _finish(out)


def reconcile(entries: Iterable["JournalEntry | Mapping[str, Any]"], year: int, *,
              studio_names: Mapping[str, str] | None = None,
              tenant_names: Mapping[str, str] | None = None,
              unit_names: Mapping[str, str] | None = None) -> dict:
    start, end = year_bounds(year)
    start_naive = start.astimezone(UTC).replace(tzinfo=None)   # for naive-UTC BSON datetimes
    end_naive = end.astimezone(UTC).replace(tzinfo=None)
    per: dict[str, list] = {}
    for e in entries:
        if isinstance(e, JournalEntry):
            sid, t, seq, tid, uid = e.studio_id, e.booked_at, e.seq, e.tenant_id, e.unit_id
            postings = [(p.account, p.amount_fen) for p in e.postings]
        else:
            sid, t, seq, tid, uid = e["studio_id"], e["booked_at"], e["seq"], e["tenant_id"], e["unit_id"]
            if isinstance(t, str):
                t = datetime.fromisoformat(t.replace("Z", "+00:00"))
            postings = [(p["account"], p["amount_fen"]) for p in e["postings"]]
        naive = t.tzinfo is None
        if t >= (end_naive if naive else end):
            continue
        acc = per.get(sid)
        if acc is None:
            acc = per[sid] = [{}, {}, 0, tid, uid, 0]
        in_year = t >= (start_naive if naive else start)
        if _add_into(acc[1] if in_year else acc[0], postings) != 0:
            raise LedgerIntegrityError(f"an entry of studio {sid} (seq {seq}) does not balance")
        if in_year:
            acc[5] += 1
        if seq > acc[2]:
            acc[2], acc[3], acc[4] = seq, tid, uid
    return _report(per, year, studio_names, tenant_names, unit_names)


def reconcile_projections(accounts: Iterable[Mapping[str, Any]], year: int, *,
                          studio_names: Mapping[str, str] | None = None,
                          tenant_names: Mapping[str, str] | None = None,
                          unit_names: Mapping[str, str] | None = None,
                          city_name: str = "全市") -> dict:
    """The same report as ``reconcile``, from the accounts' per-year movement buckets
    (``projection.years``: Beijing calendar year -> {balances, entries, tenant_id, unit_id,
    last_seq}) instead of from every entry.  The service stores those buckets in its account
    projection (checked against the entries by ``projection.differences``); for the same
    entries both functions give the same report."""
    year_bounds(year)
    per: dict[str, list] = {}
    for a in accounts:
        before: dict = {}
        during: dict = {}
        last_year, last = None, None
        n = 0
        for y_text, bucket in (a.get("years") or {}).items():
            y = int(y_text)
            if y > year:
                continue
            if _add_into(during if y == year else before, bucket["balances"].items()) != 0:
                raise LedgerIntegrityError(f"the {y} movements of studio {a['studio_id']} do not balance")
            if y == year:
                n = bucket["entries"]
            if last_year is None or y > last_year:
                last_year, last = y, bucket
        if last is None:
            continue
        per[a["studio_id"]] = [before, during, last["last_seq"], last["tenant_id"], last["unit_id"], n]
    return _report(per, year, studio_names, tenant_names, unit_names, city_name)


def _report(per: Mapping[str, list], year: int, studio_names, tenant_names, unit_names,
            city_name: str = "全市") -> dict:
    start, end = year_bounds(year)
    names = (dict(studio_names or {}), dict(tenant_names or {}), dict(unit_names or {}))
    studios = [_studio_row(sid, acc, names) for sid, acc in per.items()]
    studios.sort(key=lambda r: (r["tenant_id"], r["unit_id"], r["studio_id"]))
    by_tenant: dict[str, list] = {}
    for r in studios:
        by_tenant.setdefault(r["tenant_id"], []).append(r)
    tenants = [_rollup(rows, tenant_id=tid, tenant_name=names[1].get(tid, ""))
               for tid, rows in sorted(by_tenant.items())]
    city = _rollup(studios, name=city_name)
    return {
        "year": year, "timezone": TIMEZONE,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "studios": studios, "tenants": tenants, "city": city,
        "all_balanced": all(r["balanced"] for r in studios),
    }


# --------------------------------------------------------------------------- workbook



def _yuan(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


# (header, getter) for value columns, or (header, ("formula", template)) for per-row formulas.
# Templates use {col_key} placeholders resolved to column letters and {r} for the row.
def _money_columns():
    cols = [
        ("open_city", "期初余额·市级资金", lambda r: r["opening"]["city_fen"]),
        ("open_matching", "期初余额·配套资金", lambda r: r["opening"]["matching_fen"]),
        ("open_total", "期初余额合计", "={open_city}{r}+{open_matching}{r}"),
        ("rcv_grant", "本年收到·市级首次资助", lambda r: r["received"]["city_grant_fen"]),
        ("rcv_bonus", "本年收到·市级追加资助", lambda r: r["received"]["city_bonus_fen"]),
        ("rcv_matching", "本年收到·单位配套资金", lambda r: r["received"]["matching_fen"]),
        ("rcv_total", "本年收到合计", "=SUM({rcv_grant}{r}:{rcv_matching}{r})"),
    ]
    for i, c in enumerate(CATEGORIES):
        cols.append((f"sp_{i}", f"本年支出·{CATEGORY_LABELS[c]}",
                     (lambda cat: lambda r: r["spent"]["by_category"][cat])(c)))
    cols += [
        ("sp_total", "本年支出合计", "=SUM({sp_0}{r}:{sp_%d}{r})" % (len(CATEGORIES) - 1)),
        ("sp_city", "其中：市级资金支出", lambda r: r["spent"]["by_funding"]["city"]),
        ("sp_matching", "其中：配套资金支出", lambda r: r["spent"]["by_funding"]["matching"]),
        ("cb_total", "本年追回市级资金", lambda r: r["clawed_back"]["total_fen"]),
        ("cb_returned", "其中：退回未用资金", lambda r: r["clawed_back"]["returned_fen"]),
        ("cb_owed", "其中：已支出、单位应补缴", lambda r: r["clawed_back"]["owed_fen"]),
        ("close_city", "期末余额·市级资金", lambda r: r["closing"]["city_fen"]),
        ("close_matching", "期末余额·配套资金", lambda r: r["closing"]["matching_fen"]),
        ("close_total", "期末余额合计", "={close_city}{r}+{close_matching}{r}"),
        ("owed", "期末单位应补缴余额", lambda r: r["owed_by_unit_fen"]),
        ("cum_city", "累计市级资金", lambda r: r["cumulative"]["city_fen"]),
        ("cum_matching", "累计配套资金", lambda r: r["cumulative"]["matching_fen"]),
        ("ratio", "配套比例（累计配套÷累计市级）", '=IF({cum_city}{r}=0,"",{cum_matching}{r}/{cum_city}{r})'),
        ("check", "核对差额（应为0）",
         "={open_total}{r}+{rcv_total}{r}-{sp_total}{r}-{cb_returned}{r}-{close_total}{r}"),
    ]
    return cols


MONEY_COLUMNS = _money_columns()
STUDIO_ID_HEADERS = ("主管部门编号", "主管部门名称", "所在单位编号", "所在单位名称", "工作室编号", "工作室名称")
TENANT_ID_HEADERS = ("主管部门编号", "主管部门名称", "工作室数")
CITY_ID_HEADERS = ("范围", "工作室数")
SHEET_STUDIOS, SHEET_TENANTS, SHEET_CITY, SHEET_NOTES = "工作室明细", "主管部门汇总", "全市汇总", "说明"
MONEY_FORMAT = "#,##0.00"
RATIO_FORMAT = "0.00%"
HEADER_ROW = 2
FIRST_DATA_ROW = 3


def _write_table(ws, title: str, id_headers, id_rows: list[list], rows: list[dict], *,
                 total_label: str = "合计", totals: bool = True) -> dict:
    """Writes title, header, rows and a SUM totals row; returns {col_key: letter, '_total_row': n}."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    n_id = len(id_headers)
    letters = {key: get_column_letter(n_id + 1 + i) for i, (key, _, _) in enumerate(MONEY_COLUMNS)}
    last_col = n_id + len(MONEY_COLUMNS)
    ws.cell(row=1, column=1, value=excel_text(title)).font = Font(bold=True, size=13)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for i, h in enumerate(list(id_headers) + [h for _, h, _ in MONEY_COLUMNS], start=1):
        c = ws.cell(row=HEADER_ROW, column=i, value=h)
        c.font, c.fill = bold, fill
        c.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    ws.row_dimensions[HEADER_ROW].height = 45

    r = FIRST_DATA_ROW
    for ids, row in zip(id_rows, rows):
        for i, v in enumerate(ids, start=1):
            if isinstance(v, int) and not isinstance(v, bool):
                ws.cell(row=r, column=i, value=v)
            else:
                ws.cell(row=r, column=i, value=excel_text(v))
        for key, _, spec in MONEY_COLUMNS:
            col = letters[key]
            if callable(spec):
                cell = ws[f"{col}{r}"]
                cell.value = _yuan(spec(row))
                cell.number_format = MONEY_FORMAT
            else:
                cell = ws[f"{col}{r}"]
                cell.value = spec.format(r=r, **letters)
                cell.number_format = RATIO_FORMAT if key == "ratio" else MONEY_FORMAT
        r += 1
    last_data = r - 1
    total_row = r if totals else None
    if totals:
        ws.cell(row=r, column=1, value=total_label).font = bold
        for key, _, spec in MONEY_COLUMNS:
            col = letters[key]
            cell = ws[f"{col}{r}"]
            if key in ("ratio", "check"):
                cell.value = spec.format(r=r, **letters)
            elif last_data >= FIRST_DATA_ROW:
                cell.value = f"=SUM({col}{FIRST_DATA_ROW}:{col}{last_data})"
            else:
                cell.value = 0
            cell.number_format = RATIO_FORMAT if key == "ratio" else MONEY_FORMAT
            cell.font = bold
    for i in range(1, last_col + 1):
        ws.column_dimensions[get_column_letter(i)].width = 14 if i > n_id else 16
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=n_id + 1)
    return {**letters, "_total_row": total_row, "_last_data": last_data}


def reconciliation_workbook(report: Mapping[str, Any]) -> bytes:
    """The report of ``reconcile`` as an .xlsx file (bytes)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    year = report["year"]
    wb = Workbook()
    ws_s = wb.active
    ws_s.title = SHEET_STUDIOS
    studios = list(report["studios"])
    s_info = _write_table(
        ws_s, f"{year}年度技能大师工作室专门账目对账表——工作室明细（单位：元）", STUDIO_ID_HEADERS,
        [[r["tenant_id"], r["tenant_name"], r["unit_id"], r["unit_name"], r["studio_id"], r["studio_name"]]
         for r in studios], studios)

    ws_t = wb.create_sheet(SHEET_TENANTS)
    tenants = list(report["tenants"])
    t_info = _write_table(
        ws_t, f"{year}年度技能大师工作室专门账目对账表——主管部门汇总（单位：元）", TENANT_ID_HEADERS,
        [[r["tenant_id"], r["tenant_name"], r["studios"]] for r in tenants], tenants)
    # studio counts also get a SUM
    if t_info["_total_row"] and t_info["_last_data"] >= FIRST_DATA_ROW:
        ws_t.cell(row=t_info["_total_row"], column=3,
                  value=f"=SUM(C{FIRST_DATA_ROW}:C{t_info['_last_data']})")

    ws_c = wb.create_sheet(SHEET_CITY)
    city = report["city"]
    c_info = _write_table(
        ws_c, f"{year}年度技能大师工作室专门账目对账表——全市汇总（单位：元）", CITY_ID_HEADERS,
        [[city.get("name") or "全市", city["studios"]]], [city], totals=False)
    # cross-checks against the other sheets' totals rows
    r_city = FIRST_DATA_ROW
    checks = [(f"核对：{SHEET_STUDIOS}合计", SHEET_STUDIOS, s_info), (f"核对：{SHEET_TENANTS}合计", SHEET_TENANTS, t_info)]
    r = r_city + 1
    bold = Font(bold=True)
    for label, sheet, info in checks:
        ws_c.cell(row=r, column=1, value=label)
        ws_c.cell(row=r + 1, column=1, value=f"差额（全市−{sheet}合计，应为0）").font = bold
        for key, _, spec in MONEY_COLUMNS:
            if key == "ratio":
                continue
            col, src = c_info[key], info[key]
            ws_c[f"{col}{r}"] = f"='{sheet}'!{src}{info['_total_row']}"
            ws_c[f"{col}{r}"].number_format = MONEY_FORMAT
            ws_c[f"{col}{r + 1}"] = f"={col}{r_city}-{col}{r}"
            ws_c[f"{col}{r + 1}"].number_format = MONEY_FORMAT
        r += 2

    ws_n = wb.create_sheet(SHEET_NOTES)
    notes = [
        ("年度", str(year)),
        ("期间", f"{report['period']['start']} 至 {report['period']['end']}（不含），北京时间"),
        ("金额单位", "元（保留两位小数；系统内以分为单位记账）"),
        ("期初/期末余额", "专门账目中尚未使用的资金（市级资金、单位配套资金）"),
        ("本年收到", "本年入账的市级首次资助（30万元）、市级追加资助（20万元）和单位配套资金，已扣除冲正"),
        ("本年支出", "按设备设施、技能研发、交流推广、培训四类用途统计，已扣除冲正"),
        ("本年追回市级资金", "撤销称号时追回当期资助周期的市级资金：未使用部分退回，已支出部分记为单位应补缴"),
        ("核对差额", "期初余额合计 + 本年收到合计 − 本年支出合计 − 退回未用资金 − 期末余额合计，应为0"),
        ("配套比例", "截至年末累计单位配套资金 ÷ 累计市级资金（原则上不低于100%）"),
        ("合计行", "各表合计行为求和公式，可直接核对"),
        ("全部平衡", "是" if report.get("all_balanced") else "否"),
    ]
    ws_n.cell(row=1, column=1, value="项目").font = bold
    ws_n.cell(row=1, column=2, value="说明").font = bold
    for i, (k, v) in enumerate(notes, start=2):
        ws_n.cell(row=i, column=1, value=excel_text(k))
        ws_n.cell(row=i, column=2, value=excel_text(v))
    ws_n.column_dimensions["A"].width = 18
    ws_n.column_dimensions["B"].width = 90

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
