"""Two-factor sign-in with django-otp: enrol an authenticator app (TOTP), verify a code, recovery codes.

django-otp rather than django-allauth's MFA: unfold's own login page stays as it
is (password first), and the second step is two small admin views in unfold's
sign-in layout; allauth would bring its whole account flow and templates beside
the admin's. django-otp's TOTP device also throttles repeated wrong codes.
"""

import math
from base64 import b32encode

import django_otp
import segno
from django import forms
from django.conf import settings
from django.http import HttpResponseRedirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from unfold.widgets import UnfoldAdminTextInputWidget

from backoffice.security import NEEDS_2FA, is_required_to_enrol
from inventory.services import security
from inventory.services.security import Kind, Outcome

RECOVERY_CODES = 10
APP_DEVICE = "Authenticator app"
RECOVERY_DEVICE = "Recovery codes"


class CodeForm(forms.Form):
    token = forms.CharField(
        label="Code",
        max_length=32,
        widget=UnfoldAdminTextInputWidget(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_token(self):
        return "".join(self.cleaned_data["token"].split()).lower()


def verify_view(request, admin_site):
    """Second step of sign-in: a code from the app, or one recovery code."""
    if request.user.is_verified():
        return _continue(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = _match(request.user, form.cleaned_data["token"])
        if device is not None:
            django_otp.login(request, device)
            used = "a recovery code" if isinstance(device, StaticDevice) else "the authenticator app"
            security.record(Kind.TWO_FACTOR_VERIFIED, Outcome.SUCCESS, request=request, detail=f"With {used}")
            return _continue(request)
        security.record(Kind.TWO_FACTOR_FAILED, Outcome.FAILURE, request=request)
        form.add_error("token", _refusal(request.user))
    context = {**admin_site.each_context(request), "title": "Two-factor sign-in", "form": form}
    return TemplateResponse(request, "backoffice/two_factor/verify.html", context)


def _match(user, token: str):
    """The device that accepts `token`: six digits go to the app, anything else to the recovery codes.

    Routed by shape rather than django_otp.match_token, which tries every device and so
    counts a recovery code as a wrong app code (and throttles the app).
    """
    model = TOTPDevice if len(token) == 6 and token.isdigit() else StaticDevice
    for device in model.objects.filter(user=user, confirmed=True):
        if device.verify_token(token):
            return device
    return None


def _refusal(user) -> str:
    """Why a code was refused, and how long django-otp makes the next try wait (it doubles after each wrong code)."""
    message = "That code is not valid. App codes change every 30 seconds; each recovery code works once."
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            wait = max(1, math.ceil((data["locked_until"] - timezone.now()).total_seconds()))
            count = data["failure_count"]
            return f"{message} After {count} wrong code{pluralize(count)}, wait {wait} s before the next try."
    return message


def enrol_view(request, admin_site):
    """Turn on two-factor sign-in: scan the QR code, type one code, keep the recovery codes."""
    user = request.user
    if django_otp.user_has_device(user, confirmed=True):
        return _status(request, admin_site)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
        user=user, name=APP_DEVICE, confirmed=False
    )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _new_recovery_codes(user)
            django_otp.login(request, device)
            request.session[NEEDS_2FA] = True
            security.record(Kind.TWO_FACTOR_ENROLLED, Outcome.SUCCESS, request=request)
            return _codes_page(request, admin_site, codes)
        form.add_error("token", "That code is not valid. Type the six digits your app shows now.")
    context = {
        **admin_site.each_context(request),
        "title": "Turn on two-factor sign-in",
        "form": form,
        "required": settings.REQUIRE_2FA and is_required_to_enrol(user),
        "qr_svg": segno.make(device.config_url, error="m").svg_inline(scale=5, border=2),
        "secret": _spaced(b32encode(device.bin_key).decode()),
    }
    return TemplateResponse(request, "backoffice/two_factor/enrol.html", context)


def _status(request, admin_site):
    """Enrolled: new recovery codes, or (where not required) turn it off; both need a verified session."""
    user = request.user
    required = settings.REQUIRE_2FA and is_required_to_enrol(user)
    if request.method == "POST" and user.is_verified():
        if request.POST.get("action") == "codes":
            return _codes_page(request, admin_site, _new_recovery_codes(user))
        if request.POST.get("action") == "remove" and not required:
            remove_second_factor(user, request=request)
            request.session[NEEDS_2FA] = False
            return HttpResponseRedirect(reverse("admin:two_factor_enrol"))
    recovery = StaticToken.objects.filter(device__user=user).count()
    context = {
        **admin_site.each_context(request),
        "title": "Two-factor sign-in",
        "required": required,
        "recovery_left": recovery,
    }
    return TemplateResponse(request, "backoffice/two_factor/status.html", context)


def _codes_page(request, admin_site, codes: list[str]):
    context = {
        **admin_site.each_context(request),
        "title": "Your recovery codes",
        "codes": codes,
        "next": _next_url(request),
    }
    return TemplateResponse(request, "backoffice/two_factor/codes.html", context)


def _new_recovery_codes(user) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def remove_second_factor(user, *, request=None, actor=None) -> bool:
    """Delete every device of `user` (an Administrator's reset, or the user's own choice); say whether any was."""
    removed = False
    for device in django_otp.devices_for_user(user, confirmed=None):
        device.delete()
        removed = True
    if removed:
        security.record(
            Kind.TWO_FACTOR_REMOVED,
            Outcome.SUCCESS,
            request=request,
            user=actor,
            detail=f"Two-factor removed for {user.get_username()}",
        )
    return removed


def _spaced(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("admin:index")


def _continue(request):
    return HttpResponseRedirect(_next_url(request))
