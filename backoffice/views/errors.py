"""The 403 and 404 pages: inside the admin layout for signed-in staff, saying what happened and what to do instead."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from backoffice.sites import site

FORBIDDEN = {
    "title": "You don't have access to this page",
    "explanation": (
        "Your role does not include this page, or the record belongs to a warehouse you are not assigned to."
    ),
    "advice": "Ask an Administrator for access, or go back to the home page.",
}
NOT_FOUND = {
    "title": "This page does not exist",
    "explanation": (
        "The address may be mistyped, or the record was deleted or belongs to a warehouse you are not assigned to."
    ),
    "advice": "Check the address, find the record from the sidebar, or go back to the home page.",
}


def forbidden(request: HttpRequest, exception=None) -> HttpResponse:
    """handler403."""
    return _error_page(request, FORBIDDEN, status=403)


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """handler404."""
    return _error_page(request, NOT_FOUND, status=404)


def _error_page(request: HttpRequest, page: dict, *, status: int) -> HttpResponse:
    context = {**page, "content_title": page["title"], "home_url": reverse("admin:index"), "status": status}
    if site.has_permission(request):
        # Staff get the sidebar and header of every other admin page, so they can carry on from here.
        return render(
            request, "backoffice/errors/in_admin.html", {**site.each_context(request), **context}, status=status
        )
    return render(
        request, "backoffice/errors/signed_out.html", {**context, "site_title": site.site_title}, status=status
    )
