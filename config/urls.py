"""Stockroom URLs: the admin is the application; the site root redirects to it."""

from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView
from health_check.views import HealthCheckView

from backoffice.health import APP_CHECKS, WORKER_CHECKS
from backoffice.sites import site

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", site.urls),
    # Browsers, bookmarks and tabs that ask the root for an icon get the one every page links to.
    path("favicon.ico", lambda request: HttpResponsePermanentRedirect(static("backoffice/favicon.svg"))),
    path("health/", HealthCheckView.as_view(checks=APP_CHECKS), name="health"),
    path("health/worker/", HealthCheckView.as_view(checks=WORKER_CHECKS), name="health_worker"),
]

handler403 = "backoffice.views.errors.forbidden"
handler404 = "backoffice.views.errors.not_found"
