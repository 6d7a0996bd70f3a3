"""Audit fixtures: people for every role, and deployed processes."""

from __future__ import annotations

import pytest

from engine.context import Prflow
from engine.settings import REPO_PROCESSES_DIR
from tests.factories import PEOPLE, add_people, deploy

ALL_PROCESSES = sorted(REPO_PROCESSES_DIR.glob("*.bpmn"))


@pytest.fixture
def p6(ctx: Prflow) -> Prflow:
    add_people(ctx)
    deploy(ctx)
    return ctx


@pytest.fixture
def everything(ctx: Prflow) -> Prflow:
    """Every process in processes/ deployed, and one user per role named after the role."""
    people = dict(PEOPLE)
    for role in ctx.roles:
        people.setdefault(role.id, [role.id])
    add_people(ctx, people)
    deploy(ctx, *ALL_PROCESSES)
    return ctx
