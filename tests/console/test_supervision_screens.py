"""The supervision screens through the console only (R-12): a district builds and submits its
annual work summary; every user has a notifications page with an unread badge in the header,
which names the user's unit or district (not its id)."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from shared.demo_city import Api

pytestmark = pytest.mark.console


def test_district_builds_and_submits_its_annual_summary_r12(screen):
    district = screen("district-summary").login("demo-dongcheng")
    district.page.locator("[data-test=menu] .el-menu-item", has_text="年度工作总结").click()
    district.page.wait_for_url(re.compile(r".*/summaries$"))
    district.page.locator("[data-test=build-summary]").click()
    status = district.page.locator("[data-test=summary-status]")
    expect(status).to_contain_text("草稿")
    district.page.locator("textarea[data-test=narrative-overview]").fill("本年度各工作室运行平稳。")
    district.shot("summary-draft")
    district.page.locator("[data-test=submit-summary]").click()
    district.page.locator(".el-message-box").get_by_role("button", name="报送").click()
    expect(status).to_contain_text("已报送")
    expect(district.page.locator("[data-test=export-summary]")).to_be_visible()
    district.shot("summary-submitted")


def test_notifications_page_opens_from_the_header(screen):
    district = screen("district-notifications").login("demo-dongcheng")
    district.page.locator("[data-test=unread-badge]").get_by_role("button", name="通知").click()
    district.page.wait_for_url(re.compile(r".*/notifications$"))
    expect(district.page.locator("[data-test=notifications]")).to_be_visible()
    district.shot("notifications")


def test_the_header_names_the_users_unit_or_district_and_the_id_only_without_the_name(screen):
    scope = "[data-test=who-scope]"
    unit = screen("unit-header").login("demo-unit-a")
    expect(unit.page.locator(scope)).to_have_text("北京东城精工制造有限公司")
    district = screen("district-header").login("demo-dongcheng")
    expect(district.page.locator(scope)).to_have_text("东城区")
    centre = screen("centre-header").login("demo-center")
    expect(centre.page.locator(scope)).to_have_text("全市")
    # the names cannot be read (GET /api/v1/me fails): the unit's id, as before
    blind = screen("unit-header-no-names")
    blind.page.route("**/api/v1/me", lambda route: route.fulfill(
        status=503, content_type="application/problem+json",
        body='{"type": "urn:skillmaster:problem:service-unavailable", "title": "Service Unavailable", "status": 503}'))
    blind.login("demo-unit-a")
    expect(blind.page.locator(scope)).to_have_text("unit-dc-jinggong")
    unit.shot("header-names-the-unit")


def test_centre_previews_who_is_due_before_opening_an_assessment_round_r14(screen):
    centre = screen("centre-assessment").login("demo-center")
    centre.go("/assessment")
    expect(centre.page.locator("[data-test=rounds]")).to_be_visible()
    centre.page.locator("[data-test=new-round]").click()
    expect(centre.page.get_by_text(re.compile(r"应考核 \d+ 个"))).to_be_visible()
    centre.shot("due-preview")


def test_district_opens_its_inspections_and_the_form_dated_the_systems_today_r12(screen, console_system):
    # the browser's clock a year before the system's: the screen's defaults follow the system's
    system_days = {c.get("today") for c in Api(console_system.base_url).get(
        "/api/v1/admin/clock", "demo-admin")["services"].values()}
    system_year = int(min(system_days)[:4])
    district = screen("district-inspections")
    district.page.clock.install(time=dt.datetime(system_year - 1, 6, 15, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    district.login("demo-dongcheng")
    district.go("/supervision")
    expect(district.page.locator("[data-test=inspections]")).to_be_visible()
    assert district.page.evaluate("() => new Date().getFullYear()") == system_year - 1
    # the year filter defaults to the system's year (R-12 lists a year's inspections), not the browser's
    expect(district.page.locator("[data-test=filter-year] input")).to_have_value(str(system_year))
    district.page.locator("[data-test=new-inspection]").click()
    dialog = district.page.get_by_role("dialog", name="登记监督检查")
    expect(dialog).to_be_visible()
    # the date defaults to the system's today (its clock, 2026-09-28 when this file runs alone), not the browser's
    today = district.page.evaluate("""async () => (await (await fetch('/api/v1/clock', { headers:
        { Authorization: 'Bearer ' + sessionStorage.getItem('skillmaster.token') } })).json()).today""")
    assert today in {c.get("today") for c in Api(console_system.base_url).get(
        "/api/v1/admin/clock", "demo-admin")["services"].values()}
    expect(dialog.get_by_role("combobox", name="检查日期")).to_have_value(today)
    dialog.get_by_role("button", name="添加整改事项").click()
    expect(dialog.get_by_placeholder("整改要求")).to_be_visible()
    district.shot("inspection-form")
    # a tab left open takes a moved day (midnight, or an admin's move elsewhere) at its next default:
    # the system's day is kept a minute (the browser's clock is moved on, the clock route answers a day later)
    moved = (dt.date.fromisoformat(today) + dt.timedelta(days=1)).isoformat()
    district.page.route("**/api/v1/clock", lambda route: route.fulfill(
        json={"now": f"{moved}T10:00:00+08:00", "today": moved}))
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
    district.page.locator("[data-test=new-inspection]").click()
    expect(dialog.get_by_role("combobox", name="检查日期")).to_have_value(today)   # within the minute: kept
    dialog.get_by_role("button", name="取消").click()
    district.page.clock.fast_forward(61_000)
    district.page.locator("[data-test=new-inspection]").click()
    expect(dialog.get_by_role("combobox", name="检查日期")).to_have_value(moved)
