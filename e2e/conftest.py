"""End-to-end tests in a real browser: Debian's chromium driven by Playwright.

A missing browser is a failure, not a skip: `make test` installs chromium when missing.
Screenshots of each journey's last page go to E2E_SCREENSHOTS (default var/e2e-screenshots).
"""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(
    os.environ.get("E2E_SCREENSHOTS", Path(__file__).resolve().parent.parent / "var" / "e2e-screenshots")
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 360, "height": 740}

# Playwright's sync API runs an event loop in this thread; the test body's ORM calls are
# still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), (
        f"chromium not found at {CHROMIUM}: run `make browser` (apt-get install chromium)"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def desktop(browser, live_server):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, username: str, password: str = "Demo-2026!") -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def log_in_with_second_factor(page, username: str) -> None:
    """Log in a role that needs TOTP: enrol the device the page creates and type its current code."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    log_in(page, username)
    assert "/accounts/otp/" in page.url
    device = TOTPDevice.objects.get(user__username=username)
    page.fill(
        "input[name=code]", f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"
    )
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
