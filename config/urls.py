"""Stockroom URLs: the admin is the application; the site root redirects to it."""

from django.urls import path
from django.views.generic import RedirectView

from backoffice.sites import site

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", site.urls),
]

handler403 = "backoffice.views.errors.forbidden"
handler404 = "backoffice.views.errors.not_found"
