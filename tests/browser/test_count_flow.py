"""A stocktake from start to finish: a manager opens a count of one category; two clerks scan into it at once
from two browsers (the keyboard standing in for the scanner, each scan sent without reloading the page); an
unknown code flashes and beeps and writes nothing; the manager reviews only the differences and corrects a
line, so a second manager must approve and post (four eyes); the adjustments are in the ledger and the audit
log, and the ledger verifies."""

import re
from decimal import Decimal

import pytest
from django.core.management import call_command

from inventory.models import CountEntry, StockCount, StockCountState, StockLevel, StockMovement
from inventory.roles import CLERK, MANAGER
from inventory.services import counts, stock
from tests.factories import CategoryFactory, ProductFactory, SuperuserFactory, UserFactory, grant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Counts each beep: the page's WebAudio oscillators, started before any of its scripts run.
COUNT_BEEPS = """
    window.__beeps = 0;
    if (window.AudioContext) {
        const start = OscillatorNode.prototype.start;
        OscillatorNode.prototype.start = function (...args) { window.__beeps += 1; return start.apply(this, args); };
    }
"""


@pytest.fixture
def shelf(warehouse_a):
    tools = CategoryFactory(name="Tools")
    garden = CategoryFactory(name="Garden")
    owner = SuperuserFactory(username="owner")
    products = {
        "hammer": ProductFactory(sku="SKU-HAMMER", name="Claw hammer", barcode="4000001", category=tools),
        "saw": ProductFactory(sku="SKU-SAW", name="Hand saw", barcode="4000002", category=tools),
        "spade": ProductFactory(sku="SKU-SPADE", name="Spade", barcode="4000003", category=garden),
    }
    for product, quantity in ((products["hammer"], 10), (products["saw"], 4), (products["spade"], 7)):
        stock.receive(user=owner, product=product, warehouse=warehouse_a, quantity=quantity, unit_cost="2.5")
    return tools, products


def test_two_clerks_scan_at_once_and_a_second_manager_posts_the_differences(
    signed_in, live_server, settings, warehouse_a, shelf
):
    settings.STOCK_COUNT_FOUR_EYES_VALUE = "1"
    tools, products = shelf
    for username, role, permission in (
        ("manager_a", MANAGER, "manage_stock"),
        ("manager_b", MANAGER, "manage_stock"),
        ("clerk_a", CLERK, "operate_stock"),
        ("clerk_b", CLERK, "operate_stock"),
    ):
        grant(UserFactory(username=username, roles=[role]), permission, warehouse_a)

    # The manager opens a count of the Tools category (an autocomplete: picked through its hidden select).
    manager = signed_in("manager_a", init_script=COUNT_BEEPS)
    manager.goto(f"{live_server.url}/admin/inventory/stockcount/add/")
    manager.select_option("select[name=warehouse]", str(warehouse_a.pk))
    manager.evaluate(
        "([pk, label]) => document.querySelector('select[name=category]').add(new Option(label, pk, true, true))",
        [str(tools.pk), "Tools"],
    )
    manager.click("button[name=_save]")
    count = StockCount.objects.get()
    change = f"{live_server.url}/admin/inventory/stockcount/{count.pk}/change/"
    manager.wait_for_url(change)
    assert f"Opened {count.number}: 2 lines to count" in manager.content()
    scan_url = f"{live_server.url}/admin/inventory/stockcount/{count.pk}/scan/"

    # Two clerks scan into it at once, interleaved; each page stays the same page (no navigation) throughout.
    clerks = [signed_in("clerk_a", init_script=COUNT_BEEPS), signed_in("clerk_b", init_script=COUNT_BEEPS)]
    for clerk in clerks:
        clerk.goto(scan_url)
        clerk.evaluate("window.__samePage = true")
    scans = [(0, "4000001"), (1, "4000001"), (0, "SKU-SAW"), (1, "4000001"), (0, "4000001"), (1, "sku-saw")]
    for n, (who, code) in enumerate(scans):
        clerk = clerks[who]
        code_input = clerk.locator("input[name=code]")
        code_input.press_sequentially(code)
        code_input.press("Enter")
        done = sum(1 for earlier, _ in scans[: n + 1] if earlier == who)
        clerk.locator("table.scanned-lines tbody tr").nth(done - 1).wait_for()
        assert code_input.input_value() == ""
        assert clerk.evaluate("document.activeElement.name") == "code"
    for clerk in clerks:
        assert clerk.evaluate("window.__samePage") is True
    # Each scan answers with its line's count so far, both clerks' scans included.
    assert clerks[1].locator("[data-scan-status]").inner_text() == "+1 SKU-SAW — Hand saw (2 counted)"
    rows = clerks[1].locator("table.scanned-lines tbody tr")
    assert rows.count() == 3 and "SKU-SAW — Hand saw" in rows.first.inner_text()
    assert CountEntry.objects.filter(line__count=count).count() == 6

    # An unknown code (and a product outside the category) flashes, beeps and writes nothing.
    clerk = clerks[0]
    for code, shown in (("NOPE-42", "No product has the barcode or SKU “NOPE-42”."), ("4000003", "is not part of")):
        beeps = clerk.evaluate("window.__beeps")
        clerk.locator("input[name=code]").press_sequentially(code)
        clerk.locator("input[name=code]").press("Enter")
        clerk.wait_for_function("beeps => window.__beeps > beeps", arg=beeps)
        alert = clerk.locator("[data-scan-alert]")
        assert alert.is_visible() and shown in alert.inner_text()
        assert "scan-flash-error" in clerk.locator("[data-scan-form]").get_attribute("class")
    assert clerk.evaluate("window.__samePage") is True
    assert CountEntry.objects.filter(line__count=count).count() == 6

    # The manager ends counting and reviews only the differences: the hammer (4 against 10) and the saw (2 of 4).
    manager.goto(change)
    manager.get_by_role("link", name="Counting is done").first.click()
    manager.click("button[name=_confirm]")
    manager.wait_for_url(change)
    manager.get_by_role("link", name="Review").first.click()
    manager.get_by_role("link", name="Only differences").click()
    manager.wait_for_url("**/review/?show=differences")
    lines = manager.locator("table.count-lines tbody tr")
    assert lines.count() == 2
    assert "SKU-HAMMER — Claw hammer 10 0 4 -6 -15.00" in " ".join(lines.nth(0).inner_text().split())
    # The saw was recounted: the manager types its count in the grid, and so has counted too.
    manager.locator(f"input[aria-label='Count of {products['saw'].sku}']").fill("3")
    manager.click("button[name=_save]")
    manager.wait_for_url("**/review/?show=differences")
    assert "SKU-SAW — Hand saw 4 0 3 -1 -2.50" in " ".join(manager.locator("table.count-lines").inner_text().split())

    # Worth more than the four-eyes value: the manager who counted may not post it; the second manager does.
    manager.goto(change)
    manager.get_by_role("link", name="Approve and post").first.click()
    assert "someone who did not count this session must approve it" in manager.content()
    manager.click("button[name=_confirm]")
    assert "someone who did not count it must approve it" in manager.content()
    assert count.state != StockCountState.POSTED and not StockMovement.objects.filter(reference=count.number)

    approver = signed_in("manager_b", init_script=COUNT_BEEPS)
    approver.goto(change)
    approver.get_by_role("link", name="Approve and post").first.click()
    approver.click("button[name=_confirm]")
    approver.wait_for_url(change)
    assert f"Posted {count.number}: 2 adjustments in A" in approver.content()
    count.refresh_from_db()
    assert count.state == StockCountState.POSTED and count.approved_by.username == "manager_b"
    on_hand = {level.product.sku: level.on_hand for level in StockLevel.objects.select_related("product")}
    assert on_hand == {"SKU-HAMMER": Decimal(4), "SKU-SAW": Decimal(3), "SKU-SPADE": Decimal(7)}

    # The adjustments are in the ledger and the audit log, and the ledger verifies.
    approver.goto(f"{live_server.url}/admin/inventory/stockmovement/?q={count.number}")
    ledger = approver.locator("#result_list tbody tr")
    assert ledger.count() == 2
    assert all(count.number in ledger.nth(n).inner_text() for n in range(2))
    approver.goto(f"{live_server.url}/admin/audit/")
    audit = " ".join(approver.locator("#audit-log").inner_text().split())
    assert f"count {count.number}" in audit and "manager_b" in audit
    call_command("verify_ledger")


def test_a_scan_whose_answer_is_lost_is_sent_again_and_counted_once(signed_in, live_server, warehouse_a, shelf):
    _, products = shelf
    grant(UserFactory(username="clerk_a", roles=[CLERK]), "operate_stock", warehouse_a)
    count = counts.open_count(user=SuperuserFactory(username="opener"), warehouse=warehouse_a)
    clerk = signed_in("clerk_a")
    scan_url = f"{live_server.url}/admin/inventory/stockcount/{count.pk}/scan/"
    clerk.goto(scan_url)
    sent = []

    def lose_the_first_answer(route):
        # The scan reaches the server and is counted, but its answer never comes back (a dropped connection).
        body = route.request.post_data_buffer.decode()
        sent.append(re.search(r'name="submission_key"\r\n\r\n(\w+)', body).group(1))
        if len(sent) == 1:
            route.fetch()
            route.abort("connectionreset")
        else:
            route.continue_()

    clerk.route(scan_url, lose_the_first_answer)
    code_input = clerk.locator("input[name=code]")
    code_input.press_sequentially("4000001")
    code_input.press("Enter")
    clerk.locator("table.scanned-lines tbody tr").first.wait_for()

    assert len(sent) == 2 and sent[0] == sent[1]  # the retry carries the first attempt's key
    assert clerk.locator("[data-scan-status]").inner_text() == "+1 SKU-HAMMER — Claw hammer (1 counted)"
    assert list(CountEntry.objects.filter(line__count=count).values_list("quantity", flat=True)) == [1]
