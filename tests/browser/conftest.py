"""Playwright driving Debian's Chromium (never a downloaded browser)."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM) or shutil.which("chromium"):
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"Browser tests need Chromium at {CHROMIUM}; .ci/run installs it.")
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def _log_in(page, base: str, username: str, password: str):
    page.goto(f"{base}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    return page


@pytest.fixture
def login(page, live_server):
    def log_in(username: str, password: str = "pass"):
        return _log_in(page, live_server.url, username, password)

    return log_in


@pytest.fixture
def signed_in(browser, live_server):
    """A page of its own browser (context) per person, signed in: several people at once in one test."""
    contexts = []

    def open_as(username: str, password: str = "pass", init_script: str = ""):
        context = browser.new_context()
        contexts.append(context)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        page.set_default_timeout(15000)
        return _log_in(page, live_server.url, username, password)

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture(autouse=True)
def roles(request):
    """Transactional tests empty the database after each test; put the role groups back before the next."""
    if "browser" not in request.keywords:
        return
    request.getfixturevalue("transactional_db")
    from django.core.management import call_command

    call_command("sync_roles", verbosity=0, stdout=open(os.devnull, "w"))
