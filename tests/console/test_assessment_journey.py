"""The city centre's assessment round through the console (R-14 … R-17), the unit's annual results
workbook fixed and stored (R-10, R-11), and a 1,000-row list that keeps the page responsive.

The studios a round needs (designated two full years ago) cannot be made in a browser test's
minutes through the UI, so the module's fixture makes them through the gateway's HTTP API as the
demo city does (``shared.demo_city``: units apply, districts recommend, the centre reviews, the
bureau designates, with the admin's DEMO_MODE clock walked through 2024 and 2025, and put back to
the session's start day after). Everything each test then checks is done in the browser only.
"""
from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from playwright.sync_api import expect

from shared.demo_city import Api, Plan, Seeder, Unit, _weekday, credit_code
from tests.console.conftest import START_DAY

pytestmark = [pytest.mark.console, pytest.mark.timeout(900)]   # the module's fixture designates six studios

# (user, tenant, unit name, address)
UNITS = [("unit-j19-dc-1", "dongcheng", "北京东城老字号食品有限公司", "北京市东城区前门大街8号"),
         ("unit-j19-hd-1", "haidian", "北京海淀精密仪器有限公司", "北京市海淀区学院路15号"),
         ("unit-j19-dc-2", "dongcheng", "北京东城景泰蓝工艺厂", "北京市东城区天坛路2号")]
AREA = {"dongcheng": "110101", "haidian": "110108"}
GRANT_FEN = 30_000_000


class City:
    """What the fixture made: the studios due (designated 2024), one not due (2025)."""

    def __init__(self, due: list[Plan], not_due: Plan):
        self.due, self.not_due = due, not_due

    @property
    def top(self) -> Plan:          # scored highest: excellent
        return self.due[0]

    @property
    def runner_up(self) -> Plan:    # also above the excellent line, held to pass by the 20 % cap
        return self.due[1]


def _units(api: Api) -> list[Unit]:
    made = []
    for n, (user, tenant, name, address) in enumerate(UNITS, start=41):
        unit = Unit(tenant, name, address, credit_code(f"9111{AREA[tenant][2:]}MA0{n:02d}DEMO0".replace("O", "0")[:17]))
        status, body = api._send("POST", f"/api/v1/tenants/{tenant}/units", "demo-admin",
                                 {"name": name, "credit_code": unit.code, "address": address,
                                  "contact": "人事部", "phone": f"010-6{n:03d}0000"})
        if status == 201:
            unit.id = body["id"]
        else:
            assert status == 409, body
            items = api.get(f"/api/v1/tenants/{tenant}/units?page_size=500", "demo-admin")["items"]
            unit.id = next(u["id"] for u in items if u["credit_code"] == unit.code)
        api.call("POST", "/api/v1/users", "demo-admin",
                 {"username": user, "password": "demo-pass", "role": "unit", "tenant_id": tenant,
                  "unit_id": unit.id, "display_name": name}, ok=(201, 409))
        unit.user = user
        made.append(unit)
    return made


def _designate(seeder: Seeder, plans: list[Plan], submitted_on: str) -> None:
    seeder.move_clock(submitted_on)
    for plan in plans:
        seeder.apply(plan)
    notice_on = _weekday(dt.date.fromisoformat(submitted_on) + dt.timedelta(days=35)).isoformat()
    seeder.move_clock(notice_on)
    end_on = max(seeder.advance(p, "in_notice", notice_on)["notice"]["end_on"] for p in plans)
    seeder.move_clock(_weekday(dt.date.fromisoformat(end_on) + dt.timedelta(days=1)).isoformat())
    for plan in plans:
        seeder.designate(plan)
    seeder.wait(lambda: seeder.accounts_open([p.studio_id for p in plans]), "the grants of the designated studios")


@pytest.fixture(scope="module")
def city(console_system) -> City:
    api = Api(console_system.base_url, timeout=60)
    seeder = Seeder(api, log=lambda line: None, seed="console-assessment-journey", first_seq=700)
    seeder.routes = set(api.get("/api/v1/openapi.json", None)["paths"])
    a, b, c = _units(api)
    try:
        due = [seeder.plan(f"j19-{i}", unit, "2024-03-01") for i, unit in enumerate((a, b, c, b, c))]
        _designate(seeder, due, "2024-03-01")
        # the two best studios used their city funds and matched them (R-22, R-23: filled-in indicators)
        for n, plan in enumerate(due[:2]):
            seeder.book(plan, 0, {"kind": "matching", "amount_fen": GRANT_FEN, "memo": "单位配套资金"})
            seeder.book(plan, 1, {"kind": "expenditure", "amount_fen": GRANT_FEN, "category": "training",
                                  "funding": "city", "unit_price_fen": 50_000, "memo": "徒弟技能培训"})
        not_due = seeder.plan("j19-late", c, "2025-03-03")
        _designate(seeder, [not_due], "2025-03-03")
    finally:   # the other journeys start on the session's day
        seeder._set_clock(START_DAY)
    return City(due, not_due)


@pytest.fixture(autouse=True)
def patient_expect():
    """The services answer slowly on this shared machine (opening a round asks three services for
    figures): assertions wait up to 30 s here, as actions do, and the default comes back after."""
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=5_000)


def _poll(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"


def field(scope, name: str):
    """An Element Plus input by its data-test (the attribute lands on the <input> itself)."""
    return scope.locator(f"input[data-test={name}], [data-test={name}] input")


def _tab(page, name: str):
    page.get_by_role("tab", name=name, exact=True).click()


def test_centre_runs_and_publishes_a_round_and_the_excellent_studio_sees_its_bonus(screen, city):
    """R-14 due list, add/remove with reasons, scorers, scores beside the filled-in indicators,
    R-16 preview (20 % cap), publish; R-17: the excellent studio's account gets 200,000 元."""
    centre = screen("1-centre").login("demo-center")
    page = centre.page
    page.get_by_role("menuitem", name="绩效考核").click()
    page.locator("[data-test=new-round]").click()
    dialog = page.get_by_role("dialog", name="新建考核轮次")
    expect(dialog.get_by_text("应考核 5 个")).to_be_visible()           # two full years since designation
    for plan in city.due:
        expect(dialog.get_by_role("cell", name=plan.studio_name)).to_be_visible()
    dialog.get_by_text(re.compile(r"暂不考核（\d+）")).click()
    expect(dialog.get_by_role("cell", name=city.not_due.studio_name)).to_be_visible()
    field(dialog, "round-budget").fill("400,000.00")   # budget: 2 bonuses; the 20 % cap binds
    centre.shot("centre-due-list")
    dialog.locator("[data-test=create-round]").click()
    studios = page.locator("[data-test=round-studios]")
    expect(studios.locator("tbody tr")).to_have_count(5)

    # -- add the studio designated in 2025 with a reason; remove a due one with a reason -----------
    page.locator("[data-test=add-round-studio]").click()
    form = page.locator("[data-test=add-studio-form]")
    form.locator("[data-test=add-studio-select]").click()
    page.locator(".el-select-dropdown__item", has_text=city.not_due.studio_name).click()
    form.locator("input[name='add-reason']").fill("经研究提前纳入本轮考核")
    page.locator("[data-test=add-studio-confirm]").click()
    expect(studios.locator("tbody tr")).to_have_count(6)
    expect(studios.locator("tbody tr", has_text=city.not_due.studio_name)).to_contain_text("经研究提前纳入本轮考核")
    leaving = city.due[4]
    studios.locator("tbody tr", has_text=leaving.studio_name).locator("[data-test=remove-round-studio]").click()
    box = page.locator(".el-message-box")
    box.locator("input").fill("领办人长期外派，暂缓考核")
    box.get_by_role("button", name="移出").click()
    expect(studios.locator("tbody tr")).to_have_count(5)
    expect(page.locator("[data-test=round-removed]")).to_contain_text("领办人长期外派，暂缓考核")
    in_round = [*city.due[:4], city.not_due]

    # -- scorers: every studio to demo-center ------------------------------------------------------
    for scorer in field(studios, "scorer").all():
        scorer.fill("demo-center")
    page.locator("[data-test=save-scorers]").click()
    expect(page.get_by_text("评分人分配已保存")).to_be_visible()
    centre.shot("centre-round-studios-and-scorers")

    # -- scores beside the filled-in indicators (sources: ledger, reporting, supervision) -----------
    _tab(page, "评分")
    sheets = page.locator("[data-test=score-sheet]")
    expect(sheets).to_have_count(5)
    top_sheet = sheets.filter(has_text=city.top.studio_name)
    filled = top_sheet.locator("[data-test=filled-in]")
    expect(filled).to_contain_text("市级资助资金使用进度")
    expect(filled).to_contain_text("专门账目")
    expect(filled.locator("tbody tr", has_text="市级资助资金使用进度")).to_contain_text("100")   # 300,000 of 300,000 used
    page.get_by_role("button", name="重新取数").click()          # every source answers: a plain success
    expect(page.locator(".el-message--success", has_text="已重新取数")).to_be_visible()
    expect(sheets).to_have_count(5)
    centre.shot("centre-filled-in-indicators")
    shares = {city.top.studio_id: 95, city.runner_up.studio_id: 92}
    for plan in in_round:
        sheet = sheets.filter(has_text=plan.studio_name)
        for score in sheet.locator(".el-input-number input").all():
            score.fill(str(shares.get(plan.studio_id, 70)))
            score.press("Tab")
        put = f"/scores/{plan.studio_id}"
        with page.expect_response(lambda r, put=put: r.request.method == "PUT" and put in r.url) as saved:
            sheet.locator("[data-test=save-scores]").click()
        assert saved.value.status == 200, saved.value.text()
    centre.shot("centre-scores-entered")

    # -- grade preview: two above the line, one excellent (20 % of 5 studios) -------------------------
    _tab(page, "等级预览")
    summary = page.locator("[data-test=grade-summary]")
    expect(summary).to_contain_text("参评 5 个")
    expect(summary).to_contain_text("优秀名额上限 1（20% 比例 1，预算 2）")
    expect(summary).to_contain_text("优秀 1")
    preview = page.locator("[data-test=grade-preview]")
    expect(preview.locator("tbody tr").first).to_contain_text(city.top.studio_name)
    expect(preview.locator("tbody tr", has_text=city.top.studio_name)).to_contain_text("优秀")
    expect(preview.locator("tbody tr", has_text=city.runner_up.studio_name)).to_contain_text("超出优秀名额（1 个")
    centre.shot("centre-grade-preview")

    # -- publish ---------------------------------------------------------------------------------------
    page.locator("[data-test=publish-round]").click()
    page.locator(".el-message-box").get_by_role("button", name="发布").click()
    expect(page.get_by_text("考核结果已发布")).to_be_visible()
    results = page.locator("[data-test=results]")
    expect(results.locator("tbody tr", has_text=city.top.studio_name)).to_contain_text("奖励资金")
    centre.shot("centre-results-published")

    # -- the excellent studio's unit sees the 200,000 元 bonus in its account (R-17) ------------------
    unit = screen("2-unit").login(city.top.unit.user)
    unit.go(f"/studios/{city.top.studio_id}?tab=account")
    received = unit.page.locator("[data-test=city-received]")
    expect(received).to_be_visible()

    def bonus_booked() -> bool:   # the ledger books it from assessment.graded
        if "500,000.00" in received.inner_text():
            return True
        unit.page.reload()
        received.wait_for()
        return False
    _poll(bonus_booked, 60, "the bonus in the studio's account")
    expect(unit.page.get_by_text("追加 200,000.00")).to_be_visible()
    entries = unit.page.locator("[data-test=entries]")
    expect(entries.locator("tbody tr", has_text="市级追加资助")).to_contain_text("200,000.00")
    unit.shot("unit-account-with-bonus")
    unit.page.get_by_role("menuitem", name="绩效考核").click()
    unit.page.locator("[data-test=open-round]").first.click()
    expect(unit.page.locator("[data-test=results]")).to_contain_text("优秀")
    expect(unit.page.locator("[data-test=results] tbody tr")).to_have_count(1)   # its own studio only
    unit.shot("unit-sees-its-result")


def _field_row(sheet, label: str) -> int:
    return next(r for r in range(1, sheet.max_row + 1) if str(sheet.cell(r, 1).value or "").startswith(label))


def test_unit_fixes_its_annual_results_workbook_and_the_district_sees_the_stored_report(screen, city, tmp_path,
                                                                                       console_system):
    """R-10/R-11: the results workbook with a bad cell answers that cell and the marked workbook;
    fixed and uploaded again it is stored (a draft, version 1) and compared with the plan's target
    before it is submitted; submitted, the district sees and accepts it on its 年度报告 list."""
    import openpyxl
    plan = city.due[4]
    unit = screen("1-unit").login(plan.unit.user)
    unit.go(f"/studios/{plan.studio_id}?tab=reports")
    rows = unit.page.locator("[data-test=report-rows]")
    expect(rows).to_contain_text("年度总结（成果）")
    with unit.page.expect_download() as download:
        unit.page.locator("[data-test=results-template]").click()
    template = tmp_path / download.value.suggested_filename
    download.value.save_as(template)

    book = openpyxl.load_workbook(template)
    info = book["基本信息"]
    assert info.cell(_field_row(info, "报告类型"), 2).value == "年度工作总结"   # pre-filled for results
    assert info.cell(_field_row(info, "工作室编号"), 2).value == plan.studio_id
    info.cell(_field_row(info, "经济效益"), 2).value = 125000.5
    info.cell(_field_row(info, "工作综述"), 2).value = "全年完成数控主轴异响攻关，带徒三名。"
    detail = book["明细"]
    year = info.cell(_field_row(info, "年度"), 2).value
    # the year's plan the results answer to: two technical problems to solve
    api = Api(console_system.base_url, timeout=60)
    api.call("PUT", f"/api/v1/studios/{plan.studio_id}/reports/{year}/plan", plan.unit.user,
             {"items": [{"output": "problems_solved", "title": "主轴攻关", "quantity": 2}],
              "economic_benefit_fen": 0, "narrative": "年度计划"})
    api.post(f"/api/v1/studios/{plan.studio_id}/reports/{year}/plan/submit", plan.unit.user)
    for col, value in enumerate(("技能研发", "解决技术难题", "数控主轴异响攻关", "三项", dt.date(year, 6, 18),
                                 plan.master["name"], None, "车间攻关"), start=1):
        detail.cell(2, col).value = value
    bad = tmp_path / "年度总结-有误.xlsx"
    book.save(bad)

    upload = unit.page.locator("[data-test=file-input]").nth(1)
    upload.set_input_files(str(bad))
    problems = unit.page.locator(".errors-table")
    expect(problems).to_contain_text("上传失败")
    expect(problems.locator("tbody tr", has_text="明细!D2")).to_contain_text("数量")
    unit.shot("results-workbook-bad-cell")
    with unit.page.expect_download() as marked:
        problems.locator("[data-test=error-workbook]").click()
    marked_path = tmp_path / "marked.xlsx"
    marked.value.save_as(marked_path)
    assert openpyxl.load_workbook(marked_path)["明细"]["D2"].comment is not None   # the bad cell, commented
    expect(rows.locator("tbody tr", has_text="年度总结（成果）")).to_contain_text("未填报")   # nothing stored

    detail["D2"].value = 3
    fixed = tmp_path / "年度总结.xlsx"
    book.save(fixed)
    upload.set_input_files(str(fixed))
    expect(unit.page.get_by_text("工作簿已导入为草稿")).to_be_visible()
    expect(problems).to_have_count(0)
    results_row = rows.locator("tbody tr", has_text="年度总结（成果）")
    expect(results_row).to_contain_text("草稿")
    targets = unit.page.locator("[data-test=targets]")
    expect(unit.page.get_by_text("按草稿对照")).to_be_visible()          # met before it is submitted
    planned = targets.locator("tbody tr", has_text="年度计划")          # the plan's one target: 2 problems
    expect(planned).to_contain_text("解决技术难题")
    expect(planned).to_contain_text("已完成")                           # 3 solved
    unit.shot("results-draft-against-the-plan")
    results_row.locator("[data-test=submit-results]").click()
    expect(results_row).to_contain_text("已提交")
    expect(results_row.locator("td").nth(2)).to_have_text("1")    # the first submitted version
    unit.shot("results-stored-and-submitted")

    district = screen("2-district").login("demo-dongcheng")
    district.page.get_by_role("menuitem", name="年度报告").click()
    listed = district.page.get_by_role("row", name=re.compile(re.escape(plan.studio_name)))
    expect(listed).to_contain_text("已提交")
    district.shot("district-reports-list")
    listed.get_by_role("link", name=plan.studio_name).click()
    studio_rows = district.page.locator("[data-test=report-rows] tbody tr", has_text="年度总结（成果）")
    studio_rows.get_by_role("button", name="接收").click()
    expect(studio_rows).to_contain_text("已接收")
    district.shot("district-accepted-results")


# main-thread blocks while a screen renders: the browser's long tasks (> 50 ms) and the gaps
# between animation frames (a heartbeat that stops while the page is frozen)
WATCH_BLOCKS = """
window.__blocks = [];
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__blocks.push({ kind: 'longtask', at: e.startTime, ms: e.duration });
  }).observe({ type: 'longtask', buffered: true });
} catch (e) { window.__noLongtask = String(e); }
(() => {
  let last = performance.now();
  const beat = (t) => { if (t - last > 50) window.__blocks.push({ kind: 'frame', at: last, ms: t - last }); last = t; requestAnimationFrame(beat); };
  requestAnimationFrame(beat);
})();
"""
BLOCK_BOUND_MS = 1500   # generous: this machine is shared (load 6–15 on 2 cores); a frozen page is seconds


def _blocks_since(page, since: float) -> list[dict]:
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    return page.evaluate("(since) => window.__blocks.filter((b) => b.at + b.ms >= since)", since)


def _worst(blocks: list[dict]) -> float:
    return max((b["ms"] for b in blocks), default=0.0)


def _page_size(page, within: str, table, size: int) -> float:
    """The pager under ``within`` set to ``size`` a page; the longest block until the rows are there."""
    since = page.evaluate("performance.now()")
    page.locator(f"{within} .pager .el-select").click()
    page.locator(".el-select-dropdown__item:visible", has_text=f"{size}条/页").click()
    expect(table.locator("tbody tr")).to_have_count(size)
    return _worst(_blocks_since(page, since))


def test_a_reconciliation_of_1000_studios_renders_paged_and_filterable_without_freezing(screen, city, console_system):
    """Issue 19's "a list of 1,000 rows renders without freezing the page": finance's reconciliation
    lists every studio of the year. A thousand studios cannot be designated in a test's minutes
    (R-7 allows ten a year), so the answer is the real reconciliation of 2024 from the running
    system with its studio rows repeated to 1,000 (route-intercepted, same shape); the screen pages
    and filters them, and the main thread is not blocked for long while they arrive: measured while
    the list re-renders after 查询, against the same screen re-rendering the real 5 studios in the
    same run (the machine is shared, so a bound alone would measure the machine)."""
    import json
    real = Api(console_system.base_url).get("/api/v1/ledger/reconciliation?year=2024", "demo-finance")
    assert real["studios"], real
    rows = []
    for i in range(1000):
        row = dict(real["studios"][i % len(real["studios"])])
        row.update(studio_id=f"{row['studio_id']}-{i:04d}", studio_name=f"{row['studio_name']}（第{i + 1:04d}号）")
        rows.append(row)
    answer = {"body": json.dumps(real)}
    finance = screen("finance")
    page = finance.page
    page.add_init_script(WATCH_BLOCKS)
    page.route(re.compile(r".*/api/v1/ledger/reconciliation\?.*"),
               lambda route: route.fulfill(status=200, content_type="application/json", body=answer["body"]))
    finance.login("demo-finance")
    page.get_by_role("menuitem", name="资金对账").click()
    table = page.locator("[data-test=reconciliation-studios]")
    expect(table.locator("tbody tr")).to_have_count(len(real["studios"]))
    page.wait_for_load_state("networkidle")

    def render(expected_rows: int, first: str) -> float:
        """查询 again; the longest main-thread block until the table shows the answer."""
        since = page.evaluate("performance.now()")
        page.get_by_role("button", name="查询").click()
        expect(table.locator("tbody tr")).to_have_count(expected_rows)
        expect(table.locator("tbody tr").first).to_contain_text(first)
        return _worst(_blocks_since(page, since))

    baseline = render(len(real["studios"]), real["studios"][0]["studio_name"])
    answer["body"] = json.dumps({**real, "studios": rows})
    worst = render(20, "（第0001号）")
    expect(page.get_by_text("共 1000 条")).to_be_visible()
    finance.shot("reconciliation-1000-studios-paged")

    # filterable: one studio of the thousand by its name; then page 50 of 50
    field(page, "studio-filter").fill("第0417号")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("（第0417号）")
    field(page, "studio-filter").fill("")
    expect(page.get_by_text("共 1000 条")).to_be_visible()
    page.locator(".el-pager li", has_text=re.compile(r"^50$")).click()
    expect(table).to_contain_text("（第1000号）")
    finance.shot("reconciliation-last-page")

    # for comparison in the same run: the pager's largest page (100: a page of 500 froze the page
    # for 1.5 s at load 6 and 6.6 s at load 20, so the pager no longer offers it)
    worst_100 = _page_size(page, "#pane-reconciliation", table, 100)
    print(f"\nlongest main-thread block after 查询: {len(real['studios'])} studios {baseline:.0f} ms; 1,000 studios "
          f"paged by 20 {worst:.0f} ms; then a page of 100 rows {worst_100:.0f} ms")
    assert worst < max(BLOCK_BOUND_MS, 3 * baseline), (worst, baseline)


@pytest.fixture(scope="module")
def thousand_entries(city, console_system) -> tuple[Plan, float]:
    """1,000 bookings of one studio's unit through the API (900 matching, 100 expenditures); the seconds it took."""
    plan = city.due[3]
    seeder = Seeder(Api(console_system.base_url, timeout=60), log=lambda line: None)
    started = time.monotonic()

    def book(n: int) -> None:
        body = ({"kind": "expenditure", "amount_fen": 1_000 + n, "category": "training", "funding": "matching",
                 "unit_price_fen": 1_000, "memo": f"培训耗材 第{n:04d}笔"} if n % 10 == 9 else
                {"kind": "matching", "amount_fen": 10_000 + n, "memo": f"单位配套资金 第{n:04d}笔"})
        seeder.book(plan, 1000 + n, body)
    for n in range(1000):   # one account: its bookings are serial (concurrent ones answer 409 busy)
        book(n)
    return plan, time.monotonic() - started


def test_an_account_with_1000_entries_filled_through_the_api_pages_and_filters_without_freezing(screen, thousand_entries):
    """The same question on a list the API really fills: a studio's account with 1,001 entries
    (paged by the API, 20 a page; filtered by kind). The page of 100 is measured and printed for
    comparison, not asserted: on this shared machine it takes 0.6 s at load 9 and more when busier."""
    plan, seconds = thousand_entries
    print(f"\n1,000 bookings through the API: {seconds:.0f} s")
    unit = screen("unit")
    page = unit.page
    page.add_init_script(WATCH_BLOCKS)
    unit.login(plan.unit.user)
    unit.go(f"/studios/{plan.studio_id}?tab=account")
    entries = page.locator("[data-test=entries]")
    expect(entries.locator("tbody tr")).to_have_count(20)
    expect(page.get_by_text("共 1001 条")).to_be_visible()
    page.wait_for_load_state("networkidle")
    since = page.evaluate("performance.now()")
    page.locator(".el-pager li", has_text=re.compile(r"^2$")).first.click()
    expect(entries.locator("tbody tr")).to_have_count(20)
    baseline = _worst(_blocks_since(page, since))
    unit.shot("account-1001-entries")

    page.locator("[data-test=account] .el-select").first.click()
    page.locator(".el-select-dropdown__item:visible", has_text="支出").click()
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_text("共 100 条")).to_be_visible()
    expect(entries.locator("tbody tr").first).to_contain_text("培训耗材")
    unit.shot("account-expenditures-only")

    worst = _page_size(page, "[data-test=account]", entries, 100)
    print(f"longest main-thread block: a page of 20 entries {baseline:.0f} ms; then a page of 100 {worst:.0f} ms")
    assert baseline < BLOCK_BOUND_MS, baseline   # the list as it opens (20 a page) never freezes the page
