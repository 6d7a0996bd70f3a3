"""Refresh ``docs/diagrams/<process id>.svg`` from ``processes/*.bpmn``, drawn by bpmn-js.

GitHub shows SVG files but not BPMN, so the docs carry a picture of every process as
bpmn.io / Camunda Modeler draws it. Run from the repository root after editing a process
file, and commit the changed SVGs::

    .venv/bin/python -m tests.browser.export_svgs

Needs Chromium, Thai fonts and the viewer (see ``tests/browser/__init__.py``). A file that
bpmn-js imports with warnings is refused: ``tests/processes/test_diagrams_render.py`` says
what is wrong with it.
"""

from __future__ import annotations

import re
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.browser.chromium import BrowserRunError, BrowserSetupError, render_bpmn

REPO = Path(__file__).resolve().parents[2]
PROCESSES = REPO / "processes"
OUT = REPO / "docs" / "diagrams"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
# bpmn-js names each arrow-head marker with a random id; numbering them in order makes the
# export reproducible, so a refresh only changes the SVGs whose diagram changed.
_MARKER_ID = re.compile(r'\bid="(marker-[^"]+)"')


def process_id(path: Path) -> str:
    """The file's ``bpmn:process`` id (the project rule makes it the file name too)."""
    process = ET.parse(path).getroot().find(f"{BPMN}process")
    if process is None or not process.get("id"):
        raise ValueError(f"{path}: no bpmn:process with an id")
    return process.get("id", "")


def stable_marker_ids(svg: str) -> str:
    """``svg`` with its random marker ids replaced by ``marker-1``, ``marker-2``, ..."""
    # Only the declared ids: the CSS property names marker-end/-start must stay as they are.
    for number, marker in enumerate(dict.fromkeys(_MARKER_ID.findall(svg)), start=1):
        svg = svg.replace(f'id="{marker}"', f'id="marker-{number}"')
        svg = svg.replace(f"url('#{marker}')", f"url('#marker-{number}')")
    return svg


def export(path: Path, workdir: Path) -> Path:
    """Render one process file and write its SVG; returns the SVG's path."""
    result = render_bpmn(path.read_text(encoding="utf-8"), workdir / path.stem)
    if result.error is not None or result.warnings:
        problems = result.error or "\n".join(result.warnings)
        raise BrowserRunError(f"{path.name}: bpmn-js could not import it cleanly:\n{problems}")
    target = OUT / f"{process_id(path)}.svg"
    # Fixed trailing newline: git diffs stay clean and editors do not add one.
    target.write_text(stable_marker_ids(result.svg).rstrip() + "\n", encoding="utf-8")
    return target


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix="prflow-svgs-") as tmp:
            for path in sorted(PROCESSES.glob("*.bpmn")):
                print(export(path, Path(tmp)).relative_to(REPO))
    except (BrowserSetupError, BrowserRunError) as err:
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
