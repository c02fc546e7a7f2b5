"""Every admin page each demo role can reach: no script error, no server error, no sideways scrolling.

The crawl follows what a person would click: the sidebar, then the first object of
each list. Each page is opened at 1440 px and at 390 px (a phone); the page itself
must never scroll sideways (a wide table scrolls inside its own box).
"""

import pytest

from inventory.demo import demo_spec

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1440, 390)
# Links that leave the crawl: signing out ends it; exports and job files download.
SKIP = ("/admin/logout/", "/export", "/download", "/file/", "/print/", "/template/")


def _sidebar_links(page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("#nav-sidebar a[href], nav a[href]", "els => els.map(e => e.href)")
    return sorted({href for href in hrefs if href.startswith(f"{base}/admin/") and not any(s in href for s in SKIP)})


def _first_object(page, base: str) -> str | None:
    href = (
        page.eval_on_selector("#result_list", "t => t && t.querySelector('tbody a[href]')?.href || null")
        if (page.query_selector("#result_list"))
        else None
    )
    return href if href and href.startswith(f"{base}/admin/") and not any(s in href for s in SKIP) else None


SETTLED = """() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(
    () => done(document.documentElement.scrollWidth - window.innerWidth))))"""


def _settled_overflow(page) -> int:
    """How far the page scrolls sideways once it has laid itself out at the new width (scripts that react to a
    resize run first); an overflow still there half a second later is what a person on that screen sees."""
    overflow = page.evaluate(SETTLED)
    if overflow > 1:
        page.wait_for_timeout(500)
        overflow = page.evaluate(SETTLED)
    return overflow


def _visit(page, url: str, problems: list[str], who: str) -> None:
    """Open the page once at desktop width, then narrow the same page to a phone's and measure again."""
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    response = page.goto(url, wait_until="load")
    if response is None or response.status >= 500:
        problems.append(f"{who} {url}: HTTP {response.status if response else 'none'}")
        return
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        overflow = _settled_overflow(page)
        if overflow > 1:
            problems.append(f"{who} {url} at {width} px: the page scrolls sideways by {overflow} px")


def test_every_page_each_demo_role_reaches_works_at_desktop_and_phone_width(browser, live_server):
    from django.core.management import call_command

    call_command("load_demo", stdout=open("/dev/null", "w"))
    base = live_server.url
    problems: list[str] = []
    for user in demo_spec()["users"]:
        who = user["username"]
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(20000)
        page.on("pageerror", lambda error, who=who, page=page: problems.append(f"{who} {page.url}: {error}"))
        page.goto(f"{base}/admin/login/")
        page.fill("input[name=username]", who)
        page.fill("input[name=password]", user["password"])
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/admin/")
        pages = [f"{base}/admin/", *_sidebar_links(page, base)]
        seen: set[str] = set()
        for url in pages:
            if url in seen:
                continue
            seen.add(url)
            _visit(page, url, problems, who)
            first = _first_object(page, base)
            if first and first not in seen:
                seen.add(first)
                _visit(page, first, problems, who)
        assert len(seen) > 1, f"{who} reached no page but the dashboard"
        context.close()
    assert problems == []
