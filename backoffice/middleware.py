"""Refuse requests whose parameters hold a NUL byte before any view or filter sees them.

PostgreSQL cannot store or compare text containing NUL, so such a value in a
changelist filter (`?unit__exact=%00`) or a form used to end in a 500. No
legitimate input carries one; answer 400 with a sentence instead.
"""

from django.http import HttpResponseBadRequest

REFUSAL = "The request contains a NUL character (%00), which no field accepts. Remove it and try again."


class RefuseNulBytesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or _has_nul(request.GET):
            return HttpResponseBadRequest(REFUSAL, content_type="text/plain; charset=utf-8")
        if request.method == "POST" and _is_form(request) and _has_nul(request.POST):
            return HttpResponseBadRequest(REFUSAL, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _is_form(request) -> bool:
    return request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(params) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in params.lists())
