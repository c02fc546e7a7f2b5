"""Printable documents: PDFs rendered from HTML templates by WeasyPrint, with Code 128 barcodes.

The HTML is a Django template like any page (autoescaped); WeasyPrint may load nothing but the `data:`
URIs the template itself carries (barcodes), so a document never reaches the network or the server's
files whatever a product name or note contains.
"""

import base64
from io import BytesIO

import barcode
import weasyprint
from barcode.writer import SVGWriter
from django.http import HttpResponse
from django.template.loader import render_to_string
from weasyprint.urls import URLFetcher

# Labels per sheet at most: a selection of the whole catalog would be a 3,000-page PDF nobody prints.
MAX_LABELS = 600


def code128(value: str) -> str:
    """A Code 128 barcode of `value` as a data: URI (SVG), for an <img> in a printed document."""
    out = BytesIO()
    options = {"module_height": 9.0, "module_width": 0.25, "quiet_zone": 2.0, "write_text": False}
    barcode.Code128(value, writer=SVGWriter()).write(out, options=options)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


def render_pdf(template: str, context: dict, request=None) -> bytes:
    html = render_to_string(template, context, request=request)
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=False)
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()


def pdf_response(template: str, context: dict, filename: str, request=None) -> HttpResponse:
    response = HttpResponse(render_pdf(template, context, request), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
