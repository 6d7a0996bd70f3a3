"""Benchmark: what a reminder cycle costs a case as its repetitions add up.

Each repetition of a cycle timer (``R/P1D``) runs its outgoing path from a completed copy
of the boundary event (``engine.bpmn.timer_events``), and those copies stay in the case's
saved state until the reminded task ends. This measures, without a database, on one
case, each firing done as separate commands do it (restore onto a freshly compiled spec,
fire as of the instant, save): the saved state size and the mean time of a firing in the
first and last ten of ``--repetitions`` firings, for the two kinds of reminder path:

- ``end``: the path reaches an end event (tests/bpmn/diagrams/bpmnio_reminder_subprocess);
- ``task``: the path opens a reminder task that stays open
  (tests/bpmn/diagrams/camunda7_reminder, its cycle made ``R/PT4H``).

The cap of ``engine.bounds.MAX_CYCLE_REPETITIONS`` firings per cycle keeps this bounded.

Usage: .venv/bin/python bench/cycles.py [--repetitions 1000]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from engine.bpmn import definitions
from engine.cases import runtime
from engine.roles import RoleCatalogue
from engine.settings import REPO_PROCESSES_DIR

DIAGRAMS = Path(__file__).parent.parent / "tests" / "bpmn" / "diagrams"
ROLES = RoleCatalogue.load(REPO_PROCESSES_DIR / "roles.toml")
T0 = datetime(2026, 6, 8, 2, 0, tzinfo=UTC)


def no_due(_task: Any) -> str:
    raise AssertionError("no due_at timers here")


def compile_fresh(path: Path) -> definitions.CompiledDefinition:
    definitions._COMPILED.clear()  # a separate command parses the definition again
    return definitions.validate(definitions.read_source(path, executable=True), ROLES)


def run(path: Path, interval: timedelta, repetitions: int) -> dict[str, float]:
    workflow = runtime.new_workflow(compile_fresh(path), {}, no_due, T0)
    state = runtime.serialize(workflow)
    first_size = len(state.encode())
    times = []
    for k in range(1, repetitions + 1):
        began = time.perf_counter()
        workflow = runtime.restore(state, compile_fresh(path), no_due)
        runtime.fire_due_timers(workflow, T0 + k * interval + timedelta(minutes=1))
        state = runtime.serialize(workflow)
        times.append(time.perf_counter() - began)
    return {
        "state_kb_before": first_size / 1024,
        "state_kb_after": len(state.encode()) / 1024,
        "first10_ms": statistics.mean(times[:10]) * 1000,
        "last10_ms": statistics.mean(times[-10:]) * 1000,
        "open_tasks": float(len(runtime.ready_user_tasks(workflow))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=1000)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {args.repetitions} firings per cycle")
    with tempfile.TemporaryDirectory() as tmp:
        task_path = Path(tmp) / "c7_reminder.bpmn"
        xml = (DIAGRAMS / "camunda7_reminder.bpmn").read_text(encoding="utf-8")
        task_path.write_text(xml.replace("R3/PT4H", "R/PT4H"), encoding="utf-8")
        (Path(tmp) / "forms").symlink_to(DIAGRAMS / "forms")
        cases = [
            ("end", DIAGRAMS / "bpmnio_reminder_subprocess.bpmn", timedelta(days=1)),
            ("task", task_path, timedelta(hours=4)),
        ]
        for name, path, interval in cases:
            figures = run(path, interval, args.repetitions)
            print(
                f"{name:>4}: state {figures['state_kb_before']:.1f} -> "
                f"{figures['state_kb_after']:.1f} KiB; firing (restore+fire+save) "
                f"{figures['first10_ms']:.1f} ms first 10, {figures['last10_ms']:.1f} ms last 10 "
                f"(x{figures['last10_ms'] / figures['first10_ms']:.1f}); "
                f"{figures['open_tasks']:.0f} open tasks"
            )


if __name__ == "__main__":
    main()
