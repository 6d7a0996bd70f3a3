"""docs/processes.md is the process files' own table, and the diagrams say which paths are
the manual's.

- The page is exactly what ``docs/generate_processes_md.py`` writes from ``processes/``: a
  stale page (a diagram changed, the page not regenerated) fails here.
- Every user task has a row in its process's table; a task missing from the table fails.
- Every step quotes the manual's Thai wording in its documentation ("ตามคู่มือ: ...").
- Every loop the manuals do not draw is marked: a flow that goes back to an earlier step is
  named "(reading)" unless it is one of the manuals' own drawn loops.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
from lxml import etree

from engine.bpmn.process_rules import NS
from engine.settings import REPO_PROCESSES_DIR

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "processes.md"
BPMN = f"{{{NS['bpmn']}}}"
BPMN_FILES = sorted(REPO_PROCESSES_DIR.glob("*.bpmn"))

# Loops the manuals draw themselves: P6's chart, ตรวจสอบ -- แก้ไข --> นำข้อมูลขึ้นบนเว็บไซต์.
MANUAL_LOOPS = {("website_posting", "Flow_fix")}


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "generate_processes_md", ROOT / "docs" / "generate_processes_md.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _tasks(path: Path) -> list[str]:
    return [t.get("id") for t in etree.parse(str(path)).getroot().iter(f"{BPMN}userTask")]


def missing_rows(markdown: str, paths: list[Path]) -> list[tuple[str, str]]:
    """(process, task) pairs with no row in the table of the process's section."""
    sections = re.split(r"^## ", markdown, flags=re.MULTILINE)
    missing = []
    for path in paths:
        (section,) = [s for s in sections if s.splitlines()[0].endswith(f"— `{path.stem}`")]
        element_ids = {
            cells[1].strip()
            for line in section.splitlines()
            if line.startswith("| ") and len(cells := line.split(" | ")) > 1
        }
        missing += [(path.stem, t) for t in _tasks(path) if f"`{t}`" not in element_ids]
    return missing


def test_the_page_is_generated_from_the_process_files() -> None:
    assert DOC.read_text(encoding="utf-8") == _generator().render(REPO_PROCESSES_DIR), (
        "docs/processes.md is stale: run .venv/bin/python docs/generate_processes_md.py"
    )


def test_every_user_task_has_a_row_in_its_process_table() -> None:
    assert len(BPMN_FILES) == 9
    assert missing_rows(DOC.read_text(encoding="utf-8"), BPMN_FILES) == []


def test_a_task_missing_from_the_table_is_reported() -> None:
    page = DOC.read_text(encoding="utf-8")
    row = next(line for line in page.splitlines() if "| `consider_release` |" in line)
    without = page.replace(row + "\n", "")
    assert missing_rows(without, BPMN_FILES) == [("website_posting", "consider_release")]


@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.stem)
def test_every_step_quotes_the_manual_in_thai(path: Path) -> None:
    for task in etree.parse(str(path)).getroot().iter(f"{BPMN}userTask"):
        documentation = task.findtext("bpmn:documentation", default="", namespaces=NS)
        first = documentation.splitlines()[0] if documentation else ""
        assert first.startswith("ตามคู่มือ: "), (path.stem, task.get("id"))
        assert any("\u0e00" <= ch <= "\u0e7f" for ch in first), (path.stem, task.get("id"))


def back_edges(path: Path) -> list[str]:
    """Flows that return to a step already on the way from the start (depth-first)."""
    process = etree.parse(str(path)).getroot().find("bpmn:process", NS)
    outgoing: dict[str, list[tuple[str, str]]] = {}
    for flow in process.iter(f"{BPMN}sequenceFlow"):
        outgoing.setdefault(flow.get("sourceRef"), []).append(
            (flow.get("id"), flow.get("targetRef"))
        )
    found: list[str] = []
    done: set[str] = set()

    def visit(node: str, stack: list[str]) -> None:
        for flow_id, target in outgoing.get(node, []):
            if target in stack:
                found.append(flow_id)
            elif target not in done:
                visit(target, [*stack, target])
        done.add(node)

    for start in process.iter(f"{BPMN}startEvent"):
        visit(start.get("id"), [start.get("id")])
    return found


@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.stem)
def test_loops_the_manual_does_not_draw_are_named_reading(path: Path) -> None:
    root = etree.parse(str(path)).getroot()
    names = {f.get("id"): f.get("name") or "" for f in root.iter(f"{BPMN}sequenceFlow")}
    unmarked = [
        flow_id
        for flow_id in back_edges(path)
        if (path.stem, flow_id) not in MANUAL_LOOPS and "(reading)" not in names[flow_id]
    ]
    assert unmarked == []


def test_the_manuals_own_loop_is_found_and_not_marked() -> None:
    p6 = REPO_PROCESSES_DIR / "website_posting.bpmn"
    assert "Flow_fix" in back_edges(p6)
    root = etree.parse(str(p6)).getroot()
    assert "(reading)" not in root.find(".//bpmn:sequenceFlow[@id='Flow_fix']", NS).get("name")
