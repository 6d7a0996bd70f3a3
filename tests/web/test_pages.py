"""The web pages in headless Chromium: the P6 send-back round trip, overdue work first,
the English switch, and screenshots of inbox, task, case and overdue board.

Time is shifted through the engine's clock seam with freezegun while cases are arranged,
before the server starts (so the server thread never sees a frozen clock); nothing sleeps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from playwright.sync_api import Browser, Page, expect

from engine.cases import service
from engine.context import Prflow
from tests.factories import open_task
from tests.web.conftest import PHONE, Site, screenshot, sign_in

REASON = "ภาพประกอบไม่ตรงกับเนื้อข่าว กรุณาเปลี่ยนภาพ"


def _start_p6(ctx: Prflow, title: str) -> int:
    return service.start(ctx, "website_posting", {"title": title}, "malee").id


def _fits_a_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways on a phone: {width}px"


def _submit(page: Page) -> None:
    page.locator("#task-form-holder button[type=submit]").click()


def _open_task_link(page: Page, name: str) -> None:
    page.get_by_role("link", name=name).first.click()


def test_send_back_and_approve_round_trip(
    browser: Browser, world: Prflow, request: pytest.FixtureRequest
) -> None:
    case_id = _start_p6(world, "ข่าวการประชุมประจำเดือน")
    site: Site = request.getfixturevalue("site")

    officer = sign_in(browser, site, "somchai")
    expect(officer.locator("html")).to_have_attribute("lang", "th")
    expect(officer.get_by_role("heading", name="งานของฉัน")).to_be_visible()
    row = officer.locator("li.task").first
    expect(row).to_contain_text("นำข้อมูลขึ้นบนเว็บไซต์")
    expect(row).to_contain_text("เหลือ")
    row.get_by_role("button", name="รับงาน").click()
    expect(officer.get_by_role("status")).to_have_text("รับงานแล้ว")
    expect(officer.get_by_text("คู่มือกำหนดว่า")).to_be_visible()
    expect(officer.locator(".manual")).to_contain_text("Manual step 1")
    screenshot(officer, "task")
    officer.locator("#f-url").fill("https://www.anamai.moph.go.th/th/news/1")
    officer.locator("#f-notes").fill("นำข่าวขึ้นเว็บไซต์แล้ว")
    _submit(officer)
    expect(officer.get_by_role("status")).to_have_text("ส่งงานเรียบร้อยแล้ว")
    expect(officer.get_by_text("ไม่มีงานค้าง")).to_be_visible()

    checker = sign_in(browser, site, "malee")
    _open_task_link(checker, "ตรวจสอบความถูกต้องและครบถ้วน")
    # Sending back without a reason is refused by the form; what was chosen stays.
    checker.locator("#f-decision").select_option("fix")
    checker.get_by_label("เนื้อหา").check()
    _submit(checker)
    expect(checker.locator("#form-error")).to_have_text("ข้อมูลไม่ถูกต้อง")
    expect(checker.locator('[data-field="reason"] .error')).to_be_visible()
    expect(checker.locator("#f-decision")).to_have_value("fix")
    expect(checker.get_by_label("เนื้อหา")).to_be_checked()
    screenshot(checker, "task-refused")
    checker.locator("#f-reason").fill(REASON)
    _submit(checker)
    expect(checker.get_by_role("status")).to_have_text("ส่งงานเรียบร้อยแล้ว")

    officer.goto(f"{site.url}/")
    _open_task_link(officer, "นำข้อมูลขึ้นบนเว็บไซต์")
    expect(officer.get_by_role("heading", name="งานนี้ถูกส่งกลับให้แก้ไข")).to_be_visible()
    expect(officer.locator("#send-back-reason")).to_have_text(REASON)
    officer.set_viewport_size(PHONE)
    screenshot(officer, "task-sent-back-phone")
    _fits_a_phone(officer)
    officer.locator("#f-notes").fill("เปลี่ยนภาพแล้ว")
    _submit(officer)
    expect(officer.get_by_role("status")).to_have_text("ส่งงานเรียบร้อยแล้ว")

    checker.goto(f"{site.url}/")
    _open_task_link(checker, "ตรวจสอบความถูกต้องและครบถ้วน")
    checker.locator("#f-decision").select_option("ok")
    _submit(checker)
    expect(checker.get_by_role("status")).to_have_text("ส่งงานเรียบร้อยแล้ว")
    assert open_task(world, case_id).element_id == "store"

    refused: list[str] = []
    checker.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    checker.goto(f"{site.url}/cases/{case_id}")
    expect(checker.locator("#diagram")).to_have_attribute("data-ready", "true")
    diagram = checker.locator("#diagram")
    for step in ("upload", "verify"):
        expect(diagram.locator(f'[data-element-id="{step}"]')).to_have_class(
            "djs-element djs-shape pf-done"
        )
    expect(diagram.locator('[data-element-id="store"]')).to_have_class(
        "djs-element djs-shape pf-current"
    )
    expect(checker.locator("table.timeline tbody tr")).to_have_count(5)
    screenshot(checker, "case")
    checker.set_viewport_size(PHONE)
    checker.reload()
    expect(checker.locator("#diagram")).to_have_attribute("data-ready", "true")
    screenshot(checker, "case-phone")
    _fits_a_phone(checker)
    assert refused == [], refused  # no CSP refusal, no script error


def test_overdue_task_shows_first_and_marked(
    browser: Browser, world: Prflow, request: pytest.FixtureRequest
) -> None:
    now = datetime.now(UTC)
    with freeze_time(now - timedelta(days=14)):
        late_case = _start_p6(world, "ข่าวที่ค้างนาน")
        done_late = _start_p6(world, "ข่าวที่ส่งช้า")
    with freeze_time(now - timedelta(days=7)):
        task = open_task(world, done_late)
        service.complete(world, task.id, {}, "somchai")
        on_time = _start_p6(world, "ข่าวที่ส่งทัน")
        service.complete(world, open_task(world, on_time).id, {}, "somchai")
    fresh_case = _start_p6(world, "ข่าวใหม่")
    site: Site = request.getfixturevalue("site")

    officer = sign_in(browser, site, "somchai", phone=True)
    rows = officer.locator("li.task")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_class("task overdue")
    expect(rows.first.locator(".badge")).to_have_text("เกินกำหนด")
    expect(rows.first.locator(".due-words")).to_contain_text("เกินกำหนด")
    expect(rows.first.locator(".due-words")).to_contain_text("วัน")
    expect(rows.nth(1)).to_have_class("task")
    assert rows.first.get_attribute("data-task") == str(open_task(world, late_case).id)
    assert rows.nth(1).get_attribute("data-task") == str(open_task(world, fresh_case).id)
    screenshot(officer, "inbox-phone")
    _fits_a_phone(officer)

    # Bulk: select all and claim them at once.
    officer.get_by_label("เลือกทั้งหมด").check()
    officer.get_by_role("button", name="รับงานที่เลือก").click()
    expect(officer.get_by_role("status")).to_have_text("รับงานแล้ว 2 งาน")
    officer.set_viewport_size({"width": 1280, "height": 900})
    screenshot(officer, "inbox")

    ops = sign_in(browser, site, "ops")
    ops.get_by_role("link", name="งานเกินกำหนด").click()
    expect(ops.locator("table tr.overdue")).to_have_count(3)  # the two checks wait too
    expect(ops.locator("svg.chart")).to_contain_text("website_posting")
    expect(ops.locator("svg.chart")).to_contain_text("50% (2)")
    screenshot(ops, "overdue-board")


def test_english_switch_is_remembered(browser: Browser, site: Site) -> None:
    page = sign_in(browser, site, "somchai")
    page.get_by_role("link", name="Switch to English").click()
    expect(page.get_by_role("heading", name="My inbox")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Processes").click()
    expect(page.get_by_role("heading", name="Processes")).to_be_visible()
    page.goto(f"{site.url}/")
    expect(page.get_by_role("heading", name="My inbox")).to_be_visible()
    page.get_by_role("link", name="เปลี่ยนเป็นภาษาไทย").click()
    expect(page.get_by_role("heading", name="งานของฉัน")).to_be_visible()


def test_start_a_case_then_a_supervisor_hands_over_and_holds_it(
    browser: Browser, site: Site
) -> None:
    """Start from the start page; the supervisor reassigns the first step and suspends the
    case with a reason; the officer sees the case held; a phone shows it all without
    sideways scrolling."""
    starter = sign_in(browser, site, "malee")
    starter.get_by_role("link", name="เริ่มเรื่องใหม่").click()
    starter.get_by_role("link", name="การสื่อสารประชาสัมพันธ์ทางเว็บไซต์").click()
    starter.get_by_label("ชื่อเรื่อง").fill("ข่าวเตือนภัยคลื่นความร้อน")
    starter.get_by_role("button", name="เริ่มเรื่อง").click()
    expect(starter.get_by_role("status")).to_have_text("เริ่มเรื่องใหม่แล้ว")
    expect(starter.locator("#case-subject")).to_contain_text("ข่าวเตือนภัยคลื่นความร้อน")
    case_id = int(starter.url.split("/cases/")[1].split("?")[0])
    task_id = open_task(site.ctx, case_id).id

    boss = sign_in(browser, site, "boss", phone=True)
    boss.goto(f"{site.url}/tasks/{task_id}")
    boss.get_by_label("มอบให้").select_option("somsri")
    boss.locator("#reassign-reason").fill("สมชายลาป่วย")
    boss.get_by_role("button", name="มอบหมายให้ผู้อื่น").click()
    expect(boss.get_by_role("status")).to_have_text("มอบหมายงานแล้ว")
    expect(boss.locator("p.meta")).to_contain_text("somsri")
    _fits_a_phone(boss)
    boss.goto(f"{site.url}/cases/{case_id}")
    boss.get_by_label("เหตุผล (บันทึกไว้ในประวัติการตรวจสอบ)").fill("รอเอกสารจากกรม")
    boss.get_by_role("button", name="พักเรื่อง").click()
    expect(boss.get_by_role("status")).to_have_text("พักเรื่องแล้ว")
    expect(boss.locator("p.meta .status")).to_have_text("พักเรื่องไว้")
    expect(boss.get_by_role("button", name="ดำเนินเรื่องต่อ")).to_be_visible()
    _fits_a_phone(boss)
    screenshot(boss, "case-suspended-phone")
    assert service.show(site.ctx, case_id).status == "suspended"
