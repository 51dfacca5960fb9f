"""Reference data: the tenants every deployment has (主管部门).

The 16 districts' HR and social security bureaus (区人力资源社会保障局) and the Beijing
Economic-Technological Development Area's social affairs bureau (北京经济技术开发区社会事业局).
Municipal bureaus and enterprise groups (市属局（总公司）、企业集团) are added by the city.
Ids are the districts' pinyin (stable, readable in URLs); ``code`` is the division code.
"""
from services.registry.contract import DISTRICT, ZONE

DISTRICTS = [
    ("dongcheng", "东城区", "110101"),
    ("xicheng", "西城区", "110102"),
    ("chaoyang", "朝阳区", "110105"),
    ("fengtai", "丰台区", "110106"),
    ("shijingshan", "石景山区", "110107"),
    ("haidian", "海淀区", "110108"),
    ("mentougou", "门头沟区", "110109"),
    ("fangshan", "房山区", "110111"),
    ("tongzhou", "通州区", "110112"),
    ("shunyi", "顺义区", "110113"),
    ("changping", "昌平区", "110114"),
    ("daxing", "大兴区", "110115"),
    ("huairou", "怀柔区", "110116"),
    ("pinggu", "平谷区", "110117"),
    ("miyun", "密云区", "110118"),
    ("yanqing", "延庆区", "110119"),
]


def reference_tenants() -> list[dict]:
    tenants = [{"_id": tid, "name": name, "kind": DISTRICT, "code": code,
                "authority": f"{name}人力资源和社会保障局"} for tid, name, code in DISTRICTS]
    tenants.append({"_id": "bda", "name": "北京经济技术开发区", "kind": ZONE, "code": "110400",
                    "authority": "北京经济技术开发区社会事业局"})
    return tenants
