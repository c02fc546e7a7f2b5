"""`make run PORT=8301` prints demo logins that open on that port."""

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_demo_logins_name_the_port_the_admin_is_served_on(monkeypatch):
    monkeypatch.setattr("inventory.management.commands.load_demo.is_loaded", lambda: True)
    out = io.StringIO()

    call_command("load_demo", "--port", "8301", stdout=out)

    assert "Demo logins (http://127.0.0.1:8301/admin/):" in out.getvalue()
    assert ":8000" not in out.getvalue()


@pytest.mark.django_db
def test_the_load_summary_counts_in_words(monkeypatch):
    monkeypatch.setattr("inventory.management.commands.load_demo.is_loaded", lambda: False)
    monkeypatch.setattr(
        "inventory.management.commands.load_demo.load_demo",
        lambda: {"warehouses": 3, "movements": 1200, "transfer orders": 1},
    )
    out = io.StringIO()

    call_command("load_demo", stdout=out)

    assert "3 warehouses, 1,200 movements, 1 transfer order." in out.getvalue()
