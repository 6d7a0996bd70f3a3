"""A live server per test over each database, with people who can sign in.

``api`` yields an ``Api``: the base URL, bearer-token clients per login, and the engine
behind it (for arranging data through the engine's own use cases).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import pytest

from api.app import create_app
from engine.accounts import tokens
from engine.context import Prflow
from engine.settings import REPO_PROCESSES_DIR, Settings
from tests.api.live import serving
from tests.factories import add_people, deploy

SECRET = "test-secret-" + "x" * 40
PASSWORD = "correct horse battery"
PEOPLE = {
    "owner": ["process_owner"],
    "auditor": ["auditor"],
    "ops": ["ops"],
    "boss": ["supervisor"],
    "admin": ["admin"],
    "somchai": ["doh_it_officer"],
    "somsri": ["doh_it_officer"],
    "malee": ["doh_web_pr_officer"],
}


@dataclass
class Api:
    url: str
    ctx: Prflow
    tokens: dict[str, str] = field(default_factory=dict)
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, login: str | None = None, **headers: str) -> httpx.Client:
        """A client speaking as ``login`` (by API token), or signed out for None."""
        if login is not None:
            headers["Authorization"] = f"Bearer {self.tokens[login]}"
        # Generous timeout: the shared test machine can stall a request for seconds.
        client = httpx.Client(
            base_url=self.url, headers=headers, follow_redirects=False, timeout=60
        )
        self.clients.append(client)
        return client


def make_ctx(database_url: str, *, demo: bool = False, secret: str = SECRET) -> Prflow:
    settings = Settings(database_url=database_url, processes_dir=REPO_PROCESSES_DIR,
                        mode="test", secret_key=secret, demo=demo)  # fmt: skip
    return Prflow(settings, upgrade=True)


def populate(ctx: Prflow) -> dict[str, str]:
    add_people(ctx, PEOPLE)
    deploy(ctx)
    # Passwords only where a test signs in: an argon2 hash takes about half a second here.
    return {login: tokens.create(ctx, login, "tests")[0] for login in PEOPLE}


@contextmanager
def _served(url: str) -> Iterator[Api]:
    """A populated engine on ``url`` behind a real uvicorn; clients closed at the end."""
    ctx = make_ctx(url)
    try:
        made = populate(ctx)
        with serving(create_app(ctx)) as served:
            world = Api(served, ctx, made)
            yield world
            for client in world.clients:
                client.close()
    finally:
        ctx.close()


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    with _served(database_url) as world:
        yield world


@pytest.fixture
def sqlite_api(sqlite_url: str) -> Iterator[Api]:
    """The same, on SQLite only: for checks that do not depend on the database."""
    with _served(sqlite_url) as world:
        yield world
