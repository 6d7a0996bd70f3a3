"""Run Debian's headless Chromium on a local HTML page, and render a BPMN file with bpmn-js.

Why Chromium and bpmn-js: bpmn-js *is* the renderer of bpmn.io and Camunda Modeler, so a file
it imports without warnings, with every element drawn where the DI says, opens the same way
there. Chromium is driven through its own command line (``--dump-dom``, ``--screenshot``), not
a driver library: one process per page, no extra Python dependency, nothing that downloads a
browser of its own (those downloads fail on the CI machines).

The page reports back by writing a JSON document into the DOM once its script has run;
``--virtual-time-budget`` makes Chromium wait for the script's promises (importXML, saveSVG)
before it dumps the DOM and takes the screenshot, so nothing here sleeps or polls.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BROWSER_DIR = Path(__file__).resolve().parent
VIEWER_JS = BROWSER_DIR / "node_modules" / "bpmn-js" / "dist" / "bpmn-viewer.production.min.js"

INSTALL_CHROMIUM = "apt-get update && apt-get install -y chromium fonts-thai-tlwg"
INSTALL_VIEWER = "npm ci --prefix tests/browser"

# Without the background-networking flags Chromium's own connections (updates, sync, field
# trials) are refused on the offline CI machines and slow every launch down; running as root
# (CI containers) needs --no-sandbox.
HEADLESS_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
# Virtual time: Chromium fast-forwards timers and waits for the page's work up to this many
# (virtual) milliseconds before dumping the DOM; it costs nothing when the page is done sooner.
VIRTUAL_TIME_BUDGET_MS = 10_000
# Real time: a hung browser must fail the test, not the CI job's time limit.
LAUNCH_TIMEOUT_S = 120.0

# White space around the diagram in the screenshot, in CSS pixels.
MARGIN = 40
# Chromium refuses very large windows; a bigger diagram is shrunk to fit instead.
MAX_WINDOW = (4096, 2304)

_DC = "{http://www.omg.org/spec/DD/20100524/DC}"
_DI = "{http://www.omg.org/spec/DD/20100524/DI}"
_RESULT_RE = re.compile(r'<pre id="result">(.*?)</pre>', re.DOTALL)


class BrowserSetupError(RuntimeError):
    """Chromium or the bpmn-js viewer is not installed; the message says how to install it."""


class BrowserRunError(RuntimeError):
    """Chromium ran but the page did not produce its result."""


def find_chromium() -> Path:
    """The Chromium executable: ``$PRFLOW_CHROMIUM``, else ``chromium`` on PATH, else Debian's."""
    candidates = [os.environ.get("PRFLOW_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise BrowserSetupError(
        f"Chromium is not installed (looked for $PRFLOW_CHROMIUM, chromium on PATH, "
        f"/usr/bin/chromium). Install Debian's package as root: {INSTALL_CHROMIUM}"
    )


def viewer_script() -> str:
    """The pinned bpmn-js viewer bundle (``tests/browser/package-lock.json``) as text."""
    if not VIEWER_JS.is_file():
        raise BrowserSetupError(
            f"The bpmn-js viewer is not installed ({VIEWER_JS} is missing). "
            f"From the repository root run: {INSTALL_VIEWER}"
        )
    return VIEWER_JS.read_text(encoding="utf-8")


def run_headless(
    page: Path,
    *,
    screenshot: Path | None = None,
    window_size: tuple[int, int] = (1280, 800),
) -> str:
    """Open ``page`` in a fresh headless Chromium and return the DOM after its scripts ran.

    With ``screenshot``, the same launch also writes a PNG of the window (``window_size``
    in CSS pixels) there. Each launch gets its own throw-away profile directory, so runs
    never share state or lock each other's profile.
    """
    chromium = find_chromium()
    width, height = window_size
    with tempfile.TemporaryDirectory(prefix="prflow-chromium-") as profile:
        args = [
            str(chromium),
            *HEADLESS_FLAGS,
            f"--user-data-dir={profile}",
            f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}",
            f"--window-size={width},{height}",
            "--dump-dom",
        ]
        if screenshot is not None:
            args.append(f"--screenshot={screenshot}")
        args.append(page.resolve().as_uri())
        try:
            done = subprocess.run(
                args, capture_output=True, text=True, timeout=LAUNCH_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired as err:
            raise BrowserRunError(f"Chromium did not finish {page} in {err.timeout} s") from err
    if done.returncode != 0:
        raise BrowserRunError(
            f"Chromium exited with {done.returncode} on {page}:\n{_useful_stderr(done.stderr)}"
        )
    if screenshot is not None and not screenshot.is_file():
        raise BrowserRunError(f"Chromium wrote no screenshot {screenshot}:\n{done.stderr}")
    return done.stdout


def _useful_stderr(stderr: str) -> str:
    """Chromium's stderr without the D-Bus noise of a container that has no system bus."""
    lines = [line for line in stderr.splitlines() if "dbus" not in line]
    return "\n".join(lines[-30:])


# --- bpmn-js -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedElement:
    """One entry of bpmn-js's ``elementRegistry``: a shape, a connection, a label or the root."""

    id: str
    type: str  # "bpmn:UserTask", "bpmn:Lane", "label", ...
    x: float | None  # shapes and labels only
    y: float | None
    width: float | None
    height: float | None
    waypoints: tuple[tuple[float, float], ...]  # connections only
    host: str | None  # a boundary event's task

    @property
    def is_shape(self) -> bool:
        return self.x is not None and self.type != "label"


@dataclass(frozen=True)
class RenderResult:
    """What bpmn-js made of one BPMN file."""

    warnings: list[str]
    error: str | None
    elements: dict[str, RenderedElement]
    viewbox: dict[str, Any]
    svg: str


def diagram_extent(xml: str) -> tuple[float, float, float, float]:
    """(min x, min y, max x, max y) of every DI bound and waypoint in the file."""
    root = ET.fromstring(xml.encode("utf-8"))
    xs: list[float] = []
    ys: list[float] = []
    for bounds in root.iter(f"{_DC}Bounds"):
        x, y = float(bounds.get("x", 0)), float(bounds.get("y", 0))
        xs += [x, x + float(bounds.get("width", 0))]
        ys += [y, y + float(bounds.get("height", 0))]
    for point in root.iter(f"{_DI}waypoint"):
        xs.append(float(point.get("x", 0)))
        ys.append(float(point.get("y", 0)))
    if not xs:
        return (0.0, 0.0, 0.0, 0.0)
    return (min(xs), min(ys), max(xs), max(ys))


def bpmn_page(xml: str, size: tuple[int, int]) -> str:
    """An HTML page that imports ``xml`` into the bpmn-js viewer and writes the result.

    The viewer bundle and the XML are inlined so the page needs neither a server nor file://
    reads (which Chromium blocks for fetch/XHR). The result is a JSON document in
    ``<pre id="result">``, hidden so it stays out of the screenshot. ``size`` is the canvas
    in CSS pixels: fixed, not 100vw/100vh, because headless Chromium may lay the page out
    in a smaller viewport before it applies ``--window-size``, and bpmn-js measures the
    container only once.
    """
    script = viewer_script()
    if "</script" in script.lower():  # would end the inline <script> early
        raise BrowserSetupError(f"{VIEWER_JS} cannot be inlined: it contains '</script'")
    # json.dumps gives a valid JS string literal; escaping "</" keeps a "</script>" inside a
    # documentation text from closing the script element.
    xml_literal = json.dumps(xml).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>bpmn-js render</title>
<style>
  html, body {{ margin: 0; padding: 0; background: #fff; }}
  #canvas {{ width: {size[0]}px; height: {size[1]}px; overflow: hidden; }}
  #result {{ display: none; }}
</style></head>
<body><div id="canvas"></div><pre id="result"></pre>
<script>{script}</script>
<script>
(async () => {{
  const out = {{ warnings: [], error: null, elements: [], viewbox: null, svg: "" }};
  try {{
    const viewer = new BpmnJS({{ container: "#canvas" }});
    const imported = await viewer.importXML({xml_literal});
    out.warnings = imported.warnings.map((w) => String(w.message || w));
    const canvas = viewer.get("canvas");
    // The window is sized to the diagram, so this is scale 1 (real label size) unless the
    // diagram is larger than the largest window, then it shrinks to fit.
    canvas.zoom("fit-viewport", "auto");
    out.viewbox = canvas.viewbox();
    out.elements = viewer.get("elementRegistry").getAll().map((e) => ({{
      id: e.id,
      type: e.type,
      x: e.waypoints ? null : e.x ?? null,
      y: e.waypoints ? null : e.y ?? null,
      width: e.waypoints ? null : e.width ?? null,
      height: e.waypoints ? null : e.height ?? null,
      waypoints: (e.waypoints || []).map((p) => [p.x, p.y]),
      host: e.host ? e.host.id : null,
    }}));
    out.svg = (await viewer.saveSVG()).svg;
  }} catch (err) {{
    out.error = String((err && err.stack) || err);
    out.warnings = ((err && err.warnings) || []).map((w) => String(w.message || w));
  }}
  document.getElementById("result").textContent = JSON.stringify(out);
}})();
</script></body></html>
"""


def render_bpmn(xml: str, workdir: Path, *, screenshot: Path | None = None) -> RenderResult:
    """Import ``xml`` into bpmn-js in one Chromium launch; optionally screenshot the diagram.

    The window is the diagram's DI extent plus a margin, so the screenshot shows the whole
    diagram at its real size (labels as legible as in the Modeler at 100 %).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    page = workdir / "render.html"
    min_x, min_y, max_x, max_y = diagram_extent(xml)
    window = (
        min(MAX_WINDOW[0], int(max_x - min_x) + 2 * MARGIN),
        min(MAX_WINDOW[1], int(max_y - min_y) + 2 * MARGIN),
    )
    page.write_text(bpmn_page(xml, window), encoding="utf-8")
    dom = run_headless(page, screenshot=screenshot, window_size=window)
    match = _RESULT_RE.search(dom)
    if match is None or not match.group(1).strip():
        raise BrowserRunError(
            f"The page wrote no result (its script failed to load or did not finish within "
            f"{VIRTUAL_TIME_BUDGET_MS} ms of virtual time); open {page} in a browser to see why."
        )
    raw = json.loads(html.unescape(match.group(1)))
    elements = {
        e["id"]: RenderedElement(
            id=e["id"],
            type=e["type"],
            x=e["x"],
            y=e["y"],
            width=e["width"],
            height=e["height"],
            waypoints=tuple((p[0], p[1]) for p in e["waypoints"]),
            host=e["host"],
        )
        for e in raw["elements"]
    }
    return RenderResult(
        warnings=raw["warnings"],
        error=raw["error"],
        elements=elements,
        viewbox=raw["viewbox"] or {},
        svg=raw["svg"],
    )
