"""HTML to PDF with headless Chromium's print-to-PDF (Debian's ``/usr/bin/chromium``).

The HTML is written to a temporary file and printed from a ``file://`` URL; documents
embed their font, so Chromium needs no network. ``PRFLOW_CHROMIUM`` names another binary.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

TIMEOUT_SECONDS = 120


class PdfError(RuntimeError):
    """Chromium is missing or could not print the document."""


def chromium() -> str:
    found = os.environ.get("PRFLOW_CHROMIUM") or shutil.which("chromium")
    if not found:
        raise PdfError("chromium is not installed; run: make system-packages")
    return found


def html_to_pdf(html: str, target: Path) -> Path:
    """Print ``html`` (an A4 document) to the PDF file ``target``."""
    with tempfile.TemporaryDirectory(prefix="prflow-print-") as work:
        page = Path(work) / "document.html"
        page.write_text(html, encoding="utf-8")
        command = [
            chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
            f"--user-data-dir={Path(work) / 'profile'}", f"--print-to-pdf={target.resolve()}",
            page.as_uri(),
        ]  # fmt: skip
        try:
            result = subprocess.run(command, capture_output=True, timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired as err:
            raise PdfError(f"chromium did not finish printing in {TIMEOUT_SECONDS} s") from err
    if result.returncode != 0 or not target.is_file():
        tail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise PdfError(f"chromium could not print the PDF: {' / '.join(tail)}")
    return target
