"""Who am I: the signed-in user, their roles and what they may do system-wide."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentUser
from api.routes import PROBLEMS
from api.schemas import Me
from engine.cases import permissions

router = APIRouter(prefix="/api/v1", tags=["me"], responses=PROBLEMS)


@router.get("/me", response_model=Me)
def me(user: CurrentUser) -> Me:
    actions = sorted(a.value for a in permissions.system_actions(user))
    return Me(login=user.login, display_name=user.display_name, unit=user.unit,
              roles=list(user.roles), actions=actions)  # fmt: skip
