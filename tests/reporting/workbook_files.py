"""Helpers for the reporting workbook tests: fill a template as a clerk would, rewrite zip parts."""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl

STUDIO = {"studio_id": "ST-2026-001", "name": "张建国技能大师工作室", "unit_name": "北京东城精工制造有限公司"}


def save(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def fill_results(template: bytes, *, rows: int = 2, year: int = 2026) -> bytes:
    """What a clerk does: open the downloaded template, type values, save."""
    wb = openpyxl.load_workbook(io.BytesIO(template))
    info = wb["基本信息"]
    info["B8"] = 123456.78                          # 经济效益（元）
    info["B9"] = "=全年完成既定目标，带徒12人"     # narrative typed as text, starts with =
    info["B9"].data_type = "s"
    detail = wb["明细"]
    detail.append(["技能研发", "专利", "一种数控夹具（实用新型）", 2, dt.date(year, 5, 3), "张建国", None, "@已授权"])
    detail.append(["师带徒", "徒弟技能等级晋升", "李明晋升技师", 1, dt.date(year, 6, 1), "李明", "技师", None])
    for i in range(rows - 2):
        detail.append(["社会效益", "技能培训", f"培训班第{i + 1}期", 30, dt.date(year, 7, 1), None, None, "-"])
    return save(wb)


def rewrite(content: bytes, changes: dict[str, bytes | None], extra: dict[str, bytes] | None = None,
            compression=zipfile.ZIP_DEFLATED) -> bytes:
    """The same zip with some parts replaced (None removes a part) and others added."""
    src = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as dst:
        for info in src.infolist():
            if info.filename in changes:
                if changes[info.filename] is not None:
                    dst.writestr(info.filename, changes[info.filename])
            else:
                dst.writestr(info.filename, src.read(info.filename))
        for name, data in (extra or {}).items():
            dst.writestr(name, data)
    return out.getvalue()


def part(content: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(content)).read(name)


def sheet_part(content: bytes, title: str) -> str:
    wb = openpyxl.load_workbook(io.BytesIO(content))
    index = wb.sheetnames.index(title) + 1
    return f"xl/worksheets/sheet{index}.xml"


_INLINE = re.compile(r'<c ([^>]*?)t="inlineStr"([^>]*)><is><t(?: [^>]*)?>(.*?)</t></is></c>', re.S)


def as_excel_saves(content: bytes) -> bytes:
    """The same workbook with its text in a shared-strings table, as Excel saves it (openpyxl
    writes each text in its cell, ``inlineStr``)."""
    strings: dict[str, int] = {}

    def shared(match: re.Match) -> str:
        index = strings.setdefault(match.group(3), len(strings))
        return f'<c {match.group(1)}t="s"{match.group(2)}><v>{index}</v></c>'

    src = zipfile.ZipFile(io.BytesIO(content))
    changes: dict[str, bytes | None] = {}
    for name in src.namelist():
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            changes[name] = _INLINE.sub(shared, src.read(name).decode()).encode()
    table = "".join(f'<si><t xml:space="preserve">{text}</t></si>' for text in strings)
    sst = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
           f'count="{len(strings)}" uniqueCount="{len(strings)}">{table}</sst>')
    types = src.read("[Content_Types].xml").decode().replace("</Types>", (
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'))
    rels = src.read("xl/_rels/workbook.xml.rels").decode().replace("</Relationships>", (
        '<Relationship Id="rIdShared" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'))
    changes.update({"[Content_Types].xml": types.encode(), "xl/_rels/workbook.xml.rels": rels.encode()})
    return rewrite(content, changes, {"xl/sharedStrings.xml": sst.encode()})
