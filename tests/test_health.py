"""The health endpoints answer a load balancer without a session, reveal no data, and fail when a part is down."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import WorkerHeartbeat
from inventory.services import workers
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_the_app_health_check_answers_without_a_session_and_names_only_its_checks(client):
    ProductFactory(sku="SECRET-SKU", name="Secret product")
    response = client.get("/health/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert set(response.json()) == {"Database(alias='default')", "Cache(alias='default')", "Storage(alias='default')"}
    assert set(response.json().values()) == {"OK"}
    assert b"SECRET" not in client.get("/health/").content
    assert "no-cache" in response["Cache-Control"]


def test_the_app_health_check_fails_when_storage_cannot_be_written(client, settings, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = blocked
    response = client.get("/health/", HTTP_ACCEPT="application/json")
    assert response.status_code == 500
    assert response.json()["Storage(alias='default')"] != "OK"
    assert str(tmp_path) not in response.content.decode()  # says what failed, not where


def test_the_worker_health_check_follows_the_workers_beat(client, settings):
    assert client.get("/health/worker/").status_code == 500  # no worker ever started
    workers.beat()
    assert client.get("/health/worker/").status_code == 200
    WorkerHeartbeat.objects.update(
        beat_at=timezone.now() - timedelta(seconds=settings.STOCKROOM_WORKER_STALE_SECONDS + 1)
    )
    response = client.get("/health/worker/", HTTP_ACCEPT="text/plain")
    assert response.status_code == 500
    assert "No task worker has reported" in response.content.decode()


def test_a_worker_silent_for_a_day_is_forgotten_at_the_next_beat():
    WorkerHeartbeat.objects.create(worker="old-host:1", beat_at=timezone.now() - timedelta(days=2))
    workers.beat()
    assert list(WorkerHeartbeat.objects.values_list("worker", flat=True)) == [workers.worker_name()]
