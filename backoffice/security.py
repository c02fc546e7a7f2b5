"""Sign-in and session hardening: the client address, request ids, session limits, two-factor and the security log.

Everything here runs for every request, so each piece is a small middleware or
signal receiver; the rules about who needs what live in one function each
(`client_address`, `needs_second_factor`).
"""

import time
import uuid
from datetime import timedelta
from importlib import import_module

import django_otp
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.contrib.sessions.backends.base import SessionBase
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from inventory.models import UserSession
from inventory.roles import ADMINISTRATOR
from inventory.services import security
from inventory.services.security import Kind, Outcome

STARTED = "stockroom.session_started"
SEEN = "stockroom.session_seen"
NEEDS_2FA = "stockroom.needs_second_factor"
# The last-seen time is written back at most this often, so a busy page does not save its session each request.
SEEN_RESOLUTION_SECONDS = 60
# Polled by the job progress script: not a sign that a person is still at the keyboard.
PASSIVE_SUFFIXES = ("/status.json",)


def client_address(request: HttpRequest) -> str:
    """The address of the client: REMOTE_ADDR, or the one the outermost trusted proxy saw.

    Each proxy appends the address it received the request from to X-Forwarded-For,
    so with N trusted proxies the client is the N-th entry from the right; anything
    to its left was written by the client and is ignored. With no trusted proxy
    (the default) the header is ignored entirely, so rotating it changes nothing.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote
    return forwarded[-count]


class RequestContextMiddleware:
    """Give each request an id and its client address, and log every 403 (the one line a refusal writes)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex
        request.client_address = client_address(request)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        if response.status_code == 403:
            security.record(Kind.FORBIDDEN, Outcome.REFUSED, request=request, detail=f"{request.method} refused")
        return response


class PermissionsPolicyMiddleware:
    """Turn off the browser features a back office never uses."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class SessionLimitsMiddleware:
    """End a session idle for SESSION_IDLE_MINUTES or older than SESSION_MAX_HOURS."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            expired = self._check(request)
            if expired:
                return expired
        return self.get_response(request)

    def _check(self, request) -> HttpResponse | None:
        session = request.session
        now = time.time()
        started, seen = session.get(STARTED), session.get(SEEN)
        if started is None or seen is None:
            session[STARTED] = session[SEEN] = now
            return None
        if now - started > settings.SESSION_MAX_HOURS * 3600:
            return _end_session(request, f"Your session reached its limit of {settings.SESSION_MAX_HOURS} hours.")
        if now - seen > settings.SESSION_IDLE_MINUTES * 60:
            return _end_session(
                request, f"Your session ended after {settings.SESSION_IDLE_MINUTES} minutes without activity."
            )
        if now - seen > SEEN_RESOLUTION_SECONDS and not request.path.endswith(PASSIVE_SUFFIXES):
            session[SEEN] = now
        return None


def _end_session(request, reason: str) -> HttpResponse:
    security.record(Kind.SESSION_EXPIRED, Outcome.SUCCESS, request=request, detail=reason)
    logout(request)
    messages.warning(request, f"{reason} Sign in again to continue.")
    return _to(request, "admin:login")


class TwoFactorMiddleware:
    """Send a signed-in user who owes a second factor to verify it (or to enrol, when it is required)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._owes_second_factor(request):
            has_device = django_otp.user_has_device(request.user, confirmed=True)
            return _to(request, "admin:two_factor_verify" if has_device else "admin:two_factor_enrol")
        return self.get_response(request)

    def _owes_second_factor(self, request) -> bool:
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return False
        if not request.path.startswith(_admin_prefix()):
            return False
        if NEEDS_2FA not in request.session:
            # A session signed in before two-factor existed (or by force_login): decide once, keep the answer.
            request.session[NEEDS_2FA] = needs_second_factor(user)
        if not request.session[NEEDS_2FA]:
            return False
        exempt = {
            reverse(name)
            for name in ("admin:login", "admin:logout", "admin:two_factor_verify", "admin:two_factor_enrol")
        }
        return request.path not in exempt and not request.path.startswith(reverse("admin:jsi18n"))


def needs_second_factor(user) -> bool:
    """Whether `user` must pass a second factor to use the admin: when enrolled, or when their role requires it."""
    if django_otp.user_has_device(user, confirmed=True):
        return True
    return settings.REQUIRE_2FA and is_required_to_enrol(user)


def is_required_to_enrol(user) -> bool:
    """Superusers and Administrators hold the keys: with REQUIRE_2FA on they cannot work without a second factor."""
    return user.is_superuser or user.groups.filter(name=ADMINISTRATOR).exists()


def _to(request, name: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")


def _admin_prefix() -> str:
    return reverse("admin:index")


def locked_out(request, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' lockout answer: the admin's sign-in look, and the time to try again."""
    until = timezone.localtime(timezone.now() + settings.AXES_COOLOFF_TIME)
    context = {
        "title": "Too many failed sign-ins",
        "site_title": settings.UNFOLD["SITE_TITLE"],
        "until": until,
        "minutes": int(settings.AXES_COOLOFF_TIME / timedelta(minutes=1)),
    }
    return render(request, "backoffice/locked_out.html", context, status=429)


def end_all_sessions(user, *, actor) -> int:
    """End every session `user` signed in with, whatever the session store; return how many ended."""
    store = _session_store()
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(user=user).delete()
    security.record(
        Kind.SESSIONS_ENDED,
        Outcome.SUCCESS,
        user=actor,
        detail=f"Ended {len(keys)} sessions of {user.get_username()}",
    )
    return len(keys)


def _session_store() -> type[SessionBase]:
    return import_module(settings.SESSION_ENGINE).SessionStore


@receiver(user_logged_in, dispatch_uid="stockroom_signed_in")
def _signed_in(sender, request, user, **kwargs):
    if request is None:
        return
    now = time.time()
    request.session[STARTED] = request.session[SEEN] = now
    request.session[NEEDS_2FA] = needs_second_factor(user)
    if request.session.session_key:
        UserSession.objects.get_or_create(session_key=request.session.session_key, defaults={"user": user})
    security.record(Kind.SIGN_IN, Outcome.SUCCESS, request=request, user=user)


@receiver(user_logged_out, dispatch_uid="stockroom_signed_out")
def _signed_out(sender, request, user, **kwargs):
    if request is None or user is None:
        return
    if request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()
    security.record(Kind.SIGN_OUT, Outcome.SUCCESS, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="stockroom_sign_in_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))
    security.record(Kind.SIGN_IN_FAILED, Outcome.FAILURE, request=request, username=username)


@receiver(user_locked_out, dispatch_uid="stockroom_locked_out")
def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    security.record(
        Kind.LOCKED_OUT,
        Outcome.REFUSED,
        request=request,
        username=str(username or ""),
        detail=f"Locked after {settings.AXES_FAILURE_LIMIT} failures (address {ip_address})",
    )
