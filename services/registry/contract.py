"""The registry's published contract: the vocabularies of the measures, state names and
identifier formats. Plain Python (no I/O, no framework).

The domain (``domain/``) and the published schemas (``schemas.py``) both import from here, so
the gateway, which imports the schemas, loads no domain code. What lives here:

- the fixed vocabularies of the measures (京人社能发〔2023〕3号): skill levels (R-1), priority
  honours (R-3), the unit's conditions (R-4), existing district/group-level studios (R-5),
  material kinds (R-8), review stages (R-9), revocation grounds (R-20), change kinds (R-19),
  and the limits (R-7 at most 10 designations a year);
- tenant kinds; the states of applications, change requests and revocation requests (the
  transition tables are ``domain/workflow.py``);
- the formats of the unified social credit code (GB 32100-2015) and of the resident identity
  card number (GB 11643-1999), which the input schemas check.
"""
from __future__ import annotations

import datetime as _dt

MEASURES_VERSION = "京人社能发〔2023〕3号"
"""The measures that govern studios designated here (in force 2023-03-17 … 2030-12-31)."""

# national vocational qualification / skill levels, low to high.
SKILL_LEVELS = ("学徒工", "初级工", "中级工", "高级工", "技师", "高级技师", "特级技师", "首席技师")
QUALIFYING_LEVEL = "技师"
QUALIFYING_LEVELS = SKILL_LEVELS[SKILL_LEVELS.index(QUALIFYING_LEVEL):]

# team members may be skilled workers or professional technical staff (专业技术人才).
PROFESSIONAL_TITLES = ("初级职称", "中级职称", "副高级职称", "正高级职称")
TEAM_LEVELS = SKILL_LEVELS + PROFESSIONAL_TITLES
MIN_TEAM = 3  # formal employees besides the lead

# priority sources (used to rank, never to exclude). code -> Chinese name.
HONOURS = {
    "china_skill_award": "中华技能大奖",
    "national_technical_expert": "全国技术能手",
    "state_council_allowance": "享受国务院政府特殊津贴",
    "beijing_outstanding_contribution": "北京市有突出贡献的高技能人才",
    "beijing_technician_allowance": "享受北京市政府技师特殊津贴",
    "worldskills_expert_coach": "世界技能大赛专家组长、教练组长、主教练",
    "intangible_heritage_inheritor": "非物质文化遗产传承人",
    "time_honoured_brand_craftsman": "老字号工匠",
}
HONOUR_BY_NAME = {name: code for code, name in HONOURS.items()}

# an existing studio recognised by the district bureau or by a municipal bureau / group.
EXISTING_LEVELS = {"district": "区级技能大师工作室", "group": "行业（集团）级技能大师工作室"}

EMPLOYMENT_STATUSES = {
    "employed": "在职在聘",
    "rehired": "退休返聘",
    "retired": "已退休",
    "left": "已离职",
}
ELIGIBLE_EMPLOYMENT = ("employed",)

GENDERS = {"M": "男", "F": "女"}

# what an application's materials are. The tenant's signed opinion is its own kind.
MATERIAL_KINDS = {
    "application_form": "申报表（附件1）",
    "certificate": "职业资格或技能等级证书",
    "award": "获奖证书",
    "patent": "专利或主要创新发明材料",
    "rules": "工作室配套制度",
    "premises": "场所、设备情况说明或照片",
    "other": "其他材料",
    "tenant_opinion": "主管部门签署的审核意见",
}
UNIT_MATERIAL_KINDS = tuple(k for k in MATERIAL_KINDS if k != "tenant_opinion")
REQUIRED_MATERIALS = ("certificate",)  # the lead's certificate must be attached

# the city review's stages, in order.
REVIEW_STAGES = ("material", "site_visit", "expert", "overall")
REVIEW_STAGE_NAMES = {"material": "材料审核", "site_visit": "实地考察", "expert": "专家评审",
                      "overall": "综合评议"}
NOTICE_WORKING_DAYS = 5

#
MAX_DESIGNATIONS_PER_YEAR = 10

# changes on a studio other than the lead (a lead change is an application).
LEAD_CHANGE = "lead_change"
CHANGE_KINDS = {
    LEAD_CHANGE: "更换领办人",
    "rehire": "领办人返聘",
    "delayed_retirement": "领办人延迟退休",
    "unit_rename": "所在单位更名",
    "relocation": "工作地址变更",
}
LEAD_CHANGE_REASONS = {"retirement": "退休", "leaving": "离职", "illness": "重大疾病",
                       "force_majeure": "其他不可抗因素"}

# R-20 (第十八条): grounds for revocation.
REVOCATION_GROUNDS = {
    "inactive_over_one_year": "超过一年以上不开展工作",
    "not_cooperating": "不配合主管部门日常管理考核",
    "violation": "出现违规违纪情况",
    "failed_after_rectification": "绩效考核不合格，经整改后仍不合格",
    "lead_cannot_continue": "领办人因退休、离职、重大疾病或其他不可抗因素不能继续开展工作",
    "other": "其它原因不能正常开展工作",
}


def nameplate_no(year: int, seq: int) -> str:
    """The nameplate (铭牌) number the city assigns, in sequence per year: 京技能大师〔2026〕第03号."""
    return f"京技能大师〔{year}〕第{seq:02d}号"

CONDITIONS = {  # R-4, 第五条（二）
    "talent_pipeline": "拥有相关职业、岗位技能人才梯队",
    "training_evaluation_incentive": "建立技能人才培养、评价、选拔、使用和激励制度",
    "stable_funding": "能为工作室提供稳定的资金支持",
    "premises_and_equipment": "提供场所、设备等必要工作条件",
    "rules_duties_targets": "有明确的工作室管理制度、工作职责、目标任务",
}

# -- tenants (主管部门) ------------------------------------------------------------------
DISTRICT, ZONE, GROUP = "district", "development_zone", "group"
TENANT_KINDS = (DISTRICT, ZONE, GROUP)

# -- application states ----------------------------------------------------------------
DRAFT = "draft"
SUBMITTED = "submitted"
RETURNED = "returned"
RECOMMENDED = "recommended"
UNDER_REVIEW = "under_review"
SHORTLISTED = "shortlisted"
IN_NOTICE = "in_notice"
OBJECTED = "objected"
DESIGNATED = "designated"
REJECTED = "rejected"

APPLICATION_STATES = (DRAFT, SUBMITTED, RETURNED, RECOMMENDED, UNDER_REVIEW, SHORTLISTED, IN_NOTICE,
                      OBJECTED, DESIGNATED, REJECTED)
OPEN_STATES = (SUBMITTED, RETURNED, RECOMMENDED, UNDER_REVIEW, SHORTLISTED, IN_NOTICE, OBJECTED)
EDITABLE_STATES = (DRAFT, RETURNED)
FINAL_STATES = (DESIGNATED, REJECTED)

# -- change requests other than a lead change; revocation requests (R-20) -------
CR_SUBMITTED, CR_FORWARDED, CR_APPROVED, CR_REJECTED = "submitted", "forwarded", "approved", "rejected"
RV_REQUESTED, RV_APPROVED, RV_REJECTED = "requested", "approved", "rejected"


# -- unified social credit code (统一社会信用代码, GB 32100-2015) ----------------------------
# 18 characters, the last a check character. Alphabet (31 characters, value = index):
# 0-9 A-H J-N P-R T-U W-Y — never I O Z S V. Check: weights 3**i mod 31 for positions 1..17;
# check value = 31 - (sum mod 31), 31 → 0. Only length, alphabet and check character are validated.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_ALLOWED = "0-9 and A-H J-N P-R T-U W-Y (no I, O, Z, S, V)"


def _bad_char(code: str) -> str | None:
    for pos, ch in enumerate(code, start=1):
        if ch not in _VALUE:
            hint = " (upper case only)" if ch.upper() in _VALUE else ""
            return f"bad character {ch!r} at position {pos}{hint}: allowed are {_ALLOWED}"
    return None


def check_digit(first17: str) -> str:
    """The check character (校验码) for the first 17 characters; ValueError if they are malformed."""
    if not isinstance(first17, str):
        raise ValueError(f"expected a string of 17 characters, got {type(first17).__name__}")
    if len(first17) != 17:
        raise ValueError(f"expected 17 characters, got {len(first17)}")
    bad = _bad_char(first17)
    if bad:
        raise ValueError(bad)
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(code: str) -> str | None:
    """None if ``code`` is a valid credit code, else a human-readable reason (no normalisation)."""
    if not isinstance(code, str):
        return f"not a string: {type(code).__name__}"
    if len(code) != 18:
        return f"wrong length: {len(code)} characters, expected 18"
    bad = _bad_char(code)
    if bad:
        return bad
    expected = check_digit(code[:17])
    if code[17] != expected:
        return f"wrong check digit {code[17]!r}, expected {expected!r}"
    return None


# -- resident identity card number (公民身份号码, GB 11643-1999) -----------------------------
# 18 characters, the last a check character; positions 7–14 are the birth date and position 17
# is odd for men, even for women: the application's birth month and gender must agree with them.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def check_character(first17: str) -> str:
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("expected 17 digits")
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


def validate_id_number(value: str) -> str | None:
    """None if ``value`` is a well-formed 18-character number, else the reason."""
    if not isinstance(value, str) or len(value) != 18:
        return "must have 18 characters"
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return "17 digits followed by a digit or X (upper case)"
    try:
        _dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "positions 7–14 are not a valid birth date"
    if value[17] != check_character(value[:17]):
        return f"wrong check character {value[17]!r}, expected {check_character(value[:17])!r}"
    return None


def birth_month(value: str) -> str:
    """'YYYY-MM' from a valid number."""
    return f"{value[6:10]}-{value[10:12]}"


def gender(value: str) -> str:
    return "M" if int(value[16]) % 2 else "F"
