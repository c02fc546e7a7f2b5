"""Who is acting: one answer for history rows, access events and security events.

simple-history asks its `get_user` hook for the user of every historical record;
every audited model names `history_user` below as that hook. The answer is the
user a service, task or command named with `acting_as(user)`, else the signed-in
user of the current request (simple-history's middleware keeps the request),
else nobody (a script). Nothing fakes the middleware's request.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.http import HttpRequest
from simple_history.models import HistoricalRecords

_actor: ContextVar = ContextVar("stockroom_actor", default=None)


@contextmanager
def acting_as(user) -> Iterator[None]:
    """Attribute whatever is written inside the block to `user` (None leaves the request's user)."""
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


def current_request() -> HttpRequest | None:
    """The request being served on this thread, if any (simple-history's middleware keeps it)."""
    return getattr(HistoricalRecords.context, "request", None)


def current_user(request: HttpRequest | None = None):
    """The acting user: the one named by `acting_as`, else the request's signed-in user, else None."""
    actor = _actor.get()
    if actor is not None:
        return actor
    request = request if request is not None else current_request()
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return None


def history_user(instance=None, request: HttpRequest | None = None, **kwargs):
    """simple-history's `get_user` hook: the acting user for a historical record of `instance`."""
    return current_user(request)
