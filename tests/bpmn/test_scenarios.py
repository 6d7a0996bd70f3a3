"""Modelers' diagrams run to every end, the same live and restored between every step.

Each scenario runs twice (``tests.bpmn.scenario.run_both``): on one live workflow, and
saved, compiled afresh and restored between every step as separate CLI commands do. Before
the loop links were made up front (``engine.cases.runtime._link_loops``), the restored run of
every multi-instance and loop scenario stalled with no open task.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cases import runtime
from engine.cases.runtime import StepFailed
from tests.bpmn.scenario import NOW, compile_fresh, no_due, run, run_both

DIAGRAMS = Path(__file__).parent / "diagrams"
C7 = DIAGRAMS / "camunda7_release_review.bpmn"
C8 = DIAGRAMS / "camunda8_signoff.bpmn"
IO = DIAGRAMS / "bpmnio_redo_loop.bpmn"


def test_a_parallel_multi_instance_check_gives_one_task_per_source_and_merges_results() -> None:
    outcome = run_both(
        C7,
        {"sources": ["ฝ่ายข่าว", "ฝ่ายภาพ"]},
        [
            ("Activity_0draft1", {"text": "ร่าง"}),
            ("Activity_1check2", {"news_ok": True}),
            ("Activity_1check2", {"photo_ok": True}),
            ("Activity_0appr4m", {"decision": "approve", "urgent": False}),
        ],
    )
    assert outcome.completed
    assert outcome.data["news_ok"] and outcome.data["photo_ok"]


def test_a_revise_loop_runs_the_multi_instance_check_again() -> None:
    check = ("Activity_1check2", {})
    outcome = run_both(
        C7,
        {"sources": ["a", "b"]},
        [
            ("Activity_0draft1", {}), check, check,
            ("Activity_0appr4m", {"decision": "revise", "urgent": False}),
            ("Activity_0draft1", {}), check, check,
            ("Activity_0appr4m", {"decision": "approve"}),
        ],
    )  # fmt: skip
    assert outcome.completed and outcome.done.count("Activity_1check2") == 4


def test_the_multi_instance_waits_for_every_instance() -> None:
    outcome = run_both(
        C7, {"sources": ["a", "b", "c"]}, [("Activity_0draft1", {}), ("Activity_1check2", {})]
    )
    assert not outcome.completed
    assert outcome.open == ("Activity_1check2", "Activity_1check2")


def test_a_sequential_multi_instance_collects_each_signature_in_order() -> None:
    outcome = run_both(
        C8,
        {"signers": ["x", "y", "z"], "cancelled": False, "withdrawn": False},
        [
            ("Activity_0prep5x", {}),
            ("Activity_1sign6y", {"signature": "X"}),
            ("Activity_1sign6y", {"signature": "Y"}),
            ("Activity_1sign6y", {"signature": "Z"}),
        ],
    )
    assert outcome.completed
    assert outcome.data["signatures"] == ["X", "Y", "Z"]


def test_a_sequential_multi_instance_opens_one_task_at_a_time() -> None:
    outcome = run_both(
        C8, {"signers": ["x", "y"], "cancelled": False, "withdrawn": False},
        [("Activity_0prep5x", {}), ("Activity_1sign6y", {"signature": "X"})],
    )  # fmt: skip
    assert outcome.open == ("Activity_1sign6y",) and not outcome.completed


def test_the_default_flow_takes_what_no_feel_condition_matches() -> None:
    outcome = run_both(
        C8, {"signers": ["x"], "cancelled": True, "withdrawn": False},
        [("Activity_0prep5x", {}), ("Activity_1sign6y", {"signature": "X"})],
    )  # fmt: skip
    assert outcome.completed


@pytest.mark.parametrize("rounds", [1, 3])
def test_a_standard_loop_repeats_while_its_condition_holds(rounds: int) -> None:
    steps = [("Activity_1", {"redo": True})] * (rounds - 1) + [("Activity_1", {"redo": False})]
    outcome = run_both(IO, {}, steps)
    assert outcome.completed and outcome.done == ("Activity_1",) * rounds


def test_a_standard_loop_stops_at_its_maximum() -> None:
    outcome = run_both(IO, {}, [("Activity_1", {"redo": True})] * 5)
    assert outcome.completed


@pytest.mark.parametrize("restore_between", [False, True])
def test_no_matching_branch_is_a_clear_error_naming_the_gateway_and_its_conditions(
    restore_between: bool,
) -> None:
    steps = [("Activity_0draft1", {}), ("Activity_0appr4m", {"decision": "maybe", "urgent": 0})]
    with pytest.raises(StepFailed) as failed:
        run(C7, {"sources": []}, steps, restore_between)
    message = str(failed.value)
    assert "Gateway_0dec9qz" in message and "อนุมัติหรือไม่" in message
    assert "decision == 'approve'" in message and "nothing was stored" in message


TERMINATE = DIAGRAMS / "bpmnio_terminate.bpmn"


def test_a_terminate_end_event_ends_the_case_and_the_parallel_branch_with_it() -> None:
    outcome = run_both(TERMINATE, {}, [("Activity_0cancel", {"cancel": True})])
    assert outcome.completed and outcome.open == ()


def test_without_terminate_both_branches_join_before_the_end() -> None:
    outcome = run_both(
        TERMINATE, {}, [("Activity_0cancel", {"cancel": False}), ("Activity_0write", {})]
    )
    assert outcome.completed


SUBPROCESS = DIAGRAMS / "bpmnio_subprocess.bpmn"
SUBPROCESS_ERROR = DIAGRAMS / "bpmnio_subprocess_error.bpmn"


def test_an_embedded_subprocess_runs_its_own_user_task_then_goes_on() -> None:
    outcome = run_both(SUBPROCESS, {"a": 1}, [("Activity_0in", {"x": 1}), ("Activity_0after", {})])
    assert outcome.completed and outcome.data == {"a": 1, "x": 1}


def test_an_error_end_event_in_a_subprocess_is_caught_by_its_boundary_event() -> None:
    steps = [("Activity_0in", {"bad": True}), ("Activity_0fix", {})]
    outcome = run_both(SUBPROCESS_ERROR, {}, steps)
    assert outcome.completed and "Activity_0after" not in outcome.done


def test_without_the_error_the_subprocess_ends_normally() -> None:
    outcome = run_both(
        SUBPROCESS_ERROR, {}, [("Activity_0in", {"bad": False}), ("Activity_0after", {})]
    )
    assert outcome.completed


def test_an_escalation_is_caught_like_an_error(tmp_path: Path) -> None:
    text = SUBPROCESS_ERROR.read_text(encoding="utf-8")
    text = text.replace("errorEventDefinition", "escalationEventDefinition")
    text = text.replace('errorRef="Error_0bad"', 'escalationRef="Error_0bad"')
    text = text.replace(
        '<bpmn:error id="Error_0bad" name="ข้อมูลผิด" errorCode="bad_data" />',
        '<bpmn:escalation id="Error_0bad" name="ส่งต่อ" escalationCode="up" />',
    )
    path = tmp_path / "escalation.bpmn"
    path.write_text(text, encoding="utf-8")
    outcome = run_both(path, {}, [("Activity_0in", {"bad": True}), ("Activity_0fix", {})])
    assert outcome.completed and "Activity_0after" not in outcome.done


CALLER = DIAGRAMS / "camunda7_call_release.bpmn"
CALLED = DIAGRAMS / "bpmnio_called_review.bpmn"
DRAFT, REVIEW, PUBLISH = "Activity_0draftc", "Activity_0ioreview", "Activity_0publish"


def test_a_call_activity_runs_the_called_process_then_goes_on_with_its_data() -> None:
    steps = [
        (DRAFT, {"headline": "ข่าว"}),
        (REVIEW, {"decision": "approve"}),
        (PUBLISH, {"url": "https://example.go.th/1"}),
    ]
    outcome = run_both(CALLER, {"title": "t"}, steps, called=[CALLED])
    assert outcome.completed and outcome.done == (DRAFT, REVIEW, PUBLISH)
    # Case data went into the called process and its decision came back out.
    assert outcome.data == {
        "title": "t", "headline": "ข่าว", "decision": "approve", "url": "https://example.go.th/1",
    }  # fmt: skip


def test_a_revise_loop_calls_the_process_again() -> None:
    steps = [
        (DRAFT, {"headline": "a"}), (REVIEW, {"decision": "revise"}),
        (DRAFT, {"headline": "b"}), (REVIEW, {"decision": "approve"}), (PUBLISH, {}),
    ]  # fmt: skip
    outcome = run_both(CALLER, {}, steps, called=[CALLED])
    assert outcome.completed and outcome.data["headline"] == "b"


def test_the_refused_end_is_reached_after_the_called_process() -> None:
    outcome = run_both(CALLER, {}, [(DRAFT, {}), (REVIEW, {"decision": "refuse"})], called=[CALLED])
    assert outcome.completed and PUBLISH not in outcome.done


def test_a_case_waits_in_the_called_process_across_a_restore() -> None:
    outcome = run_both(CALLER, {}, [(DRAFT, {"headline": "h"})], called=[CALLED])
    assert not outcome.completed and outcome.open == (REVIEW,)


def test_the_called_process_data_inputs_and_outputs_limit_what_passes(tmp_path: Path) -> None:
    """With BPMN data inputs/outputs on the called process, only those pass (SpiffWorkflow)."""
    io = (
        '<bpmn:ioSpecification id="IO_review">'
        '<bpmn:dataInput id="headline" name="headline" />'
        '<bpmn:dataOutput id="decision" name="decision" />'
        '<bpmn:inputSet id="In_review"><bpmn:dataInputRefs>headline</bpmn:dataInputRefs>'
        '</bpmn:inputSet><bpmn:outputSet id="Out_review">'
        "<bpmn:dataOutputRefs>decision</bpmn:dataOutputRefs></bpmn:outputSet>"
        "</bpmn:ioSpecification>"
    )
    text = CALLED.read_text(encoding="utf-8")
    text = text.replace('<bpmn:laneSet id="LaneSet_io_called_review">',
                        io + '<bpmn:laneSet id="LaneSet_io_called_review">')  # fmt: skip
    called = tmp_path / CALLED.name
    called.write_text(text, encoding="utf-8")
    steps = [(DRAFT, {"headline": "h"}), (REVIEW, {"decision": "refuse", "note": "n"})]
    outcome = run_both(CALLER, {"title": "t"}, steps, called=[called])
    assert outcome.completed
    assert outcome.data == {"title": "t", "headline": "h", "decision": "refuse"}  # no "note"


def test_a_finished_call_is_dropped_so_the_saved_state_stays_small_across_loops() -> None:
    compiled = compile_fresh(CALLER, [CALLED])
    workflow = runtime.new_workflow(compiled, {}, no_due, NOW)
    sizes = []
    for _ in range(4):
        for data in ({"headline": "h"}, {"decision": "revise"}):
            [task] = runtime.ready_user_tasks(workflow)
            runtime.complete_task(workflow, str(task.id), data, NOW)
            workflow = runtime.restore(runtime.serialize(workflow), compiled, no_due)
        sizes.append(len(runtime.serialize(workflow)))
    assert not workflow.subprocesses
    assert max(sizes) - min(sizes) < 100, sizes  # no round of the loop is kept


def test_a_multi_instance_call_activity_runs_the_called_process_once_per_item(
    tmp_path: Path,
) -> None:
    text = CALLER.read_text(encoding="utf-8").replace(
        "      <bpmn:outgoing>Flow_0c3</bpmn:outgoing>\n    </bpmn:callActivity>",
        "      <bpmn:outgoing>Flow_0c3</bpmn:outgoing>\n"
        "      <bpmn:multiInstanceLoopCharacteristics"
        ' camunda:collection="${reviewers}" camunda:elementVariable="reviewer" />\n'
        "    </bpmn:callActivity>",
    )
    caller = tmp_path / CALLER.name
    caller.write_text(text, encoding="utf-8")
    review = (REVIEW, {"decision": "approve"})
    outcome = run_both(
        caller, {"reviewers": ["a", "b"]}, [(DRAFT, {}), review, review, (PUBLISH, {})],
        called=[CALLED],
    )  # fmt: skip
    assert outcome.completed and outcome.done.count(REVIEW) == 2
