"""The ledger's published vocabulary: amounts, entry kinds, sources, fundings and R-22 categories.

Plain constants. The domain (``domain/journal.py``) and the published schemas (``schemas.py``)
both import them from here, so the gateway, which imports the schemas, loads no domain code.
"""

YUAN = 100  # fen per yuan
GRANT_FEN = 300_000 * YUAN   # R-21 one-off designation grant
BONUS_FEN = 200_000 * YUAN   # R-21 bonus after an excellent assessment
MAX_AMOUNT_FEN = 10 ** 12    # 10 billion CNY: a sanity bound that keeps sums far inside int64

# kinds
GRANT, BONUS, MATCHING, EXPENDITURE, REVERSAL, CLAWBACK, REPAYMENT = (
    "grant", "bonus", "matching", "expenditure", "reversal", "clawback", "repayment")
KINDS = (GRANT, BONUS, MATCHING, EXPENDITURE, REVERSAL, CLAWBACK, REPAYMENT)

# sources of money coming in
SOURCE_CITY_GRANT, SOURCE_CITY_BONUS, SOURCE_MATCHING = "city_grant", "city_bonus", "matching"
SOURCES = (SOURCE_CITY_GRANT, SOURCE_CITY_BONUS, SOURCE_MATCHING)

# which money an expenditure uses
FUNDING_CITY, FUNDING_MATCHING = "city", "matching"
FUNDINGS = (FUNDING_CITY, FUNDING_MATCHING)

# R-22 categories, in display order
CATEGORIES = ("equipment_facilities", "skill_rnd", "exchange_promotion", "training")
CATEGORY_LABELS = {
    "equipment_facilities": "设备设施",
    "skill_rnd": "技能研发",
    "exchange_promotion": "交流推广",
    "training": "培训",
}
SOURCE_LABELS = {SOURCE_CITY_GRANT: "市级首次资助", SOURCE_CITY_BONUS: "市级追加资助",
                 SOURCE_MATCHING: "单位配套"}
FUNDING_LABELS = {FUNDING_CITY: "市级资金", FUNDING_MATCHING: "配套资金"}
