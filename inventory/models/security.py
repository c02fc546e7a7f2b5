"""The security log: sign-ins, lockouts, two-factor changes, refusals and access changes, and live sessions."""

from django.conf import settings
from django.db import models


class SecurityEvent(models.Model):
    """One security-relevant event, append-only; also written as one JSON log line."""

    class Kind(models.TextChoices):
        SIGN_IN = "sign_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        LOCKED_OUT = "locked_out", "Locked out"
        LOCKOUT_CLEARED = "lockout_cleared", "Lockout cleared"
        SIGN_OUT = "sign_out", "Signed out"
        TWO_FACTOR_ENROLLED = "2fa_enrolled", "Two-factor enrolled"
        TWO_FACTOR_VERIFIED = "2fa_verified", "Two-factor verified"
        TWO_FACTOR_FAILED = "2fa_failed", "Two-factor code refused"
        TWO_FACTOR_REMOVED = "2fa_removed", "Two-factor removed"
        SESSION_EXPIRED = "session_expired", "Session expired"
        SESSIONS_ENDED = "sessions_ended", "Sessions ended"
        FORBIDDEN = "forbidden", "Refused (403)"
        ACCESS_CHANGED = "access_changed", "Access or role changed"

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        FAILURE = "failure", "Failure"
        REFUSED = "refused", "Refused"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="security_events"
    )
    # What was typed at sign-in, or the user's name when known; kept when the user is deleted.
    username = models.CharField(max_length=150, blank=True, db_index=True)
    client_address = models.CharField(max_length=64, blank=True)
    path = models.CharField(max_length=255, blank=True)
    request_id = models.CharField(max_length=32, blank=True)
    detail = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("export_securityevent", "Can export security events")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.username or 'anonymous'}"


class UserSession(models.Model):
    """A session a user signed in with, so an Administrator can end all of them whatever the session store."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "signed-in session"

    def __str__(self) -> str:
        return f"Session of user {self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"
