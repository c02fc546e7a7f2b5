"""Two-factor sign-in: required of those who hold the keys, optional for the rest, removable by an Administrator."""

import re
import time
from base64 import b32decode

from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from inventory.models import SecurityEvent
from inventory.roles import ADMINISTRATOR
from tests.factories import SuperuserFactory, UserFactory


def code(secret: str, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows for `secret` (the key as the enrol page spells it)."""
    totp = TOTP(b32decode(secret.replace(" ", "")), step=30, digits=6)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def sign_in(user) -> tuple[Client, object]:
    client = Client()
    return client, client.post(
        reverse("admin:login"), {"username": user.username, "password": "pass", "next": "/admin/"}
    )


def enrol(client: Client) -> tuple[str, list[str]]:
    page = client.get(reverse("admin:two_factor_enrol")).content.decode()
    secret = re.search(r'id="two-factor-secret"[^>]*>([A-Z2-7 ]+)<', page).group(1)
    done = client.post(reverse("admin:two_factor_enrol"), {"token": code(secret)}).content.decode()
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", done)
    return secret, codes


def test_with_2fa_required_a_superuser_must_enrol_before_anything_else(db, settings):
    settings.REQUIRE_2FA = True
    client, response = sign_in(SuperuserFactory())

    assert client.get("/admin/").url.startswith(reverse("admin:two_factor_enrol"))
    assert client.get("/admin/inventory/product/").status_code == 302
    page = client.get(reverse("admin:two_factor_enrol")).content.decode()
    assert "<svg" in page
    assert "needs a second factor" in page


def test_enrolment_then_a_new_sign_in_asks_for_a_code_and_accepts_it(db, settings):
    settings.REQUIRE_2FA = True
    administrator = UserFactory(roles=[ADMINISTRATOR])
    client, _ = sign_in(administrator)
    secret, codes = enrol(client)
    assert len(codes) == 10
    assert client.get("/admin/").status_code == 200
    client.post(reverse("admin:logout"))

    client, _ = sign_in(administrator)
    assert client.get("/admin/").url.startswith(reverse("admin:two_factor_verify"))
    refused = client.post(reverse("admin:two_factor_verify"), {"token": "000000"})
    assert "That code is not valid" in refused.content.decode()
    too_soon = client.post(reverse("admin:two_factor_verify"), {"token": code(secret, steps_ahead=1)})
    assert "After 1 wrong code, wait 1 s" in too_soon.content.decode()
    time.sleep(1.1)  # django-otp's throttle: 1 s after one wrong code, doubling after each further one
    accepted = client.post(
        reverse("admin:two_factor_verify"), {"token": code(secret, steps_ahead=1), "next": "/admin/"}
    )
    assert accepted.status_code == 302
    assert client.get("/admin/").status_code == 200
    kinds = set(SecurityEvent.objects.filter(user=administrator).values_list("kind", flat=True))
    assert {"2fa_enrolled", "2fa_failed", "2fa_verified"} <= kinds


def test_a_recovery_code_signs_in_once(db, settings):
    settings.REQUIRE_2FA = True
    user = SuperuserFactory()
    client, _ = sign_in(user)
    _, codes = enrol(client)
    client.post(reverse("admin:logout"))

    first, _ = sign_in(user)
    assert first.post(reverse("admin:two_factor_verify"), {"token": codes[0]}).status_code == 302
    assert first.get("/admin/").status_code == 200
    second, _ = sign_in(user)
    assert (
        "That code is not valid"
        in second.post(reverse("admin:two_factor_verify"), {"token": codes[0]}).content.decode()
    )
    assert StaticToken.objects.filter(device__user=user).count() == 9


def test_two_factor_is_optional_for_a_clerk_but_once_on_it_is_asked(db, settings, clerk):
    settings.REQUIRE_2FA = True
    client, _ = sign_in(clerk)
    assert client.get("/admin/").status_code == 200
    secret, _ = enrol(client)
    client.post(reverse("admin:logout"))

    client, _ = sign_in(clerk)
    assert client.get("/admin/").url.startswith(reverse("admin:two_factor_verify"))


def test_with_2fa_off_the_demo_superuser_signs_in_with_a_password_alone(db, settings):
    settings.REQUIRE_2FA = False
    client, _ = sign_in(SuperuserFactory())
    assert client.get("/admin/").status_code == 200


def test_an_administrator_removes_a_users_two_factor(db, settings, clerk):
    settings.REQUIRE_2FA = True
    client, _ = sign_in(clerk)
    enrol(client)
    administrator = UserFactory(roles=[ADMINISTRATOR])
    admin, _ = sign_in(administrator)
    enrol(admin)

    response = admin.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [clerk.pk]},
        follow=True,
    )

    assert f"Removed two-factor sign-in of {clerk.username}" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=clerk).exists()
    fresh, _ = sign_in(clerk)
    assert fresh.get("/admin/").status_code == 200
    assert SecurityEvent.objects.filter(kind="2fa_removed", user=administrator).exists()


def test_a_wrong_code_at_enrolment_turns_nothing_on(db, settings):
    settings.REQUIRE_2FA = True
    client, _ = sign_in(SuperuserFactory())
    client.get(reverse("admin:two_factor_enrol"))
    response = client.post(reverse("admin:two_factor_enrol"), {"token": "123456"})
    assert "That code is not valid" in response.content.decode()
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
