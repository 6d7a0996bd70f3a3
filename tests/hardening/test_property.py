"""Generated input thrown at every command: the answer is always a documented exit code,
never a traceback, and a command that failed changed nothing in the database.

One SQLite database serves the whole module (set up once: people, the nine processes, an
open case), so the examples stay cheap; ``max_examples`` is kept small per command so the
module runs in about a minute on a loaded two-core machine (``derandomize``: the same
examples every run, so a failure reproduces).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from typer.testing import CliRunner

from cli.main import app
from engine.cases import service
from engine.context import Prflow
from engine.errors import EngineError
from engine.settings import REPO_PROCESSES_DIR, Settings

DOCUMENTED = {0, 2, 3, 4, 5}  # ok, bad input, not found, not allowed, conflict
AUDIT_DOCUMENTED = DOCUMENTED | {6}
PROPERTY = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


class Office:
    def __init__(self, url: str, folder: Path) -> None:
        self.url = url
        self.folder = folder
        self.ctx = Prflow(Settings(database_url=url, processes_dir=REPO_PROCESSES_DIR))

    def run(self, *args: str, allowed: set[int] = DOCUMENTED) -> int:
        before = self.snapshot()
        result = CliRunner().invoke(app, list(args), env={"PRFLOW_DATABASE_URL": self.url})
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            args, result.exception,
        )  # fmt: skip
        assert result.exit_code in allowed, (args, result.exit_code, result.output)
        if result.exit_code not in (0, 6):
            assert self.snapshot() == before, ("a failed command changed the database", args)
        if "--json" in args and result.stdout.strip():
            json.loads(result.stdout)  # valid JSON whether it succeeded or not
        return result.exit_code

    def snapshot(self) -> tuple[Any, ...]:
        with self.ctx.db.connect() as connection:
            return tuple(
                connection.execute(text(query)).one()
                for query in (
                    "SELECT count(*), max(seq) FROM event",
                    # one chain per case (and a system chain): every head, in one row
                    "SELECT count(*), group_concat(chain || ':' || seq || ':' || hash) "
                    "FROM (SELECT * FROM event_chain ORDER BY chain)",
                    "SELECT count(*), coalesce(sum(lock_version), 0) FROM process_case",
                    "SELECT count(*), coalesce(sum(length(status)), 0) FROM task",
                    "SELECT count(*) FROM app_user",
                    "SELECT count(*) FROM user_role",
                    "SELECT count(*), count(withdrawn_at) FROM definition",
                )
            )


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    folder = tmp_path_factory.mktemp("property")
    url = f"sqlite:///{folder / 'prflow.db'}"
    runner = CliRunner()
    env = {"PRFLOW_DATABASE_URL": url}
    assert runner.invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    # root (admin) last: once someone holds admin, only an admin may add users.
    for login, role in [("owner", "process_owner"), ("somchai", "doh_it_officer"),
                        ("malee", "doh_web_pr_officer"), ("aud", "auditor"),
                        ("ops", "ops"), ("root", "admin")]:  # fmt: skip
        assert runner.invoke(app, ["users", "add", login, "--role", role], env=env).exit_code == 0
    assert (
        runner.invoke(app, ["deploy", str(REPO_PROCESSES_DIR), "--as", "owner"], env=env).exit_code
        == 0
    )
    made = Office(url, folder)
    service.start(made.ctx, "website_posting", {"title": "ข่าว"}, "malee")
    yield made
    made.ctx.close()


IDS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, 2, 3, -1, 2**63 - 1, 2**63, 2**64]),
).map(str)
ODD_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40
) | st.sampled_from(["\u202eevil", "ชื่อ", "๑๒๓", "", " ", "-1", "--json", "\x00"])
JSON_LEAVES = (
    st.none() | st.booleans() | st.integers() | st.floats() | ODD_TEXT
    | st.sampled_from(["9999-12-31T23:00+07:00", "0001-01-01T00:00+14:00", "2026-04-10"])
)  # fmt: skip
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True) | ODD_TEXT, inner, max_size=4
        )
    ),
    max_leaves=12,
)
DATA = st.one_of(
    JSON_VALUES.map(lambda v: json.dumps(v, ensure_ascii=False)),
    st.integers(1, 6000).map(lambda n: "[" * n + "]" * n),
    st.integers(30, 60).map(lambda n: '{"a": ' * n + "1" + "}" * n),
    st.sampled_from(
        [
            '{"a": NaN}',
            '{"a": Infinity}',
            '{"a": "\\u0000"}',
            "{bad",
            '{"a": "' + "x" * 300_000 + '"}',
            '{"a": ' + "9" * 5000 + "}",
        ]
    ),
    ODD_TEXT,
)
ZONES = [None, *(timezone(timedelta(hours=h)) for h in (-12, 0, 7, 14))]
DATES = st.one_of(
    st.datetimes(
        timezones=st.sampled_from(
            [
                None,
                *[
                    __import__("datetime").timezone(__import__("datetime").timedelta(hours=h))
                    for h in (-12, 0, 7, 14)
                ],
            ]
        )
    ).map(lambda d: d.isoformat()),
    st.sampled_from(
        [
            "9999-12-31T23:59+00:00",
            "0001-01-01T00:00+14:00",
            "2026-04-10",
            "2026-02-30T10:00+07:00",
            "tomorrow",
            "",
        ]
    ),
    ODD_TEXT,
)
NUMBERS = st.one_of(st.integers(0, 10**14).map(str), st.sampled_from(["๖", "๙๙๙๙๙", "1-2", "2–1"]))
UNITS = st.sampled_from(["working days", "days", "hours", "working hours", "minutes",
                         "วันทำการ", "ชั่วโมง", "นาที", "weeks", ""])  # fmt: skip
LIMITS = st.one_of(
    st.tuples(NUMBERS, UNITS).map(" ".join),
    st.sampled_from(
        [
            "P99999999999W",
            "PT999999999999H",
            "P1Y",
            "meeting_ended_at + 3 hours",
            "x - 99999999 days",
            "(note)",
        ]
    ),
    ODD_TEXT,
)
P6_XML = (REPO_PROCESSES_DIR / "website_posting.bpmn").read_bytes()  # the deployed P6
EXTERNAL_ENTITY = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
BPMN = st.one_of(
    st.integers(0, len(P6_XML)).map(lambda n: P6_XML[:n]),
    st.tuples(st.integers(0, len(P6_XML)), st.binary(max_size=30)).map(
        lambda t: P6_XML[: t[0]] + t[1] + P6_XML[t[0] :]
    ),
    st.just(
        P6_XML.replace(
            b"<bpmn:definitions",
            b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<bpmn:definitions',
            1,
        )
    ),
    st.binary(max_size=200),
)


@PROPERTY
@given(task_id=IDS, command=st.sampled_from(["claim", "unclaim", "complete", "show"]))
@example(task_id=str(2**63), command="claim")
@example(task_id="-1", command="show")
def test_ids(office: Office, task_id: str, command: str) -> None:
    args = [command, task_id] + ([] if command == "show" else ["--as", "somchai"])
    office.run(*args, "--json")
    office.run("audit", "timeline", task_id, allowed=AUDIT_DOCUMENTED)
    office.run("audit", "replay", task_id, allowed=AUDIT_DOCUMENTED)


@PROPERTY
@given(data=DATA)
@example(data="[" * 5000 + "]" * 5000)
@example(data='{"a": NaN, "b": Infinity}')
@example(data='{"meeting_ended_at": "9999-12-31T23:00+07:00"}')
def test_case_and_form_data(office: Office, data: str) -> None:
    office.run("start", "website_posting", "--data", data, "--as", "malee", "--json")
    # P6 opens with write_release in the web PR officer's lane (malee's).
    open_tasks = service.inbox(office.ctx, role="doh_web_pr_officer")
    task_id = str(open_tasks[0].id) if open_tasks else "1"
    office.run("complete", task_id, "--data", data, "--as", "malee", "--json")
    office.run("due", "meeting_ended_at + 3 hours", "--data", data)
    office.run("inbox", "--as", "malee")  # whatever was stored, listings keep working
    office.run("show", "1")


@settings(PROPERTY, max_examples=10)
@given(when=DATES)
@example(when="9999-12-31T23:59+00:00")
@example(when="0001-01-01T00:00+14:00")
def test_dates(office: Office, when: str) -> None:
    office.run("due", "2 working days", "--from", when)
    office.run("ontime", "--since", when[:10], "--json")
    office.run("sweep", "--at", when, "--as", "ops")
    office.run("audit", "export", "--format", "csv", "--as", "aud", "--since", when,
               "--output", str(office.folder / "out.csv"))  # fmt: skip
    office.run("audit", "replay", "1", "--at", when, allowed=AUDIT_DOCUMENTED)
    office.run("start", "press_release", "--data", json.dumps({"meeting_ended_at": when}),
               "--as", "owner")  # fmt: skip


@settings(PROPERTY, max_examples=30)
@given(limit=LIMITS)
@example(limit="99999999 working days")
@example(limit="999999999999 hours")
@example(limit="99999 working days")
def test_time_limits(office: Office, limit: str) -> None:
    office.run("due", limit, "--from", "2026-04-10T15:00+07:00", "--json")


@PROPERTY
@given(xml=BPMN)
@example(xml=P6_XML.replace(b"<bpmn:definitions", EXTERNAL_ENTITY + b"<bpmn:definitions", 1))
def test_bpmn_fragments(office: Office, xml: bytes) -> None:
    path = office.folder / "website_posting.bpmn"
    path.write_bytes(xml)
    office.run("validate", str(path), "--json")
    office.run("deploy", str(path), "--as", "owner")


@settings(PROPERTY, max_examples=6)
@example(login="eve", role="ops", name="\u202egnp.exe", key="ghost", version="-1")
@given(login=ODD_TEXT, role=ODD_TEXT, name=ODD_TEXT, key=ODD_TEXT, version=IDS)
def test_users_roles_and_versions(
    office: Office, login: str, role: str, name: str, key: str, version: str
) -> None:
    office.run("users", "add", login, "--role", "ops", "--name", name)
    office.run("users", "list", "--json")
    office.run("admin", "grant", login, role, "--as", "root")
    office.run("admin", "revoke", login, role, "--as", "root")
    office.run("admin", "deactivate-user", login, "--reason", name, "--as", "root")
    office.run("admin", "withdraw-version", key, version, "--reason", "x", "--as", "owner")
    office.run("overdue", "--role", role, "--json")
    office.run("ontime", "--process", key)
    office.run("versions", key)


@settings(PROPERTY, max_examples=40)
@given(data=JSON_VALUES)
def test_engine_use_cases_refuse_with_engine_errors_only(office: Office, data: Any) -> None:
    before = office.snapshot()
    try:
        service.start(office.ctx, "website_posting", data, "malee")
    except EngineError:
        assert office.snapshot() == before
