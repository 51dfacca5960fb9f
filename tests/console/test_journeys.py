"""Journeys through the console only (Playwright + Debian's Chromium), one per kind of user, on
the whole running system. Each saves screenshots of its key screens (see conftest.py)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.registry.forms import PDF, id_number

pytestmark = pytest.mark.console

CITY_MENU = ("首页看板", "年度报告", "拟认定排序", "资金对账", "工作日历", "死信队列", "服务状态", "用户管理", "单位管理")
_found: dict[str, str] = {}


def menu_texts(screen) -> list[str]:
    return [t.strip() for t in screen.page.locator("[data-test=menu] .el-menu-item").all_inner_texts()]


def fill_date(page, name: str, value: str):
    field = page.locator(f"input[name='{name}']")
    field.click()
    field.fill(value)
    field.press("Enter")


def dialog_confirm(page):
    page.locator("[data-test=dialog-confirm]").click()


def expect_status(page, text: str):
    expect(page.locator("[data-test=status]")).to_have_text(text)


def test_unit_applies_district_recommends_centre_reviews_bureau_designates_unit_spends(screen, console_system):
    """R-1…R-9 through the screens, then the 300,000 元 grant (R-21) and an expenditure with its
    fixed-asset registration (R-22)."""
    # -- the unit fills in 附件1, uploads the certificate and submits --------------------------
    unit = screen("1-unit").login("demo-unit-a")
    assert not set(menu_texts(unit)) & set(CITY_MENU), menu_texts(unit)
    unit.shot("unit-home")
    unit.page.get_by_role("menuitem", name="申报管理").click()
    unit.page.locator("[data-test=new-application]").click()
    page = unit.page
    page.locator("input[name='master.name']").fill("郑师傅")
    fill_date(page, "master.birth_month", "1975-03")
    page.locator("input[name='master.id_number']").fill(id_number("1975-03-15", "M"))
    page.locator("input[name='master.occupation']").fill("数控铣工（控制台）")
    page.locator("input[name='master.certificate_no']").fill("ZS-2015-000777")
    fill_date(page, "master.certificate_date", "2015-06-30")
    page.locator("input[name='studio_address']").fill("北京市东城区和平里东街1号2号楼")
    for i in range(3):
        page.locator(f"input[name='team.{i}.name']").fill(f"队员{i + 1}")
        page.locator(f"input[name='team.{i}.role']").fill("技术骨干")
    conditions = page.locator("label.el-checkbox:has(input[name^='conditions.'])")
    assert conditions.count() == 5
    for box in conditions.all():
        box.click()
    expect(page.locator("label.el-checkbox.is-checked:has(input[name^='conditions.'])")).to_have_count(5)
    unit.shot("application-form")
    page.locator("[data-test=save-application]").click()
    page.wait_for_url(re.compile(r".*/applications/[^/]+$"))
    expect_status(page, "草稿")
    application_url = page.url
    page.locator("[data-test=file-input]").set_input_files(
        {"name": "职业资格证书.pdf", "mimeType": "application/pdf", "buffer": PDF})
    expect(page.locator("[data-test=materials]")).to_contain_text("职业资格证书.pdf")
    unit.shot("application-draft-with-material")
    page.locator("[data-test=submit]").click()
    expect_status(page, "已提交")
    unit.shot("application-submitted")

    # -- the district recommends with its signed opinion --------------------------------------
    district = screen("2-district").login("demo-dongcheng")
    district.page.get_by_role("menuitem", name="申报管理").click()
    expect(district.page.locator("[data-test=applications-table]")).to_contain_text("郑师傅")
    district.shot("district-queue")
    district.page.get_by_role("link", name=re.compile("郑师傅")).click()
    district.page.locator("[data-test=recommend]").click()
    district.page.locator("input[name='signed_by']").fill("东城区人社局 李科长")
    dialog_confirm(district.page)
    expect_status(district.page, "已推荐")
    district.shot("district-recommended")

    # -- the centre records the four review stages and starts the notice ----------------------
    centre = screen("3-centre").login("demo-center")
    centre.shot("centre-dashboard")
    centre.page.get_by_role("menuitem", name="申报管理").click()
    expect(centre.page.locator("[data-test=applications-table]")).to_contain_text("郑师傅")
    centre.shot("centre-review-queue")
    centre.page.get_by_role("link", name=re.compile("郑师傅")).click()
    for stage, status in (("材料审核", "评审中"), ("实地考察", "评审中"), ("专家评审", "评审中"), ("综合评议", "拟认定")):
        centre.page.locator("[data-test=review]").filter(has_text=stage).click()
        dialog_confirm(centre.page)
        expect(centre.page.locator(".el-steps")).to_be_visible()
        expect_status(centre.page, status)
    centre.page.locator("[data-test=start-notice]").click()
    dialog_confirm(centre.page)
    expect_status(centre.page, "公示中")
    expect(centre.page.get_by_role("cell", name=re.compile("2026-09-28 至 2026-10-09"))).to_be_visible()
    centre.shot("centre-notice-started")

    # -- after the notice the bureau designates (the clock moved to the next working day) -----
    console_system.set_today("2026-10-12")
    bureau = screen("4-bureau").login("demo-bureau")
    bureau.go(application_url.replace(console_system.base_url, ""))
    bureau.page.locator("[data-test=designate]").click()
    bureau.page.locator("input[name='note']").fill("经公示无异议，予以认定")
    dialog_confirm(bureau.page)
    expect_status(bureau.page, "已认定")
    expect(bureau.page.get_by_text("牌匾编号")).to_be_visible()
    bureau.shot("bureau-designated")
    bureau.page.get_by_role("link", name="查看工作室").click()
    bureau.page.wait_for_url(re.compile(r".*/studios/[^/]+$"))
    studio_path = bureau.page.url.replace(console_system.base_url, "")
    _found["dongcheng_studio"] = studio_path

    # -- the unit sees the 300,000 元 grant and books an expenditure with a fixed asset ---------
    unit.page.get_by_role("menuitem", name="我的工作室").click()
    expect(unit.page.locator("[data-test=studios-table]")).to_contain_text("郑师傅")
    unit.shot("unit-my-studios")
    unit.go(studio_path + "?tab=account")
    for _ in range(30):  # the grant is booked by the ledger from studio.designated
        if unit.page.locator("[data-test=city-received]").count() and "300,000.00" in unit.page.locator("[data-test=city-received]").inner_text():
            break
        unit.page.wait_for_timeout(500)
        unit.page.reload()
    expect(unit.page.locator("[data-test=city-received]")).to_contain_text("300,000.00")
    unit.shot("unit-account-granted")
    unit.page.locator("[data-test=book-expenditure]").click()
    form = unit.page.locator("[data-test=booking-form]")
    form.locator("input[name='amount']").fill("12,800.00")
    form.locator("input[name='memo']").fill("购置数控实训台")
    expect(form.get_by_text("须登记固定资产")).to_be_visible()
    form.locator("input[name='asset_tag']").fill("ZC-2026-001")
    form.locator("input[name='asset_name']").fill("数控实训台")
    form.locator("input[name='location']").fill("实训车间二层")
    unit.shot("unit-booking-form")
    unit.page.locator("[data-test=book-confirm]").click()
    expect(unit.page.locator("[data-test=entries]")).to_contain_text("12,800.00")
    expect(unit.page.locator("[data-test=balance]")).to_contain_text("287,200.00")
    unit.shot("unit-account-after-expenditure")


def test_another_district_opening_the_studio_by_url_sees_not_found(screen):
    """Tenant scope: a studio of 东城区 opened by 海淀区 answers 404, shown as 未找到."""
    path = _found.get("dongcheng_studio", "/studios/no-such-studio")
    haidian = screen("haidian").login("demo-haidian")
    haidian.go(path)
    expect(haidian.page.locator("[data-test=not-found]")).to_contain_text("未找到")
    haidian.shot("haidian-opens-dongcheng-studio")


def test_a_unit_sees_no_city_menu_and_city_screens_are_not_found(screen):
    unit = screen("unit").login("demo-unit-b")
    texts = menu_texts(unit)
    assert "我的工作室" in texts and "申报管理" in texts
    assert not set(texts) & set(CITY_MENU), texts
    unit.go("/dashboard")
    expect(unit.page.get_by_role("main").get_by_text("未找到")).to_be_visible()
    unit.shot("unit-opens-dashboard")


def test_login_drops_the_token_on_401_and_unknown_paths_fall_back_to_the_app(screen, console_system):
    page = screen("session").login("demo-center")
    page.page.evaluate("sessionStorage.setItem('skillmaster.token', 'expired-token')")
    page.go("/studios")
    page.page.wait_for_url(re.compile(r".*/login\?.*"))
    expect(page.page.locator(".el-alert__title")).to_have_text("登录已失效，请重新登录")
    assert page.page.evaluate("sessionStorage.getItem('skillmaster.token')") is None
    page.shot("login-after-401")
    # the reason survives a page load (the 401 may come while the tab loads another page) …
    page.page.goto(f"{console_system.base_url}/studios")
    expect(page.page.locator(".el-alert__title")).to_have_text("登录已失效，请重新登录")
    # … and is gone once the user signs in again
    page.page.get_by_label("用户名").fill("demo-center")
    page.page.get_by_label("密码").fill("demo-pass")
    page.page.get_by_role("button", name="登录").click()
    page.page.wait_for_url(re.compile(r".*/studios$"))
    assert page.page.evaluate("sessionStorage.getItem('skillmaster.expired')") is None


def test_finance_reconciles_the_year_and_exports_excel(screen):
    """R-24: the year's reconciliation by tenant and studio, exported as .xlsx from the screen."""
    finance = screen("finance").login("demo-finance")
    assert "资金对账" in menu_texts(finance) and "申报管理" not in menu_texts(finance)
    finance.page.get_by_role("menuitem", name="资金对账").click()
    expect(finance.page.get_by_role("cell", name="全市合计")).to_be_visible()
    if "dongcheng_studio" in _found:  # the journey above granted 300,000 元 in 2026
        finance.page.locator(".el-input-number input").fill("2026")
        finance.page.get_by_role("button", name="查询").click()
        expect(finance.page.get_by_role("cell", name="300,000.00").first).to_be_visible()
    finance.shot("finance-reconciliation")
    with finance.page.expect_download() as download:
        finance.page.locator("[data-test=export-reconciliation]").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    finance.page.get_by_role("menuitem", name="首页看板").click()
    expect(finance.page.locator("[data-test=studio-count]")).not_to_have_text("")
    finance.shot("finance-dashboard")


def test_admin_sees_readiness_dead_letters_and_the_api_reference(screen):
    admin = screen("admin").login("demo-admin")
    assert {"死信队列", "服务状态", "用户管理"} <= set(menu_texts(admin))
    admin.page.get_by_role("menuitem", name="服务状态").click()
    expect(admin.page.get_by_text("全部就绪")).to_be_visible()
    admin.shot("admin-readiness")
    admin.page.get_by_role("menuitem", name="死信队列").click()
    expect(admin.page.get_by_text("多次重试仍失败的事件")).to_be_visible()
    admin.page.get_by_role("menuitem", name="用户管理").click()
    expect(admin.page.get_by_role("cell", name="demo-unit-a")).to_be_visible()
    admin.shot("admin-users")
    admin.page.get_by_role("menuitem", name="年度报告").click()
    with admin.page.expect_download() as listed:
        admin.page.locator("[data-test=export-reports]").click()
    assert listed.value.suggested_filename.endswith(".xlsx")
    admin.shot("admin-reports")
    admin.go("/api/docs")
    expect(admin.page.locator(".swagger-ui .info .title")).to_contain_text("Beijing Skill Master Studios")
    admin.shot("api-docs")


def test_unit_downloads_the_template_and_an_unfilled_workbook_shows_its_problems_by_cell(screen, tmp_path):
    """附件1 as a workbook: the template downloads, and an import with errors lists each bad cell."""
    unit = screen("unit-workbook").login("demo-unit-b")
    unit.page.get_by_role("menuitem", name="申报管理").click()
    with unit.page.expect_download() as download:
        unit.page.get_by_role("button", name="下载申报模板").click()
    template = tmp_path / download.value.suggested_filename
    download.value.save_as(template)
    assert template.suffix == ".xlsx" and template.stat().st_size > 1000
    unit.page.locator("[data-test=file-input]").set_input_files(str(template))
    problems = unit.page.locator(".errors-table")
    expect(problems).to_contain_text("上传失败")
    expect(problems.locator("tbody tr").first).to_be_visible()
    assert problems.locator("tbody tr").count() >= 3
    expect(problems).to_contain_text("必须填写")
    unit.shot("workbook-problems-by-cell")


def test_unit_uploads_an_annual_report_workbook_with_errors_and_gets_the_marked_workbook(screen, tmp_path):
    """R-10/R-11: the studio's annual-report template, uploaded unfilled, answers its problems by
    cell and a link to the same workbook with those cells marked."""
    if "dongcheng_studio" not in _found:
        pytest.skip("needs the studio designated by the first journey")
    unit = screen("unit-reports").login("demo-unit-a")
    unit.go(_found["dongcheng_studio"] + "?tab=reports")
    expect(unit.page.locator("[data-test=report-rows]")).to_contain_text("年度计划")
    with unit.page.expect_download() as download:
        unit.page.get_by_role("button", name="下载年度报告模板").click()
    template = tmp_path / download.value.suggested_filename
    download.value.save_as(template)
    unit.page.locator("[data-test=file-input]").nth(1).set_input_files(str(template))
    problems = unit.page.locator(".errors-table")
    expect(problems).to_contain_text("上传失败")
    assert problems.locator("tbody tr").count() >= 1
    unit.shot("annual-report-cell-problems")
    if unit.page.locator("[data-test=error-workbook]").count():
        with unit.page.expect_download() as marked:
            unit.page.locator("[data-test=error-workbook]").click()
        assert marked.value.suggested_filename.endswith(".xlsx")
