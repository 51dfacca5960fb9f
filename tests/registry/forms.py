"""Test data for the studio life cycle: valid identity numbers, application forms, tiny files."""
from __future__ import annotations

import copy
import datetime as dt
import io
import itertools

from openpyxl import load_workbook

from services.registry.domain import excel
from services.registry.contract import check_character

_SEQ = itertools.count(10)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
FORGED_PDF = b"<html><body>not really a PDF</body></html>"


def id_number(birth: str = "1975-03-15", gender: str = "M", area: str = "110101") -> str:
    """A valid 18-character number for the birth date (YYYY-MM-DD) and gender, unique per call."""
    seq = next(_SEQ) % 1000
    gender_digit = (seq % 5) * 2 + (1 if gender == "M" else 0)
    first17 = f"{area}{birth.replace('-', '')}{seq // 10:02d}{gender_digit}"
    return first17 + check_character(first17)


def master(birth: str = "1975-03-15", gender: str = "M", **overrides) -> dict:
    data = {
        "name": "张师傅", "gender": gender, "birth_month": birth[:7],
        "original_retirement_age": 55 if gender == "F" else None,
        "id_number": id_number(birth, gender), "occupation": "数控车工", "skill_level": "高级技师",
        "certificate_no": "ZS-2015-000123", "certificate_date": "2015-06-30",
        "honours": ["national_technical_expert"], "other_honours": ["北京市劳动模范"],
        "front_line": True, "front_line_years": 25, "employment_status": "employed",
        "post": "车间主任", "phone": "010-12345678",
    }
    data.update(overrides)
    return data


def team(n: int = 3, formal: bool = True) -> list[dict]:
    return [{"name": f"队员{i + 1}", "role": "技术骨干", "skill_level": "技师", "formal_employee": formal,
             "occupation": "数控车工"} for i in range(n)]


CONDITIONS = {"talent_pipeline": True, "training_evaluation_incentive": True, "stable_funding": True,
              "premises_and_equipment": True, "rules_duties_targets": True, "description": "车间二层 120 平方米"}


def application(**overrides) -> dict:
    data = {"master": master(), "branch_id": None, "studio_name": None,
            "studio_address": "北京市东城区和平里东街1号2号楼", "team": team(),
            "conditions": copy.deepcopy(CONDITIONS), "existing_studio": None}
    data.update(overrides)
    return data


def fill_template(form: dict, created: dt.datetime | None = None) -> bytes:
    """The template filled in as a unit would (Chinese answers, drop-down values)."""
    wb = load_workbook(io.BytesIO(excel.build_template()))
    if created:
        wb.properties.created = created
    ws = wb[excel.FORM]
    labels = {excel._text(ws.cell(r, 1).value).removesuffix("（选填）"): r for r in range(1, ws.max_row + 1)}
    m = form["master"]
    values = {"领办人姓名": m["name"], "性别": "男" if m["gender"] == "M" else "女", "出生年月": m["birth_month"],
              "公民身份号码": m["id_number"], "职业（工种）": m["occupation"], "职业资格/技能等级": m["skill_level"],
              "证书编号": m["certificate_no"], "发证日期": m["certificate_date"], "是否长期在生产服务一线岗位工作": "是",
              "一线工作年限（年）": m["front_line_years"], "在职状态": "在职在聘", "荣誉：全国技术能手": "是",
              "其他荣誉": "北京市劳动模范；首都劳动奖章", "工作地址": form["studio_address"],
              "已认定的区（行业）级工作室级别": "区级", "已认定工作室名称": "东城区张师傅工作室"}
    for label, text in excel.CONDITIONS.items():
        values[f"单位条件：{text}"] = "是"
    for label, value in values.items():
        ws.cell(labels[label], 2, value)
    team = wb[excel.TEAM]
    for i, member in enumerate(form["team"], start=2):
        for col, value in enumerate((member["name"], member["role"], member["skill_level"], "是", ""), start=1):
            team.cell(i, col, value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
