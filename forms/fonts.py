"""The Sarabun typeface, embedded: documents carry their font as data URIs (no CDN, no
network), so the printed HTML and the PDF look the same on any machine.

The files come from the ``@fontsource/sarabun`` package that ``make assets`` installs under
``assets/node_modules``; ``PRFLOW_ASSETS_DIR`` points elsewhere when installed differently.
When the font is missing the documents fall back to the system's Thai fonts.
"""

from __future__ import annotations

import base64
import os
from functools import cache
from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
SUBSETS = ("thai", "latin")
WEIGHTS = (400, 700)


def sarabun_dir() -> Path:
    root = Path(os.environ.get("PRFLOW_ASSETS_DIR", ASSETS_DIR))
    return root / "node_modules" / "@fontsource" / "sarabun" / "files"


@cache
def sarabun_css() -> str:
    """``@font-face`` rules for Sarabun 400/700 (Thai and Latin) as data URIs."""
    rules = []
    for weight in WEIGHTS:
        for subset in SUBSETS:
            path = sarabun_dir() / f"sarabun-{subset}-{weight}-normal.woff2"
            if not path.is_file():
                continue
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            rules.append(
                "@font-face { font-family: 'Sarabun'; font-style: normal; "
                f"font-weight: {weight}; font-display: block; "
                f"src: url(data:font/woff2;base64,{data}) format('woff2'); }}"
            )
    return "\n".join(rules)
