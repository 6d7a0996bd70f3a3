"""The SpiffWorkflow wrapper: saved state stays small however long a case loops."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.bpmn.definitions import read_source, validate
from engine.cases import runtime
from engine.roles import RoleCatalogue
from engine.settings import REPO_PROCESSES_DIR
from tests.factories import P6

NOW = datetime(2026, 6, 8, 2, 0, tzinfo=UTC)


def no_due(_task: object) -> str:
    raise AssertionError("P6 has no escalation timers")


def test_a_long_revise_loop_does_not_grow_the_saved_state() -> None:
    compiled = validate(read_source(P6), RoleCatalogue.load(REPO_PROCESSES_DIR / "roles.toml"))
    workflow = runtime.new_workflow(compiled, {"title": "ข่าว"}, no_due, NOW)
    sizes = []
    for loop in range(60):
        for data in ({"url": f"https://example.go.th/{loop}"}, {"decision": "fix"}):
            [task] = runtime.ready_user_tasks(workflow)
            runtime.complete_task(workflow, str(task.id), data, NOW)
        # Save and restore every round, as the engine does between commands.
        state = runtime.serialize(workflow)
        sizes.append(len(state))
        workflow = runtime.restore(state, compiled, no_due)

    assert max(sizes) - min(sizes[1:]) < 200, sizes  # bytes: ids and the loop counter only
    for data in ({"url": "final"}, {"decision": "ok"}, {}):
        [task] = runtime.ready_user_tasks(workflow)
        runtime.complete_task(workflow, str(task.id), data, NOW)
    assert runtime.is_completed(workflow)
    # Data from the start and from every step survives the pruning of finished tasks.
    final = workflow.last_task.data
    assert final["title"] == "ข่าว" and final["url"] == "final" and final["decision"] == "ok"
