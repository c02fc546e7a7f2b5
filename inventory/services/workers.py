"""Task workers say they are alive; the worker health check reads it."""

import os
import socket
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from inventory.models import WorkerHeartbeat


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat() -> None:
    """Record that this worker is alive, and forget workers silent for a day (they stopped long ago)."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(worker=worker_name(), defaults={"beat_at": now})
    WorkerHeartbeat.objects.filter(beat_at__lt=now - timedelta(days=1)).delete()


def live_workers() -> int:
    """How many workers beat within WORKER_STALE_SECONDS."""
    since = timezone.now() - timedelta(seconds=settings.STOCKROOM_WORKER_STALE_SECONDS)
    return WorkerHeartbeat.objects.filter(beat_at__gte=since).count()
