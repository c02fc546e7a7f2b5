"""An Administrator enrols an authenticator app, signs out, and signs in again with a code computed here."""

import pytest

from inventory.roles import ADMINISTRATOR
from tests.factories import UserFactory
from tests.test_two_factor import code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_enrol_sign_out_and_sign_in_with_a_code(page, live_server, settings):
    settings.REQUIRE_2FA = True
    UserFactory(username="keyholder", roles=[ADMINISTRATOR])

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "keyholder")
    page.fill("input[name=password]", "pass")
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/two-factor/**")
    assert page.locator("svg").count() >= 1
    secret = page.inner_text("#two-factor-secret")
    page.fill("input[name=token]", code(secret))
    page.click("#two-factor-form button[type=submit]")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    page.click("text=I have saved them, continue")
    page.wait_for_url(f"{live_server.url}/admin/")

    page.eval_on_selector("#logout-form", "form => form.submit()")  # the account menu's "Log out"
    page.wait_for_url("**/admin/logout/")
    assert page.goto(f"{live_server.url}/admin/").url.startswith(f"{live_server.url}/admin/login/")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "keyholder")
    page.fill("input[name=password]", "pass")
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/two-factor/verify/**")
    page.fill("input[name=token]", code(secret, steps_ahead=1))
    page.click("#two-factor-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    assert "Dashboard" in page.content()
