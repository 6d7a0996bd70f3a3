"""Write docs/processes.md from the process files: one table per manual, step by step.

Every row is a user task of ``processes/<key>.bpmn``: the manual's step (the task's
``source`` property and the Thai wording its documentation quotes after "ตามคู่มือ:"), the
element id, the lane's role, the time limit exactly as the ``due`` / ``due.<field>=<value>`` /
``due_none`` properties write it, the form, and where the step leads: every branch of the
decision after it, marked as the manual's or as our reading (a flow whose name says
"(reading)"). ``tests/processes/test_processes_doc.py`` fails when the page is stale or a
task is missing from it.

Run from the repository root after changing a process file::

    .venv/bin/python docs/generate_processes_md.py
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
PROCESSES = ROOT / "processes"
OUTPUT = ROOT / "docs" / "processes.md"

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
B = "{" + NS["bpmn"] + "}"
THAI_MARK = "ตามคู่มือ:"
READING = "(reading)"

# The manuals in the order of /work/shared/PROCESSES.md (P1-P9).
ORDER = [
    "network_communication",
    "pr_campaign",
    "pr_network_building",
    "news_publishing",
    "coordination",
    "website_posting",
    "minister_coordination",
    "news_production",
    "office_website_publishing",
]

INTRO = """# Processes

Generated from the process files by `docs/generate_processes_md.py` (do not edit by hand;
`tests/processes/test_processes_doc.py` fails when this page is stale or misses a task).
Conventions: `processes/README.md`. English reading of the manuals: `/work/shared/PROCESSES.md`.
Roles: `processes/roles.toml`.

One table per manual flowchart (P1-P9). Every row is a user task (`bpmn:userTask`):

- **manual step**: where in the manual the step is (the task's `source` property) and the
  manual's own Thai wording (quoted in the task's documentation after "ตามคู่มือ:");
- **element id**, the lane's **role** (role id and its Thai name), the **limit** exactly as the
  `due` / `due.<field>=<value>` / `due_none` properties write it, the **form** id;
- **leads to**: the next step, or every branch of the decision after the step with its
  condition, marked **manual** (drawn or written in the manual) or **reading** (a path the
  manual does not draw, which we added; its flow's name says "(reading)" in the diagram and
  the process notes say which text of the manual implies it).

Decisions read a form field of the task just before the gateway; the value must be one of
the listed strings (conditions are comparisons with string literals, checked at deploy).
"""

MONITORING = """## Monitoring: reports from prflow's data

Two manuals name monitoring duties that are not steps of one case. They are not modelled
as tasks; they are reports that prflow produces from its own records (task rows with their
due and completion times, the form data of each step, the hash-chained event log), which
keep everything the reports count. The report and ops screens come with the web layer.

{monitoring_table}

## New versions deploy beside running cases

A changed process file deploys as a new numbered version; cases already running stay on
the version they started with and run to its end, new cases start on the new version
(`prflow versions <process>` lists both). `tests/processes/test_versions.py` proves it on
P6: a case started on the first P6 (the chart's loop only) finishes its upload / verify /
store after the current P6 (with §4's writing and approval steps) is deployed.
"""


MONITORING_ROWS = [
    (
        "P8 `news_production` (004 ติดตามและประเมินผล)",
        "รวบรวมเอกสารข่าวประชาสัมพันธ์นโยบาย ที่ผลิตขึ้นโดยงานประชาสัมพันธ์ เป็นประจำทุกวัน",
        "daily list of the cases whose `publish_news` was completed that day, with `category` "
        "(policy / proactive / royal ceremony) from `plan_news` and the channels from "
        "`publish_news`",
    ),
    (
        "P8",
        "สรุปจำนวนและประมวลผลเป็นร้อยละของข่าวประชาสัมพันธ์ฯ ที่ได้รับการเผยแพร่ (ผ่านสื่อสิ่งพิมพ์) เป็นรายเดือน",
        "monthly count of published releases and the share published through each channel "
        "recorded in `publish_news`",
    ),
    (
        "P8",
        "ร้อยละ ๘๐ ของข่าวประชาสัมพันธ์สามารถดำเนินการผลิตได้ตามระยะเวลาที่กำหนด",
        "`prflow ontime --process news_production`: the share of steps done by their due time "
        "(cases with `news_type` other have no standard and are not counted)",
    ),
    (
        "P8",
        "จัดทำรายงานผลรอบ ๖ เดือน และ ๑๒ เดือน",
        "the monthly figures above over 6 and 12 months (fiscal half-year and year)",
    ),
    (
        "P1 `network_communication` (000 §9.1-9.2)",
        "รายงานผลการดำเนินการรายเดือนหรือรายไตรมาส ... จัดทำรายงานผลการดำเนินงานเสนอผู้บริหาร",
        "monthly or quarterly count of network cases: networks built (`build_network`), "
        "releases published on platforms, question rounds answered, and their times against "
        "each step's limit",
    ),
    (
        "P1 (000 §9.3-9.4)",
        "สำรวจหรือรับฟังความคิดเห็นของสำนัก/กอง ที่มีเครือข่าย และของเครือข่าย",
        "a survey is not a case step; prflow gives the survey its population: the units and "
        "network members who acted in cases in the period",
    ),
    (
        "P1 (000 §8)",
        "ฐานข้อมูลเครือข่ายกรมประชาสัมพันธ์ ระบบ Pra-In Connect เก็บ ๑๐ ปี",
        "the network database itself stays in Pra-In Connect; prflow's event log of these "
        "cases is kept by its retention rules (`engine/audit/retention.py`)",
    ),
]


def _monitoring() -> str:
    lines = ["| manual | duty (Thai wording) | how prflow produces it |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in MONITORING_ROWS]
    return MONITORING.format(monitoring_table="\n".join(lines))


@dataclass(frozen=True)
class Row:
    step: str
    element_id: str
    role: str
    limit: str
    form: str
    leads_to: str


def _props(node: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for prop in node.iterfind(
        "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS
    ):
        found[prop.get("name")] = prop.get("value") or ""
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def _limit(props: dict[str, str]) -> str:
    parts = [f"`{props['due']}`"] if "due" in props else []
    parts += [f"{name[4:]}: `{value}`" for name, value in props.items() if name.startswith("due.")]
    if "due_none" in props:
        label = "otherwise none" if parts else "none"
        parts.append(f"{label} — {props['due_none']}")
    return "<br>".join(_cell(p) for p in parts)


def _thai_wording(node: Any) -> str:
    text = node.findtext("bpmn:documentation", default="", namespaces=NS)
    for line in text.splitlines():
        if line.startswith(THAI_MARK):
            return line[len(THAI_MARK) :].strip()
    return ""


class Process:
    """What the page needs from one process file."""

    def __init__(self, path: Path, roles: dict[str, dict[str, str]]) -> None:
        self.root = etree.parse(str(path)).getroot()
        self.process = self.root.find("bpmn:process", NS)
        self.key = self.process.get("id")
        self.roles = roles
        self.nodes = {n.get("id"): n for n in self.process if n.get("id")}
        self.flows = list(self.process.iter(f"{B}sequenceFlow"))
        self.lane_of = {
            (ref.text or "").strip(): lane.get("name")
            for lane in self.process.iter(f"{B}lane")
            for ref in lane.findall("bpmn:flowNodeRef", NS)
        }

    def name(self, node_id: str) -> str:
        node = self.nodes[node_id]
        kind = etree.QName(node).localname
        if kind == "endEvent":
            return f"end ({node.get('name')})"
        return f"`{node_id}`"

    def outgoing(self, node_id: str) -> list[Any]:
        return [f for f in self.flows if f.get("sourceRef") == node_id]

    def leads_to(self, task_id: str) -> str:
        parts = []
        for flow in self.outgoing(task_id):
            target = flow.get("targetRef")
            if etree.QName(self.nodes[target]).localname == "exclusiveGateway":
                gateway = self.nodes[target]
                parts.append(f"decision `{target}` ({gateway.get('name')}):")
                for branch in self.outgoing(target):
                    condition = branch.findtext("bpmn:conditionExpression", namespaces=NS)
                    if branch.get("id") == gateway.get("default"):
                        condition = "default"
                    kind = "**reading**" if READING in (branch.get("name") or "") else "manual"
                    parts.append(
                        f"`{(condition or '').strip()}` → {self.name(branch.get('targetRef'))}"
                        f" ({kind})"
                    )
            else:
                reading = " (**reading**)" if READING in (flow.get("name") or "") else ""
                parts.append(f"→ {self.name(target)}{reading}")
        return "<br>".join(_cell(p) for p in parts)

    def rows(self) -> list[Row]:
        rows = []
        for task in self.process.iter(f"{B}userTask"):
            task_id = task.get("id")
            props = _props(task)
            role = self.lane_of.get(task_id, "")
            thai_role = self.roles.get(role, {}).get("th", "")
            thai = _thai_wording(task)
            step = f"{props.get('source', '')}" + (f"<br>{thai}" if thai else "")
            rows.append(
                Row(
                    step=_cell(step),
                    element_id=task_id,
                    role=_cell(f"`{role}` {thai_role}"),
                    limit=_limit(props),
                    form=f"`{props.get('form', '')}`",
                    leads_to=self.leads_to(task_id),
                )
            )
        return rows

    def escalations(self) -> list[str]:
        lines = []
        for event in self.process.iter(f"{B}boundaryEvent"):
            (flow,) = self.outgoing(event.get("id"))
            target = flow.get("targetRef")
            lines.append(
                f"- `{event.get('id')}`: non-interrupting timer at `due_at` of "
                f"`{event.get('attachedToRef')}` → `{target}` (`{self.lane_of.get(target)}`)"
            )
        return lines

    def notes(self) -> list[str]:
        text = self.process.findtext("bpmn:documentation", default="", namespaces=NS)
        return [line.strip() for line in text.splitlines()[1:] if line.strip()]

    def title(self) -> str:
        text = self.process.findtext("bpmn:documentation", default="", namespaces=NS)
        return text.splitlines()[0].strip() if text else ""


def render(processes_dir: Path = PROCESSES) -> str:
    roles = tomllib.loads((processes_dir / "roles.toml").read_text(encoding="utf-8"))["roles"]
    out = [INTRO]
    for number, key in enumerate(ORDER, start=1):
        process = Process(processes_dir / f"{key}.bpmn", roles)
        out.append(f"## P{number} · {process.process.get('name')} — `{key}`\n")
        out.append(f"{process.title()}\n")
        out.append(
            "| manual step (section · Thai wording) | element id | role | limit | form "
            "| leads to (manual or reading) |"
        )
        out.append("|---|---|---|---|---|---|")
        for row in process.rows():
            out.append(
                f"| {row.step} | `{row.element_id}` | {row.role} | {row.limit} | {row.form} "
                f"| {row.leads_to} |"
            )
        escalations = process.escalations()
        out.append("\nEscalations:" + (" none." if not escalations else "\n"))
        out.extend(escalations)
        out.append("\nReading choices and notes (from the process documentation):\n")
        out.extend(f"- {_cell(note)}" for note in process.notes())
        out.append("")
    out.append(_monitoring())
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
