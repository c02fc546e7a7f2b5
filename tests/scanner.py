"""What a barcode scanner reads off a printed PDF: each page rendered at a printer's 300 dpi, every barcode decoded."""

import pypdfium2
import zxingcpp

PRINTER_DPI = 300


def scanned(pdf: bytes) -> list[str]:
    """The text of every barcode on every page of `pdf`, in the order the pages and the reader find them."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [
            found.text
            for page in document
            for found in zxingcpp.read_barcodes(page.render(scale=PRINTER_DPI / 72).to_pil())
        ]
    finally:
        document.close()
