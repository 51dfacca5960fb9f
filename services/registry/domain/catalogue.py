"""The fixed vocabularies of the measures (京人社能发〔2023〕3号) as the registry uses them.

Plain data: skill levels (R-1), priority honours (R-3), existing district/group-level
studios (R-5), material kinds (R-8), revocation grounds (R-20), change kinds (R-19).
"""
from __future__ import annotations

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
