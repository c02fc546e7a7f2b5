"""Health endpoints for load balancers and monitoring (django-health-check): no session, no data.

`/health/` is what a load balancer asks of each app server: can it reach the database, the cache and
the file storage it serves from. `/health/worker/` says whether any task worker beat recently; it is
separate so that a stopped worker alerts someone instead of taking every app server out of rotation.
"""

import dataclasses

from asgiref.sync import sync_to_async
from django.conf import settings
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from inventory.services import workers

APP_CHECKS = ["health_check.checks.Database", "health_check.checks.Cache", "health_check.checks.Storage"]


@dataclasses.dataclass
class WorkerHeartbeat(HealthCheck):
    """At least one task worker beat within WORKER_STALE_SECONDS."""

    async def run(self) -> None:
        # thread_sensitive: on the request's thread and its database connection, like the rest of Django.
        if not await sync_to_async(workers.live_workers, thread_sensitive=True)():
            raise ServiceUnavailable(
                f"No task worker has reported in the last {settings.STOCKROOM_WORKER_STALE_SECONDS:.0f} s"
            )


WORKER_CHECKS = [WorkerHeartbeat]
