"""The process diagrams open cleanly in bpmn.io / Camunda Modeler.

Each ``processes/*.bpmn`` is imported by bpmn-js (the renderer of bpmn.io and Camunda
Modeler, pinned in ``tests/browser/package-lock.json``) in headless Chromium, once per file.
What bpmn-js drew (its ``elementRegistry``) is checked against the process: no import
warnings, every flow node, lane and sequence flow drawn, no two flow nodes on top of each
other, every flow node inside its lane, every sequence flow running from its source to its
target. The same launch exports the SVG and a PNG screenshot into the test's tmp_path, to
look at when a layout is in doubt.

Needs Chromium, Thai fonts and the viewer: see ``tests/browser/__init__.py``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import combinations, pairwise
from pathlib import Path

import pytest

from tests.browser.chromium import RenderedElement, RenderResult, render_bpmn

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
BPMN_FILES = sorted(PROCESSES.glob("*.bpmn"))
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"

# The BPMN 2.0 flow node types (the project uses only a few; the rest cost nothing here).
FLOW_NODE_TAGS = {
    f"{BPMN}{tag}"
    for tag in (
        "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
        "boundaryEvent", "task", "userTask", "manualTask", "serviceTask", "scriptTask",
        "sendTask", "receiveTask", "businessRuleTask", "callActivity", "subProcess",
        "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
        "complexGateway",
    )
}  # fmt: skip
# A waypoint drawn this far (px) off its shape's border still visibly touches it.
TOUCH_TOLERANCE = 2.0

# One Chromium launch per file, shared by that file's tests: path -> (result, its directory).
_renders: dict[Path, tuple[RenderResult, Path]] = {}


@pytest.fixture
def render_dir(path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the file's page, SVG export and PNG screenshot are (pytest's tmp directory)."""
    if path not in _renders:
        workdir = tmp_path_factory.mktemp(path.stem)
        result = render_bpmn(
            path.read_text(encoding="utf-8"), workdir, screenshot=workdir / f"{path.stem}.png"
        )
        (workdir / f"{path.stem}.svg").write_text(result.svg, encoding="utf-8")
        _renders[path] = (result, workdir)
    return _renders[path][1]


@pytest.fixture
def rendered(path: Path, render_dir: Path) -> RenderResult:
    """The file as bpmn-js rendered it."""
    return _renders[path][0]


def _process(path: Path) -> ET.Element:
    process = ET.parse(path).getroot().find(f"{BPMN}process")
    assert process is not None, f"{path.name}: no bpmn:process"
    return process


def _flow_nodes(path: Path) -> dict[str, str]:
    """Flow node id -> BPMN tag, for every flow node of the process."""
    return {
        el.get("id", ""): el.tag.removeprefix(BPMN)
        for el in _process(path).iter()
        if el.tag in FLOW_NODE_TAGS
    }


def _lanes(path: Path) -> dict[str, set[str]]:
    """Lane id -> the flow node ids it lists (``flowNodeRef``)."""
    return {
        lane.get("id", ""): {
            ref.text.strip() for ref in lane.iter(f"{BPMN}flowNodeRef") if ref.text
        }
        for lane in _process(path).iter(f"{BPMN}lane")
    }


def _sequence_flows(path: Path) -> dict[str, tuple[str, str]]:
    """Sequence flow id -> (source id, target id)."""
    return {
        flow.get("id", ""): (flow.get("sourceRef", ""), flow.get("targetRef", ""))
        for flow in _process(path).iter(f"{BPMN}sequenceFlow")
    }


def _box(shape: RenderedElement) -> tuple[float, float, float, float]:
    assert shape.x is not None and shape.y is not None, shape.id
    assert shape.width is not None and shape.height is not None, shape.id
    return (shape.x, shape.y, shape.x + shape.width, shape.y + shape.height)


def _overlap(a: RenderedElement, b: RenderedElement) -> bool:
    """The shapes share area; sharing only a border is not an overlap."""
    ax1, ay1, ax2, ay2 = _box(a)
    bx1, by1, bx2, by2 = _box(b)
    return ax1 < bx2 and bx1 < ax2 and ay1 < by2 and by1 < ay2


def _inside(inner: RenderedElement, outer: RenderedElement) -> bool:
    ix1, iy1, ix2, iy2 = _box(inner)
    ox1, oy1, ox2, oy2 = _box(outer)
    return ox1 <= ix1 and oy1 <= iy1 and ix2 <= ox2 and iy2 <= oy2


def _touches(point: tuple[float, float], shape: RenderedElement) -> bool:
    x1, y1, x2, y2 = _box(shape)
    x, y = point
    t = TOUCH_TOLERANCE
    return x1 - t <= x <= x2 + t and y1 - t <= y <= y2 + t


def _crosses(p: tuple[float, float], q: tuple[float, float], shape: RenderedElement) -> bool:
    """The segment p-q runs through the inside of the shape (Liang-Barsky clipping)."""
    x1, y1, x2, y2 = _box(shape)
    dx, dy = q[0] - p[0], q[1] - p[1]
    t0, t1 = 0.0, 1.0
    for step, room in ((-dx, p[0] - x1), (dx, x2 - p[0]), (-dy, p[1] - y1), (dy, y2 - p[1])):
        if step == 0:
            if room < 0:
                return False
        elif step < 0:
            t0 = max(t0, room / step)
        else:
            t1 = min(t1, room / step)
    if t0 >= t1:
        return False  # misses the box, or only touches a corner
    # The clipped part may run along the border only; the inside is what covers the text.
    mx, my = p[0] + dx * (t0 + t1) / 2, p[1] + dy * (t0 + t1) / 2
    return x1 < mx < x2 and y1 < my < y2


def _fmt(shape: RenderedElement) -> str:
    return f"{shape.id} (x={shape.x} y={shape.y} w={shape.width} h={shape.height})"


pytestmark = pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.stem)


def test_imports_without_warnings(path: Path, rendered: RenderResult) -> None:
    assert rendered.error is None, f"{path.name}: bpmn-js import failed:\n{rendered.error}"
    warnings = "\n".join(rendered.warnings)
    assert rendered.warnings == [], f"{path.name}: bpmn-js import warnings:\n{warnings}"


def test_every_flow_node_lane_and_sequence_flow_is_drawn(
    path: Path, rendered: RenderResult
) -> None:
    """bpmn-js silently leaves out an element that has no DI: the Modeler would show a gap."""
    expected = set(_flow_nodes(path)) | set(_lanes(path)) | set(_sequence_flows(path))
    missing = sorted(expected - set(rendered.elements))
    assert missing == [], f"{path.name}: no BPMNShape/BPMNEdge drawn for {missing}"
    participants = [e for e in rendered.elements.values() if e.type == "bpmn:Participant"]
    assert len(participants) == 1, f"{path.name}: the pool is not drawn once"
    assert rendered.viewbox["inner"]["width"] > 0, f"{path.name}: empty canvas"


def test_flow_node_shapes_do_not_overlap(path: Path, rendered: RenderResult) -> None:
    shapes = [rendered.elements[i] for i in _flow_nodes(path) if i in rendered.elements]
    overlaps = [
        f"{_fmt(a)} overlaps {_fmt(b)}"
        for a, b in combinations(shapes, 2)
        # A boundary event sits on its task's border by definition.
        if a.host != b.id and b.host != a.id and _overlap(a, b)
    ]
    assert overlaps == [], f"{path.name}:\n" + "\n".join(overlaps)


def test_flow_nodes_lie_inside_their_lanes(path: Path, rendered: RenderResult) -> None:
    outside = [
        f"{_fmt(rendered.elements[node])} is not inside lane {_fmt(rendered.elements[lane])}"
        for lane, nodes in _lanes(path).items()
        for node in sorted(nodes)
        if lane in rendered.elements
        and node in rendered.elements
        and not _inside(rendered.elements[node], rendered.elements[lane])
    ]
    assert outside == [], f"{path.name}:\n" + "\n".join(outside)


def test_sequence_flows_run_from_source_to_target(path: Path, rendered: RenderResult) -> None:
    """An edge's ends sit on its shapes; otherwise the arrow points at empty space."""
    loose = []
    for flow_id, (source, target) in _sequence_flows(path).items():
        edge = rendered.elements.get(flow_id)
        if edge is None or source not in rendered.elements or target not in rendered.elements:
            continue  # reported by test_every_flow_node_lane_and_sequence_flow_is_drawn
        if len(edge.waypoints) < 2:
            loose.append(f"{flow_id}: fewer than 2 waypoints")
            continue
        if not _touches(edge.waypoints[0], rendered.elements[source]):
            loose.append(f"{flow_id}: starts at {edge.waypoints[0]}, off {source}")
        if not _touches(edge.waypoints[-1], rendered.elements[target]):
            loose.append(f"{flow_id}: ends at {edge.waypoints[-1]}, off {target}")
    assert loose == [], f"{path.name}:\n" + "\n".join(loose)


def test_exports_svg_and_screenshot(path: Path, rendered: RenderResult, render_dir: Path) -> None:
    """saveSVG draws every flow node (docs/diagrams uses it) and the screenshot was written."""
    assert rendered.svg.lstrip().startswith(("<?xml", "<svg")), path.name
    missing = [i for i in _flow_nodes(path) if f'data-element-id="{i}"' not in rendered.svg]
    assert missing == [], f"{path.name}: not in the exported SVG: {missing}"
    screenshot = render_dir / f"{path.stem}.png"
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", screenshot


def test_labels_are_not_covered(path: Path, rendered: RenderResult) -> None:
    """Gateway, event and flow names stay legible: no shape, label or line drawn over them.

    bpmn-js draws an external label where its DI ``BPMNLabel`` bounds say; a hand-placed
    label easily ends up under a branch line or another label.
    """
    elements = rendered.elements
    labels = [e for e in elements.values() if e.type == "label"]
    nodes = [elements[i] for i in _flow_nodes(path) if i in elements]
    edges = [e for e in elements.values() if e.waypoints]
    covered = []
    for label in labels:
        owner = label.id.removesuffix("_label")
        covered += [f"{_fmt(label)} is under shape {_fmt(n)}" for n in nodes if _overlap(label, n)]
        covered += [
            f"{_fmt(label)} is crossed by {e.id}"
            for e in edges
            if e.id != owner and any(_crosses(p, q, label) for p, q in pairwise(e.waypoints))
        ]
    covered += [
        f"{_fmt(a)} overlaps {_fmt(b)}" for a, b in combinations(labels, 2) if _overlap(a, b)
    ]
    assert covered == [], f"{path.name}:\n" + "\n".join(covered)
