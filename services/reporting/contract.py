"""reporting's published constants: the names its records, states and events use.

Plain Python with no imports: the domain, the published schemas and the gateway all read
these, so a name is declared once.
"""
AGREEMENT, PLAN, RESULTS = "agreement", "plan", "results"
KINDS = (AGREEMENT, PLAN, RESULTS)
REPORT_KINDS = (PLAN, RESULTS)          # the kinds of /reports/{year}/{kind}
MIN_YEAR, MAX_YEAR = 2000, 2100         # the years a record may be of (the gateway's typed {year} too)
KIND_NAMES = {AGREEMENT: "目标任务责任书", PLAN: "年度工作计划", RESULTS: "年度工作总结"}

# the four headings of the lead's duties and the outputs counted under each.
HEADINGS = {
    "skill_rd": ("技能研发", ("rd_projects", "problems_solved", "patents", "innovations")),
    "apprenticeship": ("师带徒", ("apprentices", "promotions")),
    "exchange": ("交流活动", ("events", "cooperations")),
    "social_benefit": ("社会效益", ("competitions_judged", "trainings_given", "public_services")),
}
OUTPUT_NAMES = {
    "rd_projects": "技能研发项目", "problems_solved": "解决技术难题", "patents": "专利",
    "innovations": "技术革新", "apprentices": "带徒人数", "promotions": "徒弟技能等级晋升",
    "events": "交流活动", "cooperations": "校企合作", "competitions_judged": "技能竞赛评判",
    "trainings_given": "技能培训", "public_services": "公益服务",
}
OUTPUTS = tuple(OUTPUT_NAMES)
SKILL_LEVELS = ("初级工", "中级工", "高级工", "技师", "高级技师", "特级技师", "首席技师")

DRAFT, SUBMITTED, ACCEPTED, RETURNED, MISSING = "draft", "submitted", "accepted", "returned", "missing"
STATES = (DRAFT, SUBMITTED, ACCEPTED, RETURNED)
DIGEST_STATES = (*STATES, MISSING)
ON_TIME, LATE, NOT_DUE = "on_time", "late", "not_due"
TIMELINESS = (ON_TIME, LATE, MISSING, NOT_DUE)

REPORT_SUBMITTED, REPORT_RETURNED, REPORT_ACCEPTED = "report.submitted", "report.returned", "report.accepted"
