"""Every admin page each demo role reaches runs under the Content-Security-Policy with no violation in Chromium."""

import re
from urllib.parse import urljoin, urlsplit

import pytest

from inventory.demo import load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_LOGINS = {
    "admin": "stockroom-admin",
    "manager": "stockroom-manager",
    "clerk": "stockroom-clerk",
    "catalog": "stockroom-catalog",
    "viewer": "stockroom-viewer",
}
# Links that end the session, change data on GET, or start a download (exports, PDFs, import templates)
# are not visited.
SKIPPED = ("/logout/", "/export", "download", "/status.json", "/jsi18n/", "/print/", "/template/")
PAGES_PER_ROLE = 80
# One page per kind: /admin/inventory/product/7/change/ stands for every product's change page.
OBJECT_ID = re.compile(r"/\d+/")

# Runs before any page script and outside the page's CSP: collects every violation Chromium reports.
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'} `
    + `at ${event.sourceFile || ''}:${event.lineNumber || ''} ${event.sample || ''}`);
});
"""


def crawl(browser, live_server, username: str, password: str) -> tuple[list[str], dict[str, list[str]], list[str]]:
    """Sign in and visit the admin breadth-first from the dashboard.

    Returns the pages visited, the CSP violations per page, and the linked pages that refused (status >= 400).
    """
    context = browser.new_context()
    context.add_init_script(COLLECT_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(15000)
    console: list[str] = []
    page.on(
        "console",
        lambda message: console.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    queue, seen, visited, violations = ["/admin/"], {"/admin/"}, [], {}
    refused: list[str] = []
    while queue and len(visited) < PAGES_PER_ROLE:
        path = queue.pop(0)
        console.clear()
        response = page.goto(urljoin(live_server.url, path))
        page.wait_for_load_state("networkidle")
        visited.append(f"{path} {response.status if response else '?'}")
        if response is None or response.status >= 400:
            refused.append(visited[-1])
        found = page.evaluate("window.__cspViolations") + console
        if found:
            violations[path] = found
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            target = urlsplit(urljoin(path, href))
            if target.netloc and target.netloc != urlsplit(live_server.url).netloc:
                continue
            if not target.path.startswith("/admin/") or any(part in target.path for part in SKIPPED):
                continue
            kind = OBJECT_ID.sub("/<id>/", target.path)
            if kind not in seen:
                seen.add(kind)
                queue.append(target.path)
    context.close()
    return visited, violations, refused


@pytest.mark.parametrize("username", DEMO_LOGINS)
def test_no_admin_page_of_a_role_breaks_the_content_security_policy(browser, live_server, username):
    load_demo()

    visited, violations, refused = crawl(browser, live_server, username, DEMO_LOGINS[username])

    assert len(visited) >= 8, visited
    assert not violations, violations
    # A page links only where its user may go: no link of any role's admin answers 403, 404 or 500.
    assert not refused, refused
