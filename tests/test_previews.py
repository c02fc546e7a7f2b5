"""Uploaded previews nobody confirmed are pruned after their time to live; old submission keys too."""

import io
import os
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from inventory.models import Category, Submission

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def preview(client) -> None:
    file = io.BytesIO(b"sku,name,category\nP-9,Hammer,Tools\n")
    file.name = "products.csv"
    assert client.post("/admin/inventory/product/import/", {"file": file}).context["token"]


def test_prune_deletes_previews_past_their_time_to_live_and_keeps_fresh_ones(admin_client, settings, capsys):
    Category.objects.create(name="Tools")
    preview(admin_client)
    preview(admin_client)
    folder = settings.MEDIA_ROOT / "imports" / "previews"
    old, fresh = sorted(folder.iterdir())
    day_ago = time.time() - 25 * 3600
    os.utime(old, (day_ago, day_ago))

    call_command("prune_previews")

    assert list(folder.iterdir()) == [fresh]
    assert "Deleted 1 expired previews" in capsys.readouterr().out


def test_an_expired_preview_cannot_be_confirmed_and_says_so(admin_client, settings):
    Category.objects.create(name="Tools")
    file = io.BytesIO(b"sku,name,category\nP-9,Hammer,Tools\n")
    file.name = "products.csv"
    token = admin_client.post("/admin/inventory/product/import/", {"file": file}).context["token"]

    call_command("prune_previews", "--older-than", "0")
    response = admin_client.post("/admin/inventory/product/import/", {"token": token}, follow=True)

    assert response.status_code == 200
    assert "That preview has expired; upload the file again." in response.content.decode()


def test_prune_forgets_submission_keys_older_than_their_time_to_live(superuser, settings):
    settings.STOCKROOM_SUBMISSION_TTL_DAYS = 30
    old = Submission.objects.create(key="old", purpose="movement", user=superuser)
    Submission.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    Submission.objects.create(key="new", purpose="movement", user=superuser)

    call_command("prune_previews")

    assert list(Submission.objects.values_list("key", flat=True)) == ["new"]
