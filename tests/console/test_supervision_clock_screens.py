"""Console gaps of the supervision screens and the admin's demo clock, through the UI against the
real services (R-12): the inspection form picks one of the district's own studios; every figure of
the annual summary has a Chinese label (money in 元); the city sets a year's summary due date; the
admin moves the DEMO_MODE clock and resets it (and the screen is disabled outside DEMO_MODE).

A studio of 东城区 is made first through the gateway's HTTP API as the demo users would
(shared/demo_city.py: apply, recommend, review, notice, the clock moved past it, designate)."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from shared.demo_city import Api, Seeder, Unit
from tests.support.waiting import wait_for

# the first test of a run also starts the system and makes a studio (apply … designate over HTTP)
pytestmark = [pytest.mark.console, pytest.mark.timeout(300)]

MONEY = re.compile(r"^-?\d{1,3}(,\d{3})*\.\d{2}$")
SLOW = 30_000   # ms: what waits on the services (a draft built from three of them), on a loaded machine
SHOWN_ELSEWHERE = {"funds.matching_ratio_bp"}   # its row is 累计配套比例 (funds.matching_ratio)


def _clock_days(api: Api) -> set[str]:
    """Every service's day (one when they agree; a move reaches each service by its broadcast)."""
    return {s.get("today") for s in api.get("/api/v1/admin/clock", "demo-admin")["services"].values()}


def _clock_today(api: Api) -> str:
    """The day every service agrees on (a move still on its way to one of them is waited for)."""
    days = wait_for(lambda: d if len(d := _clock_days(api)) == 1 else None, timeout=60,
                    message="every service's clock on the same day")
    return days.pop()


@pytest.fixture(scope="module")
def dongcheng_studio(console_system):
    """One designated studio of 东城区 (demo-unit-a's unit), made over HTTP; the clock is left at
    the designation day (30 days after the notice started)."""
    api = Api(console_system.base_url)
    seeder = Seeder(api, log=lambda line: None, seed="console-clock-screens", first_seq=900)
    today = _clock_today(api)
    seeder.today = today
    unit = Unit("dongcheng", "北京东城精工制造有限公司", "北京市东城区和平里东街1号", "", id="unit-dc-jinggong",
                user="demo-unit-a")
    plan = seeder.plan("console19-picker", unit, today)
    seeder.apply(plan)
    seeder.advance(plan, "in_notice", today)
    seeder._set_clock((dt.date.fromisoformat(today) + dt.timedelta(days=30)).isoformat())
    seeder.designate(plan)
    # supervision knows the studio from registry's events: the district's studio list has it
    wait_for(lambda: any(s["id"] == plan.studio_id for s in
                         api.get("/api/v1/studios?page_size=500", "demo-dongcheng")["items"]),
             message="the designated studio in 东城区's list")
    return {"id": plan.studio_id, "name": plan.studio_name, "today": seeder.today}


def _leaf_keys(figures: dict, path: tuple = ()) -> dict:
    """{dotted path: value} of every figure the API returned (a source that did not answer is one key)."""
    keys = {}
    for k, v in figures.items():
        here = (*path, k)
        if isinstance(v, dict) and v.get("available") is not False:
            keys.update(_leaf_keys(v, here))
        else:
            keys[".".join(here)] = v
    return keys


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def test_district_records_an_inspection_picking_one_of_its_own_studios_r12(screen, dongcheng_studio):
    district = screen("district-inspection-picker").login("demo-dongcheng")
    district.go("/supervision")
    expect(district.page.locator("[data-test=inspections]")).to_be_visible()
    district.page.locator("[data-test=new-inspection]").click()
    dialog = district.page.get_by_role("dialog", name="登记监督检查")
    expect(dialog).to_be_visible()
    picker = dialog.locator("[data-test=insp-studio]")
    picker.click()
    options = district.page.locator(".el-select-dropdown__item:visible")
    expect(options.first).to_be_visible(timeout=SLOW)
    names = options.all_inner_texts()
    assert any(dongcheng_studio["name"] in t and dongcheng_studio["id"] in t for t in names), names
    district.shot("studio-picker-open")
    # filterable: typing part of the studio id leaves only the matching studio
    picker.locator("input").fill(dongcheng_studio["id"][-6:])
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text(dongcheng_studio["name"])
    options.first.click()
    expect(picker).to_contain_text(dongcheng_studio["name"])
    on = dialog.get_by_role("combobox", name="检查日期")   # the system's (demo) day, not the browser's
    on.fill(dongcheng_studio["today"])
    on.press("Enter")
    dialog.get_by_placeholder("多人以逗号或顿号分隔").fill("王检查、李督导")
    dialog.locator(".el-checkbox", has_text="活动开展").click()
    dialog.locator(".el-checkbox", has_text="资金使用").click()
    dialog.get_by_role("button", name="添加整改事项").click()
    dialog.get_by_placeholder("整改要求").fill("完善徒弟培养台账")
    due = dialog.get_by_placeholder("整改期限")
    due.fill((dt.date.fromisoformat(dongcheng_studio["today"]) + dt.timedelta(days=30)).isoformat())
    due.press("Enter")
    district.shot("inspection-form-filled")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog).to_be_hidden(timeout=SLOW)
    table = district.page.locator("[data-test=inspections]")
    expect(table).to_contain_text(dongcheng_studio["name"], timeout=SLOW)
    expect(table).to_contain_text("活动开展、资金使用")
    district.shot("inspection-recorded")


def test_every_figure_of_the_annual_summary_has_a_chinese_label_r12(screen, dongcheng_studio):
    district = screen("district-summary-figures").login("demo-dongcheng")
    district.page.locator("[data-test=menu] .el-menu-item", has_text="年度工作总结").click()
    district.page.wait_for_url(re.compile(r".*/summaries$"))
    build = district.page.locator("[data-test=build-summary]")
    exported = district.page.locator("[data-test=export-summary]")
    expect(build.or_(exported).first).to_be_visible(timeout=SLOW)
    if build.is_visible():   # not yet submitted (another test of this run may have): build the draft now
        build.click()
        expect(district.page.locator("[data-test=summary-status]")).to_contain_text("草稿", timeout=SLOW)
    year = district.page.locator(".el-input-number input").first.input_value()
    summary = district.page.evaluate(
        """async (year) => {
             const r = await fetch(`/api/v1/tenants/dongcheng/summaries/${year}`,
               { headers: { Authorization: 'Bearer ' + sessionStorage.getItem('skillmaster.token') } })
             return await r.json() }""", year)
    figures = _leaf_keys(summary["figures"])
    assert "reports.agreement.accepted" in figures and "funds.spent_fen" in figures, figures   # every source answered
    district.page.get_by_role("button", name="汇总数据").click()
    labels = district.page.locator("[data-test=summary-figures] [data-test=figure-label]")
    expect(labels.first).to_be_visible()
    shown = {}
    for cell in labels.all():
        shown[cell.get_attribute("data-key")] = (cell.get_attribute("data-labelled"), cell.inner_text())
    missing = set(figures) - SHOWN_ELSEWHERE - set(shown)
    assert not missing, f"figures the API returned but the screen does not show: {sorted(missing)}"
    unlabelled = {k: t for k, (flag, t) in shown.items() if flag != "yes" or re.search(r"[A-Za-z_]", t)}
    assert not unlabelled, f"figures without a Chinese label: {unlabelled}"
    for key, value in figures.items():   # money in 元, two decimals, thousands separators
        if key.endswith("_fen"):
            text = district.page.locator(f"[data-test=summary-figures] [data-figure='{key}']").inner_text()
            assert MONEY.match(text) and text == _yuan(value), (key, value, text)
    if summary["state"] == "draft":   # built after the studio's designation: its 300,000 元 grant
        funds = district.page.locator("[data-test=summary-figures] [data-figure='funds.city_received_fen']")
        expect(funds).to_have_text(re.compile(r"^[1-9]\d{0,2}(,\d{3})+\.\d{2}$"))
    district.page.get_by_role("button", name=re.compile("工作室明细")).click()
    headers = district.page.locator(".el-collapse-item").filter(has_text="工作室明细").locator("th")
    expect(headers.first).to_be_visible()
    english = [h for h in headers.all_inner_texts() if re.search(r"[A-Za-z_]", h)]
    assert not english, english
    district.shot("summary-figures")


def test_the_city_sets_a_years_summary_due_date_r12(screen):
    centre = screen("centre-due-date").login("demo-center")
    centre.go("/summaries")
    board = centre.page.locator("#pane-board")
    expect(board.locator("[data-test=summaries-board]")).to_be_visible()
    board.locator(".el-input-number input").fill("2027")
    board.get_by_role("button", name="查询").click()
    due = board.locator("[data-test=year-due-on]")
    expect(due).to_have_text("2027 年度截止日期：2027-12-15", timeout=SLOW)   # the default
    board.locator("[data-test=set-due-date]").click()
    dialog = centre.page.get_by_role("dialog", name="设置年度工作总结截止日期")
    expect(dialog).to_be_visible()
    date_input = dialog.get_by_placeholder("默认 12 月 15 日")
    date_input.fill("2027-12-18")
    date_input.press("Enter")
    centre.shot("due-date-dialog")
    dialog.locator("[data-test=save-due-date]").click()
    expect(dialog).to_be_hidden(timeout=SLOW)
    expect(due).to_have_text("2027 年度截止日期：2027-12-18", timeout=SLOW)
    expect(board.locator("[data-test=summaries-board]")).to_contain_text("2027-12-18")
    centre.shot("due-date-set")
    # finance reads the board but may not set the date (the API refuses it too): no button
    finance = screen("finance-due-date").login("demo-finance")
    finance.go("/summaries")
    expect(finance.page.locator("[data-test=summaries-board]")).to_be_visible(timeout=SLOW)
    expect(finance.page.locator("[data-test=set-due-date]")).to_have_count(0)


def test_admin_moves_the_demo_clock_and_resets_it(screen, console_system):
    api = Api(console_system.base_url)
    before = _clock_today(api)
    try:
        admin = screen("admin-clock").login("demo-admin")
        admin.page.locator("[data-test=menu] .el-menu-item", has_text="演示时钟").click()
        admin.page.wait_for_url(re.compile(r".*/admin/clock$"))
        expect(admin.page.locator("[data-test=demo-only-note]")).to_contain_text("仅在演示模式（DEMO_MODE）下可用")
        expect(admin.page.locator("[data-test=clock-now]")).to_contain_text(before, timeout=SLOW)
        clock_input = admin.page.get_by_placeholder("选择日期时间")
        clock_input.fill("2026-12-20 10:30:00")
        clock_input.press("Enter")
        admin.page.locator("[data-test=set-clock]").click()
        admin.page.locator(".el-message-box").get_by_role("button", name="确定").click()
        expect(admin.page.locator("[data-test=clock-now]")).to_contain_text(re.compile(r"2026-12-20 10:3\d"), timeout=SLOW)
        wait_for(lambda: _clock_days(api) == {"2026-12-20"}, timeout=60, message="every service on 2026-12-20")
        admin.page.get_by_role("button", name="刷新").click()
        rows = admin.page.locator("[data-test=service-clocks] tbody tr")
        expect(rows.first).to_be_visible()
        for i in range(rows.count()):   # every service, as the refreshed answer reads
            expect(rows.nth(i)).to_contain_text("2026-12-20", timeout=SLOW)
        admin.shot("clock-moved")
        admin.page.locator("[data-test=reset-clock]").click()
        admin.page.locator(".el-message-box").get_by_role("button", name="确定").click()
        expect(admin.page.locator("[data-test=clock-now]")).not_to_contain_text("2026-12-20", timeout=SLOW)
        expect(admin.page.locator("[data-test=clock-now]")).to_contain_text("2026-09-28")   # CLOCK_TODAY of the run
        expect(admin.page.locator("[data-test=clock-agree]")).to_have_text("一致", timeout=SLOW)   # every service
        admin.shot("clock-reset")
        # not an admin: no menu entry, and the page is not found
        centre = screen("centre-no-clock").login("demo-center")
        expect(centre.page.locator("[data-test=menu]")).not_to_contain_text("演示时钟")
        centre.go("/admin/clock")
        expect(centre.page.get_by_text("未找到").first).to_be_visible()
    finally:   # later tests of the run find the clock where it was
        if _clock_days(api) != {before}:
            console_system.set_today(before)


def test_the_clock_screen_is_disabled_outside_demo_mode(screen):
    """The screen follows the API's demo_mode (the real answer, its flag turned off here: this run
    is in DEMO_MODE): a note says why, and nothing can be moved."""
    admin = screen("admin-clock-not-demo").login("demo-admin")

    def not_demo(route):
        response = route.fetch()
        body = response.json()
        body["demo_mode"] = False
        route.fulfill(response=response, json=body)

    admin.page.route("**/api/v1/admin/clock", not_demo)
    admin.go("/admin/clock")
    expect(admin.page.locator("[data-test=not-demo-mode]")).to_contain_text("未启用演示模式", timeout=SLOW)
    expect(admin.page.locator("[data-test=set-clock]")).to_be_disabled()
    expect(admin.page.locator("[data-test=reset-clock]")).to_be_disabled()
    admin.shot("clock-not-demo-mode")
