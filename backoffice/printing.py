"""Printable documents: PDFs rendered from HTML templates by WeasyPrint, with Code 128 barcodes.

The HTML is a Django template like any page (autoescaped); WeasyPrint may load nothing but the `data:`
URIs the template itself carries (barcodes), so a document never reaches the network or the server's
files whatever a product name or note contains.
"""

import base64
import re

import barcode
import weasyprint
from django.http import HttpResponse
from django.template.loader import render_to_string
from weasyprint.urls import URLFetcher

# Labels per sheet at most: a selection of the whole catalog would be a 3,000-page PDF nobody prints.
MAX_LABELS = 600


# Millimetres: a 0.25 mm module prints as 3 dots at 300 dpi, with 2 mm of white either side for the scanner.
MODULE, HEIGHT, QUIET = 0.25, 9.0, 2.0


def code128(value: str) -> str:
    """A Code 128 barcode of `value` as a data: URI (SVG, every bar in one path), for an <img> in a printed document.

    python-barcode encodes; the bars are drawn as one path rather than its writer's rectangle per bar, which
    halves what WeasyPrint spends on a count sheet's barcodes and leaves no hairline seams between bars.
    """
    modules = barcode.Code128(value).build()[0]
    bars = [(run.start(), len(run.group())) for run in re.finditer("1+", modules)]
    path = "".join(
        f"M{QUIET + start * MODULE:g} 0h{width * MODULE:g}v{HEIGHT:g}h-{width * MODULE:g}z" for start, width in bars
    )
    width = 2 * QUIET + len(modules) * MODULE
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}mm" height="{HEIGHT:g}mm" '
        f'viewBox="0 0 {width:g} {HEIGHT:g}"><rect width="100%" height="100%" fill="#fff"/><path d="{path}"/></svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def render_pdf(template: str, context: dict, request=None) -> bytes:
    html = render_to_string(template, context, request=request)
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=False)
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()


def pdf_response(template: str, context: dict, filename: str, request=None) -> HttpResponse:
    response = HttpResponse(render_pdf(template, context, request), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
