"""Demo data (DEMO_MODE=true): two units in two districts and one user per role.

Every demo password is ``demo-pass``. Credit codes are made with the real check digit.
"""
from services.registry.contract import check_digit
from services.registry.storage.directory import upsert_unit, upsert_user
from shared.principal import ADMIN, CITY_BUREAU, CITY_CENTER, FINANCE, TENANT, UNIT

DEMO_PASSWORD = "demo-pass"


def _code(first17: str) -> str:
    return first17 + check_digit(first17)


DEMO_UNITS = [
    {"_id": "unit-dc-jinggong", "tenant_id": "dongcheng", "name": "北京东城精工制造有限公司",
     "credit_code": _code("91110101MA01AAAA0"), "kind": "unit", "parent_id": None,
     "address": "北京市东城区和平里东街1号", "contact": "王工", "phone": "010-00000001"},
    {"_id": "unit-hd-zhizao", "tenant_id": "haidian", "name": "北京海淀智造科技有限公司",
     "credit_code": _code("91110108MA01BBBB0"), "kind": "unit", "parent_id": None,
     "address": "北京市海淀区中关村大街1号", "contact": "李工", "phone": "010-00000002"},
]

DEMO_USERS = [
    ("demo-admin", ADMIN, None, None, "系统管理员"),
    ("demo-center", CITY_CENTER, None, None, "市就业促进中心"),
    ("demo-bureau", CITY_BUREAU, None, None, "市人社局职业能力建设处"),
    ("demo-finance", FINANCE, None, None, "市财政局"),
    ("demo-dongcheng", TENANT, "dongcheng", None, "东城区人力资源和社会保障局"),
    ("demo-haidian", TENANT, "haidian", None, "海淀区人力资源和社会保障局"),
    ("demo-unit-a", UNIT, "dongcheng", "unit-dc-jinggong", "北京东城精工制造有限公司"),
    ("demo-unit-b", UNIT, "haidian", "unit-hd-zhizao", "北京海淀智造科技有限公司"),
]


def seed_demo(db, hasher) -> None:
    for unit in DEMO_UNITS:
        upsert_unit(db, unit)
    for username, role, tenant_id, unit_id, name in DEMO_USERS:
        upsert_user(db, hasher, username, DEMO_PASSWORD, role, tenant_id, unit_id, name)
