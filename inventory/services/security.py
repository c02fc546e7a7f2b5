"""Record security events: one row in the security log and one structured JSON line each.

The request, when there is one, supplies the request id, client address and path
(set on it by backoffice.security.RequestContextMiddleware); signal handlers that
get no request fall back to the current request kept by simple-history's middleware.
"""

import logging

from django.contrib.auth.models import User
from django.http import HttpRequest

from inventory.acting import current_request, current_user
from inventory.models import AccessEvent, SecurityEvent

logger = logging.getLogger("stockroom.security")

Kind = SecurityEvent.Kind
Outcome = SecurityEvent.Outcome


def record(
    kind: str,
    outcome: str,
    *,
    request: HttpRequest | None = None,
    user: User | None = None,
    username: str = "",
    detail: str = "",
) -> SecurityEvent:
    """Write one security event (row and log line) and return it."""
    request = request if request is not None else current_request()
    if user is None:
        user = current_user(request)
    event = SecurityEvent.objects.create(
        kind=kind,
        outcome=outcome,
        user=user,
        username=(username or (user.get_username() if user else ""))[:150],
        client_address=getattr(request, "client_address", "") or "",
        path=(request.path if request is not None else "")[:255],
        request_id=getattr(request, "request_id", "") or "",
        detail=detail[:255],
    )
    logger.info(
        event.get_kind_display(),
        extra={
            "event": kind,
            "outcome": outcome,
            "user": event.username,
            "user_id": event.user_id,
            "client_address": event.client_address,
            "path": event.path,
            "request_id": event.request_id,
            "detail": event.detail,
        },
    )
    return event


def record_access_event(sender, instance: AccessEvent, created: bool, **kwargs) -> None:
    """post_save of an AccessEvent (grant, revoke, group membership): the same change in the security log."""
    if not created:
        return
    record(Kind.ACCESS_CHANGED, Outcome.SUCCESS, user=instance.actor, detail=str(instance))


def record_role_permissions_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    """m2m_changed on Group.permissions: a role gained or lost model permissions."""
    if action not in ("post_add", "post_remove", "post_clear") or reverse:
        return
    verb = {"post_add": "gained", "post_remove": "lost", "post_clear": "lost all"}[action]
    count = "" if action == "post_clear" else f" {len(pk_set)}"
    record(Kind.ACCESS_CHANGED, Outcome.SUCCESS, detail=f"Role {instance.name} {verb}{count} permissions")
