"""bench/scale.py builds its load by cloning cases in bulk: the clones must be the rows
``service.start`` writes (only ids, workflow task ids and the shifted times differ)."""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path
from types import ModuleType

from sqlmodel import col, select

from engine.cases import service
from engine.context import Prflow
from engine.store.db import read_session, write_session
from engine.store.tables import Case, TaskRow
from tests.factories import add_people, deploy

SCALE = Path(__file__).parents[2] / "bench" / "scale.py"


def _scale() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_scale", SCALE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(ctx: Prflow, case_id: int) -> tuple[dict[str, object], list[dict[str, object]]]:
    with read_session(ctx.db) as session:
        case = session.get(Case, case_id)
        assert case is not None
        tasks = session.exec(select(TaskRow).where(TaskRow.case_id == case_id)).all()
        return case.model_dump(), [t.model_dump() for t in tasks]


def test_cloned_cases_equal_what_start_writes(ctx: Prflow) -> None:
    add_people(ctx)
    deploy(ctx)
    template = service.start(ctx, "website_posting", {"title": "t"}, "malee").id
    shift = timedelta(hours=5)
    with write_session(ctx.db) as session:
        _scale().clone_case(session, template, 2, lambda i: shift * i)
    with read_session(ctx.db) as session:
        clones = session.exec(select(Case.id).where(col(Case.id) != template)).all()
    assert len(clones) == 2
    case, tasks = _rows(ctx, template)
    for i, clone_id in enumerate(sorted(c for c in clones if c is not None)):
        clone, clone_tasks = _rows(ctx, clone_id)
        assert clone["started_at"] == case["started_at"] + shift * i  # type: ignore[operator]
        assert {k: v for k, v in clone.items() if k not in ("id", "started_at")} == {
            k: v for k, v in case.items() if k not in ("id", "started_at")
        }
        assert len(clone_tasks) == len(tasks) == 1
        moved = {"id", "case_id", "spiff_task_id", "created_at", "due_at", "due_sort"}
        (original,), (copy,) = tasks, clone_tasks
        assert {k: v for k, v in copy.items() if k not in moved} == {
            k: v for k, v in original.items() if k not in moved
        }
        for key in ("created_at", "due_at", "due_sort"):
            assert copy[key] == original[key] + shift * i  # type: ignore[operator]
