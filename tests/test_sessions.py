"""Sessions end: when idle, at their absolute limit, when the password changes, or when an Administrator says so."""

import time

from django.test import Client
from django.urls import reverse

from backoffice.security import SEEN, STARTED
from inventory.models import SecurityEvent
from inventory.roles import ADMINISTRATOR
from tests.factories import UserFactory


def signed_in(user) -> Client:
    client = Client()
    response = client.post(reverse("admin:login"), {"username": user.username, "password": "pass"})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def _age(client: Client, **seconds_ago: float) -> None:
    session = client.session
    now = time.time()
    for key, ago in seconds_ago.items():
        session[{"started": STARTED, "seen": SEEN}[key]] = now - ago
    session.save()


def test_a_session_left_idle_longer_than_the_limit_ends(db, clerk, settings):
    settings.SESSION_IDLE_MINUTES = 30
    client = signed_in(clerk)
    _age(client, seen=31 * 60)

    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[0][0].startswith(reverse("admin:login"))
    assert "ended after 30 minutes without activity" in response.content.decode()
    assert client.get("/admin/").status_code == 302
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SESSION_EXPIRED, user=clerk).exists()


def test_activity_keeps_a_session_alive_within_the_idle_limit(db, clerk, settings):
    settings.SESSION_IDLE_MINUTES = 30
    client = signed_in(clerk)
    _age(client, seen=29 * 60)
    assert client.get("/admin/").status_code == 200
    _age(client, seen=29 * 60)  # the first request moved last-seen forward; it is idle again but within limit
    assert client.get("/admin/").status_code == 200


def test_polling_a_job_status_does_not_count_as_activity(db, clerk, settings):
    settings.SESSION_IDLE_MINUTES = 30
    client = signed_in(clerk)
    _age(client, seen=20 * 60)
    client.get("/admin/inventory/datajob/1/status.json")
    assert time.time() - client.session[SEEN] > 19 * 60


def test_a_session_ends_at_its_absolute_limit_even_when_busy(db, clerk, settings):
    settings.SESSION_MAX_HOURS = 12
    client = signed_in(clerk)
    _age(client, started=12 * 3600 + 60, seen=5)

    response = client.get("/admin/", follow=True)

    assert "reached its limit of 12 hours" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_changing_the_password_ends_the_other_sessions_but_not_this_one(db, clerk):
    here, elsewhere = signed_in(clerk), signed_in(clerk)

    response = here.post(
        reverse("admin:password_change"),
        {
            "old_password": "pass",
            "new_password1": "A-much-better-passphrase-42",
            "new_password2": "A-much-better-passphrase-42",
        },
    )

    assert response.status_code == 302
    assert here.get("/admin/").status_code == 200
    assert elsewhere.get("/admin/").status_code == 302


def test_an_administrator_resetting_a_password_ends_all_that_users_sessions(db, clerk):
    victim = signed_in(clerk)
    admin = Client()
    admin.force_login(UserFactory(roles=[ADMINISTRATOR]))

    response = admin.post(
        reverse("admin:auth_user_password_change", args=[clerk.pk]),
        {"password1": "Reset-by-admin-passphrase-7", "password2": "Reset-by-admin-passphrase-7"},
    )

    assert response.status_code == 302
    assert victim.get("/admin/").status_code == 302


def test_an_administrator_ends_all_sessions_of_a_user(db, clerk):
    first, second = signed_in(clerk), signed_in(clerk)
    administrator = UserFactory(roles=[ADMINISTRATOR])
    admin = Client()
    admin.force_login(administrator)

    response = admin.post(
        reverse("admin:auth_user_changelist"),
        {"action": "end_sessions", "_selected_action": [clerk.pk]},
        follow=True,
    )

    assert "Ended 2 sessions" in response.content.decode()
    assert first.get("/admin/").status_code == 302
    assert second.get("/admin/").status_code == 302
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SESSIONS_ENDED, user=administrator).exists()


def test_a_clerk_cannot_end_other_peoples_sessions(db, clerk):
    other = UserFactory()
    victim = signed_in(other)
    attacker = Client()
    attacker.force_login(clerk)

    attacker.post(reverse("admin:auth_user_changelist"), {"action": "end_sessions", "_selected_action": [other.pk]})

    assert victim.get("/admin/").status_code == 200
