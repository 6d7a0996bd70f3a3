"""The web pages in a real browser: Debian's headless Chromium driven by Playwright, against
a real uvicorn serving the app on a temporary SQLite database.

``site`` is the served app with people who can sign in; ``browser`` one Chromium per test
session (launched from /usr/bin/chromium: no browser download). Screenshots go to
``tests/artifacts/screenshots/`` (gitignored) for a person to look at.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from api.app import create_app
from engine.accounts import passwords
from engine.context import Prflow
from tests.api.conftest import make_ctx
from tests.api.live import serving
from tests.factories import add_people, deploy

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
PASSWORD = "correct horse battery"
PEOPLE = {
    "somchai": ["doh_it_officer"],  # puts the posting on the website (P6 step "upload")
    "malee": ["doh_web_pr_officer"],  # starts the case and checks the posting (step "verify")
    "ops": ["ops"],
    "owner": ["process_owner"],
    "auditor": ["auditor"],
    "somsri": ["doh_it_officer"],
    "boss": ["supervisor"],  # supervises unit กพร., where every case here starts
}
SIGNING_IN = ("somchai", "malee", "ops", "boss")
PHONE = {"width": 390, "height": 844}


@dataclass
class Site:
    url: str
    ctx: Prflow


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make system-packages)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def world(sqlite_url: str) -> Iterator[Prflow]:
    """People and P6 deployed, before the server starts (tests add cases to it)."""
    ctx = make_ctx(sqlite_url)
    add_people(ctx, PEOPLE)
    deploy(ctx)
    for login in SIGNING_IN:
        passwords.set_password(ctx, login, PASSWORD)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def site(world: Prflow) -> Iterator[Site]:
    with serving(create_app(world)) as url:
        yield Site(url, world)


def sign_in(browser: Browser, site: Site, login: str, *, phone: bool = False) -> Page:
    """A fresh browser context (its own cookies) signed in as ``login``."""
    context = browser.new_context(viewport=PHONE if phone else {"width": 1280, "height": 900},
                                  locale="en-US")  # fmt: skip
    page = context.new_page()
    page.goto(f"{site.url}/")
    assert "/sign-in" in page.url
    page.get_by_label("ชื่อผู้ใช้").fill(login)
    page.get_by_label("รหัสผ่าน").fill(PASSWORD)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    page.wait_for_url(f"{site.url}/")
    return page


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="session", autouse=True)
def _fresh_screenshots() -> None:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
