"""Logging filters named in settings.LOGGING (loaded before the apps are ready, so no models here)."""

import logging


class SkipForbidden(logging.Filter):
    """Drop django.request's record of a 403.

    The security log already writes one line per refused request (RequestContextMiddleware), with the
    user, path and request id; Django's own record repeated it with the PermissionDenied traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) != 403
