"""The demo city (DEMO_MODE): a living Beijing of studios, made through the gateway's HTTP API.

``skillmaster-run`` calls :func:`seed_city` once the system is ready. Everything is done as the
demo users would do it (units apply and book, tenants recommend, the centre reviews, the bureau
designates and revokes), with the admin's DEMO_MODE clock (``PUT /api/v1/admin/clock``) walked
through 2021 … 2026 so every step happens on its own date; the ledger's grants and the clawback
come from the registry's events. Nothing is written behind a service's back and no service module
is imported: this module talks HTTP only (urllib).

Fixed: the data come from a seeded ``random.Random``, so every demo city is the same (ids the
services generate differ, contents do not).

Once: the city is there when this year's objected application (the last step) exists; then
nothing is done. Interrupted: every step is idempotent (creating calls carry a fixed
``Idempotency-Key``, units and users answer 409 when present, transitions are skipped when the
application is already past them), so the next run replays from the start and completes.

Later services (reporting, supervision, assessment): their steps run when the gateway's OpenAPI
document has their routes, and are skipped (logged) otherwise.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

PASSWORD = "demo-pass"
SEED = 20260319
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
GRANT_FEN = 30_000_000
MARKER_STUDIO = "（演示）异议待处理工作室"


class ApiError(Exception):
    def __init__(self, status: int, body, method: str, path: str):
        self.status, self.body = status, body
        super().__init__(f"{method} {path}: {status} {str(body)[:400]}")


# -- HTTP --------------------------------------------------------------------------------
class Api:
    """The gateway, as the demo users (tokens cached per user)."""

    def __init__(self, base_url: str, timeout: float = 30):
        self.base = base_url.rstrip("/")
        self.timeout = timeout
        self.tokens: dict[str, str] = {}
        self.calls = 0

    def _send(self, method, path, user=None, body=None, headers=None, raw=None, content_type=None):
        headers = dict(headers or {})
        data = None
        if raw is not None:
            data, headers["Content-Type"] = raw, content_type
        elif body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        if user:
            headers["Authorization"] = f"Bearer {self.token(user)}"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        self.calls += 1
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                text = resp.read()
                return resp.status, (json.loads(text) if text and resp.headers.get_content_subtype()
                                     in ("json", "problem+json") else text)
        except urllib.error.HTTPError as exc:
            text = exc.read()
            try:
                payload = json.loads(text)
            except ValueError:
                payload = text
            return exc.code, payload

    def call(self, method, path, user=None, body=None, ok=(200, 201), **kw):
        status, payload = self._send(method, path, user, body, **kw)
        if status not in ok:
            raise ApiError(status, payload, method, path)
        return payload

    def get(self, path, user):
        return self.call("GET", path, user)

    def post(self, path, user, body=None, key=None, ok=(200, 201)):
        return self.call("POST", path, user, body if body is not None else {}, ok=ok,
                         headers={"Idempotency-Key": key} if key else None)

    def token(self, user: str) -> str:
        if user not in self.tokens:
            answer = self.call("POST", "/api/v1/auth/token", body={"username": user, "password": PASSWORD})
            self.tokens[user] = answer["access_token"]
        return self.tokens[user]

    def upload(self, path, user, filename, content, mime):
        boundary = uuid.uuid4().hex
        raw = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
               f"Content-Type: {mime}\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
        return self.call("POST", path, user, raw=raw, content_type=f"multipart/form-data; boundary={boundary}")


# -- identifiers with their real check characters ----------------------------------------
_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def credit_code(first17: str) -> str:
    total = sum(_CODE_ALPHABET.index(c) * w for c, w in zip(first17, _CODE_WEIGHTS))
    return first17 + _CODE_ALPHABET[(31 - total % 31) % 31]


def id_number(area: str, birth: dt.date, seq: int, male: bool) -> str:
    first17 = f"{area}{birth:%Y%m%d}{seq // 5 % 100:02d}{(seq % 5) * 2 + (1 if male else 0)}"
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


# -- the city's fixed plan ---------------------------------------------------------------
GROUPS = [("jd-group", "北京京电能源集团", "京电能源集团人力资源部"),
          ("sj-group", "北京首建工程集团", "首建工程集团人力资源部"),
          ("jc-group", "北京京城交通集团", "京城交通集团人力资源部")]
# tenant -> (name, division code, units); every unit: (name, address)
UNITS = {
    "dongcheng": ("东城区", "110101", [("北京东城精工制造有限公司", "北京市东城区和平里东街1号"),
                                    ("北京东城老字号食品有限公司", "北京市东城区前门大街8号"),
                                    ("北京东城景泰蓝工艺厂", "北京市东城区天坛路2号")]),
    "xicheng": ("西城区", "110102", [("北京西城电力设备有限公司", "北京市西城区德胜门外大街5号"),
                                  ("北京西城印刷技术有限公司", "北京市西城区广安门内大街10号")]),
    "chaoyang": ("朝阳区", "110105", [("北京朝阳汽车维修服务有限公司", "北京市朝阳区东三环中路9号"),
                                   ("北京朝阳烹饪技术有限公司", "北京市朝阳区工体北路6号"),
                                   ("北京朝阳数控科技有限公司", "北京市朝阳区酒仙桥路12号")]),
    "fengtai": ("丰台区", "110106", [("北京丰台轨道装备有限公司", "北京市丰台区南四环西路3号"),
                                  ("北京丰台建筑安装工程有限公司", "北京市丰台区丰台北路7号")]),
    "shijingshan": ("石景山区", "110107", [("北京石景山钢构技术有限公司", "北京市石景山区石景山路20号")]),
    "haidian": ("海淀区", "110108", [("北京海淀智造科技有限公司", "北京市海淀区中关村大街1号"),
                                  ("北京海淀精密仪器有限公司", "北京市海淀区学院路15号"),
                                  ("北京海淀电子装联有限公司", "北京市海淀区上地信息路4号")]),
    "fangshan": ("房山区", "110111", [("北京房山石化检修有限公司", "北京市房山区燕山岗南路2号")]),
    "tongzhou": ("通州区", "110112", [("北京通州智能制造有限公司", "北京市通州区新华大街30号"),
                                   ("北京通州家具工艺有限公司", "北京市通州区宋庄镇1号")]),
    "shunyi": ("顺义区", "110113", [("北京顺义航空维修有限公司", "北京市顺义区天竺镇府前路1号")]),
    "changping": ("昌平区", "110114", [("北京昌平新能源汽车有限公司", "北京市昌平区科技园路8号"),
                                    ("北京昌平医疗器械有限公司", "北京市昌平区生命园路3号")]),
    "daxing": ("大兴区", "110115", [("北京大兴生物医药有限公司", "北京市大兴区永大路6号")]),
    "huairou": ("怀柔区", "110116", [("北京怀柔影视道具有限公司", "北京市怀柔区杨宋镇影都大街1号")]),
    "pinggu": ("平谷区", "110117", [("北京平谷农产品加工有限公司", "北京市平谷区兴谷路9号")]),
    "yanqing": ("延庆区", "110119", [("北京延庆园艺技术有限公司", "北京市延庆区妫水北街5号")]),
    "bda": ("北京经济技术开发区", "110400", [("北京亦庄集成电路有限公司", "北京经济技术开发区科创街18号"),
                                      ("北京亦庄机器人有限公司", "北京经济技术开发区荣华南路2号")]),
    "jd-group": ("北京京电能源集团", "110000", [("京电能源集团热力检修分公司", "北京市朝阳区左家庄1号"),
                                         ("京电能源集团输变电公司", "北京市西城区白广路4号")]),
    "sj-group": ("北京首建工程集团", "110000", [("首建工程集团第一建筑公司", "北京市海淀区西三环北路2号")]),
    "jc-group": ("北京京城交通集团", "110000", [("京城交通集团公交保修分公司", "北京市丰台区莲花池西路9号")]),
}
DEMO_UNITS = {"北京东城精工制造有限公司": "unit-dc-jinggong", "北京海淀智造科技有限公司": "unit-hd-zhizao"}
DEMO_TENANT_USERS = {"dongcheng": "demo-dongcheng", "haidian": "demo-haidian"}
DEMO_UNIT_USERS = {"unit-dc-jinggong": "demo-unit-a", "unit-hd-zhizao": "demo-unit-b"}
OCCUPATIONS = ["数控车工", "钳工", "电工", "焊工", "汽车维修工", "中式烹调师", "景泰蓝制作工", "印刷操作员",
               "轨道列车司机", "钢筋工", "仪器仪表维修工", "电子装接工", "化工检修钳工", "木工", "飞机维修机械员",
               "电池制造工", "医疗器械装配工", "生化药品制造工", "道具工", "农产品加工工", "园艺工", "集成电路工艺员",
               "工业机器人系统运维员", "热力司炉工", "变电站运行值班员", "砌筑工", "公交车辆维修工", "模具工",
               "面点师", "装配钳工", "电梯安装维修工", "美发师", "茶艺师", "眼镜验光员", "西式面点师"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = ["建国", "志强", "秀英", "桂兰", "海涛", "立新", "文华", "振宇", "春生", "红梅", "卫东", "国平", "德胜",
         "金凤", "永刚", "明辉", "淑珍", "宏伟", "玉兰", "长江", "晓东", "丽娟", "宝山", "凤霞", "庆丰"]
# designations a year (R-7: at most 10 a year, counted by the designation date's year); 2026 keeps
# room for two more (the applications in notice and under objection of this year's review)
BATCHES = [  # (submitted on, studios)
    ("2021-03-01", 5), ("2021-09-01", 5), ("2022-03-01", 5), ("2022-08-29", 5), ("2023-03-01", 5),
    ("2023-08-28", 5), ("2024-03-01", 5), ("2024-09-02", 5), ("2025-03-03", 5), ("2025-09-01", 5),
    ("2026-03-02", 5), ("2026-08-31", 3)]
REVOKED_ON = "2025-06-30"


@dataclass
class Unit:
    tenant_id: str
    name: str
    address: str
    code: str
    id: str | None = None
    user: str | None = None
    occupations: list = field(default_factory=list)


@dataclass
class Plan:
    """One studio's application: who, where, when."""
    key: str
    unit: Unit
    master: dict
    studio_name: str
    team: list
    application_id: str | None = None
    studio_id: str | None = None
    app: dict | None = None          # the application as last answered


class Seeder:
    def __init__(self, api: Api, log=print, *, seed=SEED, first_seq: int = 0):
        """``seed`` and ``first_seq``: the demo city's own by default; a test that makes studios
        of its own beside another's in one system passes others (the same seed and sequence make
        the same masters, whom R-6 lets lead one studio only)."""
        self.api, self._log = api, log
        self.started = time.monotonic()
        self.rng = random.Random(seed)
        self.units: list[Unit] = []
        self.seq = first_seq
        self.today: str | None = None
        self.routes: set[str] = set()
        self.skipped: list[str] = []
        self.studios: list[Plan] = []
        self.revoked_keys: set[str] = set()
        self.workers = 4
        self.hooks: list = []
        self.failed: list[str] = []

    def optional(self, name: str, step) -> None:
        """A later service's step: reported and left out when it fails (the city goes on)."""
        try:
            step()
        except (ApiError, KeyError, ValueError, RuntimeError) as exc:
            self.failed.append(name)
            self.log(f"{self.today}: {name}: not done ({exc})")

    def log(self, line: str) -> None:
        self._log(f"  [{time.monotonic() - self.started:3.0f} s] {line.strip()}")

    # -- clock --------------------------------------------------------------------------
    def move_clock(self, day: str) -> None:
        """To ``day``; the later services' steps dated before it happen first, on their dates."""
        while self.hooks and self.hooks[0][0] < day:
            on, name, step = self.hooks.pop(0)
            self._set_clock(on)
            self.optional(name, step)
        self._set_clock(day)

    def _set_clock(self, day: str) -> None:
        if day == self.today:
            return
        self.api.call("PUT", "/api/v1/admin/clock", "demo-admin", {"today": day, "reason": "demo city"})
        deadline = time.monotonic() + 20
        while True:
            services = self.api.get("/api/v1/admin/clock", "demo-admin")["services"]
            days = {(s or {}).get("today") for s in (services.values() if isinstance(services, dict) else services)}
            if days == {day}:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the clock did not reach {day} in every service: {days}")
            time.sleep(0.05)
        self.today = day

    def wait(self, check, what: str, seconds: float = 30):
        deadline = time.monotonic() + seconds
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out waiting for {what}")
            time.sleep(0.1)

    # -- directory ----------------------------------------------------------------------
    def directory(self) -> None:
        for tid, name, authority in GROUPS:
            self.api.call("POST", "/api/v1/tenants", "demo-admin",
                          {"id": tid, "name": name, "kind": "group", "authority": authority}, ok=(201, 409))
        n = 0
        users = []
        for tid, (tname, area, units) in UNITS.items():
            officer = DEMO_TENANT_USERS.get(tid) or f"demo-{tid}"
            if tid not in DEMO_TENANT_USERS:
                users.append((officer, "tenant", tid, None, f"{tname}人力资源和社会保障局"
                              if not tid.endswith("group") else f"{tname}人力资源部"))
            existing = None
            for uname, address in units:
                n += 1
                unit = Unit(tid, uname, address, credit_code(f"9111{area[2:]}MA0{n:02d}DEMO0".replace("O", "0")[:17]))
                if uname in DEMO_UNITS:
                    unit.id, unit.user = DEMO_UNITS[uname], DEMO_UNIT_USERS[DEMO_UNITS[uname]]
                else:
                    status, body = self.api._send("POST", f"/api/v1/tenants/{tid}/units", "demo-admin",
                                                  {"name": uname, "credit_code": unit.code, "address": address,
                                                   "contact": "人事部", "phone": f"010-6{n:03d}0000"})
                    if status == 201:
                        unit.id = body["id"]
                    elif status == 409:
                        existing = existing or self.api.get(f"/api/v1/tenants/{tid}/units?page_size=500",
                                                            "demo-admin")["items"]
                        unit.id = next(u["id"] for u in existing if u["credit_code"] == unit.code)
                    else:
                        raise ApiError(status, body, "POST", f"/api/v1/tenants/{tid}/units")
                    unit.user = f"unit-{tid}-{len([u for u in self.units if u.tenant_id == tid]) + 1}"
                    users.append((unit.user, "unit", tid, unit.id, uname))
                self.units.append(unit)
        # password hashing is the slow part: several at once, then every user logs in once
        self.each(lambda user: self._user(*user), users)
        self.each(self.api.token, ["demo-center", "demo-bureau", "demo-finance", *DEMO_TENANT_USERS.values(),
                                   *DEMO_UNIT_USERS.values(), *(u[0] for u in users)])
        self.log(f"  directory: {len(GROUPS)} groups, {len(self.units)} units in {len(UNITS)} tenants, "
                 f"their users (password {PASSWORD})")

    def _user(self, username, role, tenant_id, unit_id, display):
        self.api.call("POST", "/api/v1/users", "demo-admin",
                      {"username": username, "password": PASSWORD, "role": role, "tenant_id": tenant_id,
                       "unit_id": unit_id, "display_name": display}, ok=(201, 409))

    def each(self, fn, items) -> list:
        """``fn`` over independent items (different units or studios), a few at a time."""
        items = list(items)
        if len(items) <= 1:
            return [fn(i) for i in items]
        with ThreadPoolExecutor(max_workers=min(self.workers, len(items))) as pool:
            return list(pool.map(fn, items))

    def officer(self, tenant_id: str) -> str:
        return DEMO_TENANT_USERS.get(tenant_id) or f"demo-{tenant_id}"

    # -- applications -------------------------------------------------------------------
    def plan(self, key: str, unit: Unit, on: str) -> Plan:
        rng = self.rng
        self.seq += 1
        male = rng.random() < 0.75
        year = int(on[:4])
        birth = dt.date(rng.randint(1968, 1986) if male else rng.randint(1976, 1988), rng.randint(1, 12),
                        rng.randint(1, 28))
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        occupation = next(o for o in rng.sample(OCCUPATIONS, len(OCCUPATIONS)) if o not in unit.occupations)
        unit.occupations.append(occupation)
        honours = rng.sample(["national_technical_expert", "beijing_technician_allowance",
                              "beijing_outstanding_contribution", "state_council_allowance",
                              "time_honoured_brand_craftsman"], rng.choice([0, 1, 1, 2]))
        master = {"name": name, "gender": "M" if male else "F", "birth_month": f"{birth:%Y-%m}",
                  "original_retirement_age": None if male else 55,
                  "id_number": id_number(UNITS[unit.tenant_id][1] if UNITS[unit.tenant_id][1] != "110000"
                                         else "110108", birth, self.seq, male),
                  "occupation": occupation, "skill_level": rng.choice(["技师", "高级技师", "高级技师", "特级技师"]),
                  "certificate_no": f"ZS-{year - rng.randint(5, 15)}-{self.seq:06d}",
                  "certificate_date": f"{year - rng.randint(3, 12)}-06-30", "honours": honours, "other_honours": [],
                  "front_line": True, "front_line_years": rng.randint(12, 30), "employment_status": "employed",
                  "post": rng.choice(["车间主任", "首席技师", "班组长", "技术主管"]), "phone": f"1390000{self.seq:04d}"}
        team = [{"name": rng.choice(SURNAMES) + rng.choice(GIVEN), "role": "技术骨干",
                 "skill_level": rng.choice(["高级工", "技师", "高级技师"]), "formal_employee": True,
                 "occupation": occupation} for _ in range(rng.randint(3, 6))]
        return Plan(key, unit, master, f"{name}技能大师工作室", team)

    def apply(self, plan: Plan, submit=True, studio_name=None) -> dict:
        unit = plan.unit
        form = {"master": plan.master, "branch_id": None, "studio_name": studio_name or plan.studio_name,
                "studio_address": unit.address, "team": plan.team,
                "conditions": {"talent_pipeline": True, "training_evaluation_incentive": True, "stable_funding": True,
                               "premises_and_equipment": True, "rules_duties_targets": True,
                               "description": "工作室面积约120平方米，配备实训设备"},
                "existing_studio": None}
        app = self.api.post("/api/v1/applications", unit.user, form, key=f"demo-city:{plan.key}")
        plan.application_id = app["id"]
        if app["status"] == "draft":
            if not app.get("materials"):
                self.api.upload(f"/api/v1/applications/{app['id']}/materials?kind=certificate", unit.user,
                                "技能等级证书.pdf", PDF, "application/pdf")
            if submit:
                app = self.api.post(f"/api/v1/applications/{app['id']}/submit", unit.user)
        plan.app = app
        return app

    def advance(self, plan: Plan, to: str, on: str) -> dict:
        """From submitted towards ``to`` (recommended, under_review, shortlisted, in_notice), the
        tenant's and the centre's dates between the submission and ``on`` (today)."""
        app_id, tenant = plan.application_id, self.officer(plan.unit.tenant_id)
        app = plan.app or self.api.get(f"/api/v1/applications/{app_id}", "demo-center")
        order = ["submitted", "recommended", "under_review", "shortlisted", "in_notice"]
        start = dt.date.fromisoformat(app["submitted_on"])
        today = dt.date.fromisoformat(on)
        span = max((today - start).days, 0)

        rng = random.Random(f"{SEED}:{plan.key}:scores")

        def day(fraction):
            return (start + dt.timedelta(days=int(span * fraction))).isoformat()
        if app["status"] == "submitted" and order.index(to) >= 1:
            app = self.api.post(f"/api/v1/applications/{app_id}/recommend", tenant, {
                "opinion": "经审核，该工作室符合申报条件，同意推荐。", "signed_by": f"{UNITS[plan.unit.tenant_id][0]}人社局",
                "signed_on": day(0.2)})
        stages = [("material", 0.35, {}), ("site_visit", 0.55, {"note": "场地设备齐全，制度健全"}),
                  ("expert", 0.75, {"scores": [{"expert": e, "score": rng.randint(78, 96)}
                                               for e in ("专家甲", "专家乙", "专家丙")]}),
                  ("overall", 1.0, {"note": "拟认定"})]
        wanted = {"recommended": 0, "under_review": 2, "shortlisted": 4, "in_notice": 4}[to]
        for stage, fraction, extra in stages[:wanted]:
            if stage not in (app.get("reviews") or {}) or not app["reviews"].get(stage):
                app = self.api.post(f"/api/v1/applications/{app_id}/review", "demo-center",
                                    {"stage": stage, "result": "pass", "date": day(fraction), **extra})
        if to == "in_notice" and app["status"] == "shortlisted":
            app = self.api.post(f"/api/v1/applications/{app_id}/notice", "demo-center", {"start_on": on})
        plan.app = app
        return app

    def designate(self, plan: Plan) -> None:
        app = plan.app or self.api.get(f"/api/v1/applications/{plan.application_id}", "demo-bureau")
        if app["status"] == "in_notice":
            app = self.api.post(f"/api/v1/applications/{plan.application_id}/designate", "demo-bureau",
                                {"note": "经公示无异议，予以认定"})
        plan.studio_id = app["designation"]["studio_id"]
        plan.app = app

    def accounts_open(self, studio_ids) -> bool:
        return all(self.api._send("GET", f"/api/v1/studios/{sid}/account", "demo-finance")[0] == 200
                   for sid in studio_ids)

    # -- the ledger, as the units book ----------------------------------------------------
    def book(self, plan: Plan, n: int, body: dict) -> None:
        self.api.post(f"/api/v1/studios/{plan.studio_id}/account/entries", plan.unit.user, body,
                      key=f"demo-city:{plan.key}:{n}")

    def bookings(self, plan: Plan, round_: int) -> None:
        """What a studio's unit books at its ``round_``-th stop after designation (0: matching)."""
        rng = random.Random(f"{SEED}:{plan.key}:{round_}")
        if round_ == 0:
            self.book(plan, 0, {"kind": "matching", "amount_fen": rng.choice([20, 30, 30, 40, 50]) * 1_000_000,
                                "memo": "单位配套资金"})
        elif round_ == 1:
            amount = rng.randint(6, 12) * 1_000_000
            self.book(plan, 1, {"kind": "expenditure", "amount_fen": amount, "category": "equipment_facilities",
                                "funding": "city", "memo": "实训设备购置",
                                "fixed_asset": {"asset_tag": f"FA-{plan.key}", "name": rng.choice(
                                    ["数控加工中心", "实训工作台", "检测仪器", "焊接机器人", "教学演示系统"]),
                                                "quantity": 1, "location": "工作室实训区"}})
        elif round_ == 2:
            self.book(plan, 2, {"kind": "expenditure", "amount_fen": rng.randint(2, 6) * 1_000_000,
                                "category": "training", "funding": "city", "unit_price_fen": 50_000,
                                "memo": "徒弟技能培训"})
            self.book(plan, 3, {"kind": "expenditure", "amount_fen": rng.randint(1, 4) * 1_000_000,
                                "category": "skill_rnd", "funding": "matching", "unit_price_fen": 80_000,
                                "memo": "技术攻关材料"})
        elif round_ == 3:
            self.book(plan, 4, {"kind": "expenditure", "amount_fen": rng.randint(1, 3) * 1_000_000,
                                "category": "exchange_promotion", "funding": "city", "unit_price_fen": 30_000,
                                "memo": "技艺交流活动"})

    # -- the whole city -------------------------------------------------------------------
    def units_of_batches(self):
        """Which unit hosts each studio: every unit at least one, the demo units two each."""
        rng = random.Random(f"{SEED}:hosts")
        hosts = [u for u in self.units] + [u for u in self.units if u.id in DEMO_UNIT_USERS]
        total = sum(n for _, n in BATCHES)
        while len(hosts) < total:
            hosts.append(rng.choice([u for u in self.units if u.id not in DEMO_UNIT_USERS]))
        rng.shuffle(hosts)
        return hosts

    def run(self) -> None:
        self.routes = set(self.api.get("/api/v1/openapi.json", None)["paths"])
        self.hooks = sorted(later_steps(self), key=lambda h: h[0])
        self.directory()
        hosts = iter(self.units_of_batches())
        designated: list[tuple[Plan, int]] = []   # (plan, bookings done)
        for b, (submitted_on, count) in enumerate(BATCHES):
            start = dt.date.fromisoformat(submitted_on)
            self.move_clock(submitted_on)
            self.book_round(designated)
            batch = [self.plan(f"s{b:02d}{i}", next(hosts), submitted_on) for i in range(count)]
            self.each(self.apply, batch)
            notice_on = _weekday(start + dt.timedelta(days=35)).isoformat()
            self.move_clock(notice_on)
            end_on = max(self.each(lambda p: self.advance(p, "in_notice", notice_on)["notice"]["end_on"], batch))
            self.move_clock(_weekday(dt.date.fromisoformat(end_on) + dt.timedelta(days=1)).isoformat())
            self.each(self.designate, batch)
            ids = [p.studio_id for p in batch]
            self.wait(lambda: self.accounts_open(ids), "the grants of the designated studios")
            self.book_round(designated)
            designated.extend([p, 0] for p in batch)
            self.studios.extend(batch)
            self.log(f"  {self.today}: {len(self.studios)} studios designated, grants booked by the ledger")
            if self.today >= "2025-04-01" and not self.revoked_keys:
                self.revoke(designated)
        self.move_clock("2026-10-26")
        self.book_round(designated)
        self.this_years_review()
        self.move_clock("2026-11-25")       # the later services' last steps
        self.log(f"  seeded with {self.api.calls} API calls")

    def book_round(self, designated) -> None:
        due = [entry for entry in designated if entry[1] < 4 and entry[0].key not in self.revoked_keys]
        self.each(lambda entry: self.bookings(*entry), due)
        for entry in due:
            entry[1] += 1

    def revoke(self, designated) -> None:
        """One 2022 studio (not of the two demo districts) stopped working: the district asks, the bureau revokes on
        REVOKED_ON, the ledger claws back what is left of the city funds (its own event handler)."""
        plan = next(p for p, _ in designated if p.key.startswith(("s02", "s03"))
                    and p.unit.tenant_id not in DEMO_TENANT_USERS)
        self.revoked_keys = {plan.key}
        self.move_clock("2025-06-16")
        officer = self.officer(plan.unit.tenant_id)
        requests = self.api.get(f"/api/v1/studios/{plan.studio_id}/revocation-requests", officer)["items"]
        request = requests[0] if requests else self.api.post(
            f"/api/v1/studios/{plan.studio_id}/revocation-requests", officer,
            {"ground": "inactive_over_one_year", "reason": "工作室超过一年未开展工作，经督促仍未整改"})
        self.move_clock(REVOKED_ON)
        if request["status"] == "requested":
            self.api.post(f"/api/v1/studios/{plan.studio_id}/revocation-requests/{request['id']}/decision",
                          "demo-bureau", {"decision": "approve", "note": "同意撤销，收回剩余市级资金"})
        self.wait(lambda: self.api.get(f"/api/v1/studios/{plan.studio_id}/account/entries?kind=clawback",
                                       "demo-finance")["total"] >= 1, "the clawback")
        self.log(f"  {REVOKED_ON}: {plan.studio_name} ({UNITS[plan.unit.tenant_id][0]}) revoked, the ledger clawed back")

    def this_years_review(self) -> None:
        """2026's call: an application waiting at each step."""
        pick = {u.id: u for u in self.units}
        steps = [("draft", "unit-dc-jinggong", "2026-10-26"), ("submitted", "unit-hd-zhizao", "2026-10-26"),
                 ("recommended", None, "2026-10-26"), ("under_review", None, "2026-10-26"),
                 ("shortlisted", None, "2026-10-26"), ("in_notice", "unit-dc-jinggong", "2026-10-26"),
                 ("objected", None, "2026-10-26")]
        others = iter(sorted((u for u in self.units if u.id not in DEMO_UNIT_USERS), key=lambda u: u.code))
        plans = []
        for i, (state, unit_id, on) in enumerate(steps):
            unit = pick[unit_id] if unit_id else next(others)
            name = MARKER_STUDIO if state == "objected" else None
            plan = self.plan(f"y26-{state}", unit, on)
            plan.studio_name = name or plan.studio_name
            self.apply(plan, submit=state != "draft")
            plans.append((state, plan))
        self.move_clock("2026-11-16")
        for state, plan in plans:
            if state in ("recommended", "under_review", "shortlisted"):
                self.advance(plan, state, "2026-11-16")
            elif state in ("in_notice", "objected"):
                self.advance(plan, "in_notice", "2026-11-16")
        state, plan = plans[-1]
        app = self.api.get(f"/api/v1/applications/{plan.application_id}", "demo-center")
        if app["status"] == "in_notice":
            self.move_clock("2026-11-18")
            self.api.post(f"/api/v1/applications/{plan.application_id}/objections", "demo-center", {
                "summary": "群众来信反映领办人近两年未在一线岗位工作，需核实", "objector": "匿名"})
        self.log("  2026 review: draft, submitted, recommended, under review, shortlisted, in notice, objected")


# -- the later services' steps (reporting, supervision, assessment) ---------------------------
# Each runs when the gateway has its route (the OpenAPI document at start) and is skipped, with
# a line saying so, when not; a step that fails is reported and the city goes on without it.
REPORTING_ROUTE = "/api/v1/studios/{studio_id}/agreements/{year}/submit"
INSPECTION_ROUTE = "/api/v1/tenants/{tenant_id}/inspections"
SUMMARY_ROUTE = "/api/v1/tenants/{tenant_id}/summaries/{year}/submit"
ROUNDS_ROUTE = "/api/v1/assessment-rounds"


class Later:
    """The steps of reporting, supervision and assessment, on the city's timeline."""

    def __init__(self, seeder: "Seeder"):
        self.s = seeder
        self.api = seeder.api

    # which studios report (about two in three, and every studio of the demo districts)
    def reporters(self, year: int) -> list[Plan]:
        return [p for i, p in enumerate(self.s.studios)
                if int(p.app["designation"]["designated_on"][:4]) < year and p.key not in self.s.revoked_keys
                and (i % 3 != 2 or p.unit.tenant_id in DEMO_TENANT_USERS)]

    def agreement(self, p: Plan, year: int) -> None:
        base = f"/api/v1/studios/{p.studio_id}/agreements/{year}"
        self.api.call("PUT", base, p.unit.user, {
            "support": {"funding_fen": 20_000_000, "premises_m2": 120.0, "equipment": "数控实训设备一套",
                        "working_time": "每周不少于8学时"},
            "duties": ["带徒传艺", "技术攻关", "技能交流"],
            "tasks": [{"title": "培养徒弟", "output": "apprentices", "target": 3},
                      {"title": "技术攻关项目", "output": "rd_projects", "target": 1}],
            "expected_outputs": "培养高技能人才，解决生产难题", "signed_on": f"{year}-03-01",
            "signatories": {"unit": p.unit.name, "lead": p.master["name"]}})
        self.api.post(f"{base}/submit", p.unit.user, key=f"demo-city:agreement:{year}:{p.key}")

    def report(self, p: Plan, year: int, kind: str, scale: float = 1.0) -> None:
        base = f"/api/v1/studios/{p.studio_id}/reports/{year}/{kind}"
        n = max(1, round(3 * scale))
        self.api.call("PUT", base, p.unit.user, {
            "items": [{"output": "apprentices", "title": "师带徒培养", "quantity": n},
                      {"output": "rd_projects", "title": "关键工艺技术攻关", "quantity": 1},
                      {"output": "trainings_given", "title": "面向职工开展技能培训", "quantity": 2}],
            "economic_benefit_fen": int(50_000_000 * scale),
            "narrative": "工作室按计划开展带徒传艺、技术攻关和技能交流活动。"})
        self.api.post(f"{base}/submit", p.unit.user, key=f"demo-city:{kind}:{year}:{p.key}:1")

    def decide(self, p: Plan, year: int, kind: str, returned: bool) -> None:
        base = (f"/api/v1/studios/{p.studio_id}/agreements/{year}" if kind == "agreement"
                else f"/api/v1/studios/{p.studio_id}/reports/{year}/{kind}")
        officer = self.s.officer(p.unit.tenant_id)
        if returned:
            self.api.post(f"{base}/return", officer, {"reasons": ["佐证材料不全，请补充徒弟名单和培训记录"]})
        else:
            self.api.post(f"{base}/accept", officer)

    def plans_on_time(self, year: int) -> None:
        rs = self.reporters(year)
        self.s.each(lambda p: self.agreement(p, year), rs)
        on_time = [p for i, p in enumerate(rs) if i % 5 != 4]
        self.s.each(lambda p: self.report(p, year, "plan"), on_time)
        self.s.each(lambda p: self.decide(p, year, "agreement", False), rs)
        self.s.each(lambda p: self.decide(p, year, "plan", on_time.index(p) % 7 == 3), on_time)
        self.s.log(f"{self.s.today}: {year} agreements of {len(rs)} studios, {len(on_time)} plans on time "
                   f"(some returned)")

    def plans_late(self, year: int) -> None:
        rs = self.reporters(year)
        late = [p for i, p in enumerate(rs) if i % 5 == 4 and i % 10 != 9]     # the rest stay missing
        self.s.each(lambda p: self.report(p, year, "plan", 0.8), late)
        self.s.log(f"{self.s.today}: {len(late)} {year} plans late, the rest still missing")

    def results(self, year: int, late: bool) -> None:
        rs = [p for i, p in enumerate(self.reporters(year)) if i % 5 != 4]
        part = [p for i, p in enumerate(rs) if (i % 4 == 1) == late]
        if year == 2026:       # this year's results are due on 1 December: some are in already
            part = part[: len(part) // 2]
        self.s.each(lambda p: self.report(p, year, "results", 1.2), part)
        if year < 2026:
            self.s.each(lambda p: self.decide(p, year, "results", rs.index(p) % 9 == 5), part)
        self.s.log(f"{self.s.today}: {len(part)} {year} results {'late' if late else 'on time'}")

    def inspections(self, year: int) -> None:
        rs = [p for i, p in enumerate(self.s.studios) if p.key not in self.s.revoked_keys and i % 2 == 0]

        def inspect(p: Plan) -> None:
            rating = ("good", "good", "fair", "poor")[rs.index(p) % 4]
            body = {"studio_id": p.studio_id, "inspected_on": self.s.today, "inspectors": ["检查组甲", "检查组乙"],
                    "checked": ["activity", "funds", "rules", "premises"], "rating": rating,
                    "findings": {"good": "活动开展正常，资金使用规范", "fair": "台账不够完整",
                                 "poor": "半年未开展带徒活动，资金使用进度慢"}[rating]}
            if rating == "poor":
                body["rectifications"] = [{"description": "制定带徒计划并按月开展活动",
                                           "due_on": (dt.date.fromisoformat(self.s.today)
                                                      + dt.timedelta(days=60)).isoformat()}]
            self.api.post(f"/api/v1/tenants/{p.unit.tenant_id}/inspections", self.s.officer(p.unit.tenant_id),
                          body, key=f"demo-city:inspection:{year}:{p.key}")
        self.s.each(inspect, rs)
        self.s.log(f"{self.s.today}: {len(rs)} inspections by the districts and groups")

    def summaries(self, year: int, late: bool) -> None:
        tenants = sorted(UNITS)
        mine = [t for i, t in enumerate(tenants) if (i % 5 == 3) == late and i % 7 != 6]   # i % 7 == 6: missing

        def submit(tid: str) -> None:
            officer = self.s.officer(tid)
            base = f"/api/v1/tenants/{tid}/summaries/{year}"
            self.api.post(f"{base}/draft", officer)
            self.api.call("PATCH", base, officer, {"overview": f"{year}年本辖区技能大师工作室运行总体平稳。",
                                                     "plans": "下一年度继续加强日常管理和资金监管。"})
            self.api.post(f"{base}/submit", officer, key=f"demo-city:summary:{year}:{tid}")
        self.s.each(submit, mine)
        self.s.log(f"{self.s.today}: {len(mine)} {year} summaries {'late' if late else 'on time'}")

    def assessment(self, year: int) -> None:
        due = [p for p in self.s.studios if int(p.app["designation"]["designated_on"][:4]) <= year - 2
               and p.key not in self.s.revoked_keys]
        status, rounds = self.api._send("GET", f"{ROUNDS_ROUTE}?year={year}", "demo-center")
        existing = [r for r in (rounds.get("items") or [])] if status == 200 else []
        round_ = existing[0] if existing else self.api.post(ROUNDS_ROUTE, "demo-center", {
            "year": year, "bonus_budget_fen": 3 * 20_000_000}, key=f"demo-city:round:{year}")
        round_id = round_.get("id") or round_.get("round_id")
        inside = {x["studio_id"] for x in self.api.get(f"{ROUNDS_ROUTE}/{round_id}", "demo-center").get("studios", [])}
        for p in due:
            if p.studio_id not in inside and round_.get("state", "open") == "open":
                self.api.post(f"{ROUNDS_ROUTE}/{round_id}/studios", "demo-center",
                              {"studio_id": p.studio_id, "reason": "认定满两年，纳入本轮考核"}, ok=(200, 201, 409, 422))
        full = self.api.get(f"{ROUNDS_ROUTE}/{round_id}", "demo-center")
        if full.get("state") == "open":
            ids = [x["studio_id"] for x in full.get("studios", [])]
            self.api.call("PUT", f"{ROUNDS_ROUTE}/{round_id}/scorers", "demo-admin",
                          {"assignments": {"demo-center": ids}})
            maxima = {i["code"]: i.get("maximum", 100) for i in (full.get("rubric") or {}).get("indicators", [])}
            sheets = self.api.get(f"{ROUNDS_ROUTE}/{round_id}/scores?page_size=500", "demo-center")["items"]
            for n, sheet in enumerate(sheets):
                share = (0.97, 0.93, 0.9, 0.82, 0.78, 0.74, 0.7)[n % 7]
                self.api.call("PUT", f"{ROUNDS_ROUTE}/{round_id}/scores/{sheet['studio_id']}", "demo-center",
                              {"scores": {code: round(maxima.get(code, 100) * share, 1)
                                          for code in sheet["expert_indicators"]}})
            self.api.post(f"{ROUNDS_ROUTE}/{round_id}/publish", "demo-center", key=f"demo-city:publish:{year}")
        self.s.log(f"{self.s.today}: the {year} assessment round published ({len(due)} studios; the "
                   f"excellent ones get the 200,000 CNY bonus from the ledger)")


def later_steps(seeder: "Seeder") -> list:
    """(date, name, step) of the later services, each with the route it needs."""
    later = Later(seeder)
    steps = []

    def add(route, name, dated):
        if route in seeder.routes:
            steps.extend(dated)
        else:
            seeder.skipped.append(name)
    add(REPORTING_ROUTE, "reporting (agreements, plans, results)", [
        ("2025-03-12", "2025 agreements and plans", lambda: later.plans_on_time(2025)),
        ("2025-04-20", "2025 late plans", lambda: later.plans_late(2025)),
        ("2025-11-24", "2025 results on time", lambda: later.results(2025, False)),
        ("2025-12-09", "2025 results late", lambda: later.results(2025, True)),
        ("2026-03-16", "2026 agreements and plans", lambda: later.plans_on_time(2026)),
        ("2026-04-13", "2026 late plans", lambda: later.plans_late(2026)),
        ("2026-11-20", "2026 results so far", lambda: later.results(2026, False))])
    add(INSPECTION_ROUTE, "supervision inspections", [
        ("2025-06-10", "2025 inspections", lambda: later.inspections(2025)),
        ("2026-06-09", "2026 inspections", lambda: later.inspections(2026))])
    add(SUMMARY_ROUTE, "supervision December summaries", [
        ("2025-12-11", "2025 summaries on time", lambda: later.summaries(2025, False)),
        ("2025-12-22", "2025 summaries late", lambda: later.summaries(2025, True))])
    add(ROUNDS_ROUTE, "assessment (the 2024 round and its bonuses)", [
        ("2025-01-20", "the 2024 assessment round", lambda: later.assessment(2024))])
    return steps


def _weekday(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def seeded(api: Api) -> bool:
    """The marker: this year's objected application (the seeder's last step) exists."""
    items = api.get("/api/v1/applications?status=objected&year=2026&page_size=500", "demo-center")["items"]
    return any(a.get("studio_name") == MARKER_STUDIO for a in items)


def seed_city(base_url: str, log=print) -> bool:
    """Seed the demo city once; True if it seeded now, False if it was there already."""
    api = Api(base_url)
    if seeded(api):
        log("demo city: already there (make clean-data to start again)")
        return False
    started = time.monotonic()
    log("demo city: seeding through the API (2021 … 2026; Ctrl-C is safe, the next run resumes) …")
    seeder = Seeder(api, log)
    try:
        seeder.run()
    finally:
        api.call("PUT", "/api/v1/admin/clock", "demo-admin", {"reset": True, "reason": "demo city seeded"})
    log(f"demo city: ready in {time.monotonic() - started:.0f} s"
        + (f"; skipped until their services land: {', '.join(seeder.skipped)}" if seeder.skipped else "")
        + (f"; not done: {', '.join(seeder.failed)}" if seeder.failed else ""))
    return True


if __name__ == "__main__":
    import sys
    seed_city(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
