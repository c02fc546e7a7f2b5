"""Sign-in hardening as an attacker meets it: lockout, forged addresses, the security log, headers."""

import io
import json
import logging

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from backoffice.security import client_address
from inventory.models import SecurityEvent
from inventory.roles import ADMINISTRATOR, CLERK
from inventory.services import access as access_services
from tests.factories import UserFactory

LOGIN = "/admin/login/"


def sign_in(client: Client, username: str, password: str = "pass", address: str = "10.0.0.1", forwarded: str = ""):
    extra = {"REMOTE_ADDR": address}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, **extra)


def test_thirty_wrong_passwords_then_the_right_one_is_locked_out(db, clerk):
    client = Client()
    for attempt in range(30):
        sign_in(client, clerk.username, "wrong", forwarded=f"203.0.113.{attempt}")

    response = sign_in(client, clerk.username, forwarded="198.51.100.7")

    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-ins" in page
    assert "Try again after" in page
    assert client.get("/admin/").status_code == 302  # not signed in


def test_rotating_x_forwarded_for_does_not_reset_the_count(db, clerk):
    client = Client()
    for attempt in range(5):
        response = sign_in(client, clerk.username, "wrong", forwarded=f"192.0.2.{attempt}, 10.9.9.{attempt}")
    assert response.status_code == 429

    assert sign_in(Client(), clerk.username, forwarded="192.0.2.200").status_code == 429


def test_the_username_is_locked_whatever_address_it_is_tried_from(db, clerk):
    for attempt in range(5):
        sign_in(Client(), clerk.username, "wrong", address=f"10.1.0.{attempt}")

    assert sign_in(Client(), clerk.username, address="10.2.0.1").status_code == 429


def test_an_address_trying_many_usernames_is_locked(db, clerk):
    for attempt in range(5):
        sign_in(Client(), f"guess{attempt}", "wrong", address="10.3.0.1")

    assert sign_in(Client(), clerk.username, address="10.3.0.1").status_code == 429
    assert sign_in(Client(), clerk.username, address="10.3.0.2").status_code == 302


def test_four_failures_then_success_signs_in_and_resets_the_count(db, clerk):
    for _ in range(4):
        sign_in(Client(), clerk.username, "wrong")
    assert sign_in(Client(), clerk.username).status_code == 302
    for _ in range(4):
        sign_in(Client(), clerk.username, "wrong")
    assert sign_in(Client(), clerk.username).status_code == 302


def test_forwarded_header_is_ignored_unless_proxies_are_trusted(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(request) == "10.0.0.9"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request) == "198.51.100.4"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_address(request) == "6.6.6.6"
    settings.TRUSTED_PROXY_COUNT = 3  # fewer entries than proxies: the header is not believed
    assert client_address(request) == "10.0.0.9"


def test_an_administrator_sees_and_clears_a_lockout(db, clerk):
    for _ in range(5):
        sign_in(Client(), clerk.username, "wrong", address="10.4.0.1")
    administrator = UserFactory(roles=[ADMINISTRATOR])
    admin = Client()
    admin.force_login(administrator)

    listing = admin.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200
    assert clerk.username in listing.content.decode()

    attempt = AccessAttempt.objects.get(username=clerk.username)
    cleared = admin.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "clear_lockouts", "_selected_action": [attempt.pk]},
        follow=True,
    )
    assert "Cleared 1 lockouts" in cleared.content.decode()
    assert sign_in(Client(), clerk.username, address="10.4.0.1").status_code == 302
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOCKOUT_CLEARED, user=administrator).exists()


def test_a_clerk_cannot_see_lockouts_or_security_events(db, clerk):
    client = Client()
    client.force_login(clerk)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403
    assert client.get(reverse("admin:inventory_securityevent_changelist")).status_code == 403


def test_failures_successes_and_lockouts_reach_the_security_log(db, clerk):
    for _ in range(5):
        sign_in(Client(), clerk.username, "wrong", address="10.5.0.1")
    sign_in(Client(), "somebody", "wrong", address="10.5.0.2")
    sign_in(Client(), "somebody", address="10.5.0.2")

    kinds = list(SecurityEvent.objects.filter(username=clerk.username).values_list("kind", flat=True))
    assert kinds.count(SecurityEvent.Kind.SIGN_IN_FAILED) >= 5
    assert SecurityEvent.Kind.LOCKED_OUT in kinds
    failed = SecurityEvent.objects.filter(username="somebody", kind=SecurityEvent.Kind.SIGN_IN_FAILED).first()
    assert failed.client_address == "10.5.0.2"
    assert failed.path == LOGIN
    assert len(failed.request_id) == 32


def test_a_successful_sign_in_is_logged_with_its_user(db, clerk):
    response = sign_in(Client(), clerk.username, address="10.6.0.1")
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SIGN_IN)
    assert event.user == clerk
    assert event.client_address == "10.6.0.1"
    assert event.request_id == response["X-Request-ID"]


def test_each_event_is_one_json_line_with_request_user_address_path_outcome(db, clerk):
    logger = logging.getLogger("stockroom.security")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.handlers[0].formatter)
    logger.addHandler(handler)
    try:
        response = sign_in(Client(), clerk.username, "wrong", address="10.7.0.1")
    finally:
        logger.removeHandler(handler)

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 1
    line = lines[0]
    assert line["event"] == "sign_in_failed"
    assert line["outcome"] == "failure"
    assert line["user"] == clerk.username
    assert line["client_address"] == "10.7.0.1"
    assert line["path"] == LOGIN
    assert line["request_id"] == response["X-Request-ID"]


def test_every_403_on_an_admin_path_is_logged(db, clerk):
    client = Client()
    client.force_login(clerk)
    assert client.get("/admin/auth/user/").status_code == 403

    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.FORBIDDEN)
    assert event.user == clerk
    assert event.path == "/admin/auth/user/"
    assert event.outcome == "refused"


def test_a_warehouse_grant_and_a_role_change_are_logged(db, superuser, warehouse_a):
    user = UserFactory()
    access_services.grant_warehouse_permission(
        actor=superuser, permission="view_stock", warehouses=[warehouse_a], users=[user]
    )
    user.groups.add(Group.objects.get(name=CLERK))

    events = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.ACCESS_CHANGED)
    details = " | ".join(events.values_list("detail", flat=True))
    assert "view_stock" in details
    assert "Added to role" in details


def test_security_events_list_filters_and_exports_for_an_administrator(db, clerk):
    sign_in(Client(), clerk.username, "wrong", address="10.8.0.1")
    sign_in(Client(), clerk.username, address="10.8.0.2")
    admin = Client()
    admin.force_login(UserFactory(roles=[ADMINISTRATOR]))

    listing = admin.get(reverse("admin:inventory_securityevent_changelist"), {"kind__exact": "sign_in_failed"})
    assert listing.status_code == 200
    assert "10.8.0.1" in listing.content.decode()
    assert "10.8.0.2" not in listing.content.decode()

    export = admin.get(reverse("admin:inventory_securityevent_export"), {"kind__exact": "sign_in_failed"})
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    rows = body.strip().splitlines()
    assert rows[0].startswith("time,event,outcome,user,client_address")
    assert len(rows) == 2
    assert "10.8.0.1" in rows[1]


def test_responses_carry_csp_and_permissions_policy(client):
    response = client.get(LOGIN)
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["script-src"].startswith("'self'")
    assert "unsafe-inline" not in policy["script-src"]
    assert policy["object-src"] == "'none'"
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.parametrize("limit", [3])
def test_the_failure_limit_is_a_setting(db, clerk, settings, limit):
    settings.AXES_FAILURE_LIMIT = limit
    for _ in range(limit):
        sign_in(Client(), clerk.username, "wrong")
    assert sign_in(Client(), clerk.username).status_code == 429


def test_exporting_security_events_with_an_unknown_filter_returns_to_the_list(db):
    admin = Client()
    admin.force_login(UserFactory(roles=[ADMINISTRATOR]))

    response = admin.get(reverse("admin:inventory_securityevent_export"), {"no_such_field__exact": "x"})

    assert response.status_code == 302
    assert response.url == f"{reverse('admin:inventory_securityevent_changelist')}?e=1"
